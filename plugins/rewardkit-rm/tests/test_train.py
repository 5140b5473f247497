"""``rewardkit rm train`` on a tiny model built from a config, and the pair helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit_rm.command import rm
from rewardkit_rm.models import META_FILE
from rewardkit_rm.pairs import Pair, cap_per_prompt, pairwise_accuracy, read_pairs, split_by_prompt

PAIRS = [Pair(f"p{i % 5}", f"good {i}", f"bad {i}") for i in range(40)]


def test_cap_per_prompt_is_reproducible():
    capped = cap_per_prompt(PAIRS, 3, seed=1)
    assert len(capped) == 15
    assert capped == cap_per_prompt(PAIRS, 3, seed=1)
    assert cap_per_prompt(PAIRS, None) == PAIRS


def test_split_keeps_each_prompt_on_one_side():
    train, held = split_by_prompt(PAIRS, 0.4, seed=0)
    assert len(train) + len(held) == len(PAIRS)
    assert {p.prompt for p in held} and not {p.prompt for p in train} & {p.prompt for p in held}
    assert split_by_prompt(PAIRS, 0.0)[1] == []
    with pytest.raises(ValueError, match="eval fraction"):
        split_by_prompt(PAIRS, 1.0)


def test_pairwise_accuracy_counts_ties_half_and_skips_none():
    assert pairwise_accuracy([1.0, 0.5, 0.2, None], [0.0, 0.5, 0.9, 1.0]) == (0.5, 3)


def test_read_pairs_names_a_missing_column(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"prompt": "q", "chosen": "a"}) + "\n")
    with pytest.raises(rewardkit.DataError, match="'rejected'"):
        read_pairs(path)


def test_read_pairs_accepts_chat_messages(tmp_path):
    path = tmp_path / "p.jsonl"
    row = {"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "a"}],
           "rejected": "b"}
    path.write_text(json.dumps(row) + "\n")
    assert read_pairs(path) == [Pair("q", "a", "b")]


@pytest.mark.slow
def test_train_writes_a_model_that_rm_classifier_loads(tiny_lm, pairs_file, tmp_path):
    out = tmp_path / "rm"
    result = CliRunner().invoke(rm, [
        "train", str(pairs_file), "--base", str(tiny_lm), "--out", str(out), "--max-steps", "3",
        "--batch-size", "4", "--max-length", "64", "--eval-fraction", "0.25", "--device", "cpu",
        "--max-pairs-per-prompt", "1",
    ])
    assert result.exit_code == 0, result.output
    assert "pairwise accuracy on 3 held-out pairs" in result.output  # 12 prompts x 1 pair, 3 prompts held out
    meta = json.loads((out / META_FILE).read_text())
    assert meta["train_pairs"] == 9 and meta["eval_pairs"] == 3 and meta["max_length"] == 64
    assert meta["calibration"]["std"] > 0 and meta["calibration"]["split"] == "held-out"
    assert json.loads((out / "config.json").read_text())["architectures"] == ["Qwen2ForSequenceClassification"]
    values = rewardkit.reward("rm.classifier", model=str(out), device="cpu")(["<answer>3</answer>"], prompts=["q"])
    assert 0.0 <= values[0] <= 1.0


@pytest.mark.slow
def test_train_with_lora_saves_a_merged_classifier(tiny_lm, pairs_file, tmp_path):
    out = tmp_path / "rm"
    result = CliRunner().invoke(rm, [
        "train", str(pairs_file), "--base", str(tiny_lm), "--out", str(out), "--max-steps", "2", "--lora",
        "--lora-r", "4", "--eval-fraction", "0", "--device", "cpu", "--max-length", "64",
    ])
    assert result.exit_code == 0, result.output
    assert "no held-out pairs" in result.output
    assert not (out / "adapter_config.json").exists()
    assert json.loads((out / META_FILE).read_text())["calibration"]["split"] == "train"
    r = rewardkit.reward("rm.classifier", model=str(out), device="cpu")
    assert r.score(["a", "b"]).statuses == [rewardkit.Status.VALUE] * 2


def test_train_refuses_a_non_empty_out(pairs_file, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(rm, ["train", str(pairs_file), "--base", "x", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not empty" in result.output


def test_train_names_a_missing_base(pairs_file, tmp_path):
    result = CliRunner().invoke(rm, ["train", str(pairs_file), "--base", str(tmp_path / "nope"),
                                     "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "no such model folder" in result.output


def test_train_names_a_bad_pairs_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(rm, ["train", str(bad), "--base", "all-MiniLM-L6-v2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output


def test_cli_lists_rm_and_import_stays_light():
    code = (
        "import sys, rewardkit_rm, rewardkit\n"
        "rewardkit.rewards()\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'trl') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "REWARDKIT_LOAD_PLUGINS": "rm"}  # other plugins' imports are theirs to keep light
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"
    help_text = subprocess.run([sys.executable, "-m", "rewardkit", "rm", "train", "--help"],
                               capture_output=True, text=True, check=True, env=env).stdout
    assert "--max-pairs-per-prompt" in help_text and "--lora" in help_text
