"""rewardkit.integrations without the peers installed (their own code runs in tests/test_conformance_*.py)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest

import rewardkit
from rewardkit.errors import RewardkitError
from rewardkit.integrations import _target
from rewardkit.integrations import openrlhf as openrlhf_module
from rewardkit.integrations import verifiers as vf_module
from rewardkit.integrations.verl import compute_score


def test_build_accepts_the_spellings_and_refuses_neither() -> None:
    assert isinstance(_target.build("math.equivalence"), rewardkit.Reward)
    both = _target.build(["format.tags", "math.equivalence:timeout=5"])
    assert isinstance(both, rewardkit.Composite) and [t.name for t in both.terms] == ["format.tags", "math.equivalence"]
    assert _target.build("format.tags") is _target.build("format.tags")  # built once, reused
    with pytest.raises(RewardkitError, match="not both or neither"):
        _target.build(None, None)


def test_verl_compute_score_flags_failures(core_plugin: Any) -> None:
    ok = compute_score("gsm8k", "<think>a</think><answer>5</answer>", 5, reward=["format.tags", "math.equivalence"])
    assert ok["score"] == 2.0 and ok["rewardkit/math.equivalence"] == 1.0 and ok["rewardkit_error"] == 0.0
    bad = compute_score("x", "raise", "1", reward="t.misbehave", fill=-1.0)
    assert bad == {"score": -1.0, "rewardkit_none": 0.0, "rewardkit_error": 1.0, "rewardkit_timeout": 0.0}


def test_openrlhf_reward_func(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDKIT_REWARD", "format.tags;math.equivalence")
    monkeypatch.setenv("REWARDKIT_STRIP", "<|im_end|>")
    monkeypatch.setattr(openrlhf_module, "_batcher", None)
    out = openrlhf_module.reward_func(["Q: 2+3? <think>a</think><answer>5</answer><|im_end|>"], ["Q: 2+3? "], ["5"])
    assert out["rewards"] == [2.0] and out["extra_logs"]["math.equivalence"] == [1.0]
    assert out["extra_logs"]["rewardkit/error"] == [0.0]


def test_batcher_merges_concurrent_calls() -> None:
    seen: list[int] = []

    def double(items: list[int]) -> list[int]:
        seen.append(len(items))
        return [i * 2 for i in items]

    batcher = openrlhf_module.Batcher(double, window=0.2)
    results: dict[int, list[int]] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, batcher([i]))) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {i: [i * 2] for i in range(6)}
    assert sum(seen) == 6 and len(seen) < 6


def test_batcher_error_reaches_every_caller() -> None:
    def boom(items: list[int]) -> list[int]:
        raise ValueError("scorer broke")

    batcher = openrlhf_module.Batcher(boom, window=0.0)
    with pytest.raises(ValueError, match="scorer broke"):
        batcher([1])


def test_verifiers_function_maps_outcomes(core_plugin: Any) -> None:
    fn = vf_module.reward("t.misbehave")
    assert fn.__name__ == "t_misbehave" and vars(fn)["reward"] is True and fn._vf_weight == 1.0

    def run(reply: str) -> Any:
        trace = SimpleNamespace(id=reply, last_reply=reply)
        return asyncio.run(fn({"prompt": "Q"}, trace))

    assert run("fine") == 0.5
    assert run("none") == {}
    with pytest.raises(vf_module.RewardkitScoreError, match="error"):
        run("raise")
