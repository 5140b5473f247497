"""The main job's exact pipeline (rewardkit.demo.run: held-out split, greedy eval, GRPO through
rewardkit.train.grpo.train, eval, statistics, curve) on a tiny random Qwen2, for 2 steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("rewardkit_gym")

from rewardkit import demo  # noqa: E402


def test_wilson_interval_brackets_the_proportion():
    lo, hi = demo.wilson(30, 200)
    assert lo < 0.15 < hi and 0.10 < lo and hi < 0.21
    assert demo.wilson(0, 10)[0] == 0.0 and demo.wilson(10, 10)[1] == pytest.approx(1.0)


def test_two_proportion_p_value():
    assert demo.two_proportion_p(20, 200, 20, 200) == pytest.approx(1.0)
    # 10% -> 25% on 200 items each: z = 3.94
    assert demo.two_proportion_p(20, 200, 50, 200) == pytest.approx(8.1e-5, rel=0.05)
    assert demo.two_proportion_p(0, 10, 0, 10) == 1.0


def test_mcnemar_exact():
    assert demo.mcnemar_p(0, 0) == 1.0
    assert demo.mcnemar_p(5, 5) == 1.0
    assert demo.mcnemar_p(12, 1) == pytest.approx(2 * 14 / 2 ** 13)


def test_shipped_config_is_valid(tmp_path):
    from rewardkit.train.config import load_config

    cfg = load_config(demo.config_path(), [f"output.dir={json.dumps(str(tmp_path / 'g'))}"])
    assert cfg.task["dataset"].startswith("reasoning-gym:")
    assert cfg.composite.names == ["gym.score", "format.strict"]
    held = demo.held_out_rows(cfg, 50)
    train_questions = {r["__row__"]["question"] for r in cfg.rows}
    assert len(held) == 50 and not train_questions & {r["question"] for r in held}



def test_gsm8k_benchmark_grpo_config_can_train_lora_over_bf16(tmp_path):
    """benchmarks/learning's GRPO stage in the main job's setup: LoRA adapters over a bf16 base."""
    from rewardkit.demo_gsm8k import grpo_config
    from rewardkit.train.config import load_config

    terms = [{"name": "format.tags", "weight": 0.5}]
    data = grpo_config("some/model", tmp_path / "g", steps=2, rows=4, max_completion_length=32, rewards=terms,
                       lora=True, dtype="bfloat16")
    cfg = load_config(data=data)
    assert cfg.model["dtype"] == "bfloat16" and cfg.model["lora"]["r"] == 16
    default = load_config(data=grpo_config("some/model", tmp_path / "h", steps=2, rows=4, max_completion_length=32,
                                           rewards=terms))
    assert default.model["dtype"] == "float32" and not default.model["lora"]

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def test_main_job_pipeline_on_tiny_qwen2(tiny_model, tmp_path):
    out = tmp_path / "main"
    lines: list[str] = []
    figures = demo.run(out=out, eval_items=6, steps=2, overrides=[
        f"model.name={json.dumps(str(tiny_model))}", "task.size=8", "grpo.num_generations=2",
        "grpo.per_device_train_batch_size=4", "grpo.max_completion_length=4"], log=lines.append)
    assert figures["steps"] == 2
    assert figures["before"]["n"] == figures["after"]["n"] == 6
    assert 0.0 <= figures["p_two_proportion"] <= 1.0
    assert figures["peak_rss_gb"] > 0
    saved = json.loads((out / "main.json").read_text())
    assert saved["table"] == figures["table"] and len(saved["curve"]) == 2
    assert (out / "reward_curve.png").stat().st_size > 1000
    adapter = json.loads((out / "grpo" / "final" / "adapter_config.json").read_text())  # the config trains LoRA
    assert adapter["base_model_name_or_path"] == str(tiny_model)
    assert json.loads((tiny_model / "config.json").read_text())["model_type"] == "qwen2"
    assert any("two-proportion p" in line for line in lines)
