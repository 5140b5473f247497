"""Train with TRL in process: rewardkit rewards are GRPOTrainer reward functions, each logged under its own name.

    python3 examples/trl/grpo_in_process.py                      # 2 steps of a tiny random Qwen2, built offline
    python3 examples/trl/grpo_in_process.py --model Qwen/Qwen2.5-0.5B-Instruct --steps 200   # a real run (GPU)

The prompts and gold answers are the shipped examples/data/completions.jsonl (columns prompt, answer).
TRL passes every dataset column to each reward function; a rewardkit reward reads the columns it
declares (math.equivalence: answer) and ignores the rest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import rewardkit

DATA = Path(__file__).resolve().parents[1] / "data" / "completions.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="hub id or folder (default: a tiny random Qwen2 built offline)")
    ap.add_argument("--out", default="runs/trl-in-process")
    ap.add_argument("--steps", type=int, default=2)
    args = ap.parse_args()

    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model = args.model
    if model is None:
        from rewardkit.tiny import save_tiny

        model = str(save_tiny(Path(args.out) / "tiny-model"))
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    dataset = Dataset.from_list([{"prompt": r["prompt"], "answer": r["answer"]} for r in rows])

    # Plain rewards: each logs as rewards/<its name>/mean (format.tags, math.equivalence).
    reward_funcs: list[Any] = [rewardkit.reward("format.tags"), rewardkit.reward("math.equivalence")]
    weights = [0.5, 1.0]
    # Or a composite (shaping, gates, drop-on-error, None/error/timeout counts per term):
    #   reward_funcs, weights = rewardkit.to_trl(rewardkit.Composite.from_config([...]))

    config = GRPOConfig(output_dir=args.out, max_steps=args.steps, per_device_train_batch_size=2, num_generations=2,
                        max_completion_length=16, logging_steps=1, report_to="none", reward_weights=weights,
                        save_strategy="no", bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=config, train_dataset=dataset)
    trainer.train()
    logged = sorted({k for entry in trainer.state.log_history for k in entry if k.startswith("rewards/")})
    print("logged reward metrics:", ", ".join(logged))


if __name__ == "__main__":
    main()
