"""Progress of long work (bench, probe, training evaluation, audit), with or without a terminal.

On a terminal it is a rich bar; anywhere else (CI, ``nohup``, ``| tee``) it prints a plain line on
stderr every ``REWARDKIT_PROGRESS_SECONDS`` seconds (default 10) and one at the end::

    scoring 3 reward(s) x 5,276 items: 1,200/15,828 (8%), 41.3 items/s, ETA 5m54s

The ETA is honest about mixed work: each part (a reward, a family) is timed on its own and its
remaining items are priced at its own rate; while some part has not started yet the ETA is a lower
bound (``ETA >= ...``). This module imports no other rewardkit module.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Hashable, Mapping
from typing import Any, TextIO

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``75`` -> ``"1m15s"``, ``3700`` -> ``"1h01m"``, ``4`` -> ``"4s"``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _every() -> float:
    raw = os.environ.get("REWARDKIT_PROGRESS_SECONDS", "10")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"REWARDKIT_PROGRESS_SECONDS must be a number of seconds, got {raw!r}") from None
    return max(0.0, value)


class Progress:
    """Counts items done of ``total``; ``parts`` (optional) gives each part's item count for the ETA.

    ``advance(n, part)`` after each batch: the time since the previous call is charged to ``part``.
    ``enabled=False`` shows nothing; ``tty`` overrides the terminal check (tests).
    """

    def __init__(self, total: int, description: str, *, enabled: bool = True, unit: str = "items",
                 parts: Mapping[Any, int] | None = None, stream: TextIO | None = None,
                 tty: bool | None = None, every: float | None = None) -> None:
        self.total, self.description, self.unit = int(total), description, unit
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = _every() if every is None else every
        self.parts = dict(parts or {})
        self.done = 0
        self._part_done: dict[Hashable, int] = {}
        self._part_seconds: dict[Hashable, float] = {}
        self._start = self._last = self._printed = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    # -- numbers ---------------------------------------------------------------------------------

    def rate(self) -> float:
        elapsed = time.perf_counter() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> tuple[float | None, bool]:
        """(seconds left or None when unknown, whether it is only a lower bound)."""
        left = self.total - self.done
        if left <= 0:
            return 0.0, False
        if not self.parts:
            rate = self.rate()
            return (left / rate if rate > 0 else None), False
        seconds, lower = 0.0, False
        for part, size in self.parts.items():
            done, spent = self._part_done.get(part, 0), self._part_seconds.get(part, 0.0)
            if done >= size:
                continue
            if done == 0:
                lower = True  # not timed yet: it adds an unknown amount
                continue
            seconds += (size - done) * spent / done
        if lower and seconds == 0.0:
            return None, True
        return seconds, lower

    def line(self) -> str:
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        eta, lower = self.eta()
        if self.done >= self.total:
            when = f"done in {format_seconds(time.perf_counter() - self._start)}"
        elif eta is None:
            when = "ETA once every part has started" if lower else "ETA unknown yet"
        else:
            when = f"ETA {'>= ' if lower else ''}{format_seconds(eta)}"
        return f"{self.description}: {self.done:,}/{self.total:,} {self.unit}{pct}, {self.rate():,.1f} {self.unit}/s, {when}"

    # -- display ---------------------------------------------------------------------------------

    def __enter__(self) -> Progress:
        if self.enabled and self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("[cyan]{task.fields[rate]}"), TimeElapsedColumn(),
                                     TextColumn("{task.fields[eta]}"), console=Console(file=self.stream),
                                     transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total, rate="", eta="")
        return self

    def advance(self, n: int = 1, part: Hashable | None = None) -> None:
        now = time.perf_counter()
        self.done += n
        if part is not None:
            self._part_done[part] = self._part_done.get(part, 0) + n
            self._part_seconds[part] = self._part_seconds.get(part, 0.0) + (now - self._last)
        self._last = now
        if not self.enabled:
            return
        if self._bar is not None:
            eta, lower = self.eta()
            when = "" if eta is None else f"ETA {'>=' if lower else ''}{format_seconds(eta)}"
            self._bar.update(self._task, advance=n, rate=f"{self.rate():,.1f} {self.unit}/s", eta=when)
        elif now - self._printed >= self.every and self.done < self.total:
            self._printed = now
            print(self.line(), file=self.stream, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self.enabled and exc[0] is None:
            print(self.line(), file=self.stream, flush=True)
