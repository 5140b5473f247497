"""Run the alarms during training: console lines, offending samples on disk, stop on request."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .alarms import Alarm, Monitor

ON_ALARM = ("warn", "stop")
#: Offending samples written per alarm.
SAMPLES_PER_ALARM = 8


def offending(alarm: Alarm, rows: Sequence[Mapping[str, Any]], k: int = SAMPLES_PER_ALARM) -> list[Mapping[str, Any]]:
    """The rows of the alarm's step that show the problem best (failed ones, hacked ones, longest ones)."""
    if alarm.name == "failure_spike":
        if alarm.subject == "dropped":
            return [r for r in rows if r.get("dropped")][:k]
        return [r for r in rows if alarm.subject in (r.get("failed") or {})][:k] or list(rows[:k])
    if alarm.name == "hacking":
        def gap(r: Mapping[str, Any]) -> float:
            return (r.get("total") or 0.0) - ((r.get("audit") or {}).get(alarm.subject) or 0.0)
        return sorted(rows, key=gap, reverse=True)[:k]
    if alarm.name == "length_drift":
        return sorted(rows, key=lambda r: r.get("length") or 0, reverse=True)[:k]
    return list(rows[:k])


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class HealthWatch:
    """Feeds each logged step to a :class:`Monitor`; ``on_alarm="stop"`` saves a checkpoint and stops."""

    out_dir: Path
    monitor: Monitor
    on_alarm: str = "warn"
    echo: Callable[[str], None] = _stderr
    stopped_at: int | None = None
    written: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.on_alarm not in ON_ALARM:
            raise ValueError(f"on_alarm: expected one of {list(ON_ALARM)}, got {self.on_alarm!r}")
        self.out_dir = Path(self.out_dir)

    def check(self, record: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], control: Any,
              *, write: bool = True) -> list[Alarm]:
        """Observe one step; report what fired; ask the trainer to save and stop if so configured."""
        alarms = self.monitor.observe(record)
        for alarm in alarms:
            if write:
                alarm.samples = self._save(alarm, rows)
                self.echo(f"rewardkit ALARM {alarm.line()}" + (f" (samples: {alarm.samples})" if alarm.samples else ""))
        if alarms and self.on_alarm == "stop":
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = alarms[0].step
            if write:
                self.echo(f"rewardkit: on_alarm = 'stop': saving a checkpoint and stopping at step {self.stopped_at}")
        return alarms

    def _save(self, alarm: Alarm, rows: Sequence[Mapping[str, Any]]) -> str | None:
        picked = offending(alarm, rows)
        if not picked:
            return None
        folder = self.out_dir / "alarms"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{alarm.step}-{alarm.name}.jsonl"
        with path.open("a", encoding="utf-8") as fh:
            for r in picked:
                fh.write(json.dumps({"step": alarm.step, "alarm": alarm.name, "subject": alarm.subject, **r},
                                    default=str) + "\n")
        self.written.append(path)
        return str(path.relative_to(self.out_dir))

    def replay(self, metrics_path: Path) -> None:
        """On resume: feed the steps already logged, so windows continue and old alarms do not fire twice."""
        if not metrics_path.is_file():
            return
        for line in metrics_path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if "terms" in rec:
                self.monitor.observe(rec)

    def summary(self) -> list[str]:
        """Print (and return) the final summary of every alarm that fired."""
        fired = self.monitor.fired
        lines = [f"rewardkit health: {len(fired)} alarm(s)" + (":" if fired else " (reward health looks fine)")]
        lines += [f"  {a.line()}" for a in fired]
        for line in lines:
            self.echo(line)
        return lines
