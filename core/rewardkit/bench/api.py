"""``rewardkit.bench.run``: the whole job, from data file to output folder (the CLI is a thin wrapper)."""

from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from .job import COSTS, BenchError, Entry, applicable, build_items, default_threshold, load_config, read_data
from .runner import Options, ProgressBar, gather, plan, run_local
from .shards import ShardStore, atomic_write_bytes, atomic_write_text
from .summary import COMPOSITE, build_summary, combine_composite, scores_bytes

RewardArg = str | tuple[str, Mapping[str, Any]]


def _entries(reward_args: Sequence[RewardArg], thresholds: Mapping[str, float]) -> list[Entry]:
    from ..reward import reward
    from ..rewardspec_arg import parse_reward_arg

    parsed = [(a, *parse_reward_arg(a)) if isinstance(a, str) else (f"{a[0]}:{a[1]}", a[0], dict(a[1])) for a in reward_args]
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


def _composite_entries(terms: list[dict[str, Any]], entries: list[Entry], thresholds: Mapping[str, float]):
    """Add the composite's terms as entries (sharing identical ones); return the composite and term -> label."""
    from ..composite import Composite

    comp = Composite.from_config(terms)
    term_labels: dict[str, str] = {}
    for t in comp.terms:
        same = [e for e in entries if e.reward.signature == t.reward.signature and e.reward.timeout == t.reward.timeout and e.reward.columns == t.reward.columns]
        if same:
            term_labels[t.name] = same[0].label
            continue
        label = t.name if all(e.label != t.name for e in entries) else f"{COMPOSITE}:{t.name}"
        entries.append(Entry(label, t.reward, _threshold(label, t.reward, thresholds)))
        term_labels[t.name] = label
    return comp, term_labels


def run(
    data: str | Path | None = None,
    *,
    rewards: Sequence[RewardArg] = (),
    config: str | Path | list[dict[str, Any]] | None = None,
    out: str | Path = "bench-out",
    completion_col: str = "completion",
    prompt_col: str | None = None,
    mapping: Mapping[str, str] | None = None,
    label: str | None = None,
    pairs: tuple[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    skip_bad_rows: bool = False,
    limit: int | None = None,
    costs: Sequence[str] = COSTS,
    shard_size: int = 1000,
    batch_size: int = 64,
    workers: int | None = None,
    backend: str = "local",
    ray_address: str | None = None,
    resume: bool = False,
    progress: bool = False,
    samples: int = 5,
    plots: bool = True,
    log: Any = None,
) -> dict[str, Any]:
    """Score ``data`` with ``rewards`` (and/or the composite of a config's ``[[reward]]`` tables) and
    write scores.parquet, summary.json, signatures.json, report.md, report.html and plots to ``out``.

    With no ``data`` it scores the bundled GSM8K completions with every installed reward that applies,
    against the ``is_correct`` label. Returns the summary.
    """
    from ..registry import registry

    say = log or (lambda msg: None)
    started = time.time()
    thresholds = dict(thresholds or {})
    if shard_size < 1 or batch_size < 1:
        raise BenchError("--shard-size and --batch-size must be positive")
    if backend not in ("local", "ray"):
        raise BenchError(f"--backend must be 'local' or 'ray', got {backend!r}")
    if data is None:
        from ..tasks import gsm8k

        data = gsm8k.data_path("completions")
        prompt_col = prompt_col or "question"
        label = label or "is_correct"
    t_read = time.perf_counter()
    rows = read_data(data, skip_bad=skip_bad_rows, limit=limit)
    read_seconds = time.perf_counter() - t_read
    for bad in rows.bad:
        say(f"skipped {bad.path}:{bad.line}: {bad.error}")
    if prompt_col is None and "prompt" in rows.columns:
        prompt_col = "prompt"
    mapping = dict(mapping or {})
    available = list(dict.fromkeys([*rows.columns, *mapping]))

    entries = _entries(list(rewards), thresholds)
    comp = term_labels = None
    if config is not None:
        terms = load_config(config) if isinstance(config, (str, Path)) else list(config)
        comp, term_labels = _composite_entries(terms, entries, thresholds)
    if not entries:
        specs = registry.specs()
        names = applicable(specs, available, costs)
        if not names:
            raise BenchError(
                f"no installed reward applies to this data (columns: {', '.join(available) or 'none'}; "
                f"installed: {', '.join(sorted(specs)) or 'none'}); name rewards with --reward"
            )
        entries = _entries(names, thresholds)
        say(f"rewards that apply: {', '.join(names)}")

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
    items = build_items(rows, columns=list(needed), completion_col=completion_col, prompt_col=prompt_col,
                        mapping=mapping, label_col=label, pairs=pairs)

    options = Options(Path(out), shard_size, batch_size, workers, backend, ray_address, resume, progress, samples, plots)
    store = ShardStore(options.out)
    options.out.mkdir(parents=True, exist_ok=True)
    store.clean_temp()
    previous = store.read_manifest() if resume else None
    job_plan = plan(items, entries, store, options)
    manifest = {
        "format": 1,
        "input": {"source": str(rows.source), "sha256": items.digest, "items": len(items), "rows": len(rows.rows)},
        "shard_size": shard_size,
        "entries": {e.label: {"signature": e.reward.signature, "timeout": e.reward.timeout, "key": job_plan.keys[e.label]}
                    for e in entries},
        "composite": comp.describe() if comp is not None else None,
    }
    if previous is not None and previous.get("input", {}).get("sha256") != items.digest:
        say("the input changed since the last run: its shards are not reused")
    reused = len(job_plan.units) - len(job_plan.todo)
    if resume:
        say(f"resuming: {reused} of {len(job_plan.units)} shard(s) already done"
            + (f"; dropped {len(job_plan.removed)} stale reward folder(s)" if job_plan.removed else ""))
    store.write_manifest(manifest)

    t0 = time.perf_counter()
    prepare_seconds = t0 - t_read - read_seconds
    total = sum(u.size for u in job_plan.todo)
    label_ = f"scoring {len(entries)} reward(s) x {len(items):,} items"
    with ProgressBar(total, progress, label_) as bar, _pool_size(workers if backend == "local" else None):
        if backend == "ray":
            from .ray_backend import run_ray

            run_ray(job_plan, items, entries, store, options, bar.advance)
        else:
            run_local(job_plan, items, entries, store, options, bar.advance)
    scoring_seconds = time.perf_counter() - t0

    results = gather(job_plan, entries, store)
    composite_info = None
    total_values = None
    if comp is not None and term_labels is not None:
        total_values, seconds, scored = combine_composite(comp, term_labels, results)
        unit = all(t.shaping == "unit" for t in comp.terms)
        hi = sum(t.weight for t in comp.terms) if unit and comp.nonnegative else math.inf
        lo = 0.0 if comp.nonnegative else -math.inf
        thr = float(thresholds.get(COMPOSITE, hi / 2 if math.isfinite(hi) else 0.0))
        composite_info = {
            "total": total_values, "statuses": ["value" if v is not None else "none" for v in total_values],
            "seconds": seconds, "wall": sum(results[lab].wall for lab in set(term_labels.values())),
            "lo": lo, "hi": hi, "threshold": thr,
            "terms": [{**d, "column": term_labels[d["term"]]} for d in comp.describe()],
            "stats": {k: vars(v) for k, v in scored.stats().items()},
        }
    atomic_write_bytes(options.out / "scores.parquet", scores_bytes(items, results, total_values))
    summary = build_summary(items, entries, results, composite_info, samples)
    summary = {
        "rewardkit": _version(),
        "input": {
            "source": str(rows.source), "sha256": items.digest, "rows": len(rows.rows), "items": len(items),
            "completion": None if pairs else completion_col, "prompt": prompt_col, "label": label,
            "pairs": list(pairs) if pairs else None, "mapping": mapping,
            "bad_rows": [{"path": b.path, "line": b.line, "error": b.error} for b in rows.bad],
        },
        "run": {
            "backend": backend, "workers": workers or _default_workers(), "shard_size": shard_size,
            "batch_size": batch_size, "shards": len(job_plan.units), "shards_reused": reused,
            "shards_computed": len(job_plan.todo), "read_seconds": read_seconds,
            "prepare_seconds": prepare_seconds, "scoring_seconds": scoring_seconds,
            "output_seconds": None, "wall_seconds": time.time() - started, "python": platform.python_version(),
        },
        "signatures": {e.label: e.reward.signature for e in entries},
        **summary,
    }
    atomic_write_text(options.out / "signatures.json", json.dumps(summary["signatures"], indent=2) + "\n")
    atomic_write_text(options.out / "summary.json", json.dumps(summary, indent=2, default=_json_default) + "\n")
    from .report import write_reports

    write_reports(options.out, summary, items, results, composite_info, plots=plots)
    summary["run"]["output_seconds"] = time.perf_counter() - t0 - scoring_seconds
    summary["run"]["wall_seconds"] = time.time() - started
    atomic_write_text(options.out / "summary.json", json.dumps(summary, indent=2, default=_json_default) + "\n")
    return summary


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
        self.workers, self.old = workers, None

    def __enter__(self) -> None:
        if self.workers:
            from ..isolation import get_pool

            pool = get_pool()
            self.old, pool.size = pool.size, self.workers

    def __exit__(self, *exc: Any) -> None:
        if self.old is not None:
            from ..isolation import get_pool

            get_pool().size = self.old
