"""Which reasoning-gym tasks ``gym.score`` serves by default: the trust table and its rules.

A task is **refused** when one universal answer (an answer that knows nothing about the question:
``0``, ``True``, ``[]``, ``*``, a letter... see :data:`rewardkit_gym.trust_scan.UNIVERSAL`) scores
``>= 0.5`` on at least half the scanned items *behind gym.score's guards*: GRPO would learn it.
The guards are :func:`nonfinite_answer` (``nan``/``inf`` score 0) and "a scorer exception on a
malformed answer is a 0". ``allow_untrusted=True`` (a ``gym.score`` parameter, and an option of the
``reasoning-gym:<task>`` data source) serves a refused task anyway.

The numbers come from ``trust_table.py``, which ``python -m rewardkit_gym.trust_scan --write``
regenerates. A task missing from the table (a generator newer than the scan) is served.
"""

from __future__ import annotations

import functools
from typing import Any

from rewardkit.utils import nonfinite_numbers

from .trust_table import ITEMS, SCAN


class UntrustedTaskError(ValueError):
    """A task that universal answers pass is refused (the message names the task and the answer)."""


def nonfinite_answer(answer: str, gold: Any) -> bool:
    """Whether ``answer`` holds a non-finite number (``nan``, ``inf``, ``1e400``) that the gold does not."""
    found = nonfinite_numbers(answer)
    if not found:
        return False
    gold_tokens = {t.lower() for t in nonfinite_numbers(str(gold))}
    return any(t.lower() not in gold_tokens for t in found)


def weakness(task: str, scan: dict[str, dict[str, Any]] | None = None) -> tuple[str, int, int] | None:
    """``(answer, hits, items)`` of the universal answer that passes ``task`` most often behind the
    guards, when it passes at least half the items; else ``None``."""
    row = (SCAN if scan is None else scan).get(task)
    if not row or not row.get("items"):
        return None
    guarded = row.get("guarded") or {}
    if not guarded:
        return None
    answer, hits = max(guarded.items(), key=lambda kv: kv[1])
    return (answer, int(hits), int(row["items"])) if 2 * hits >= row["items"] else None


#: Tasks refused by default, with the universal answer that passes them.
REFUSED: dict[str, tuple[str, int, int]] = {t: w for t in sorted(SCAN) if (w := weakness(t)) is not None}


def no_gold(task: str) -> bool:
    """Whether ``task``'s items have no gold answer (its scorer checks a solution's validity: ``boxnet``,
    ``graph_color``...): the scan found no item with a gold to perturb."""
    row = SCAN.get(task) or {}
    return bool(row.get("items")) and not row.get("error") and row.get("wrong_mean") is None


@functools.cache
def library_default_scorer(task: str) -> bool:
    """Whether ``task`` keeps reasoning-gym's default ``score_answer``: 1 for an equal answer, and
    ``len(gold) / len(answer)`` for any answer that merely *contains* the gold (``-1`` holds ``1``: 0.5)."""
    from reasoning_gym.dataset import ProceduralDataset
    from reasoning_gym.factory import DATASETS

    cls = DATASETS[task][0] if task in DATASETS else None
    return cls is not None and cls.score_answer is ProceduralDataset.score_answer


def partial_credit_kept(task: str) -> bool:
    """Whether a score below 1 stands for ``task``: only where the trust table shows that a wrong answer
    earns none (its perturbed golds' mean score is 0, no wrong answer containing the gold earns partial
    credit) and the scorer is not the library's default containment rule. Everywhere else a score below 1
    is 0: a wrong answer must not be paid."""
    row = SCAN.get(task) or {}
    return row.get("wrong_mean") == 0 and not row.get("contained_partial") and not library_default_scorer(task)


def check_trusted(task: str, allow_untrusted: bool = False) -> None:
    """Raise :class:`UntrustedTaskError` naming ``task`` when it is refused and not allowed."""
    if allow_untrusted or task not in REFUSED:
        return
    answer, hits, items = REFUSED[task]
    raise UntrustedTaskError(
        f"reasoning-gym task {task!r} is refused by default: the universal answer {answer!r} scores >= 0.5 "
        f"on {hits}/{items} scanned items, so a policy can learn it without solving anything (docs/gym.md, "
        "trust table). To use it anyway: gym.score's parameter allow_untrusted=true, and for the data source "
        "allow_untrusted = true in [task.config]."
    )


def _cell(counts: dict[str, int]) -> str:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ", ".join(f"`{a or '(empty)'}` {n}" for a, n in top) or "-"


def markdown(scan: dict[str, dict[str, Any]], items: int = ITEMS) -> str:
    """The trust table as Markdown: one row per task that something passes, raises or credits."""
    lines = [
        f"| task | verdict | universal answers >= 0.5 (of {items}): library | behind gym.score's guards "
        "| scorer raised on | wrong answer's mean score | partial credit of a wrong answer holding the gold "
        "| scores below 1 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for task in sorted(scan):
        row = scan[task]
        if row.get("error"):
            lines.append(f"| `{task}` | not scanned: {row['error'][:80]} | | | | | | |")
            continue
        wrong, held = row.get("wrong_mean"), row.get("contained_partial")
        if not (row.get("hits") or row.get("raised") or wrong or held):
            continue
        w = weakness(task, scan)
        verdict = f"**refused** (`{w[0] or '(empty)'}` {w[1]}/{w[2]})" if w else "served"
        raised = ", ".join(f"{k} {v}" for k, v in sorted(row.get("raised", {}).items())) or "-"
        kept = wrong == 0 and not held and not library_default_scorer(task)
        lines.append(f"| `{task}` | {verdict} | {_cell(row.get('hits', {}))} | {_cell(row.get('guarded', {}))} "
                     f"| {raised} | {'-' if not wrong else f'{wrong:.2f}'} | {'-' if not held else f'{held:.2f}'} "
                     f"| {'kept' if kept else '0'} |")
    return "\n".join(lines) + "\n"
