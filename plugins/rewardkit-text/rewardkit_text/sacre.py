"""BLEU and chrF with sacrebleu's tokenizers and final formulas, reference side cached.

The n-gram statistics are the ones sacrebleu's ``sentence_score`` computes; they are
counted here with the reference's n-grams computed once per reference (GRPO scores G
completions against one reference) and the final score comes from sacrebleu's own
``compute_bleu`` / chrF formula, so values match ``sentence_score`` exactly.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence


def _word_ngrams(tokens: list[str], max_order: int) -> list[Counter]:
    out = [Counter(tokens)]
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

    def tokens(self, text: str) -> list[str]:
        return self.metric._preprocess_segment(text).split()

    def reference(self, refs: Sequence[str]) -> Any:
        merged: list[dict] = [{} for _ in range(self.max_order)]
        lens = []
        for ref in refs:
            toks = self.tokens(ref)
            lens.append(len(toks))
            for acc, counts in zip(merged, _word_ngrams(toks, self.max_order)):
                for g, c in counts.items():
                    if c > acc.get(g, 0):
                        acc[g] = c
        return merged, lens

    def score(self, hyp: str, ref: Any) -> float:
        merged, lens = ref
        toks = self.tokens(hyp)
        hyp_len = len(toks)
        correct, total = [], []
        for n, (counts, acc) in enumerate(zip(_word_ngrams(toks, self.max_order), merged), start=1):
            total.append(max(0, hyp_len - n + 1))
            correct.append(sum(min(c, acc[g]) for g, c in counts.items() if g in acc))
        ref_len = _closest(hyp_len, lens)
        m = self.metric
        result = m.compute_bleu(correct, total, hyp_len, ref_len, smooth_method=m.smooth_method,
                                smooth_value=m.smooth_value, effective_order=True, max_ngram_order=self.max_order)
        return min(1.0, max(0.0, result.score / 100.0))


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

    def _ngrams(self, text: str) -> list[tuple[Counter, int]]:
        m = self.metric
        line = text if m.whitespace else "".join(text.split())
        out = []
        for n in range(1, m.char_order + 1):
            out.append((Counter([line[i : i + n] for i in range(len(line) - n + 1)]), max(0, len(line) - n + 1)))
        if m.word_order:
            words = m._remove_punctuation(text)
            for n in range(1, m.word_order + 1):
                grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
                out.append((Counter(grams), len(grams)))
        return out

    def reference(self, refs: Sequence[str]) -> Any:
        return [self._ngrams(r) for r in refs]

    def score(self, hyp: str, ref: Any) -> float:
        hyp_grams = self._ngrams(hyp)
        best_stats: list[int] = []
        best_f = -1.0
        for ref_grams in ref:
            stats: list[int] = []
            for (h, h_total), (r, r_total) in zip(hyp_grams, ref_grams):
                if len(h) > len(r):
                    match = sum(min(c, h[g]) for g, c in r.items() if g in h)
                else:
                    match = sum(min(c, r[g]) for g, c in h.items() if g in r)
                stats += [h_total if r else 0, r_total, match]
            f = self.metric._compute_f_score(stats)
            if f > best_f:
                best_f, best_stats = f, stats
        return min(1.0, max(0.0, self.metric._compute_f_score(best_stats) / 100.0))
