"""Math answer checking, side by side: rewardkit ``math.equivalence``, math-verify, TRL's accuracy_reward.

Three sets, one run:

- GSM8K: the 5,276 stored model completions shipped with rewardkit (labels ``is_correct``,
  gold ``answer``), MIT licence (``core/rewardkit/data/gsm8k/LICENSE``).
- LaTeX: ``benchmarks/data/math_latex_pairs.jsonl``, 170 gold/completion pairs with expected
  verdicts covering every answer form rewardkit-math documents (written for this project).
- answer types: ``benchmarks/data/math_answer_types.jsonl``, 700+ labelled pairs in 15
  answer-type categories (matrices, several answers, intervals, relations, text and choice
  letters, number formats, escaping, false positives, ...), written by
  ``benchmarks/data/make_math_answer_types.py``; reported per category as well.
- prose answers: ``benchmarks/data/math_prose_answers.jsonl``, 2,344 labelled answers written in
  prose (sentences after a marker, units and unit golds, negations, bare LaTeX endings, empty
  answer slots, times, correct and wrong) built from GSM8K test golds by
  ``benchmarks/data/make_math_prose_answers.py``; reported with precision, recall and F1 and per kind.
- math-verify tests: ``benchmarks/data/math_verify_cases.jsonl``, the 254 (gold, pred,
  expected) cases of math-verify's own test files (``tests/test_all.py``, ``test_boxed.py``,
  ``test_numina_cases.py``, ``test_open_thoughts.py``; MIT licence), collected by
  ``benchmarks/data/make_math_verify_cases.py``. Every checker runs with its default settings
  (the tests' own ``precision=``/``allow_set_relation_comp=`` options are not passed).

math-verify and TRL get a gold answer without any math delimiter wrapped as ``$...$`` (their
LaTeX extraction needs one; that is how their users pass bare answer columns), except on the
math-verify tests, whose gold texts they get as the tests pass them; rewardkit gets the gold
text as stored.

``--math-verify-tests DIR`` (a Math-Verify checkout) runs those test files themselves with
pytest, their ``compare_strings`` helper replaced by each checker, and prints how many pass.

For each checker: agreement with the labels (accuracy, false positives, false negatives,
None = no verdict) and completions per second on one core and on all cores (a process pool
over equal chunks, started and warmed up before the clock starts; the same for every
checker). rewardkit is called through the bound reward (host validation, fast path, worker
pool for deferred items); its gold-answer cache is cleared before every timed run.

    python benchmarks/math_verifier.py                 # everything (about two minutes on 2 cores)
    python benchmarks/math_verifier.py --limit 500     # quick look
    python benchmarks/math_verifier.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LATEX = HERE / "data" / "math_latex_pairs.jsonl"
TYPES = HERE / "data" / "math_answer_types.jsonl"
MV_CASES = HERE / "data" / "math_verify_cases.jsonl"
PROSE = HERE / "data" / "math_prose_answers.jsonl"
MV_FILES = ("tests/test_all.py", "tests/test_boxed.py", "tests/test_numina_cases.py", "tests/test_open_thoughts.py")
CHECKERS = ("rewardkit", "math-verify", "trl")


def load_sets(limit: int | None) -> dict[str, list[dict[str, Any]]]:
    from rewardkit.tasks import gsm8k

    gsm = [{"completion": r["completion"], "gold": r["answer"], "label": bool(r["is_correct"]), "prompt": r["question"]}
           for r in gsm8k.load("completions")]
    latex = [{"completion": r["completion"], "gold": r["gold"], "label": bool(r["expected"]), "form": r["form"]}
             for r in map(json.loads, LATEX.read_text(encoding="utf-8").splitlines())]
    types = [{"completion": r["pred"], "gold": r["gold"], "label": bool(r["label"]), "category": r["category"]}
             for r in map(json.loads, TYPES.read_text(encoding="utf-8").splitlines())]
    suite = [{"completion": r["pred"], "gold": r["gold"], "label": bool(r["expected"]), "raw_gold": True}
             for r in map(json.loads, MV_CASES.read_text(encoding="utf-8").splitlines())]
    prose = [{"completion": r["pred"], "gold": r["gold"], "label": bool(r["label"]), "category": r["kind"]}
             for r in map(json.loads, PROSE.read_text(encoding="utf-8").splitlines())]
    if limit:
        gsm = gsm[:limit]
    return {"gsm8k": gsm, "latex": latex, "answer types": types, "math-verify tests": suite, "prose answers": prose}


def delimited(gold: str) -> str:
    """A bare gold answer as math-verify's and TRL's users pass it: inside ``$...$``."""
    if gold.startswith(RAW):
        return gold[len(RAW) :]  # math-verify's own test cases: the gold text as its tests pass it
    if "\n" in gold or "####" in gold or "$" in gold or "\\boxed" in gold or "\\(" in gold or "\\[" in gold:
        return gold  # a solution text or an already delimited answer (GSM8K, the LaTeX set)
    return f"${gold}$"


#: marks a gold text that math-verify and TRL get as it is (never wrapped in ``$...$``)
RAW = "\x00raw\x00"


# -- the checkers: each scores (completions, golds) -> list[float | None] -------------------
def run_rewardkit(completions: list[str], golds: list[str], prompts: list[str] | None = None) -> list[float | None]:
    import rewardkit
    from rewardkit_math.rewards import gold_answer

    gold_answer.cache_clear()
    golds = [g[len(RAW) :] if g.startswith(RAW) else g for g in golds]
    return rewardkit.reward("math.equivalence")(completions, prompts=prompts, answer=golds)


def run_math_verify(completions: list[str], golds: list[str], prompts: list[str] | None = None) -> list[float | None]:
    from math_verify import parse, verify

    logging.disable(logging.WARNING)
    out: list[float | None] = []
    for completion, gold in zip(completions, golds):
        try:
            out.append(float(verify(parse(delimited(gold)), parse(completion))))
        except Exception:  # noqa: BLE001 - a crash counts as no verdict
            out.append(None)
    return out


def run_trl(completions: list[str], golds: list[str], prompts: list[str] | None = None) -> list[float | None]:
    from trl.rewards import accuracy_reward

    logging.disable(logging.WARNING)
    return accuracy_reward([[{"role": "assistant", "content": c}] for c in completions], [delimited(g) for g in golds])


RUNNERS = {"rewardkit": run_rewardkit, "math-verify": run_math_verify, "trl": run_trl}


def _chunk(args: tuple[str, list[str], list[str], list[str] | None]) -> list[float | None]:
    name, completions, golds, prompts = args
    return RUNNERS[name](completions, golds, prompts)


def _warm(name: str) -> bool:
    RUNNERS[name](["The answer is $\\boxed{1}$."], ["1"])
    return True


def _warm_all(names: list[str]) -> None:
    for name in names:
        _warm(name)


def agreement(values: list[float | None], labels: list[bool]) -> dict[str, Any]:
    fp = sum(1 for v, y in zip(values, labels) if v is not None and v >= 0.5 and not y)
    fn = sum(1 for v, y in zip(values, labels) if (v is None or v < 0.5) and y)
    none = sum(1 for v in values if v is None)
    right = len(labels) - fp - fn
    tp = sum(labels) - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / sum(labels) if sum(labels) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(labels), "accuracy": right / len(labels), "false_pos": fp, "false_neg": fn, "none": none,
            "precision": precision, "recall": recall, "f1": f1}


def measure(name: str, rows: list[dict[str, Any]], workers: int, repeat: int = 1) -> dict[str, Any]:
    completions = [r["completion"] for r in rows]
    golds = [RAW + r["gold"] if r.get("raw_gold") else r["gold"] for r in rows]
    labels = [r["label"] for r in rows]
    # the prompt where the set has one (GSM8K): rewardkit reads an echo of it as no answer; the others ignore it
    prompts = [r["prompt"] for r in rows] if all("prompt" in r for r in rows) else None
    _warm(name)
    best = best_cpu = math.inf
    for _ in range(repeat):  # best of ``repeat``: the load of other work on the machine only adds time
        start, start_cpu = time.perf_counter(), time.process_time()
        values = RUNNERS[name](completions, golds, prompts)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    one = len(rows) / best
    # CPU time of this process: steadier than wall time on a loaded machine (it leaves out time spent
    # waiting for a core), but blind to work done in other processes (rewardkit's pool for deferred items)
    result = {"checker": name, **agreement(values, labels), "per_s_1core": one, "values": values,
              "per_s_cpu": len(rows) / max(best_cpu, 1e-9)}
    if workers > 1:
        size = -(-len(rows) // workers)
        chunks = [(name, completions[i : i + size], golds[i : i + size], prompts[i : i + size] if prompts else None)
                  for i in range(0, len(rows), size)]
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_warm, [name] * workers))
            start = time.perf_counter()
            list(pool.map(_chunk, chunks))
            result["per_s_all"] = len(rows) / (time.perf_counter() - start)
    return result


def by_category(name: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Agreement and one-core throughput of one checker on each category of the answer-type set."""
    out: dict[str, dict[str, Any]] = {}
    for cat in dict.fromkeys(r["category"] for r in rows):
        part = [r for r in rows if r["category"] == cat]
        start = time.perf_counter()
        values = RUNNERS[name]([r["completion"] for r in part], [r["gold"] for r in part])
        rate = len(part) / (time.perf_counter() - start)
        out[cat] = {**agreement(values, [r["label"] for r in part]), "per_s_1core": rate}
    return out


def category_table(per: dict[str, dict[str, dict[str, Any]]], set_name: str = "answer types") -> str:
    names = list(per)
    cats = list(per[names[0]])
    head = f"{'category':<18} {'n':>4} " + " ".join(f"{n + ' agree':>17} {'/s':>7}" for n in names)
    lines = [f"\n{set_name} by category (agreement with the labels, completions per second on one core)", head]
    for cat in cats:
        row = f"{cat:<18} {per[names[0]][cat]['n']:>4} "
        row += " ".join(f"{per[n][cat]['accuracy']:>17.1%} {per[n][cat]['per_s_1core']:>7,.0f}" for n in names)
        lines.append(row)
    return "\n".join(lines)


def table(set_name: str, results: list[dict[str, Any]], workers: int) -> str:
    base = next((r for r in results if r["checker"] == "math-verify"), None)
    lines = [
        f"\n{set_name}: {results[0]['n']} completions",
        f"{'checker':<12} {'accuracy':>9} {'false+':>7} {'false-':>7} {'none':>5} {'precision':>9} {'recall':>7} "
        f"{'F1':>7} {'/s 1 core':>11} {'/s CPU time':>11} "
        f"{'/s ' + str(workers) + ' cores':>11} {'x math-verify (1 core, CPU time, all)':>38}",
    ]
    for r in results:
        ratio = r["per_s_1core"] / base["per_s_1core"] if base else float("nan")
        ratio_all = r.get("per_s_all", float("nan")) / base.get("per_s_all", float("nan")) if base else float("nan")
        ratio_cpu = r["per_s_cpu"] / base["per_s_cpu"] if base else float("nan")
        lines.append(
            f"{r['checker']:<12} {r['accuracy']:>9.4%} {r['false_pos']:>7} {r['false_neg']:>7} {r['none']:>5} "
            f"{r['precision']:>9.2%} {r['recall']:>7.2%} {r['f1']:>7.2%} {r['per_s_1core']:>11,.0f} {r['per_s_cpu']:>11,.0f} "
            f"{r.get('per_s_all', float('nan')):>11,.0f} {ratio:>19.1f}x {ratio_cpu:>8.1f}x {ratio_all:>6.1f}x"
        )
    return "\n".join(lines)


# run inside a Math-Verify checkout: its test files, compare_strings replaced by one checker
_SUITE_RUNNER = """
import json, logging, sys
import pytest
import tests.test_all as ta

checker, files = sys.argv[1], sys.argv[2:]
logging.disable(logging.WARNING)
if checker == "rewardkit":
    import rewardkit
    reward = rewardkit.reward("math.equivalence")

    def compare(gold, pred, *args, **kwargs):
        return int(reward([pred], answer=[gold])[0] == 1.0)
elif checker == "math-verify":
    from math_verify import parse, verify

    def compare(gold, pred, *args, **kwargs):
        return int(verify(parse(gold), parse(pred)))
else:
    compare = ta.compare_strings
ta.compare_strings = compare


class Count:
    passed = failed = 0

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.passed += report.passed
            self.failed += not report.passed


count = Count()
pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", *files], plugins=[count])
print("SUITE " + json.dumps({"checker": checker, "passed": count.passed, "total": count.passed + count.failed}))
"""


def run_suite_files(repo: Path, checker: str) -> dict[str, Any]:
    """Run math-verify's own test files with ``compare_strings`` replaced by ``checker``."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.run([sys.executable, "-c", _SUITE_RUNNER, checker, *MV_FILES], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("SUITE ")), None)
    if line is None:
        raise RuntimeError(f"math-verify's tests did not run in {repo}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return dict(json.loads(line[len("SUITE ") :]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N GSM8K completions only")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="processes for the all-cores figure")
    ap.add_argument("--checkers", default=",".join(CHECKERS), help="comma-separated subset of " + ",".join(CHECKERS))
    ap.add_argument("--mismatches", type=int, default=10, help="rewardkit disagreements to print per set")
    ap.add_argument("--repeat", type=int, default=3, help="one-core figure: best of N runs of each checker")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--sets", default=None, help="comma-separated subset of the sets (gsm8k, latex, answer types, "
                    "math-verify tests, prose answers)")
    ap.add_argument("--math-verify-tests", type=Path, default=None, metavar="DIR",
                    help="a Math-Verify checkout: run its own test files with each checker in compare_strings, then stop")
    args = ap.parse_args(argv)
    if args.math_verify_tests is not None:
        for checker in ("rewardkit", "math-verify", "math-verify (each test's own options)"):
            res = run_suite_files(args.math_verify_tests.resolve(), checker.split(" ")[0] if "own" not in checker else "own")
            print(f"{checker}: {res['passed']}/{res['total']} of math-verify's test items pass", flush=True)
        return 0
    names = [c for c in args.checkers.split(",") if c]
    for c in names:
        if c not in RUNNERS:
            ap.error(f"unknown checker {c!r} (choose from {', '.join(CHECKERS)})")
    # rewardkit's own worker pool (for deferred items) gets one process in the 1-core figure
    os.environ.setdefault("REWARDKIT_WORKERS", "1")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, best of {args.repeat} runs on one core, "
          f"{args.workers} worker processes for the all-cores figure, "
          f"load average {load} (other work on the machine slows every checker)")
    report: dict[str, Any] = {}
    sets = load_sets(args.limit)
    wanted = [s.strip() for s in args.sets.split(",")] if args.sets else list(sets)
    for s in wanted:
        if s not in sets:
            ap.error(f"unknown set {s!r} (choose from {', '.join(sets)})")
    for set_name, rows in ((s, sets[s]) for s in wanted):
        results = [measure(name, rows, args.workers, args.repeat) for name in names]
        print(table(set_name, results, args.workers), flush=True)
        rk = next((r for r in results if r["checker"] == "rewardkit"), None)
        if rk is not None:
            bad = [(row, v) for row, v in zip(rows, rk["values"]) if (v is not None and v >= 0.5) != row["label"]]
            for row, v in bad[: args.mismatches]:
                print(f"  rewardkit mismatch: label={row['label']} got={v} gold={row['gold']!r} "
                      f"completion=...{row['completion'][-80:]!r}")
        report[set_name] = [{k: v for k, v in r.items() if k != "values"} for r in results]
        if set_name in ("answer types", "prose answers"):
            _warm_all(names)
            per = {name: by_category(name, rows) for name in names}
            print(category_table(per, set_name), flush=True)
            report[f"{set_name} by category"] = per
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
