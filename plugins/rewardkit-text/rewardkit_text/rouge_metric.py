"""ROUGE-N, ROUGE-L and ROUGE-Lsum, equal to Google's rouge-score on ASCII text.

Two departures, both documented: the default ``unicode`` tokenizer keeps letters and
digits of every script (rouge-score's drops everything outside ``[a-z0-9]``, so identical
Chinese or Greek strings score 0) and splits CJK ideographs and kana into one token each;
``tokenizer="ascii"`` reproduces rouge-score's tokenizer exactly. LCS lengths use a
bit-parallel algorithm (Hyyro 2004) instead of rouge-score's quadratic Python table, with
the same tie-breaking when ROUGE-Lsum reads out one LCS.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

_ASCII_SEP = re.compile(r"[^a-z0-9]+")
_ASCII_SEP_CASED = re.compile(r"[^A-Za-z0-9]+")
_UNICODE_SEP = re.compile(r"[\W_]+")
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")


@lru_cache(maxsize=1)
def _porter() -> Any:
    try:
        from nltk.stem import porter
    except ImportError:
        raise ImportError("text.rouge with stemmer=true needs nltk: pip install nltk") from None
    return porter.PorterStemmer()


@lru_cache(maxsize=2**16)
def _stem(token: str) -> str:
    return _porter().stem(token)


def tokenize(text: str, tokenizer: str, stemmer: bool, lowercase: bool = True) -> list[str]:
    """rouge-score's tokenization (``ascii``), or the same rule over every script (``unicode``)."""
    if lowercase:
        text = text.lower()
    if tokenizer == "ascii":
        tokens = (_ASCII_SEP if lowercase else _ASCII_SEP_CASED).sub(" ", text).split()
    else:
        text = _UNICODE_SEP.sub(" ", text)
        if not text.isascii():
            text = _CJK.sub(r" \1 ", text)
        tokens = text.split()
    if stemmer:
        tokens = [_stem(t) if len(t) > 3 else t for t in tokens]
        if tokenizer == "ascii":
            tokens = [t for t in tokens if _ASCII_SEP_CASED.search(t) is None]
    return tokens


def _ngrams(tokens: list[str], n: int) -> Counter:
    if n == 1:
        return Counter(tokens)
    return Counter(zip(*(tokens[i:] for i in range(n))))


def _fmeasure(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _masks(tokens: Sequence[str]) -> dict[str, int]:
    masks: dict[str, int] = {}
    for i, t in enumerate(tokens):
        masks[t] = masks.get(t, 0) | (1 << i)
    return masks


def lcs_length(ref_masks: dict[str, int], m: int, can: Sequence[str]) -> int:
    """LCS length of a reference (as bit masks of its ``m`` positions) and ``can``."""
    full = (1 << m) - 1
    v = full
    get = ref_masks.get
    for t in can:
        u = v & get(t, 0)
        if u:
            v = ((v + u) | (v - u)) & full
    return m - v.bit_count()


def lcs_indices(ref: Sequence[str], ref_masks: dict[str, int], can: Sequence[str]) -> list[int]:
    """Indices into ``ref`` of the LCS that rouge-score's ``_backtrack_norec`` reads out."""
    m = len(ref)
    full = (1 << m) - 1
    rows = [full]
    v = full
    get = ref_masks.get
    for t in can:
        u = v & get(t, 0)
        if u:
            v = ((v + u) | (v - u)) & full
        rows.append(v)

    def table(i: int, j: int) -> int:  # rouge-score's lcs_table[i][j]
        return i - (rows[j] & ((1 << i) - 1)).bit_count()

    i, j = m, len(can)
    out: list[int] = []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            out.append(i - 1)
            i -= 1
            j -= 1
        elif table(i, j - 1) > table(i - 1, j):
            j -= 1
        else:
            i -= 1
    out.reverse()
    return out


class Rouge:
    """One ROUGE variant; the chosen measure of the reference with the best F-measure."""

    def __init__(self, variant: str, measure: str, tokenizer: str, stemmer: bool, lowercase: bool) -> None:
        self.variant, self.measure = variant, measure
        self.tok = (tokenizer, stemmer, lowercase)
        self.n = int(variant[5:]) if variant[5:].isdigit() else 0

    def tokens(self, text: str) -> list[str]:
        return tokenize(text, *self.tok)

    def _prep(self, text: str) -> Any:
        if self.variant == "rougeLsum":
            sents = [self.tokens(s) for s in text.split("\n") if len(s)]
            return sents, [_masks(s) for s in sents], Counter(t for s in sents for t in s)
        toks = self.tokens(text)
        if self.n:
            return _ngrams(toks, self.n), max(0, len(toks) - self.n + 1)
        return toks, _masks(toks)

    def reference(self, refs: Sequence[str]) -> Any:
        return [self._prep(r) for r in refs]

    def score(self, hyp: str, ref: Any) -> float:
        can: Any
        fn: Callable[[Any, Any], tuple[float, float, float]]
        if self.variant == "rougeLsum":
            can = [self.tokens(s) for s in hyp.split("\n") if len(s)]
            fn = self._summary
        elif self.n:
            can = self._prep(hyp)
            fn = self._ngram
        else:
            can = self.tokens(hyp)
            fn = self._lcs
        best = None
        for r in ref:
            s = fn(r, can)
            if best is None or s[2] > best[2]:
                best = s
        p, r_, f = best  # type: ignore[misc]
        return {"precision": p, "recall": r_, "fmeasure": f}[self.measure]

    def _ngram(self, ref: Any, can: Any) -> tuple[float, float, float]:
        (t, t_total), (c, c_total) = ref, can
        if len(c) < len(t):
            inter = sum(min(n, t[g]) for g, n in c.items() if g in t)
        else:
            inter = sum(min(n, c[g]) for g, n in t.items() if g in c)
        p = inter / max(c_total, 1)
        r = inter / max(t_total, 1)
        return p, r, _fmeasure(p, r)

    def _lcs(self, ref: Any, can: list[str]) -> tuple[float, float, float]:
        toks, masks = ref
        if not toks or not can:
            return 0.0, 0.0, 0.0
        n = lcs_length(masks, len(toks), can)
        p, r = n / len(can), n / len(toks)
        return p, r, _fmeasure(p, r)

    def _summary(self, ref: Any, can: list[list[str]]) -> tuple[float, float, float]:
        sents, masks, ref_counts = ref
        if not sents or not can:
            return 0.0, 0.0, 0.0
        m = sum(map(len, sents))
        n = sum(map(len, can))
        if not n or not m:
            return 0.0, 0.0, 0.0
        cnt_r = Counter(ref_counts)
        cnt_c = Counter(t for s in can for t in s)
        hits = 0
        for sent, mask in zip(sents, masks):
            union: set[int] = set()
            for c in can:
                union.update(lcs_indices(sent, mask, c))
            for i in sorted(union):
                t = sent[i]
                if cnt_c[t] > 0 and cnt_r[t] > 0:
                    hits += 1
                    cnt_c[t] -= 1
                    cnt_r[t] -= 1
        r, p = hits / m, hits / n
        return p, r, _fmeasure(p, r)
