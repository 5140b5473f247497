"""``--backend ray``: the same (reward, shard) units scored by Ray Data on a Ray cluster.

The driver builds a Ray Dataset with one row per missing unit and maps a scoring function over
it; each Ray worker rebuilds the bound rewards from their specs (no plugin discovery needed
there), scores its unit through the host path (:func:`runner.score_unit`) and returns the
shard's Parquet bytes. The driver writes each shard atomically as it arrives, so per-item
scores, resume and the final files are exactly those of the local backend.
"""

from __future__ import annotations

import os
from typing import Any

from .job import Entry, Items
from .runner import Advance, Options, Plan, score_unit
from .shards import ShardStore


def _init(options: Options) -> None:
    import ray

    if ray.is_initialized():
        return
    address = options.ray_address or os.environ.get("RAY_ADDRESS")
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=options.workers or None, **kwargs)


def run_ray(
    plan: Plan, items: Items, entries: list[Entry], store: ShardStore, options: Options, advance: Advance
) -> None:
    """Score ``plan.todo`` on Ray and write each shard as it comes back."""
    if not plan.todo:
        return
    try:
        import ray
        import ray.data
    except ImportError:
        from .job import BenchError

        raise BenchError("--backend ray needs Ray Data: pip install 'ray[data]'") from None
    _init(options)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.execution_options.preserve_order = False

    items_ref = ray.put(items)
    rewards_ref = ray.put([(e.label, e.spec, e.reward.params, e.reward.timeout, e.threshold) for e in entries])
    batch_size = options.batch_size

    def score(batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from ..isolation import get_pool
        from ..reward import Reward

        its: Items = ray.get(items_ref)
        specs = ray.get(rewards_ref)
        get_pool().size = 1  # Ray runs one unit per CPU; each unit's cpu reward gets one worker process
        blobs = []
        for e, a, b in zip(batch["entry"], batch["start"], batch["stop"]):
            label, spec, params, timeout, threshold = specs[int(e)]
            entry = Entry(label, Reward(spec, params, timeout=timeout), threshold)
            blobs.append(score_unit(entry, its, int(a), int(b), batch_size).to_bytes())
        return {
            "entry": batch["entry"],
            "shard": batch["shard"],
            "size": batch["stop"] - batch["start"],
            "data": np.array(blobs, dtype=object),
        }

    units = [{"entry": u.entry, "shard": u.shard, "start": u.start, "stop": u.stop} for u in plan.todo]
    keys = {(u.entry, u.shard): u.key for u in plan.todo}
    ds = ray.data.from_items(units, override_num_blocks=len(units))
    done = ds.map_batches(score, batch_size=1, batch_format="numpy", num_cpus=1)
    for row in done.iter_rows():
        e, k = int(row["entry"]), int(row["shard"])
        store.write_bytes(keys[(e, k)], k, row["data"])
        advance(int(row["size"]))
