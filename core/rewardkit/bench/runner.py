"""Running a bench job: plan the (reward, shard) units, score the missing ones, gather the results."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .job import Entry, Items, ItemSource
from .shards import JobColumn, ShardResult, ShardStore, shard_ranges

Advance = Callable[[int], None]


@dataclass
class Options:
    """How to run a job (not what it computes: none of these change the per-item scores)."""

    out: Path
    shard_size: int = 1000
    batch_size: int = 64
    workers: int | None = None
    backend: str = "local"
    ray_address: str | None = None
    resume: bool = False
    progress: bool = True
    samples: int = 5
    plots: bool = True


@dataclass
class Unit:
    """One reward on one shard of items."""

    entry: int
    shard: int
    start: int
    stop: int
    key: str

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class Plan:
    units: list[Unit]
    todo: list[Unit]
    keys: dict[str, str]  # entry label -> shard key
    removed: list[str] = field(default_factory=list)


def plan(items: ItemSource, entries: list[Entry], store: ShardStore, options: Options) -> Plan:
    """Every unit of the job, and those without a complete shard on disk yet."""
    keys = {e.label: e.key(items, options.shard_size) for e in entries}
    ranges = shard_ranges(len(items), options.shard_size)
    units = [Unit(i, k, a, b, keys[e.label]) for k, (a, b) in enumerate(ranges) for i, e in enumerate(entries)]
    if options.resume:
        removed = store.prune(set(keys.values()))
        todo = [u for u in units if not store.has(u.key, u.shard, u.size)]
    else:
        store.reset()
        removed, todo = [], list(units)
    return Plan(units, todo, keys, removed)


def score_unit(
    entry: Entry, items: Items, start: int, stop: int, batch_size: int, advance: Advance | None = None
) -> ShardResult:
    """Score items ``start:stop`` with one reward through the host path, in batches.

    ``cpu`` rewards get the whole shard at once, so the worker pool spreads it over all workers.
    """
    step = stop - start if entry.spec.cost == "cpu" else max(1, batch_size)
    values: list[float | None] = []
    statuses: list[str] = []
    messages: list[str | None] = []
    seconds: list[float] = []
    t0 = time.perf_counter()
    for a in range(start, stop, step):
        b = min(stop, a + step)
        cols = {c: items.columns[c][a:b] for c in entry.reward.columns}
        prompts = items.prompts[a:b] if items.prompts is not None else None
        s = entry.reward.score(items.completions[a:b], prompts=prompts, **cols)
        values += s.values
        statuses += [st.value for st in s.statuses]
        messages += [s.messages.get(i) for i in range(len(s))]
        seconds += s.item_seconds or [s.seconds / max(1, len(s))] * len(s)
        if advance is not None:
            advance(b - a)
    return ShardResult(values, statuses, messages, seconds, time.perf_counter() - t0)


def run_local(
    plan_: Plan, items: Any, entries: list[Entry], store: ShardStore, options: Options, advance: Advance
) -> None:
    """Score the missing units in this process, shard by shard (``cpu`` rewards use the worker pool).

    ``items`` gives each shard's items with ``chunks``: slices in memory, or rows read again from a
    streamed file, so only one shard's text is held at a time."""
    by_shard: dict[int, list[Unit]] = {}
    for u in plan_.todo:
        by_shard.setdefault(u.shard, []).append(u)
    for k, chunk in items.chunks(options.shard_size, set(by_shard)):
        for u in by_shard[k]:
            def step(n: int, entry: int = u.entry) -> None:
                advance(n, entry)  # type: ignore[call-arg]  # the progress prices each reward at its own rate

            result = score_unit(entries[u.entry], chunk, 0, u.size, options.batch_size, step)
            store.write(u.key, u.shard, result)


def gather(plan_: Plan, entries: list[Entry], store: ShardStore) -> dict[str, JobColumn]:
    """Every shard of each entry, in item order, as one compact column per entry."""
    out: dict[str, JobColumn] = {}
    for u in plan_.units:
        label = entries[u.entry].label
        out.setdefault(label, JobColumn()).extend(store.read(u.key, u.shard))
    return out
