"""Clipped n-gram match counts with integer keys in numpy: the inner loop of BLEU and chrF.

A reference's symbols (characters or tokens) get dense codes 1..A; a symbol the reference
lacks gets 0, and an n-gram holding a 0 can match nothing. The n-gram of order ``n`` at
position ``i`` becomes one integer (its codes side by side, ``bits`` each, with the order
in the top bits), so counting and matching are a few vectorised operations instead of a
Python loop over string slices. Counts are integers, so results are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ORDER_SHIFT = 58
KEY_BITS = 58


def fits(alphabet: int, max_order: int) -> bool:
    """Whether n-grams up to ``max_order`` over ``alphabet`` codes fit in one key."""
    return max(1, alphabet.bit_length()) * max_order <= KEY_BITS and max_order < 32


def keys(codes: np.ndarray, max_order: int, bits: int) -> np.ndarray:
    """The keys of every n-gram of order 1..max_order of ``codes`` (int64)."""
    parts = []
    cur = codes
    for n in range(1, max_order + 1):
        if n > 1:
            if len(codes) < n:
                break
            cur = cur[:-1] | (codes[n - 1 :] << (bits * (n - 1)))
        if not len(cur):
            break
        parts.append(cur | np.int64(n << ORDER_SHIFT))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class Index:
    """A reference's distinct n-gram keys (sorted), their counts, their orders and totals per order."""

    keys: np.ndarray
    counts: np.ndarray
    orders: np.ndarray
    totals: list[int]

    @classmethod
    def build(cls, all_keys: np.ndarray, counts: np.ndarray | None, max_order: int) -> Index:
        if counts is None:
            uk, c = np.unique(all_keys, return_counts=True)
        else:
            uk, c = all_keys, counts
        orders = (uk >> ORDER_SHIFT).astype(np.int64)
        totals = np.bincount(orders, weights=c, minlength=max_order + 1)[1 : max_order + 1]
        return cls(uk, c.astype(np.int64), orders, [int(t) for t in totals])

    @classmethod
    def merge_max(cls, indexes: Sequence[Index], max_order: int) -> Index:
        """Per n-gram, the largest count over several references (BLEU's multi-reference rule)."""
        all_keys = np.concatenate([ix.keys for ix in indexes])
        all_counts = np.concatenate([ix.counts for ix in indexes])
        uk, inverse = np.unique(all_keys, return_inverse=True)
        best = np.zeros(len(uk), dtype=np.int64)
        np.maximum.at(best, inverse, all_counts)
        return cls.build(uk, best, max_order)

    def matches(self, hyp_keys: np.ndarray, max_order: int) -> list[int]:
        """Per order, the sum over n-grams of min(hypothesis count, reference count)."""
        if not len(hyp_keys) or not len(self.keys):
            return [0] * max_order
        pos = np.searchsorted(self.keys, hyp_keys)
        pos[pos == len(self.keys)] = 0
        pos = pos[self.keys[pos] == hyp_keys]
        if not len(pos):
            return [0] * max_order
        hyp_counts = np.bincount(pos, minlength=len(self.keys))
        clipped = np.minimum(hyp_counts, self.counts)
        per_order = np.bincount(self.orders, weights=clipped, minlength=max_order + 1)
        return [int(x) for x in per_order[1 : max_order + 1]]


def char_codes(line: str) -> np.ndarray:
    """Unicode code points of ``line`` as int64."""
    return np.frombuffer(line.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


#: Largest code point served by a lookup table (1 MiB of int32); beyond it, binary search.
LUT_MAX = 1 << 18


class Alphabet:
    """Dense codes 1..A for a reference's symbols (code points); 0 for any other symbol."""

    def __init__(self, codes: np.ndarray) -> None:
        self.symbols = np.unique(codes)
        self.size = len(self.symbols)
        self.lut = None
        if self.size and int(self.symbols[-1]) < LUT_MAX:
            self.lut = np.zeros(int(self.symbols[-1]) + 1, dtype=np.int64)
            self.lut[self.symbols] = np.arange(1, self.size + 1)

    def dense(self, codes: np.ndarray) -> np.ndarray:
        if not self.size:
            return np.zeros(len(codes), dtype=np.int64)
        if self.lut is not None:
            top = len(self.lut) - 1
            out = self.lut[np.minimum(codes, top)]
            out[codes > top] = 0
            return out
        idx = np.searchsorted(self.symbols, codes)
        clipped = np.minimum(idx, self.size - 1)
        return np.where(self.symbols[clipped] == codes, clipped + 1, 0).astype(np.int64)
