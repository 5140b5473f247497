"""The IFEval instruction checks, one function per instruction id, and their arguments.

``build(instruction_id, kwargs)`` validates the arguments of one instruction (as IFEval's data
gives them: a dict, ``None`` values dropped) and returns a predicate ``text -> bool``. Unknown
ids, unknown or missing arguments and bad values raise :class:`InstructionError` naming the id
and the argument: nothing is ever filled in at random (the reference picks random values for
missing arguments) and nothing unsupported passes silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import text as T
from .args import InstructionError, _int, _str
from .ifbench import IFBENCH

Check = Callable[[str], bool]
RELATIONS = ("less than", "at least")
CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
#: ISO 639-1 codes IFEval uses for language:response_language.
LANGUAGES = frozenset(
    "en es pt ar hi fr ru de ja it bn uk th ur ta te bg ko pl he fa vi ne sw kn mr gu pa ml fi".split()
)


@dataclass(frozen=True)
class Instruction:
    """One supported instruction id: its check factory and the arguments it takes."""

    id: str
    make: Callable[..., Check]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


# -- argument validation -------------------------------------------------------------------
def _words(iid: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise InstructionError(f"instruction {iid!r}: {key!r} must be a non-empty list of strings, got {value!r}")
    return [_str(iid, key, v) for v in value]


def _relation(iid: str, key: str, value: Any) -> str:
    if value not in RELATIONS:
        raise InstructionError(f"instruction {iid!r}: {key!r} must be one of {list(RELATIONS)}, got {value!r}")
    return str(value)


def _compare(count: int, relation: str, threshold: int) -> bool:
    return count < threshold if relation == RELATIONS[0] else count >= threshold


# -- the checks (argument names as in IFEval's kwargs) ------------------------------------------
def _existence(iid: str, keywords: Any) -> Check:
    pats = [re.compile(re.escape(k), re.IGNORECASE) for k in _words(iid, "keywords", keywords)]
    return lambda t: all(p.search(t) for p in pats)


def _frequency(iid: str, keyword: Any, frequency: Any, relation: Any) -> Check:
    pat = re.compile(re.escape(_str(iid, "keyword", keyword)), re.IGNORECASE)
    n, rel = _int(iid, "frequency", frequency), _relation(iid, "relation", relation)
    return lambda t: _compare(sum(1 for _ in pat.finditer(t)), rel, n)


def _forbidden(iid: str, forbidden_words: Any) -> Check:
    words = _words(iid, "forbidden_words", forbidden_words)
    pats = [re.compile(r"\b" + re.escape(w) + r"\b", re.IGNORECASE) for w in sorted(set(words))]
    return lambda t: not any(p.search(t) for p in pats)


def _letter_frequency(iid: str, letter: Any, let_frequency: Any, let_relation: Any) -> Check:
    if not isinstance(letter, str) or len(letter.strip()) != 1:
        raise InstructionError(
            f"instruction {iid!r}: 'letter' must be a single non-whitespace character, got {letter!r}"
        )
    char = letter.strip().lower()
    n, rel = _int(iid, "let_frequency", let_frequency), _relation(iid, "let_relation", let_relation)
    return lambda t: _compare(t.lower().count(char), rel, n)


def _detect(t: str) -> str | None:
    """langdetect's language code (seed 0, as the reference), None when it cannot tell."""
    import langdetect
    from langdetect.lang_detect_exception import LangDetectException

    langdetect.DetectorFactory.seed = 0
    try:
        return str(langdetect.detect(t))
    except LangDetectException:
        return None


def _language(iid: str, language: Any) -> Check:
    code = _str(iid, "language", language)
    if code not in LANGUAGES:
        raise InstructionError(
            f"instruction {iid!r}: 'language' {code!r} is not one of IFEval's codes {sorted(LANGUAGES)}"
        )
    # as the reference: text whose language cannot be detected counts as followed
    return lambda t: _detect(t) in (code, None)


def _sentences(iid: str, num_sentences: Any, relation: Any) -> Check:
    n, rel = _int(iid, "num_sentences", num_sentences), _relation(iid, "relation", relation)
    return lambda t: _compare(T.count_sentences(t), rel, n)


def _paragraphs(iid: str, num_paragraphs: Any) -> Check:
    n = _int(iid, "num_paragraphs", num_paragraphs, 1)

    def check(t: str) -> bool:
        parts = re.split(r"\s?\*\*\*\s?", t)
        count = len(parts)
        for i, part in enumerate(parts):
            if not part.strip():
                if i not in (0, len(parts) - 1):
                    return False
                count -= 1
        return count == n

    return check


def _words_count(iid: str, num_words: Any, relation: Any) -> Check:
    n, rel = _int(iid, "num_words", num_words), _relation(iid, "relation", relation)
    return lambda t: _compare(T.count_words(t), rel, n)


def _first_word_of(paragraph: str) -> str:
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    out = []
    for ch in word:
        if ch in ".,?!'\"":
            break
        out.append(ch.lower())
    return "".join(out)


def _nth_paragraph(iid: str, num_paragraphs: Any, nth_paragraph: Any, first_word: Any) -> Check:
    n = _int(iid, "num_paragraphs", num_paragraphs, 1)
    nth = _int(iid, "nth_paragraph", nth_paragraph, 1)
    word = _str(iid, "first_word", first_word).lower()

    def check(t: str) -> bool:
        parts = t.split("\n\n")
        count = sum(1 for p in parts if p.strip())
        if nth > count:
            return False
        paragraph = parts[nth - 1].strip()
        return bool(paragraph) and count == n and _first_word_of(paragraph) == word

    return check


def _placeholders(iid: str, num_placeholders: Any) -> Check:
    n = _int(iid, "num_placeholders", num_placeholders)
    return lambda t: T.count_placeholders(t) >= n


def _postscript(iid: str, postscript_marker: Any) -> Check:
    marker = _str(iid, "postscript_marker", postscript_marker)
    if marker == "P.P.S":
        pat = re.compile(r"p\.\s?p\.\s?s")
    elif marker == "P.S.":
        pat = re.compile(r"p\.\s?s\.")
    else:
        pat = re.compile(re.escape(marker.lower()))
    return lambda t: pat.search(t.lower()) is not None


def _bullets(iid: str, num_bullets: Any) -> Check:
    n = _int(iid, "num_bullets", num_bullets)
    return lambda t: T.count_bullets(t) == n


def _constrained(iid: str) -> Check:
    return lambda t: any(option in t.strip() for option in CONSTRAINED_RESPONSES)


def _highlights(iid: str, num_highlights: Any) -> Check:
    n = _int(iid, "num_highlights", num_highlights)
    return lambda t: T.count_highlights(t) >= n


def _sections(iid: str, section_spliter: Any, num_sections: Any) -> Check:
    word = _str(iid, "section_spliter", section_spliter)
    n = _int(iid, "num_sections", num_sections)
    pat = re.compile(r"\s?" + re.escape(word) + r"\s?\d+\s?")
    return lambda t: sum(1 for _ in pat.finditer(t)) >= n


def _json_format(iid: str) -> Check:
    def check(t: str) -> bool:
        body = t.strip()
        for fence in ("```json", "```Json", "```JSON", "```"):
            body = body.removeprefix(fence)
        body = body.removesuffix("```").strip()
        try:
            json.loads(body)
        except ValueError:
            return False
        return True

    return check


def _title(iid: str) -> Check:
    return T.has_title


def _two_responses(iid: str) -> Check:
    def check(t: str) -> bool:
        parts = t.split("******")
        kept = []
        for i, part in enumerate(parts):
            if part.strip():
                kept.append(part.strip())
            elif i not in (0, len(parts) - 1):
                return False
        return len(kept) == 2 and kept[0] != kept[1]

    return check


def _repeat_prompt(iid: str, prompt_to_repeat: Any) -> Check:
    prompt = _str(iid, "prompt_to_repeat", prompt_to_repeat).lower()
    return lambda t: t.strip().lower().startswith(prompt)


def _end_checker(iid: str, end_phrase: Any) -> Check:
    phrase = _str(iid, "end_phrase", end_phrase).lower()
    return lambda t: t.strip().strip('"').lower().endswith(phrase)


def _capital_words(iid: str, capital_frequency: Any, capital_relation: Any) -> Check:
    n = _int(iid, "capital_frequency", capital_frequency)
    rel = _relation(iid, "capital_relation", capital_relation)
    return lambda t: _compare(T.count_capital_words(t), rel, n)


def _english_capital(iid: str) -> Check:
    return lambda t: t.isupper() and _detect(t) in ("en", None)


def _english_lowercase(iid: str) -> Check:
    return lambda t: t.islower() and _detect(t) in ("en", None)


def _no_comma(iid: str) -> Check:
    return lambda t: "," not in t


def _quotation(iid: str) -> Check:
    def check(t: str) -> bool:
        body = t.strip()
        return len(body) > 1 and body[0] == '"' and body[-1] == '"'

    return check


def _spec(iid: str, make: Callable[..., Check], *required: str) -> tuple[str, Instruction]:
    return iid, Instruction(iid, make, required)


#: IFEval's 25 instruction ids with their arguments.
IFEVAL: dict[str, Instruction] = dict([
    _spec("keywords:existence", _existence, "keywords"),
    _spec("keywords:frequency", _frequency, "keyword", "frequency", "relation"),
    _spec("keywords:forbidden_words", _forbidden, "forbidden_words"),
    _spec("keywords:letter_frequency", _letter_frequency, "letter", "let_frequency", "let_relation"),
    _spec("language:response_language", _language, "language"),
    _spec("length_constraints:number_sentences", _sentences, "num_sentences", "relation"),
    _spec("length_constraints:number_paragraphs", _paragraphs, "num_paragraphs"),
    _spec("length_constraints:number_words", _words_count, "num_words", "relation"),
    _spec("length_constraints:nth_paragraph_first_word", _nth_paragraph,
          "num_paragraphs", "nth_paragraph", "first_word"),
    _spec("detectable_content:number_placeholders", _placeholders, "num_placeholders"),
    _spec("detectable_content:postscript", _postscript, "postscript_marker"),
    _spec("detectable_format:number_bullet_lists", _bullets, "num_bullets"),
    _spec("detectable_format:constrained_response", _constrained),
    _spec("detectable_format:number_highlighted_sections", _highlights, "num_highlights"),
    _spec("detectable_format:multiple_sections", _sections, "section_spliter", "num_sections"),
    _spec("detectable_format:json_format", _json_format),
    _spec("detectable_format:title", _title),
    _spec("combination:two_responses", _two_responses),
    _spec("combination:repeat_prompt", _repeat_prompt, "prompt_to_repeat"),
    _spec("startend:end_checker", _end_checker, "end_phrase"),
    _spec("change_case:capital_word_frequency", _capital_words, "capital_frequency", "capital_relation"),
    _spec("change_case:english_capital", _english_capital),
    _spec("change_case:english_lowercase", _english_lowercase),
    _spec("punctuation:no_comma", _no_comma),
    _spec("startend:quotation", _quotation),
])
#: Every supported instruction id: IFEval's 25 and the IFBench ones that need no NLTK data.
INSTRUCTIONS: dict[str, Instruction] = {
    **IFEVAL, **{iid: Instruction(iid, make, required) for iid, make, required in IFBENCH},
}


def build(instruction_id: Any, kwargs: Mapping[str, Any] | None) -> Check:
    """The check of one instruction; InstructionError on an unsupported id or bad arguments."""
    if not isinstance(instruction_id, str) or instruction_id not in INSTRUCTIONS:
        raise InstructionError(
            f"unsupported instruction id {instruction_id!r} (rewardkit-ifeval supports: "
            f"{', '.join(sorted(INSTRUCTIONS))})"
        )
    spec = INSTRUCTIONS[instruction_id]
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise InstructionError(f"instruction {instruction_id!r}: kwargs must be a dict, got {type(kwargs).__name__}")
    given = {k: v for k, v in (kwargs or {}).items() if v is not None}
    allowed = set(spec.required) | set(spec.optional)
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InstructionError(
            f"instruction {instruction_id!r}: unknown argument {unknown[0]!r} "
            f"(it takes: {', '.join(sorted(allowed)) or 'none'})"
        )
    missing = [k for k in spec.required if k not in given]
    if missing:
        raise InstructionError(f"instruction {instruction_id!r}: missing argument {missing[0]!r}")
    return spec.make(instruction_id, **given)
