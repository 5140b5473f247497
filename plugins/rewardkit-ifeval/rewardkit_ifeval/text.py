"""Counting helpers for the IFEval checks: words, sentences, capital words, bullets, titles.

Every helper is linear in the length of the text (no regex that backtracks over a line), so a
1 MB completion is checked in milliseconds.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_ALNUM = re.compile(r"\w")
_CLOSERS = "\"')]}\u00bb\u201d\u2019*_`~"
#: Closers that Punkt moves back onto the sentence they close; any other (``**``, a backtick) starts a
#: sentence of its own when nothing follows it (``Done.**`` is two sentences to Punkt).
_REALIGNED = "\"')]}"
_TERMINATORS = ".!?"
#: Tokens ending in "." that do not end a sentence (compared lower-cased, without the final dot): the
#: abbreviations of Punkt's English model that are words (not its one-letter and dotted ones, which the
#: initial rule covers).
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "messrs", "dr", "prof", "sr", "jr", "st", "vs", "inc", "ltd", "co", "corp", "cos",
    "gen", "lt", "col", "maj", "adm", "rep", "reps", "sen", "ft", "ave", "bros", "cie", "chg", "mg", "yr",
    "jan", "feb", "aug", "sep", "sept", "oct", "nov", "dec", "fri", "tues", "wed",
    "ala", "ariz", "calif", "colo", "conn", "ct", "fla", "ga", "ill", "kan", "ky", "mich", "minn", "nev",
    "okla", "ore", "pa", "tenn", "va", "vt", "wash", "wis", "ok", "sw",
    "a.m", "p.m", "u.s", "u.k", "ph.d", "d.c", "n.y", "l.a",
})
#: Words that, capitalised after an abbreviation or an initial, start a new sentence (Punkt's
#: orthographic heuristic: words it has seen in lower case mid-sentence). Proper names are not here,
#: so ``Mr. Smith`` and ``J. Smith`` stay one sentence while ``See Mr. He left.`` is two.
_STARTERS = frozenset("""
a about after all also although an and another any are as at because before both but by can could did
do does each even every few first for from further had has have having he her here hers him his how however
i if in instead into is it its just last let many may maybe more most much my next no nor not now of on
once one only or other our out over perhaps she since so some still such than that the their them
there therefore these they this those though thus to today too under unlike until up us was we were what
when where whether which while who why will with within without would yes yet you your
""".split())
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


def _starts_lower(token: str) -> bool:
    """Whether the next token's first letter-or-digit is a lower-case letter."""
    m = _ALNUM.search(token)
    return m is not None and m.group(0).islower()


def _period_ends(core: str, following: str | None) -> bool:
    """Whether ``core`` (a token ending in one ``.``) ends a sentence, as Punkt decides it.

    * ellipses (``..``) never do;
    * numbers (``1.``, list items) do unless the next word starts in lower case: ``1. Apples\n2. Pears``
      is three sentences with the trailing words, ``1. apples`` one;
    * abbreviations and single-letter initials do only before a capitalised common word
      (:data:`_STARTERS`): ``Mr. Smith`` no, ``Mr. He`` yes;
    * any other word does.
    """
    if core.endswith(".."):
        return False
    stem = core[:-1].lower()
    if stem.isdigit():
        return following is None or not _starts_lower(following)
    if (len(stem) == 1 and stem.isalpha()) or stem in _ABBREVIATIONS:
        if following is None:
            return True
        word = following.strip(_CLOSERS + "(\"'[{\u201c\u2018")
        return word[:1].isupper() and word.lower().rstrip(".,;:!?") in _STARTERS
    return True


def count_sentences(text: str) -> int:
    """Number of sentences, as Punkt (the reference's ``nltk.sent_tokenize``) counts them, in linear time.

    A token ending in ``!`` or ``?`` closes a sentence; one ending in ``.`` does by
    :func:`_period_ends` (numbered list items, abbreviations, initials and ellipses as Punkt treats
    them). Any text after the last close is one more sentence, markup included (``Done.**`` and
    ``Done.`` then a closing code fence are two, as for Punkt), except closing quotes and brackets,
    which belong to the sentence they close.

    This stands in for the reference's trained Punkt model (whose ``period_context`` regex also
    backtracks on hostile text); docs/ifeval.md gives its agreement with Punkt.
    """
    tokens = text.split()
    count = 0
    open_sentence = False
    for i, token in enumerate(tokens):
        open_sentence = True
        core = token.rstrip(_CLOSERS)
        if not core or core[-1] not in _TERMINATORS:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if core[-1] == "." and not _period_ends(core, following):
            continue
        count += 1
        open_sentence = bool(token[len(core):].strip(_REALIGNED))
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
