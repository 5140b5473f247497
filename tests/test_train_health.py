"""Failed scores never train as zeros, and the hacking alarm stops a run: real GRPOTrainer runs on a tiny Qwen2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardkit.plugins import register_plugin, unregister_plugin

pytest.importorskip("trl")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def plugin():
    import rk_health_plugins

    rk_health_plugins.BATCHES.update(hackable=0, strict=0)
    register_plugin(rk_health_plugins.HealthPlugin, "h")
    yield rk_health_plugins
    unregister_plugin("h")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def config(tiny_model: Path, out: Path, **top):
    from rewardkit.train.config import load_config

    data = {
        "model": {"name": str(tiny_model), "gradient_checkpointing": False},
        "task": {"dataset": "gsm8k", "limit": 8},
        "grpo": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 8,
                 "max_steps": 1, "learning_rate": 1e-4, "seed": 0, "beta": 0.0, "save_strategy": "no"},
        "output": {"dir": str(out), "save_final": False},
        **top,
    }
    return load_config(data=data)


def trl_batch(trainer) -> tuple[list[str], list[list[float]], list[float]]:
    """The completions, per-function rewards and advantages TRL computed for its last batch."""
    logs = trainer._logs
    names = list(logs["rewards"])
    rewards = [[logs["rewards"][n][i] for n in names] for i in range(len(logs["completion"]))]
    completions = [c if isinstance(c, str) else c[-1]["content"] for c in logs["completion"]]
    return completions, rewards, list(logs["advantages"])


def run_one_step(cfg):
    from rewardkit.train.grpo import build_trainer

    run = build_trainer(cfg)
    run.trainer.train()
    return run.trainer


REWARDS = [{"name": "h.letters", "weight": 1.0}, {"name": "h.slow", "weight": 1.0}]


def test_rows_that_time_out_get_advantage_zero_and_leave_the_group_mean_alone(tiny_model, tmp_path, plugin):
    trainer = run_one_step(config(tiny_model, tmp_path / "drop", reward=REWARDS))
    completions, rewards, adv = trl_batch(trainer)
    timed_out = [plugin.chosen(c) for c in completions]
    assert any(timed_out) and not all(timed_out)
    for i, r in enumerate(rewards):
        # a timed-out row is None in every term function, so NaN in every column TRL holds
        assert all(math.isnan(x) for x in r) == timed_out[i]
        if timed_out[i]:
            assert adv[i] == 0.0
    mixed = 0
    for g in range(0, len(rewards), 4):  # TRL's groups: num_generations consecutive rows
        kept = [i for i in range(g, g + 4) if not timed_out[i]]
        totals = [sum(rewards[i]) for i in kept]
        mixed += 0 < len(kept) < 4
        if len(kept) >= 2:
            mean = sum(totals) / len(kept)
            std = math.sqrt(sum((t - mean) ** 2 for t in totals) / (len(kept) - 1))
            for i, t in zip(kept, totals):  # the baseline is the mean of the scored rows only
                assert adv[i] == pytest.approx((t - mean) / (std + 1e-4), abs=1e-4)
    assert mixed >= 1  # at least one group had both timed-out and scored rows
    logged = trainer.state.log_history[0]
    assert logged["rewardkit/dropped"] == sum(timed_out)
    assert logged["rewardkit/h.slow/timeouts"] == sum(timed_out)
    lines = map(json.loads, (tmp_path / "drop" / "metrics.jsonl").read_text().splitlines())
    line = [x for x in lines if "terms" in x][0]
    assert line["total"]["dropped"] == sum(timed_out) and line["terms"]["h.slow"]["timeout"] == sum(timed_out)


def test_skip_shows_the_old_behaviour(tiny_model, tmp_path, plugin):
    trainer = run_one_step(config(tiny_model, tmp_path / "skip", reward=REWARDS, on_error="skip"))
    completions, rewards, adv = trl_batch(trainer)
    timed_out = [plugin.chosen(c) for c in completions]
    assert any(timed_out)
    for i, r in enumerate(rewards):
        assert math.isnan(r[1]) == timed_out[i] and not math.isnan(r[0])  # scored on h.letters alone
    for g in range(0, len(rewards), 4):  # every row, timed-out ones included, is in the baseline
        assert sum(adv[g:g + 4]) == pytest.approx(0.0, abs=1e-3)
    assert trainer.state.log_history[0]["rewardkit/dropped"] == 0


def test_hacking_alarm_fires_where_the_curves_part_and_stop_saves_a_checkpoint(tiny_model, tmp_path, plugin):
    from rewardkit.train.grpo import last_checkpoint, train

    out = tmp_path / "hack"
    cfg = config(tiny_model, out, reward=[{"name": "h.hackable"}], audit=[{"name": "h.strict"}], on_alarm="stop",
                 grpo={"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 4,
                       "max_steps": 8, "learning_rate": 1e-4, "seed": 0, "beta": 0.0, "save_strategy": "no"},
                 alarms={"off": ["no_signal"]})
    result = train(cfg)
    assert result.stopped_by_alarm == plugin.PART_AT and result.global_step == plugin.PART_AT
    assert [(a.step, a.name, a.subject) for a in result.alarms] == [(plugin.PART_AT, "hacking", "h.strict")]
    assert last_checkpoint(out).name == f"checkpoint-{plugin.PART_AT}"
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [x for x in lines if "terms" in x]
    assert [x["audit"]["h.strict"]["mean"] for x in steps] == pytest.approx([0.6, 0.6, 0.6, 0.1])
    alarm = [x for x in lines if x.get("event") == "alarm"]
    assert alarm[0]["alarm"] == "hacking" and alarm[0]["step"] == plugin.PART_AT
    saved = (out / alarm[0]["samples"]).read_text().splitlines()
    assert saved and json.loads(saved[0])["audit"] == {"h.strict": pytest.approx(0.1)}
    assert lines[-1]["event"] == "end" and lines[-1]["alarms"][0]["alarm"] == "hacking"


def test_warn_keeps_training_and_the_audit_never_trains(tiny_model, tmp_path, plugin):
    from rewardkit.train.grpo import train

    out = tmp_path / "warn"
    cfg = config(tiny_model, out, reward=[{"name": "h.hackable"}], audit=[{"name": "h.strict"}],
                 grpo={"num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 4,
                       "max_steps": 5, "learning_rate": 1e-4, "seed": 0, "beta": 0.0, "save_strategy": "no"},
                 alarms={"off": ["no_signal"]})
    result = train(cfg)
    assert result.global_step == 5 and result.stopped_by_alarm is None
    assert [a.name for a in result.alarms] == ["hacking"]
    steps = [x for x in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "terms" in x]
    assert len(steps) == 5 and all(set(x["audit"]) == {"h.strict"} for x in steps)
    # TRL trains on h.hackable only: the audit term is not one of its reward functions
    assert all("rewards/h.hackable/mean" in x["trl"] and not any("h.strict" in k for k in x["trl"]) for x in steps)
