"""``json.match``: field-level agreement of the completion's JSON with a gold JSON value."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import response_text

from .extract import find_json, missing, parse_gold

Path = tuple[Any, ...]
_MISSING = object()


def leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, value) of every leaf: scalars, and empty objects/arrays (iterative: no recursion limit)."""
    stack = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, dict) and v:
            stack.extend((p + (k,), x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list) and v:
            stack.extend((p + (i,), x) for i, x in reversed(list(enumerate(v))))
        else:
            yield p, v


def lookup(value: Any, path: Path) -> Any:
    """The value at ``path`` (object keys, array indices), or ``_MISSING``."""
    for step in path:
        if isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(step, int) and isinstance(value, list) and 0 <= step < len(value):
            value = value[step]
        else:
            return _MISSING
    return value


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same(gold: Any, pred: Any, rel_tol: float, abs_tol: float, strings: str) -> bool:
    """Leaf agreement: numbers within tolerance, strings after normalisation, the rest exactly."""
    if _number(gold) and _number(pred):
        return math.isclose(gold, pred, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(gold, str) and isinstance(pred, str):
        if strings == "exact":
            return gold == pred
        gold, pred = " ".join(gold.split()), " ".join(pred.split())
        return gold.casefold() == pred.casefold() if strings == "casefold" else gold == pred
    return type(gold) is type(pred) and gold == pred


def agreement(gold: Any, pred: Any, mode: str, rel_tol: float, abs_tol: float, strings: str) -> float:
    """Share of gold leaves matched (recall), or F1 with the prediction's own leaves."""
    gold_leaves = list(leaves(gold))
    hits = sum(
        1 for p, g in gold_leaves if (v := lookup(pred, p)) is not _MISSING and same(g, v, rel_tol, abs_tol, strings)
    )
    recall = hits / len(gold_leaves)
    if mode == "recall":
        return recall
    n_pred = sum(1 for _ in leaves(pred))
    precision = hits / n_pred if n_pred else 0.0
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


#: Completions up to this size are scored inline; longer ones go to a worker under the deadline.
INLINE_MAX_CHARS = 1_000_000


def _score(completions: list[str], gold: list[Any], mode: str, rel_tol: float, abs_tol: float, strings: str,
           answer_only: str, answer_tag: str, inline: bool) -> list[Any]:
    out: list[Any] = []
    for row, (completion, cell) in enumerate(zip(completions, gold)):
        if missing(cell):  # an unlabelled row: not applicable (never a gold of null that `null` matches)
            out.append(None)
            continue
        want = parse_gold(cell, row, "gold")
        if inline and len(completion) > INLINE_MAX_CHARS:
            out.append(DEFER)
            continue
        kind = "object" if isinstance(want, dict) else "array" if isinstance(want, list) else "any"
        found = find_json(response_text(completion, answer_only, answer_tag), kind)
        out.append(agreement(want, found.value, mode, rel_tol, abs_tol, strings) if found.ok else 0.0)
    return out


def match(*, completions: list[str], prompts: list[str], gold: list[Any], mode: str, rel_tol: float,
          abs_tol: float, strings: str, answer_only: str, answer_tag: str) -> list[float | None]:
    """Field-level agreement with the gold JSON; 0 when the completion holds no JSON, None without a gold."""
    return _score(completions, gold, mode, rel_tol, abs_tol, strings, answer_only, answer_tag, False)


def match_fast(*, completions: list[str], prompts: list[str], gold: list[Any], mode: str, rel_tol: float,
               abs_tol: float, strings: str, answer_only: str, answer_tag: str) -> list[Any]:
    """The inline path of ``json.match``: completions over ``INLINE_MAX_CHARS`` go to a worker."""
    return _score(completions, gold, mode, rel_tol, abs_tol, strings, answer_only, answer_tag, True)
