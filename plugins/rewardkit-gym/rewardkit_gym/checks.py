"""Per-generator self-check: a generated item's own gold answer scores 1, a perturbed one lower.

    python -m rewardkit_gym.checks            # every generator, one line each, then a summary

The check goes through the same path as ``gym.score_sandboxed`` (``<answer>`` extraction, the task's own
``score_answer``, in bubblewrap for the tasks whose scorers execute text), on items generated with the
generator's default config.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field

from .score import score_one
from .source import generate, tasks

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def perturb(answer: str) -> str:
    """A wrong answer near ``answer``: its last number ``n`` becomes ``2n + 7`` (``n + 10`` where that
    would move it by less than 5, so that scorers with a tolerance, such as number_sorting's 1,
    still reject it), else its last letter changes.

    >>> perturb("42"), perturb("x = -3"), perturb("-7"), perturb("-6.1"), perturb("abc"), perturb("...")
    ('91', 'x = 7', '3', '3.9', 'abx', '...?')
    """
    found = list(_NUMBER.finditer(answer))
    if found:
        m = found[-1]
        text = m.group(0)
        value = float(text)
        value = 2 * value + 7 if abs(value + 7) >= 5 else value + 10  # -7 is the fixed point of 2n + 7
        bumped = str(int(value)) if "." not in text else f"{value:.{len(text.split('.')[1])}f}"
        return answer[: m.start()] + bumped + answer[m.end():]
    letters = [i for i, ch in enumerate(answer) if ch.isalpha()]
    if letters:
        i = letters[-1]
        return answer[:i] + ("y" if answer[i].lower() == "x" else "x") + answer[i + 1:]
    return answer + "?"


@dataclass
class Check:
    """Outcome of one generator's check."""

    task: str
    items: int = 0
    gold_ok: int = 0
    perturbed_lower: int = 0
    seconds: float = 0.0
    error: str | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and self.items > 0 and self.gold_ok == self.items == self.perturbed_lower


def check_generator(task: str, *, items: int = 3, seed: int = 0) -> Check:
    """Generate ``items`` items of ``task``; score each gold answer and a perturbed one."""
    out = Check(task)
    start = time.perf_counter()
    try:
        rows = generate(task, size=items, seed=seed)
        for row in rows:
            gold = row["answer"]
            if gold is None:
                raise ValueError("the item has no gold answer (its scorer checks a solution's validity)")
            good = score_one(f"<answer>{gold}</answer>", "", task, gold, row["metadata"], False, True, True)
            bad = score_one(f"<answer>{perturb(gold)}</answer>", "", task, gold, row["metadata"], False, True, True)
            if good is None or bad is None:
                raise ValueError(f"not applicable (None) for the gold {gold[:60]!r}")
            out.items += 1
            out.gold_ok += good == 1.0
            out.perturbed_lower += bad < good
            if good != 1.0 or not bad < good:
                out.failures.append(f"gold {gold[:60]!r} -> {good}, perturbed -> {bad}")
    except Exception as exc:  # noqa: BLE001 - a generator that cannot be checked is reported with its error
        out.error = f"{type(exc).__name__}: {str(exc)[:200]}"
    out.seconds = round(time.perf_counter() - start, 3)
    return out


def main() -> None:
    """Check every generator and print one JSON line each, then the count that passed."""
    names = sys.argv[1:] or tasks()
    passed = 0
    for name in names:
        c = check_generator(name)
        passed += c.passed
        print(json.dumps({"task": c.task, "passed": c.passed, "items": c.items, "gold_ok": c.gold_ok,
                          "perturbed_lower": c.perturbed_lower, "seconds": c.seconds, "error": c.error,
                          "failures": c.failures[:2]}))
        sys.stdout.flush()
    print(f"{passed}/{len(names)} generators passed")


if __name__ == "__main__":
    main()
