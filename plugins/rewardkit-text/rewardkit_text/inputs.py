"""Preparing completions and references: the <answer> content, normalisation, reference lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rewardkit.utils import COMPARISON_SIGNS, answer_span

_PUNCT = re.compile(r"[^\w\s]|_")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def answer_text(completion: str, mode: str, tag: str) -> str:
    """The answer part of a completion, read by :func:`rewardkit.utils.answer_span` (the host's rule).

    ``auto``: the final ``<tag>...</tag>`` span's content when there is one, else the whole
    completion; ``yes``: the span's content, or "" when there is none; ``no``: the whole completion.
    """
    if mode == "no":
        return completion
    span = answer_span(completion, tag)
    if span is not None:
        return span
    return completion if mode == "auto" else ""


# a number with the sign or comparison written against it (``-5``, ``x-1``, ``x - 1``, ``>5``, ``≠ 5``, ``~5``),
# thousands and decimals
#: the first characters of a comparison (the host's signs, rewardkit.utils.COMPARISON_SIGNS) or an
#: approximation, which stays before its number (``>5``, ``!=5``, ``~5`` are not ``5``)
_COMPARISONS = frozenset(COMPARISON_SIGNS + "\u2248~!")
_NUMBER_IN_TEXT = re.compile(
    r"(?:([-+\u2212]|[" + COMPARISON_SIGNS + r"\u2248~]=?|!=) ?)?((?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
    r"(?:/\d+(?![\d.]))?)"
)


def _number(m: re.Match[str], text: str) -> str:
    """One number written canonically: thousands separators and trailing decimal zeros dropped, its
    sign kept (a ``+`` only between two operands: ``x+1``, never ``+5``); ``-0`` is ``0``."""
    sign, digits = m.group(1) or "", m.group(2).replace(",", "")
    if "." in digits and "/" not in digits:
        digits = digits.rstrip("0").rstrip(".")
    before = text[: m.start()].rstrip()[-1:]
    binary = bool(before) and (before.isalnum() or before in ")]}")
    if sign[:1] in _COMPARISONS:
        return (" " if binary else "") + sign + digits
    if sign == "+" and not binary:
        sign = ""
    if sign and set(digits) <= {"0", "."} and not binary:
        sign = ""
    return (" " if binary else "") + ("-" if sign == "\u2212" else sign) + digits


def _without_punct(text: str, numbers: bool) -> str:
    """Punctuation and symbols deleted; with ``numbers``, a number's sign, decimal point and a comparison
    before it are kept (``-5`` is not ``5``, ``1.5`` is not ``15``, ``x-1`` is not ``x+1``, ``>5`` is not ``5``)."""
    if not numbers or not any(ch.isdigit() for ch in text):
        return _PUNCT.sub("", text)
    out, pos = [], 0
    for m in _NUMBER_IN_TEXT.finditer(text):
        out.append(_PUNCT.sub("", text[pos : m.start()]))
        out.append(_number(m, text))
        pos = m.end()
    out.append(_PUNCT.sub("", text[pos:]))
    return "".join(out)


def normalise(text: str, case: bool, punct: bool, space: bool, articles: bool = False, numbers: bool = False) -> str:
    """Lower-case, delete punctuation and symbols, drop English articles, collapse blanks.

    Collapsing blanks also turns control characters into blanks. With ``numbers`` (``text.exact``),
    deleting punctuation keeps what makes a number: its sign and decimal point (see :func:`_without_punct`).
    """
    if case:
        text = text.lower()
    if punct:
        text = _without_punct(text, numbers)
    if articles:
        text = _ARTICLES.sub(" ", text)
    if space:
        text = " ".join(_CONTROL.sub(" ", text).split())
    return text


def references(value: Any, row: int, column: str) -> tuple[str, ...]:
    """The non-empty references in one row's cell: a string, a number, or a list of them."""
    if value is None or (isinstance(value, float) and value != value):
        return ()  # a missing reference (None, NaN from a table): not applicable
    if isinstance(value, str):
        items: Any = (value,)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = (str(value),)
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise TypeError(
            f"column {column!r}, row {row}: expected a string or a list of strings, got {type(value).__name__}"
        )
    out = []
    for item in items:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if item is None or (isinstance(item, float) and item != item):
            continue
        if not isinstance(item, str):
            raise TypeError(
                f"column {column!r}, row {row}: expected a string or a list of strings, found {type(item).__name__} in the list"
            )
        if item.strip():
            out.append(item)
    return tuple(out)


_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def as_number(text: str) -> float | None:
    """``"1,234.5"`` -> 1234.5; anything but a plain decimal number (blanks and a final '.' aside) -> None."""
    t = text.strip().rstrip(".").strip()
    if not _NUMBER.match(t):
        return None
    return float(t.replace(",", ""))


def numeric_items(completions: Sequence[str], reference: Sequence[Any], answer_only: str, answer_tag: str,
                  column: str) -> dict[int, float]:
    """Exact scores for the items whose references are all plain numbers.

    Character or word overlap between numbers means nothing (``626`` shares two characters with
    ``623``, ``623 thousand`` half its words with ``623``), so such an item scores 1 when its
    answer is exactly one of the numbers and 0 otherwise (found by ``rewardkit probe``).
    """
    out: dict[int, float] = {}
    for i, (c, v) in enumerate(zip(completions, reference)):
        refs = references(v, i, column)
        values = [as_number(r) for r in refs]
        if not refs or any(x is None for x in values):
            continue
        got = as_number(answer_text(c, answer_only, answer_tag))
        out[i] = 1.0 if got is not None and got in values else 0.0
    return out
