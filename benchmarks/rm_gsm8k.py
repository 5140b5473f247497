"""Demonstration: a reward model trained on GSM8K preference pairs, against simple baselines.

Pairs come from the stored GSM8K completions: for one question, a correct solution is chosen
over an incorrect one. The reward model is trained (``rewardkit rm train``, from the offline
all-MiniLM-L6-v2) on the pairs of questions 0-999, and every method is scored by pairwise
accuracy on the pairs of questions 1000-1318:

- random (50% expected; one seeded draw shown too),
- a length heuristic (shorter or longer wins, the direction picked on questions 0-999),
- ``rm.similarity`` of the completion to the reference solution,
- ``math.equivalence`` against the gold answer, when that reward is installed,
- ``rm.classifier`` with the trained model.

Run (CPU, shared cores; the training is capped at 1 epoch, 128 tokens and 1 pair per question):

    nice -n 10 python benchmarks/rm_gsm8k.py --work /tmp/rm-gsm8k

``--skip-train`` reuses ``WORK/model`` from an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

TRAIN_QUESTIONS = range(0, 1000)
TEST_QUESTIONS = range(1000, 1319)


def build_pairs(rows: list[dict], questions: range) -> list[tuple[dict, dict]]:
    """(chosen row, rejected row) for every correct x incorrect completion of the same question."""
    by_q: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["question_id"] in questions:
            by_q[row["question_id"]].append(row)
    pairs = []
    for q in sorted(by_q):
        good = [r for r in by_q[q] if r["is_correct"]]
        bad = [r for r in by_q[q] if not r["is_correct"]]
        pairs += [(g, b) for g in good for b in bad]
    return pairs


def accuracy(pairs, score) -> tuple[float, int]:
    from rewardkit_rm.pairs import pairwise_accuracy

    return pairwise_accuracy([score[c["id"]] for c, _ in pairs], [score[r["id"]] for _, r in pairs])


def score_rows(reward, rows: list[dict], **columns) -> tuple[dict, float, object]:
    """Scores by row id, seconds taken and the Scores object."""
    t0 = time.perf_counter()
    result = reward.score([r["completion"] for r in rows], prompts=[r["question"] for r in rows], **columns)
    seconds = time.perf_counter() - t0
    return {r["id"]: v for r, v in zip(rows, result.values)}, seconds, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/rm-gsm8k", help="folder for the pairs and the trained model")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-pairs-per-prompt", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for training (1 is faster on busy cores)")
    ap.add_argument("--skip-train", action="store_true", help="reuse WORK/model")
    args = ap.parse_args()

    import rewardkit
    from rewardkit.tasks import gsm8k

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = gsm8k.load("completions")
    train_pairs = build_pairs(rows, TRAIN_QUESTIONS)
    test_pairs = build_pairs(rows, TEST_QUESTIONS)
    pairs_file = work / "pairs_train.jsonl"
    with pairs_file.open("w", encoding="utf-8") as fh:
        for c, r in train_pairs:
            fh.write(json.dumps({"prompt": c["question"], "chosen": c["completion"], "rejected": r["completion"]}) + "\n")
    print(f"pairs: {len(train_pairs)} train (questions 0-999), {len(test_pairs)} test (questions 1000-1318)")

    model_dir = work / "model"
    cmd = ["rewardkit", "rm", "train", str(pairs_file), "--base", "all-MiniLM-L6-v2", "--out", str(model_dir),
           "--overwrite", "--eval-fraction", "0", "--max-length", str(args.max_length), "--epochs", str(args.epochs),
           "--batch-size", str(args.batch_size), "--lr", str(args.lr),
           "--max-pairs-per-prompt", str(args.max_pairs_per_prompt), "--device", "cpu"]
    if not args.skip_train:
        print("$", " ".join(cmd), flush=True)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        t0 = time.perf_counter()
        with (work / "train.log").open("w") as log:
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        wall = time.perf_counter() - t0
        print(proc.stdout.strip())
        if proc.returncode:
            sys.exit(f"training failed; see {work / 'train.log'}")
        print(f"training command wall time: {wall:.0f}s on {os.cpu_count()} cores (load average before: {load})")
    meta = json.loads((model_dir / "rewardkit_rm.json").read_text())
    print(f"RewardTrainer.train(): {meta['train_seconds']:.0f}s for {meta['train_pairs']} pairs "
          f"({args.epochs:g} epoch, max length {meta['max_length']})")

    test_ids = {r["id"] for pair in test_pairs for r in pair}
    test_rows = [r for r in rows if r["id"] in test_ids]
    length = {r["id"]: float(len(r["completion"])) for r in rows}
    shorter = {k: -v for k, v in length.items()}
    short_on_train = accuracy(train_pairs, shorter)[0]
    direction, heuristic = ("shorter", shorter) if short_on_train >= 0.5 else ("longer", length)
    rng = random.Random(0)
    coin = {r["id"]: rng.random() for r in rows}

    results: list[tuple[str, float, int, str]] = [("random (expected)", 0.5, len(test_pairs), "")]
    results.append(("random (one seeded draw)", *accuracy(test_pairs, coin), ""))
    results.append((f"length: {direction} wins", *accuracy(test_pairs, heuristic),
                    f"direction picked on train pairs ({max(short_on_train, 1 - short_on_train):.3f} there)"))

    throughput = []
    sim = rewardkit.reward("rm.similarity", answer="full", device="cpu")
    sim_score, secs, res = score_rows(sim, test_rows, reference=[r["reference"] for r in test_rows])
    throughput.append(("rm.similarity", len(test_rows), secs))
    results.append(("rm.similarity vs reference", *accuracy(test_pairs, sim_score), sim.signature))

    try:
        eq = rewardkit.reward("math.equivalence")
    except rewardkit.RewardkitError as exc:
        results.append(("math.equivalence", float("nan"), 0, f"not available: {exc}"))
    else:
        try:
            cols = {c: [r[c] for r in test_rows] for c in eq.spec.columns}
            eq_score, secs, res = score_rows(eq, test_rows, **cols)
            results.append(("math.equivalence vs gold answer", *accuracy(test_pairs, eq_score),
                            f"{eq.signature}; errors={res.count(rewardkit.Status.ERROR)} "
                            f"timeouts={res.count(rewardkit.Status.TIMEOUT)}"))
            throughput.append(("math.equivalence", len(test_rows), secs))
        except (KeyError, rewardkit.RewardkitError) as exc:
            results.append(("math.equivalence", float("nan"), 0, f"failed: {exc}"))

    rm = rewardkit.reward("rm.classifier", model=str(model_dir), device="cpu", batch_size=32)
    rm_score, secs, res = score_rows(rm, test_rows)
    throughput.append(("rm.classifier (MiniLM RM)", len(test_rows), secs))
    results.append(("rm.classifier (trained here)", *accuracy(test_pairs, rm_score), rm.signature))

    print(f"\npairwise accuracy on GSM8K questions 1000-1318 ({len(test_pairs)} pairs, ties count half)")
    print(f"{'method':38} {'accuracy':>8} {'pairs':>6}  notes")
    for name, acc, n, note in results:
        print(f"{name:38} {acc:8.3f} {n:6d}  {note}")
    print("\nscoring throughput (CPU, shared cores; includes first-call model load)")
    for name, n, s in throughput:
        print(f"{name:38} {n / s:8.1f} completions/s  ({n} in {s:.1f}s)")
    (work / "results.json").write_text(json.dumps({"accuracy": results, "throughput": throughput,
                                                   "train": meta}, indent=2, default=str))


if __name__ == "__main__":
    main()
