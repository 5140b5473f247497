"""matplotlib figures for the report: score histograms, ROC curves, latency distributions."""

from __future__ import annotations

import io
import math
from typing import Any

from .job import ItemSource
from .metrics import sample_indices
from .shards import JobColumn
from .summary import COMPOSITE


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _grid(n: int):
    import matplotlib.pyplot as plt

    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False, layout="constrained")
    flat = [a for row in axes for a in row]
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat


def make_plots(
    summary: dict[str, Any], items: ItemSource, results: dict[str, JobColumn], composite: dict[str, Any] | None
) -> list[tuple[str, str, bytes]]:
    """``[(title, file name, png bytes), ...]``."""
    import matplotlib

    matplotlib.use("Agg")
    cols = dict(summary["rewards"])
    values = {label: results[label].values for label in cols}
    seconds = {label: results[label].seconds for label in cols}
    if composite is not None:
        cols[COMPOSITE] = summary["composite"]
        values[COMPOSITE] = composite["total"]
        seconds[COMPOSITE] = composite["seconds"]
    out = []

    fig, axes = _grid(len(cols))
    for ax, (label, c) in zip(axes, cols.items()):
        h = c["distribution"]["histogram"]
        ax.stairs(h["counts"], h["edges"], fill=True, alpha=0.7)
        o = c["outcomes"]
        ax.set_title(f"{label}\n(none {o['none']}, error {o['error']}, timeout {o['timeout']})", fontsize=9)
        ax.set_xlabel("score")
        ax.set_ylabel("items")
    fig.suptitle("Score histograms")
    out.append(("Score histograms", "histograms.png", _png(fig)))

    if items.labels is not None:
        import matplotlib.pyplot as plt

        from .metrics import as_array, calibration, roc_curve

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
        for label, c in cols.items():
            fpr, tpr = roc_curve(values[label], items.labels, sample=True)
            auc = c.get("roc_auc")
            ax1.plot(
                fpr, tpr, marker="." if len(fpr) < 6 else None, label=f"{label}" + (f" (AUC {auc:.3f})" if auc else "")
            )
            lo, hi = c["range"]
            if lo is None or hi is None:
                arr = as_array(values[label])
                vals = arr[arr == arr]
                lo, hi = (float(vals.min()), float(vals.max())) if len(vals) else (0.0, 1.0)
                hi = hi if hi > lo else lo + 1
            bins = calibration(values[label], items.labels, lo, hi)
            xs = [(b["lo"] + b["hi"]) / 2 for b in bins if b["n"]]
            ys = [b["positive"] / b["n"] for b in bins if b["n"]]
            ax2.plot([(x - lo) / (hi - lo) for x in xs], ys, marker="o", label=label)
        ax1.plot([0, 1], [0, 1], color="grey", linestyle=":")
        ax1.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        ax1.legend(fontsize=8)
        ax2.plot([0, 1], [0, 1], color="grey", linestyle=":")
        ax2.set(xlabel="score (scaled to its range)", ylabel="share labelled true", title="Calibration")
        ax2.legend(fontsize=8)
        out.append(("ROC and calibration", "roc.png", _png(fig)))

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.6 * len(cols) + 1.8))
    import numpy as np

    data, peaks = [], []
    for label in cols:  # the box from a seeded sample on large jobs, the max from every item
        d = np.maximum(np.asarray(seconds[label], dtype=np.float32), 1e-9) * 1e3
        d = d if len(d) else np.array([1e-6], dtype=np.float32)
        peaks.append(float(d.max()))
        data.append(d[sample_indices(np.arange(len(d)))])
    ax.boxplot(data, orientation="horizontal", tick_labels=list(cols), whis=(1, 99), showfliers=False)
    for i, peak in enumerate(peaks, start=1):
        ax.plot([peak], [i], marker="x", color="crimson", markersize=5)
    ax.set_xscale("log")
    ax.set(xlabel="per-item latency (ms, log scale); box: p25-p75, whiskers: p1-p99, x: max", title="Latency")
    out.append(("Latency per item", "latency.png", _png(fig)))
    if summary.get("baseline", {}).get("rewards"):
        from .heatmap import baseline_png

        out.append(("Baseline comparison", "baseline.png", baseline_png(summary["baseline"], summary["input"]["items"])))
    return out
