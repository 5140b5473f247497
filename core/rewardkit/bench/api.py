"""``rewardkit.bench.run``: the whole job, from data file to output folder (the CLI is a thin wrapper).

The job runs in four stages over one :class:`~rewardkit.bench.options.BenchOptions`:
:func:`read` (data, rewards, items), :func:`plan_job` (shards to compute, manifest),
:func:`score` (compute the missing shards) and :func:`report` (gather, summarise, write).
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import Rows
from .baseline import check_same_data, completions_hash
from .job import BenchError, Entry, Items, ItemSource, available_columns, choose, default_threshold, read_data
from .options import BenchOptions, ConfigArg, OutLock, RewardArg
from .runner import Plan, gather, plan, run_local
from .shards import JobColumn, ShardStore, atomic_write_text, write_scores
from .stream import Spec, StreamedItems, peek, streamable
from .summary import COMPOSITE, build_summary, combine_composite

__all__ = ["BenchOptions", "Job", "JobPlan", "read", "plan_job", "score", "report", "run"]


@dataclass
class Job:
    """The read stage's result: the rows, the items to score, the rewards (entries) and the composite."""

    opts: BenchOptions
    rows: Rows  # the rows in memory, or the first rows of a streamed file
    items: ItemSource
    entries: list[Entry]
    comp: Any
    term_labels: dict[str, str] | None
    prompt_col: str | None
    label: str | None
    started: float
    read_seconds: float
    prepare_seconds: float = 0.0

    @property
    def n_rows(self) -> int:
        """Rows of the input (not items: a chosen/rejected row gives two)."""
        return self.items.n_rows if isinstance(self.items, StreamedItems) else len(self.rows.rows)


@dataclass
class JobPlan:
    """The plan stage's result: the shard units, where they live and how many were reused."""

    plan: Plan
    store: ShardStore
    reused: int


# -- read --------------------------------------------------------------------------------------


def _entries(reward_args: Sequence[RewardArg], thresholds: Mapping[str, float]) -> list[Entry]:
    from ..reward import reward
    from ..rewardspec_arg import parse_reward_arg

    parsed = [
        (a, *parse_reward_arg(a)) if isinstance(a, str) else (f"{a[0]}:{a[1]}", a[0], dict(a[1])) for a in reward_args
    ]
    names = [name for _, name, _ in parsed]
    entries: list[Entry] = []
    for text, name, params in parsed:
        r = reward(name, **params)
        label = name if names.count(name) == 1 else text
        if any(e.label == label for e in entries):
            raise BenchError(f"--reward {text!r} is given twice")
        entries.append(Entry(label, r, _threshold(label, r, thresholds)))
    return entries


def _threshold(label: str, r: Any, thresholds: Mapping[str, float]) -> float:
    for key in (label, getattr(r, "name", label), "*"):
        if key in thresholds:
            return float(thresholds[key])
    return default_threshold(r.spec.lo, r.spec.hi) if hasattr(r, "spec") else 0.5


def load_composite(config: ConfigArg) -> Any:
    """The composite training would score with: the config is read by training's own reader
    (:func:`rewardkit.terms.composite_from_config`: terms, ``on_error``, ``allow_negative``).

    ``config`` is a TOML path, a parsed config mapping, or a list of ``[[reward]]`` tables.
    """
    import tomllib

    from ..terms import ConfigError, composite_from_config

    where = "--config"
    if isinstance(config, (str, Path)):
        p = Path(config)
        where = str(p)
        try:
            raw: Mapping[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BenchError(f"{p}: no such config file") from None
        except tomllib.TOMLDecodeError as exc:
            raise BenchError(f"{p}: not valid TOML ({exc})") from None
    elif isinstance(config, Mapping):
        raw = config
    else:
        raw = {"reward": list(config or [])}
    try:
        return composite_from_config(raw)
    except ConfigError as exc:
        raise BenchError(f"{where}: {exc}") from None


def _composite_entries(comp: Any, entries: list[Entry], thresholds: Mapping[str, float]) -> dict[str, str]:
    """Add the composite's terms as entries (sharing identical ones); return term -> column label."""
    term_labels: dict[str, str] = {}
    for t in comp.terms:
        same = [
            e
            for e in entries
            if e.reward.signature == t.reward.signature
            and e.reward.timeout == t.reward.timeout
            and e.reward.columns == t.reward.columns
        ]
        if same:
            term_labels[t.name] = same[0].label
            continue
        label = t.name if all(e.label != t.name for e in entries) else f"{COMPOSITE}:{t.name}"
        entries.append(Entry(label, t.reward, _threshold(label, t.reward, thresholds)))
        term_labels[t.name] = label
    return term_labels


def _default_entries(opts: BenchOptions, available: list[str]) -> list[Entry]:
    from ..registry import registry

    specs = registry.specs()
    names, left = choose(specs, available, opts.costs)
    if not names:
        raise BenchError(
            f"no installed reward of cost {', '.join(opts.costs)} applies to this data (columns: "
            f"{', '.join(available) or 'none'}; installed: {', '.join(sorted(specs)) or 'none'}); "
            "name rewards with --reward or widen --cost"
        )
    opts.say(f"picked {len(names)} reward(s) the rows can feed (cost {', '.join(opts.costs)}): {', '.join(names)}")
    by_reason: dict[str, list[str]] = {}
    for name, why in left.items():
        by_reason.setdefault(why, []).append(name)
    for why, which in sorted(by_reason.items()):
        opts.say(f"  left out ({why}): {', '.join(which)}")
    if "cost model" in left.values():
        opts.say("  (reward models and in-process judges: add --cost fast,cpu,model, or name them with -r)")
    _say_load_errors(opts)
    return _entries(names, opts.thresholds)


def _say_load_errors(opts: BenchOptions) -> None:
    """A plugin that failed to import is named (with file:line) instead of silently missing from the pick."""
    from ..plugins import load_errors

    for plugin, error in load_errors().items():
        opts.say(f"  plugin {plugin!r} failed to load, so its rewards are missing: {error}")


def _check_columns(rows: Rows, entries: list[Entry], mapping: Mapping[str, str], available: list[str]) -> list[str]:
    needed: dict[str, list[str]] = {}
    for e in entries:
        for c in e.reward.columns:
            needed.setdefault(c, []).append(e.spec.name)
    for col, users in needed.items():
        if col not in available and not any(mapping.get(col, col).split(".")[0] == a for a in rows.columns):
            raise BenchError(
                f"{rows.source}: reward {', '.join(users)} needs column {col!r}, which the data lacks "
                f"(available: {', '.join(available) or 'none'}; map another one with --map {col}=PATH)"
            )
    return list(needed)


def read(opts: BenchOptions) -> Job:
    """Stage 1: read the data, build the rewards and the composite, pull out the items."""
    started = time.time()
    opts.check()
    data, prompt_col, label = opts.data, opts.prompt_col, opts.label
    if data is None:
        from ..tasks import gsm8k

        data = gsm8k.data_path("completions")
        prompt_col = prompt_col or "question"
        label = label or "is_correct"
    t_read = time.perf_counter()
    stream = opts.backend == "local" and streamable(data)
    if stream:
        rows = peek(Path(data), opts.skip_bad_rows, min(100, opts.limit or 100))
    else:
        rows = read_data(data, skip_bad=opts.skip_bad_rows, limit=opts.limit)
    read_seconds = time.perf_counter() - t_read
    if prompt_col is None and "prompt" in rows.columns:
        prompt_col = "prompt"
    mapping = dict(opts.mapping)
    available = available_columns(rows, mapping)

    entries = _entries(list(opts.rewards), opts.thresholds)
    comp = term_labels = None
    if opts.config is not None:
        comp = load_composite(opts.config)
        term_labels = _composite_entries(comp, entries, opts.thresholds)
    if not entries:
        entries = _default_entries(opts, available)
    columns = _check_columns(rows, entries, mapping, available)
    spec = Spec(columns, opts.completion_col, prompt_col, mapping, label, opts.pairs)
    items: ItemSource
    if stream:
        items = StreamedItems(Path(data), spec, skip_bad=opts.skip_bad_rows, limit=opts.limit)
        rows = Rows(rows.rows, items.bad, rows.source)
    else:
        items = spec.items(rows, 0)
    for bad in rows.bad:
        opts.say(f"skipped {bad.path}:{bad.line}: {bad.error}")
    job = Job(opts, rows, items, entries, comp, term_labels, prompt_col, label, started, read_seconds)
    job.prepare_seconds = time.perf_counter() - t_read - read_seconds
    return job


# -- plan --------------------------------------------------------------------------------------


def plan_job(job: Job) -> JobPlan:
    """Stage 2: decide which (reward, shard) units to compute, and write the manifest."""
    opts, items, entries = job.opts, job.items, job.entries
    options = opts.runner()
    store = ShardStore(options.out)
    options.out.mkdir(parents=True, exist_ok=True)
    store.clean_temp()
    previous = store.read_manifest() if opts.resume else None
    job_plan = plan(items, entries, store, options)
    manifest = {
        "format": 1,
        "input": {
            "source": str(job.rows.source),
            "sha256": items.digest,
            "items": len(items),
            "rows": job.n_rows,
        },
        "shard_size": opts.shard_size,
        "entries": {
            e.label: {"signature": e.reward.signature, "timeout": e.reward.timeout, "key": job_plan.keys[e.label]}
            for e in entries
        },
        "composite": job.comp.describe() if job.comp is not None else None,
    }
    if previous is not None and previous.get("input", {}).get("sha256") != items.digest:
        opts.say("the input changed since the last run: its shards are not reused")
    reused = len(job_plan.units) - len(job_plan.todo)
    if opts.resume:
        opts.say(
            f"resuming: {reused} of {len(job_plan.units)} shard(s) already done"
            + (f"; dropped {len(job_plan.removed)} stale reward folder(s)" if job_plan.removed else "")
        )
    store.write_manifest(manifest)
    return JobPlan(job_plan, store, reused)


# -- score -------------------------------------------------------------------------------------


def score(job: Job, jp: JobPlan) -> float:
    """Stage 3: compute the missing units (locally or on Ray); returns the scoring seconds."""
    opts = job.opts
    options = opts.runner()
    t0 = time.perf_counter()
    from ..progress import Progress

    total = sum(u.size for u in jp.plan.todo)
    parts: dict[int, int] = {}
    for u in jp.plan.todo:
        parts[u.entry] = parts.get(u.entry, 0) + u.size
    description = f"scoring {len(job.entries)} reward(s) x {len(job.items):,} items"
    with (
        Progress(total, description, enabled=opts.progress, unit="scores", parts=parts) as bar,
        _pool_size(opts.workers if opts.backend == "local" else None),
    ):
        if opts.backend == "ray":
            from .ray_backend import run_ray

            assert isinstance(job.items, Items), "the ray backend reads the input whole"
            run_ray(jp.plan, job.items, job.entries, jp.store, options, bar.advance)
        else:
            run_local(jp.plan, job.items, job.entries, jp.store, options, bar.advance)
    return time.perf_counter() - t0


# -- report ------------------------------------------------------------------------------------


def _composite_info(job: Job, results: dict[str, JobColumn]) -> dict[str, Any] | None:
    comp, term_labels = job.comp, job.term_labels
    if comp is None or term_labels is None:
        return None
    total, seconds, scored = combine_composite(comp, term_labels, results)
    unit = all(t.shaping == "unit" for t in comp.terms)
    hi = sum(t.weight for t in comp.terms) if unit and comp.nonnegative else math.inf
    lo = 0.0 if comp.nonnegative else -math.inf
    thr = float(job.opts.thresholds.get(COMPOSITE, hi / 2 if math.isfinite(hi) else 0.0))
    return {
        "total": total,
        "statuses": [st.value for st in scored.total_statuses],
        "dropped": scored.dropped,
        "seconds": seconds,
        "wall": sum(results[lab].wall for lab in set(term_labels.values())),
        "lo": lo,
        "hi": hi,
        "threshold": thr,
        "options": comp.options(),
        "terms": [{**d, "column": term_labels[d["term"]]} for d in comp.describe()],
        "stats": {k: v.summary() for k, v in scored.stats().items()},
    }


def _header(job: Job, jp: JobPlan, scoring_seconds: float) -> dict[str, Any]:
    opts, items, rows = job.opts, job.items, job.rows
    return {
        "rewardkit": _version(),
        "input": {
            "source": str(rows.source),
            "sha256": items.digest,
            "rows": job.n_rows,
            "items": len(items),
            "completions_sha256": completions_hash(items),
            "completion": None if opts.pairs else opts.completion_col,
            "prompt": job.prompt_col,
            "label": job.label,
            "pairs": list(opts.pairs) if opts.pairs else None,
            "mapping": dict(opts.mapping),
            "bad_rows": [{"path": b.path, "line": b.line, "error": b.error} for b in rows.bad],
        },
        "run": {
            "backend": opts.backend,
            "workers": opts.workers or _default_workers(),
            "shard_size": opts.shard_size,
            "batch_size": opts.batch_size,
            "shards": len(jp.plan.units),
            "shards_reused": jp.reused,
            "shards_computed": len(jp.plan.todo),
            "read_seconds": job.read_seconds,
            "prepare_seconds": job.prepare_seconds,
            "scoring_seconds": scoring_seconds,
            "output_seconds": None,
            "wall_seconds": time.time() - job.started,
            "python": platform.python_version(),
        },
        "signatures": {e.label: e.reward.signature for e in job.entries},
    }


def report(job: Job, jp: JobPlan, scoring_seconds: float) -> dict[str, Any]:
    """Stage 4: gather the shards, write scores.parquet, summary.json, signatures.json and the reports."""
    t0 = time.perf_counter()
    out = Path(job.opts.out)
    results = gather(jp.plan, job.entries, jp.store)
    composite_info = _composite_info(job, results)
    total_values = composite_info["total"] if composite_info else None
    n_shards = -(-len(job.items) // job.opts.shard_size)
    labels = [e.label for e in job.entries]
    write_scores(out / "scores.parquet", jp.plan.units, labels, n_shards, jp.store, job.items, total_values,
                 job.opts.shard_size)  # fmt: skip
    summary = {
        **_header(job, jp, scoring_seconds),
        **build_summary(job.items, job.entries, results, composite_info, job.opts.samples),
    }
    atomic_write_text(out / "signatures.json", json.dumps(summary["signatures"], indent=2) + "\n")
    if job.opts.baseline is not None:
        from .baseline import compare

        summary["baseline"] = compare(Path(job.opts.baseline), out, summary, job.items)
    _write_summary(out, summary)
    from .report import write_reports

    write_reports(out, summary, job.items, results, composite_info, plots=job.opts.plots)
    summary["run"]["output_seconds"] = time.perf_counter() - t0
    summary["run"]["wall_seconds"] = time.time() - job.started
    _write_summary(out, summary)
    return summary


def _write_summary(out: Path, summary: dict[str, Any]) -> None:
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=_json_default) + "\n")


def run(data: str | Path | None = None, *, options: BenchOptions | None = None, **kwargs: Any) -> dict[str, Any]:
    """Score ``data`` with ``rewards`` (and/or the composite of a training config) and write
    scores.parquet, summary.json, signatures.json, report.md, report.html and plots to ``out``.

    Takes a :class:`BenchOptions` or its fields as keyword arguments. With no ``data`` it scores
    the bundled GSM8K completions with every installed reward that applies, against the
    ``is_correct`` label. A second job on the same ``out`` is refused while the first runs.
    Returns the summary.
    """
    if options is None:
        options = BenchOptions.from_kwargs(data, **kwargs)
    elif kwargs or data is not None:
        raise TypeError("bench.run(): give either options= or data and keyword arguments, not both")
    options.check()
    with OutLock(options.out):
        job = read(options)
        if options.baseline is not None:
            check_same_data(Path(options.baseline), job.items)
        jp = plan_job(job)
        seconds = score(job, jp)
        return report(job, jp, seconds)


def _json_default(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return repr(x)


def _version() -> str:
    from .. import __version__

    return __version__


def _default_workers() -> int:
    from ..isolation import default_workers

    return default_workers()


class _pool_size:
    """Set the cpu worker pool's size for the job, and restore it afterwards."""

    def __init__(self, workers: int | None) -> None:
        self.workers = workers
        self.old: int | None = None

    def __enter__(self) -> None:
        if self.workers:
            from ..isolation import get_pool

            pool = get_pool()
            self.old, pool.size = pool.size, self.workers

    def __exit__(self, *exc: Any) -> None:
        if self.old is not None:
            from ..isolation import get_pool

            get_pool().size = self.old
