"""Text clean-up of an extracted answer before it is tokenised: Unicode, LaTeX spacing, units.

Rules (documented in docs/math.md):

- Any Unicode decimal digit (full-width ``１``, Arabic-Indic ``١``, mathematical bold ``𝟏``, ...)
  is read as the ASCII digit of the same value; superscript digits are powers (``x²``);
  NFKC folds the rest (``½`` is ``1/2``).
- Currency signs (``$ \\$ € £ ¥``), degree signs, LaTeX spacing and sizing (``\\left``,
  ``\\right``, ``\\,``, ``\\quad``, ...) and ``\\boxed``/``\\fbox`` wrappers are dropped.
- ``\\text{...}``-style text is dropped when it is words (a unit: ``\\text{ cm}``), kept when
  it is a number; ``and``/``or`` become list commas.
"""

from __future__ import annotations

import re
import unicodedata

_SYMBOLS = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": r"\times ", "\u22c5": r"\cdot ",
    "\u00b7": r"\cdot ", "\u00f7": "/", "\u2044": "/", "\u2215": "/", "\u221a": r"\sqrt ",
    "\u03c0": r"\pi ", "\u221e": r"\infty ", "\u00b1": r"\pm ", "\u2213": r"\mp ", "\u2264": r"\le ",
    "\u2265": r"\ge ", "\u2260": r"\ne ", "\u222a": r"\cup ", "\u2205": r"\emptyset ", "\u00b0": "",
    "\u20ac": "", "\u00a3": "", "\u00a5": "", "\u2009": " ", "\u00a0": " ", "\u202f": " ",
}
_SYMBOL_RE = re.compile("|".join(map(re.escape, _SYMBOLS)))

_DROP_RE = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])"
    r"|\\(?:displaystyle|textstyle|limits|boxed|fbox|quad|qquad|mathrm\{\s*\}|!)(?![a-zA-Z])"
    r"|(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z]))(?:\s*(?:\\text\s*\{\s*)?[CF](?![a-zA-Z])\}?)?"
    r"|\\\$|\$|\{\s*,\s*\}"
    r"|\\q?quad(?=[a-zA-Z])"  # \quadx_{2}: a spacing command run into the next letter
)
_SPACE_RE = re.compile(r"(?<!\\)\\[,;: ]|~")
# thin spaces between groups of three digits are thousands separators: 1\,000 and 1 000 (U+2009)
_THIN_THOUSANDS_RE = re.compile(r"(?<=\d)(?:\\,|\\ |~|\u2009|\u202f|\u00a0)(?=\d{3}(?!\d))")
_ALIAS_RE = re.compile(r"\\(?:dfrac|tfrac|cfrac)(?![a-zA-Z])|\\(?:dbinom|tbinom)(?![a-zA-Z])|\\%|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])")
_ALIASES = {r"\dfrac": r"\frac", r"\tfrac": r"\frac", r"\cfrac": r"\frac", r"\dbinom": r"\binom",
            r"\tbinom": r"\binom", r"\%": "%", r"\lt": "<", r"\gt": ">"}
# text-mode commands: their content is prose (units) unless it is a number
_TEXT_RE = re.compile(
    r"\\(?:text|textrm|textnormal|mbox|textup|textsf|textit|textbf|emph)\s*\{([^{}]*)\}(\s*\^\s*(?:\d|\{\s*\d\s*\}))?"
)
# math font commands: their content stays
_FONT_RE = re.compile(r"\\(?:mathrm|mathit|mathbf|mathsf|mathnormal|boldsymbol|bm|operatorname)\s*\{([^{}]*)\}")
_AND_OR_RE = re.compile(r"\b(?:and|or)\b")
# "W(x)=1orW(x)=-1": "or"/"and" run between a number or bracket and the next name
_GLUED_OR_RE = re.compile(r"(?<=[\d)\]}])(?:or|and)(?=[A-Za-z]\s*\(|[A-Z](?![a-z])|\\)")
_NUMBERISH_RE = re.compile(r"^[\s\d.,+\-/]*\d[\s\d.,+\-/]*$")


def _text_sub(m: re.Match[str]) -> str:
    content = m.group(1).strip()
    if _NUMBERISH_RE.match(content):
        return content + (m.group(2) or "")
    low = content.lower().strip(" ,")
    if _AND_OR_RE.search(low):  # "\\text{ and }", "\\text{ cm and }"
        return ","
    return " "


_SUPERSCRIPTS = dict(zip("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-"))
_SUPER_RE = re.compile("[" + "".join(_SUPERSCRIPTS) + "]+")


def unicode_digits(text: str) -> str:
    """Map every non-ASCII Unicode decimal digit to its ASCII digit, then NFKC-normalise."""
    if text.isascii():
        return text
    text = _SUPER_RE.sub(lambda m: "^{" + "".join(_SUPERSCRIPTS[c] for c in m.group()) + "}", text)
    out = []
    for ch in text:
        if ch.isdecimal() and not ch.isascii():
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    text = unicodedata.normalize("NFKC", "".join(out))
    return _SYMBOL_RE.sub(lambda m: _SYMBOLS[m.group(0)], text)


# ``\\frac`` copied through JSON: a doubled backslash before a LaTeX command name
_DOUBLED_RE = re.compile(r"(?<!\\)\\\\(?=(?:[a-zA-Z]{2,}|[()\[\]{}!,;%]))")
_BACKSLASH_PAIRS_RE = re.compile(r"\\\\")
# ``22,\!450`` and ``48,\! 213``: a comma with a negative thin space is a thousands separator
_COMMA_THIN_RE = re.compile(r"(?<=\d),\s*(?:\\!\s*)+(?=\d{3}(?!\d))")
_ARRAY_SPEC_RE = re.compile(r"\\begin\s*\{(array|tabular)\}\s*\{[^{}]*\}")
_TRIG_RE = re.compile(r"\\(?:sin|cos|tan|sec|csc|cot)(?![a-zA-Z])|\b(?:sin|cos|tan)\b")
_DEGREE_RE = re.compile(r"(\d+(?:\.\d+)?)?\s*(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\u00b0)")
_REALS_RE = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|\\R(?![a-zA-Z])")


def undouble(text: str) -> str:
    """Halve every backslash pair when the text was escaped twice (``\\\\frac{1}{2}``, ``\\\\le``)."""
    if "\\\\" not in text or not _DOUBLED_RE.search(text):
        return text
    return _BACKSLASH_PAIRS_RE.sub(lambda m: "\\", text)


def _radians(m: re.Match[str]) -> str:
    if m.group(1):
        return "{(" + m.group(1) + r"\cdot\frac{\pi}{180})}"
    return r"\cdot\frac{\pi}{180}"


def _degrees(text: str) -> str:
    """``30^\\circ`` is a unit (dropped), except inside a trigonometric function, where it is pi/180."""
    if _TRIG_RE.search(text):
        return _DEGREE_RE.sub(_radians, text)
    return text


_CLOCK_RE = re.compile(r"(?<=\d)\s*(?:[aApP]\.\s?[mM]\.?|[aApP][mM])$")
_REPEAT_RE = re.compile(r"(\d*)\.(\d*)\\overline\s*\{(\d{1,20})\}")


def _repeating(m: re.Match[str]) -> str:
    """``0.1\\overline{6}`` is 1/6: a repeating decimal as an exact fraction."""
    whole, head, rep = m.group(1) or "0", m.group(2), m.group(3)
    den = 10 ** len(head) * (10 ** len(rep) - 1)
    num = int(whole) * den + int(head + rep) - int(head or "0")
    return f"({num}/{den})"


# ordinals: 5th, 5^{\text{th}}, 5\mathrm{th}, 21^\text{st}
_ORDINAL_RE = re.compile(
    r"(?<=\d)\s*(?:\^\s*\{?\s*)?(?:\\(?:text|mathrm|textrm)\s*\{\s*)?(?:st|nd|rd|th)\b\s*\}?\s*\}?"
)


def clean(text: str) -> str:
    """The answer text with Unicode folded and LaTeX decoration removed (see the module doc)."""
    text = undouble(text)
    if "st" in text or "nd" in text or "rd" in text or "th" in text:
        text = _ORDINAL_RE.sub("", text)
    if "overline" in text:
        text = _REPEAT_RE.sub(_repeating, text)
    if "\\" in text or "~" in text or not text.isascii():
        text = _COMMA_THIN_RE.sub(",", text)
        text = _THIN_THOUSANDS_RE.sub("", text)
    if "circ" in text or "degree" in text or "\u00b0" in text:
        text = _degrees(text)
    if "\\begin" in text:
        text = _ARRAY_SPEC_RE.sub(lambda m: "\\begin{" + m.group(1) + "}", text)
    if "R" in text:
        text = _REALS_RE.sub(r"(-\\infty,\\infty)", text)
    text = unicode_digits(text)
    if "\\" in text or "$" in text or "{" in text:
        text = _ALIAS_RE.sub(lambda m: _ALIASES[m.group(0)], text)
        text = _TEXT_RE.sub(_text_sub, text)
        text = _FONT_RE.sub(lambda m: m.group(1), text)
        text = _DROP_RE.sub("", text)
        text = _SPACE_RE.sub(" ", text)
    if "or" in text or "and" in text:
        text = _GLUED_OR_RE.sub(" , ", text)
    text = _CLOCK_RE.sub("", text.strip())
    if text.endswith("\\") and not text.endswith("\\\\"):  # "185\\": a stray backslash
        text = text[:-1].rstrip()
    if text.endswith(".") and not text.endswith(".."):  # sentence punctuation, not an ellipsis
        text = text[:-1]
    return text.strip()
