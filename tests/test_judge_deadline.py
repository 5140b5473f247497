"""The host deadline that model-cost rewards (the judge, rm) run under: ``timeout`` seconds per item, for the batch:
a model or server that never answers does not hold the batch for hours (issue 32). Before, model
rewards ran inline with no deadline at all, and a raise re-scored every item alone, each as slow."""

from __future__ import annotations

import threading

import pytest

import rewardkit
from rewardkit import Status
from rewardkit.outcomes import Reason
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.utils import report_usage

RELEASE = threading.Event()  # set at teardown: the abandoned calls end
CALLS: list[int] = []


class _Models:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def hangs(*, completions, prompts):
            CALLS.append(len(completions))
            report_usage(asked=len(completions))
            if any("hang" in c for c in completions):
                RELEASE.wait(30)
                report_usage(late=1)  # after the deadline: must not reach the batch's usage
                raise RuntimeError("the server went away")
            return [1.0] * len(completions)

        register(hangs, name="deadline.hangs", description="a model reward whose server never answers",
                 cost="model", timeout=0.2)


@pytest.fixture
def models():
    CALLS.clear()
    RELEASE.clear()
    register_plugin(_Models, "deadline")
    yield
    RELEASE.set()
    unregister_plugin("deadline")


def test_a_model_reward_that_never_answers_times_out_at_its_deadline(models):
    s = rewardkit.reward("deadline.hangs").score(["ok", "hang", "ok", "ok"])
    assert s.statuses == [Status.TIMEOUT] * 4 and s.values == [None] * 4
    assert set(s.reasons.values()) == {Reason.TIMEOUT}
    assert "0.2s per item, 0.8s for this batch of 4" in s.messages[1]
    RELEASE.set()  # the abandoned call raises now; its item-by-item re-score must not start
    for t in threading.enumerate():
        if t.name == "rewardkit-model-reward":
            t.join(10)
    assert CALLS == [4] and s.usage == {"asked": 4.0}


def test_a_model_reward_in_time_keeps_its_values_and_usage(models):
    s = rewardkit.reward("deadline.hangs", timeout=5).score(["ok", "ok"])
    assert s.values == [1.0, 1.0] and s.usage == {"asked": 2.0}
