"""The review queue: items of a bench run where rewards disagree, sit near the threshold, or
disagree with the label."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RewardkitError

#: A score within this share of the reward's range from its threshold is "near the threshold".
NEAR = 0.1


class AuditError(RewardkitError):
    """An audit cannot run on this folder; the message says why."""


@dataclass
class Run:
    """A finished bench run, read back: its summary, per-item scores and the items' text."""

    out: Path
    summary: dict[str, Any]
    scores: dict[str, list[Any]]
    items: Any

    @property
    def columns(self) -> dict[str, dict[str, Any]]:
        """Every scored column (rewards, then the composite) with its threshold and range."""
        cols = dict(self.summary["rewards"])
        if "composite" in self.summary:
            cols["composite"] = self.summary["composite"]
        return cols


def load_run(out: str | Path) -> Run:
    """Read ``OUT_DIR``: summary.json, scores.parquet, and the completions from the bench input."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise AuditError("rewardkit audit reads scores.parquet: pip install 'rewardkit[bench]'") from None

    from ..bench.baseline import completions_hash
    from ..bench.job import build_items, read_data

    out = Path(out)
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        scores = pq.read_table(out / "scores.parquet").to_pydict()
    except FileNotFoundError as exc:
        raise AuditError(
            f"{out}: not a finished bench run ({Path(exc.filename).name} is missing); "
            "run `rewardkit bench ... -o OUT_DIR` first"
        ) from None
    inp = summary["input"]
    if inp.get("pairs"):
        raise AuditError(f"{out}: a chosen/rejected pairs run; audit reviews single completions (bench with --label)")
    rows = read_data(inp["source"], limit=inp["rows"])
    items = build_items(
        rows,
        columns=[],
        completion_col=inp["completion"],
        prompt_col=inp["prompt"],
        mapping=inp.get("mapping") or {},
        label_col=inp["label"],
    )
    want = inp.get("completions_sha256")
    if len(items) != inp["items"] or (want and completions_hash(items) != want):
        raise AuditError(
            f"{inp['source']} changed since the bench run in {out}: its completions differ; "
            "bench it again before auditing"
        )
    return Run(out, summary, scores, items)


def _verdict(value: float | None, threshold: float) -> bool | None:
    return None if value is None else value >= threshold


def reasons(run: Run, i: int) -> tuple[list[str], float]:
    """Why item ``i`` deserves a look, and how close its nearest score is to a threshold (0 = on it)."""
    why: list[str] = []
    label = run.items.labels[i] if run.items.labels is not None else None
    verdicts = {}
    closest = 1.0
    for col, info in run.columns.items():
        v = run.scores[col][i]
        if v is None:
            continue
        thr = info["threshold"]
        verdicts[col] = _verdict(v, thr)
        lo, hi = info["range"]
        span = (hi - lo) if lo is not None and hi is not None and hi > lo else 1.0
        closest = min(closest, abs(v - thr) / span)
    if label is not None and any(v != label for v in verdicts.values()):
        why.append("label")
    if len(set(verdicts.values())) > 1:
        why.append("rewards")
    if closest <= NEAR:
        why.append("near")
    return why, closest


def build_queue(run: Run, n: int = 200, progress: bool = False) -> list[dict[str, Any]]:
    """Up to ``n`` items, most telling first: disagreeing with the label, then between rewards, then
    near a threshold (ties by closeness to a threshold, then item order). Deterministic.

    ``progress``: a bar on a terminal, plain periodic lines on stderr elsewhere (:mod:`rewardkit.progress`)."""
    from ..progress import Progress

    weight = {"label": 4, "rewards": 2, "near": 1}
    ranked = []
    with Progress(len(run.items), "audit: ranking items", enabled=progress) as bar:
        for i in range(len(run.items)):
            why, closest = reasons(run, i)
            if why:
                ranked.append((-sum(weight[w] for w in why), closest, i, why))
            if i % 1000 == 999 or i == len(run.items) - 1:
                bar.advance(i + 1 - bar.done)
    ranked.sort()
    return [card(run, i, why) for _, _, i, why in ranked[:n]]


def card(run: Run, i: int, why: list[str]) -> dict[str, Any]:
    """What the review page shows for one item."""
    items = run.items
    return {
        "item": i,
        "row": items.rows[i],
        "role": items.roles[i],
        "reasons": why,
        "label": items.labels[i] if items.labels is not None else None,
        "prompt": items.prompts[i] if items.prompts is not None else None,
        "completion": items.completions[i],
        "scores": [
            {
                "column": col,
                "value": run.scores[col][i],
                "threshold": info["threshold"],
                "status": run.scores.get(f"{col}:status", [None] * len(items))[i],
                "says": _verdict(run.scores[col][i], info["threshold"]),
            }
            for col, info in run.columns.items()
        ],
    }
