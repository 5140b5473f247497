"""Numbers written in a text, read as values: ``1/2``, ``2/4``, ``.5``, ``0.50`` and ``\\frac{1}{2}`` are one
value, ``2/1`` another; ``-5``, ``\u22125`` (a Unicode minus) and ``- 5`` (a spaced minus that starts the text
or follows ``=``, ``:``, a bracket or ``is``) are minus five; ``1 1/2`` is three halves.

Values are exact fractions (no float overflow, no rounding); two values agree when they differ by at most
one part in 10^9 (``0.3333333333`` is ``1/3``, ``3.14`` is not ``3.14159``). Scanning is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Value", "agrees", "agrees_any", "values"]

_UNSIGNED = r"(?:\d{1,300}(?:,\d{3}){0,100}(?:\.\d{1,300})?|\.\d{1,300})"
_NUM = _UNSIGNED + r"(?:[eE][-+]?\d{1,3})?"
_END = r"(?![\w.]|\s{0,3}/\s{0,3}\d)"  # not glued to a word, not the start of a date chain (12/25/2024)
_VALUE_RE = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212] ?)?(?:"
    r"(?P<whole>\d{1,300}) {1,3}(?P<mn>\d{1,300})/(?P<md>\d{1,300})" + _END +  # mixed number: 1 1/2
    r"|\\[dt]?frac\{\s{0,3}(?P<ln>" + _UNSIGNED + r")\s{0,3}\}\{\s{0,3}(?P<ld>" + _UNSIGNED + r")\s{0,3}\}"
    r"|(?<!/)(?P<fn>" + _UNSIGNED + r")\s{0,3}/\s{0,3}(?P<fd>" + _UNSIGNED + r")" + _END +  # 1/2, 2 / 4
    r"|(?P<num>" + _NUM + r")(?!\w))"
)
#: what a spaced minus (``- 5``) may follow and still be a sign, not a subtraction (``7 - 5``)
_SIGN_AFTER = ("=", ":", "(", "[", "{")
_SIGN_WORD = re.compile(r"(?i)(?:^|\s)(?:is|be|was|equals)$")
TOLERANCE = Fraction(1, 10**9)


@dataclass(frozen=True)
class Value:
    start: int
    end: int
    value: Fraction
    plain: bool  # one number as written (``.5``, ``-5``), not a fraction or mixed number computed from two


def _number(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def _magnitude(m: re.Match[str]) -> Fraction | None:
    try:
        if m.group("whole") is not None:
            return int(m.group("whole")) + Fraction(int(m.group("mn")), int(m.group("md")))
        if m.group("ln") is not None:
            return _number(m.group("ln")) / _number(m.group("ld"))
        if m.group("fn") is not None:
            return _number(m.group("fn")) / _number(m.group("fd"))
        return _number(m.group("num"))
    except (ZeroDivisionError, ValueError):
        return None  # 1/0 is no value


def _sign_may_stand(text: str, at: int) -> bool:
    """Whether a spaced minus at ``text[at]`` is a sign: it starts the text or follows ``=``, ``:``, a
    bracket or ``is`` (``7 - 5`` is a subtraction)."""
    before = text[max(0, at - 16) : at].rstrip()
    if not before:
        return at == 0 or text[:at].isspace()
    return before.endswith(_SIGN_AFTER) or _SIGN_WORD.search(before) is not None


def _signed(text: str, m: re.Match[str]) -> tuple[int, int]:
    """``(sign, start)`` of the value matched by ``m``."""
    sign = m.group("sign")
    if not sign:
        return 1, m.start()
    if sign.endswith(" ") and not _sign_may_stand(text, m.start()):
        return 1, m.start() + len(sign)
    return (-1 if sign[0] in "-\u2212" else 1), m.start()


def values(text: str) -> list[Value]:
    """The values written in ``text``, in order."""
    out = []
    for m in _VALUE_RE.finditer(text):
        magnitude = _magnitude(m)
        if magnitude is not None:
            sign, start = _signed(text, m)
            out.append(Value(start, m.end(), sign * magnitude, m.group("num") is not None))
    return out


def agrees(a: Fraction, b: Fraction) -> bool:
    """Equal within one part in 10^9 (and within 10^-9 near zero)."""
    return a == b or abs(a - b) <= max(TOLERANCE * max(abs(a), abs(b)), TOLERANCE)


def agrees_any(a: Fraction, pool: list[Fraction]) -> bool:
    return any(agrees(a, b) for b in pool)
