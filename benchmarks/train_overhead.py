"""Time a GRPO step: ``rewardkit train``'s trainer against a plain TRL script, same model, data and rewards.

Both arms build TRL's ``GRPOTrainer`` on the same randomly initialised Qwen2 model (the
Qwen2.5-0.5B shape by default: hidden 896, 24 layers, 14/2 heads, MLP 4864, 151,936-token
vocabulary), the same text prompts and the same two reward functions (a tag check and an
exact-answer check); the rewardkit arm goes through config validation, the composite, the TRL
adapter, the temperature schedule and the metrics log. Every completion is forced to the same
length (``min_new_tokens``), the arms alternate, and the first step of each run is dropped.

    # on a GPU (bf16):
    python benchmarks/train_overhead.py --shape qwen2.5-0.5b --steps 8 --repeats 2
    # a quick CPU check with a small model:
    python benchmarks/train_overhead.py --shape small --steps 5 --repeats 2 --completion-length 32

It prints a table and the ratio (goal: at most 1.05) and writes a JSON result with ``--out``.
It also reports the host-side seconds per step each arm spends outside the model (reward
functions, and for rewardkit the composite, adapter and callbacks): a figure that, unlike the
step ratio, stays readable on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, vocab_size=151936),
    "small": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=32000),
}
SYSTEM = "Reason inside <think> </think>, then give only the final number inside <answer> </answer>."
PREFIX = "<think>"


# The same reward logic for both arms.
def _tags(c: str) -> float:
    return 1.0 if "</think>" in c and "<answer>" in c else 0.0


def _match(c: str, a: str) -> float:
    return 1.0 if f"<answer>{a}</answer>" in c.replace(" ", "") else 0.0


def trl_tags(completions, **_):
    return [_tags(c) for c in completions]


def trl_match(completions, answer, **_):
    return [_match(c, a) for c, a in zip(completions, answer)]


class BenchPlugin:
    import rewardkit as _rk

    @staticmethod
    @_rk.hookimpl
    def rewardkit_register_rewards(register):
        def tags(*, completions, prompts):
            return [_tags(c) for c in completions]

        def match(*, completions, prompts, answer):
            return [_match(c, a) for c, a in zip(completions, answer)]

        register(tags, name="bench.tags", description="tags present", range=(0.0, 1.0))
        register(match, name="bench.match", description="exact answer", columns=("answer",), range=(0.0, 1.0))


def make_model(shape: str, path: Path) -> Path:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rewardkit.tiny import tiny_tokenizer

    tok = tiny_tokenizer()
    torch.manual_seed(0)
    config = Qwen2Config(**SHAPES[shape], max_position_embeddings=4096, tie_word_embeddings=True,
                         rope_theta=1_000_000.0, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def grpo_settings(args, out: Path) -> dict:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "num_generations": args.generations, "per_device_train_batch_size": args.batch,
        "max_completion_length": args.completion_length, "max_steps": args.steps, "learning_rate": 1e-6,
        "beta": args.beta, "logging_steps": 1, "save_strategy": "no", "report_to": "none", "seed": 0,
        "bf16": cuda, "activation_checkpointing": args.checkpointing,
        "generation_kwargs": {"min_new_tokens": args.completion_length},
    }


class StepTimer:
    def __init__(self):
        from transformers import TrainerCallback

        timer = self

        class _CB(TrainerCallback):
            def on_step_begin(self, a, state, control, **kw):
                timer._sync()
                timer._t, timer._c = time.perf_counter(), time.process_time()

            def on_step_end(self, a, state, control, **kw):
                timer._sync()
                timer.steps.append(time.perf_counter() - timer._t)
                timer.cpu.append(time.process_time() - timer._c)

        self.callback = _CB()
        self.steps: list[float] = []
        self.cpu: list[float] = []  # process CPU seconds: steadier than wall time on a shared CPU

    @staticmethod
    def _sync():
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


class HostTime:
    """Seconds spent in wrapped callables (reward functions, callbacks)."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, fn):
        import functools

        @functools.wraps(fn)
        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t

        return timed


def rows(n: int) -> list[dict]:
    from rewardkit.tasks import gsm8k

    return [{"question": r["question"], "answer": gsm8k.gold_answer(r["answer"])} for r in gsm8k.load("train", limit=n)]


def run_trl(model: Path, args, out: Path, host: HostTime) -> StepTimer:
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tok = AutoTokenizer.from_pretrained(model)
    data = []
    for r in rows(args.prompts):
        msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": r["question"]},
                {"role": "assistant", "content": PREFIX}]
        data.append({"prompt": tok.apply_chat_template(msgs, tokenize=False, continue_final_message=True),
                     "answer": r["answer"]})
    timer = StepTimer()
    cfg = GRPOConfig(output_dir=str(out), reward_weights=[0.5, 1.0], **grpo_settings(args, out))
    trainer = GRPOTrainer(model=str(model), reward_funcs=[host.wrap(trl_tags), host.wrap(trl_match)], args=cfg,
                          train_dataset=Dataset.from_list(data), processing_class=tok, callbacks=[timer.callback])
    trainer.train()
    return timer


def run_rewardkit(model: Path, args, out: Path, host: HostTime) -> StepTimer:
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import build_trainer

    settings = grpo_settings(args, out)
    gen_kwargs = settings.pop("generation_kwargs")
    data = {
        "model": {"name": str(model)},
        "task": {"dataset": "gsm8k", "limit": args.prompts, "system_prompt": SYSTEM, "assistant_prefix": PREFIX},
        "reward": [{"name": "bench.tags", "weight": 0.5}, {"name": "bench.match", "weight": 1.0}],
        "grpo": settings,
        "generation": {"generation_kwargs": gen_kwargs},
        "output": {"dir": str(out), "overwrite": True, "save_final": False},
    }
    cfg = load_config(data=data)
    timer = StepTimer()
    run = build_trainer(cfg, callbacks=[timer.callback])
    run.trainer.reward_funcs = [host.wrap(f) for f in run.trainer.reward_funcs]  # names were read at init
    run.metrics.on_log = host.wrap(run.metrics.on_log)
    run.metrics.on_train_begin = host.wrap(run.metrics.on_train_begin)
    run.temperature.on_step_begin = host.wrap(run.temperature.on_step_begin)
    run.trainer.train()
    return timer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-0.5b")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--repeats", type=int, default=2, help="runs per arm, alternating")
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--batch", type=int, default=16, help="completions per step")
    p.add_argument("--completion-length", type=int, default=256)
    p.add_argument("--prompts", type=int, default=256)
    p.add_argument("--beta", type=float, default=0.04)
    p.add_argument("--checkpointing", action="store_true", help="activation checkpointing in both arms")
    p.add_argument("--out", type=Path, default=None, help="write the result JSON here")
    args = p.parse_args(argv)

    import torch

    from rewardkit.plugins import register_plugin

    register_plugin(BenchPlugin, "bench")
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({platform.processor() or 'cpu'}, {torch.get_num_threads()} threads)"
    times: dict[str, list[float]] = {"trl": [], "rewardkit": []}
    cpu: dict[str, list[float]] = {"trl": [], "rewardkit": []}
    host = {"trl": HostTime(), "rewardkit": HostTime()}
    total_steps = {"trl": 0, "rewardkit": 0}
    with tempfile.TemporaryDirectory() as tmp:
        model = make_model(args.shape, Path(tmp) / "model")
        for rep in range(args.repeats):
            for arm, fn in (("trl", run_trl), ("rewardkit", run_rewardkit)):
                timer = fn(model, args, Path(tmp) / f"{arm}-{rep}", host[arm])
                total_steps[arm] += len(timer.steps)
                times[arm] += timer.steps[1:]  # the first step warms up kernels and caches
                cpu[arm] += timer.cpu[1:]
                print(f"{arm} run {rep + 1}: wall " + ", ".join(f"{s:.3f}" for s in timer.steps)
                      + "; cpu " + ", ".join(f"{s:.3f}" for s in timer.cpu), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["rewardkit"] / med["trl"]
    print(f"\nGRPO step time, {args.shape} shape (random weights), {device}, bf16={torch.cuda.is_available()}")
    print(f"{args.batch} completions x {args.completion_length} tokens per step, num_generations={args.generations}, "
          f"beta={args.beta}, {args.steps - 1} timed steps x {args.repeats} runs per arm\n")
    host_ms = {k: 1000 * host[k].seconds / max(1, total_steps[k]) for k in times}
    print(f"| arm | median step (s) | mean (s) | min (s) | median CPU (s) | steps | rewards+callbacks (ms/step) |\n"
          f"| --- | --- | --- | --- | --- | --- | --- |")
    for k, v in times.items():
        print(f"| {'plain TRL GRPOTrainer' if k == 'trl' else 'rewardkit train'} | {med[k]:.3f} | "
              f"{statistics.mean(v):.3f} | {min(v):.3f} | {cpu_med[k]:.3f} | {len(v)} | {host_ms[k]:.2f} |")
    print(f"\nrewardkit / TRL = {ratio:.3f} wall, {cpu_med['rewardkit'] / cpu_med['trl']:.3f} CPU time "
          f"(overhead {100 * (ratio - 1):+.1f}% wall; goal <= +5%)")
    extra = host_ms["rewardkit"] - host_ms["trl"]
    print(f"host-side extra of rewardkit: {extra:.2f} ms/step = {100 * extra / 1000 / med['trl']:.3f}% of a median TRL step")
    if args.out:
        args.out.write_text(json.dumps({"shape": args.shape, "device": device, "args": {k: str(v) for k, v in vars(args).items()},
                                        "steps": times, "median": med, "ratio": ratio,
                                        "host_ms_per_step": host_ms,
                                        "cpu_steps": cpu, "cpu_median": cpu_med}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
