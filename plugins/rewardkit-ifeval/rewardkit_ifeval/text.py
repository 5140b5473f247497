"""Counting helpers for the IFEval checks: words, sentences, capital words, bullets, titles.

Every helper is linear in the length of the text (no regex that backtracks over a line), so a
1 MB completion is checked in milliseconds.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_ALNUM = re.compile(r"\w")
_CLOSERS = "\"')]}\u00bb\u201d\u2019*_"
_TERMINATORS = ".!?"
#: Tokens ending in "." that do not end a sentence (compared lower-cased, without the final dot).
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd",
    "co", "corp", "fig", "no", "approx", "dept", "est", "gen", "gov", "lt", "capt", "col", "sgt",
    "mt", "ft", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "a.m", "p.m", "u.s", "u.k", "ph.d", "cf", "al", "ca", "viz",
})
#: Where the Penn Treebank tokenizer of the reference (NLTK's word_tokenize) splits inside a
#: blank-separated word: quotes, brackets, ``*``, ``?``, ``!``, ``;@#$%&``, dashes, ellipses,
#: ``--``, ``,``/``:`` not followed by a digit, and an opening ``'``.
_SPLIT = re.compile(
    "[\u00ab\u201c\u2018\u201e`\u00bb\u201d\u2019\";@#$%&\u2012-\u2015?!*\\[\\](){}<>]|\\.{2,}|--|''|[:,](?!\\d)"
    "|(?<!\\w)'(?!(?i:re|ve|ll|m|t|s|d|n)\\b)(?=\\w)"  # an opening quote before a word
)
#: Contractions split off the end of a word (followed by a blank), as the reference's tokenizer does.
_CONTRACTION = re.compile(r"(?<=[^' ])('[sSmMdD]|'ll|'LL|'re|'RE|'ve|'VE|n't|N'T)$")
#: Words the tokenizer cuts in two (MacIntyre contractions: cannot, gonna, 'tis, ...).
_CUT = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(can)(not)\b", r"\b(d)('ye)\b", r"\b(gim)(me)\b", r"\b(gon)(na)\b", r"\b(got)(ta)\b",
    r"\b(lem)(me)\b", r"\b(more)('n)\b", r"\b(wan)(na)(?=\s)", r"(?<= )('t)(is)\b", r"(?<= )('t)(was)\b",
)]


def count_words(text: str) -> int:
    """Number of ``\\w+`` runs (the reference's RegexpTokenizer(r"\\w+"))."""
    return sum(1 for _ in _WORD.finditer(text))


def _is_abbreviation(core: str) -> bool:
    stem = core.rstrip(".").lower()
    if len(stem) == 1 and stem.isalpha():  # an initial: "J. Smith"
        return True
    if stem.isdigit():  # a list number or an ordinal: "1. First"
        return True
    return stem in _ABBREVIATIONS


def count_sentences(text: str) -> int:
    """Number of sentences: a token ending in ``.``, ``!`` or ``?`` closes one (abbreviations and
    initials excepted), and trailing words without a terminator make one more.

    This stands in for the reference's trained Punkt model, whose data cannot be downloaded here.
    """
    count = 0
    open_sentence = False
    for token in text.split():
        if not open_sentence and _ALNUM.search(token):
            open_sentence = True
        core = token.rstrip(_CLOSERS)
        if not open_sentence or not core or core[-1] not in _TERMINATORS:
            continue
        if core[-1] == "." and not core.endswith("..") and _is_abbreviation(core):
            continue
        count += 1
        open_sentence = False
    return count + int(open_sentence)


def count_capital_words(text: str) -> int:
    """Words whose letters are all upper case, tokenised as the reference's ``nltk.word_tokenize``
    does (contractions such as ``N'T`` and ``'S`` split off, punctuation apart, hyphenated words
    kept whole); a handful of linear regex passes instead of NLTK's slower ones."""
    text = " " + _SPLIT.sub(" ", text) + " "
    for pattern in _CUT:
        text = pattern.sub(r"\1 \2", text)
    tokens = text.split()
    if tokens and tokens[-1].endswith(".") and not tokens[-1].endswith(".."):
        tokens[-1] = tokens[-1][:-1]  # the text's final period comes off
    count = 0
    for token in tokens:
        if len(token) > 1 and token[-1] == "'" and token[-2] != "'":
            token = token[:-1]  # a closing quote comes off before the contraction does
        split = _CONTRACTION.search(token)
        if split:
            count += token[: split.start()].isupper() + split.group(0).isupper()
        else:
            count += token.isupper()
    return count


def count_bullets(text: str) -> int:
    """Markdown bullet lines: ``* item`` (not ``**``) and ``- item``, leading blanks allowed.

    The two kinds are counted apart, as the reference's two patterns are; a lone ``*`` line
    takes the next line as its text (the reference's ``[^*]`` matches the newline).
    """
    lines = [line.lstrip() for line in text.split("\n")]
    dashes = sum(1 for line in lines if line.startswith("-"))
    stars = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("*"):
            if len(line) > 1:
                stars += line[1] != "*"
            elif i + 1 < len(lines):
                stars += 1
                i += 1
        i += 1
    return dashes + stars


def has_title(text: str) -> bool:
    """A non-blank ``<<title>>`` on one line."""
    for line in text.split("\n"):
        start = line.find("<<")
        if start < 0:
            continue
        end = line.rfind(">>")
        if end >= start + 3 and line[start:end + 2].lstrip("<").rstrip(">").strip():
            return True
    return False


def count_placeholders(text: str) -> int:
    """Square-bracket placeholders ``[name]`` closed on the same line."""
    return sum(1 for _ in re.finditer(r"\[[^\[\]\n]*\]", text))


def count_highlights(text: str) -> int:
    """Non-blank ``*highlighted*`` and ``**bold**`` spans within one line (each kind counted)."""
    single = sum(1 for m in re.finditer(r"\*([^\n*]*)\*", text) if m.group(1).strip())
    double = sum(1 for m in re.finditer(r"\*\*([^\n*]*)\*\*", text) if m.group(1).strip())
    return single + double
