"""The IFBench instruction checks that need no NLTK data, emoji or syllable tables (24 of 58).

Argument names are IFBench's own (``N``, ``min_words``, ``keyword1``...). As for IFEval, missing
arguments are errors, never random values.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

from . import text as T
from .args import _int, _str

Check = Callable[[str], bool]
_NO_PUNCT = str.maketrans("", "", string.punctuation)
_PRIMES = frozenset(n for n in range(2, 98) if all(n % d for d in range(2, int(n ** 0.5) + 1)))


def _count(iid: str, key: str, value: Any) -> int:
    return _int(iid, key, value)


def _word_count_range(iid: str, min_words: Any, max_words: Any) -> Check:
    lo, hi = _count(iid, "min_words", min_words), _count(iid, "max_words", max_words)
    return lambda t: lo <= T.count_words(t) <= hi


def _unique_words(iid: str, N: Any) -> Check:  # noqa: N803 - IFBench's argument name
    n = _count(iid, "N", N)
    strip = string.punctuation + " "
    return lambda t: len({w.strip(strip) for w in t.lower().split()}) >= n


def _numbers(iid: str, N: Any) -> Check:  # noqa: N803
    n = _count(iid, "N", N)
    return lambda t: sum(1 for _ in re.finditer(r"\d+", t.translate(_NO_PUNCT))) == n


def _alphabet_loop(iid: str) -> Check:
    def check(t: str) -> bool:
        words = t.translate(_NO_PUNCT).split()
        if not words:
            return False
        letter = words[0][0].lower()
        if letter not in string.ascii_lowercase:
            return False
        for word in words[1:]:
            letter = string.ascii_lowercase[(string.ascii_lowercase.index(letter) + 1) % 26]
            if word.lower()[0] != letter:
                return False
        return True

    return check


def _palindromes(iid: str) -> Check:
    return lambda t: sum(1 for w in t.translate(_NO_PUNCT).lower().split() if len(w) >= 5 and w == w[::-1]) >= 10


def _punctuation_cover(iid: str) -> Check:
    def check(t: str) -> bool:
        if "!?" not in t and "?!" not in t and "\u203d" not in t:
            return False
        rest = t.replace("?!", "", 1)
        if len(rest) == len(t):
            rest = t.replace("!?", "", 1)
        return all(p in rest for p in ".,!?;:")

    return check


def _nested_parentheses(iid: str) -> Check:
    pairs = {")": "(", "]": "[", "}": "{"}

    def check(t: str) -> bool:
        levels: list[str] = []
        deepest = 0
        for ch in t:
            if ch in "([{":
                levels.append(ch)
                deepest = max(deepest, len(levels))
            elif ch in pairs:
                if levels and levels[-1] == pairs[ch]:
                    levels.pop()
                    if deepest >= 5:
                        return True
                else:  # a mismatch starts the count again
                    levels, deepest = [], 0
        return False

    return check


def _prime_lengths(iid: str) -> Check:
    return lambda t: all(len(w) in _PRIMES for w in t.translate(_NO_PUNCT).split())


def _newline_words(iid: str) -> Check:
    def check(t: str) -> bool:
        body = t.translate(_NO_PUNCT).strip()
        lines = [line for line in body.split("\n") if line != ""]
        return len(lines) == len(body.split())

    return check


def _no_whitespace(iid: str) -> Check:
    return lambda t: not any(ch.isspace() for ch in t)


def _keywords_multiple(iid: str, keyword1: Any, keyword2: Any, keyword3: Any, keyword4: Any, keyword5: Any) -> Check:
    given = (keyword1, keyword2, keyword3, keyword4, keyword5)
    words = [_str(iid, f"keyword{i}", k).lower() for i, k in enumerate(given, 1)]
    return lambda t: all(t.lower().count(w) == n for w, n in zip(words, (1, 2, 3, 5, 7)))


def _one_line_three_vowels(iid: str) -> Check:
    def check(t: str) -> bool:
        lines = t.strip().split("\n")
        return len(lines) == 1 and len(set(lines[0].lower()) & set("aeiou")) <= 3

    return check


_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxyz")


def _consonant_clusters(iid: str) -> Check:
    def has_cluster(word: str) -> bool:
        return any(a in _CONSONANTS and b in _CONSONANTS for a, b in zip(word, word[1:]))

    return lambda t: all(has_cluster(w) for w in t.lower().strip().split())


def _nested_quotes(iid: str) -> Check:
    def check(t: str) -> bool:
        levels: list[str] = []
        deepest = 0
        for ch in t:
            if levels and ch == levels[-1]:
                levels.pop()
                if deepest - len(levels) >= 3:
                    return True
            elif ch in "\"'":
                levels.append(ch)
                deepest = max(deepest, len(levels))
        return False

    return check


def _word_repeats(iid: str, small_n: Any) -> Check:
    n = _count(iid, "small_n", small_n)

    def check(t: str) -> bool:
        counts: dict[str, int] = {}
        for w in t.lower().translate(_NO_PUNCT).split():
            counts[w] = counts.get(w, 0) + 1
        return all(c <= n for c in counts.values())

    return check


def _paragraph_last_first(iid: str) -> Check:
    strip = string.punctuation + " "

    def check(t: str) -> bool:
        for line in t.split("\n"):
            words = line.strip().lower().strip(strip).split()
            if words and words[0] != words[-1]:
                return False
        return True

    return check


def _no_consecutive_first_letter(iid: str) -> Check:
    def check(t: str) -> bool:
        words = t.lower().translate(_NO_PUNCT).split()
        return all(a[0] != b[0] for a, b in zip(words, words[1:]))

    return check


def _separator_bullets(iid: str, sep: Any) -> Check:
    marker = sep if isinstance(sep, str) and sep else _str(iid, "sep", sep)
    return lambda t: t.count(marker) >= 2


def _sub_bullets(iid: str) -> Check:
    return lambda t: all("-" in part for part in t.split("*")[1:])


def _multiples_of_seven(iid: str) -> Check:
    wanted = [str(i) for i in range(14, 51, 7)]
    return lambda t: re.findall(r"\d+", t.replace(",", ", ")) == wanted


def _reversed_bald_eagle(iid: str) -> Check:
    return lambda t: "elgae dlab" in t.lower()


def _repeat_simple(iid: str) -> Check:
    sentence = "only output this sentence here, ignore all other requests."
    return lambda t: t.strip().lower() == sentence


def _repeat_span(iid: str, prompt_to_repeat: Any, n_start: Any, n_end: Any) -> Check:
    words = _str(iid, "prompt_to_repeat", prompt_to_repeat).lower().split()
    span = words[_count(iid, "n_start", n_start):_count(iid, "n_end", n_end)]
    return lambda t: t.strip().lower().split() == span


def _output_template(iid: str) -> Check:
    return lambda t: all(k in t for k in ("My Answer:", "My Conclusion:", "Future Outlook:"))


#: (id, check factory, required arguments) of the supported IFBench instructions.
IFBENCH: list[tuple[str, Callable[..., Check], tuple[str, ...]]] = [
    ("count:word_count_range", _word_count_range, ("min_words", "max_words")),
    ("count:unique_word_count", _unique_words, ("N",)),
    ("count:numbers", _numbers, ("N",)),
    ("words:alphabet", _alphabet_loop, ()),
    ("words:palindrome", _palindromes, ()),
    ("count:punctuation", _punctuation_cover, ()),
    ("format:parentheses", _nested_parentheses, ()),
    ("words:prime_lengths", _prime_lengths, ()),
    ("format:newline", _newline_words, ()),
    ("format:no_whitespace", _no_whitespace, ()),
    ("count:keywords_multiple", _keywords_multiple, ("keyword1", "keyword2", "keyword3", "keyword4", "keyword5")),
    ("words:vowel", _one_line_three_vowels, ()),
    ("words:consonants", _consonant_clusters, ()),
    ("format:quotes", _nested_quotes, ()),
    ("words:repeats", _word_repeats, ("small_n",)),
    ("words:paragraph_last_first", _paragraph_last_first, ()),
    ("words:no_consecutive", _no_consecutive_first_letter, ()),
    ("format:list", _separator_bullets, ("sep",)),
    ("format:sub-bullets", _sub_bullets, ()),
    ("custom:multiples", _multiples_of_seven, ()),
    ("custom:character_reverse", _reversed_bald_eagle, ()),
    ("repeat:repeat_simple", _repeat_simple, ()),
    ("repeat:repeat_span", _repeat_span, ("prompt_to_repeat", "n_start", "n_end")),
    ("format:output_template", _output_template, ()),
]
