"""The figures of docs/agents.md.

``python examples/agents/measure.py agent``: on held-out reasoning-gym basic_arithmetic rows, the share
of rollouts with a well-formed ``calculate`` call and the accuracy of SmolLM2-135M-Instruct (greedy,
the same tool loop as training: up to ``max_turns`` rounds of calls), before and after a short GRPO
run of ``calculator-smollm2-cpu.toml``.

``python examples/agents/measure.py overhead``: bench time of the same final answers stored as
agent trajectories and as flat completions (one run each).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def held_out(n: int, seed: int) -> list[dict[str, Any]]:
    from rewardkit.data import load_source

    return load_source("reasoning-gym:basic_arithmetic", {"size": n, "seed": seed}).rows


def load(model_path: str, adapter: str | None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.chat_template_utils import add_response_schema, qwen2_5_chat_template

    tok: Any = AutoTokenizer.from_pretrained(model_path)
    tok.chat_template = qwen2_5_chat_template
    tok = add_response_schema(tok)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return model.eval(), tok


def rollouts(model: Any, tok: Any, rows: list[dict[str, Any]], system: str, max_turns: int,
             max_new: int, batch: int = 16) -> list[list[dict[str, Any]]]:
    """Greedy rollouts with the calculator, TRL's loop by hand: learn.py's (calls parsed with the prompt as
    prefix, as TRL does), ``max_new`` tokens per turn."""
    from learn import rollouts as tool_loop

    return tool_loop(model, tok, rows, max_turns=max_turns, max_new=max_new, batch=batch, system=system,
                     answer_tokens=max_new)


def evaluate(model_path: str, adapter: str | None, rows: list[dict[str, Any]], cfg: dict[str, Any]) -> dict[str, Any]:
    from calculator import Calculator

    import rewardkit
    from rewardkit.utils import tool_calls

    model, tok = load(model_path, adapter)
    t0 = time.perf_counter()
    trajs = rollouts(model, tok, rows, cfg["task"]["system_prompt"], cfg["environment"]["max_turns"],
                     cfg["grpo"]["max_completion_length"])
    seconds = time.perf_counter() - t0
    specs = [rewardkit.environment(Calculator, "tools.call_format").tool_specs] * len(rows)
    fmt = rewardkit.reward("tools.call_format", require_call=True)(trajs, tools=specs)
    acc = rewardkit.reward("math.equivalence")(trajs, answer=[r["answer"] for r in rows])
    n = len(rows)
    return {
        "rollouts": n,
        "any_call": sum(1 for t in trajs if tool_calls(t)) / n,
        "well_formed_call": sum(1 for v in fmt if v is not None and v > 0) / n,
        "accuracy": sum(1 for v in acc if v == 1.0) / n,
        "seconds": round(seconds, 1),
        "example": trajs[0],
    }


def agent(args: argparse.Namespace) -> None:
    from rewardkit.models import resolve_model
    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import train

    config = HERE / "calculator-smollm2-cpu.toml"
    out = Path(args.out)
    overrides = [f"grpo.max_steps={args.steps}", f"output.dir={out / 'run'}", f"grpo.save_steps={args.steps}",
                 "output.overwrite=true", *args.set]
    cfg = load_config(config, overrides)
    raw = {"task": cfg.task, "environment": cfg.environment, "grpo": cfg.grpo}
    rows = held_out(args.rows, seed=12345)
    base = resolve_model(cfg.model["name"])
    result: dict[str, Any] = {"load_before": os.getloadavg()[0], "config": str(config), "overrides": overrides}
    result["before"] = evaluate(base, None, rows, raw)
    print(json.dumps({k: v for k, v in result["before"].items() if k != "example"}), flush=True)
    t0 = time.perf_counter()
    trained = train(cfg)
    result["train_seconds"] = round(time.perf_counter() - t0, 1)
    result["after"] = evaluate(base, str(trained.final_model), rows, raw)
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: v for k, v in result["after"].items() if k != "example"}), flush=True)
    steps = [json.loads(x) for x in (out / "run" / "metrics.jsonl").read_text().splitlines()]
    result["train_terms"] = [{k: x["terms"][k]["mean"] for k in x["terms"]} | {"step": x["step"]}
                             for x in steps if "terms" in x]
    (out / "agent.json").write_text(json.dumps(result, indent=2) + "\n")


def overhead(args: argparse.Namespace) -> None:
    from rewardkit import bench
    from rewardkit.trajectory import answer_text

    rows = [json.loads(x) for x in (HERE / "calculator_rollouts.jsonl").read_text().splitlines()]
    rows = (rows * (args.rows // len(rows) + 1))[: args.rows]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    flat = [{**r, "completion": answer_text(r["completion"])} for r in rows]
    result: dict[str, Any] = {"rows": len(rows), "load": os.getloadavg()[0]}
    warm = out / "warm.jsonl"  # the first bench in a process pays the imports (pyarrow, matplotlib): not timed
    warm.write_text("".join(json.dumps(r) + "\n" for r in rows[:50]))
    bench.run(str(warm), rewards=args.reward, out=str(out / "bench-warm"))
    for name, data in (("trajectory", rows), ("flat", flat)):
        path = out / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in data))
        t0 = time.perf_counter()
        summary = bench.run(str(path), rewards=args.reward, out=str(out / f"bench-{name}"))
        result[name] = {"wall_seconds": round(time.perf_counter() - t0, 3),
                        **{k: {"items_per_second": round(v["latency"]["items_per_second"], 1),
                               "mean": v["distribution"]["mean"]} for k, v in summary["rewards"].items()}}
    result["in_process"] = host_path(rows, flat, args.reward)
    (out / "overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def host_path(rows: list[dict[str, Any]], flat: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """The host path alone (``Reward.score`` in this process, best of 3): seconds per 1,000 items."""
    import rewardkit

    out: dict[str, Any] = {}
    for name in names:
        r = rewardkit.reward(name)
        cols = {c: [row[c] for row in rows] for c in r.columns if c != "trajectory"}
        for label, data in (("trajectory", [x["completion"] for x in rows]), ("flat", [x["completion"] for x in flat])):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                r.score(data, **cols)
                best = min(best, time.perf_counter() - t0)
            out[f"{name}/{label}"] = round(1000 * best / len(rows), 4)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("agent")
    a.add_argument("--rows", type=int, default=32)
    a.add_argument("--steps", type=int, default=20)
    a.add_argument("--out", default="runs/agents-measure")
    a.add_argument("--set", action="append", default=[], help="config override KEY=VALUE (as rewardkit train --set)")
    o = sub.add_parser("overhead")
    o.add_argument("--rows", type=int, default=20000)
    o.add_argument("--reward", action="append", default=None)
    o.add_argument("--out", default="runs/agents-overhead")
    args = p.parse_args()
    if args.cmd == "overhead" and not args.reward:
        args.reward = ["format.tags", "math.equivalence"]
    agent(args) if args.cmd == "agent" else overhead(args)


if __name__ == "__main__":
    main()
