"""Normalised exact match and SQuAD-style token F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


class Exact:
    """1.0 when the (already normalised) completion equals one of the references."""

    def reference(self, refs: Sequence[str]) -> Any:
        return frozenset(refs)

    def score(self, hyp: str, ref: Any) -> float:
        return 1.0 if hyp in ref else 0.0


class TokenF1:
    """Harmonic mean of token precision and recall (SQuAD), best over the references."""

    def reference(self, refs: Sequence[str]) -> Any:
        return [(Counter(toks), len(toks)) for toks in (r.split() for r in refs)]

    def score(self, hyp: str, ref: Any) -> float:
        toks = hyp.split()
        counts = Counter(toks)
        best = 0.0
        for r_counts, r_len in ref:
            if not toks or not r_len:
                f = float(len(toks) == r_len)
            else:
                same = sum(min(c, r_counts[t]) for t, c in counts.items() if t in r_counts)
                if same == 0:
                    f = 0.0
                else:
                    p, r = same / len(toks), same / r_len
                    f = 2 * p * r / (p + r)
            best = max(best, f)
        return best
