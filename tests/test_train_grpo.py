"""GRPO runs on a tiny random Qwen2 (built offline): metrics per term, temperature schedule, resume."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import rewardkit
from rewardkit.plugins import register_plugin, unregister_plugin

pytest.importorskip("trl")
pytestmark = pytest.mark.slow


class TrainPlugin:
    """ttr.gold (needs 'answer'), ttr.flaky (raises on every other item), ttr.length (no columns)."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def gold(*, completions, prompts, answer):
            return [1.0 if str(a) in c else 0.0 for c, a in zip(completions, answer)]

        calls = {"n": 0}

        def flaky(*, completions, prompts):
            calls["n"] += 1
            if len(completions) == 1 and calls["n"] % 2:
                raise RuntimeError("flaky on purpose")
            if len(completions) > 1:
                raise RuntimeError("retry item by item")
            return [0.5]

        def length(*, completions, prompts):
            return [min(1.0, len(c) / 50) for c in completions]

        register(gold, name="ttr.gold", description="gold answer appears", columns=("answer",), range=(0.0, 1.0))
        register(flaky, name="ttr.flaky", description="errors on some items", range=(0.0, 1.0))
        register(length, name="ttr.length", description="longer is better", range=(0.0, 1.0))


@pytest.fixture(autouse=True)
def plugin():
    register_plugin(TrainPlugin, "ttr")
    yield
    unregister_plugin("ttr")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def make_config(tiny_model: Path, out: Path, rewards: list[dict], resume: bool = False, **sections):
    from rewardkit.train.config import load_config

    data = {
        "model": {"name": str(tiny_model), "gradient_checkpointing": False},
        "task": {"dataset": "gsm8k", "limit": 16, "system_prompt": "Think in <think>, answer in <answer>.",
                 "assistant_prefix": "<think>"},
        "reward": rewards,
        "grpo": {"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 6,
                 "max_steps": 3, "learning_rate": 1e-4, "save_steps": 2, "seed": 0, "beta": 0.0},
        "output": {"dir": str(out), "samples": 2},
    }
    for k, v in sections.items():
        data[k] = {**data.get(k, {}), **v}
    return load_config(data=data, resume=resume)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_writes_metrics_for_every_term(tiny_model, tmp_path):
    from rewardkit.train.grpo import train

    rewards = [{"name": "format.tags", "weight": 1.0},
               {"name": "ttr.gold", "weight": 2.0, "gate": "format.tags", "gate_min": 0.0},
               {"name": "ttr.flaky", "weight": 0.5}]
    cfg = make_config(tiny_model, tmp_path / "run", rewards)
    result = train(cfg)
    out = tmp_path / "run"
    assert result.global_step == 3 and (out / "final" / "config.json").is_file()
    assert (out / "checkpoint-2").is_dir()
    lines = read_jsonl(out / "metrics.jsonl")
    assert lines[0]["event"] == "start" and set(lines[0]["signatures"]) == {"format.tags", "ttr.gold", "ttr.flaky"}
    steps = [x for x in lines if "terms" in x]
    assert [x["step"] for x in steps] == [1, 2, 3]
    for x in steps:
        assert set(x["terms"]) == {"format.tags", "ttr.gold", "ttr.flaky"}
        for stats in (*x["terms"].values(), x["total"]):
            assert set(stats) == {"mean", "std", "n", "value", "none", "error", "timeout", "dropped"}
            assert stats["value"] + stats["none"] + stats["error"] + stats["timeout"] == 2  # 2 completions per step
        # a ttr.flaky error drops its row (default on_error = "drop"): counted, never scored
        assert x["total"]["n"] + x["total"]["dropped"] == 2
        assert x["total"]["dropped"] == x["terms"]["ttr.flaky"]["error"]
        assert x["total"]["mean"] is None or x["total"]["mean"] >= 0
        assert x["dropped_fraction"] == x["total"]["dropped"] / 2 and "rewardkit/dropped" in x["trl"]
        assert "rewards/ttr.gold/mean" in x["trl"] and "loss" in x["trl"]
    flaky = [x["terms"]["ttr.flaky"] for x in steps]
    assert sum(s["error"] for s in flaky) >= 1  # errors are counted, not turned into zeros
    assert all(s["mean"] in (None, 0.5) for s in flaky)
    assert lines[-1]["event"] == "end"
    resolved = json.loads((out / "resolved_config.json").read_text())
    assert resolved["grpo"]["max_steps"] == 3 and resolved["model_path"] == str(tiny_model)
    assert json.loads((out / "rewards.json").read_text())["ttr.gold"].startswith("ttr==0:ttr.gold")
    samples = read_jsonl(out / "samples.jsonl")
    assert len(samples) == 6 and samples[0]["prompt"].endswith("<think>")
    assert set(samples[0]["rewards"]) == {"format.tags", "ttr.gold", "ttr.flaky"}


@pytest.mark.skipif(importlib.util.find_spec("rewardkit_math") is None, reason="rewardkit-math is not installed")
def test_run_with_format_and_math_rewards(tiny_model, tmp_path):
    from rewardkit.reward import rewards as registered
    from rewardkit.train.grpo import train

    if "math.equivalence" not in registered():
        pytest.skip("math.equivalence is not registered")
    rewards = [{"name": "format.tags", "weight": 1.0}, {"name": "math.equivalence", "weight": 2.0}]
    cfg = make_config(tiny_model, tmp_path / "run", rewards, grpo={"max_steps": 2})
    train(cfg)
    steps = [x for x in read_jsonl(tmp_path / "run" / "metrics.jsonl") if "terms" in x]
    assert [x["step"] for x in steps] == [1, 2]
    assert all(set(x["terms"]) == {"format.tags", "math.equivalence"} for x in steps)
    assert all(x["terms"]["math.equivalence"]["error"] == 0 for x in steps)


def test_temperature_schedule_changes_sampling(tiny_model, tmp_path):
    """The temperature that generate() really receives, and the log-prob head's, follow the schedule."""
    from rewardkit.train.callbacks import _fused_cells
    from rewardkit.train.grpo import build_trainer

    cfg = make_config(tiny_model, tmp_path / "run", [{"name": "ttr.length"}],
                      grpo={"save_strategy": "no"}, task={"assistant_prefix": ""},  # chat prompts: TRL templates them
                      generation={"temperature": 1.0, "temperature_end": 0.5, "temperature_schedule": "linear"})
    run = build_trainer(cfg)
    model = run.trainer.model
    seen, head = [], []
    original = model.generate

    def spy(*args, **kwargs):
        seen.append(kwargs["generation_config"].temperature)
        head.append([c.cell_contents for c in _fused_cells(model)])
        return original(*args, **kwargs)

    model.generate = spy
    run.trainer.train()
    assert seen == [1.0, 0.75, 0.5]
    assert head and all(h == [t] for h, t in zip(head, seen))  # log-probs are scored at the sampled temperature
    logged = [x["temperature"] for x in read_jsonl(tmp_path / "run" / "metrics.jsonl") if "terms" in x]
    assert logged == [1.0, 0.75, 0.5]
    sample = read_jsonl(tmp_path / "run" / "samples.jsonl")[0]
    assert sample["prompt"].startswith("Think in <think>") and "<|im_start|>" not in sample["prompt"]


def test_resume_after_interruption_continues_at_the_right_step(tiny_model, tmp_path):
    from transformers import TrainerCallback

    from rewardkit.train.config import ConfigError
    from rewardkit.train.grpo import last_checkpoint, train

    class Killed(Exception):
        pass

    class KillAt(TrainerCallback):
        def on_log(self, args, state, control, **kwargs):  # after step 3 is logged, before checkpoint-4
            if state.global_step == 3:
                raise Killed()

    class Steps(TrainerCallback):
        def __init__(self):
            self.begun = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.begun.append(state.global_step)

    out = tmp_path / "run"
    rewards = [{"name": "ttr.length"}]
    extra = {"grpo": {"max_steps": 4}, "generation": {"temperature_end": 0.6}}
    with pytest.raises(Killed):
        train(make_config(tiny_model, out, rewards, **extra), callbacks=[KillAt()])
    assert last_checkpoint(out).name == "checkpoint-2"
    (out / "checkpoint-9").mkdir()  # a checkpoint cut short by the kill: no trainer_state.json
    assert [x["step"] for x in read_jsonl(out / "metrics.jsonl") if "terms" in x] == [1, 2, 3]
    with pytest.raises(ConfigError, match="pass --resume"):
        make_config(tiny_model, out, rewards, **extra)

    steps = Steps()
    result = train(make_config(tiny_model, out, rewards, resume=True, **extra), resume=True, callbacks=[steps])
    assert result.resumed_from.name == "checkpoint-2"
    assert steps.begun == [2, 3] and result.global_step == 4
    lines = read_jsonl(out / "metrics.jsonl")
    logged = [x for x in lines if "terms" in x]
    assert [x["step"] for x in logged] == [1, 2, 3, 4]  # step 3 logged once, from the resumed run
    assert [x["event"] for x in lines if "event" in x] == ["start", "resume", "end"]
    assert [x["temperature"] for x in logged] == pytest.approx([1.0, 0.8667, 0.7333, 0.6], abs=1e-3)
    assert all(x["step"] <= 4 for x in read_jsonl(out / "samples.jsonl"))

    # resuming the finished run trains nothing, writes nothing and says so (issue 35: it trained a step more)
    final_written = (out / "final" / "config.json").stat().st_mtime_ns
    steps = Steps()
    again = train(make_config(tiny_model, out, rewards, resume=True, **extra), resume=True, callbacks=[steps])
    assert again.already_finished and again.global_step == 4 and steps.begun == []
    assert sorted(p.name for p in out.glob("checkpoint-*") if (p / "trainer_state.json").exists())[-1] == "checkpoint-4"
    assert len(read_jsonl(out / "metrics.jsonl")) == len(lines)
    assert (out / "final" / "config.json").stat().st_mtime_ns == final_written


def test_temperature_at_schedules():
    from rewardkit.train.callbacks import temperature_at

    assert [temperature_at(s, 5, 1.0, 0.5) for s in range(5)] == [1.0, 0.875, 0.75, 0.625, 0.5]
    cos = [temperature_at(s, 5, 1.0, 0.5, "cosine") for s in range(5)]
    assert cos[0] == 1.0 and cos[2] == pytest.approx(0.75) and cos[-1] == 0.5 and cos[1] > 0.875  # slow start
    assert temperature_at(3, 5, 0.9, 0.1, "constant") == 0.9 and temperature_at(0, 1, 0.9, 0.1) == 0.9


def test_recorder_counts_errors_apart_from_none():
    from rewardkit.composite import Composite
    from rewardkit.train.callbacks import Recorder

    for on_error in ("drop", "skip", "zero"):
        comp = Composite.from_config([{"name": "ttr.flaky"}, {"name": "ttr.length"}], on_error=on_error)
        rec = Recorder(comp.names, keep_samples=1)
        rec.wrap(comp)
        comp.score(["a", "b", "c", "d"], prompts=["p"] * 4)
        stats = rec.flush()
        flaky = stats.terms["ttr.flaky"]
        assert flaky.error == 2 and flaky.none == 0 and flaky.timeout == 0 and flaky.value == 2
        assert flaky.n == {"drop": 2, "skip": 2, "zero": 4}[on_error]
        assert stats.total.n == (2 if on_error == "drop" else 4)
        assert stats.total.dropped == (2 if on_error == "drop" else 0)
        assert stats.terms["ttr.length"].n == (2 if on_error == "drop" else 4)
        assert stats.groups == 1 and stats.length_sum == 4
        assert rec.flush().total.count == 0  # flushed


def test_truncate_after_drops_later_and_cut_short_lines(tmp_path):
    from rewardkit.train.callbacks import truncate_after

    log = tmp_path / "metrics.jsonl"
    log.write_text('{"event": "start", "step": 0}\n{"step": 1}\n{"step": 2}\n{"step": 3}\n{"step": 4, "ter')
    assert truncate_after(log, 2) == 2
    assert [json.loads(x)["step"] for x in log.read_text().splitlines()] == [0, 1, 2]
