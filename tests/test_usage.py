"""The usage channel: a reward reports what a batch cost; Scores.usage and metrics.jsonl carry it."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.utils import report_usage


class _Costly:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def costly(*, completions, prompts):
            report_usage(model_calls=len(completions), tokens=10 * len(completions))
            report_usage(model_calls=1)
            return [1.0] * len(completions)

        register(costly, name="use.costly", description="reports usage")


@pytest.fixture
def costly():
    register_plugin(_Costly, "use")
    yield
    unregister_plugin("use")


def test_scores_carry_the_reported_usage(costly):
    s = rewardkit.reward("use.costly").score(["a", "b", "c"])
    assert s.usage == {"model_calls": 4.0, "tokens": 30.0}
    assert rewardkit.reward("use.costly").score([]).usage == {}


def test_reporting_outside_a_host_call_does_nothing_and_bad_amounts_raise():
    report_usage(calls=1)  # no batch being scored: ignored
    from rewardkit.usage import collecting

    with collecting() as sink, pytest.raises(ValueError, match="finite"):
        report_usage(calls=float("nan"))
    assert sink == {}


def test_recorder_writes_usage_per_term(costly):
    from rewardkit.composite import Composite
    from rewardkit.train.callbacks import Recorder

    comp = Composite.from_config([{"name": "use.costly"}])
    rec = Recorder(comp.names)
    rec.wrap(comp)
    comp.score(["a", "b"], prompts=["p", "p"])
    comp.score(["c"], prompts=["p"])
    record = rec.flush().record()
    assert record["usage"] == {"use.costly": {"model_calls": 5.0, "tokens": 30.0}}
    assert "usage" not in rec.flush().record()  # flushed
