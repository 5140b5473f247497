"""Metrics over per-item scores: distribution, latency, agreement with labels, pairs, rank correlation.

Everything here is plain Python on lists, so each function can be checked by hand. Items whose
score is ``None`` (not applicable, error or timeout) are left out of every metric and counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Values = Sequence[float | None]

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "correct"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "incorrect"}


def parse_label(value: Any, where: str = "label") -> bool | None:
    """A boolean label from a bool, 0/1 number or text like ``true``/``false``; ``None`` (null) stays None.

    An empty or blank text is an error, never False: a careless export or an unlabelled row looks the same.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and not value.strip():
        raise ValueError(
            f"{where}: the label is empty (expected true/false, 1/0; write null in JSON/Parquet for an unlabelled item)"
        )
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{where}: expected a boolean label (true/false, 1/0), got {value!r}")


def as_array(values: Values) -> Any:
    """Scores as a float64 numpy array, NaN for None (no Python list in between for a job's columns)."""
    import numpy as np

    raw = getattr(values, "float_array", None)
    if raw is not None:
        return np.frombuffer(raw, dtype=np.float64).copy() if len(raw) else np.zeros(0)
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def label_array(labels: Sequence[bool | None]) -> Any:
    """Labels as an int8 numpy array: 1 true, 0 false, -1 none."""
    import numpy as np

    codes = getattr(labels, "label_codes", None)  # a streamed job's labels: 0 false, 1 true, 2 none
    if codes is not None:
        arr = np.frombuffer(bytes(codes), dtype=np.int8).copy()
        arr[arr == 2] = -1
        return arr
    return np.fromiter((-1 if y is None else int(bool(y)) for y in labels), dtype=np.int8, count=len(labels))


#: Items per step where a metric works through millions of them in pieces.
CHUNK = 1 << 20
#: Above this many items, rank correlations and plotted curves use a seeded sample of them.
MAX_SAMPLE = 1_000_000


def sample_indices(idx: Any, limit: int | None = None, seed: int = 0) -> Any:
    """``idx`` itself when short enough, else a seeded, sorted sample of ``limit`` (default
    :data:`MAX_SAMPLE`) of its entries."""
    import numpy as np

    limit = MAX_SAMPLE if limit is None else limit
    if len(idx) <= limit:
        return idx
    return np.sort(np.random.default_rng(seed).choice(idx, limit, replace=False))


def percentile(sorted_values: Any, q: float) -> float:
    """Linear-interpolated percentile ``q`` (0-100) of already sorted values (a sequence or numpy array)."""
    if not len(sorted_values):
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def distribution(values: Values, lo: float, hi: float, bins: int = 20) -> dict[str, Any]:
    """Count, mean, population std, min, max and a histogram over ``[lo, hi]`` (observed range if infinite)."""
    import numpy as np

    from ..outcomes import tally

    arr = as_array(values)
    t = tally(values)
    out: dict[str, Any] = {"count": t.count, "n": t.n, "mean": t.mean, "std": t.std, "min": None, "max": None}
    if t.n:
        out.update(min=float(np.nanmin(arr)), max=float(np.nanmax(arr)))
    a = lo if math.isfinite(lo) else (out["min"] if t.n else 0.0)
    b = hi if math.isfinite(hi) else (out["max"] if t.n else 1.0)
    if b <= a:
        b = a + 1.0
    counts = np.zeros(bins, dtype=np.int64)
    for start in range(0, len(arr), CHUNK):  # bounded temporaries on millions of items
        part = arr[start : start + CHUNK]
        part = part[~np.isnan(part)]
        k = ((part - a) / (b - a) * bins).astype(np.int64)
        counts += np.bincount(np.clip(k, 0, bins - 1), minlength=bins)

    out["histogram"] = {"edges": [a + (b - a) * i / bins for i in range(bins + 1)], "counts": counts.tolist()}
    return out


def latency(seconds: Sequence[float], total_seconds: float | None = None) -> dict[str, Any]:
    """Per-item latency percentiles in milliseconds, and throughput in items per second."""
    import numpy as np

    s = np.sort(np.asarray(seconds, dtype=np.float64))
    if not len(s):
        return {"items": 0, "items_per_second": None, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    total = float(s.sum()) if total_seconds is None else total_seconds
    return {
        "items": len(s),
        "seconds": total,
        "items_per_second": len(s) / total if total > 0 else None,
        "p50_ms": percentile(s, 50) * 1e3,
        "p95_ms": percentile(s, 95) * 1e3,
        "p99_ms": percentile(s, 99) * 1e3,
        "max_ms": float(s[-1]) * 1e3,
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def classification(values: Values, labels: Sequence[bool | None], threshold: float) -> dict[str, Any]:
    """Agreement of ``value >= threshold`` with a boolean label: accuracy, precision, recall, F1.

    Items without a value or without a label are left out (``skipped``).
    """
    tp = fp = tn = fn = skipped = 0
    for v, y in zip(values, labels, strict=True):
        if v is None or y is None:
            skipped += 1
            continue
        pred = v >= threshold
        if pred and y:
            tp += 1
        elif pred:
            fp += 1
        elif y:
            fn += 1
        else:
            tn += 1
    n = tp + fp + tn + fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if n else None)
    return {
        "threshold": threshold,
        "n": n,
        "skipped": skipped,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "accuracy": _ratio(tp + tn, n),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _average_ranks(values: Sequence[float]) -> Any:
    """1-based ranks (a numpy array) with ties sharing their average rank."""
    import numpy as np

    uniq, inverse, counts = np.unique(np.asarray(values, dtype=float), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


def _scored(values: Values, labels: Sequence[bool | None]) -> tuple[Any, Any]:
    """Scores and boolean labels of the items that have both, as numpy arrays."""
    import numpy as np

    v, y = as_array(values), label_array(labels)
    if len(v) != len(y):
        raise ValueError(f"{len(v)} values against {len(y)} labels")
    keep = ~np.isnan(v) & (y >= 0)
    return v[keep], y[keep].astype(bool)


def roc_auc(values: Values, labels: Sequence[bool | None]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties count half); None without both classes."""
    v, y = _scored(values, labels)
    pos = int(y.sum())
    neg = len(y) - pos
    if not pos or not neg:
        return None
    rank_sum = float(_average_ranks(v)[y].sum())
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def roc_curve(values: Values, labels: Sequence[bool | None], sample: bool = False) -> tuple[list[float], list[float]]:
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1) (with
    ``sample``, over a seeded sample of :data:`MAX_SAMPLE` items on larger jobs: for plots)."""
    import numpy as np

    v, y = _scored(values, labels)
    if sample and len(v) > MAX_SAMPLE:
        keep = sample_indices(np.arange(len(v)))
        v, y = v[keep], y[keep]
    order = np.argsort(-v, kind="stable")
    v, y = v[order], y[order]
    pos = int(y.sum())
    neg = len(y) - pos
    tp, fp = np.cumsum(y), np.cumsum(~y)
    last = np.r_[v[1:] != v[:-1], True] if len(v) else np.zeros(0, dtype=bool)
    fpr = (fp[last] / neg if neg else np.zeros(int(last.sum()))).tolist()
    tpr = (tp[last] / pos if pos else np.zeros(int(last.sum()))).tolist()
    return [0.0, *fpr], [0.0, *tpr]


def calibration(
    values: Values, labels: Sequence[bool | None], lo: float, hi: float, bins: int = 10
) -> list[dict[str, Any]]:
    """Share of positive labels per score bin (for a calibration plot)."""
    out = [
        {"lo": lo + (hi - lo) * i / bins, "hi": lo + (hi - lo) * (i + 1) / bins, "n": 0, "positive": 0}
        for i in range(bins)
    ]
    for v, y in zip(values, labels):
        if v is None or y is None:
            continue
        k = min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))
        out[k]["n"] += 1
        out[k]["positive"] += bool(y)
    return out


def is_graded(values: Values) -> bool:
    """True when a reward gives more than two distinct values (so ROC-AUC means something)."""
    seen: set[float] = set()
    for v in values:
        if v is not None:
            seen.add(v)
            if len(seen) > 2:
                return True
    return False


def pairwise(chosen: Values, rejected: Values) -> dict[str, Any]:
    """Share of pairs where the chosen completion scores higher; a tie counts half."""
    wins = ties = losses = skipped = 0
    for c, r in zip(chosen, rejected, strict=True):
        if c is None or r is None:
            skipped += 1
        elif c > r:
            wins += 1
        elif c == r:
            ties += 1
        else:
            losses += 1
    n = wins + ties + losses
    return {
        "n": n,
        "skipped": skipped,
        "wins": wins,
        "ties": ties,
        "losses": losses,
        "accuracy": (wins + 0.5 * ties) / n if n else None,
    }


def spearman(a: Values, b: Values) -> float | None:
    """Spearman rank correlation over items where both have a value (a seeded sample of
    :data:`MAX_SAMPLE` of them on larger jobs); None if undefined."""
    import numpy as np

    if len(a) != len(b):
        raise ValueError(f"spearman: {len(a)} values against {len(b)}")
    x, y = as_array(a), as_array(b)
    idx = sample_indices(np.flatnonzero(~(np.isnan(x) | np.isnan(y))))
    if len(idx) < 2:
        return None
    rx, ry = _average_ranks(x[idx]), _average_ranks(y[idx])
    rx, ry = rx - rx.mean(), ry - ry.mean()
    va, vb = float((rx * rx).sum()), float((ry * ry).sum())
    return float((rx * ry).sum()) / math.sqrt(va * vb) if va > 0 and vb > 0 else None


def rank_matrix(columns: Mapping[str, Values]) -> dict[str, dict[str, float | None]]:
    """Spearman correlation between every pair of named score columns."""
    names = list(columns)
    out: dict[str, dict[str, float | None]] = {n: {} for n in names}
    for i, x in enumerate(names):
        for y in names[i:]:
            out[x][y] = out[y][x] = spearman(columns[x], columns[y])
    return out


def disagreements(
    values: Values, labels: Sequence[bool | None], threshold: float, k: int = 5, seed: int = 0
) -> dict[str, list[int]]:
    """A seeded sample of up to ``k`` item indices of each kind: reward yes / label no, and the reverse."""
    import random

    import numpy as np

    v, y = as_array(values), label_array(labels)
    scored = ~np.isnan(v) & (y >= 0)
    with np.errstate(invalid="ignore"):
        says = v >= threshold
    yes_no = np.flatnonzero(scored & says & (y == 0))
    no_yes = np.flatnonzero(scored & ~says & (y == 1))
    rng = random.Random(seed)

    def pick(idx: Any) -> list[int]:
        # sampling positions picks exactly what sampling the list of indices would
        return sorted(int(idx[j]) for j in rng.sample(range(len(idx)), k)) if len(idx) > k else [int(i) for i in idx]

    return {"reward_yes_label_no": pick(yes_no), "reward_no_label_yes": pick(no_yes)}
