"""The rewards: ``math.equivalence`` (with its inline fast path) and ``math.parseable``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import answer_unit, has_comparison, negated, units_agree

from .compare import EMPTY_WORDS, Undecided, equivalent
from .evaluate import NotScalar, TooBig, Undefined, close, value
from .extraction import (
    MAX_ANSWER,
    MAX_CANDIDATES,
    STRATEGIES,
    check_order,
    extract,
    extract_gold,
    final_part,
    prose_number,
)
from .normalize import clean, undouble
from .parse import FUNCS, SCALES, Node, ParseError, parse, plain_number

MAX_DISTINCT = 8  # distinct final answers compared under multiple="reject"
MULTIPLE = ("reject", "last", "first")
SETS = ("strict", "loose")
LETTERS = ("auto", "off")
ROUNDING = ("off", "gold")
#: strategies whose last occurrence is the final answer (a corrected "Answer:" line replaces the earlier one)
LAST_WINS = ("answer_is", "a_colon", "hashes")


@dataclass(frozen=True)
class Options:
    """The parameters of ``math.equivalence`` that change how answers are read and compared."""

    tolerance: float = 1e-6
    extract: tuple[str, ...] = STRATEGIES
    multiple: str = "reject"
    sets: str = "strict"
    letters: str = "auto"
    decimal_comma: str = "auto"
    rounding: str = "off"


class _Unparseable(Exception):
    pass


# a number and unit words (``200 GB``, ``18 dollars per day``, ``187 raspberries!``): the number, read
# without the tokenizer; words that change the value (scales, functions, and/or, dozen) take the long way
_NUMBER_WORDS_RE = re.compile(r"\s*(\$?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s+((?:[A-Za-z]{3,}\s*){1,4})[.!]?\s*")
_VALUE_WORDS = frozenset({"and", "or", "equals", "pi", "infty", "infinity", "inf", "nan", "dozen", "sqrt"})


def _number_with_words(text: str) -> Fraction | None:
    m = _NUMBER_WORDS_RE.fullmatch(text) if len(text) < 200 else None
    if m is None:
        return None
    words = {w.lower() for w in m.group(2).split()}
    if words & _VALUE_WORDS or words & SCALES.keys() or words & FUNCS:
        return None
    return plain_number(m.group(1))


def _parse_answer(text: str, decimal_comma: str = "auto") -> tuple[str, Any]:
    """``("num", Fraction)`` for a plain number, ``("node", Node)`` otherwise; raises _Unparseable."""
    num = plain_number(text)
    if num is None:
        num = _number_with_words(text)
    if num is not None:
        return "num", num
    try:
        return "node", parse(text, decimal_comma)
    except (ParseError, RecursionError):
        raise _Unparseable from None


_DIGIT_GAP_RE = re.compile(r"(?<=\d)\s+(?=\d)")


def _canon(text: str) -> str:
    """Text compared verbatim: an answer identical to the gold answer is equal, whatever it is.

    Blanks are dropped, except between two digits (``4 2`` is not ``42``)."""
    text = undouble(text)
    if " " in text and any(ch.isdigit() for ch in text):
        text = _DIGIT_GAP_RE.sub("\x00", text)
    return "".join(text.split()).strip("$").rstrip(".")


_CHOICE_RE = re.compile(r"\(?\s*([A-J])\s*\)?(?=$|[\s.:,)])")
_CHOICE_LEAD_RE = re.compile(r"\s*\(?([A-J])[.)]\s")
_DECIMALS_RE = re.compile(r"-?\d*\.(\d+)")


def choice_letter(text: str) -> str | None:
    """The multiple-choice letter an answer starts with: ``(B)``, ``B)``, ``B. 42``, ``\\text{(B)}``."""
    words = clean(text.replace("\\textbf", "").replace("\\text", "").replace("\\mathrm", ""))
    m = _CHOICE_RE.match(words.strip("{} "))
    return m.group(1) if m else None


@dataclass(frozen=True)
class Gold:
    """A parsed gold answer: the item (None when it does not parse), its text, whether it lists several values."""

    item: tuple[str, Any] | None
    text: str
    canon: str
    several: bool
    letter: str | None
    decimals: int | None

    @cached_property
    def scalar(self) -> bool:
        """Whether the gold is one constant quantity (``42``, ``-5``, ``3/4``, ``2\\sqrt{3}``, ``42 km``): then a
        comparison before the answer's number (``> 42``, ``\\ne 42``) bounds it; an inequality, interval or set
        gold may be answered with one (``x \\neq 1`` for ``(-\\infty,1)\\cup(1,\\infty)``)."""
        return self.item is not None and _constant(self.item[1]) and not has_comparison(self.text)

    @property
    def unit(self) -> str | None:
        """The unit or word attached to the gold's number (``rewardkit.utils.answer_unit``), cached."""
        return _gold_unit(self.text)

    @property
    def formula(self) -> bool:
        """Whether the gold is a chemical formula (compared as written), cached."""
        return _formula(self.text)


def _several(item: tuple[str, Any]) -> bool:
    if item[0] != "node":
        return False
    node = item[1]
    if node[0] == "either":
        return any(_several(("node", n)) for n in node[1])
    return node[0] in ("list", "set", "pm", "upm")


def _merge(items: list[tuple[str, Any]]) -> tuple[str, Any]:
    """Several final answers read as one list (``\\boxed{1}, \\boxed{2}``)."""
    parts: list[Node] = []
    for item in items:
        node = _as_node(item)
        if node[0] == "either":  # "$21,16$ or $11$": among several answers, 21,16 is the list
            node = next((n for n in node[1] if n[0] == "list"), node)
        parts.extend(node[1] if node[0] == "list" else (node,))
    return "node", ("list", tuple(parts))


def _prose(text: str, words: str) -> bool:
    """Plain words (no LaTeX, no digit), two or more, that name no empty set: a gold answer with no math."""
    if "\\" in text or "$" in text or any(ch.isdigit() for ch in text) or words in EMPTY_WORDS:
        return False
    return len(words.split()) >= 2


@lru_cache(maxsize=8192)
def gold_answer(gold: str, order: tuple[str, ...] = STRATEGIES, decimal_comma: str = "auto",
                letters: str = "auto") -> Gold | None:
    """The parsed gold answer (its ``item`` None when it cannot be parsed), or None when there is none.

    Gold answers go through the same marker strategies as completions (GSM8K ``#### 18`` and
    ``A: 18``, ``\\boxed{}``, ``$...$``); without a marker the whole gold text must parse (no
    last-number guess: a broken gold answer is "not applicable", never a silent 0). A gold answer
    that boxes several values (``\\boxed{1}, \\boxed{2}``) is the list of them.
    """
    if not isinstance(gold, str):
        gold = str(gold) if isinstance(gold, (int, float)) and not isinstance(gold, bool) else ""
    markers = tuple(s for s in order if s not in ("expression", "last_number"))
    found = extract_gold(gold, markers) if markers else None
    texts = list(dict.fromkeys(t.strip() for t in found.candidates)) if found else [final_part(gold).strip()]
    if found and found.strategy in LAST_WINS:
        texts = texts[-1:]
    if not any(texts):
        return None
    lead = _CHOICE_LEAD_RE.match(texts[-1]) if letters == "auto" and len(texts) == 1 else None
    try:
        if lead:  # "C. x = 42": the choice letter is the answer
            items = [("node", ("sym", lead.group(1)))]
        else:
            items = [_parse_answer(t, decimal_comma) for t in texts[-MAX_DISTINCT:]]
    except _Unparseable:
        return Gold(None, " ".join(texts), _canon(" ".join(texts)), False, None, None)
    item = items[0] if len(items) == 1 else _merge(items)
    node = _as_node(item)
    if node[0] == "text" and _prose(texts[-1], node[1]):
        return None  # "forty two": no mathematics in the gold answer, nothing to score against
    letter = node[1] if node[0] == "sym" and len(node[1]) == 1 and node[1] in "ABCDEFGHIJ" else None
    digits = _DECIMALS_RE.fullmatch(clean(texts[-1])) if len(texts) == 1 else None
    several = len(items) > 1 or _several(item)
    decimals = len(digits.group(1)) if digits else None
    return Gold(item, " ".join(texts), _canon(" ".join(texts)), several, letter, decimals)


def prediction(completion: str, order: tuple[str, ...], multiple: str, decimal_comma: str = "auto",
               letter: bool = False, texts: list[str] | None = None, prompt: str = "") -> list[tuple[str, Any]] | None:
    """The parsed final answers of the deciding strategy (unparseable ones dropped), or None.

    ``texts`` are the extracted answers when the caller has them already; an echo of ``prompt`` is no answer.
    """
    texts = _final_texts(completion, order, multiple, prompt) if texts is None else texts
    if texts is None:
        return None
    parsed: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for text in reversed(texts):
        key = text.strip()
        if key in seen:
            continue
        choice = choice_letter(text) if letter else None
        if choice is not None:
            parsed.append(("node", ("sym", choice)))
        else:
            try:
                parsed.append(_parse_answer(text, decimal_comma))
            except _Unparseable:
                item = _prose_item(text, decimal_comma)  # "Janet makes $18 every day at the farmers' market": 18
                if item is None:
                    continue
                parsed.append(item)
        seen.add(key)
        if multiple != "reject" or len(parsed) > MAX_DISTINCT:
            break
    parsed.reverse()
    return parsed or None


def _prose_item(text: str, decimal_comma: str) -> tuple[str, Any] | None:
    """The number a sentence that does not parse states (see ``extraction.prose_number``), parsed; or None."""
    number = prose_number(text)
    if number is None:
        return None
    try:
        return _parse_answer(number, decimal_comma)
    except _Unparseable:
        return None


def _final_texts(completion: str, order: tuple[str, ...], multiple: str, prompt: str = "") -> list[str] | None:
    found = extract(completion, order, prompt=prompt)
    if found is None:
        return None
    if multiple == "reject" and found.total > MAX_CANDIDATES:
        return None  # dozens of final answers: a listing, not an answer
    texts = list(found.candidates)
    if multiple == "last" or found.strategy in LAST_WINS:
        texts = texts[-1:]
    elif multiple == "first":
        texts = texts[:1]
    return texts


def _as_node(item: tuple[str, Any]) -> Node:
    return ("num", item[1]) if item[0] == "num" else item[1]


def _clock(node: Node) -> str | None:
    """``h:mm`` for a time of day (``("text", "4:30")``) or a ratio of a whole hour and two-digit minutes."""
    if node[0] == "text" and _CLOCK_TEXT_RE.fullmatch(node[1]):
        return str(node[1])
    if node[0] == "ratio" and len(node[1]) == 2 and all(p[0] == "num" and p[1].denominator == 1 for p in node[1]):
        hour, minute = (int(p[1]) for p in node[1])
        return f"{hour}:{minute:02d}" if 0 <= hour <= 24 and 10 <= minute <= 59 else None
    return None


_CLOCK_TEXT_RE = re.compile(r"\d{1,2}:\d\d")


def _same(a: tuple[str, Any], b: tuple[str, Any], opts: Options, scalar: Any) -> bool:
    if a[0] == "num" and b[0] == "num":
        return close(a[1], b[1], opts.tolerance)
    if "text" in (a[1][0] if a[0] == "node" else "", b[1][0] if b[0] == "node" else ""):
        ca, cb = _clock(_as_node(a)), _clock(_as_node(b))
        if ca is not None and cb is not None:  # "4:30 p.m." against "4:30": one time of day, compared as written
            return ca == cb
    loose = opts.sets == "loose"
    if scalar is None:
        return equivalent(_as_node(a), _as_node(b), opts.tolerance, loose_sets=loose)
    return equivalent(_as_node(a), _as_node(b), opts.tolerance, scalar, loose_sets=loose)


def _rounds_to(gold: Gold, item: tuple[str, Any]) -> bool:
    """``2.71828`` against gold ``2.7183``: equal once rounded to the gold's decimals."""
    if gold.decimals is None or gold.item is None:
        return False
    try:
        g, p = _real(value(_as_node(gold.item))), _real(value(_as_node(item)))
    except (TooBig, Undefined, NotScalar):
        return False
    if g is None or p is None:
        return False
    return abs(p - g) <= Fraction(1, 2 * 10**gold.decimals) * (1 + Fraction(1, 10**9))


def _real(v: Fraction | complex) -> Fraction | None:
    if isinstance(v, Fraction):
        return v
    return Fraction(v.real) if v.imag == 0 else None


def _identical(texts: list[str], gold_canon: str) -> bool:
    if texts[-1].lstrip(" \t\n$")[:1] != gold_canon[:1]:
        return False  # the first character differs: not identical (a cheap test before the canonical form)
    canon = _canon(texts[-1])
    return canon == gold_canon and all(_canon(t) == canon for t in texts[:-1])


def _completion_choice(completion: str) -> str | None:
    """The choice letter a one-line completion starts with (``C. x = 42``), when no marker says otherwise."""
    text = final_part(completion).strip()
    if "\n" in text or len(text) > 200 or "\\boxed" in text or "nswer" in text:
        return None
    m = _CHOICE_LEAD_RE.match(text + " ")
    return m.group(1) if m else None


#: gold texts that are a missing value written out (``str(None)``, pandas' ``nan``): no gold, never the text
MISSING_GOLD = frozenset({"None", "nan", "NaN", "null", "<NA>"})
# a chemical formula: element symbols with counts glued to them (CO2, H2O), compared as written
_FORMULA_RE = re.compile(r"\d*(?:[A-Z][a-z]?\d*){2,}")


def missing_gold(gold: Any) -> bool:
    """Whether a gold cell is missing (None, NaN, or its text ``None``/``nan``): the row is not applicable."""
    if gold is None or (isinstance(gold, float) and gold != gold):
        return True
    return isinstance(gold, str) and gold.strip() in MISSING_GOLD


@lru_cache(maxsize=8192)
def _gold_unit(text: str) -> str | None:
    return answer_unit(text)


_LETTER_DIGIT_RE = re.compile(r"[A-Z][a-z]?\d")


@lru_cache(maxsize=8192)
def _formula(text: str) -> bool:
    if _LETTER_DIGIT_RE.search(text) is None:
        return False
    t = clean(text).replace(" ", "")
    return _FORMULA_RE.fullmatch(t) is not None and re.search(r"[A-Za-z]\d", t) is not None


#: node kinds of a constant quantity (numbers, constants and arithmetic on them)
_CONSTANT_KINDS = frozenset({"num", "const", "neg", "+", "-", "*", "/", "^", "root"})


def _constant(node: Any) -> bool:
    """Whether a parsed node is arithmetic on numbers and constants only."""
    if isinstance(node, Fraction):
        return True
    if not isinstance(node, tuple) or not node or node[0] not in _CONSTANT_KINDS:
        return False
    if node[0] in ("num", "const"):
        return True
    return all(_constant(child) for child in node[1:])


def _not_the_answer(text: str, gold: Gold) -> bool:
    """The precision rule (:mod:`rewardkit.precision`): the span read is not the answer when a negation
    governs it, when its unit disagrees with the gold's, or when it or the gold is a chemical formula
    written differently (``2CO`` is not ``CO2``). A comparison before the number (``> 42``, ``\\ne 42``)
    bounds it, unless the gold is itself an inequality."""
    if negated(text, comparisons=gold.scalar):
        return True
    if gold.unit is not None and not units_agree(answer_unit(text), gold.unit):
        return True
    return (gold.formula or _formula(text)) and _canon(text) != gold.canon


def judge(completion: str, gold: Any, opts: Options, scalar: Any = None, prompt: str = "") -> float | None:
    """1.0 / 0.0 for one item, None when the gold is missing or cannot be parsed; raises Undecided.

    A verbatim echo of ``prompt`` in the completion is never read as its answer."""
    if missing_gold(gold):
        return None
    g = gold_answer(gold if isinstance(gold, str) else str(gold), tuple(opts.extract), opts.decimal_comma, opts.letters)
    if g is None:
        return None
    texts = _final_texts(completion, tuple(opts.extract), opts.multiple, prompt)
    if texts and _not_the_answer(texts[-1], g):
        return 0.0
    verbatim = texts
    if texts is None and len(completion) <= MAX_ANSWER and "\n" not in completion.strip():
        verbatim = [completion]  # nothing extracted: a short completion may still be the gold, verbatim
    if verbatim and _identical(verbatim, g.canon):
        return 1.0  # identical to the gold answer, whatever it is
    if g.item is None:
        return None  # a gold answer that does not parse: not applicable (unless matched verbatim)
    letter = opts.letters == "auto" and g.letter is not None
    choice = _completion_choice(completion) if letter else None
    if choice is not None:  # "C. x = 42", "(B) because ...": the whole short completion names a choice
        return 1.0 if choice == g.letter else 0.0
    if texts is None:
        return 0.0
    preds = prediction(completion, tuple(opts.extract), opts.multiple, opts.decimal_comma, letter, texts)
    if not preds or len(preds) > MAX_DISTINCT:
        return 0.0
    final = preds[-1]
    if len(preds) > 1 and any(not _same(other, final, opts, scalar) for other in preds[:-1]):
        if not g.several:  # several different final answers: none of them counts
            return 0.0
        final = _merge(preds)  # the gold lists several values: so may the completion
    if _same(g.item, final, opts, scalar):
        return 1.0
    return 1.0 if opts.rounding == "gold" and _rounds_to(g, final) else 0.0


def _prompts(prompts: list[str] | None, n: int) -> list[str]:
    """One prompt text per completion (empty where the caller gave none)."""
    return [p if isinstance(p, str) else "" for p in prompts] if prompts and len(prompts) == n else [""] * n


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
                extract: tuple[str, ...], multiple: str, sets: str = "strict", letters: str = "auto",
                decimal_comma: str = "auto", rounding: str = "off") -> list[float | None]:
    """Full check (numeric, then sympy for what numbers cannot decide); runs in worker processes.

    What neither can decide within the bounds is not equivalent (0.0).
    """
    opts = Options(tolerance, tuple(extract), multiple, sets, letters, decimal_comma, rounding)
    out: list[float | None] = []
    for c, a, p in zip(completions, answer, _prompts(prompts, len(completions))):
        try:
            out.append(judge(c, a, opts, _symbolic_scalar, p))
        except Undecided:
            out.append(0.0)
    return out


def equivalence_fast(*, completions: list[str], prompts: list[str], answer: list[Any], tolerance: float,
                     extract: tuple[str, ...], multiple: str, sets: str = "strict", letters: str = "auto",
                     decimal_comma: str = "auto", rounding: str = "off") -> list[Any]:
    """Inline fast path: decides numbers and bounded numeric checks; DEFER for the rest."""
    opts = Options(tolerance, tuple(extract), multiple, sets, letters, decimal_comma, rounding)
    out: list[Any] = []
    for c, a, p in zip(completions, answer, _prompts(prompts, len(completions))):
        try:
            out.append(judge(c, a, opts, prompt=p))
        except Undecided:
            out.append(DEFER)
    return out


def parseable(*, completions: list[str], prompts: list[str], extract: tuple[str, ...]) -> list[float]:
    """1.0 when a final answer can be extracted and parsed, else 0.0."""
    order = tuple(extract)
    pairs = zip(completions, _prompts(prompts, len(completions)))
    return [1.0 if prediction(c, order, "last", prompt=p) else 0.0 for c, p in pairs]


def check_params(params: dict[str, Any]) -> None:
    """Validate the extraction order (names and no repeats)."""
    order = params.get("extract", STRATEGIES)
    if not order:
        raise ValueError("extract must name at least one strategy")
    check_order(order)
    if len(set(order)) != len(order):
        raise ValueError("extract names a strategy twice")
