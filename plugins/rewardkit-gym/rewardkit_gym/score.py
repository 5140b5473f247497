"""gym.score: a completion's answer scored by the reasoning-gym task's own ``score_answer``."""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from .answer import extract_answer
from .trust import check_trusted, nonfinite_answer

log = logging.getLogger("rewardkit_gym")

#: Tasks whose scorers are plain string/number comparisons: scored inline, not in worker processes.
FAST_TASKS = frozenset({
    "basic_arithmetic", "chain_sum", "products", "leg_counting", "count_bits", "gcd", "lcm",
    "letter_counting", "number_sorting", "simple_equations", "decimal_arithmetic", "fraction_simplification",
    "prime_factorization", "base_conversion", "power_function", "word_sorting", "spell_backward",
})


@functools.cache
def scorer(task: str) -> Callable[[str | None, dict[str, Any]], float]:
    """The ``score_answer`` of reasoning-gym's task ``task`` (a ``ValueError`` names an unknown task)."""
    import reasoning_gym

    try:
        return reasoning_gym.get_score_answer_fn(task)
    except ValueError:
        from reasoning_gym.factory import DATASETS

        raise ValueError(f"gym.score: unknown reasoning-gym task {task!r} "
                         f"(there are {len(DATASETS)}: rewardkit_gym.tasks() lists them)") from None


#: Tasks whose scorers compare boards with the tuple-of-tuples grids of their metadata (JSON gives lists).
GRID_TASKS = frozenset({"arc_agi", "rearc"})


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def as_metadata(value: Any, task: str = "") -> dict[str, Any]:
    """A row's ``metadata`` as a dict (a JSON string, as some files store it, is decoded)."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError(f"gym.score: column 'metadata' must be a dict (or its JSON), got {type(value).__name__}")
    if task in GRID_TASKS:
        value = {k: _tuples(v) if k in ("input", "output") else v for k, v in value.items()}
    return value


def raw_score(completion: str, prompt: str, task: str, answer: Any, metadata: Any, fallback: bool = False) -> float:
    """What reasoning-gym's own scorer gives the completion's answer (no answer: 0); its exceptions propagate."""
    got = extract_answer(completion, prompt, fallback=fallback)
    if got is None:
        return 0.0
    return float(scorer(str(task))(got, _entry(task, answer, metadata)))


def _entry(task: Any, answer: Any, metadata: Any) -> dict[str, Any]:
    return {"answer": None if answer is None else str(answer), "metadata": as_metadata(metadata, str(task))}


def score_one(completion: str, prompt: str, task: str, answer: Any, metadata: Any, fallback: bool,
              allow_untrusted: bool = False) -> float:
    """One completion's score in [0, 1]: the task's own scorer behind the trust rules (docs/gym.md).

    * a task of :data:`rewardkit_gym.trust.REFUSED` raises :class:`~rewardkit_gym.trust.UntrustedTaskError`
      (an error outcome naming the task) unless ``allow_untrusted``;
    * no ``<answer>`` (without ``fallback``) scores 0;
    * an answer holding a non-finite number (``nan``, ``inf``, ``1e400``) that the gold does not hold
      scores 0 (``complex_arithmetic`` gave ``nan`` 1.0);
    * a scorer that raises on the answer, while it scores the gold answer, scores 0: the answer is
      malformed, hence wrong (logged on the ``rewardkit_gym`` logger). A scorer that raises on the
      gold too is an error outcome (bad metadata), never a 0.
    """
    check_trusted(str(task), allow_untrusted)
    got = extract_answer(completion, prompt, fallback=fallback)
    if got is None:
        return 0.0
    if nonfinite_answer(got, answer):
        return 0.0
    entry = _entry(task, answer, metadata)
    score_answer = scorer(str(task))
    try:
        value = float(score_answer(got, entry))
    except Exception as exc:  # noqa: BLE001 - decided below: a malformed answer, or bad metadata
        _malformed(score_answer, str(task), entry, got, exc)
        return 0.0
    if not math.isfinite(value):
        raise ValueError(f"gym.score: {task}.score_answer returned {value!r}")
    return min(1.0, max(0.0, value))


def _malformed(score_answer: Callable[..., Any], task: str, entry: dict[str, Any], got: str, exc: Exception) -> None:
    """Log a scorer exception on a malformed answer (a 0); re-raise when the gold answer raises too."""
    try:
        score_answer(entry["answer"], entry)
    except Exception:  # noqa: BLE001 - the row, not the answer, is broken: an error outcome
        raise ValueError(f"gym.score: {task}.score_answer raises {type(exc).__name__} on the row's own gold "
                         f"answer too ({exc}): check the row's answer and metadata") from exc
    log.info("gym.score: %s.score_answer raised %s on the answer %r: a malformed answer, scored 0 (wrong)",
             task, type(exc).__name__, got[:80])


def gym_score(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any], answer: Sequence[Any],
              metadata: Sequence[Any], fallback: bool = False, allow_untrusted: bool = False) -> list[float | None]:
    """Score each completion with its row's task scorer (the reward function, any task)."""
    return [score_one(c, p, t, a, m, fallback, allow_untrusted)
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]


def gym_score_fast(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any], answer: Sequence[Any],
                   metadata: Sequence[Any], fallback: bool = False, allow_untrusted: bool = False) -> list[Any]:
    """Inline path: tasks in :data:`FAST_TASKS` are scored here, the rest deferred to worker processes."""
    from rewardkit import DEFER

    return [score_one(c, p, t, a, m, fallback, allow_untrusted) if t in FAST_TASKS else DEFER
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]
