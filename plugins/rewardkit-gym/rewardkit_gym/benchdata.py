"""Bench data: generated items with their gold answer and a perturbed one, for ``rewardkit bench``.

    python -m rewardkit_gym.benchdata items.jsonl --items 1000
    rewardkit bench items.jsonl -r gym.score --label is_correct -o bench-gym

Writes two rows per item (``completion`` = ``<answer>gold</answer>`` with ``is_correct`` true, and
the perturbed answer with ``is_correct`` false), spread evenly over :data:`TASKS`, with the
columns ``gym.score`` reads (``task``, ``answer``, ``metadata``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .checks import perturb
from .source import generate

#: Served tasks whose scorers execute nothing (``number_sorting``'s evals its gold: gym.score refuses it).
TASKS = ("basic_arithmetic", "chain_sum", "letter_counting", "word_sorting", "spell_backward")


def bench_rows(items: int, seed: int = 0) -> list[dict[str, object]]:
    """``2 * items`` rows: a gold and a perturbed completion for each generated item."""
    rows: list[dict[str, object]] = []
    per_task = [items // len(TASKS) + (i < items % len(TASKS)) for i in range(len(TASKS))]
    for task, n in zip(TASKS, per_task):
        for item in generate(task, size=n, seed=seed):
            for text, ok in ((item["answer"], True), (perturb(str(item["answer"])), False)):
                rows.append({**item, "completion": f"<answer>{text}</answer>", "is_correct": ok})
    return rows


@click.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--items", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True)
def main(out: str, items: int, seed: int) -> None:
    """Write the bench file OUT (JSONL)."""
    rows = bench_rows(items, seed)
    with Path(out).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    click.echo(f"{out}: {len(rows)} rows ({items} items x gold/perturbed) of {', '.join(TASKS)}")


if __name__ == "__main__":
    main()
