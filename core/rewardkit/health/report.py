"""Read a finished (or running) training run's ``metrics.jsonl`` and replay the reward-health alarms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import RewardkitError
from .alarms import Alarm, AlarmSettings, Monitor


class RunError(RewardkitError, ValueError):
    """A run folder or its metrics log cannot be read; the message names the file and line."""


@dataclass
class RunLog:
    """The lines of one run's ``metrics.jsonl``: the start event, the step records and the alarms logged live."""

    path: Path
    start: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.path.parent


def load_run(run: str | Path) -> RunLog:
    """Read ``RUN_DIR/metrics.jsonl`` (or the given file); on resume, the last record of a step wins."""
    path = Path(run)
    if path.is_dir():
        path = path / "metrics.jsonl"
    if not path.is_file():
        raise RunError(f"{path}: no such metrics log (expected the output.dir of a `rewardkit train` run)")
    log = RunLog(path)
    by_step: dict[int, dict[str, Any]] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise RunError(f"{path}, line {no}: not JSON (a line cut short by a kill?)") from None
        event = rec.get("event")
        if event in ("start", "resume") and not log.start:
            log.start = rec
        elif event == "alarm":
            log.alarms.append(rec)
        elif "terms" in rec and event is None:
            by_step[int(rec.get("step", len(by_step) + 1))] = rec
    log.steps = [by_step[k] for k in sorted(by_step)]
    return log


def run_settings(log: RunLog, overrides: Mapping[str, Any] | None = None,
                 ) -> tuple[AlarmSettings, dict[str, float], float | None]:
    """The alarm settings, term weights and ``max_dropped_fraction`` the run used (older runs: defaults)."""
    health = log.start.get("health") or {}
    config = log.start.get("config") or {}
    weights = health.get("weights") or {t["term"]: float(t["weight"]) for t in config.get("terms", []) if "term" in t}
    table = {**(health.get("alarms") or {}), **(overrides or {})}
    known = {f.name for f in fields(AlarmSettings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise RunError(f"alarms.{unknown[0]}: not an alarm setting (known: {', '.join(sorted(known))})")
    table["off"] = tuple(table.get("off") or ())
    return AlarmSettings(**table), weights, health.get("max_dropped_fraction")


def replay(log: RunLog, overrides: Mapping[str, Any] | None = None) -> list[Alarm]:
    """Run the alarms over the logged steps, in order, as training would have."""
    settings, weights, mdf = run_settings(log, overrides)
    monitor = Monitor(settings, weights, mdf)
    for rec in log.steps:
        monitor.observe(rec)
    return monitor.fired


def term_table(log: RunLog) -> list[dict[str, Any]]:
    """One row per trained term, the total and each audit term: first/last/overall mean and outcome counts."""
    names: dict[str, tuple[str, str]] = {}
    for rec in log.steps:
        for n in rec.get("terms") or {}:
            names.setdefault(f"terms:{n}", ("term", n))
        for n in rec.get("audit") or {}:
            names.setdefault(f"audit:{n}", ("audit", n))
    names["total"] = ("total", "total")
    rows = []
    for kind, name in names.values():
        stats = [s for s in (_stats(rec, kind, name) for rec in log.steps) if s]
        means = [s["mean"] for s in stats if s.get("mean") is not None]
        n = sum(s.get("n") or 0 for s in stats)
        weighted = sum((s.get("n") or 0) * s["mean"] for s in stats if s.get("mean") is not None)
        rows.append({
            "kind": kind, "name": name, "steps": len(stats),
            "first": means[0] if means else None, "last": means[-1] if means else None,
            "mean": weighted / n if n else None, "n": n,
            **{k: sum(s.get(k) or 0 for s in stats) for k in ("none", "error", "timeout", "dropped")},
        })
    return rows


def _stats(rec: Mapping[str, Any], kind: str, name: str) -> Mapping[str, Any] | None:
    if kind == "total":
        return rec.get("total")
    return (rec.get("terms" if kind == "term" else "audit") or {}).get(name)
