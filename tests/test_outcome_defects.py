"""Regression tests: any wrong return is a counted error with a reason code (issue 19, defects 6 and 10)."""

from __future__ import annotations

import math

import pytest
import rk_hostile

import rewardkit
from rewardkit import ParameterError, Status
from rewardkit.outcomes import Reason, check_batch_length, check_value
from rewardkit.plugins import register_plugin, unregister_plugin


@pytest.fixture
def hostile():
    register_plugin(rk_hostile.WrongPlugin, "h")
    yield
    unregister_plugin("h")


@pytest.mark.parametrize("name", ["h.wrong", "h.wrong_cpu"])
def test_a_dict_is_an_error_not_its_keys(hostile, name):
    s = rewardkit.reward(name).score(["dict", "x"] if name == "h.wrong" else ["dict"])
    assert set(s.statuses) == {Status.ERROR}
    assert set(s.reasons.values()) == {Reason.LENGTH}
    assert "returned dict" in s.messages[0]


@pytest.mark.parametrize("name", ["h.wrong", "h.wrong_cpu"])
def test_huge_int_and_hostile_float_are_counted_errors(hostile, name):
    r = rewardkit.reward(name)
    texts = ["ok", "huge", "badfloat"] if name == "h.wrong" else ["ok", "huge"]
    s = r.score(texts)  # no raise: the batch is kept
    assert s.values[0] == 0.5 and s.statuses[1:] == [Status.ERROR] * (len(texts) - 1)
    assert s.reasons[1] is Reason.RANGE and "too large" in s.messages[1]
    if name == "h.wrong":
        assert s.reasons[2] is Reason.TYPE
    assert r.totals["error"] == len(texts) - 1


def test_a_batch_whose_len_raises_is_a_counted_error(hostile):
    s = rewardkit.reward("h.wrong").score(["badlen", "x"])
    assert s.statuses == [Status.ERROR, Status.ERROR] and set(s.reasons.values()) == {Reason.LENGTH}


def test_check_value_never_raises():
    assert check_value("r", 0, 1, 10**400).reason is Reason.RANGE
    assert check_value("r", 0, 1, rk_hostile.BadFloat(0.5)).reason is Reason.TYPE
    assert check_value("r", 0, 1, {"a": 1}).reason is Reason.TYPE
    assert check_value("r", 0, 1, math.nan).reason is Reason.RANGE
    assert check_value("r", 0, 1, True)[:2] == (Status.VALUE, 1.0)
    assert check_batch_length("r", {"a": 1.0}, 1)[0] is None
    assert check_batch_length("r", {0.5}, 1)[0] is None


def test_every_error_and_timeout_carries_a_reason(core_plugin):
    s = rewardkit.reward("t.misbehave").score(["ok", "nan", "big", "str", "raise"])
    assert s.reasons == {1: Reason.RANGE, 2: Reason.RANGE, 3: Reason.TYPE, 4: Reason.RAISED}
    s = rewardkit.reward("t.sleepy", timeout=0.5).score(["hang", "crash", "raise", "ok"])
    assert s.reasons == {0: Reason.TIMEOUT, 1: Reason.CRASHED, 2: Reason.RAISED}
    s = rewardkit.reward("t.misbehave").score(["ok", "short"])
    assert s.reasons == {0: Reason.LENGTH, 1: Reason.LENGTH}


@pytest.mark.parametrize("bad", [math.inf, math.nan, -1, 0, 1e9, "3"])
def test_timeout_must_be_finite_and_in_range(core_plugin, bad):
    """Defect 3 (API): timeout=inf raised OverflowError later and poisoned the pool."""
    with pytest.raises(ParameterError, match="'timeout'"):
        rewardkit.reward("t.sleepy", timeout=bad)
    assert rewardkit.reward("t.sleepy")(["abc"]) == [0.3]


def test_a_string_column_is_refused_not_split_into_characters(core_plugin):
    """Defect 10: answer="56" for two completions was read as ["5", "6"]."""
    r = rewardkit.reward("t.contains")
    with pytest.raises(ValueError, match="column 'answer' must be a list with one value per completion, got str"):
        r(["5", "6"], answer="56")
    assert r(["5", "6"], answer=["5", "7"]) == [1.0, 0.0]


@pytest.mark.parametrize("bad", [None, {"foo": "bar"}, 3])
def test_a_completion_that_is_not_text_is_refused_not_scored_as_empty(core_plugin, bad):
    """Defect 10: None or a non-message dict completion was scored as ""."""
    with pytest.raises(TypeError, match="completion 1"):
        rewardkit.reward("t.length")(["abc", bad])


def test_timeout_inf_in_a_config_table_names_its_key(core_plugin):
    """Defect 3 (TOML/bench config): the composite's error names reward[0].timeout."""
    from rewardkit import Composite, CompositeError, RegistrationError
    from rewardkit.spec import build_spec

    with pytest.raises((CompositeError, ParameterError), match=r"timeout"):
        Composite.from_config([{"name": "t.sleepy", "timeout": math.inf}])
    with pytest.raises(RegistrationError, match="timeout must be a finite number"):
        build_spec(rk_hostile.wrong, name="h.x", description="x", timeout=math.inf, plugin="h", version="0")
