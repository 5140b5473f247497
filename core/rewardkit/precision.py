"""The precision rule shared by the verifiers: pay only when the span read *is* the answer.

Public through :mod:`rewardkit.utils` (see docs/math.md, "Precision rules"). This module imports
no other rewardkit module, so any plugin or core part may use it.

* :func:`negated`: a negation ("not", "isn't", "never", "cannot be", ...) governs the answer
  (``The answer is definitely not 42.``, ``It is certainly not 42, though.``): no answer.
* :func:`answer_unit` and :func:`units_agree`: the unit or word attached to an answer's number
  (``200 GB``, ``48g``, ``5 apples``, ``3:00 pm``, ``$70,000``) must agree with the gold's when the
  gold has one; it may be dropped, or added when the gold has none (``200 GB`` against 200 is right,
  ``100 miles`` against ``100 km`` is wrong).
* :func:`empty_slot`: an answer slot holding nothing (``The answer is  .``) is no answer.

Every function is linear in the length of its input (no backtracking regex over it).
"""

from __future__ import annotations

import re

__all__ = ["COMPARISON_SIGNS", "EXCLUSIONS", "NEGATIONS", "answer_unit", "empty_slot", "has_comparison", "negated", "units_agree"]

#: words and phrases that negate what follows them
NEGATIONS = (
    "not", "never", "no", "isn't", "isnt", "aren't", "wasn't", "weren't", "cannot", "can't", "couldn't",
    "won't", "wouldn't", "shouldn't", "doesn't", "don't", "didn't", "neither", "nor", "nowhere", "hardly",
)
#: words and phrases that exclude or bound what follows them ("anything but 42", "at least 42", "over 42")
EXCLUSIONS = (
    "except", "excluding", "besides", "other than", "anything but", "all but", "anything except", "at least",
    "at most", "at minimum", "at maximum", "minimum", "maximum", "over", "under", "below", "above", "beyond",
)
# what may stand between a negation and the number it governs: adverbs, copulas, "equal to", articles
_FILLER = (
    r"(?:[a-z]+ly|be|is|was|are|were|equal|equals|to|the|a|an|answer|final|number|value|result|that|it|"
    r"just|quite|even|so|as|much|more|less|than|at|least|most|only|about|around|approximately|"
    r"possibly|possible|correct|right|exactly|really)"
)
_NEG_WORD = r"(?:" + "|".join(
    re.escape(w).replace("'", "['\u2019]").replace("\\ ", r"\s+") for w in NEGATIONS + EXCLUSIONS) + r")"
# a negation, then at most four filler words, then the end of the text before the number
_GOVERNS_RE = re.compile(
    r"(?i)(?<![\w'\u2019])" + _NEG_WORD + r"(?:\s+" + _FILLER + r"){0,4}[\s:=*$(\\]*$"
)
# a comparison right before the number bounds or excludes it: "> 42", "≠ 42", "\\geq 42", "!= 42", "x < 42"
#: one-character comparison signs (``<``, ``>``, ``≠``, ``≤``, ``≥``, ``≦``, ``≧``, ``⩽``, ``⩾``, ``≪``, ``≫``, ``≰``, ``≱``,
#: ``≮``, ``≯``); ``!=``, ``=<``, ``=>`` and the LaTeX commands are matched beside them
COMPARISON_SIGNS = "<>\u2260\u2264\u2265\u2266\u2267\u2a7d\u2a7e\u226a\u226b\u2270\u2271\u226e\u226f"
_COMPARISON = (
    "(?:[" + COMPARISON_SIGNS + r"]|!=|=<|=>|"
    r"\\(?:neq?|lt|gt|leq?|geq?|leqq|geqq|leqslant|geqslant|ll|gg|nless|ngtr|nleq|ngeq)(?![A-Za-z])|\\not\s*=)"
)
_COMPARISON_RE = re.compile(_COMPARISON)
# what may stand between a comparison or a tag and the number: blanks, "$", "(", "{", a LaTeX command's "\\"
_LEAD_IN = r"[\s$(\\{]*$"
_RELATION_RE = re.compile(_COMPARISON + r"\s*=?" + _LEAD_IN)
# a markup tag right before the number ("<answer>42", "<b>42") ends in ">" but compares nothing
_TAG = r"<[A-Za-z/!][^<>\n]{0,80}>"
_TAG_RE = re.compile(_TAG)
_TAG_END_RE = re.compile(_TAG + _LEAD_IN)
# where a clause ends: the number after it is governed by nothing before it
_CLAUSE_END_RE = re.compile(r"[.!?;,\n]\s|[\n;]|(?<!anything )(?<!all )\bbut\b|\bhowever\b", re.I)
_NUMBER_RE = re.compile(r"\d")
#: how far back (characters) a negation is looked for
WINDOW = 120


def _clause_before(text: str) -> str:
    """The part of ``text`` after its last clause boundary (at most ``WINDOW`` characters)."""
    tail = text[-WINDOW:]
    found = list(_CLAUSE_END_RE.finditer(tail))
    last = found[-1] if found else None
    return tail[last.end():] if last is not None else tail


# after the number, in its clause: "42 is not the answer", "42 is wrong", "42 isn't right"
_DENIED_AFTER_RE = re.compile(
    r"(?i)[\s)*$]*(?:is|was|would\s+be|seems|must\s+be)?\s*(?:(?:not|never|n['\u2019]t)\b|isn['\u2019]t|wasn['\u2019]t|"
    r"(?:definitely\s+|clearly\s+|certainly\s+)?(?:wrong|incorrect|false|impossible)\b|"
    # or a bound, a hedge or an operation on it: "42 at most", "42 or fewer", "42+", "42-ish", "42 minus x"
    r"at\s+(?:most|least)\b|or\s+(?:more|less|fewer|so|something|above|below|higher|lower)\b|"
    r"and\s+(?:up|above|below|over|more|higher)\b|\+(?![\s$]*[\w\\({])|-?ish\b|(?:minus|plus|times|divided|multiplied)\b)"
)
# an answer with no number that starts by denying what follows ("not x", "never \\pi")
_NOT_FIRST_RE = re.compile(r"(?i)[\W_]*(?:not|never|isn['\u2019]t|cannot\s+be|can['\u2019]t\s+be)\s+\S")
_TEXT_GROUP_RE = re.compile(r"\\[a-zA-Z]+\s*\{|[{}]|\\[,;:! ]")
_NUMBER_END_RE = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")


def has_comparison(text: str) -> bool:
    """Whether ``text`` holds a comparison (``<``, ``≥``, ``\\neq``, ...) outside markup tags."""
    return _COMPARISON_RE.search(_TAG_RE.sub(" ", text)) is not None


def _compared(before: str) -> bool:
    """Whether a comparison (not a markup tag's closing ``>``) stands right before the number."""
    return _RELATION_RE.search(before) is not None and _TAG_END_RE.search(before) is None


def negated(text: str, at: int | None = None, end: int | None = None, *, comparisons: bool = True) -> bool:
    """Whether a negation governs the answer in ``text``.

    With ``at`` (the index where the answer starts in ``text``), the clause before it is read,
    and with ``end`` (where it ends) the words right after it; without, ``text`` is the answer
    span itself, read before its first digit and after its last number. Negated: ``not 42``,
    ``definitely not 42``, ``certainly isn't 42``, ``cannot be 42``, ``42 is not the answer``,
    ``42 is wrong``. Between the negation and the number only filler words may stand (adverbs,
    ``be``, ``equal to``, ...): ``I'm not sure, but it is 42`` and ``not only ... but 42`` are not.
    A comparison right before the number bounds or excludes it: ``> 42``, ``≠ 42``, ``\\geq 42``
    (``comparisons=False`` where the expected answer is itself an inequality, ``x \\geq 3``).
    """
    if at is None:
        if "\\" in text or "{" in text:  # "\boxed{42 \text{ is wrong}}": LaTeX text groups are words
            text = _TEXT_GROUP_RE.sub(" ", text)
        digit = _NUMBER_RE.search(text)
        if digit is None:  # "not x" is no answer; "\\text{No}", "neither", "no solution" are answers
            return _NOT_FIRST_RE.match(text) is not None
        at = digit.start()
        numbers = list(_NUMBER_END_RE.finditer(text))
        end = numbers[-1].end() if numbers else None
    before = _clause_before(text[max(0, at - WINDOW) : at])
    if "\\" in before or "{" in before:  # "\boxed{\text{not } 42}": LaTeX text groups are words
        before = _TEXT_GROUP_RE.sub(" ", before)
    if before.strip() and (_GOVERNS_RE.search(before) is not None or (comparisons and _compared(before))):
        return True
    return end is not None and _DENIED_AFTER_RE.match(text, end) is not None


# ---- units ------------------------------------------------------------------------------------

#: spellings of one unit -> its canonical name
_SYNONYMS = {
    "km": "km", "kilometer": "km", "kilometre": "km", "kms": "km",
    "m": "m", "meter": "m", "metre": "m", "cm": "cm", "centimeter": "cm", "centimetre": "cm",
    "mm": "mm", "millimeter": "mm", "millimetre": "mm", "mi": "mi", "mile": "mi",
    "ft": "ft", "foot": "ft", "feet": "ft", "in": "in", "inch": "in", "inche": "in", "yd": "yd", "yard": "yd",
    "g": "g", "gram": "g", "gramme": "g", "kg": "kg", "kilogram": "kg", "kilo": "kg", "mg": "mg", "milligram": "mg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "oz": "oz", "ounce": "oz", "ton": "t", "tonne": "t", "t": "t",
    "l": "l", "liter": "l", "litre": "l", "ml": "ml", "milliliter": "ml", "millilitre": "ml", "gal": "gal", "gallon": "gal",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "min": "min", "minute": "min", "mins": "min",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "day": "day", "week": "week", "wk": "week",
    "month": "month", "year": "year", "yr": "year", "yrs": "year",
    "am": "am", "a.m": "am", "pm": "pm", "p.m": "pm",
    "$": "dollar", "dollar": "dollar", "usd": "dollar", "buck": "dollar", "cent": "cent", "\u00a2": "cent",
    "\u20ac": "euro", "euro": "euro", "eur": "euro", "\u00a3": "gbp", "\u00a5": "yen", "yen": "yen",
    "%": "%", "percent": "%", "pct": "%", "percentage": "%",
    "mph": "mph", "kph": "kph", "kmh": "kph",
    "gb": "gb", "gigabyte": "gb", "mb": "mb", "megabyte": "mb", "kb": "kb", "kilobyte": "kb",
    "tb": "tb", "terabyte": "tb", "byte": "byte", "bit": "bit",
    "dozen": "dozen",
}
#: words after a number that are not a unit (the answer's sentence goes on)
_NOT_UNITS = {
    "and", "or", "but", "is", "are", "was", "were", "per", "each", "in", "of", "to", "for", "from", "at", "on",
    "the", "a", "an", "which", "that", "so", "because", "since", "as", "with", "by", "total", "altogether",
    "left", "more", "less", "fewer", "remaining", "extra", "additional", "then", "than", "when", "if", "it",
    "times", "x", "this", "these", "those", "there", "he", "she", "they", "we", "i", "you", "after", "before",
    "all", "only", "exactly", "about", "approximately", "will", "would", "can", "has", "have", "had",
}
# a number (digits, thousands, decimals, a clock time), then what is attached to it
_QUANTITY_RE = re.compile(
    r"(?P<pre>[$\u20ac\u00a3\u00a5]|\\\$)?\s*(?<![\^_\w])-?\d[\d,]*(?:\.\d+)?(?::\d\d)?"
    r"(?P<post>\s*(?:%|\\%|\u00a2)|\s*(?:[ap]\.\s?m\b\.?)|[ \t]*[A-Za-z][A-Za-z.]*)?"
)
_WRAP_RE = re.compile(r"\\(?:text|textrm|mathrm|textnormal|mbox|textbf|textit|operatorname)\s*\{([^{}]*)\}")


def _canonical(word: str) -> str | None:
    w = word.strip().strip(".").lower().replace("\\", "")
    if not w:
        return None
    if w in _SYNONYMS:
        return _SYNONYMS[w]
    for cut in ("es", "s"):  # plurals: miles, inches, apples, dozens
        if w.endswith(cut) and w[: -len(cut)] in _SYNONYMS:
            return _SYNONYMS[w[: -len(cut)]]
    if w in _NOT_UNITS or len(w) < 3:
        return None  # a one- or two-letter name that is no known unit is a variable (2x), not a unit
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


def answer_unit(answer: str) -> str | None:
    """The canonical unit or word attached to the last number of ``answer``, or None.

    ``200 GB`` -> ``gb``; ``48g`` -> ``g``; ``100 miles`` -> ``mi``; ``5 apples`` -> ``apple``;
    ``3:00 p.m.`` -> ``pm``; ``$70,000`` -> ``dollar``; ``\\text{4:30 p.m.}`` -> ``pm``; ``25\\%`` -> ``%``.
    A one- or two-letter word that is no known unit is a variable (``2x``), not a unit.
    """
    text = _WRAP_RE.sub(lambda m: " " + m.group(1) + " ", answer) if "\\" in answer else answer
    found = list(_QUANTITY_RE.finditer(text))
    last = found[-1] if found else None
    if last is None:
        return None
    if last.group("pre"):  # "$18 every day": the currency sign is the unit
        return _canonical(last.group("pre"))
    if last.group("post"):
        return _canonical(last.group("post").replace(" ", ""))
    return None


def units_agree(pred_unit: str | None, gold_unit: str | None) -> bool:
    """Whether the predicted unit agrees with the gold's: equal, or either side has none
    (a unit may be dropped, and added where the gold has none)."""
    return pred_unit is None or gold_unit is None or pred_unit == gold_unit


# blanks and bold marks, then sentence punctuation (not a decimal point: ".5") or the end of the line
_SLOT_RE = re.compile(r"[ \t*]*(?:[.!?,;](?![\d])|$)", re.M)


def empty_slot(after_marker: str) -> bool:
    """Whether an answer marker's slot is empty on its line: ``The answer is  .``, ``Answer: **.**``,
    or the marker ends its line (``Answer:`` then a line break; the caller may read the next line)."""
    return _SLOT_RE.match(after_marker) is not None
