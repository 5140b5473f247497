"""Regenerate the trust table: universal answers against every reasoning-gym generator.

    nice python -m rewardkit_gym.trust_scan                  # every generator, 6 items each
    nice python -m rewardkit_gym.trust_scan --items 6 --write   # also rewrite rewardkit_gym/trust_table.py

For each generator, ``--items`` items are generated (seed 0, default config) and every answer of
:data:`UNIVERSAL` (``nan``, ``inf``, ``0``, ``1``, ``[]``, ``{}``, ``True``, ``None``, the empty
answer, ``*``, a letter...) is scored through the task's own ``score_answer``, inside
``<answer>...</answer>`` exactly as ``gym.score`` reads it, with the scorer's exceptions counted
apart. A perturbed gold answer (``checks.perturb``) measures the partial credit a wrong answer
earns. Each generator runs in its own process under ``--timeout`` seconds.

The table (``trust_table.py``) records, per task, how many items each universal answer scored
``>= 0.5`` on (by the library, and behind gym.score's guards: the non-finite guard and "partial
credit only where no wrong answer earns it"), how many raised, the mean score of the perturbed
answers and the highest partial credit a wrong answer containing the gold earned.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

import click

#: Answers that know nothing about the question. A task on which one of them scores >= 0.5 on half
#: the items can be learned without solving anything.
UNIVERSAL = ("nan", "inf", "-inf", "0", "1", "-1", "[]", "{}", "True", "False", "None", "", "*", "A", "a")
TABLE = Path(__file__).with_name("trust_table.py")


def scan_task(task: str, items: int, seed: int) -> dict[str, Any]:
    """One generator: universal hits (the library's and behind gym.score's guards), scorer
    exceptions, the perturbed answers' mean score, and the partial credit of wrong answers that
    contain the gold (``-G``, ``G0``, ``G W``: reasoning-gym's default scorer pays them ``len(G)/len(answer)``)."""
    from .checks import perturb
    from .source import generate
    from .trust import nonfinite_answer

    rows = generate(task, size=items, seed=seed)
    hits = {u: 0 for u in UNIVERSAL}
    scored: dict[str, list[float]] = {u: [] for u in UNIVERSAL}
    raised: dict[str, int] = {}
    wrong: list[float] = []
    contained: list[float] = []
    for row in rows:
        gold = row["answer"]
        has_gold = gold not in (None, "None", "")
        for u in UNIVERSAL:
            value = _value(task, u, row, raised)
            hits[u] += value >= 0.5
            scored[u].append(0.0 if nonfinite_answer(u, gold) else value)
        if has_gold:
            wrong.append(_value(task, perturb(gold), row, raised))
            contained += [v for t in (f"-{gold}", f"{gold}0", f"{gold} {perturb(gold)}")
                          if 0.0 < (v := _value(task, t, row, raised)) < 1.0]
    wrong_mean = round(sum(wrong) / len(wrong), 3) if wrong else None
    kept = _partial_kept(task, wrong_mean, contained)
    guarded = {u: sum(v >= 0.5 and (v == 1.0 or kept) for v in values) for u, values in scored.items()}
    return {
        "items": len(rows),
        "hits": {u: n for u, n in hits.items() if n},
        "guarded": {u: n for u, n in guarded.items() if n},
        "raised": raised,
        "wrong_mean": wrong_mean,
        "contained_partial": round(max(contained), 3) if contained else 0.0,
    }


def _value(task: str, text: str, row: dict[str, Any], raised: dict[str, int]) -> float:
    """The library's score of ``text`` (a scorer exception is counted and scores 0: a malformed answer)."""
    from .score import raw_score

    try:
        value = raw_score(f"<answer>{text}</answer>", "", task, row["answer"], row["metadata"])
    except Exception as exc:  # noqa: BLE001 - a scorer that raises on an answer is what we count
        raised[type(exc).__name__] = raised.get(type(exc).__name__, 0) + 1
        return 0.0
    return min(1.0, value) if math.isfinite(value) else 1.0  # min(1, nan) is 1


def _partial_kept(task: str, wrong_mean: float | None, contained: list[float]) -> bool:
    from .trust import library_default_scorer

    return wrong_mean == 0 and not contained and not library_default_scorer(task)


def _run(args: tuple[str, int, int]) -> dict[str, Any]:
    task, items, seed = args
    try:
        return scan_task(task, items, seed)
    except Exception as exc:  # noqa: BLE001 - a generator that cannot be scanned is reported as such
        return {"items": 0, "error": f"{type(exc).__name__}: {str(exc)[:160]}"}


def scan(names: list[str], items: int, seed: int, timeout: float) -> dict[str, dict[str, Any]]:
    """Every task in its own process (a scorer that hangs is killed and reported)."""
    out: dict[str, dict[str, Any]] = {}
    ctx = mp.get_context("fork")
    for task in names:
        start = time.perf_counter()
        with ctx.Pool(1) as pool:
            job = pool.apply_async(_run, ((task, items, seed),))
            try:
                out[task] = job.get(timeout)
            except mp.TimeoutError:
                out[task] = {"items": 0, "error": f"timed out after {timeout:g} s"}
        out[task]["seconds"] = round(time.perf_counter() - start, 2)
        click.echo(json.dumps({"task": task, **out[task]}), err=True)
    return out


def write_table(result: dict[str, dict[str, Any]], items: int, seed: int) -> None:
    """Rewrite ``trust_table.py`` from a scan."""
    body = {t: {k: v for k, v in r.items() if k != "seconds"} for t, r in sorted(result.items())}
    TABLE.write_text(
        '"""Generated by ``python -m rewardkit_gym.trust_scan --write``: do not edit by hand.\n\n'
        "Per task: ``items`` scanned, ``hits`` (universal answer -> items it scored >= 0.5 on), ``guarded``\n"
        "(the same behind gym.score's guards: non-finite answers 0, partial credit only where kept), ``raised``\n"
        "(scorer exceptions, by type), ``wrong_mean`` (mean score of a perturbed gold), ``contained_partial``\n"
        "(highest partial credit of a wrong answer containing the gold: -G, G0, G W).\n"
        '"""\n\nfrom typing import Any\n\n'
        f"UNIVERSAL = {UNIVERSAL!r}\nITEMS = {items}\nSEED = {seed}\n"
        f"SCAN: dict[str, dict[str, Any]] = {json.dumps(body, indent=1, sort_keys=True)}\n".replace(": null", ": None"),
        encoding="utf-8",
    )


@click.command()
@click.argument("names", nargs=-1)
@click.option("--items", default=6, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True)
@click.option("--timeout", default=120.0, show_default=True, help="seconds per generator")
@click.option("--write", is_flag=True, help="rewrite rewardkit_gym/trust_table.py (every generator)")
def main(names: tuple[str, ...], items: int, seed: int, timeout: float, write: bool) -> None:
    """Scan NAMES (default: every generator) and print the trust table as Markdown."""
    from .source import tasks
    from .trust import markdown

    picked = list(names) or tasks()
    result = scan(picked, items, seed, timeout)
    if write:
        if names:
            sys.exit("--write rewrites the whole table: run it without task names")
        write_table(result, items, seed)
    click.echo(markdown(result, items))


if __name__ == "__main__":
    main()
