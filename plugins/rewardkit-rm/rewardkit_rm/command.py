"""``rewardkit rm ...``: the reward-model command group (heavy imports happen inside the commands)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(name="rm")
def rm() -> None:
    """Learned reward models: train a classifier reward model on preference pairs."""


@rm.command(name="train")
@click.argument("pairs", type=click.Path(exists=True, dir_okay=True))
@click.option("--base", required=True, help="Base model: a folder, a cached hub id, or all-MiniLM-L6-v2 (bundled).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the reward model to.")
@click.option("--prompt-col", default="prompt", show_default=True, help="Column holding the prompt.")
@click.option("--chosen-col", default="chosen", show_default=True, help="Column holding the preferred completion.")
@click.option("--rejected-col", default="rejected", show_default=True, help="Column holding the other completion.")
@click.option("--max-pairs-per-prompt", default=10, show_default=True, type=click.IntRange(min=0),
              help="Keep at most this many pairs per prompt, at random (0: keep all).")
@click.option("--eval-fraction", default=0.1, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True),
              help="Share of prompts held out to measure pairwise accuracy.")
@click.option("--max-length", default=512, show_default=True, type=click.IntRange(min=8), help="Tokens per sequence.")
@click.option("--truncation", type=click.Choice(["left", "right"]), default="left", show_default=True,
              help="Side cut when a sequence is too long (left keeps the end of the completion).")
@click.option("--epochs", default=1.0, show_default=True, type=click.FloatRange(min=0.0, min_open=True))
@click.option("--max-steps", default=-1, show_default=True, type=int, help="Stop after this many steps (-1: epochs decide).")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1), help="Pairs per device step.")
@click.option("--learning-rate", "--lr", type=float, default=None, help="Default: 5e-5, or 2e-4 with --lora.")
@click.option("--lora/--no-lora", default=False, show_default=True, help="Train LoRA adapters (peft), merged on save.")
@click.option("--lora-r", default=16, show_default=True, type=click.IntRange(min=1))
@click.option("--lora-alpha", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--center-rewards", type=float, default=None, help="TRL center_rewards_coefficient (e.g. 0.01).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--overwrite", is_flag=True, help="Write into --out even when it is not empty.")
def train(pairs: str, base: str, out: str, prompt_col: str, chosen_col: str, rejected_col: str,
          max_pairs_per_prompt: int, eval_fraction: float, max_length: int, truncation: str, epochs: float,
          max_steps: int, batch_size: int, learning_rate: float | None, lora: bool, lora_r: int, lora_alpha: int,
          center_rewards: float | None, seed: int, device: str, overwrite: bool) -> None:
    """Train a classifier reward model on preference PAIRS (prompt, chosen, rejected).

    PAIRS is a JSONL, CSV or Parquet file or a saved dataset folder. The model is trained with
    TRL's RewardTrainer; the pairwise accuracy on the held-out prompts is printed at the end,
    and OUT loads straight into rm.classifier (model=OUT).
    """
    from .models import check_device
    from .pairs import read_pairs
    from .train import TrainOptions, train_reward_model

    target = Path(out)
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise click.UsageError(f"--out {out!r} is not empty (pass --overwrite to write into it)")
    try:
        check_device(device)
        rows = read_pairs(pairs, prompt=prompt_col, chosen=chosen_col, rejected=rejected_col)
        opts = TrainOptions(
            base=base, out=target, max_pairs_per_prompt=max_pairs_per_prompt or None, eval_fraction=eval_fraction,
            max_length=max_length, truncation=truncation, epochs=epochs, max_steps=max_steps, batch_size=batch_size,
            learning_rate=learning_rate, lora=lora, lora_r=lora_r, lora_alpha=lora_alpha,
            center_rewards=center_rewards, seed=seed, device=device,
        )
        result = train_reward_model(rows, opts, log=lambda m: click.echo(m, err=True))
    except ValueError as exc:  # includes rewardkit's DataError and the model-not-found errors
        raise click.ClickException(str(exc)) from None
    click.echo(f"trained in {result.train_seconds:.1f}s ({result.train_pairs} pairs); saved to {result.out}")
    if result.eval_accuracy is None:
        click.echo("pairwise accuracy: no held-out pairs (--eval-fraction 0)")
    else:
        click.echo(f"pairwise accuracy on {result.eval_pairs} held-out pairs: {result.eval_accuracy:.4f}")
    click.echo(f"use it: rewardkit score -r rm.classifier:model={result.out} -c 'some completion'")
