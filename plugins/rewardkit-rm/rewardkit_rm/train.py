"""Training a classifier reward model on preference pairs with TRL's ``RewardTrainer``."""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .classifier import LoadedClassifier, raw_scores
from .encoding import encode
from .models import META_FILE, pick_device, read_config, resolve_model
from .pairs import Pair, cap_per_prompt, pairwise_accuracy, split_by_prompt

#: Pairs used to compute logit statistics when there is no held-out split.
CALIBRATION_PAIRS = 128


@dataclass
class TrainOptions:
    """Everything ``rewardkit rm train`` accepts, with its defaults."""

    base: str
    out: Path
    max_pairs_per_prompt: int | None = 10
    eval_fraction: float = 0.1
    max_length: int = 512
    truncation: str = "left"
    epochs: float = 1.0
    batch_size: int = 8
    learning_rate: float | None = None  # 5e-5 for full fine-tuning, 2e-4 with LoRA
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    center_rewards: float | None = None
    seed: int = 0
    device: str = "auto"
    max_steps: int = -1


@dataclass
class TrainResult:
    """What a training run produced; also written to ``rewardkit_rm.json`` in the output folder."""

    out: str
    base: str
    pairs_read: int
    train_pairs: int
    eval_pairs: int
    eval_accuracy: float | None
    train_seconds: float
    total_seconds: float
    max_length: int
    truncation: str
    calibration: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def train_reward_model(pairs: Sequence[Pair], opts: TrainOptions, log: Callable[[str], None] = print) -> TrainResult:
    """Train on ``pairs``; save a one-label classifier (merged, if LoRA) and its tokenizer to ``opts.out``."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    from rewardkit.utils import pick_dtype as rule_dtype

    start = time.perf_counter()
    if not pairs:
        raise ValueError("no preference pairs to train on")
    folder = resolve_model(opts.base)
    capped = cap_per_prompt(pairs, opts.max_pairs_per_prompt, seed=opts.seed)
    train, held = split_by_prompt(capped, opts.eval_fraction, seed=opts.seed)
    if not train:
        raise ValueError("the held-out split took every pair; lower --eval-fraction or give more prompts")
    log(f"pairs: {len(pairs)} read, {len(capped)} after at most {opts.max_pairs_per_prompt} per prompt; "
        f"{len(train)} train, {len(held)} held out ({len({p.prompt for p in held})} prompts)")

    device = pick_device(opts.device)
    precision = rule_dtype("auto", device)  # bf16 mixed precision only where the device runs it natively
    log(precision.line())
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError(f"{folder}: the tokenizer has neither a pad token nor an EOS token")
        tokenizer.pad_token = tokenizer.eos_token
    torch.manual_seed(opts.seed)
    model: Any = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1, local_files_only=True)
    model.config.pad_token_id = tokenizer.pad_token_id
    config = read_config(folder)
    limits = [opts.max_length, config.get("max_position_embeddings"), getattr(tokenizer, "model_max_length", None)]
    max_length = min(int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000)

    def tokenized(subset: Sequence[Pair]) -> Any:
        return Dataset.from_dict({
            "chosen_ids": [encode(tokenizer, p.prompt, p.chosen, max_length, opts.truncation) for p in subset],
            "rejected_ids": [encode(tokenizer, p.prompt, p.rejected, max_length, opts.truncation) for p in subset],
        })

    peft_config = None
    if opts.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="SEQ_CLS", r=opts.lora_r, lora_alpha=opts.lora_alpha, lora_dropout=0.0,
                                 target_modules="all-linear")
    lr = opts.learning_rate or (2e-4 if opts.lora else 5e-5)
    work = Path(opts.out) / ".trainer"
    # activation checkpointing (gradient_checkpointing before transformers 5) trades speed for memory: off
    fields = {f.name for f in dataclasses.fields(RewardConfig)}
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
    no_checkpointing: dict[str, Any] = {checkpointing: False}
    args = RewardConfig(
        output_dir=str(work), num_train_epochs=opts.epochs, max_steps=opts.max_steps,
        per_device_train_batch_size=opts.batch_size, learning_rate=lr, lr_scheduler_type="linear",
        warmup_steps=0.05, seed=opts.seed, max_length=None, center_rewards_coefficient=opts.center_rewards,
        **no_checkpointing, bf16=precision.dtype == "bfloat16", use_cpu=device == "cpu",
        save_strategy="no", eval_strategy="no", report_to="none", logging_steps=10,
        logging_strategy="steps", dataloader_num_workers=0,
    )
    trainer = RewardTrainer(model=model, args=args, train_dataset=tokenized(train), processing_class=tokenizer,
                            peft_config=peft_config)
    t0 = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - t0
    model = trainer.model
    if opts.lora:
        model = model.merge_and_unload()
    model.eval()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.rmtree(work, ignore_errors=True)

    loaded = LoadedClassifier(out, tokenizer, model, str(next(model.parameters()).device), max_length)
    measured = held or train[:CALIBRATION_PAIRS]

    def scores(side: str) -> list[float]:
        return raw_scores(loaded, [p.prompt for p in measured], [getattr(p, side) for p in measured],
                          max_length=max_length, truncation=opts.truncation, batch_size=max(opts.batch_size, 16))

    chosen, rejected = scores("chosen"), scores("rejected")
    logits = chosen + rejected
    calibration: dict[str, Any] = {"mean": statistics.fmean(logits),
                   "std": statistics.pstdev(logits) if len(logits) > 1 and statistics.pstdev(logits) > 0 else 1.0,
                   "pairs": len(measured), "split": "held-out" if held else "train"}
    accuracy = pairwise_accuracy(chosen, rejected)[0] if held else None
    result = TrainResult(
        out=str(out), base=opts.base, pairs_read=len(pairs), train_pairs=len(train), eval_pairs=len(held),
        eval_accuracy=accuracy, train_seconds=round(train_seconds, 2),
        total_seconds=round(time.perf_counter() - start, 2), max_length=max_length, truncation=opts.truncation,
        calibration=calibration, options={**{k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()},
                                          "precision": precision.record()},
    )
    (out / META_FILE).write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return result
