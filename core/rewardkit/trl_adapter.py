"""Turn a :class:`~rewardkit.Composite` into TRL's ``reward_funcs`` and ``reward_weights``.

Each term becomes one reward function named after the term, so TRL logs
``rewards/<term>/mean`` and ``rewards/<term>/std`` for every term and combines them with
``reward_weights``. The whole composite is scored once per batch (gates need every term),
and each function returns its term's shaped, gated values; ``None`` (not applicable, and
by default errors and timeouts) reaches TRL as NaN, which it leaves out of the sum.
Per-term counts of None, errors and timeouts go through TRL's ``log_metric``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

from .composite import Composite, CompositeScores

#: Keyword arguments TRL passes to reward functions that are not dataset columns.
TRL_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})


class _BatchCache:
    """Scores a batch once and hands each term its column (TRL calls the term functions in turn)."""

    def __init__(self, composite: Composite) -> None:
        self.composite = composite
        self._lock = threading.Lock()
        self._key: tuple[Any, Any] | None = None
        self._result: CompositeScores | None = None
        self._served: set[str] = set()

    def get(self, term: str, prompts: Sequence[Any], completions: Sequence[Any], columns: dict[str, Any]) -> CompositeScores:
        with self._lock:
            fresh = self._key is None or self._key[0] is not prompts or self._key[1] is not completions or term in self._served
            if fresh:
                self._result = self.composite.score(completions, prompts=prompts, **columns)
                self._key = (prompts, completions)
                self._served = set()
            self._served.add(term)
            assert self._result is not None
            return self._result


class TermFunction:
    """One term of a composite, callable the way TRL calls reward functions."""

    def __init__(self, cache: _BatchCache, term: str) -> None:
        self._cache = cache
        self.term = term
        self.__name__ = term  # TRL names the logged metrics after this

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None, **kwargs: Any) -> list[float | None]:
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        columns = {k: v for k, v in kwargs.items() if k not in TRL_KWARGS}
        result = self._cache.get(self.term, prompts, completions, columns)
        if log_metric is not None:
            stats = result.stats()[self.term]
            log_metric(f"rewardkit/{self.term}/none", float(stats.none))
            log_metric(f"rewardkit/{self.term}/errors", float(stats.error))
            log_metric(f"rewardkit/{self.term}/timeouts", float(stats.timeout))
        return list(result.shaped[self.term])

    def __repr__(self) -> str:
        return f"<rewardkit term {self.term}>"


def to_trl(composite: Composite) -> tuple[list[TermFunction], list[float]]:
    """Return ``(reward_funcs, reward_weights)`` for ``trl.GRPOTrainer`` / ``GRPOConfig``."""
    cache = _BatchCache(composite)
    funcs = [TermFunction(cache, t.name) for t in composite.terms]
    return funcs, [float(t.weight) for t in composite.terms]
