"""The per-item score table and the summary: metrics for every reward and the composite."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from ..outcomes import tally
from . import metrics
from .job import Entry, ItemSource
from .shards import JobColumn

COMPOSITE = "composite"


def combine_composite(
    comp: Any, term_labels: dict[str, str], results: dict[str, JobColumn]
) -> tuple[list, list[float], Any]:
    """The composite total per item from its terms' stored outcomes, per-item seconds (sum over terms),
    and the :class:`~rewardkit.CompositeScores`."""
    from ..outcomes import Scores, Status

    raw = {}
    for term, label in term_labels.items():
        r = results[label]
        raw[term] = Scores(
            term, "", list(r.values), [Status(s) for s in r.statuses], {i: m for i, m in enumerate(r.messages) if m}
        )
    scored = comp.combine(raw)
    n = len(scored.total)
    seconds = [sum(results[label].seconds[i] for label in term_labels.values()) for i in range(n)]
    return scored.total, seconds, scored


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def describe_entry(
    label: str,
    values: Sequence[float | None],
    statuses: Sequence[str],
    messages: Sequence[str | None],
    seconds: Sequence[float],
    wall: float,
    lo: float,
    hi: float,
    threshold: float,
    items: ItemSource,
    samples: int,
    dropped: list[bool] | None = None,
) -> dict[str, Any]:
    """Distribution, outcome counts, speed, and (with labels or pairs) agreement metrics of one column."""
    out: dict[str, Any] = {
        "distribution": metrics.distribution(values, lo, hi),
        "outcomes": _outcomes(values, statuses, dropped),
        "latency": metrics.latency(seconds, wall if wall and math.isfinite(wall) else None),
        "threshold": threshold,
        "range": [_finite(lo), _finite(hi)],
    }
    kept = getattr(messages, "kept", None)
    found = sorted(kept.items()) if kept is not None else ((i, m) for i, m in enumerate(messages) if m)
    errors = list(itertools.islice(found, 5))
    out["messages"] = [{"item": i, "row": items.rows[i], "message": m} for i, m in errors]
    if items.labels is not None:
        out["classification"] = metrics.classification(values, items.labels, threshold)
        out["graded"] = metrics.is_graded(values)
        out["roc_auc"] = metrics.roc_auc(values, items.labels) if out["graded"] else None
        picked = metrics.disagreements(values, items.labels, threshold, k=samples)
        out["disagreements"] = {kind: [_example(i, values[i], items) for i in idx] for kind, idx in picked.items()}
    if set(items.roles) == {"chosen", "rejected"}:
        out["pairwise"] = metrics.pairwise(values[0::2], values[1::2])
    return out


def _outcomes(values: Sequence[float | None], statuses: Sequence[str], dropped: list[bool] | None) -> dict[str, int]:
    """Counts by outcome, from :func:`rewardkit.outcomes.tally` (``dropped`` only for a composite)."""
    t = tally(values, statuses, dropped or None)
    out = {"value": t.value, "none": t.none, "error": t.error, "timeout": t.timeout}
    if dropped is not None:
        out["dropped"] = t.dropped
    return out


def _example(i: int, value: float | None, items: ItemSource) -> dict[str, Any]:
    ex: dict[str, Any] = {
        "item": i,
        "row": items.rows[i],
        "role": items.roles[i],
        "value": value,
        "label": items.labels[i] if items.labels else None,
        "completion": _clip(items.completions[i], 400),
    }
    if items.prompts is not None:
        ex["prompt"] = _clip(items.prompts[i], 200)
    return ex


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "..."


def build_summary(
    items: ItemSource,
    entries: list[Entry],
    results: dict[str, JobColumn],
    composite: dict[str, Any] | None,
    samples: int,
) -> dict[str, Any]:
    """Every metric of the job, as plain data (written to summary.json and rendered in the reports)."""
    rewards: dict[str, Any] = {}
    for e in entries:
        r = results[e.label]
        d = describe_entry(
            e.label,
            r.values,
            r.statuses,
            r.messages,
            r.seconds,
            r.wall,
            e.spec.lo,
            e.spec.hi,
            e.threshold,
            items,
            samples,
        )
        rewards[e.label] = {
            "name": e.spec.name,
            "signature": e.reward.signature,
            "plugin": e.spec.plugin,
            "version": e.spec.version,
            "cost": e.spec.cost,
            "timeout": e.reward.timeout,
            **d,
        }
    columns = {label: results[label].values for label in rewards}
    out: dict[str, Any] = {"rewards": rewards}
    if composite is not None:
        c = composite
        d = describe_entry(
            COMPOSITE,
            c["total"],
            c["statuses"],
            [None] * len(items),
            c["seconds"],
            c["wall"],
            c["lo"],
            c["hi"],
            c["threshold"],
            items,
            samples,
            c["dropped"],
        )
        out["composite"] = {"terms": c["terms"], "stats": c["stats"], **c["options"], **d}
        columns[COMPOSITE] = c["total"]
    out["rank_correlation"] = metrics.rank_matrix(columns) if len(columns) > 1 else {}
    return out
