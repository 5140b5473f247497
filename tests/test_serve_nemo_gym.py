"""NeMo Gym's whole resources-server contract (issue 34 items 1-2), in process.

/seed_session and /aggregate_metrics answered 404 before; an unscorable item came back as
``reward: 0.0`` without ``mask_sample``; no ``reward_components``; a tool-calling rollout was scored
on its last message only. tests/test_conformance_nemo_gym.py drives the same server with NeMo Gym's
own agent and models.
"""

from __future__ import annotations

from typing import Any

import pytest

import rewardkit
from rewardkit.serve import ServeSettings, create_app


def _client(default: Any) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(create_app(ServeSettings(), default))


def _verify_body(output: list[dict[str, Any]], **task: Any) -> dict[str, Any]:
    return {"responses_create_params": {"input": [{"role": "user", "content": "What is 2 + 3?"}]},
            "response": {"id": "resp_1", "created_at": 1.0, "model": "m", "object": "response", "output": output,
                         "parallel_tool_calls": False, "tool_choice": "auto", "tools": []}, **task}


def _say(text: str) -> list[dict[str, Any]]:
    return [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": text, "annotations": []}]}]


TOOL_ROLLOUT = [
    {"type": "function_call", "call_id": "c1", "name": "calculate", "arguments": "{\"expression\": \"2+3\"}",
     "id": "fc_1", "status": "completed"},
    {"type": "function_call_output", "call_id": "c1", "output": "5"},
    *_say("<answer>5</answer>"),
]


def test_seed_session_answers_empty(core_plugin: Any) -> None:
    client = _client(rewardkit.reward("t.misbehave"))
    got = client.post("/seed_session", json={"responses_create_params": {"input": "hi"}, "expected_answer": "1"})
    assert got.status_code == 200, got.text
    assert got.json() == {}


@pytest.mark.parametrize(("text", "kind"), [("raise", "error"), ("nan", "error"), ("none", "none")])
def test_unscorable_item_is_masked_with_its_kind(core_plugin: Any, text: str, kind: str) -> None:
    client = _client(rewardkit.reward("t.misbehave"))
    body = client.post("/verify", json=_verify_body(_say(text), expected_answer="5")).json()
    assert body["mask_sample"] is True and body["failure_kind"] == kind
    assert body["failure_reason"].startswith(f"rewardkit: {kind}")
    assert body["reward"] == 0.0 and body["reward_components"] == {}
    assert body["expected_answer"] == "5"


def test_scored_item_has_components_and_no_mask(core_plugin: Any) -> None:
    client = _client(rewardkit.reward("t.misbehave"))
    body = client.post("/verify", json=_verify_body(_say("fine"))).json()
    assert body["mask_sample"] is False and "failure_kind" not in body
    assert body["reward"] == 0.5 and body["reward_components"] == {"t.misbehave": 0.5}


def test_composite_components_per_term(core_plugin: Any) -> None:
    composite = rewardkit.Composite.from_config([{"name": "format.tags", "weight": 0.5},
                                                {"name": "t.contains", "weight": 1.0}])
    client = _client(composite)
    body = client.post("/verify", json=_verify_body(_say("<think>2+3</think><answer>5</answer>"),
                                                    expected_answer="5")).json()
    assert body["mask_sample"] is False
    assert body["reward_components"] == {"format.tags": 1.0, "t.contains": 1.0}
    assert body["reward"] == pytest.approx(1.5)


def test_tool_calling_rollout_reaches_trajectory_rewards() -> None:
    client = _client(rewardkit.reward("tools.result_used"))
    body = client.post("/verify", json=_verify_body(TOOL_ROLLOUT)).json()
    assert body["mask_sample"] is False and body["reward"] == 1.0
    unused = [*TOOL_ROLLOUT[:2], *_say("<answer>7</answer>")]
    assert client.post("/verify", json=_verify_body(unused)).json()["reward"] == 0.0


def test_native_score_takes_trajectories() -> None:
    client = _client(None)
    messages = [{"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "calculate", "arguments": "{\"expression\": \"2+3\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "calculate", "content": "5"},
        {"role": "assistant", "content": "<answer>5</answer>"}]
    got = client.post("/v1/score", json={"reward": "tools.result_used", "completions": [messages]})
    assert got.status_code == 200, got.text
    assert got.json()["items"][0]["value"] == 1.0
    both = client.post("/v1/score", json={"composite": [{"name": "tools.result_used"}, {"name": "format.tags"}],
                                          "completions": [messages, "<think>a</think><answer>5</answer>"]})
    assert both.status_code == 200, both.text
    assert both.json()["items"][0]["terms"]["tools.result_used"]["value"] == 1.0


def test_aggregate_metrics(core_plugin: Any) -> None:
    client = _client(rewardkit.reward("t.misbehave"))
    responses = [client.post("/verify", json=_verify_body(_say(t), _ng_task_index=i)).json()
                 for i, t in enumerate(["fine", "raise", "fine"])]
    got = client.post("/aggregate_metrics", json={"verify_responses": responses})
    assert got.status_code == 200, got.text
    metrics = got.json()
    agent = metrics["agent_metrics"]
    assert agent["mean/reward"] == pytest.approx(1 / 3) and agent["max/reward"] == 0.5
    assert agent["rewardkit/masked"] == 1 and agent["mean/mask_sample"] == pytest.approx(1 / 3)
    assert agent["rewardkit/mean_reward_unmasked"] == 0.5
    assert agent["mean/reward_components/t.misbehave"] == 0.5
    assert metrics["key_metrics"]["mean/reward"] == agent["mean/reward"]
    assert [g["_ng_task_index"] for g in metrics["group_level_metrics"]] == [0, 1, 2]
    assert client.post("/aggregate_metrics", json={"verify_responses": []}).json() == {
        "group_level_metrics": [], "agent_metrics": {}, "key_metrics": {}}


def test_timed_out_item_is_masked_not_a_zero(core_plugin: Any) -> None:
    """The issue's case: a rollout whose verifier hit the deadline trained as reward 0.0."""
    client = _client(rewardkit.reward("t.sleepy", timeout=0.5))
    body = client.post("/verify", json=_verify_body(_say("hang"))).json()
    assert body["mask_sample"] is True and body["failure_kind"] == "timeout"
    assert body["failure_reason"].startswith("rewardkit: timeout")
