"""Config keys of the training signal: on_error per term, [[audit]], [alarms], on_alarm, max_dropped_fraction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.train.config import ConfigError, load_config

BASE = {
    "model": {"name": "smollm2-135m-instruct"},
    "task": {"dataset": "gsm8k", "limit": 4},
    "reward": [{"name": "t.contains", "weight": 1.0}, {"name": "t.length", "weight": 0.5}],
    "grpo": {"num_generations": 2, "per_device_train_batch_size": 2, "max_steps": 2},
}


def cfg(tmp_path: Path, **top):
    data = {**json.loads(json.dumps(BASE)), "output": {"dir": str(tmp_path / "out")}, **top}
    return load_config(data=data)


def error(tmp_path: Path, **top) -> str:
    with pytest.raises(ConfigError) as info:
        cfg(tmp_path, **top)
    return str(info.value)


def test_defaults(core_plugin, tmp_path):
    c = cfg(tmp_path)
    assert c.on_error == "drop" and c.on_alarm == "warn" and c.audit_composite is None
    assert c.composite.max_dropped_fraction is None and c.alarms["hacking_window"] == 4 and c.alarms["off"] == []
    resolved = c.resolved()
    assert resolved["on_error"] == "drop" and resolved["on_alarm"] == "warn"
    assert resolved["alarms"]["failure_rate"] == 0.1
    assert [t["on_error"] for t in resolved["terms"]] == ["drop", "drop"]


def test_per_term_on_error_and_the_legacy_name(core_plugin, tmp_path):
    c = cfg(tmp_path, reward=[{"name": "t.contains", "on_error": "zero"}, {"name": "t.length"}], on_error="skip")
    assert [c.composite.policy(t) for t in c.composite.terms] == ["zero", "skip"]
    with pytest.warns(DeprecationWarning, match="'none' is now called 'skip'"):
        legacy = cfg(tmp_path, on_error="none")
    assert legacy.on_error == "skip" and any("on_error = 'none' is the old name of 'skip'" in n for n in legacy.notes)
    assert "reward[1].on_error: expected 'drop'" in error(tmp_path, reward=[{"name": "t.contains"},
                                                                           {"name": "t.length", "on_error": "ignore"}])


def test_audit_terms(core_plugin, tmp_path):
    c = cfg(tmp_path, audit=[{"name": "t.signed", "shaping": "none"}, {"name": "t.length", "alias": "len2"}])
    assert c.audit_composite.names == ["t.signed", "len2"] and c.resolved()["audit"][1]["alias"] == "len2"
    assert "audit[0].weight: audit terms are logged, never trained on" in error(tmp_path, audit=[{"name": "t.length",
                                                                                                   "weight": 1}])
    assert "audit: write the audit terms as an array of tables" in error(tmp_path, audit={"name": "t.length"})
    assert "audit[0]: unknown reward 't.nope'" in error(tmp_path, audit=[{"name": "t.nope"}])


def test_audit_columns_are_checked_like_reward_columns(core_plugin, tmp_path):
    msg = error(tmp_path, reward=[{"name": "t.length"}], audit=[{"name": "t.contains", "columns": {"answer": "gold"}}])
    assert "task.columns.gold: reward 't.contains' needs column 'gold'" in msg


def test_alarm_settings_and_on_alarm(core_plugin, tmp_path):
    c = cfg(tmp_path, alarms={"hacking_window": 6, "off": ["dominance"]}, on_alarm="stop", max_dropped_fraction=0.25)
    assert c.alarms["hacking_window"] == 6 and c.alarms["off"] == ["dominance"] and c.on_alarm == "stop"
    assert c.composite.max_dropped_fraction == 0.25
    assert "alarms.hacking_windw: unknown key (did you mean 'hacking_window'" in error(
        tmp_path, alarms={"hacking_windw": 3})
    assert "alarms.hacking_window: must be >= 1" in error(tmp_path, alarms={"hacking_window": 0})
    assert "alarms.off: 'dominanse' is not an alarm (did you mean 'dominance'?)" in error(
        tmp_path, alarms={"off": ["dominanse"]})
    assert "on_alarm: expected 'warn'" in error(tmp_path, on_alarm="halt")
    assert "max_dropped_fraction: expected a number in [0, 1]" in error(tmp_path, max_dropped_fraction=1.5)
