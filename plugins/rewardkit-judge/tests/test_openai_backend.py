"""The OpenAI-compatible backend against an in-memory server (httpx.MockTransport): verdicts from
log-probs or text, retries, refusals as error outcomes, the API key from the environment."""

from __future__ import annotations

import json

import httpx
import pytest

import rewardkit
from rewardkit import Status
from rewardkit_judge.backends import BackendError, OpenAIBackend, parse_chat
from rewardkit_judge.judge import register_backend
from rewardkit_judge.prompts import equivalence
from rewardkit_judge.rewards import equivalence_params


def body(text: str, top: list[tuple[str, float]] | None = None) -> dict:
    choice: dict = {"message": {"role": "assistant", "content": text}}
    if top is not None:
        choice["logprobs"] = {"content": [{"token": text, "logprob": top[0][1],
                                           "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top]}]}
    return {"choices": [choice], "usage": {"prompt_tokens": 50, "completion_tokens": 1}}


CHOICES = ("Yes", "No")


def test_parse_reads_logprobs_then_text_and_else_gives_no_verdict():
    a = parse_chat(body("The", [("The", -0.1), (" No", -1.0), ("Yes", -2.0)]), CHOICES, 0.1)
    assert a.verdict == "No" and a.logprobs == {"No": -1.0, "Yes": -2.0} and a.prompt_tokens == 50
    assert parse_chat(body("Yes"), CHOICES, 0.1).verdict == "Yes"
    assert parse_chat(body("Maybe"), CHOICES, 0.1).verdict is None
    assert parse_chat({"choices": []}, CHOICES, 0.1).verdict is None
    assert parse_chat("not a dict", CHOICES, 0.1).verdict is None


def server(replies):
    """A transport answering with ``replies`` in turn (status, body), recording requests."""
    seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, payload = replies[min(len(seen), len(replies)) - 1]
        return httpx.Response(status, json=payload)

    return httpx.MockTransport(handle), seen


def test_retries_then_answers_and_sends_a_greedy_seeded_one_token_request(monkeypatch):
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-test")
    transport, seen = server([(503, {"error": "busy"}), (200, body("Yes", [("Yes", -0.01)]))])
    backend = OpenAIBackend("m", base_url="http://judge/v1", api_key_env="JUDGE_TEST_KEY", retries=2,
                            transport=transport, seed=7)
    monkeypatch.setattr("time.sleep", lambda s: None)
    [a] = backend.run([equivalence("Paris", "Paris, France")])
    assert a.verdict == "Yes" and len(seen) == 2
    sent = json.loads(seen[-1].content)
    assert sent["max_tokens"] == 1 and sent["temperature"] == 0 and sent["seed"] == 7 and sent["logprobs"]
    assert seen[-1].headers["authorization"] == "Bearer sk-test"
    assert "sk-test" not in json.dumps(backend.identity())


def test_a_refusal_and_a_dead_server_raise_backend_error(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    transport, _ = server([(400, {"error": "bad model"})])
    with pytest.raises(BackendError, match="HTTP 400"):
        OpenAIBackend("m", base_url="http://judge/v1", transport=transport).run([equivalence("a", "b")])
    transport, seen = server([(503, {})])
    with pytest.raises(BackendError, match="no answer after 3 tries"):
        OpenAIBackend("m", base_url="http://judge/v1", retries=2, transport=transport).run([equivalence("a", "b")])
    assert len(seen) == 3


def test_through_the_reward_a_broken_server_is_an_error_outcome_never_zero(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    transport, _ = server([(500, {})])
    params = {k: p.default for k, p in equivalence_params().items()}
    params.update(backend="openai", model="broken", base_url="http://judge/v1", retries=1, cache="off")
    register_backend(params, OpenAIBackend("broken", base_url="http://judge/v1", retries=1, transport=transport))
    r = rewardkit.reward("judge.equivalence", backend="openai", model="broken", base_url="http://judge/v1",
                         retries=1, cache="off", rules=False)
    s = r.score(["Lyon", "Paris"], answer=["Paris", "Paris"])
    assert s.statuses == [Status.ERROR, Status.ERROR] and "BackendError" in s.messages[0]


def test_concurrent_requests_keep_their_order():
    def handle(request: httpx.Request) -> httpx.Response:
        user = json.loads(request.content)["messages"][-1]["content"]
        return httpx.Response(200, json=body("Yes" if "same-same" in user else "No"))

    backend = OpenAIBackend("m", base_url="http://judge/v1", concurrency=4, transport=httpx.MockTransport(handle))
    qs = [equivalence("x", "same-same" if i % 3 == 0 else f"other {i}") for i in range(12)]
    assert [a.verdict for a in backend.run(qs)] == ["Yes" if i % 3 == 0 else "No" for i in range(12)]
