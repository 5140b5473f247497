"""The agents learning proof: SFT warm-up on tool-call transcripts, then GRPO through ``rewardkit.environment``.

``bash scripts/agents.sh`` (``python examples/agents/learn.py``) trains the embedded SmolLM2-135M-Instruct
to use the safe AST calculator (``calculator.py``) on 3-digit x 2-digit multiplication, which it cannot do
in its head, and measures it on held-out items (another seed; no question shared with training):

1. greedy evaluation of the untrained model, through the same tool loop as training;
2. a short SFT warm-up on generated transcripts in the chat template's tool format. It is deliberately
   partial: only ``--sft-tool-share`` of the transcripts call the calculator (a call, the tool's message, the
   answer); the others answer from memory (the right product, which the model cannot reproduce). The model
   learns the format and that calling is possible, and mostly answers from memory; greedy evaluation again;
3. GRPO (``rewardkit.train.grpo.train``, the code path of ``rewardkit train``, with ``[environment]``: TRL's
   own tool loop, judged by rewardkit) rewarded by ``math.equivalence`` + ``tools.call_format`` +
   ``tools.result_used`` (gated on a well-formed call); greedy evaluation again.

It prints the held-out table (accuracy with 95% Wilson intervals, share of rollouts with a well-formed call
and with a tool result used), exact McNemar p-values for the paired items (trained against SFT-only and
against untrained), CPU and wall time and peak memory, and writes ``agents.json``, ``eval_items.json``,
``reward_curve.png`` and the GRPO run (metrics.jsonl, samples.jsonl) under ``--out``.

The chat template is TRL's Qwen2.5 tool template with the tool list shortened to one line
(``Tools: calculate(expression)``): calls, tool messages and answers are rendered exactly as Qwen2.5 renders
them, and TRL parses the calls with its Qwen response template; the full JSON-schema preamble would make
every prompt 250 tokens instead of about 45, tripling the cost of each step on a CPU.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

CONFIG = HERE / "calculator-learn-smollm2-cpu.toml"
SYSTEM = "Use the calculate tool for arithmetic. Answer as <answer>number</answer>."
#: New tokens of an answer after a tool result in evaluation (``<answer>56876</answer>`` and the end token: 13).
ANSWER_TOKENS = 16

#: TRL's Qwen2.5 tool template with the tool list rendered as one short line (the rest is unchanged).
QWEN_TOOLS_PREAMBLE_START = '    {{- "\\n\\n# Tools\\n\\nYou may call'


def make_rows(n: int, seed: int, exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
    """``n`` distinct ``What is A * B?`` rows (A: 3 digits, B: 2 digits) with the product as ``answer``."""
    rng = random.Random(seed)
    seen: set[str] = set(exclude)
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        a, b = rng.randint(100, 999), rng.randint(10, 99)
        q = f"What is {a} * {b}?"
        if q not in seen:
            seen.add(q)
            rows.append({"question": q, "answer": str(a * b), "a": a, "b": b})
    return rows


def compact_template() -> str:
    """TRL's Qwen2.5 template, its tool preamble replaced by ``Tools: name(params)`` on one line."""
    from trl.chat_template_utils import qwen2_5_chat_template

    lines = qwen2_5_chat_template.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(QWEN_TOOLS_PREAMBLE_START))
    end = next(i for i in range(start, len(lines)) if "</tool_call><|im_end|>" in lines[i])
    short = ["    {{- '\\nTools:' }}",
             "    {%- for tool in tools %}{%- set f = tool.function if tool.function is defined else tool %}",
             "        {{- ' ' + f.name + '(' + (f.parameters.properties | list | join(', ')) + ')' }}",
             "    {%- endfor %}",
             "    {{- '<|im_end|>\\n' }}"]
    return "\n".join(lines[:start] + short + lines[end + 1:])


def tool_tokenizer(path: str | Path) -> Any:
    """The tokenizer of ``path`` with the compact tool template and TRL's Qwen response parser."""
    from transformers import AutoTokenizer
    from trl.chat_template_utils import qwen3_template

    tok: Any = AutoTokenizer.from_pretrained(str(path))
    tok.chat_template = compact_template()
    tok.response_template = qwen3_template
    tok.padding_side = "left"
    return tok


def tool_specs() -> list[dict[str, Any]]:
    from calculator import Calculator

    import rewardkit

    return list(rewardkit.environment(Calculator, "tools.call_format").tool_specs)


# -- SFT ---------------------------------------------------------------------------------------------

def transcript(row: dict[str, Any], use_tool: bool) -> list[dict[str, Any]]:
    """The messages of one SFT example: system, user, then a call + tool result + answer, or the answer alone."""
    msgs: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": row["question"]}]
    answer = {"role": "assistant", "content": f"<answer>{row['answer']}</answer>"}
    if not use_tool:
        return [*msgs, answer]
    call = {"type": "function", "function": {"name": "calculate",
                                             "arguments": {"expression": f"{row['a']} * {row['b']}"}}}
    return [*msgs, {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "name": "calculate", "content": row["answer"]}, answer]


def sft_example(tok: Any, msgs: list[dict[str, Any]], specs: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)``: the loss covers the assistant turns (and their end token), not prompt or tool text."""
    def ids(upto: int, gen: bool) -> list[int]:
        text = tok.apply_chat_template(msgs[:upto], tools=specs, tokenize=False, add_generation_prompt=gen)
        return list(tok(text, add_special_tokens=False)["input_ids"])

    full = ids(len(msgs), False)
    labels = [-100] * len(full)
    # assistant turns: from the generation prompt before each to the end of its own rendering
    for k, m in enumerate(msgs):
        if m["role"] == "assistant":
            lo, hi = len(ids(k, True)), len(ids(k + 1, False))
            labels[lo:hi] = full[lo:hi]
    return full, labels


def run_sft(base: str, rows: list[dict[str, Any]], out: Path, *, dtype: str, steps: int, tool_share: float,
            lr: float, batch: int, seed: int, log: Any = None) -> dict[str, Any]:
    """LoRA SFT of ``base`` on the transcripts (own loop), merged and saved with the tool tokenizer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tok, specs = tool_tokenizer(base), tool_specs()
    chats = [transcript(r, rng.random() < tool_share) for r in rows]
    n_tool = sum(1 for c in chats if len(c) > 3)
    examples = [sft_example(tok, c, specs) for c in chats]
    model: Any = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses, t0, order = [], time.perf_counter(), list(range(len(examples)))
    model.train()
    for step in range(steps):
        if step * batch % len(order) == 0:
            rng.shuffle(order)
        idx = [order[(step * batch + j) % len(order)] for j in range(batch)]
        width = max(len(examples[i][0]) for i in idx)
        pad = tok.pad_token_id
        input_ids = torch.tensor([examples[i][0] + [pad] * (width - len(examples[i][0])) for i in idx])
        labels = torch.tensor([examples[i][1] + [-100] * (width - len(examples[i][1])) for i in idx])
        mask = torch.tensor([[1] * len(examples[i][0]) + [0] * (width - len(examples[i][0])) for i in idx])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(round(float(loss.detach()), 4))
        if log and (step + 1) % 10 == 0:
            log(f"    SFT step {step + 1}/{steps}: loss {losses[-1]}")
    merged = model.merge_and_unload()
    merged.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    info = {"steps": steps, "batch": batch, "learning_rate": lr, "examples": len(examples), "tool_examples": n_tool,
            "tool_share": tool_share, "losses": losses, "seconds": round(time.perf_counter() - t0, 1)}
    (out / "sft.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    del model, merged, opt
    gc.collect()
    return info


# -- evaluation ------------------------------------------------------------------------------------------

def rollouts(model: Any, tok: Any, rows: list[dict[str, Any]], *, max_turns: int, max_new: int,
             batch: int = 100, system: str = SYSTEM, answer_tokens: int = ANSWER_TOKENS) -> list[list[dict[str, Any]]]:
    """Greedy rollouts through the tool loop (as TRL runs it): generate, run the calls, generate again
    (``max_new`` tokens for the first turn, ``answer_tokens`` after a tool result)."""
    import torch
    from calculator import Calculator

    specs: list[Any] = tool_specs()
    convs: list[list[dict[str, Any]]] = [[{"role": "system", "content": system},
                                          {"role": "user", "content": r["question"]}] for r in rows]
    tools = [Calculator() for _ in rows]
    active = list(range(len(rows)))
    for turn in range(max_turns + 1):
        nxt = []
        for a in range(0, len(active), batch):
            ids = active[a:a + batch]
            texts = [tok.apply_chat_template(convs[i], tools=specs, add_generation_prompt=True, tokenize=False)
                     for i in ids]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                out = model.generate(**enc, max_new_tokens=max_new if turn == 0 else answer_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
            for k, i in enumerate(ids):
                new = [t for t in out[k, enc["input_ids"].shape[1]:].tolist() if t != tok.pad_token_id]
                msg = parse_turn(tok, texts[k], new, specs)
                convs[i].append(msg)
                if msg.get("tool_calls") and turn < max_turns:
                    for call in msg["tool_calls"]:
                        convs[i].append(run_call(tools[i], call))
                    nxt.append(i)
        active = nxt
        if not active:
            break
    return [c[2:] for c in convs]


def parse_turn(tok: Any, prompt: str, new: list[int], specs: list[Any]) -> dict[str, Any]:
    """The assistant message of generated ids, parsed as TRL parses it: with the prompt's ids as prefix (the
    Qwen response template needs it to find the calls) and the tools."""
    from trl.chat_template_utils import parse_response

    prefix = list(tok(prompt, add_special_tokens=False)["input_ids"])
    msg = parse_response(tok, new, prefix=prefix, tools=specs)
    msg.setdefault("role", "assistant")
    msg.setdefault("content", "")
    return msg


def run_call(calc: Any, call: dict[str, Any]) -> dict[str, Any]:
    """The tool message TRL's loop writes for one call (``{'error': ...}`` when it fails)."""
    fn = call.get("function", {})
    name = fn.get("name", "")
    try:
        args = fn.get("arguments") or {}
        args = json.loads(args) if isinstance(args, str) else args
        if name != "calculate":
            raise ValueError(f"Tool {name} not found.")
        result: Any = calc.calculate(**args)
    except Exception as exc:  # noqa: BLE001 - as TRL: the error becomes the tool's message
        result = {"error": str(exc)}
    return {"role": "tool", "name": name, "content": str(result)}


def score(trajs: list[list[dict[str, Any]]], rows: list[dict[str, Any]]) -> dict[str, list[bool]]:
    """Per rollout: correct (``math.equivalence`` 1), a well-formed call (``tools.call_format`` 1), result used."""
    import rewardkit

    specs = [tool_specs()] * len(rows)
    prompts = [r["question"] for r in rows]
    acc = rewardkit.reward("math.equivalence")(trajs, prompts=prompts, answer=[r["answer"] for r in rows])
    fmt = rewardkit.reward("tools.call_format", require_call=True)(trajs, prompts=prompts, tools=specs)
    used = rewardkit.reward("tools.result_used")(trajs, prompts=prompts)
    return {"correct": [v == 1.0 for v in acc], "well_formed_call": [v == 1.0 for v in fmt],
            "result_used": [v == 1.0 for v in used]}


def evaluate(path: str | Path, rows: list[dict[str, Any]], *, dtype: str, label: str, max_turns: int,
             max_new: int) -> dict[str, Any]:
    from rewardkit.demo import load_model, wilson

    t0 = time.perf_counter()
    model, tok = load_model(path, dtype).eval(), tool_tokenizer(path)
    trajs = rollouts(model, tok, rows, max_turns=max_turns, max_new=max_new)
    del model
    gc.collect()
    flags = score(trajs, rows)
    n, k = len(rows), sum(flags["correct"])
    lo, hi = wilson(k, n)
    return {"label": label, "n": n, "correct": k, "accuracy": round(k / n, 4), "ci95": [round(lo, 4), round(hi, 4)],
            "well_formed_call": round(sum(flags["well_formed_call"]) / n, 4),
            "result_used": round(sum(flags["result_used"]) / n, 4), "seconds": round(time.perf_counter() - t0, 1),
            "items": [{"question": r["question"], "gold": r["answer"], "trajectory": t, **{f: v[i] for f, v in flags.items()}}
                      for i, (r, t) in enumerate(zip(rows, trajs))]}


def paired(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Exact McNemar test of ``b`` against ``a`` on the same items."""
    from rewardkit.demo import mcnemar_p

    gained = sum(1 for x, y in zip(a["items"], b["items"]) if y["correct"] and not x["correct"])
    lost = sum(1 for x, y in zip(a["items"], b["items"]) if x["correct"] and not y["correct"])
    return {"gain_points": round(100 * (b["accuracy"] - a["accuracy"]), 1), "gained": gained, "lost": lost,
            "p_mcnemar": mcnemar_p(gained, lost)}


# -- the run ---------------------------------------------------------------------------------------------

def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def grpo_stage(sft_dir: Path, out: Path, train_rows: Path, steps: int | None, overrides: Sequence[str], *,
               reuse: bool = False) -> Any:
    """GRPO of the SFT checkpoint through ``rewardkit.train.grpo.train`` with the shipped config."""
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import TrainResult, train

    sets = [f"model.name={json.dumps(str(sft_dir))}", f"task.dataset={json.dumps(str(train_rows))}",
            f"output.dir={json.dumps(str(out / 'grpo'))}", *overrides]
    if steps is not None:
        sets.append(f"grpo.max_steps={steps}")
    final = out / "grpo" / "final"
    cfg = load_config(CONFIG, sets, check_output=not (reuse and final.is_dir()))
    if reuse and final.is_dir():  # evaluate the adapter of an earlier run again (--reuse)
        records = [json.loads(x) for x in (out / "grpo" / "metrics.jsonl").read_text().splitlines()]
        steps_done = max((r["step"] for r in records if "terms" in r), default=0)
        return cfg, TrainResult(out / "grpo", final, steps_done, None, out / "grpo" / "metrics.jsonl"), 0.0
    t0 = time.perf_counter()
    result = train(cfg)
    return cfg, result, time.perf_counter() - t0


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rewardkit.demo import cpu_seconds, peak_rss_gb, reward_curve
    from rewardkit.models import resolve_model
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import precision

    out = Path(args.out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:5.0f}s {cpu_seconds():5.0f}s CPU {peak_rss_gb():4.1f} GB "
              f"load {os.getloadavg()[0]:4.1f}] {msg}", flush=True)

    train_rows = make_rows(args.train_rows, seed=0)
    held_out = make_rows(args.eval_items, seed=1, exclude=[r["question"] for r in train_rows])
    write_rows(out / "data" / "train.jsonl", train_rows)
    write_rows(out / "data" / "held_out.jsonl", held_out)
    choice = precision(load_config(CONFIG, [f"task.dataset={json.dumps(str(out / 'data' / 'train.jsonl'))}",
                                            f"output.dir={json.dumps(str(out / 'grpo'))}", *args.set]))
    dtype = choice.dtype
    say(choice.line())
    base = str(resolve_model(args.model, dtype=dtype))
    ev = {"dtype": dtype, "max_turns": 1, "max_new": args.max_new_tokens}
    say(f"1/5 greedy held-out evaluation of the untrained model ({len(held_out)} items)")
    before = evaluate(base, held_out, label="untrained", **ev)
    say(f"    accuracy {before['accuracy']:.1%}, well-formed call {before['well_formed_call']:.0%}")
    say(f"2/5 SFT warm-up: {args.sft_steps} steps of {args.sft_batch} transcripts "
        f"({args.sft_tool_share:.0%} call the calculator)")
    sft_dir = out / "sft"
    if args.reuse and (sft_dir / "sft.json").is_file():
        sft = json.loads((sft_dir / "sft.json").read_text(encoding="utf-8")) | {"reused": True}
    else:
        sft = run_sft(base, train_rows[: args.sft_rows], sft_dir, dtype=dtype, steps=args.sft_steps,
                      tool_share=args.sft_tool_share, lr=args.sft_lr, batch=args.sft_batch, seed=0, log=say)
    say(f"    loss {sft['losses'][0]} -> {sft['losses'][-1]}, {sft['seconds']:.0f}s")
    say("3/5 greedy held-out evaluation of the SFT-only model")
    mid = evaluate(sft_dir, held_out, label="SFT only", **ev)
    say(f"    accuracy {mid['accuracy']:.1%}, well-formed call {mid['well_formed_call']:.0%}")
    say("4/5 GRPO through rewardkit.environment (TRL's tool loop)")
    cfg, result, train_seconds = grpo_stage(sft_dir, out, out / "data" / "train.jsonl", args.steps, args.set,
                                            reuse=args.reuse)
    gc.collect()
    say(f"5/5 greedy held-out evaluation after GRPO ({result.final_model})")
    after = evaluate(result.final_model, held_out, label=f"SFT + GRPO ({result.global_step} steps)", **ev)
    say(f"    accuracy {after['accuracy']:.1%}, well-formed call {after['well_formed_call']:.0%}")
    curve = reward_curve(Path(result.metrics_path), out / "reward_curve.png", cfg.composite.names)
    figures = {
        "model": args.model, "precision": choice.record(), "task": "A * B, A 3 digits, B 2 digits",
        "train_rows": len(train_rows), "held_out": len(held_out), "sft": {k: v for k, v in sft.items()},
        "grpo": {k: cfg.grpo[k] for k in sorted(cfg.grpo) if k != "model_init_kwargs"}, "rewards": cfg.rewards,
        "evaluations": [{k: v for k, v in e.items() if k != "items"} for e in (before, mid, after)],
        "trained_vs_sft": paired(mid, after), "trained_vs_untrained": paired(before, after),
        "train_rollouts": train_rollout_shares(Path(result.metrics_path)),
        "seconds": round(time.perf_counter() - t0, 1), "cpu_seconds": round(cpu_seconds(), 1),
        "grpo_seconds": round(train_seconds, 1), "peak_rss_gb": round(peak_rss_gb(), 2),
        "load_end": os.getloadavg(), "curve": curve, "run": str(result.output_dir),
    }
    (out / "agents.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    (out / "eval_items.json").write_text(json.dumps({e["label"]: e["items"] for e in (before, mid, after)}, indent=1),
                                         encoding="utf-8")
    print_report(figures, out)
    return figures


def train_rollout_shares(metrics: Path) -> dict[str, Any]:
    """Per GRPO step: the mean of each term over the step's rollouts (from ``metrics.jsonl``)."""
    steps = []
    for line in metrics.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if "terms" in rec:
            steps.append({"step": rec["step"], **{k: v.get("mean") for k, v in rec["terms"].items()}})
    return {"first": steps[0] if steps else None, "last": steps[-1] if steps else None, "steps": len(steps)}


def print_report(f: dict[str, Any], out: Path) -> None:
    print(f"\nHeld-out 3-digit x 2-digit multiplication ({f['held_out']} items, greedy, one tool round)")
    print("| model | correct | accuracy | 95% interval | well-formed call | tool result used |")
    print("| --- | --: | --: | --- | --: | --: |")
    for e in f["evaluations"]:
        lo, hi = e["ci95"]
        print(f"| {e['label']} | {e['correct']}/{e['n']} | {e['accuracy']:.1%} | {lo:.1%} - {hi:.1%} "
              f"| {e['well_formed_call']:.0%} | {e['result_used']:.0%} |")
    for key, label in (("trained_vs_sft", "SFT-only"), ("trained_vs_untrained", "untrained")):
        p = f[key]
        print(f"GRPO vs {label}: {p['gain_points']:+.1f} points, exact McNemar p = {p['p_mcnemar']:.2g} "
              f"({p['gained']} items gained, {p['lost']} lost)")
    print(f"time {f['seconds']:.0f}s wall, {f['cpu_seconds']:.0f}s CPU (GRPO {f['grpo_seconds']:.0f}s wall); "
          f"peak memory {f['peak_rss_gb']:.2f} GB RSS; load average at the end {f['load_end'][0]:.1f}")
    print(f"figures: {out / 'agents.json'}; items: {out / 'eval_items.json'}; curve: {out / 'reward_curve.png'}; "
          f"GRPO run: {f['run']} (metrics.jsonl, samples.jsonl)")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/agents")
    p.add_argument("--model", default="smollm2-135m-instruct", help="the base model (a name rewardkit.models "
                   "resolves, or a local folder)")
    p.add_argument("--eval-items", type=int, default=100, help="held-out items (seed 1)")
    p.add_argument("--train-rows", type=int, default=200, help="training rows (seed 0): SFT and GRPO prompts")
    p.add_argument("--sft-rows", type=int, default=200)
    p.add_argument("--sft-steps", type=int, default=20)
    p.add_argument("--sft-batch", type=int, default=8)
    p.add_argument("--sft-lr", type=float, default=1e-3)
    p.add_argument("--sft-tool-share", type=float, default=0.35, help="share of SFT transcripts that call the tool")
    p.add_argument("--steps", type=int, default=None, help="GRPO steps (default: the config's)")
    p.add_argument("--max-new-tokens", type=int, default=40, help="evaluation: new tokens of the first turn (a call takes 36)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="GRPO config override")
    p.add_argument("--reuse", action="store_true", help="reuse --out's SFT model and GRPO adapter when there "
                   "(evaluate again without training)")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    main()
