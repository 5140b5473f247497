"""Per-turn rewards (rewardkit.turns): the declared mode, the host's shape checks, the reductions, composites."""

from __future__ import annotations

import importlib.util
import pickle

import pytest

import rewardkit
from rewardkit.composite import Composite
from rewardkit.errors import CompositeError, ParameterError, RegistrationError
from rewardkit.outcomes import Status
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.spec import build_spec
from rewardkit.turns import per_turn, reduce_turns, score_turns, turn_stats


def _call(expr: str, cid: str) -> dict:
    return {"id": cid, "type": "function", "function": {"name": "calculate", "arguments": {"expression": expr}}}


#: three assistant turns: a good call, a malformed call (not a JSON object), the answer
THREE = [
    {"role": "assistant", "content": "", "tool_calls": [_call("17 * 23", "a")]},
    {"role": "tool", "tool_call_id": "a", "name": "calculate", "content": "391"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "b", "type": "function", "function": {"name": "calculate", "arguments": "expression=1"}}]},
    {"role": "tool", "tool_call_id": "b", "name": "calculate", "content": "{'error': 'bad arguments'}"},
    {"role": "assistant", "content": "<answer>391</answer>"},
]
TOOLS = [{"type": "function", "function": {"name": "calculate", "parameters": {
    "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}]


class Turny:
    """A test plugin: ``turny.len`` scores each assistant turn by its length; ``turny.bad`` breaks the shape."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def whole(*, completions, prompts, trajectory):
            return [1.0 for _ in completions]

        def by_length(*, completions, prompts, trajectory, cap):
            return [[None if not m.get("content") else min(1.0, len(m["content"]) / cap)
                     for m in t if m["role"] == "assistant"] for t in trajectory]

        def bad(*, completions, prompts, trajectory, how):
            if how == "raise":
                raise RuntimeError("boom")
            if how == "short":
                return [[1.0] for _ in trajectory]
            if how == "range":
                return [[2.0] * sum(m["role"] == "assistant" for m in t) for t in trajectory]
            return [1.0 for _ in trajectory]  # a scalar where a list is due

        register(whole, name="turny.len", description="length per turn", columns=("trajectory",),
                 params={"cap": 20.0}, turns=by_length)
        register(whole, name="turny.bad", description="broken per-turn mode", columns=("trajectory",),
                 params={"how": "short"}, turns=bad)
        register(whole, name="turny.flat", description="no per-turn mode", columns=("trajectory",))


@pytest.fixture(autouse=True)
def plugin():
    register_plugin(Turny, "turny")
    yield
    unregister_plugin("turny")


def test_reductions():
    assert reduce_turns([None, 1.0, 0.0], "last") == 0.0
    assert reduce_turns([None, 1.0, 0.0], "mean") == 0.5
    assert reduce_turns([1.0, None, 1.0], "discounted", 0.5) == pytest.approx(1.25)
    assert reduce_turns([None, None], "mean") is None
    with pytest.raises(ValueError, match="turns"):
        reduce_turns([1.0], "max")


def test_score_turns_gives_one_value_per_assistant_turn():
    flat = "<answer>7</answer>"  # plain text: one assistant turn
    ts = score_turns(rewardkit.reward("turny.len", cap=10.0), [THREE, flat])
    assert ts.turns == [[None, None, 1.0], [1.0]]
    assert ts.statuses == [Status.VALUE, Status.VALUE]
    stats = turn_stats(ts)
    assert [r["judged"] for r in stats["turns"]] == [1, 0, 1] and stats["judged_turns"] == 2
    assert describe_flag("turny.len") and not describe_flag("turny.flat")


def describe_flag(name: str) -> bool:
    return rewardkit.rewards()[name]["per_turn"]


@pytest.mark.parametrize("how, needle", [
    ("short", "completion 0: 1 values for 3 assistant turns"),
    ("range", "completion 0, turn 0: .*outside its declared range"),
    ("scalar", "completion 0: expected a list with one value per assistant turn, got float"),
    ("raise", "raised RuntimeError: boom"),
])
def test_the_host_checks_the_shape_and_values(how, needle):
    ts = score_turns(rewardkit.reward("turny.bad", how=how), [THREE])
    assert ts.turns == [None] and ts.statuses == [Status.ERROR]
    assert pytest.importorskip("re").search(needle, ts.messages[0]), ts.messages[0]


def test_a_reward_without_per_turn_mode_says_so():
    with pytest.raises(ParameterError, match="no per-turn mode"):
        score_turns(rewardkit.reward("turny.flat"), [THREE])
    with pytest.raises(CompositeError, match=r"reward\[0\]\.turns: .*no per-turn mode"):
        Composite.from_config([{"name": "turny.flat", "turns": "last"}])


def test_composite_terms_reduce_turns_and_round_trip():
    comp = Composite.from_config([
        {"name": "turny.len", "params": {"cap": 10.0}, "turns": "mean", "alias": "mean"},
        {"name": "turny.len", "params": {"cap": 10.0}, "turns": "discounted", "discount": 0.5, "alias": "disc"},
        {"name": "turny.len", "params": {"cap": 10.0}, "turns": "last", "alias": "last"},
    ])
    scores = comp.score([THREE])
    assert scores.raw["mean"].values == [1.0]
    assert scores.raw["disc"].values == [pytest.approx(0.25)]   # 0.5 ** 2 * 1.0 (the third turn)
    assert scores.shaped["disc"] == [pytest.approx(0.125)]       # range (0, 1 / (1 - 0.5)) -> unit
    assert scores.total == [pytest.approx(1.0 + 0.125 + 1.0)]
    assert comp.config()[1]["turns"] == "discounted" and comp.config()[1]["discount"] == 0.5
    again = pickle.loads(pickle.dumps(comp))
    assert again.signatures == comp.signatures and "[turns=discounted,discount=0.5]" in comp.signatures["disc"]
    with pytest.raises(CompositeError, match=r"reward\[0\]\.turns: .*expected one of"):
        Composite.from_config([{"name": "turny.len", "turns": "max"}])
    with pytest.raises(CompositeError, match=r"reward\[0\]\.discount"):
        Composite.from_config([{"name": "turny.len", "turns": "discounted", "discount": 1.0}])


def test_a_failed_per_turn_item_is_an_error_outcome_in_the_composite():
    comp = Composite.from_config([{"name": "turny.bad", "turns": "last"}])
    scores = comp.score([THREE])
    assert scores.total == [None] and scores.dropped == [True]
    assert per_turn(rewardkit.reward("turny.bad"), "last").score([THREE]).statuses == [Status.ERROR]


def test_registration_refuses_a_per_turn_mode_it_cannot_run():
    with pytest.raises(RegistrationError, match="per-turn mode"):
        build_spec(lambda **k: [], name="x.y", description="d", cost="model", turns=lambda **k: [])
    with pytest.raises(RegistrationError, match="per-turn mode"):
        build_spec(lambda **k: [], name="x.y", description="d", turns="not a function")


@pytest.mark.skipif(importlib.util.find_spec("rewardkit_tools") is None, reason="rewardkit-tools is not installed")
def test_tools_rewards_per_turn():
    fmt = score_turns(rewardkit.reward("tools.call_format"), [THREE], tools=[TOOLS])
    assert fmt.turns == [[1.0, 0.0, None]]                       # good call, malformed call, the answer
    used = score_turns(rewardkit.reward("tools.result_used"), [THREE], prompts=["What is 17 * 23?"])
    assert used.turns == [[None, None, 1.0]]                      # the answer states the tool's 391
    no_call = [{"role": "assistant", "content": "391"}]
    assert score_turns(rewardkit.reward("tools.call_format", require_call=True), [no_call],
                       tools=[TOOLS]).turns == [[0.0]]
    comp = Composite.from_config([{"name": "tools.call_format", "turns": "mean"}])
    assert comp.score([THREE], tools=[TOOLS]).raw["tools.call_format"].values == [0.5]


@pytest.mark.skipif(importlib.util.find_spec("rewardkit_tools") is None, reason="rewardkit-tools is not installed")
def test_bench_per_turn_figures_on_stored_rollouts(tmp_path):
    from pathlib import Path

    from rewardkit.bench.turns import per_turn_figures, write_and_print

    data = Path(__file__).resolve().parents[1] / "examples" / "agents" / "calculator_rollouts.jsonl"
    figures = per_turn_figures(data, ["tools.call_format", "tools.result_used", "math.equivalence"])
    fmt = figures["rewards"]["tools.call_format"]["turns"]
    assert [(r["turn"], r["completions"], r["judged"]) for r in fmt] == [(0, 8, 7), (1, 6, 0)]
    assert fmt[0]["mean"] == pytest.approx(4 / 7)
    used = figures["rewards"]["tools.result_used"]["turns"]
    assert used[1]["judged"] == 4 and used[1]["mean"] == 0.75
    assert figures["skipped"] == {"math.equivalence": "no per-turn mode"}
    lines: list[str] = []
    write_and_print(figures, tmp_path, lines.append)
    assert (tmp_path / "turns.json").is_file() and "turn 1: 4/6 judged, mean 0.750" in lines[1]
