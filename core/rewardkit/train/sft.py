"""SFT warm-up (TRL's ``SFTTrainer``): teach the tag format GRPO rewards, before GRPO.

GSM8K train solutions are rewritten into ``<think>reasoning</think>\\n<answer>number</answer>``
(:func:`rewardkit.tasks.gsm8k.reasoning` / :func:`~rewardkit.tasks.gsm8k.gold_answer`) and
shown after exactly the prompt the GRPO config builds: the system prompt, the user template
and the assistant prefix (continued with ``continue_final_message``). The loss covers only
the completion (what follows the prefix) and the end-of-turn token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The assistant turn SFT teaches; ``{reasoning}`` and ``{answer}`` come from the GSM8K solution.
TARGET_TEMPLATE = "<think>\n{reasoning}\n</think>\n<answer>{answer}</answer>"


def chat_messages(task: Mapping[str, Any], row: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat messages of one prompt: system, user, and the assistant prefix when set.

    ``task`` is a ``[task]`` table (``system_prompt``, ``user_template``, ``assistant_prefix``).
    """
    from .config import render

    msgs = []
    if task.get("system_prompt"):
        msgs.append({"role": "system", "content": render(task["system_prompt"], row)})
    msgs.append({"role": "user", "content": render(task.get("user_template") or "{question}", row)})
    if task.get("assistant_prefix"):
        msgs.append({"role": "assistant", "content": render(task["assistant_prefix"], row)})
    return msgs


def prompt_text(tokenizer: Any, task: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    """The prompt as the model sees it (chat template applied, ready for the completion)."""
    msgs = chat_messages(task, row)
    if msgs[-1]["role"] == "assistant":
        text = tokenizer.apply_chat_template(msgs, tokenize=False, continue_final_message=True)
    else:
        text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    # TRL tokenizes text prompts with the tokenizer's special tokens: drop a BOS the template wrote
    # when the tokenizer adds one itself (as the GRPO trainer does), so it is not doubled.
    bos = tokenizer.bos_token
    if bos and text.startswith(bos):
        ids = tokenizer("x")["input_ids"]
        if ids and ids[0] == tokenizer.bos_token_id:
            text = text[len(bos):]
    return text


def _overlap(prefix: str, text: str) -> int:
    """Length of the longest end of ``prefix`` that ``text`` starts with (ignoring blanks before it)."""
    stripped = prefix.rstrip()
    for n in range(len(stripped), 0, -1):
        if text.startswith(stripped[-n:]):
            return n
    return 0


def target_completion(solution: str, prefix: str | None = None, template: str = TARGET_TEMPLATE) -> str | None:
    """A GSM8K solution rewritten into the tag format, minus what ``prefix`` already wrote.

    >>> target_completion("3 + 4 = <<3+4=7>>7\\n#### 7", prefix="Let's solve it\\n<think>")
    '\\n3 + 4 = 7\\n</think>\\n<answer>7</answer>'
    """
    from ..tasks import gsm8k

    answer = gsm8k.gold_answer(solution)
    if answer is None:
        return None
    text = template.format(reasoning=gsm8k.reasoning(solution), answer=answer)
    if prefix:
        text = text[_overlap(prefix, text):]
    return text


def sft_examples(tokenizer: Any, task: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *,
                 solution_column: str = "solution", template: str = TARGET_TEMPLATE) -> list[dict[str, str]]:
    """``{"prompt", "completion"}`` text pairs for TRL (rows without a usable solution are skipped)."""
    from ..data import get_path

    out = []
    for i, row in enumerate(rows):
        solution = get_path(dict(row), solution_column, None)
        if solution is None:
            raise ValueError(f"SFT row {i + 1} has no {solution_column!r} column (a worked solution ending in '#### N')")
        prefix = chat_messages(task, row)[-1]["content"] if task.get("assistant_prefix") else None
        completion = target_completion(str(solution), prefix, template)
        if completion is not None:
            out.append({"prompt": prompt_text(tokenizer, task, row), "completion": completion})
    return out


@dataclass
class SFTResult:
    """What :func:`run_sft` produced."""

    output_dir: Path
    steps: int
    examples: int
    seconds: float
    final_loss: float | None


def run_sft(
    config: Any,
    overrides: Sequence[str] = (),
    *,
    output_dir: str | Path | None = None,
    model: str | None = None,
    max_steps: int = 100,
    learning_rate: float = 1e-4,
    batch_size: int = 8,
    gradient_accumulation_steps: int = 1,
    max_length: int = 384,
    limit: int | None = None,
    offset: int = 0,
    lora: Mapping[str, Any] | bool | None = None,
    seed: int = 0,
    logging_steps: int = 10,
    log: Callable[[str], None] = print,
) -> SFTResult:
    """Fine-tune ``config``'s model on its task's worked solutions in the tag format; save it.

    ``config`` is a GRPO config (path, or :class:`~rewardkit.train.config.TrainConfig`): its
    ``[model]`` and ``[task]`` prompt are used, so SFT teaches exactly what GRPO rewards. The
    model, tokenizer and ``sft_config.json`` go to ``output_dir`` (default
    ``<output.dir>-sft``), ready to be the ``model.name`` of the GRPO run.
    """
    from .config import TrainConfig, load_config

    cfg = config if isinstance(config, TrainConfig) else load_config(config, overrides, check_output=False)
    out = Path(output_dir) if output_dir is not None else Path(str(cfg.output_dir) + "-sft")
    name = model or cfg.model["name"]
    rows = [r.get("__row__", r) for r in cfg.rows][offset:]
    if limit is not None:
        rows = rows[:limit]
    if lora is None:
        lora = cfg.model.get("lora")
    return _train(name, cfg.task, rows, out, dtype=cfg.model.get("dtype", "auto"), max_steps=max_steps,
                  learning_rate=learning_rate, batch_size=batch_size, grad_accum=gradient_accumulation_steps,
                  max_length=max_length, lora=lora, seed=seed, logging_steps=logging_steps, log=log)


def _train(name: str, task: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], out: Path, *, dtype: str,
           max_steps: int, learning_rate: float, batch_size: int, grad_accum: int, max_length: int,
           lora: Mapping[str, Any] | bool | None, seed: int, logging_steps: int,
           log: Callable[[str], None]) -> SFTResult:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from ..dtypes import pick_dtype
    from ..models import resolve_model

    start = time.perf_counter()
    precision = pick_dtype(dtype, "cuda" if torch.cuda.is_available() else "cpu", full_finetune=not lora)
    log(f"sft: {precision.line()}")
    path = resolve_model(name, dtype=precision.dtype)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=precision.torch_dtype)
    examples = sft_examples(tokenizer, task, rows)
    if not examples:
        raise ValueError("SFT: no usable examples (no row has a solution ending in '#### <answer>')")
    log(f"sft: {len(examples)} examples, {max_steps} steps of {batch_size * grad_accum} on {name}")
    peft_config = _lora_config(lora)
    args = SFTConfig(
        output_dir=str(out / "_trainer"), max_steps=max_steps, learning_rate=learning_rate,
        per_device_train_batch_size=batch_size, gradient_accumulation_steps=grad_accum,
        max_length=max_length, lr_scheduler_type="cosine", warmup_steps=max(1, max_steps // 10),
        logging_steps=logging_steps, save_strategy="no", report_to="none", seed=seed,
        completion_only_loss=True, bf16=False, fp16=False, use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0, disable_tqdm=True,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(examples),
                         processing_class=tokenizer, peft_config=peft_config,
                         callbacks=[_log_callback(log)])
    trainer.train()
    trained: Any = trainer.model
    if peft_config is not None:
        trained = trained.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    trained.save_pretrained(out)
    tokenizer.save_pretrained(out)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    result = SFTResult(out, trainer.state.global_step, len(examples), time.perf_counter() - start,
                       losses[-1] if losses else None)
    (out / "sft_config.json").write_text(json.dumps({
        "base_model": name, "task": dict(task), "steps": result.steps, "examples": result.examples,
        "learning_rate": learning_rate, "batch_size": batch_size * grad_accum, "max_length": max_length,
        "lora": dict(lora) if isinstance(lora, Mapping) else bool(lora), "seed": seed,
        "losses": losses, "seconds": round(result.seconds, 1), "target_template": TARGET_TEMPLATE,
        "precision": precision.record(),
    }, indent=2, default=str), encoding="utf-8")
    log(f"sft: done in {result.seconds:.0f}s, final loss {result.final_loss}, saved to {out}")
    return result


def _lora_config(lora: Mapping[str, Any] | bool | None) -> Any:
    if not lora:
        return None
    from peft import LoraConfig

    opts = dict(lora) if isinstance(lora, Mapping) else {}
    return LoraConfig(
        r=opts.get("r", 16), lora_alpha=opts.get("alpha", 32), lora_dropout=opts.get("dropout", 0.05),
        target_modules=opts.get("target_modules", "all-linear"), bias=opts.get("bias", "none"),
        modules_to_save=opts.get("modules_to_save"), task_type="CAUSAL_LM",
    )


def _log_callback(log: Callable[[str], None]) -> Any:
    """A callback printing one line per logging step (loss, learning rate, progress)."""
    from transformers import TrainerCallback

    class LogCallback(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **_: Any) -> None:
            if logs and "loss" in logs:
                log(f"sft: step {state.global_step}/{state.max_steps} loss {logs['loss']:.4f} "
                    f"lr {logs.get('learning_rate', 0):.2e}")

    return LogCallback()
