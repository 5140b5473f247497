"""Learning benchmark: SmolLM2-135M-Instruct on GSM8K with format.tags and math.equivalence, on CPU.

Stages (each resumable with --resume): evaluate the untrained model on 100 held-out GSM8K test
questions, SFT warm-up on GSM8K train solutions in the <think>/<answer> format, GRPO on GSM8K
train prompts the SFT did not see, evaluate again. Writes, next to this file: results.json,
results.md (before/after and the reward table) and reward_curve.png.

    python benchmarks/learning/run.py                  # the full benchmark (about 45 min of CPU)
    python benchmarks/learning/run.py --resume         # continue after an interruption
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (reward workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def reward_rows(metrics: Path) -> list[dict]:
    """One row per GRPO step from the metrics log: every term's mean and the total."""
    rows = []
    for line in metrics.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if "terms" not in rec:
            continue
        row = {"step": rec["step"], "temperature": rec.get("temperature"), "total": rec["total"]["mean"],
               "total_std": rec["total"]["std"]}
        for name, st in rec["terms"].items():
            row[name] = st["mean"]
            row[f"{name}:errors"] = st["error"] + st["timeout"]
        row["zero_std_groups"] = rec.get("trl", {}).get("frac_reward_zero_std")
        row["completion_length"] = rec.get("trl", {}).get("completions/mean_length")
        rows.append(row)
    return rows


def plot(rows: list[dict], terms: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, [r["total"] for r in rows], "k-o", label="total (weighted)")
    for t in terms:
        values = [r[t] if r.get(t) is not None else float("nan") for r in rows]
        ax.plot(steps, values, "-o", label=t, alpha=0.8)
    ax.set_xlabel("GRPO step (2 prompts x 4 completions)")
    ax.set_ylabel("mean reward")
    ax.set_title("SmolLM2-135M-Instruct after SFT warm-up: GRPO on GSM8K (CPU)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def fmt(v: object, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--sft-steps", type=int, default=30)
    ap.add_argument("--grpo-steps", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=192)
    ap.add_argument("--sft-batch-size", type=int, default=8)
    ap.add_argument("--sft-lr", type=float, default=1e-4)
    ap.add_argument("--grpo-lr", type=float, default=3e-6)
    ap.add_argument("--grpo-lora", action="store_true", help="GRPO trains a LoRA adapter (r=16, all linear layers)")
    ap.add_argument("--grpo-dtype", default="float32", choices=["float32", "bfloat16"],
                    help="dtype of the GRPO base model (bfloat16 with --grpo-lora: the main job's setup)")
    ap.add_argument("--prompts-per-step", type=int, default=2)
    ap.add_argument("--no-sft-eval", action="store_true", help="skip the evaluation between SFT and GRPO")
    ap.add_argument("--out", default="runs/learning", help="models and logs (large; not committed)")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)

    from rewardkit.demo_gsm8k import run

    t0, c0 = time.perf_counter(), cpu_seconds()
    log_path = HERE / "run.log"
    log_fh = log_path.open("a" if args.resume else "w", encoding="utf-8")

    def log(line: str) -> None:
        print(line, flush=True)
        log_fh.write(line + "\n")
        log_fh.flush()

    log(f"learning benchmark: {vars(args)}; {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    figures = run(questions=args.questions, sft_steps=args.sft_steps, grpo_steps=args.grpo_steps,
                  max_new_tokens=args.max_new_tokens, out=args.out, grpo_learning_rate=args.grpo_lr,
                  sft_batch_size=args.sft_batch_size, sft_learning_rate=args.sft_lr, sft_eval=not args.no_sft_eval,
                  resume=args.resume, grpo_lora=args.grpo_lora, grpo_dtype=args.grpo_dtype,
                  prompts_per_step=args.prompts_per_step, log=log)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    metrics = Path(figures["metrics"])
    rows = reward_rows(metrics) if metrics.is_file() else []
    terms = [k for k in (rows[0] if rows else {}) if ":" not in k and k not in
             ("step", "temperature", "total", "total_std", "zero_std_groups", "completion_length")]
    if rows:
        plot(rows, terms, HERE / "reward_curve.png")
    figures.update({"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "args": vars(args),
                    "reward_curve": rows, "load_average_end": os.getloadavg()})
    (HERE / "results.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")

    md = ["# Learning benchmark results", "",
          f"Wall time {wall / 60:.1f} min, CPU time {cpu / 60:.1f} min (this process and its reward workers; "
          f"a resumed run counts only its own part). {os.cpu_count()} CPU cores, shared.", "",
          f"## Before/after on {args.questions} held-out GSM8K test questions (greedy, {args.max_new_tokens} new tokens)", "",
          *figures["table"], "", f"format: {figures['format_method']}; accuracy: {figures['accuracy_method']}", "",
          "## GRPO reward per step", "",
          "| step | temperature | " + " | ".join(terms) + " | total | groups with zero std | mean length |",
          "| ---: | ---: | " + " | ".join("---:" for _ in terms) + " | ---: | ---: | ---: |"]
    for r in rows:
        md.append(f"| {r['step']} | {fmt(r['temperature'], '.2f')} | " + " | ".join(fmt(r.get(t)) for t in terms)
                  + f" | {fmt(r['total'])} | {fmt(r['zero_std_groups'], '.2f')} | {fmt(r['completion_length'], '.0f')} |")
    (HERE / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    log(f"wall {wall / 60:.1f} min, CPU {cpu / 60:.1f} min; wrote {HERE / 'results.md'}")


if __name__ == "__main__":
    main()
