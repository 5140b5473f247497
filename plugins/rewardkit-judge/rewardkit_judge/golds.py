"""The gold side of ``judge.equivalence``: a missing gold, the gold's final answer, and whether the gold
is plain math (a number or expression the math rule reads whole) so that the math rule's 1 may decide.

A gold with a unit, a word, a time of day or a formula (``100 km``, ``5 apples``, ``3:00 pm``, ``CO2``,
``30^\\circ``, ``\\text{5 cm}``, ``$5``) is not plain math: ``math.equivalence`` reads ``100 km`` and
``100 miles`` both as 100, so its 1 is no evidence there and the judge decides.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: LaTeX commands a plain math answer may hold. ``\\text``, ``\\mathrm``, ``\\mbox``, ``\\circ``, ``\\$`` ... are
#: not among them: they carry words, units and currencies.
MATH_COMMANDS = frozenset(
    "frac dfrac tfrac sqrt pi cdot times div pm mp infty le leq ge geq ne neq lt gt cup cap in notin setminus "
    "sin cos tan cot sec csc arcsin arccos arctan log ln exp left right dots ldots cdots displaystyle boxed "
    "emptyset varnothing alpha beta gamma delta epsilon varepsilon theta lambda mu sigma phi varphi omega tau "
    "rho quad qquad overline".split()
)
_ENV_RE = re.compile(r"\\(?:begin|end)\{[a-z]*matrix\*?\}")
_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_SPACING_RE = re.compile(r"\\[,;:! ]|\\[{}%]")
_DELIMITED_RE = re.compile(r"^(?:\$\$(.*)\$\$|\$(.*)\$|\\\((.*)\\\)|\\\[(.*)\\\])$", re.DOTALL)
#: Signs of a unit, a word or a formula in what is left once the math commands are gone: two letters in a
#: row (``km``, ``CO``), a letter before a digit (``H2O``), a letter after a number and a blank (``5 g``),
#: a colon (``3:00``), a currency sign, a degree sign or any other non-ASCII letter but pi.
_NOT_PLAIN_RE = re.compile(r"[A-Za-z]{2}|[A-Za-z]\d|\d\s+[A-Za-z]|[:$€£¥°]|[^\x00-\x7fπ√∞−·×÷≤≥≠]")


def missing(answer: Any) -> bool:
    """Whether a gold cell holds no answer: ``None``, NaN (a blank pandas cell) or blank text."""
    if answer is None:
        return True
    if isinstance(answer, float) and math.isnan(answer):
        return True
    return isinstance(answer, str) and not answer.strip()


def gold_text(answer: Any) -> str:
    """The gold final answer: the text after the last ``####`` (GSM8K solutions), else all of it, stripped."""
    text = str(answer)
    cut = text.rfind("####")
    return (text[cut + 4 :] if cut >= 0 else text).strip()


def plain_math(gold: str) -> bool:
    """Whether ``gold`` is a number or a math expression with nothing the math rule would drop."""
    text = gold.strip()
    m = _DELIMITED_RE.match(text)
    if m:
        text = next(g for g in m.groups() if g is not None).strip()
    text = _SPACING_RE.sub(" ", _ENV_RE.sub(" ", text))
    if not any(ch.isalnum() for ch in text) or any(n not in MATH_COMMANDS for n in _COMMAND_RE.findall(text)):
        return False
    text = _COMMAND_RE.sub(" # ", text)  # "\pi r" is no two-letter word, "2 \pi" no number before a unit
    return not _NOT_PLAIN_RE.search(text)
