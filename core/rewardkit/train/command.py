"""The ``rewardkit train`` and ``rewardkit sft`` commands (torch/TRL are imported only after validation)."""

from __future__ import annotations

import json
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
        policy = cfg.composite.policy(t)
        click.echo(f"reward:  {t.weight:g} x {t.shaping}({t.reward.signature}){gate}, on_error {policy}")
    for t in (cfg.audit_composite.terms if cfg.audit_composite is not None else []):
        click.echo(f"audit:   {t.shaping}({t.reward.signature}) (logged, never trained on)")
    mdf = cfg.composite.max_dropped_fraction
    off = cfg.alarms.get("off") or []
    click.echo(f"health:  on_alarm {cfg.on_alarm}" + (f", max_dropped_fraction {mdf:g}" if mdf is not None else "")
               + (f", alarms off: {', '.join(off)}" if off else "")
               + f"; after the run: rewardkit health {cfg.output_dir}")
    temp = (f"{gen['temperature']:g}" if gen["temperature_schedule"] == "constant"
            else f"{gen['temperature']:g} -> {gen['temperature_end']:g} ({gen['temperature_schedule']})")
    engine = "vLLM " + str(g.get("vllm_mode", "colocate")) if g.get("use_vllm") else "transformers"
    click.echo(f"grpo:    {len(g)} settings; generation: {engine}, "
               f"temperature {temp}")
    click.echo(f"output:  {cfg.output_dir}")
    for note in cfg.notes:
        click.echo(f"note:    {note}")


@click.command(name="train")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set grpo.learning_rate=1e-5 --set reward.0.weight=2 (repeatable).")
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in output.dir.")
@click.option("--check", is_flag=True,
              help="Validate the config and load the model's config and tokenizer (no weights); print the plan and "
                   "the resolved config; train nothing.")
def train(config: str, overrides: tuple[str, ...], resume: bool, check: bool) -> None:
    """Train a model with GRPO (TRL) on the rewards of CONFIG.toml.

    Writes checkpoints, the final model, resolved_config.json, rewards.json (reward
    signatures), metrics.jsonl (every reward term per logging step) and samples.jsonl
    to output.dir. Multi-GPU: accelerate launch [--config_file ...] -m rewardkit train CONFIG.toml
    """
    from .config import load_config

    cfg = load_config(config, overrides, resume=resume, check_output=not check)
    if check:
        from .model_check import check_model_loads

        _echo_plan(cfg)
        click.echo(f"model:   {check_model_loads(cfg.model)}")
        click.echo(json.dumps(cfg.resolved(), indent=2, default=str))
        return
    from .grpo import is_main_process, precision
    from .grpo import train as run

    if is_main_process():
        click.echo(precision(cfg).line())
        _echo_plan(cfg)
    result = run(cfg, resume=resume)
    if not is_main_process():
        return
    if result.already_finished:
        where = result.resumed_from.name if result.resumed_from else "its last checkpoint"
        click.echo(f"{cfg.output_dir} already finished at step {result.global_step} ({where}): nothing to resume, "
                   "nothing written; raise grpo.max_steps (--set grpo.max_steps=N) to train further")
        return
    if result.resumed_from:
        click.echo(f"resumed from {result.resumed_from}")
    if result.stopped_by_alarm is not None:
        click.echo(f"stopped by an alarm at step {result.stopped_by_alarm} (on_alarm = 'stop'); checkpoint saved")
    click.echo(f"done: {result.global_step} steps; metrics {result.metrics_path}"
               + (f"; final model {result.final_model}" if result.final_model else "")
               + f"; {len(result.alarms)} reward-health alarm(s)")
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
            if "terms" in rec and "event" not in rec and rec["total"]["mean"] is not None:
                last = rec
    return last


@click.command(name="sft")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a value of the GRPO config.")
@click.option("-o", "--output", "output_dir", default=None, help="Where to save the model [default: <output.dir>-sft].")
@click.option("--model", default=None, help="Start from this model instead of the config's model.name.")
@click.option("--max-steps", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--learning-rate", default=1e-4, show_default=True, type=float)
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--grad-accum", "gradient_accumulation_steps", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--max-length", default=384, show_default=True, type=click.IntRange(min=16), help="Tokens per example.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="Use only this many task rows.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0),
              help="Skip this many task rows first.")
@click.option("--lora/--no-lora", default=None, help="Force LoRA on or off [default: the config's model.lora].")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--logging-steps", default=10, show_default=True, type=click.IntRange(min=1))
def sft(config: str, overrides: tuple[str, ...], **options: Any) -> None:
    """Supervised warm-up (TRL SFTTrainer) before GRPO, on the task of the GRPO CONFIG.toml.

    GSM8K solutions are rewritten into the <think>/<answer> format and shown after exactly
    the prompt the GRPO run uses. Then: rewardkit train CONFIG.toml --set model.name=<output>
    """
    from .sft import run_sft

    result = run_sft(config, overrides, **options)
    click.echo(f"SFT done: {result.steps} steps on {result.examples} examples in {result.seconds:.0f}s"
               + (f", final loss {result.final_loss:.4f}" if result.final_loss is not None else "")
               + f"; model saved to {result.output_dir}")
    click.echo(f"next: rewardkit train {config} --set model.name={result.output_dir}")
