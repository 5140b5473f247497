"""``rewardkit audit merge``: verdicts become labels; each reward's false-positive and false-negative
rates against them, with Wilson 95% intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .queue import load_run
from .store import VerdictStore

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion ``k / n``; None when ``n == 0``."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(k: int, n: int) -> dict[str, Any]:
    return {"k": k, "n": n, "rate": k / n if n else None, "ci95": wilson(k, n)}


def merge(out: str | Path, data_out: str | Path | None = None) -> dict[str, Any]:
    """Fold ``OUT_DIR/audit.jsonl`` in: write audit_labels.jsonl and audit_summary.json; return the summary."""
    out = Path(out)
    run = load_run(out)
    decided = {i: r for i, r in VerdictStore(out).latest().items() if r["verdict"] != "skip"}
    labels = {i: r["verdict"] == "correct" for i, r in decided.items()}
    old = run.items.labels
    with (out / "audit_labels.jsonl").open("w", encoding="utf-8") as fh:
        for i in sorted(labels):
            fh.write(
                json.dumps(
                    {
                        "item": i,
                        "row": run.items.rows[i],
                        "label": labels[i],
                        "previous_label": old[i] if old is not None else None,
                    }
                )
                + "\n"
            )
    rewards: dict[str, Any] = {}
    for col, info in run.columns.items():
        fp = tn = fn = tp = 0
        for i, y in labels.items():
            v = run.scores[col][i]
            if v is None:
                continue
            yes = v >= info["threshold"]
            fp, tn = fp + (yes and not y), tn + (not yes and not y)
            tp, fn = tp + (yes and y), fn + (not yes and y)
        rewards[col] = {
            "threshold": info["threshold"],
            "false_positive": _rate(fp, fp + tn),
            "false_negative": _rate(fn, fn + tp),
            "n": fp + tn + fn + tp,
        }
    changed = [i for i, y in labels.items() if old is not None and old[i] is not None and old[i] != y]
    with_old = [i for i in labels if old is not None and old[i] is not None]
    summary = {
        "verdicts": len(decided),
        "skipped": len(VerdictStore(out).latest()) - len(decided),
        "label_changed": _rate(len(changed), len(with_old)),
        "rewards": rewards,
    }
    (out / "audit_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if data_out is not None:
        _write_data(run, labels, Path(data_out))
    return summary


def _write_data(run: Any, labels: dict[int, bool], path: Path) -> None:
    """The bench input's rows with the audited labels folded into the label column (JSONL)."""
    from ..bench.job import read_data

    inp = run.summary["input"]
    col = inp["label"] or "label"
    rows = read_data(inp["source"], limit=inp["rows"]).rows
    by_row = {run.items.rows[i]: y for i, y in labels.items()}
    with path.open("w", encoding="utf-8") as fh:
        for r, row in enumerate(rows):
            rec = dict(row)
            if r in by_row:
                rec[col] = by_row[r]
            rec["audited"] = r in by_row
            fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
