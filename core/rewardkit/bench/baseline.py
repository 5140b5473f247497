"""``bench --baseline OLD_OUT_DIR``: compare a run with an earlier one on the same data, item by item.

Flipped items per reward (with their text), the change in accuracy / precision / recall / F1 with a
paired bootstrap 95% interval, the speed change, and what changed in each reward's signature. A
labelled metric *regresses* when its whole interval lies below zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .job import BenchError, ItemSource

METRICS = ("accuracy", "precision", "recall", "f1")
BOOTSTRAP = 1000
MAX_FLIPS = 20


def _old_summary(old: Path) -> dict[str, Any]:
    path = old / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(
            f"--baseline {old}: no summary.json there; give the --out folder of a finished bench run"
        ) from None
    except ValueError as exc:
        raise BenchError(f"--baseline {old}: summary.json is not valid JSON ({exc})") from None


def check_same_data(old: Path, items: ItemSource) -> None:
    """Refuse a baseline that scored other data (different completions, prompts or item count)."""
    s = _old_summary(old)
    inp = s.get("input", {})
    mine = items.column_hash("completion") + items.column_hash("prompt")
    theirs = inp.get("completions_sha256")
    same = theirs == mine if theirs else inp.get("sha256") == items.digest
    if not same or inp.get("items") != len(items):
        raise BenchError(
            f"--baseline {old} scored different data ({inp.get('source')}, {inp.get('items')} items) than this run "
            f"({items.source}, {len(items)} items): the completions or prompts differ, so items cannot be compared. "
            "Bench the same data file with the same --completion-col/--prompt-col/--pairs/--limit"
        )


def completions_hash(items: ItemSource) -> str:
    """What :func:`check_same_data` compares: the hashes of the completions and prompts."""
    return items.column_hash("completion") + items.column_hash("prompt")


def _read_scores(path: Path) -> dict[str, list[Any]]:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pydict()
    except FileNotFoundError:
        raise BenchError(f"--baseline: {path} is missing; the baseline run did not finish") from None


def _bootstrap(
    old: list[float | None],
    new: list[float | None],
    labels: Sequence[bool | None],
    t_old: float,
    t_new: float,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Paired bootstrap over the labelled items: each metric's change (new - old) and its 95% interval."""
    import numpy as np

    keep = [i for i, y in enumerate(labels) if y is not None]
    out: dict[str, dict[str, Any]] = {}
    if not keep:
        return out
    y = np.array([bool(labels[i]) for i in keep])

    def arrays(vals: list[float | None], thr: float) -> tuple[Any, Any]:
        valid = np.array([vals[i] is not None for i in keep])
        pred = np.array([vals[i] is not None and vals[i] >= thr for i in keep])  # type: ignore[operator]
        return valid, pred

    vo, po = arrays(old, t_old)
    vn, pn = arrays(new, t_new)
    rng = np.random.default_rng(seed)
    idx = np.vstack([np.arange(len(keep)), rng.integers(0, len(keep), (BOOTSTRAP, len(keep)))])

    def metrics(valid: Any, pred: Any) -> dict[str, Any]:
        yy, vv, pp = y[idx], valid[idx], pred[idx]
        tp = (vv & pp & yy).sum(1).astype(float)
        fp = (vv & pp & ~yy).sum(1).astype(float)
        fn = (vv & ~pp & yy).sum(1).astype(float)
        tn = (vv & ~pp & ~yy).sum(1).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = (tp + tn) / (tp + fp + fn + tn)
            prec = tp / (tp + fp)
            rec = tp / (tp + fn)
            f1 = 2 * prec * rec / (prec + rec)
            f1 = np.where((tp + fp + fn + tn > 0) & ~np.isfinite(f1), 0.0, f1)
        return {"accuracy": acc, "precision": prec, "recall": rec, "f1": f1}

    mo, mn = metrics(vo, po), metrics(vn, pn)
    for m in METRICS:
        a, b = mo[m], mn[m]
        d = b - a
        ok = np.isfinite(d[1:])
        lo, hi = (
            (float(np.percentile(d[1:][ok], 2.5)), float(np.percentile(d[1:][ok], 97.5))) if ok.any() else (None, None)
        )
        out[m] = {
            "old": _num(a[0]),
            "new": _num(b[0]),
            "delta": _num(d[0]),
            "ci95": [lo, hi],
            "regressed": hi is not None and hi < 0,
        }
    return out


def _num(x: Any) -> float | None:
    import math

    x = float(x)
    return x if math.isfinite(x) else None


def _flips(
    label: str, old: dict[str, list[Any]], new: dict[str, list[Any]], t_old: float, t_new: float, items: ItemSource
) -> dict[str, Any]:
    """Items whose verdict (score >= threshold) or outcome changed, with their text."""
    ov, nv = old[label], new[label]
    os_, ns = old.get(f"{label}:status", ["value"] * len(ov)), new.get(f"{label}:status", ["value"] * len(nv))
    up: list[int] = []
    down: list[int] = []
    outcome: list[int] = []
    for i, (a, b) in enumerate(zip(ov, nv)):
        if os_[i] != ns[i] and "value" in (os_[i], ns[i]):
            outcome.append(i)
        elif a is not None and b is not None and (a >= t_old) != (b >= t_new):
            (up if b >= t_new else down).append(i)

    def show(idx: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "item": i,
                "row": items.rows[i],
                "old": ov[i],
                "new": nv[i],
                "old_status": os_[i],
                "new_status": ns[i],
                "label": items.labels[i] if items.labels else None,
                "completion": _clip(items.completions[i]),
            }
            for i in idx[:MAX_FLIPS]
        ]

    return {
        "n": len(up) + len(down) + len(outcome),
        "to_yes": len(up),
        "to_no": len(down),
        "outcome": len(outcome),
        "examples": show(sorted(up + down + outcome)),
    }


def _clip(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _speed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    a, b = old["latency"].get("items_per_second"), new["latency"].get("items_per_second")
    return {"old_items_per_second": a, "new_items_per_second": b, "ratio": b / a if a and b else None}


def compare(old_dir: Path, out: Path, summary: dict[str, Any], items: ItemSource) -> dict[str, Any]:
    """The comparison written under ``summary["baseline"]``."""
    old = _old_summary(old_dir)
    old_scores = _read_scores(old_dir / "scores.parquet")
    new_scores = _read_scores(out / "scores.parquet")
    old_cols, new_cols = _columns(old), _columns(summary)
    common = [c for c in new_cols if c in old_cols]
    rewards: dict[str, Any] = {}
    regressions: list[str] = []
    for col in common:
        o, n = old_cols[col], new_cols[col]
        entry: dict[str, Any] = {
            "old_signature": o.get("signature"),
            "new_signature": n.get("signature"),
            "signature_changed": o.get("signature") != n.get("signature"),
            "flips": _flips(col, old_scores, new_scores, o["threshold"], n["threshold"], items),
            "speed": _speed(o, n),
        }
        if items.labels is not None:
            entry["metrics"] = _bootstrap(
                old_scores[col], new_scores[col], items.labels, o["threshold"], n["threshold"]
            )
            regressions += [
                f"{col} {m} {d['delta']:+.4f} (95% CI {d['ci95'][0]:+.4f} to {d['ci95'][1]:+.4f})"
                for m, d in entry["metrics"].items()
                if d["regressed"]
            ]
        rewards[col] = entry
    return {
        "dir": str(old_dir),
        "rewardkit": old.get("rewardkit"),
        "rewards": rewards,
        "only_old": [c for c in old_cols if c not in new_cols],
        "only_new": [c for c in new_cols if c not in old_cols],
        "regressions": regressions,
    }


def _columns(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cols = dict(summary.get("rewards", {}))
    if "composite" in summary:
        cols["composite"] = summary["composite"]
    return cols


def sections(cmp: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Report sections (title, text, table) of the comparison."""
    from .fmt import fmt as _fmt

    rows = []
    for col, e in cmp["rewards"].items():
        sp = e["speed"]
        rows.append(
            [
                col,
                "yes" if e["signature_changed"] else "no",
                e["flips"]["n"],
                e["flips"]["to_yes"],
                e["flips"]["to_no"],
                e["flips"]["outcome"],
                sp["old_items_per_second"],
                sp["new_items_per_second"],
                sp["ratio"],
            ]
        )
    text = f"Against {cmp['dir']}. "
    if cmp["only_old"] or cmp["only_new"]:
        only_old, only_new = ", ".join(cmp["only_old"]) or "-", ", ".join(cmp["only_new"]) or "-"
        text += f"Only in the baseline: {only_old}; only here: {only_new}. "
    text += ("Regressions: " + "; ".join(cmp["regressions"])) if cmp["regressions"] else "No labelled metric regressed."
    out: list[tuple[str, str, Any]] = [
        (
            "Baseline comparison",
            text,
            (
                [
                    "reward",
                    "signature changed",
                    "flips",
                    "to yes",
                    "to no",
                    "outcome changed",
                    "old items/s",
                    "new items/s",
                    "speed ratio",
                ],
                rows,
            ),
        )
    ]
    mrows = []
    for col, e in cmp["rewards"].items():
        for m, d in (e.get("metrics") or {}).items():
            ci = d["ci95"]
            mrows.append(
                [
                    col,
                    m,
                    d["old"],
                    d["new"],
                    d["delta"],
                    f"[{_fmt(ci[0])}, {_fmt(ci[1])}]",
                    "REGRESSED" if d["regressed"] else "",
                ]
            )
    if mrows:
        out.append(
            (
                "Metric changes (paired bootstrap, 95% interval)",
                f"new - old over {BOOTSTRAP} resamples of the labelled items; a regression is an interval below 0.",
                (["reward", "metric", "old", "new", "change", "95% interval", ""], mrows),
            )
        )
    for col, e in cmp["rewards"].items():
        ex = e["flips"]["examples"]
        if ex:
            if e["signature_changed"]:
                sig = f"{e['old_signature']} -> {e['new_signature']}. "
            else:
                sig = ""
            out.append(
                (
                    f"Flipped items: {col}",
                    f"{sig}First {len(ex)} of {e['flips']['n']}.",
                    (
                        ["row", "old", "new", "label", "completion"],
                        [
                            [
                                x["row"] + 1,
                                x["old"] if x["old_status"] == "value" else x["old_status"],
                                x["new"] if x["new_status"] == "value" else x["new_status"],
                                x["label"],
                                x["completion"],
                            ]
                            for x in ex
                        ],
                    ),
                )
            )
    return out


def print_comparison(cmp: dict[str, Any]) -> None:
    """The comparison in the terminal."""
    from rich.console import Console
    from rich.table import Table

    from .fmt import fmt as _fmt
    from .fmt import keep_whole

    console = Console(width=max(120, Console().width))
    for title, _text, (head, rows) in sections(cmp)[:2]:
        table = Table(*head, title=title)
        for r in rows:
            table.add_row(*[_fmt(x) for x in r])
        keep_whole(table)
        console.print(table)
    console.print(sections(cmp)[0][1])
