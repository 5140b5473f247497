"""A tiny GRPO run (TRL, 2 steps) whose rewards are scored by a live ``rewardkit serve``."""

from __future__ import annotations

import math
import re

import pytest

import rewardkit

pytest.importorskip("trl")
httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow

from rk_serve_fixture import serve  # noqa: E402


def test_grpo_trains_through_remote_rewards(tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from rewardkit.tiny import tiny_qwen2, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_qwen2(tok)
    data = Dataset.from_list([
        {"prompt": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)} for i in range(8)
    ])
    with serve(tmp_path, "-r", "t.contains") as server:
        length = rewardkit.remote(server.url, "t.length:scale=16")
        contains = rewardkit.remote(server.url, "t.contains", batch_size=3)
        args = GRPOConfig(
            output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4,
            max_completion_length=8, max_steps=2, logging_steps=1, report_to=[], use_cpu=True,
            save_strategy="no", bf16=False, learning_rate=1e-3, seed=0,
        )
        trainer = GRPOTrainer(model=model, reward_funcs=[length, contains], args=args, train_dataset=data,
                              processing_class=tok)
        trainer.train()
        metrics = httpx.get(server.url + "/metrics").text
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 2
    for name in ("t.length", "t.contains"):
        assert f"rewards/{name}/mean" in logs[0]  # TRL logs each remote function under its name
        assert f"rewardkit/{name}/error" in logs[0]
    assert all(math.isfinite(h["reward"]) for h in logs)
    assert length.totals["items"] == contains.totals["items"] == 8  # 2 steps x 4 completions
    assert length.totals["error"] == length.totals["timeout"] == 0
    scored = re.search(r'rewardkit_items_total\{endpoint="/v1/score"\} (\S+)', metrics)
    assert scored and float(scored.group(1)) == 16.0
