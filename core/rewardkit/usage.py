"""The usage channel: a reward adds what a batch cost (model calls, seconds, tokens) to its outcome.

A reward calls :func:`rewardkit.utils.report_usage` (``report_usage(judge_calls=4, judge_seconds=0.8)``)
while the host scores a batch; the host sums the amounts by name into ``Scores.usage`` and training
writes each term's sums into ``metrics.jsonl`` (``"usage": {term: {name: sum}}``). Amounts reported
from worker processes (``cpu`` rewards) or from other threads are not collected; outside a host
call, reporting does nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_SINK: ContextVar[dict[str, float] | None] = ContextVar("rewardkit_usage", default=None)


def report_usage(**amounts: float) -> None:
    """Add finite numbers by name to the usage of the batch being scored (a no-op outside one)."""
    sink = _SINK.get()
    if sink is None:
        return
    for name, value in amounts.items():
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"report_usage: {name}={value!r} is not a finite number")
        sink[name] = sink.get(name, 0.0) + x


@contextmanager
def collecting() -> Iterator[dict[str, float]]:
    """Collect what :func:`report_usage` reports in this context into the dict it yields."""
    sink: dict[str, float] = {}
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)
