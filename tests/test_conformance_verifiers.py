"""verifiers 0.4's own Task scoring and Trace objects with rewardkit reward functions (issue 34 item 5).

A ``vf.Task`` subclass holds :func:`rewardkit.integrations.verifiers.reward` functions; verifiers'
``Task.score`` discovers and runs them on a ``vf.Trace`` built from verifiers' own message types, and
records rewards, metrics and errors the way it does for its own functions. Before: there was no
adapter (verifiers 0.4 has no v0 ``Rubric``; each reward needed hand-written glue).
Runs where verifiers is installed (scripts/install_conformance.sh).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

vf: Any = pytest.importorskip("verifiers.v1", reason="verifiers is installed by scripts/install_conformance.sh")

from rewardkit.integrations.verifiers import metrics, reward  # noqa: E402


class MathData(vf.TaskData):
    answer: str | None = None


def _trace(data: MathData, reply: str) -> Any:
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import AgentInfo, TraceTask

    return vf.Trace(task=TraceTask(type="math", data=data), agent=AgentInfo(config={}),
                    nodes=[MessageNode(message=vf.UserMessage(content=str(data.prompt))),
                           MessageNode(parent=0, message=vf.AssistantMessage(content=reply), sampled=True)])


def _score(task: Any, trace: Any) -> Any:
    asyncio.run(task.score(trace))
    return trace


def _task_class() -> type:
    shaped = reward([{"name": "format.tags", "weight": 0.5}, {"name": "math.equivalence"}], name="shaped")

    class MathTask(vf.Task):
        correct = reward("math.equivalence")
        locals().update(metrics(shaped))

    MathTask.shaped = shaped
    return MathTask


def test_rewards_and_metrics_recorded_by_verifiers() -> None:
    data = MathData(prompt="What is 2+3?", answer="5")
    trace = _score(_task_class()(data), _trace(data, "<think>2+3</think><answer>5</answer>"))
    assert trace.rewards["math_equivalence"].score == 1.0
    assert trace.rewards["shaped"].score == pytest.approx(1.5)
    assert trace.metrics == {"shaped_format_tags": 1.0, "shaped_math_equivalence": 1.0}
    assert trace.reward == pytest.approx(2.5)
    wrong = _score(_task_class()(data), _trace(data, "<answer>7</answer>"))
    assert wrong.rewards["math_equivalence"].score == 0.0


def test_not_applicable_records_nothing() -> None:
    data = MathData(prompt="What is 2+3?", answer=None)  # no gold: math.equivalence is not applicable

    class GoldOnly(vf.Task):
        correct = reward("math.equivalence")

    trace = _score(GoldOnly(data), _trace(data, "<answer>5</answer>"))
    assert "math_equivalence" not in trace.rewards and trace.reward == 0.0


def test_error_is_verifiers_task_error(core_plugin: Any) -> None:
    data = MathData(prompt="Q", answer="1")

    class Broken(vf.Task):
        bad = reward("t.misbehave")

    trace = _trace(data, "raise")
    with pytest.raises(vf.TaskError, match="t_misbehave: error"):
        asyncio.run(Broken(data).score(trace))
    assert trace.rewards == {"t_misbehave": None}  # verifiers' seed: the reward did not run
