"""How much does ``rewardkit bench`` add to the rewards' own cost? Throughput on 100,000 rows.

For each fast reward, side by side in one run:

- ``direct``:   the plugin's function called once on all rows (no host, no validation);
- ``host``:     ``rewardkit.reward(name)(completions, **columns)``, the validated host path, one call;
- ``datasets``: ``datasets.Dataset.map(batched=True)`` calling the reward (a common way to score offline);
- ``bench``:    ``rewardkit.bench.run`` on the JSONL file: scoring time inside the job (batches,
  shards written atomically) and end to end (reading, hashing, scoring, metrics, reports).

"added" is the bench's scoring time minus the baseline's, per item (microseconds) and relative.

Rows are the bundled GSM8K stored completions repeated to N rows. Usage::

    python benchmarks/bench_harness.py [--rows 100000] [--reward NAME ...] [--batch-size 64]

Peak memory (``--memory``): a fresh process runs one bench job (local backend, ``format.tags`` and
``text.exact`` against the ``is_correct`` label, reports and plots) per row count and reports its peak
RSS and wall time side by side; ``--pythonpath DIR`` runs an older ``core/`` too, for comparison::

    python benchmarks/bench_harness.py --memory 500000 5000000 [--pythonpath /tmp/old/core]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def make_data(rows: int, folder: Path) -> Path:
    from rewardkit.tasks import gsm8k

    base = gsm8k.load("completions")
    path = folder / f"gsm8k_x{rows}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            r = base[i % len(base)]
            fh.write(json.dumps({"completion": r["completion"], "prompt": r["question"], "answer": r["answer"],
                                 "reference": r["reference"], "is_correct": r["is_correct"]}) + "\n")
    return path


def timed(fn, repeat: int = 1):
    """Best wall time of ``repeat`` calls (the machine may be shared), and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def added(t: float, base: float, n: int) -> str:
    """Time added per item, in microseconds and as a share of ``base``."""
    return f"{(t - base) / n * 1e6:+.2f} us ({(t / base - 1) * 100:+.0f}%)"


_CHILD = """
import json, resource, sys, time
t = time.perf_counter()
from rewardkit.bench import run
s = run(sys.argv[1], rewards=["format.tags", "text.exact"], label="is_correct", out=sys.argv[2], shard_size=10000)
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "items": s["input"]["items"], "scoring_seconds": s["run"]["scoring_seconds"]}))
"""


def memory(row_counts: list[int], pythonpath: str | None) -> None:
    """Peak RSS of one bench job per row count, in a fresh process each (and with an older core if given)."""
    import os
    import subprocess
    import sys

    tmp = Path(tempfile.mkdtemp(prefix="rk-bench-mem-"))
    versions = [("this checkout", None)] + ([(pythonpath, pythonpath)] if pythonpath else [])
    print(f"{'rows':>10} {'JSONL MB':>9} " + " ".join(f"{'peak MB':>9} {'wall s':>8} [{v}]" for v, _ in versions))
    for n in row_counts:
        path = make_data(n, tmp)
        cells = []
        for _, pp in versions:
            env = dict(os.environ)
            if pp:
                env["PYTHONPATH"] = pp
            out = tmp / "out"
            res = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(out)], env=env,
                                 capture_output=True, text=True)
            if res.returncode != 0:
                cells.append(f"failed: {res.stderr.strip().splitlines()[-1][:60]}")
                continue
            d = json.loads(res.stdout.strip().splitlines()[-1])
            cells.append(f"{d['peak_mb']:>9,.0f} {d['seconds']:>8.1f}")
        print(f"{n:>10,} {path.stat().st_size / 1e6:>9,.0f} " + " ".join(cells), flush=True)
        path.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--reward", action="append",
                    help="reward names (default: every installed fast reward that applies, plus the bench test rewards)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--shard-size", type=int, default=10_000)
    ap.add_argument("--no-datasets", action="store_true", help="skip the datasets.map comparison")
    ap.add_argument("--repeat", type=int, default=1, help="best of N timings for each figure")
    ap.add_argument("--memory", type=int, nargs="+", metavar="ROWS", help="peak memory of a bench job at these row counts")
    ap.add_argument("--pythonpath", default=None, help="with --memory: also run this core/ (an older version)")
    args = ap.parse_args()
    if args.memory:
        memory(args.memory, args.pythonpath)
        return

    import rewardkit
    from rewardkit.bench import run, testing
    from rewardkit.data import read_rows
    from rewardkit.registry import registry

    testing.register()
    cols = ("answer", "reference")
    names = args.reward or [n for n, s in sorted(registry.specs().items())
                            if s.cost == "fast" and set(s.columns) <= set(cols)]
    tmp = Path(tempfile.mkdtemp(prefix="rk-bench-"))
    path = make_data(args.rows, tmp)
    t_read, rows = timed(lambda: read_rows(path))
    completions = [r["completion"] for r in rows.rows]
    prompts = [r["prompt"] for r in rows.rows]
    columns = {c: [r[c] for r in rows.rows] for c in cols}
    n = len(completions)
    print(f"{n:,} rows ({path.stat().st_size / 1e6:.1f} MB JSONL), read in {t_read:.2f}s; "
          f"batch size {args.batch_size}, shard size {args.shard_size}, best of {args.repeat}")

    ds = None
    if not args.no_datasets:
        import datasets

        datasets.disable_progress_bars()
        ds = datasets.Dataset.from_list(rows.rows)

    header = (f"{'reward':<20} {'direct/s':>11} {'host/s':>11} {'datasets/s':>11} {'bench/s':>11} "
              f"{'bench e2e s':>11} {'added vs direct':>22} {'added vs host':>22}")
    print(header)
    print("-" * len(header))
    for name in names:
        r = rewardkit.reward(name)
        kw = {c: columns[c] for c in r.spec.columns}
        rep = args.repeat
        t_direct, _ = timed(lambda r=r, kw=kw: r.spec.fn(completions=completions, prompts=prompts, **kw, **r.params), rep)
        t_host, _ = timed(lambda r=r, kw=kw: r(completions, prompts=prompts, **kw), rep)
        t_ds = None
        if ds is not None:
            def score(batch, r=r):
                return {"score": r(batch["completion"], prompts=batch["prompt"], **{c: batch[c] for c in r.spec.columns})}

            t_ds, _ = timed(lambda: ds.map(score, batched=True, batch_size=1000, load_from_cache_file=False,
                                           keep_in_memory=True), rep)
        t_e2e, t_bench = float("inf"), float("inf")
        for _ in range(rep):
            with tempfile.TemporaryDirectory() as out:
                t, summary = timed(lambda name=name, out=out: run(path, rewards=[name], out=out, batch_size=args.batch_size,
                                               shard_size=args.shard_size, plots=False))
            t_e2e, t_bench = min(t_e2e, t), min(t_bench, summary["run"]["scoring_seconds"])
        print(f"{name:<20} {n / t_direct:>11,.0f} {n / t_host:>11,.0f} "
              f"{(f'{n / t_ds:,.0f}' if t_ds else '-'):>11} {n / t_bench:>11,.0f} {t_e2e:>11.2f} "
              f"{added(t_bench, t_direct, n):>22} {added(t_bench, t_host, n):>22}")

    with tempfile.TemporaryDirectory() as out:
        t_all, summary = timed(lambda: run(path, rewards=names, out=out, batch_size=args.batch_size,
                                           shard_size=args.shard_size, plots=True, label="is_correct"))
    direct_total = 0.0
    for name in names:
        r = rewardkit.reward(name)
        kw = {c: columns[c] for c in r.spec.columns}
        direct_total += timed(lambda r=r, kw=kw: r.spec.fn(completions=completions, prompts=prompts, **kw, **r.params))[0]
    run_ = summary["run"]
    print(f"\nall {len(names)} rewards in one job, with label metrics and plots: {t_all:.2f}s end to end "
          f"(read {run_['read_seconds']:.2f}s, items and hashes {run_['prepare_seconds']:.2f}s, "
          f"scoring {run_['scoring_seconds']:.2f}s, metrics, reports and plots {run_['output_seconds']:.2f}s); "
          f"the same functions called directly: {direct_total:.2f}s")
    testing.unregister()


if __name__ == "__main__":
    main()
