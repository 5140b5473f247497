"""Preference pairs: reading them, capping pairs per prompt, and a held-out split by prompt."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    """One preference: for ``prompt``, ``chosen`` is better than ``rejected``."""

    prompt: str
    chosen: str
    rejected: str


def read_pairs(path: str | Path, *, prompt: str = "prompt", chosen: str = "chosen", rejected: str = "rejected") -> list[Pair]:
    """Pairs from a JSONL/CSV/Parquet file or a saved dataset; columns may be text or chat messages."""
    from rewardkit.utils import column, completion_text, read_rows

    rows = read_rows(path)
    cols = [column(rows, name) for name in (prompt, chosen, rejected)]
    out = []
    for i, (p, c, r) in enumerate(zip(*cols)):
        try:
            out.append(Pair(completion_text(p, where="prompt"), completion_text(c, where="chosen"), completion_text(r, where="rejected")))
        except TypeError as exc:
            from rewardkit import DataError

            raise DataError(f"{rows.source}: row {i + 1}: {exc}") from None
    return out


def by_prompt(pairs: Iterable[Pair]) -> dict[str, list[Pair]]:
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(pair.prompt, []).append(pair)
    return groups


def cap_per_prompt(pairs: Sequence[Pair], limit: int | None, seed: int = 0) -> list[Pair]:
    """At most ``limit`` pairs per prompt, chosen at random (reproducibly); ``None`` keeps all."""
    if limit is None:
        return list(pairs)
    rng = random.Random(seed)
    out = []
    for group in by_prompt(pairs).values():
        out += group if len(group) <= limit else rng.sample(group, limit)
    return out


def split_by_prompt(pairs: Sequence[Pair], eval_fraction: float, seed: int = 0) -> tuple[list[Pair], list[Pair]]:
    """(train, held-out): whole prompts go to one side, so no prompt is seen in both."""
    if not 0.0 <= eval_fraction < 1.0:
        raise ValueError(f"eval fraction must be in [0, 1), got {eval_fraction}")
    groups = by_prompt(pairs)
    prompts = list(groups)
    random.Random(seed).shuffle(prompts)
    n_eval = round(len(prompts) * eval_fraction)
    if eval_fraction > 0 and n_eval == 0 and len(prompts) > 1:
        n_eval = 1
    held = set(prompts[:n_eval])
    train = [p for p in pairs if p.prompt not in held]
    test = [p for p in pairs if p.prompt in held]
    return train, test


def pairwise_accuracy(chosen: Sequence[float | None], rejected: Sequence[float | None]) -> tuple[float, int]:
    """Share of pairs where chosen scores above rejected (a tie counts half); pairs with a None are skipped.

    Returns (accuracy, pairs counted); accuracy is NaN when no pair counts.
    """
    total = 0.0
    n = 0
    for c, r in zip(chosen, rejected):
        if c is None or r is None:
            continue
        n += 1
        total += 1.0 if c > r else 0.5 if c == r else 0.0
    return (total / n if n else float("nan")), n
