"""Heatmaps as PNG bytes: the baseline comparison (bench) and probe accept rates share one renderer."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any


def heatmap_png(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float | None]], *, title: str,
                diverging: bool = False, percent: bool = False, vmax: float | None = None) -> bytes:
    """One cell per (row, column), its value written in it; ``None`` cells are grey and say ``-``.

    ``diverging``: a red-white-green scale centred on 0 (changes); else white to red (rates, 0 to ``vmax``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.array([[math.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    finite = np.abs(grid[np.isfinite(grid)])
    top = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0) or 1.0
    cmap = plt.get_cmap("RdYlGn" if diverging else "Reds").with_extremes(bad="#dddddd")
    fig, ax = plt.subplots(figsize=(1.0 + 0.9 * len(cols), 1.2 + 0.45 * len(rows)), layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-top if diverging else 0.0, vmax=top, aspect="auto")
    ax.set_xticks(range(len(cols)), labels=list(cols), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=list(rows), fontsize=8)
    for i in range(len(rows)):
        for j in range(len(cols)):
            v = grid[i, j]
            text = "-" if not math.isfinite(v) else (f"{100 * v:.0f}%" if percent else f"{v:+.3f}" if diverging else f"{v:.3g}")
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def baseline_png(cmp: dict[str, Any], items: int) -> bytes:
    """The baseline comparison: per reward, the share of its ``items`` that flipped and each labelled metric's change."""
    rewards = list(cmp["rewards"])
    metrics: list[str] = []
    for e in cmp["rewards"].values():
        metrics += [m for m in (e.get("metrics") or {}) if m not in metrics]
    cols = ["flipped", *[f"{m} change" for m in metrics]]
    values = []
    for col in rewards:
        e = cmp["rewards"][col]
        flipped = (e["flips"]["n"] / items) if items else None
        values.append([-flipped if flipped is not None else None,
                       *[(e.get("metrics") or {}).get(m, {}).get("delta") for m in metrics]])
    return heatmap_png(rewards, cols, values, diverging=True,
                       title=f"against {cmp['dir']}: changes (green better; 'flipped' as minus the share of items)")


def probe_png(result: dict[str, Any]) -> bytes:
    """Probe accept rates: one row per reward, one column per family that attacked it."""
    fams = [f for f in result["families"] if any(f in d["families"] for d in result["rewards"].values())]
    rewards = list(result["rewards"])
    values = [[(d["families"][f]["rate"] if f in d["families"] else None) for f in fams]
              for d in result["rewards"].values()]
    return heatmap_png(rewards, fams, values, percent=True, vmax=1.0,
                       title=f"probe accept rate ({result['rows']} rows; '-': family does not apply)")
