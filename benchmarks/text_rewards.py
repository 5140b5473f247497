"""Text-overlap rewards, side by side: rewardkit-text vs sacrebleu and rouge-score called per item.

Data: the 5,276 stored GSM8K completions shipped with rewardkit (MIT licence,
``core/rewardkit/data/gsm8k/LICENSE``), scored against each question's reference solution.
GRPO shape: a group of G = 8 completions shares one reference. The store holds 4
completions per question, so group k is question 2k's 4 completions plus question 2k+1's 4,
all scored against question 2k's reference (realistic near misses); every completion is
used once, so no side gets tokenizer-cache hits on repeated completions.

For each metric, one run, same strings:

- ``rewardkit``: the bound reward (``rewardkit.reward("text.bleu")`` ...) called once per
  group of 8, through the host (validation included), as a GRPO trainer calls it;
- ``rewardkit (1 call)``: the whole set in one call (large batches go to all cores);
- ``baseline``: sacrebleu's ``BLEU(effective_order=True).sentence_score`` /
  ``CHRF().sentence_score`` or rouge-score's ``RougeScorer([v]).score``, per item, with the
  metric object built once.

Every timed run starts cold (fresh metric objects, rewardkit's scorer cache cleared), the
best of ``--repeat`` runs counts, and the values are checked equal (ROUGE: on the items whose
letters and digits are ASCII, since rouge-score drops the others; ``tokenizer="ascii"`` is
also checked on every item).

    python benchmarks/text_rewards.py                  # 659 groups = 5,272 items
    python benchmarks/text_rewards.py --groups 200     # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable

G = 8


def load_groups(n_groups: int | None) -> tuple[list[str], list[str]]:
    """Completions and references in GRPO order: G completions per reference."""
    from rewardkit.tasks import gsm8k

    by_q: dict[str, list[dict[str, Any]]] = {}
    for r in gsm8k.load("completions"):
        by_q.setdefault(r["question_id"], []).append(r)
    qids = list(by_q)
    hyps: list[str] = []
    refs: list[str] = []
    pairs = list(zip(qids[0::2], qids[1::2]))
    for q, other in pairs[: n_groups or len(pairs)]:
        group = [r["completion"] for r in (by_q[q] + by_q[other])[:G]]
        hyps += group
        refs += [by_q[q][0]["reference"]] * len(group)
    return hyps, refs


def best_of(repeat: int, fn: Callable[[], list[Any]]) -> tuple[float, list[Any]]:
    best, out = float("inf"), []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ours(name: str, params: dict[str, Any], hyps: list[str], refs: list[str], group: int | None) -> list[Any]:
    import rewardkit
    from rewardkit_text.batch import make_scorer

    make_scorer.cache_clear()
    r = rewardkit.reward(name, **params)
    if group is None:
        return r(hyps, reference=refs)
    out: list[Any] = []
    for k in range(0, len(hyps), group):
        out += r(hyps[k : k + group], reference=refs[k : k + group])
    return out


def baseline(metric: str, hyps: list[str], refs: list[str]) -> list[float]:
    if metric in ("bleu", "chrf"):
        from sacrebleu.metrics import BLEU, CHRF

        m = BLEU(effective_order=True) if metric == "bleu" else CHRF()
        return [m.sentence_score(h, [r]).score / 100 for h, r in zip(hyps, refs)]
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer([metric])
    return [scorer.score(r, h)[metric].fmeasure for h, r in zip(hyps, refs)]


def ascii_only(h: str, r: str) -> bool:
    return not any(ch.isalnum() and not ch.isascii() for ch in h + r)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=None, help="number of GRPO groups of 8 (default: all 659)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per side; the best counts")
    ap.add_argument("--only", nargs="*", default=None, help="metrics to run (bleu chrf rouge1 rouge2 rougeL rougeLsum)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)

    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)
    hyps, refs = load_groups(args.groups)
    n = len(hyps)
    mask = [ascii_only(h, r) for h, r in zip(hyps, refs)]
    metrics = {
        "bleu": ("text.bleu", {}),
        "chrf": ("text.chrf", {}),
        "rouge1": ("text.rouge", {"variant": "rouge1"}),
        "rouge2": ("text.rouge", {"variant": "rouge2"}),
        "rougeL": ("text.rouge", {"variant": "rougeL"}),
        "rougeLsum": ("text.rouge", {"variant": "rougeLsum"}),
    }
    if args.only:
        metrics = {k: v for k, v in metrics.items() if k in args.only}
    # scoring the <answer> block only does not apply here (GSM8K completions have none); "no" keeps
    # the comparison on identical strings regardless.
    from rewardkit.isolation import default_workers

    print(f"{n} completions in {n // G} GRPO groups of {G}; {os.cpu_count()} cores, "
          f"{default_workers()} rewardkit workers; best of {args.repeat}")
    header = f"{'metric':10s} {'rewardkit/s':>12s} {'1 call/s':>10s} {'baseline/s':>11s} {'ratio':>6s} {'max|diff|':>10s}  equal"
    print(header)
    print("-" * len(header))
    rows = []
    for key, (name, params) in metrics.items():
        params = {**params, "answer_only": "no"}
        ours(name, params, hyps[:16], refs[:16], G)  # imports and plugin loading, outside the clock
        baseline(key, hyps[:16], refs[:16])
        t_ours, v_ours = best_of(args.repeat, lambda: ours(name, params, hyps, refs, G))
        t_one, v_one = best_of(args.repeat, lambda: ours(name, params, hyps, refs, None))
        t_base, v_base = best_of(args.repeat, lambda: baseline(key, hyps, refs))
        checked = [i for i in range(n) if mask[i]] if key.startswith("rouge") else list(range(n))
        diff = max(abs(v_ours[i] - v_base[i]) for i in checked)
        same_one = v_one == v_ours
        equal = f"{len(checked)}/{n} items" + ("" if same_one else " (1-call differs!)")
        if key.startswith("rouge"):
            v_ascii = ours(name, {**params, "tokenizer": "ascii"}, hyps, refs, G)
            diff = max(diff, max(abs(a - b) for a, b in zip(v_ascii, v_base)))
            equal += f"; ascii tokenizer {n}/{n}"
        ratio = t_base / t_ours
        print(f"{key:10s} {n / t_ours:12,.0f} {n / t_one:10,.0f} {n / t_base:11,.0f} {ratio:5.1f}x {diff:10.1e}  {equal}")
        rows.append({"metric": key, "items": n, "rewardkit_per_s": n / t_ours, "one_call_per_s": n / t_one,
                     "baseline_per_s": n / t_base, "ratio": ratio, "max_abs_diff": diff})
        if diff > 1e-9:
            print(f"  !! values differ from the baseline by up to {diff:g}", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return 0 if all(r["max_abs_diff"] <= 1e-9 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
