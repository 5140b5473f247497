"""A non-finite number is never a passing answer: rewardkit.utils' helpers and the contract kit's rule."""

from __future__ import annotations

import json

import pytest

import rewardkit
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.testing import RULES, check_reward
from rewardkit.utils import JSON_MAX_DEPTH, check_json_value, finite_float, json_loads_finite, nonfinite_numbers


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "+Infinity", "-Infinity", "1e400", "-1e999", "9" * 400])
def test_finite_float_refuses_nonfinite(text):
    assert finite_float(text) is None
    assert nonfinite_numbers(f"the answer is {text}.") == [text]


def test_finite_float_reads_numbers_and_refuses_the_rest():
    assert finite_float("42") == 42.0 and finite_float(" -1.5e3 ") == -1500.0 and finite_float(7) == 7.0
    for bad in (True, None, "x", "", [], float("nan"), float("inf")):
        assert finite_float(bad) is None
    assert nonfinite_numbers("banana info NaNa Infinite 1e30 3.5 nan_count x.inf") == []


@pytest.mark.parametrize("text", ['{"x": NaN}', "[Infinity]", '{"a": [-Infinity]}', "[1e400]", '{"s": -1e999}'])
def test_json_loads_finite_rejects_nonfinite(text):
    json.loads(text)  # the standard library accepts every one of them
    with pytest.raises(ValueError):
        json_loads_finite(text)


def test_json_depth_limit():
    ok = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    assert json_loads_finite(ok) is not None
    for deep in ("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1), "[" * 5000 + "]" * 5000):
        with pytest.raises(ValueError, match="deeper than"):
            json_loads_finite(deep)
    with pytest.raises(ValueError, match="not a finite"):
        check_json_value({"a": [1.0, float("nan")]})


# -- the contract kit's rule -------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text.strip().strip("[]{}").split(":")[-1])
    except ValueError:
        return None


def lenient(*, completions, prompts):
    """A score in [0, 1] checked the careless way: NaN slips through ``not (x < 0 or x > 1)``."""
    out = []
    for c in completions:
        x = _number(c)
        out.append(1.0 if x is not None and not (x < 0 or x > 1) else 0.0)
    return out


def careful(*, completions, prompts):
    out = []
    for c in completions:
        x = finite_float(c.strip().strip("[]{}").split(":")[-1])
        out.append(1.0 if x is not None and 0 <= x <= 1 else 0.0)
    return out


def layout(*, completions, prompts):
    """Does not read numbers at all: anything in place of them passes, and that is no hole."""
    return [1.0 if c else 0.0 for c in completions]


class Plugin:
    @rewardkit.hookimpl
    def rewardkit_register_rewards(self, register):
        register(lenient, name="nf.lenient", description="0..1 check that NaN slips through")
        register(careful, name="nf.careful", description="0..1 check through finite_float")
        register(layout, name="nf.layout", description="non-empty")


@pytest.fixture(scope="module", autouse=True)
def plugin():
    register_plugin(Plugin(), name="nf")
    yield
    unregister_plugin("nf")


def _rule(name: str):
    checks = [c for c in check_reward(name, long_chars=1000).checks if c.rule == "non-finite"]
    assert len(checks) == 1
    return checks[0]


def test_rule_is_listed():
    assert "non-finite" in RULES


def test_rule_catches_nan_passing_a_range_check():
    check = _rule("nf.lenient")
    assert not check.passed and "nan" in check.message.lower()


def test_rule_passes_a_finite_check_and_a_reward_that_reads_no_number():
    assert _rule("nf.careful").passed
    assert _rule("nf.layout").passed
