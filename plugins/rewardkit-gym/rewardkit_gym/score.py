"""gym.score: a completion's answer scored by the reasoning-gym task's own ``score_answer``."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from .answer import extract_answer

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


def score_one(completion: str, prompt: str, task: str, answer: Any, metadata: Any, fallback: bool) -> float:
    """One completion's score in [0, 1]; no ``<answer>`` (without ``fallback``) scores 0."""
    got = extract_answer(completion, prompt, fallback=fallback)
    if got is None:
        return 0.0
    entry = {"answer": None if answer is None else str(answer), "metadata": as_metadata(metadata, str(task))}
    value = float(scorer(str(task))(got, entry))
    if not math.isfinite(value):
        raise ValueError(f"gym.score: {task}.score_answer returned {value!r}")
    return min(1.0, max(0.0, value))


def gym_score(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any], answer: Sequence[Any],
              metadata: Sequence[Any], fallback: bool = False) -> list[float | None]:
    """Score each completion with its row's task scorer (the reward function, any task)."""
    return [score_one(c, p, t, a, m, fallback) for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]


def gym_score_fast(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any], answer: Sequence[Any],
                   metadata: Sequence[Any], fallback: bool = False) -> list[Any]:
    """Inline path: tasks in :data:`FAST_TASKS` are scored here, the rest deferred to worker processes."""
    from rewardkit import DEFER

    return [score_one(c, p, t, a, m, fallback) if t in FAST_TASKS else DEFER
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]
