"""verifiers 0.4 (``verifiers.v1``): any rewardkit reward or composite as verifiers reward functions.

verifiers 0.4 has no v0 ``Rubric``: a task's rewards are ``@vf.reward`` methods ``(task, trace) ->
float | Mapping[str, float]`` (and ``@vf.metric`` ones, recorded but not summed), found on the ``Task``
class. :func:`reward` returns such a function, ready to assign in a ``Task`` subclass::

    import verifiers.v1 as vf
    from rewardkit.integrations.verifiers import reward, metrics

    class MathTask(vf.Task[MathData, vf.State, vf.TaskConfig]):
        correct = reward("math.equivalence")                       # trace.rewards["math_equivalence"]
        shaped = reward([{"name": "format.tags", "weight": 0.5}, {"name": "math.equivalence"}], name="shaped")
        locals().update(metrics(shaped))                           # trace.metrics["shaped_format_tags"], ...

verifiers records a reward under the function's name: the reward's name with ``.`` as ``_``, or ``name=``.

The completion is ``trace.last_reply`` (the root agent's answer, else the last assistant message); the
prompt is the task's ``prompt`` (its last user message); the task's data fields are the columns (a
reward reading ``answer`` gets ``task.answer``; ``columns={"answer": "solution"}`` maps them).

Outcomes map onto verifiers' own records: a value is the reward's score (the composite's total, or
the shaped term value for a metric); ``None`` (not applicable) records nothing (the function returns
an empty mapping, so the trace's reward total leaves it out); an error or a timeout raises
:class:`RewardkitScoreError`, which verifiers' task boundary records as a ``TaskError`` on the trace
(``trace.has_error``; the reward keeps the ``None`` verifiers seeded for "did not run"), so the rollout
is not trained as a measured score.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.integrations._target import Outcome, build, outcomes

CACHE = 4096


class RewardkitScoreError(RewardkitError):
    """A reward errored or timed out on this trace (verifiers records it as the task's error)."""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # messages, or content parts
        parts = [_text(getattr(p, "content", None) if not isinstance(p, Mapping) else p.get("content", p.get("text")))
                 for p in content if _role(p) in ("user", None)]
        return parts[-1] if parts else ""
    return "" if content is None else str(getattr(content, "text", content))


def _role(message: Any) -> str | None:
    return message.get("role") if isinstance(message, Mapping) else getattr(message, "role", None)


class _Scorer:
    """Scores one trace once (a reward and its metrics share the result), keyed by the trace's id."""

    def __init__(self, target: Any, columns: Mapping[str, str] | None) -> None:
        self.target, self.columns = target, dict(columns or {})
        self._done: OrderedDict[str, Outcome] = OrderedDict()

    async def outcome(self, task: Any, trace: Any) -> Outcome:
        key = str(getattr(trace, "id", id(trace)))
        if key not in self._done:
            data = task.model_dump() if hasattr(task, "model_dump") else dict(task)
            for column, field in self.columns.items():
                data[column] = data.get(field)
            columns = {k: [v] for k, v in data.items() if k not in ("prompt", "system_prompt")}
            completion, prompt = trace.last_reply, _text(data.get("prompt"))
            result = await asyncio.to_thread(outcomes, self.target, [completion], [prompt], **columns)
            self._done[key] = result[0]
            while len(self._done) > CACHE:
                self._done.popitem(last=False)
        return self._done[key]


class RewardFunction:
    """A verifiers ``@vf.reward`` (or ``@vf.metric``) callable ``(task, trace)``; not a method, so it can
    be assigned in a ``Task`` class as it is."""

    def __init__(self, scorer: _Scorer, name: str, term: str | None, kind: str, weight: float) -> None:
        self._scorer, self._term = scorer, term
        self.__name__ = self.__qualname__ = name
        setattr(self, kind, True)
        setattr(self, f"{kind}_priority", 0)
        if kind == "reward":
            self._vf_weight = weight

    async def __call__(self, task: Any, trace: Any) -> float | Mapping[str, float]:
        item = await self._scorer.outcome(task, trace)
        if item.status in ("error", "timeout"):
            raise RewardkitScoreError(f"rewardkit {self.__name__}: {item.status}: {item.message or ''}".rstrip(": "))
        value = item.value if self._term is None else item.terms.get(self._term)
        return {} if value is None else float(value)


def _name(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def reward(target: Any, *, name: str | None = None, weight: float = 1.0, config: str | None = None,
           columns: Mapping[str, str] | None = None) -> RewardFunction:
    """A verifiers reward function scoring with ``target``: a reward name (``"NAME:k=v"``), a list of
    them (equal weights) or of ``[[reward]]`` tables, a built :class:`rewardkit.Reward` or
    :class:`rewardkit.Composite`, or ``config=`` a training config's ``[[reward]]`` terms."""
    built = build(None, config) if config is not None else (
        target if hasattr(target, "score") else build(target))
    label = name or (_name(built.name) if hasattr(built, "name") and isinstance(built.name, str) else "rewardkit")
    return RewardFunction(_Scorer(built, columns), label, None, "reward", weight)


def metrics(function: RewardFunction) -> dict[str, RewardFunction]:
    """Each term of ``function``'s composite as a verifiers ``@vf.metric`` (recorded, not summed),
    named ``<reward name>_<term>``; they share the reward's scoring (one call per trace)."""
    from rewardkit.composite import Composite

    target = function._scorer.target
    terms = [t.name for t in target.terms] if isinstance(target, Composite) else [target.name]
    return {f"{function.__name__}_{_name(term)}": RewardFunction(function._scorer, f"{function.__name__}_{_name(term)}",
                                                                 term, "metric", 1.0) for term in terms}
