"""gym.score: a completion's answer scored by the reasoning-gym task's own ``score_answer``."""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from .answer import extract_answer
from .executes import EXECUTING, check_not_executing, sandboxed_score
from .trust import check_trusted, no_gold, nonfinite_answer, partial_credit_kept

log = logging.getLogger("rewardkit_gym")

#: Tasks whose scorers are plain string/number comparisons: scored inline, not in worker processes.
FAST_TASKS = frozenset({
    "basic_arithmetic", "chain_sum", "products", "leg_counting", "count_bits", "gcd", "lcm",
    "letter_counting", "simple_equations", "decimal_arithmetic", "fraction_simplification",
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
    """What reasoning-gym's own scorer gives the completion's answer (no answer: 0); its exceptions propagate.

    In this process, with no guard: only for the trust scan's own generated items and fixed answers."""
    got = extract_answer(completion, prompt, fallback=fallback)
    if got is None:
        return 0.0
    return float(scorer(str(task))(got, _entry(task, answer, metadata)))


def _entry(task: Any, answer: Any, metadata: Any) -> dict[str, Any]:
    return {"answer": None if answer is None else str(answer), "metadata": as_metadata(metadata, str(task))}


def missing_gold(answer: Any) -> bool:
    """A row without a gold answer: ``None``, a NaN cell, or the text ``"None"`` a writer made of ``None``."""
    if answer is None or isinstance(answer, float) and math.isnan(answer):
        return True
    return isinstance(answer, str) and answer.strip() == "None"


def score_one(completion: str, prompt: str, task: str, answer: Any, metadata: Any, fallback: bool,
              allow_untrusted: bool = False, sandbox: bool = False) -> float | None:
    """One completion's score in [0, 1]: the task's own scorer behind the trust rules (docs/gym.md).

    * a task of :data:`rewardkit_gym.trust.REFUSED` raises :class:`~rewardkit_gym.trust.UntrustedTaskError`
      (an error outcome naming the task) unless ``allow_untrusted``;
    * a task whose scorer executes text (:data:`rewardkit_gym.executes.EXECUTING`) raises
      :class:`~rewardkit_gym.executes.ExecutingTaskError` unless ``sandbox`` (``gym.score_sandboxed``),
      which runs its scorer inside bubblewrap;
    * a row without a gold answer is ``None`` (not applicable), except for tasks whose scorers check a
      solution's validity and have no gold (:func:`rewardkit_gym.trust.no_gold`);
    * no ``<answer>`` (without ``fallback``) scores 0;
    * an answer holding a non-finite number (``nan``, ``inf``, ``1e400``) that the gold does not hold
      scores 0 (``complex_arithmetic`` gave ``nan`` 1.0);
    * partial credit (a score below 1) is kept only for tasks where the trust table shows that a wrong
      answer earns none (:func:`rewardkit_gym.trust.partial_credit_kept`); elsewhere it is 0
      (``letter_counting`` gave ``-1`` 0.5 against the gold ``1``);
    * a scorer that raises on the answer, while it scores the gold answer, scores 0: the answer is
      malformed, hence wrong (logged on the ``rewardkit_gym`` logger). A scorer that raises on the
      gold too is an error outcome (bad metadata), never a 0.
    """
    task = str(task)
    check_trusted(task, allow_untrusted)
    if not sandbox:
        check_not_executing(task)
    if missing_gold(answer):
        if not no_gold(task):
            return None
        answer = None
    got = extract_answer(completion, prompt, fallback=fallback)
    if got is None:
        return 0.0
    if nonfinite_answer(got, answer):
        return 0.0
    entry = _entry(task, answer, metadata)
    value = _sandboxed(task, got, entry) if task in EXECUTING else _in_process(task, got, entry)
    if not math.isfinite(value):
        raise ValueError(f"gym.score: {task}.score_answer returned {value!r}")
    value = min(1.0, max(0.0, value))
    return value if value == 1.0 or partial_credit_kept(task) else 0.0


def _in_process(task: str, got: str, entry: dict[str, Any]) -> float:
    score_answer = scorer(task)
    try:
        return float(score_answer(got, entry))
    except Exception as exc:  # noqa: BLE001 - decided below: a malformed answer, or bad metadata
        _malformed(score_answer, task, entry, got, exc)
        return 0.0


def _sandboxed(task: str, got: str, entry: dict[str, Any]) -> float:
    """The scorer run in bubblewrap; an exception on the answer is a 0 unless the gold raises too."""
    value, raised = sandboxed_score(task, got, entry)
    if raised is None:
        return float(value or 0.0)
    _, gold_raised = sandboxed_score(task, entry["answer"], entry)
    if gold_raised is not None:
        raise ValueError(f"gym.score: {task}.score_answer raises {gold_raised} on the row's own gold answer too "
                         "(in the sandbox): check the row's answer and metadata")
    log.info("gym.score: %s.score_answer raised %s on the answer %r: a malformed answer, scored 0 (wrong)",
             task, raised, got[:80])
    return 0.0


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
    """Score each completion with its row's task scorer (the reward function, any task but those whose
    scorers execute text)."""
    return [score_one(c, p, t, a, m, fallback, allow_untrusted)
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]


def gym_score_fast(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any], answer: Sequence[Any],
                   metadata: Sequence[Any], fallback: bool = False, allow_untrusted: bool = False) -> list[Any]:
    """Inline path: tasks in :data:`FAST_TASKS` are scored here, the rest deferred to worker processes."""
    from rewardkit import DEFER

    return [score_one(c, p, t, a, m, fallback, allow_untrusted) if t in FAST_TASKS else DEFER
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]


def gym_score_sandboxed(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any],
                        answer: Sequence[Any], metadata: Sequence[Any], fallback: bool = False,
                        allow_untrusted: bool = False) -> list[float | None]:
    """Like :func:`gym_score`, and the tasks whose scorers execute text are scored in a fresh bubblewrap each."""
    return [score_one(c, p, t, a, m, fallback, allow_untrusted, sandbox=True)
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]


def gym_score_sandboxed_fast(*, completions: Sequence[str], prompts: Sequence[str], task: Sequence[Any],
                             answer: Sequence[Any], metadata: Sequence[Any], fallback: bool = False,
                             allow_untrusted: bool = False) -> list[Any]:
    """Inline path: fast tasks that execute nothing here; the sandboxed ones and the rest in workers."""
    from rewardkit import DEFER

    return [score_one(c, p, t, a, m, fallback, allow_untrusted, sandbox=True)
            if t in FAST_TASKS and t not in EXECUTING else DEFER
            for c, p, t, a, m in zip(completions, prompts, task, answer, metadata)]
