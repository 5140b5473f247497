"""Trajectories in the reward contract: validation, the utils helpers, the text path, bench and probe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rewardkit
from rewardkit.trajectory import TrajectoryError, answer_text
from rewardkit.utils import completion_text, final_answer, tool_calls, tool_results

ROLLOUTS = Path(__file__).resolve().parents[1] / "examples" / "agents" / "calculator_rollouts.jsonl"

TRAJ = [
    {"role": "assistant", "content": "<think>use the tool</think>",
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "calculate", "arguments": '{"expression": "2+3"}'}}]},
    {"role": "tool", "tool_call_id": "c1", "name": "calculate", "content": "5"},
    {"role": "assistant", "content": "<answer>5</answer>"},
]


def test_helpers_read_answer_calls_and_results():
    assert final_answer(TRAJ) == "<answer>5</answer>"
    (call,) = tool_calls(TRAJ)
    assert (call.name, call.args, call.id, call.message) == ("calculate", {"expression": "2+3"}, "c1", 0)
    (result,) = tool_results(TRAJ)
    assert (result.content, result.name, result.call_id, result.message) == ("5", "calculate", "c1", 1)


def test_trl_shape_with_parsed_arguments_and_a_rollout_cut_after_the_tool():
    trl = [{"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "calculate", "arguments": {"expression": "1"}}}]},
        {"role": "tool", "name": "calculate", "content": "1"}]
    assert tool_calls(trl)[0].args == {"expression": "1"}
    assert final_answer(trl) == ""  # it never answered


@pytest.mark.parametrize("bad, needle", [
    ([TRAJ[0], {"role": "robot", "content": "x"}], "message 1: 'role' must be one of"),
    ([{"role": "assistant", "tool_calls": [{"function": {"name": 3}}]}], "message 0, tool_calls[0]: function.name"),
    ([{"role": "assistant", "tool_calls": [{"name": "f"}]}], "needs a 'function' mapping"),
    ([{"role": "user", "tool_calls": [{"function": {"name": "f"}}]}], "only assistant messages make tool calls"),
    ([TRAJ[0], "text"], "message 1: expected a chat message"),
    ([TRAJ[0], {"role": "tool", "content": 5}], "message 1: 'content' must be text"),
])
def test_malformed_trajectory_names_the_message(bad, needle):
    with pytest.raises(TrajectoryError, match="completion 0") as err:
        rewardkit.reward("format.tags")([bad])
    assert needle in str(err.value)


def test_existing_rewards_judge_the_final_assistant_message():
    r = rewardkit.reward("math.equivalence")
    assert r([TRAJ], answer=["5"]) == [1.0]
    # the tool's result alone (the model never answered) is not the model's answer
    assert r([TRAJ[:2]], answer=["5"]) == [0.0]


def test_text_path_unchanged_for_conversations_without_tools():
    chat = [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}]
    assert answer_text(chat) == completion_text(chat) == "a\nb"
    assert answer_text("plain") == "plain"


def test_trajectory_column_reaches_rewards_that_declare_it():
    s = rewardkit.reward("tools.call_format").score([TRAJ, "no call"], tools=[[_tool()]] * 2)
    assert s.values == [1.0, None]


def _tool() -> dict:
    return {"type": "function", "function": {"name": "calculate", "parameters": {
        "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


def test_bench_scores_the_shipped_trajectory_file(tmp_path):
    from rewardkit import bench

    summary = bench.run(str(ROLLOUTS), rewards=["tools.call_format", "tools.result_used", "math.equivalence"],
                        label="is_correct", out=str(tmp_path / "out"))
    by = {name: r["distribution"] for name, r in summary["rewards"].items()}
    assert by["math.equivalence"]["mean"] == pytest.approx(0.75)   # judged on the final answers
    assert summary["rewards"]["tools.call_format"]["outcomes"]["none"] == 1  # the flat completion made no call
    assert by["tools.call_format"]["mean"] == pytest.approx(4 / 7)
    assert by["tools.result_used"]["mean"] == pytest.approx(0.75)


def test_bench_names_the_row_of_a_malformed_trajectory(tmp_path):
    from rewardkit import bench
    from rewardkit.errors import DataError

    rows = [json.loads(line) for line in ROLLOUTS.read_text().splitlines()][:2]
    rows[1]["completion"][0]["tool_calls"][0]["function"]["arguments"] = 7
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=r"row 2.*message 0, tool_calls\[0\]: function.arguments"):
        bench.run(str(path), rewards=["tools.call_format"], out=str(tmp_path / "out"))


class NamedProbe:
    """A reward reading the trajectory and a 'budget' column, and a probe family aimed at it by name."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def few_calls(*, completions, prompts, trajectory, budget):
            return [float(0 < len(tool_calls(t)) <= b) for t, b in zip(trajectory, budget)]

        register(few_calls, name="agt.few_calls", description="some calls, within the budget",
                 columns=("trajectory", "budget"))

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_probes(register):
        def too_many(row, target):
            call = {"type": "function", "function": {"name": "f", "arguments": "{}"}}
            return [("three", [{"role": "assistant", "content": "", "tool_calls": [call] * 3},
                               {"role": "assistant", "content": row.gold}], {"budget": 2})]

        register("agt_too_many", too_many, targets=("agt.few_calls",), description="over the budget")


def test_probe_family_aimed_at_a_reward_by_name_with_its_own_columns():
    from rewardkit.plugins import register_plugin, unregister_plugin
    from rewardkit.probe import probe

    register_plugin(NamedProbe, "agt")
    try:
        result = probe(["agt.few_calls", "format.tags"], rows=3, family=["agt_too_many", "empty_shell"])
    finally:
        unregister_plugin("agt")
    mine = result["rewards"]["agt.few_calls"]
    assert mine["families"]["agt_too_many"]["attacks"] == 3 and mine["families"]["agt_too_many"]["accepted"] == 0
    assert "empty_shell" not in mine["families"]  # it brings no 'budget' column
    assert "agt_too_many" not in result["rewards"]["format.tags"]["families"]


CONVERSATIONS = ROLLOUTS.with_name("conversations.jsonl")


def _score_cli(*args: str) -> list[dict]:
    from click.testing import CliRunner

    from rewardkit.cli import cli

    result = CliRunner().invoke(cli, ["score", *args, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_score_reads_a_jsonl_of_message_lists():
    """Each line a whole conversation: the user turn is the prompt, the rest the trajectory scored."""
    out = _score_cli("-f", str(CONVERSATIONS), "-r", "tools.result_used")
    assert [r["tools.result_used"]["value"] for r in out] == [1.0, 1.0, 1.0, 0.0, None, None, None, None]


def test_score_fills_the_trajectory_column_itself(tmp_path):
    """The trajectory column comes from the completion (score used to demand it from the file)."""
    out = _score_cli("-f", str(ROLLOUTS), "-r", "tools.call_format", "-r", "math.equivalence")
    assert [r["tools.call_format"]["value"] for r in out][:3] == [1.0, 1.0, 1.0]
    assert sum(r["math.equivalence"]["value"] == 1.0 for r in out) == 6
    rows = [json.loads(x) for x in ROLLOUTS.read_text().splitlines()]
    objs = tmp_path / "objs.jsonl"  # {"messages": [...], columns...}: the messages split, the columns kept
    objs.write_text("".join(json.dumps({"messages": [{"role": "user", "content": r["prompt"]}, *r["completion"]],
                                        "answer": r["answer"]}) + "\n" for r in rows[:2]))
    assert [r["math.equivalence"]["value"] for r in _score_cli("-f", str(objs), "-r", "math.equivalence")] == [1.0, 1.0]
