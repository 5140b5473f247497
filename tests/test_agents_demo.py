"""The agents learning proof (scripts/agents.sh -> examples/agents/learn.py) end to end on a tiny random Qwen2."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

AGENTS = Path(__file__).resolve().parents[1] / "examples" / "agents"
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("rewardkit_tools", "rewardkit_math", "trl", "matplotlib")),
    reason="needs rewardkit-tools, rewardkit-math, trl and matplotlib")


@pytest.fixture()
def learn():
    sys.path.insert(0, str(AGENTS))
    import learn as module

    yield module
    sys.path.remove(str(AGENTS))


def test_rows_are_distinct_and_the_shipped_training_rows_are_seed_0(learn):
    train = learn.make_rows(200, seed=0)
    held = learn.make_rows(50, seed=1, exclude=[r["question"] for r in train])
    assert not {r["question"] for r in train} & {r["question"] for r in held}
    assert all(int(r["answer"]) == r["a"] * r["b"] and 100 <= r["a"] <= 999 and 10 <= r["b"] <= 99 for r in train)
    shipped = [json.loads(x) for x in (AGENTS / "multiply_train.jsonl").read_text().splitlines()]
    assert shipped == train


def test_sft_transcripts_use_the_tool_format_and_train_only_assistant_turns(learn, tmp_path):
    from rewardkit.tiny import save_tiny

    tok = learn.tool_tokenizer(save_tiny(tmp_path / "tiny"))
    row = learn.make_rows(1, seed=0)[0]
    msgs = learn.transcript(row, use_tool=True)
    ids, labels = learn.sft_example(tok, msgs, learn.tool_specs())
    trained = tok.decode([i for i, lab in zip(ids, labels) if lab != -100])
    assert '<tool_call>\n{"name": "calculate", "arguments": {"expression": "964 * 59"}}\n</tool_call>' in trained
    assert "<answer>56876</answer>" in trained
    assert "tool_response" not in trained and "What is" not in trained   # neither the tool's text nor the prompt
    text = tok.apply_chat_template(msgs, tools=learn.tool_specs(), tokenize=False)
    assert "Tools: calculate(expression)" in text and "<tool_response>\n56876\n</tool_response>" in text


def test_generated_calls_are_parsed_as_trl_parses_them(learn, tmp_path):
    """The evaluation reads a generated call as a tool call (it read it as text before: no prefix given)."""
    from rewardkit.tiny import save_tiny

    tok, specs = learn.tool_tokenizer(save_tiny(tmp_path / "tiny")), learn.tool_specs()
    prompt = tok.apply_chat_template([{"role": "user", "content": "What is 237 * 82?"}], tools=specs,
                                     add_generation_prompt=True, tokenize=False)
    text = '<tool_call>\n{"name": "calculate", "arguments": {"expression": "237 * 82"}}\n</tool_call><|im_end|>'
    msg = learn.parse_turn(tok, prompt, tok(text, add_special_tokens=False)["input_ids"], specs)
    assert msg["tool_calls"][0]["function"] == {"name": "calculate", "arguments": {"expression": "237 * 82"}}
    answer = learn.parse_turn(tok, prompt, tok("<answer>5</answer><|im_end|>", add_special_tokens=False)["input_ids"],
                              specs)
    assert answer == {"role": "assistant", "content": "<answer>5</answer>"}


def test_rollouts_run_the_calculator_and_score(learn):
    calls = [{"type": "function", "function": {"name": "calculate", "arguments": {"expression": "964 * 59"}}}]
    from calculator import Calculator

    assert learn.run_call(Calculator(), calls[0]) == {"role": "tool", "name": "calculate", "content": "56876"}
    assert "error" in learn.run_call(Calculator(), {"function": {"name": "calculate", "arguments": "{bad"}})["content"]
    row = learn.make_rows(1, seed=0)[0]
    traj = [{"role": "assistant", "content": "", "tool_calls": calls},
            {"role": "tool", "name": "calculate", "content": "56876"},
            {"role": "assistant", "content": "<answer>56876</answer>"}]
    flat = [{"role": "assistant", "content": "<answer>56000</answer>"}]
    flags = learn.score([traj, flat], [row, row])
    assert flags == {"correct": [True, False], "well_formed_call": [True, False], "result_used": [True, False]}


@pytest.mark.slow
def test_the_whole_pipeline_on_a_tiny_model(learn, tmp_path):
    from rewardkit.tiny import save_tiny

    tiny = save_tiny(tmp_path / "tiny")
    out = tmp_path / "run"
    figures = learn.main(["--model", str(tiny), "--out", str(out), "--eval-items", "4", "--train-rows", "8",
                          "--sft-rows", "8", "--sft-steps", "2", "--sft-batch", "4", "--steps", "1",
                          "--max-new-tokens", "8", "--set", "model.dtype=float32", "--set", "grpo.num_generations=2",
                          "--set", "grpo.per_device_train_batch_size=2", "--set", "grpo.max_completion_length=16"])
    assert [e["label"] for e in figures["evaluations"]] == ["untrained", "SFT only", "SFT + GRPO (1 steps)"]
    assert {"p_mcnemar", "gained", "lost", "gain_points"} <= set(figures["trained_vs_sft"])
    assert figures["sft"]["steps"] == 2 and len(figures["sft"]["losses"]) == 2
    for name in ("agents.json", "eval_items.json", "reward_curve.png", "grpo/metrics.jsonl", "grpo/samples.jsonl"):
        assert (out / name).is_file(), name
    steps = [json.loads(x) for x in (out / "grpo" / "metrics.jsonl").read_text().splitlines()]
    assert any("math.equivalence" in x.get("terms", {}) for x in steps)
    assert figures["train_rollouts"]["steps"] == 1
    again = learn.main(["--model", str(tiny), "--out", str(out), "--eval-items", "4", "--train-rows", "8",
                        "--max-new-tokens", "8", "--set", "model.dtype=float32", "--reuse"])   # evaluate again only
    assert again["sft"]["reused"] and again["grpo_seconds"] == 0.0
    assert [e["correct"] for e in again["evaluations"]] == [e["correct"] for e in figures["evaluations"]]


def test_the_shipped_gpu_config_loads_with_per_turn_terms():
    from rewardkit.train.config import load_config

    cfg = load_config(AGENTS / "calculator-qwen2.5-gpu.toml", check_output=False)
    tables = {t["name"]: t for t in cfg.composite.config()}
    assert tables["tools.call_format"]["turns"] == "mean" and tables["tools.result_used"]["turns"] == "last"
    assert cfg.environment["max_turns"] == 2 and len(cfg.rows) == 200
