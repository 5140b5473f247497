"""SFT warm-up: the tag-format rewrite, the shared prompt, and a couple of steps on a tiny model."""

from __future__ import annotations

import json
import math

import pytest

from rewardkit.train import sft

pytest.importorskip("trl")

TASK = {
    "dataset": "gsm8k",
    "system_prompt": "Answer as <think> reasoning </think> <answer> number </answer>",
    "user_template": "Q: {question}",
    "assistant_prefix": "Let's solve this step by step\n<think>",
}
SOLUTION = "She sold 48/2 = <<48/2=24>>24 clips in May.\nSo 48+24 = <<48+24=72>>72 in total.\n#### 72"


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tokenizer():
    from rewardkit.tiny import tiny_tokenizer

    return tiny_tokenizer()


def config(model, out, **task):
    from rewardkit.train.config import load_config

    return load_config(data={
        "model": {"name": str(model)},
        "task": {**TASK, "limit": 16, **task},
        "reward": [{"name": "format.tags"}],
        "grpo": {"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 8},
        "output": {"dir": str(out)},
    }, check_output=False)


@pytest.mark.parametrize(("prefix", "start"), [
    ("Let's solve this step by step\n<think>", "\nShe sold 48/2 = 24"),  # the open tag is already written
    ("<think>", "\nShe sold"),
    (None, "<think>\nShe sold"),
    ("Sure!", "<think>\nShe sold"),  # nothing in common: the whole target
])
def test_target_completion_continues_the_prefix(prefix, start):
    text = sft.target_completion(SOLUTION, prefix)
    assert text.startswith(start)
    assert text.endswith("So 48+24 = 72 in total.\n</think>\n<answer>72</answer>")
    assert "<<" not in text and "####" not in text


def test_target_completion_without_gold_answer():
    assert sft.target_completion("no final answer line") is None


def test_prompt_is_the_grpo_prompt(tokenizer):
    row = {"question": "How many clips?"}
    text = sft.prompt_text(tokenizer, TASK, row)
    assert text.startswith("<|im_start|>system\nAnswer as <think>")
    assert "<|im_start|>user\nQ: How many clips?<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\nLet's solve this step by step\n<think>")  # continued, not closed


def test_prompt_matches_the_grpo_trainer(tmp_path, tiny_path, tokenizer):
    from rewardkit.train.grpo import build_prompts

    cfg = config(tiny_path, tmp_path / "run")
    prompts, continued = build_prompts(cfg, tokenizer)
    assert continued
    assert prompts[:4] == [sft.prompt_text(tokenizer, cfg.task, r["__row__"]) for r in cfg.rows[:4]]


def test_prompt_without_prefix_adds_generation_prompt(tokenizer):
    text = sft.prompt_text(tokenizer, {**TASK, "assistant_prefix": None}, {"question": "2+2?"})
    assert text.endswith("<|im_start|>assistant\n")


def test_examples_pair_prompt_and_completion(tokenizer):
    rows = [{"question": "Clips?", "solution": SOLUTION}, {"question": "Bad", "solution": "no answer"}]
    ex = sft.sft_examples(tokenizer, TASK, rows)
    assert len(ex) == 1  # the row without a '#### N' line is skipped
    assert ex[0]["prompt"].endswith("<think>") and ex[0]["completion"].endswith("<answer>72</answer>")


def test_examples_name_a_missing_solution_column(tokenizer):
    with pytest.raises(ValueError, match=r"row 1 has no 'solution' column"):
        sft.sft_examples(tokenizer, TASK, [{"question": "x"}])


def _weights(path):
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


@pytest.mark.slow
def test_run_sft_trains_and_saves(tmp_path, tiny_path):
    lines = []
    result = sft.run_sft(config(tiny_path, tmp_path / "run"), max_steps=2, batch_size=2, limit=8,
                         logging_steps=1, learning_rate=1e-2, log=lines.append)
    assert result.output_dir == tmp_path / "run-sft" and result.steps == 2 and result.examples == 8
    assert result.final_loss is not None and math.isfinite(result.final_loss)
    info = json.loads((result.output_dir / "sft_config.json").read_text())
    assert info["steps"] == 2 and len(info["losses"]) == 2 and info["task"]["assistant_prefix"] == TASK["assistant_prefix"]
    before, after = _weights(tiny_path), _weights(result.output_dir)
    assert any(not (before[k] == after[k]).all() for k in before)  # the weights moved
    assert any("step 2/2 loss" in line for line in lines)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(str(result.output_dir))
    assert AutoTokenizer.from_pretrained(str(result.output_dir)).chat_template


@pytest.mark.slow
def test_run_sft_with_lora_saves_a_merged_model(tmp_path, tiny_path):
    pytest.importorskip("peft")
    result = sft.run_sft(config(tiny_path, tmp_path / "run"), output_dir=tmp_path / "lora", max_steps=1,
                         batch_size=2, limit=4, lora={"r": 4, "alpha": 8}, log=lambda s: None)
    assert (result.output_dir / "config.json").is_file()
    assert not (result.output_dir / "adapter_config.json").exists()
    assert set(_weights(result.output_dir)) == set(_weights(tiny_path))  # plain weights, no lora_A/lora_B


def test_cli_sft_runs(tmp_path, tiny_path):
    from click.testing import CliRunner

    from rewardkit.cli import cli

    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[model]\nname = "{tiny_path}"\n[task]\nlimit = 4\nassistant_prefix = "<think>"\n'
        '[[reward]]\nname = "format.tags"\n[grpo]\nnum_generations = 2\nper_device_train_batch_size = 2\n'
        f'[output]\ndir = "{tmp_path / "run"}"\n'
    )
    res = CliRunner().invoke(cli, ["sft", str(cfg), "--max-steps", "1", "--batch-size", "2", "--output", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "sft_config.json").is_file()
