"""Turn a :class:`~rewardkit.Composite` into TRL's ``reward_funcs`` and ``reward_weights``.

Each term becomes one reward function named after the term, so TRL logs
``rewards/<term>/mean`` and ``rewards/<term>/std`` for every term and combines them with
``reward_weights``. The whole composite is scored once per batch (gates need every term),
and each function returns its term's shaped, gated values; ``None`` reaches TRL as NaN,
which it leaves out of the sum. A row that a ``drop`` term failed on (the default policy) is
``None`` in *every* function, so TRL treats it as unscorable: left out of its group's mean and
std, advantage 0. Per-term counts of None, errors, timeouts and dropped rows, and the batch's
``rewardkit/dropped`` count and ``rewardkit/dropped_fraction``, go through TRL's ``log_metric``.

The functions pickle: the composite travels as its config and is rebuilt (and its reward
signatures checked) on the other side; a batch callback (``on_batch``) stays behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from .composite import Composite, CompositeScores

#: Keyword arguments TRL passes to reward functions that are not dataset columns.
TRL_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})

#: Called once per freshly scored batch: ``on_batch(scores, prompts, completions, columns)``.
BatchHook = Callable[[CompositeScores, Sequence[Any], Sequence[Any], dict[str, Any]], None]


class _BatchCache:
    """Scores a batch once and hands each term its column (TRL calls the term functions in turn)."""

    def __init__(self, composite: Composite, on_batch: BatchHook | None = None) -> None:
        self.composite = composite
        self.on_batch = on_batch
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, Any] | None = None
        self._result: CompositeScores | None = None
        self._served: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {"composite": self.composite}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.composite = state["composite"]
        self.on_batch = None
        self._reset()

    def get(self, term: str, prompts: Sequence[Any], completions: Sequence[Any],
            columns: dict[str, Any]) -> CompositeScores:
        with self._lock:
            key = self._key
            fresh = key is None or key[0] is not prompts or key[1] is not completions or term in self._served
            if fresh:
                self._result = self.composite.score(completions, prompts=prompts, **columns)
                self._key = (prompts, completions)
                self._served = set()
                if self.on_batch is not None:
                    self.on_batch(self._result, prompts, completions, columns)
            self._served.add(term)
            assert self._result is not None
            return self._result


class TermFunction:
    """One term of a composite, callable the way TRL calls reward functions; picklable."""

    def __init__(self, cache: _BatchCache, term: str) -> None:
        self._cache = cache
        self.term = term
        self.__name__ = term  # TRL names the logged metrics after this

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None,
                 **kwargs: Any) -> list[float | None]:
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        columns = {k: v for k, v in kwargs.items() if k not in TRL_KWARGS}
        result = self._cache.get(self.term, prompts, completions, columns)
        if log_metric is not None:
            self._log(result, log_metric)
        return list(result.shaped[self.term])

    def _log(self, result: CompositeScores, log_metric: Callable[[str, float], None]) -> None:
        stats = result.stats()
        mine = stats[self.term]
        for key, value in (("none", mine.none), ("errors", mine.error), ("timeouts", mine.timeout),
                           ("dropped", mine.dropped)):
            log_metric(f"rewardkit/{self.term}/{key}", float(value))
        if self.term == self._cache.composite.terms[0].name:  # once per batch
            total = stats["total"]
            log_metric("rewardkit/dropped", float(total.dropped))
            log_metric("rewardkit/dropped_fraction", total.dropped / total.count if total.count else 0.0)

    def __repr__(self) -> str:
        return f"<rewardkit term {self.term}>"


def to_trl(composite: Composite, *, on_batch: BatchHook | None = None) -> tuple[list[TermFunction], list[float]]:
    """Return ``(reward_funcs, reward_weights)`` for ``trl.GRPOTrainer`` / ``GRPOConfig``.

    ``on_batch`` (optional) sees every batch once, after it is scored (training uses it to
    record metrics and score audit terms).
    """
    cache = _BatchCache(composite, on_batch)
    funcs = [TermFunction(cache, t.name) for t in composite.terms]
    return funcs, [float(t.weight) for t in composite.terms]
