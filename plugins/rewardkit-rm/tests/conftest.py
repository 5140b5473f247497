"""Fixtures: tiny reward models built from configs (no download) and small preference-pair files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_rm(tmp_path_factory) -> Path:
    """A randomly initialised one-label Qwen2 sequence classifier with a chat-template tokenizer."""
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny_rm"), "classifier")


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    """A tiny causal LM (not a classifier): a valid base for ``rm train``, rejected by rm.classifier."""
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny_lm"), "causal")


@pytest.fixture(scope="session")
def pairs_file(tmp_path_factory) -> Path:
    """12 prompts x 2 pairs: the chosen answer holds the right number, the rejected one a wrong one."""
    path = tmp_path_factory.mktemp("pairs") / "pairs.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(12):
            for wrong in (i + 1, i + 2):
                fh.write(json.dumps({"prompt": f"What is {i} + 0?", "chosen": f"<answer>{i}</answer>",
                                     "rejected": f"<answer>{wrong}</answer>"}) + "\n")
    return path
