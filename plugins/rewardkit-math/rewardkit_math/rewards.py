"""The rewards: ``math.equivalence`` (with its inline fast path) and ``math.parseable``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rewardkit import DEFER

from .compare import Undecided, equivalent
from .evaluate import close
from .extraction import MAX_CANDIDATES, STRATEGIES, check_order, extract
from .parse import Node, ParseError, parse, plain_number

MAX_DISTINCT = 8  # distinct final answers compared under multiple="reject"
MULTIPLE = ("reject", "last", "first")


class _Unparseable(Exception):
    pass


def _parse_answer(text: str) -> tuple[str, Any]:
    """``("num", Fraction)`` for a plain number, ``("node", Node)`` otherwise; raises _Unparseable."""
    num = plain_number(text)
    if num is not None:
        return "num", num
    try:
        return "node", parse(text)
    except (ParseError, RecursionError):
        raise _Unparseable from None


@lru_cache(maxsize=8192)
def gold_answer(gold: str, order: tuple[str, ...] = STRATEGIES) -> tuple[str, Any] | None:
    """The parsed gold answer, or None when it cannot be parsed.

    Gold answers go through the same marker strategies as completions (GSM8K ``#### 18`` and
    ``A: 18``, ``\\boxed{}``, ``$...$``); without a marker the whole gold text must parse (no
    last-number guess: a broken gold answer is "not applicable", never a silent 0).
    """
    if not isinstance(gold, str):
        gold = str(gold) if isinstance(gold, (int, float)) and not isinstance(gold, bool) else ""
    markers = tuple(s for s in order if s not in ("expression", "last_number"))
    found = extract(gold, markers) if markers else None
    text = found.candidates[-1] if found else gold.strip()
    try:
        return _parse_answer(text)
    except _Unparseable:
        return None


def prediction(completion: str, order: tuple[str, ...], multiple: str) -> list[tuple[str, Any]] | None:
    """The parsed final answers of the deciding strategy (unparseable ones dropped), or None."""
    found = extract(completion, order)
    if found is None:
        return None
    if multiple == "reject" and found.total > MAX_CANDIDATES:
        return None  # dozens of final answers: a listing, not an answer
    texts = list(found.candidates)
    if multiple == "last":
        texts = texts[-1:]
    elif multiple == "first":
        texts = texts[:1]
    parsed: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for text in reversed(texts):
        key = text.strip()
        if key in seen:
            continue
        try:
            parsed.append(_parse_answer(text))
        except _Unparseable:
            continue
        seen.add(key)
        if multiple != "reject" or len(parsed) > MAX_DISTINCT:
            break
    parsed.reverse()
    return parsed or None


def _as_node(item: tuple[str, Any]) -> Node:
    return ("num", item[1]) if item[0] == "num" else item[1]


def _same(a: tuple[str, Any], b: tuple[str, Any], tol: float, scalar: Any) -> bool:
    if a[0] == "num" and b[0] == "num":
        return close(a[1], b[1], tol)
    if scalar is None:
        return equivalent(_as_node(a), _as_node(b), tol)
    return equivalent(_as_node(a), _as_node(b), tol, scalar)


def judge(completion: str, gold: Any, tolerance: float, extract: tuple[str, ...], multiple: str, scalar: Any = None) -> float | None:
    """1.0 / 0.0 for one item, None when the gold cannot be parsed; raises Undecided."""
    g = gold_answer(gold if isinstance(gold, str) else str(gold), tuple(extract))
    if g is None:
        return None
    preds = prediction(completion, tuple(extract), multiple)
    if not preds:
        return 0.0
    if len(preds) > MAX_DISTINCT:
        return 0.0
    final = preds[-1]
    for other in preds[:-1]:  # several different final answers: none of them counts
        if not _same(other, final, tolerance, scalar):
            return 0.0
    return 1.0 if _same(g, final, tolerance, scalar) else 0.0


class SymbolicError(RuntimeError):
    """Sympy failed on an item (the host records it as an error, not as a 0)."""


def _symbolic_scalar(a: Node, b: Node, tol: float) -> bool:
    from .compare import scalar_equal
    from .symbolic import Bounds, sympy_equal

    try:
        return scalar_equal(a, b, tol)
    except Undecided:
        pass
    try:
        return sympy_equal(a, b, tol)
    except Bounds:
        return False
    except Exception as exc:  # noqa: BLE001 - re-raised without str() of sympy objects in it
        raise SymbolicError(f"sympy raised {type(exc).__name__} while comparing answers") from None


def equivalence(*, completions: list[str], prompts: list[str], answer: list[Any], tolerance: float,
                extract: tuple[str, ...], multiple: str) -> list[float | None]:
    """Full check (numeric, then sympy for what numbers cannot decide); runs in worker processes.

    What neither can decide within the bounds is not equivalent (0.0).
    """
    del prompts
    out: list[float | None] = []
    for c, a in zip(completions, answer):
        try:
            out.append(judge(c, a, tolerance, extract, multiple, _symbolic_scalar))
        except Undecided:
            out.append(0.0)
    return out


def equivalence_fast(*, completions: list[str], prompts: list[str], answer: list[Any], tolerance: float,
                     extract: tuple[str, ...], multiple: str) -> list[Any]:
    """Inline fast path: decides numbers and bounded numeric checks; DEFER for the rest."""
    del prompts
    out: list[Any] = []
    for c, a in zip(completions, answer):
        try:
            out.append(judge(c, a, tolerance, extract, multiple))
        except Undecided:
            out.append(DEFER)
    return out


def parseable(*, completions: list[str], prompts: list[str], extract: tuple[str, ...]) -> list[float]:
    """1.0 when a final answer can be extracted and parsed, else 0.0."""
    del prompts
    order = tuple(extract)
    return [1.0 if prediction(c, order, "last") else 0.0 for c in completions]


def check_params(params: dict[str, Any]) -> None:
    """Validate the extraction order (names and no repeats)."""
    order = params.get("extract", STRATEGIES)
    if not order:
        raise ValueError("extract must name at least one strategy")
    check_order(order)
    if len(set(order)) != len(order):
        raise ValueError("extract names a strategy twice")
