"""The ``rewardkit train`` and ``rewardkit sft`` commands (torch/TRL are imported only after validation)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _echo_plan(cfg: Any) -> None:
    gen = cfg.generation
    g = cfg.grpo
    click.echo(f"model:   {cfg.model['name']}" + (f" (LoRA r={cfg.model['lora']['r']})" if cfg.model["lora"] else ""))
    click.echo(f"task:    {cfg.task['dataset']} ({len(cfg.rows)} prompts)"
               + (f", assistant prefix {cfg.task['assistant_prefix']!r}" if cfg.task["assistant_prefix"] else ""))
    for t in cfg.composite.terms:
        gate = f", gate {t.gate}>={t.gate_min:g}" if t.gate else ""
        click.echo(f"reward:  {t.weight:g} x {t.shaping}({t.reward.signature}){gate}")
    temp = (f"{gen['temperature']:g}" if gen["temperature_schedule"] == "constant"
            else f"{gen['temperature']:g} -> {gen['temperature_end']:g} ({gen['temperature_schedule']})")
    click.echo(f"grpo:    {len(g)} settings; generation: {'vLLM ' + str(g.get('vllm_mode', 'colocate')) if g.get('use_vllm') else 'transformers'}, "
               f"temperature {temp}")
    click.echo(f"output:  {cfg.output_dir}")
    for note in cfg.notes:
        click.echo(f"note:    {note}")


@click.command(name="train")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set grpo.learning_rate=1e-5 --set reward.0.weight=2 (repeatable).")
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in output.dir.")
@click.option("--check", is_flag=True, help="Validate the config, print the plan and the resolved config; load no model.")
def train(config: str, overrides: tuple[str, ...], resume: bool, check: bool) -> None:
    """Train a model with GRPO (TRL) on the rewards of CONFIG.toml.

    Writes checkpoints, the final model, resolved_config.json, rewards.json (reward
    signatures), metrics.jsonl (every reward term per logging step) and samples.jsonl
    to output.dir. Multi-GPU: accelerate launch [--config_file ...] -m rewardkit train CONFIG.toml
    """
    from .config import load_config

    cfg = load_config(config, overrides, resume=resume, check_output=not check)
    if check:
        _echo_plan(cfg)
        click.echo(json.dumps(cfg.resolved(), indent=2, default=str))
        return
    from .grpo import is_main_process, train as run

    if is_main_process():
        _echo_plan(cfg)
    result = run(cfg, resume=resume)
    if not is_main_process():
        return
    if result.resumed_from:
        click.echo(f"resumed from {result.resumed_from}")
    click.echo(f"done: {result.global_step} steps; metrics {result.metrics_path}"
               + (f"; final model {result.final_model}" if result.final_model else ""))
    last = _last_metrics(result.metrics_path)
    if last:
        terms = ", ".join(f"{k} {v['mean']:.3f}" for k, v in last["terms"].items() if v["mean"] is not None)
        total = last["total"]["mean"]
        click.echo(f"last logged step {last['step']}: total {total:.3f}" + (f" ({terms})" if terms else ""))


def _last_metrics(path: Path) -> dict[str, Any] | None:
    last = None
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if "terms" in rec and rec["total"]["mean"] is not None:
                last = rec
    return last


@click.command(name="sft", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sft(args: tuple[str, ...]) -> None:
    """Supervised warm-up (TRL SFTTrainer) on GSM8K solutions in the <think>/<answer> format, before GRPO.

    Run 'rewardkit sft --help' for its options (defined in rewardkit.train.sft).
    """
    try:
        from .sft import run_sft
    except ImportError as exc:
        raise click.ClickException(f"the SFT warm-up is not available: {exc}") from None
    result = run_sft(list(args))
    if result is not None and not isinstance(result, int):
        click.echo(str(result))
    elif isinstance(result, int) and result:
        sys.exit(result)
