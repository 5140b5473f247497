"""BLEU and chrF with sacrebleu's tokenizers and final formulas, reference side cached.

The n-gram statistics are the ones sacrebleu's ``sentence_score`` computes; they are
counted here with the reference's n-grams computed once per reference (GRPO scores G
completions against one reference) and the final score comes from sacrebleu's own
``compute_bleu`` / chrF formula, so values match ``sentence_score`` exactly.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

# sacrebleu's 13a tokenizer, rule for rule, faster. Rule 1 (blank out one punctuation
# character) is a chain of str.replace; the blank itself is in rule 1's class but tripling
# blanks cannot change a token. Rule 2 (period/comma after a non-digit) is replayed over the
# positions of '.' and ',' with the regex's leftmost, non-overlapping semantics, because its
# pattern starts with [^0-9] and makes the regex engine try every position.
_RULE1 = [chr(c) for c in [*range(ord("{"), ord("~") + 1), *range(ord("["), ord("`") + 1),
                           *range(ord("!"), ord("&") + 1), *range(ord("("), ord("+") + 1),
                           *range(ord(":"), ord("@") + 1), ord("/")]]
_RULE3 = re.compile(r"([\.,])([^0-9])")
_RULE4 = re.compile(r"([0-9])(-)")
_DIGITS = frozenset("0123456789")


def _around(m: re.Match) -> str:
    return f"{m[1]} {m[2]} "


def _before(m: re.Match) -> str:
    return f" {m[1]} {m[2]}"


def _rule2(line: str) -> str:
    """``re.sub(r"([^0-9])([\\.,])", r"\\1 \\2 ", line)`` without trying every position."""
    marks = []
    for ch in ".,":
        j = line.find(ch, 1)
        while j >= 0:
            marks.append(j)
            j = line.find(ch, j + 1)
    if not marks:
        return line
    marks.sort()
    out, p = [], 0
    for j in marks:
        i = j - 1
        if i >= p and line[i] not in _DIGITS:
            out.append(line[p : i + 1])
            out.append(f" {line[j]} ")
            p = j + 1
    out.append(line[p:])
    return "".join(out)


def tokenize_13a(line: str) -> str:
    """Exactly sacrebleu's ``Tokenizer13a()(line)``."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for ch in _RULE1:
        if ch in line:
            line = line.replace(ch, f" {ch} ")
    line = _rule2(line)
    line = _RULE3.sub(_before, line)
    line = _RULE4.sub(_around, line)
    return " ".join(line.split())


def _word_ngrams(tokens: list[str], max_order: int) -> list[Counter]:
    out: list[Counter[Any]] = [Counter(tokens)]
    for n in range(2, max_order + 1):
        out.append(Counter(zip(*(tokens[i:] for i in range(n)))))
    return out


class Bleu:
    """Sentence BLEU (effective order) scaled to [0, 1]."""

    def __init__(self, tokenize: str, smooth: str, smooth_value: float | None, max_order: int = 4) -> None:
        from sacrebleu.metrics.bleu import BLEU

        self.metric = BLEU(tokenize=tokenize, smooth_method=smooth, smooth_value=smooth_value,
                           effective_order=True, max_ngram_order=max_order)
        self.max_order = max_order
        self._tok: Callable[[str], str] = tokenize_13a if tokenize == "13a" else self.metric.tokenizer

    def tokens(self, text: str) -> list[str]:
        # sacrebleu's _preprocess_segment (lower-casing is done by our normalisation)
        return self._tok(text.rstrip()).split()

    def reference(self, refs: Sequence[str]) -> Any:
        from . import ngrams as ng

        tokenised = [self.tokens(r) for r in refs]
        vocab: dict[str, int] = {}
        for toks in tokenised:
            for t in toks:
                vocab.setdefault(t, len(vocab) + 1)
        if ng.fits(len(vocab), self.max_order):
            bits = max(1, len(vocab).bit_length())
            import numpy as np

            indexes = [ng.Index.build(ng.keys(np.array([vocab[t] for t in toks], dtype=np.int64), self.max_order, bits),
                                      None, self.max_order) for toks in tokenised]
            index = indexes[0] if len(indexes) == 1 else ng.Index.merge_max(indexes, self.max_order)
            return ("keys", vocab, bits, index, [len(t) for t in tokenised])
        return self._reference_counters(refs)

    def _reference_counters(self, refs: Sequence[str]) -> Any:
        merged: list[dict] = [{} for _ in range(self.max_order)]
        lens = []
        for ref in refs:
            toks = self.tokens(ref)
            lens.append(len(toks))
            for acc, counts in zip(merged, _word_ngrams(toks, self.max_order)):
                for g, c in counts.items():
                    if c > acc.get(g, 0):
                        acc[g] = c
        return "counters", merged, lens

    def score(self, hyp: str, ref: Any) -> float:
        toks = self.tokens(hyp)
        hyp_len = len(toks)
        total = [max(0, hyp_len - n + 1) for n in range(1, self.max_order + 1)]
        if ref[0] == "keys":
            import numpy as np

            from . import ngrams as ng

            _, vocab, bits, index, lens = ref
            get = vocab.get
            codes = np.array([get(t, 0) for t in toks], dtype=np.int64)
            correct = index.matches(ng.keys(codes, self.max_order, bits), self.max_order)
        else:
            _, merged, lens = ref
            correct = []
            for counts, acc in zip(_word_ngrams(toks, self.max_order), merged):
                correct.append(sum([min(counts[g], acc[g]) for g in counts.keys() & acc.keys()]))
        m = self.metric
        value = bleu_from_stats(correct, total, hyp_len, _closest(hyp_len, lens), m.smooth_method, m.smooth_value)
        return min(1.0, max(0.0, value / 100.0))


def bleu_from_stats(correct_counts: Sequence[float], total_counts: Sequence[float], sys_len: int, ref_len: int,
                    smooth_method: str, smooth_value: float | None) -> float:
    """sacrebleu's ``BLEU.compute_bleu(..., effective_order=True).score``, operation for operation,
    without building its ``BLEUScore`` (which formats strings)."""
    from sacrebleu.metrics.bleu import BLEU

    correct, total = list(correct_counts), list(total_counts)  # add-k smoothing changes them

    if smooth_value is None:
        smooth_value = BLEU.SMOOTH_DEFAULTS[smooth_method]
    k = smooth_value or 0.0
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    order = len(correct)
    precisions = [0.0] * order
    if not any(correct):
        return 0.0
    smooth_mteval = 1.0
    eff_order = order
    for n in range(1, order + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += k
            total[n - 1] += k
        if total[n - 1] == 0:
            break
        eff_order = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":
                smooth_mteval *= 2
                precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * k / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    return bp * math.exp(sum([_log(p) for p in precisions[:eff_order]]) / eff_order)


def _log(num: float) -> float:
    """sacrebleu's ``my_log``: log, floored for 0."""
    return -9999999999 if num == 0.0 else math.log(num)


def _closest(hyp_len: int, ref_lens: list[int]) -> int:
    """sacrebleu's closest reference length (ties go to the shorter)."""
    best_diff, best = -1, -1
    for r in ref_lens:
        d = abs(hyp_len - r)
        if best_diff == -1 or d < best_diff or (d == best_diff and r < best):
            best_diff, best = d, r
    return best


class Chrf:
    """chrF (chrF++ with ``word_order=2``) scaled to [0, 1]; best reference by F-score."""

    def __init__(self, char_order: int, word_order: int, beta: int, whitespace: bool, eps_smoothing: bool) -> None:
        from sacrebleu.metrics.chrf import CHRF

        self.metric = CHRF(char_order=char_order, word_order=word_order, beta=beta, whitespace=whitespace,
                           eps_smoothing=eps_smoothing)

    def _line(self, text: str) -> str:
        return text if self.metric.whitespace else "".join(text.split())

    def _char_counters(self, line: str) -> list[tuple[Counter, int]]:
        return [(Counter([line[i : i + n] for i in range(len(line) - n + 1)]), max(0, len(line) - n + 1))
                for n in range(1, self.metric.char_order + 1)]

    def _word_counters(self, text: str) -> list[tuple[Counter, int]]:
        m = self.metric
        if not m.word_order:
            return []
        words = m._remove_punctuation(text)
        out = []
        for n in range(1, m.word_order + 1):
            grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
            out.append((Counter(grams), len(grams)))
        return out

    def reference(self, refs: Sequence[str]) -> Any:
        from . import ngrams as ng

        order = self.metric.char_order
        out: list[tuple[Any, ...]] = []
        for ref in refs:
            line = self._line(ref)
            words = self._word_counters(ref)
            codes = ng.char_codes(line)
            alphabet = ng.Alphabet(codes)
            if ng.fits(alphabet.size, order):
                bits = max(1, alphabet.size.bit_length())
                index = ng.Index.build(ng.keys(alphabet.dense(codes), order, bits), None, order)
                out.append(("keys", alphabet, bits, index, words))
            else:
                out.append(("counters", self._char_counters(line), words))
        return out

    def score(self, hyp: str, ref: Any) -> float:
        from . import ngrams as ng

        order = self.metric.char_order
        line = self._line(hyp)
        hyp_totals = [max(0, len(line) - n + 1) for n in range(1, order + 1)]
        codes = counters = None
        hyp_words = self._word_counters(hyp)
        best_stats: list[int] = []
        best_f = -1.0
        for entry in ref:
            stats: list[int] = []
            if entry[0] == "keys":
                _, alphabet, bits, index, ref_words = entry
                if codes is None:
                    codes = ng.char_codes(line)
                matches = index.matches(ng.keys(alphabet.dense(codes), order, bits), order)
                for h_total, r_total, match in zip(hyp_totals, index.totals, matches):
                    stats += [h_total if r_total else 0, r_total, match]
            else:
                _, ref_chars, ref_words = entry
                if counters is None:
                    counters = self._char_counters(line)
                stats += _match_stats(counters, ref_chars)
            stats += _match_stats(hyp_words, ref_words)
            f = self.metric._compute_f_score(stats)
            if f > best_f:
                best_f, best_stats = f, stats
        return min(1.0, max(0.0, self.metric._compute_f_score(best_stats) / 100.0))


def _match_stats(hyp: list[tuple[Counter, int]], ref: list[tuple[Counter, int]]) -> list[int]:
    """sacrebleu's chrF [hyp, ref, match] statistics per order, from counters."""
    stats: list[int] = []
    for (h, h_total), (r, r_total) in zip(hyp, ref):
        if len(h) > len(r):
            match = sum(min(c, h[g]) for g, c in r.items() if g in h)
        else:
            match = sum(min(c, r[g]) for g, c in h.items() if g in r)
        stats += [h_total if r else 0, r_total, match]
    return stats
