"""Build TRL's ``GRPOConfig`` and ``GRPOTrainer`` from a validated :class:`TrainConfig`, and run it."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import OPTIM_8BIT, ConfigError, TrainConfig, render


@dataclass
class Run:
    """A built trainer with what ``rewardkit train`` attaches to it."""

    trainer: Any
    config: TrainConfig
    model_path: str
    recorder: Any
    temperature: Any
    metrics: Any
    notes: list[str] = field(default_factory=list)
    health: Any = None

    @property
    def output_dir(self) -> Path:
        return self.config.output_dir


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def precision(cfg: TrainConfig) -> Any:
    """The run's dtype and why (``model.dtype``, ``auto`` resolved for this machine once; see ``precision.py``)."""
    if cfg.precision is None:
        from ..dtypes import pick_dtype

        cfg.precision = pick_dtype(cfg.model["dtype"], "cuda" if _cuda() else "cpu",
                                   full_finetune=cfg.model["lora"] is None)
    return cfg.precision


def resolve_model_path(cfg: TrainConfig) -> str:
    """A path or hub id for ``[model] name`` (embedded aliases are converted once, see ``rewardkit.models``)."""
    name = cfg.model["name"]
    try:
        from ..models import resolve_model
    except ImportError:
        return os.path.expanduser(name)
    return resolve_model(name, dtype=precision(cfg).dtype)


def grpo_kwargs(cfg: TrainConfig, notes: list[str]) -> dict[str, Any]:
    """Keyword arguments for ``GRPOConfig``: ``[grpo]`` (and generation keys) plus hardware-aware defaults."""
    import torch

    kw = dict(cfg.grpo)
    kw["output_dir"] = str(cfg.output_dir)
    kw["reward_weights"] = [float(t.weight) for t in cfg.composite.terms]
    cuda = torch.cuda.is_available()
    if "bf16" not in kw and "fp16" not in kw:
        kw["bf16"] = bool(cuda and torch.cuda.is_bf16_supported())
    if "tf32" not in kw and cuda and torch.cuda.get_device_capability()[0] >= 8:
        kw["tf32"] = True
    optim = str(kw.get("optim", ""))
    if optim in OPTIM_8BIT:
        missing = "CUDA" if not cuda else ("bitsandbytes" if not _importable("bitsandbytes") else None)
        if missing:
            msg = f"grpo.optim = {optim!r} needs {missing}; falling back to 'adamw_torch'"
            warnings.warn(msg, stacklevel=2)
            notes.append(msg)
            kw["optim"] = "adamw_torch"
    model_init = dict(kw.pop("model_init_kwargs", None) or {})
    model_init.setdefault("dtype", precision(cfg).dtype)
    for key in ("attn_implementation", "revision"):
        if cfg.model[key] is not None:
            model_init.setdefault(key, cfg.model[key])
    kw["model_init_kwargs"] = model_init
    kw.setdefault("trust_remote_code", cfg.model["trust_remote_code"])
    return kw


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def build_prompts(cfg: TrainConfig, tokenizer: Any) -> tuple[list[Any], bool]:
    """The prompt of every row: chat messages, or rendered text when an assistant prefix is continued.

    TRL adds a generation prompt to chat prompts; to continue a pre-filled assistant message
    (``continue_final_message``) the prompt is rendered here with the tokenizer's chat template.
    """
    task = cfg.task
    prompts: list[Any] = []
    prefix = task["assistant_prefix"]
    for row in cfg.rows:
        data = row["__row__"]
        messages = []
        if task["system_prompt"]:
            messages.append({"role": "system", "content": render(task["system_prompt"], data)})
        messages.append({"role": "user", "content": render(task["user_template"], data)})
        if prefix:
            messages.append({"role": "assistant", "content": render(prefix, data)})
            text = tokenizer.apply_chat_template(messages, tokenize=False, continue_final_message=True)
            prompts.append(_strip_bos(text, tokenizer))
        else:
            prompts.append(messages)
    return prompts, bool(prefix)


def _strip_bos(text: str, tokenizer: Any) -> str:
    """Drop a BOS the template wrote when the tokenizer adds one itself (TRL tokenizes text prompts plainly)."""
    bos = tokenizer.bos_token
    if bos and text.startswith(bos):
        ids = tokenizer("x")["input_ids"]
        if ids and ids[0] == tokenizer.bos_token_id:
            return text[len(bos):]
    return text


def build_dataset(cfg: TrainConfig, tokenizer: Any) -> Any:
    """A ``datasets.Dataset`` with ``prompt`` and the columns the rewards need."""
    from datasets import Dataset

    prompts, _ = build_prompts(cfg, tokenizer)
    records = []
    for prompt, row in zip(prompts, cfg.rows):
        rec = {k: v for k, v in row.items() if k != "__row__"}
        rec["prompt"] = prompt
        records.append(rec)
    return Dataset.from_list(records)


def lora_config(cfg: TrainConfig) -> Any:
    lora = cfg.model["lora"]
    if lora is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules=lora["target_modules"],
        bias=lora["bias"], modules_to_save=lora["modules_to_save"], task_type="CAUSAL_LM",
    )


def write_run_files(cfg: TrainConfig, model_path: str, notes: Sequence[str]) -> dict[str, Any]:
    """Write ``resolved_config.json`` and ``rewards.json`` (the reward signatures) into the output folder."""
    import importlib.metadata as md

    versions = {}
    for dist in ("rewardkit", "trl", "transformers", "torch", "peft", "accelerate", "vllm"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    resolved = {**cfg.resolved(), "model_path": model_path, "precision": precision(cfg).record(),
                "notes": list(notes), "versions": versions}
    if is_main_process():
        out = cfg.output_dir
        out.mkdir(parents=True, exist_ok=True)
        (out / "resolved_config.json").write_text(json.dumps(resolved, indent=2, default=str) + "\n", encoding="utf-8")
        (out / "rewards.json").write_text(json.dumps(cfg.signatures, indent=2) + "\n", encoding="utf-8")
    return resolved


def build_trainer(cfg: TrainConfig, *, callbacks: Sequence[Any] = ()) -> Run:
    """Build the GRPO trainer: model, tokenizer, prompts, reward functions, callbacks."""
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from ..trl_adapter import to_trl
    from .callbacks import MetricsLogCallback, Recorder, TemperatureCallback, set_temperature

    notes = list(cfg.notes)
    kwargs = grpo_kwargs(cfg, notes)
    env = getattr(cfg, "environment", None)
    if env is not None:  # agent rollouts: TRL's tool loop, judged by the composite (environment_config.py)
        from .environment_config import update_grpo_kwargs

        update_grpo_kwargs(env, kwargs)
    if kwargs.get("use_vllm") and not _cuda():
        _prepare_vllm_cpu(notes)
    try:
        args = GRPOConfig(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"grpo: TRL's GRPOConfig rejected the settings: {exc}") from None
    model_path = resolve_model_path(cfg)
    tokenizer = AutoTokenizer.from_pretrained(model_path, revision=cfg.model["revision"],
                                              trust_remote_code=cfg.model["trust_remote_code"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if env is not None:
        from .environment_config import prepare_tokenizer

        notes.extend(n for n in [prepare_tokenizer(env, tokenizer)] if n)
    dataset = build_dataset(cfg, tokenizer)
    resolved = write_run_files(cfg, model_path, notes)

    recorder = Recorder(cfg.composite.names, keep_samples=cfg.output["samples"], audit=cfg.audit_composite)
    funcs, _weights = to_trl(cfg.composite, on_batch=recorder.on_batch)
    reward_funcs: list[Any] = list(funcs)
    extra: dict[str, Any] = {}
    if env is not None:
        from .environment_config import build_environment

        environment = build_environment(env, cfg.composite, on_batch=recorder.on_batch)
        reward_funcs, extra = list(environment.reward_funcs), {"environment_factory": environment}
    gen = cfg.generation
    temperature = TemperatureCallback(gen["temperature"], gen["temperature_end"], gen["temperature_schedule"])
    health = build_health(cfg)
    metrics = MetricsLogCallback(
        cfg.output_dir, recorder, temperature=temperature, health=health,
        start_event={"signatures": cfg.signatures, "model_path": model_path, "config": resolved,
                     "health": health_settings(cfg)},
    )
    trainer = GRPOTrainer(
        model=model_path, reward_funcs=reward_funcs, args=args, train_dataset=dataset,
        processing_class=tokenizer, peft_config=lora_config(cfg),
        callbacks=[temperature, metrics, *callbacks], **extra,
    )
    temperature.attach(trainer)
    set_temperature(trainer, gen["temperature"])
    return Run(trainer, cfg, model_path, recorder, temperature, metrics, notes, health)


def health_settings(cfg: TrainConfig) -> dict[str, Any]:
    """What ``rewardkit health`` needs to replay the alarms of this run (written in the start event)."""
    return {"weights": {t.name: float(t.weight) for t in cfg.composite.terms},
            "audit": cfg.audit_composite.names if cfg.audit_composite is not None else [],
            "max_dropped_fraction": cfg.composite.max_dropped_fraction, "alarms": cfg.alarms,
            "on_alarm": cfg.on_alarm}


def build_health(cfg: TrainConfig) -> Any:
    """The alarm watch of a run: thresholds from ``[alarms]``, ``on_alarm`` from the config."""
    from ..health.alarms import AlarmSettings, Monitor
    from ..health.watch import HealthWatch

    settings = AlarmSettings(**{**cfg.alarms, "off": tuple(cfg.alarms.get("off") or ())})
    monitor = Monitor(settings, {t.name: float(t.weight) for t in cfg.composite.terms},
                      cfg.composite.max_dropped_fraction)
    return HealthWatch(cfg.output_dir, monitor, cfg.on_alarm)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _prepare_vllm_cpu(notes: list[str]) -> None:
    """On a machine without CUDA, let ``rewardkit.train.vllm_cpu`` set up vLLM's CPU backend if it is there."""
    try:
        from . import vllm_cpu
    except ImportError:
        return
    notes.extend(f"vLLM on CPU: {n}" for n in vllm_cpu.prepare())


def last_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest complete ``checkpoint-N`` in ``out_dir`` (one cut short by a kill is skipped)."""
    out = Path(out_dir)
    if not out.is_dir():
        return None
    found = []
    for p in out.iterdir():
        suffix = p.name.removeprefix("checkpoint-")
        if p.is_dir() and p.name.startswith("checkpoint-") and suffix.isdigit():
            found.append((int(suffix), p))
    for _step, p in sorted(found, reverse=True):
        if (p / "trainer_state.json").is_file():
            return p
        print(f"rewardkit: skipping {p.name}: incomplete (no trainer_state.json)", file=sys.stderr)
    return None


@dataclass
class TrainResult:
    output_dir: Path
    final_model: Path | None
    global_step: int
    resumed_from: Path | None
    metrics_path: Path
    alarms: list[Any] = field(default_factory=list)
    stopped_by_alarm: int | None = None
    #: ``--resume`` found the run already at its last step: nothing was trained or written
    already_finished: bool = False


def finished_at(ckpt: Path, cfg: TrainConfig) -> int | None:
    """The checkpoint's step when it already reached the run's last step (``grpo.max_steps``, else the
    step count the trainer planned), or None when there is training left."""
    state = json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
    step = int(state.get("global_step") or 0)
    wanted = cfg.grpo.get("max_steps")
    target = int(wanted) if isinstance(wanted, int) and wanted > 0 else int(state.get("max_steps") or 0)
    return step if target > 0 and step >= target else None


def train(cfg: TrainConfig, *, resume: bool = False, callbacks: Sequence[Any] = ()) -> TrainResult:
    """Run GRPO for ``cfg``; with ``resume`` continue from the newest checkpoint in ``output.dir``.

    Resuming a run that already reached its last step trains nothing and leaves ``final/`` as it is
    (``already_finished``); raise ``grpo.max_steps`` (``--set grpo.max_steps=N``) to train further."""
    ckpt = last_checkpoint(cfg.output_dir) if resume else None
    if resume and ckpt is None:
        raise ConfigError(f"--resume: no complete checkpoint-* in {cfg.output_dir}")
    if ckpt is not None and (step := finished_at(ckpt, cfg)) is not None:
        done = cfg.output_dir / "final"
        return TrainResult(cfg.output_dir, done if done.is_dir() else None, step, ckpt,
                           cfg.output_dir / "metrics.jsonl", already_finished=True)
    run = build_trainer(cfg, callbacks=callbacks)
    run.trainer.train(resume_from_checkpoint=str(ckpt) if ckpt else None)
    final = None
    if cfg.output["save_final"]:
        final = cfg.output_dir / "final"
        run.trainer.save_model(str(final))
    health = run.health
    return TrainResult(cfg.output_dir, final, run.trainer.state.global_step, ckpt, run.metrics.metrics_path,
                       list(health.monitor.fired) if health else [], health.stopped_at if health else None)
