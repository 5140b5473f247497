"""The Markdown and self-contained HTML reports, and their matplotlib plots."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from .fmt import fmt as _fmt
from .job import ItemSource
from .shards import JobColumn, atomic_write_bytes, atomic_write_text
from .summary import COMPOSITE

Table = tuple[list[str], list[list[Any]]]


def _columns(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cols = dict(summary["rewards"])
    if "composite" in summary:
        cols[COMPOSITE] = summary["composite"]
    return cols


def sections(summary: dict[str, Any]) -> list[tuple[str, str, Table | None]]:
    """The report as (title, text, table) sections, rendered to both Markdown and HTML."""
    cols = _columns(summary)
    out: list[tuple[str, str, Table | None]] = [_input_section(summary), _scores_section(cols)]
    out += _agreement_sections(cols)
    out += _rank_and_composite_sections(summary)
    out += _disagreement_sections(cols)
    msgs = [[label, m["row"] + 1, m["message"]] for label, c in cols.items() for m in c.get("messages", [])]
    if msgs:
        out.append(("Errors and timeouts (first few per reward)", "", (["reward", "row", "message"], msgs)))
    if "baseline" in summary:
        from .baseline import sections as baseline_sections

        out += baseline_sections(summary["baseline"])
    out.append(
        (
            "Signatures",
            "Plugin, version, reward and parameters of every reward used.",
            (["column", "signature"], [[k, v] for k, v in summary["signatures"].items()]),
        )
    )
    return out


def _input_section(summary: dict[str, Any]) -> tuple[str, str, Table | None]:
    inp, run = summary["input"], summary["run"]
    what = (
        f"pairs {inp['pairs'][0]} / {inp['pairs'][1]}" if inp["pairs"] else f"completion column `{inp['completion']}`"
    )
    text = (
        f"Source `{inp['source']}` (sha256 {inp['sha256'][:12]}...): {inp['rows']:,} rows, {inp['items']:,} items; "
        f"{what}; prompt `{inp['prompt'] or '-'}`; label `{inp['label'] or '-'}`. "
        f"Backend {run['backend']}, {run['workers']} worker(s), shards of {run['shard_size']:,} "
        f"({run['shards_computed']} computed, {run['shards_reused']} reused), "
        f"scoring took {run['scoring_seconds']:.2f}s."
    )
    if inp["bad_rows"]:
        text += f" {len(inp['bad_rows'])} malformed row(s) skipped: " + "; ".join(
            f"{b['path']}:{b['line']} ({b['error']})" for b in inp["bad_rows"][:10]
        )
    return ("Input", text, None)


_SCORE_HEADER = ["reward", "count", "mean", "std", "min", "max", "none", "error", "timeout",
                 "items/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
_AGREEMENT_HEADER = ["reward", "threshold", "n", "accuracy", "precision", "recall", "F1", "ROC-AUC",
                     "TP", "FP", "TN", "FN"]


def _scores_section(cols: dict[str, Any]) -> tuple[str, str, Table | None]:
    rows = []
    for label, c in cols.items():
        d, o, lat = c["distribution"], c["outcomes"], c["latency"]
        rows.append([label, d["count"], d["mean"], d["std"], d["min"], d["max"], o["none"], o["error"], o["timeout"],
                     lat["items_per_second"], lat["p50_ms"], lat["p95_ms"], lat["p99_ms"], lat["max_ms"]])
    text = ("Latency is per item: a batch's time shared among its items for fast and model rewards, each item's "
            "round trip through a worker process for cpu rewards. Items/s is items over the reward's own scoring "
            "time (wall time of its batches).")
    return ("Scores and speed", text, (_SCORE_HEADER, rows))


def _agreement_sections(cols: dict[str, Any]) -> list[tuple[str, str, Table | None]]:
    out: list[tuple[str, str, Table | None]] = []
    rows = [[label, c["threshold"], k["n"], k["accuracy"], k["precision"], k["recall"], k["f1"], c.get("roc_auc"),
             k["tp"], k["fp"], k["tn"], k["fn"]]
            for label, c in cols.items() if (k := c.get("classification"))]
    if rows:
        out.append(("Agreement with the label",
                    "Predicted positive when the score is >= the threshold; items without a score are left out. "
                    "ROC-AUC only for graded rewards (more than two distinct values).",
                    (_AGREEMENT_HEADER, rows)))
    pairs = [[label, p["n"], p["accuracy"], p["wins"], p["ties"], p["losses"], p["skipped"]]
             for label, c in cols.items() if (p := c.get("pairwise"))]
    if pairs:
        out.append(("Pairwise accuracy", "Share of pairs where the chosen completion scores higher; ties count half.",
                    (["reward", "pairs", "accuracy", "wins", "ties", "losses", "skipped"], pairs)))
    return out


def _rank_and_composite_sections(summary: dict[str, Any]) -> list[tuple[str, str, Table | None]]:
    out: list[tuple[str, str, Table | None]] = []
    if summary.get("rank_correlation"):
        m = summary["rank_correlation"]
        names = list(m)
        out.append(("Rank correlation (Spearman)", "Over items where both have a score.",
                    (["", *names], [[a, *[m[a][b] for b in names]] for a in names])))
    if "composite" in summary:
        rows = [[t["term"], t["column"], t["weight"], t["shaping"], t["gate"] or "-", t["signature"]]
                for t in summary["composite"]["terms"]]
        out.append(("Composite terms", "The composite total sums each term's shaped value times its weight.",
                    (["term", "column", "weight", "shaping", "gate", "signature"], rows)))
    return out


def _disagreement_sections(cols: dict[str, Any]) -> list[tuple[str, str, Table | None]]:
    out: list[tuple[str, str, Table | None]] = []
    for label, c in cols.items():
        dis = c.get("disagreements")
        if dis and (dis["reward_yes_label_no"] or dis["reward_no_label_yes"]):
            rows = [[kind.replace("_", " "), ex["row"] + 1, ex["value"], ex["completion"]]
                    for kind, exs in dis.items() for ex in exs]
            out.append((f"Disagreements: {label}", "A seeded sample of items where the reward and the label disagree.",
                        (["kind", "row", "score", "completion"], rows)))
    return out


def _md_cell(x: Any) -> str:
    return _fmt(x).replace("|", "\\|").replace("\n", " ")


def _plots_go_before(title: str) -> bool:
    """Plots come after the overview tables, before the long per-item sections."""
    return title.startswith(("Disagreements", "Errors", "Baseline", "Metric changes", "Flipped", "Signatures"))


def markdown(summary: dict[str, Any], plots: list[tuple[str, str]]) -> str:
    lines = ["# rewardkit bench report", ""]
    pending = list(plots)
    for title, text, table in sections(summary):
        if pending and _plots_go_before(title):
            lines += ["## Plots", ""] + [f"![{t}]({path})\n" for t, path in pending]
            pending = []
        lines += [f"## {title}", ""]
        if text:
            lines += [text, ""]
        if table:
            head, rows = table
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
            lines += ["| " + " | ".join(_md_cell(x) for x in r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right;vertical-align:top}td:first-child,th:first-child{text-align:left}td.text{text-align:left;
white-space:pre-wrap;max-width:600px;font-family:monospace;font-size:12px}img{max-width:100%;border:1px solid #eee}
code{background:#f4f4f4;padding:0 3px}"""


def html_report(summary: dict[str, Any], images: list[tuple[str, bytes]]) -> str:
    """A self-contained HTML page (plots embedded as data URIs)."""
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>rewardkit bench report</title>",
        f"<style>{_CSS}</style></head><body><h1>rewardkit bench report</h1>",
    ]
    pending = list(images)
    for title, text, table in sections(summary):
        if pending and _plots_go_before(title):
            parts.append(_html_images(pending))
            pending = []
        parts.append(f"<h2>{esc(title)}</h2>")
        if text:
            parts.append("<p>" + esc(text).replace("`", "") + "</p>")
        if table:
            head, rows = table
            parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>")
            for r in rows:
                cells = []
                for x in r:
                    cls = " class='text'" if isinstance(x, str) and len(x) > 40 else ""
                    cells.append(f"<td{cls}>{esc(_fmt(x))}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_images(images: list[tuple[str, bytes]]) -> str:
    parts = ["<h2>Plots</h2>"]
    for title, png in images:
        data = base64.b64encode(png).decode()
        parts.append(
            f"<h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"
        )
    return "\n".join(parts)


def write_reports(
    out: Path,
    summary: dict[str, Any],
    items: ItemSource,
    results: dict[str, JobColumn],
    composite: dict[str, Any] | None,
    plots: bool = True,
) -> None:
    """Write plots/*.png, report.md and report.html into ``out``."""
    images: list[tuple[str, str, bytes]] = []
    if plots:
        from .plots import make_plots

        images = make_plots(summary, items, results, composite)
        for _, name, png in images:
            atomic_write_bytes(out / "plots" / name, png)
    atomic_write_text(out / "report.md", markdown(summary, [(t, f"plots/{n}") for t, n, _ in images]))
    atomic_write_text(out / "report.html", html_report(summary, [(t, png) for t, _, png in images]))
