"""Host overhead: calling a reward through rewardkit versus calling its function directly.

Prints completions per second for a trivial ``fast`` reward (inline, validated) and for the
same function as a ``cpu`` reward (worker processes with per-item deadlines), side by side
with the bare function, on the GSM8K stored completions shipped with rewardkit.

    python benchmarks/host_overhead.py [--rows 20000] [--batch 256]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import rewardkit  # noqa: E402
from rewardkit.plugins import register_plugin  # noqa: E402
from rewardkit.tasks import gsm8k  # noqa: E402

import _host_rewards  # noqa: E402


def rate(fn, completions, batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(completions), batch):
        fn(completions[i : i + batch])
    return len(completions) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--cpu-rows", type=int, default=2000, help="rows for the worker-process path")
    args = ap.parse_args()
    base = [r["completion"] for r in gsm8k.load("completions")]
    completions = (base * (args.rows // len(base) + 1))[: args.rows]
    register_plugin(_host_rewards.Plugin, "bench")
    fast = rewardkit.reward("bench.digits")
    cpu = rewardkit.reward("bench.digits_cpu")
    cpu(completions[:4])  # start the workers before timing

    def direct(batch):
        return _host_rewards.digits(completions=batch, prompts=[""] * len(batch))

    rows = [
        ("direct function call", rate(direct, completions, args.batch), len(completions)),
        ("rewardkit fast (inline, validated)", rate(fast, completions, args.batch), len(completions)),
        ("rewardkit cpu (worker pool, deadlines)", rate(cpu, completions[: args.cpu_rows], args.batch), args.cpu_rows),
    ]
    print(f"{'path':42} {'rows':>7} {'completions/s':>14} {'vs direct':>9}")
    for name, r, n in rows:
        print(f"{name:42} {n:7d} {r:14,.0f} {r / rows[0][1]:9.2f}x")
    per_item_us = 1e6 / rows[2][1] - 1e6 / rows[0][1]
    print(f"\nworker-pool cost per item: {per_item_us:.0f} us (IPC round trip; cpu rewards with a fast_path skip it)")


if __name__ == "__main__":
    main()
