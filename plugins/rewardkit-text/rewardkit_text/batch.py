"""Scoring a batch: prepare texts, cache each distinct reference once, spread large batches over cores."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .inputs import answer_text, normalise, numeric_items, references

#: Metrics that give partial credit (``exact`` is all-or-nothing already).
GRADED = ("bleu", "chrf", "rouge", "token_f1")

#: Batches at least this large are split across worker processes (when there are several cores).
PARALLEL_MIN_ITEMS = int(os.environ.get("REWARDKIT_TEXT_PARALLEL_MIN", "4096"))


@lru_cache(maxsize=32)
def make_scorer(metric: str, config: tuple) -> Any:
    """The scorer object for ``metric`` built from its (hashable) ``config``."""
    if metric == "bleu":
        from .sacre import Bleu

        return Bleu(*config)
    if metric == "chrf":
        from .sacre import Chrf

        return Chrf(*config)
    if metric == "rouge":
        from .rouge_metric import Rouge

        return Rouge(*config)
    if metric == "exact":
        from .overlap import Exact

        return Exact()
    if metric == "token_f1":
        from .overlap import TokenF1

        return TokenF1()
    raise ValueError(f"unknown text metric {metric!r}")


def score_prepared(metric: str, config: tuple, hyps: Sequence[str], refs: Sequence[tuple[str, ...]]) -> list[float | None]:
    """Score prepared texts; each distinct reference tuple is processed once."""
    scorer = make_scorer(metric, config)
    cache: dict[tuple[str, ...], Any] = {}
    out: list[float | None] = []
    for hyp, ref in zip(hyps, refs):
        if not ref:
            out.append(None)
            continue
        info = cache.get(ref)
        if info is None:
            info = cache[ref] = scorer.reference(ref)
        out.append(scorer.score(hyp, info))
    return out


def _score_chunk(chunk: tuple) -> list[Any]:
    """Runs in a rewardkit worker process: one chunk of a large batch."""
    return score_prepared(*chunk)


def _workers() -> int:
    from rewardkit.utils import default_workers

    return default_workers()


def score_parallel(metric: str, config: tuple, hyps: list[str], refs: list[tuple[str, ...]]) -> list[float | None]:
    """Split a large batch into one chunk per core (items sharing a reference stay together)."""
    from rewardkit.utils import map_in_workers

    workers = _workers()
    order = sorted(range(len(hyps)), key=lambda i: refs[i])
    size = -(-len(order) // workers)
    chunks = [order[k : k + size] for k in range(0, len(order), size)]
    args = [(metric, config, [hyps[i] for i in c], [refs[i] for i in c]) for c in chunks]
    results = map_in_workers(_score_chunk, args, timeout=3600.0, key=f"rewardkit_text:{metric}:{config!r}")
    out: list[float | None] = [None] * len(hyps)
    for idx, values in zip(chunks, results):
        for i, v in zip(idx, values):
            out[i] = v
    return out


def run(
    metric: str, config: tuple, completions: Sequence[str], reference: Sequence[Any], *, column: str,
    answer_only: str, answer_tag: str, norm: tuple[bool, bool, bool, bool], numbers: str = "overlap",
) -> list[float | None]:
    """The whole path of a text reward: extract, normalise, group by reference, score.

    With ``numbers="exact"`` a graded metric scores an item whose references are all numbers as
    1 when the answer is one of those numbers and 0 otherwise (see :func:`numeric_items`)."""
    keep = metric == "exact"  # text.exact compares numbers as numbers (sign and decimal point kept)
    hyps = [normalise(answer_text(c, answer_only, answer_tag), *norm, numbers=keep) for c in completions]
    refs = [tuple(normalise(r, *norm, numbers=keep) for r in references(v, i, column)) for i, v in enumerate(reference)]
    refs = [tuple(r for r in rs if r.strip()) or () for rs in refs] if any(norm) else refs
    if numbers == "exact" and metric in GRADED:
        numeric = numeric_items(completions, reference, answer_only, answer_tag, column)
        if numeric:
            rest = [i for i in range(len(hyps)) if i not in numeric]
            out: list[float | None] = [None] * len(hyps)
            for i, v in numeric.items():
                out[i] = v
            for i, graded in zip(rest, _score(metric, config, [hyps[i] for i in rest], [refs[i] for i in rest])):
                out[i] = graded
            return out
    return _score(metric, config, hyps, refs)


def _score(metric: str, config: tuple, hyps: list[str], refs: list[tuple[str, ...]]) -> list[float | None]:
    if len(hyps) >= PARALLEL_MIN_ITEMS and _workers() > 1:
        return score_parallel(metric, config, hyps, refs)
    return score_prepared(metric, config, hyps, refs)
