"""Whether a final answer *states* a value a tool returned (``tools.result_used``): compared as values, with
its unit, not denied, not offered as one of several, not listed among choices.

Numbers are read as values (:mod:`.values`: ``2/1`` is not ``1/2``; ``.5``, ``1/2`` and ``2/4`` are ``0.5``);
a unit attached to the answer's value must agree with the result's (``5 feet`` is not ``5 meters``;
:func:`rewardkit.utils.answer_unit`); a negation (:func:`rewardkit.utils.negated`) or an alternative in its
sentence (``A, B, C, or D``) makes it no answer, and so does an empty answer slot (``The answer is  .``).
"""

from __future__ import annotations

import bisect
import math
import re
from fractions import Fraction

from rewardkit.utils import answer_unit, empty_slot, negated, units_agree

from .values import Value, agrees, agrees_any, values

NUMBER = re.compile(r"(?<![\w.])-?\d{1,300}(?:,\d{3}){0,100}(?:\.\d{1,300})?(?:[eE][-+]?\d{1,3})?(?![\w])")
_BLANKS = re.compile(r"\s+")
MAX_RESULT_CHARS = 500
#: Words that deny or hedge the value they govern ("not 42", "isn't false", "never 7").
NEGATION = re.compile(r"\b(?:not|no|never|cannot|neither|nor|none|without)\b|n't\b", re.IGNORECASE)
#: Words that offer alternatives ("True or False", "either 84 or 85", "A, B, C, or D").
DISJUNCTION = re.compile(r"\b(?:or|either|maybe|perhaps|possibly)\b", re.IGNORECASE)
#: A clause ends at . ; ! ? a newline, or a comma followed by a blank (not the comma of 1,234).
CLAUSE_END = re.compile(r"[;!?\n]|\.(?!\d)|,(?=\s)")
#: A sentence ends at . ; ! ? or a newline: the scope of an alternative (``A, B, C, or D`` is one list).
SENTENCE_END = re.compile(r"[;!?\n]|\.(?!\d)")
#: Values that have an opposite: stating both is stating neither.
OPPOSITES = {"true": "false", "false": "true", "yes": "no", "no": "yes"}
#: A one-letter choice listed beside another (``A, C``, ``C/D``, ``B and C``): a list, not an answer.
_CHOICE_BEFORE = re.compile(r"(?<!\w)[a-z]\s{0,3}(?:,|/|&|\band\b)\s{0,3}$")
_CHOICE_AFTER = re.compile(r"\s{0,3}(?:,|/|&|\band\b)\s{0,3}[a-z](?!\w)")
#: A word joined to the value by a slash (``Paris/Lyon``, ``yes/no``): an alternative.
_SLASH_BEFORE = re.compile(r"\w\s{0,3}/\s{0,3}$")
_SLASH_AFTER = re.compile(r"\s{0,3}/\s{0,3}\w")
#: An answer marker whose slot may be empty (``The answer is  .``, ``Answer:``).
_MARKER = re.compile(r"(?i)\banswer\s{0,3}(?:is\b|:|=)")
#: LaTeX spellings of a symbol a text result may use (``\pi`` is ``\u03c0``).
_SYMBOLS = {"\\pi": "\u03c0", "\\infty": "\u221e", "\\theta": "\u03b8"}
_ARTICLE = re.compile(r"^(?:the|a|an) (?=\S)")
#: A result that is a symbolic expression (``2\pi``, ``2*sqrt(3)``, ``x^2``, ``2x + 3``): its numbers are
#: operands, not values the tool returned (``2`` is not ``2\pi``); it is compared as expression text.
SYMBOLIC = re.compile(
    r"\\(?!(?:[dt]?frac|boxed|fbox|text|textrm|textbf|mathrm|mbox|left|right|cdot|times)\b)[A-Za-z]+|sqrt|\u03c0|\^|"
    r"\b(?:pi|log|ln|sin|cos|tan|exp)\b|\d(?![eE][-+]?\d)[A-Za-z](?![A-Za-z])|"
    r"(?<![A-Za-z])[A-Za-z]\s{0,3}[-+*/]|[-+*/]\s{0,3}[A-Za-z](?![A-Za-z])"
)
#: Spellings of one expression: LaTeX and plain text, blanks around operators, ``*`` before a symbol.
_CANON = (
    (re.compile(r"\\left|\\right|\$|\\[,;:! ]"), ""),
    (re.compile(r"\\(?:boxed|fbox|text|textrm|textbf|mathrm|mbox)\s{0,3}\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\(?:cdot|times)"), "*"),
    (re.compile(r"\\sqrt\s{0,3}\{([^{}]*)\}"), r"sqrt(\1)"),
    (re.compile(r"\\sqrt\s{0,3}([0-9a-z\u03c0])"), r"sqrt(\1)"),
    (re.compile(r"\\[dt]?frac\s{0,3}\{(\w+)\}\s{0,3}\{(\w+)\}"), r"\1/\2"),
    (re.compile(r"\\[dt]?frac\s{0,3}\{([^{}]*)\}\s{0,3}\{([^{}]*)\}"), r"(\1)/(\2)"),
    (re.compile(r"\s*([-+*/^=()\[\]])\s*"), r"\1"),
    (re.compile(r"(?<=[\d)])\s+(?=[a-z\u03c0(\\])"), ""),
    (re.compile(r"\*(?=[a-z\u03c0(\\])"), ""),
)


def numbers(text: str) -> list[float]:
    """The finite numbers written in ``text`` as digit runs, in order (``1,234`` is 1234; ``1/2`` is 1 and 2)."""
    out = []
    for m in NUMBER.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        if math.isfinite(value):
            out.append(value)
    return out


def _norm(text: str) -> str:
    for latex, symbol in _SYMBOLS.items():
        if latex in text:
            text = re.sub(re.escape(latex) + r"(?![A-Za-z])", symbol, text)
    return _BLANKS.sub(" ", text).strip().casefold()


def _canon(text: str) -> str:
    """``text`` normalised (blanks, case, ``\\pi``) with one spelling per expression: ``2*sqrt(3)``,
    ``2\\sqrt{3}`` and ``2 \\sqrt 3`` are ``2sqrt(3)``; ``2 \\pi`` is ``2\u03c0``."""
    text = _norm(text)
    for pattern, repl in _CANON:
        text = pattern.sub(repl, text)
    return text


def _positions(pattern: re.Pattern[str], text: str) -> list[int]:
    return [m.start() for m in pattern.finditer(text)]


class Hedges:
    """Where ``text``'s clauses and sentences end and its negations and disjunctions stand, found once
    (linear), so that asking about many spans stays O(log n) each: a 1 MB answer repeating the value is no
    quadratic scan."""

    def __init__(self, text: str) -> None:
        self.ends = _positions(CLAUSE_END, text)
        self.sentence_ends = _positions(SENTENCE_END, text)
        self.negations = _positions(NEGATION, text)
        self.disjunctions = _positions(DISJUNCTION, text)

    def __call__(self, start: int, end: int) -> bool:
        """Whether the value at ``text[start:end]`` is denied in its clause ("not 42") or offered as one of
        several in its sentence ("True or False", "either 84 or 85", "A, B, C, or D")."""
        left, _ = _around(self.ends, start, end)
        if _any_in(self.negations, left, start):
            return True
        left, right = _around(self.sentence_ends, start, end)
        return _any_in(self.disjunctions, left, start) or _any_in(self.disjunctions, end, right)


def _around(ends: list[int], start: int, end: int) -> tuple[float, float]:
    k = bisect.bisect_left(ends, start)
    j = bisect.bisect_left(ends, end)
    return (ends[k - 1] if k else 0), (ends[j] if j < len(ends) else math.inf)


def _any_in(positions: list[int], lo: float, hi: float) -> bool:
    i = bisect.bisect_left(positions, lo)
    return i < len(positions) and positions[i] < hi


def hedged(text: str, start: int, end: int) -> bool:
    """Whether the value at ``text[start:end]`` is denied or offered as one of several."""
    return Hedges(text)(start, end)


def _empty_answer(answer: str) -> bool:
    """The answer's last marker (``The answer is``, ``Answer:``) holds nothing: its slot is empty on its line
    and no line follows it (``Answer:`` then the value on the next line is an answer)."""
    marks = list(_MARKER.finditer(answer))
    last = marks[-1] if marks else None
    if last is None or not empty_slot(answer[last.end():]):
        return False
    line, _, after = answer[last.end():].partition("\n")
    return bool(line.strip(" \t*")) or not after.strip()


def _unit_at(text: str, found: list[Value], i: int) -> str | None:
    """The unit attached to ``found[i]`` in ``text`` (read up to the next value)."""
    stop = found[i + 1].start if i + 1 < len(found) else len(text)
    return answer_unit(text[:stop])


def returned_values(results: list[str]) -> list[tuple[Fraction, str | None]]:
    """Every value the results hold, each with its unit (``5 meters``: ``(5, "m")``)."""
    out = []
    for r in results:
        found = values(r)
        out += [(v.value, _unit_at(r, found, i)) for i, v in enumerate(found)]
    return out


def states_number(answer: str, prompt: str, results: list[str], others: list[str]) -> bool:
    """The answer's last value is one of ``results`` returned, in an agreeing unit, not denied or offered
    as an alternative, and every other value in it comes from a tool result (``others``) or the prompt."""
    returned = returned_values(results)
    said = values(answer)
    if not said or _empty_answer(answer):
        return False
    last = said[-1]
    units = [unit for value, unit in returned if agrees(last.value, value)]
    mine = _unit_at(answer, said, len(said) - 1)
    if not any(units_agree(mine, unit) for unit in units):
        return False
    if hedged(answer, last.start, last.end) or negated(answer, last.start, last.end):
        return False
    allowed = [v for v, _ in returned] + [v.value for v in values(prompt)]
    allowed += [v.value for r in others for v in values(r)]
    allowed += [Fraction(x) for text in [prompt, *others] for x in numbers(text)]
    exact = set(allowed)
    return all(v.value in exact or agrees_any(v.value, allowed) for v in said)


def states_text(answer: str, result: str) -> bool:
    """The answer states the text result: as whole words (a leading article optional), not denied, not
    offered as an alternative (``or``, a slash) or listed among one-letter choices, and without the result's opposite
    (``true``/``false``, ``yes``/``no``)."""
    told = _canon(answer)
    value = _canon(result).rstrip(".!")
    value = _ARTICLE.sub("", value)
    if not value or len(value) > MAX_RESULT_CHARS or _empty_answer(told):
        return False
    found = list(re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", told))
    hedges = Hedges(told)
    if not found or any(hedges(m.start(), m.end()) for m in found):
        return False
    if any(_listed(told, m.start(), m.end(), choice=len(value) == 1) for m in found):
        return False
    opposite = OPPOSITES.get(value)
    return not (opposite and re.search(rf"(?<!\w){opposite}(?!\w)", told))


def _listed(text: str, start: int, end: int, choice: bool) -> bool:
    """The value at ``text[start:end]`` is joined to another word by a slash, or (a one-letter ``choice``)
    listed beside another letter."""
    before = text[max(0, start - 12):start]
    if _SLASH_BEFORE.search(before) or _SLASH_AFTER.match(text, end):
        return True
    return choice and bool(_CHOICE_BEFORE.search(before) or _CHOICE_AFTER.match(text, end))


def uses(answer: str, prompt: str, results: list[str]) -> bool:
    """Whether ``answer`` states a value of ``results``: numbers as values, text results and symbolic
    expressions as their text."""
    numeric = [r for r in results if values(r) and not SYMBOLIC.search(r)]
    if numeric and states_number(answer, prompt, numeric, results):
        return True
    return any(states_text(answer, r) for r in results if r not in numeric)
