"""The reward contract: validation of returned batches, parameters, columns and signatures."""

import math

import pytest

import rewardkit
from rewardkit import MissingColumnError, ParameterError, Status, UnknownRewardError


def test_values_none_and_contract_breaks_become_outcomes(core_plugin):
    r = rewardkit.reward("t.misbehave")
    s = r.score(["ok", "nan", "inf", "big", "str", "none"])
    assert s.statuses == [Status.VALUE, Status.ERROR, Status.ERROR, Status.ERROR, Status.ERROR, Status.NONE]
    assert s.values == [0.5, None, None, None, None, None]
    assert "NaN" in s.messages[1] and "inf" in s.messages[2]
    assert "outside its declared range [0.0, 1.0]" in s.messages[3]
    assert "returned str" in s.messages[4]
    assert all("'t.misbehave'" in m for m in s.messages.values())
    assert s.counts == {"value": 1, "none": 1, "error": 4, "timeout": 0}


def test_wrong_length_is_an_error_for_every_item(core_plugin):
    s = rewardkit.reward("t.misbehave").score(["a", "short", "b"])
    assert s.statuses == [Status.ERROR] * 3
    assert "returned 2 values for 3 completions" in s.messages[0]


def test_a_row_that_raises_does_not_sink_the_batch(core_plugin):
    r = rewardkit.reward("t.misbehave")
    s = r.score(["a", "raise", "b"])
    assert s.values == [0.5, None, 0.5]
    assert s.statuses[1] is Status.ERROR
    assert "RuntimeError" in s.messages[1] and "cannot score 'raise'" in s.messages[1]
    assert r.totals["error"] == 1 and r.totals["value"] == 2  # counted where the caller can read it


def test_calling_returns_plain_values(core_plugin):
    assert rewardkit.reward("t.length", scale=4)(["ab", "abcdef"]) == [0.5, 1.0]


def test_bad_parameters_fail_at_build_naming_reward_and_parameter(core_plugin):
    with pytest.raises(ParameterError, match=r"reward 't.length', parameter 'scale': must be >= 1.0"):
        rewardkit.reward("t.length", scale=0.5)
    with pytest.raises(ParameterError, match=r"parameter 'scale': expected float or int, got str"):
        rewardkit.reward("t.length", scale="big")
    with pytest.raises(ParameterError, match=r"parameter 'scal': unknown parameter \(did you mean 'scale'\?\)"):
        rewardkit.reward("t.length", scal=3)


def test_unknown_reward_suggests_close_names(core_plugin):
    with pytest.raises(UnknownRewardError, match=r"unknown reward 't.lenght' \(did you mean 't.length'\?\)"):
        rewardkit.reward("t.lenght")


def test_missing_column_names_the_column(core_plugin):
    r = rewardkit.reward("t.contains")
    with pytest.raises(MissingColumnError, match=r"reward 't.contains' needs column 'answer', which is missing \(available: reference\)"):
        r(["x"], reference=["y"])
    assert r(["it is 42", "no"], answer=["42", "42"]) == [1.0, 0.0]
    with pytest.raises(ValueError, match="column 'answer' has 1 rows for 2 completions"):
        r(["a", "b"], answer=["1"])


def test_chat_messages_become_text(core_plugin):
    r = rewardkit.reward("t.contains")
    completions = [[{"role": "assistant", "content": "so 42"}], {"role": "assistant", "content": "7"}]
    assert r(completions, answer=[42, 42]) == [1.0, 0.0]


def test_signature_names_plugin_version_reward_and_params(core_plugin):
    r = rewardkit.reward("t.length", scale=4)
    assert r.signature == 't==0:t.length{"scale":4.0}'
    assert rewardkit.reward("t.length").signature != r.signature


def test_rewards_lists_metadata(core_plugin):
    meta = rewardkit.rewards()["t.contains"]
    assert meta["columns"] == ["answer"] and meta["cost"] == "fast" and meta["plugin"] == "t"
    assert meta["range"] == [0.0, 1.0]


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"name": "NoDot"}, "name must look like"),
        ({"name": "t.x", "description": ""}, "description is required"),
        ({"name": "t.x", "range": (1, 0)}, "lo < hi"),
        ({"name": "t.x", "cost": "gpu"}, "cost must be one of"),
        ({"name": "t.x", "params": {"completions": 1}}, "reserved"),
    ],
)
def test_registration_is_validated(meta, message):
    from rewardkit.errors import RegistrationError
    from rewardkit.spec import build_spec

    kwargs = {"description": "d", **meta}
    with pytest.raises(RegistrationError, match=message):
        build_spec(lambda **_: [], **kwargs)


def test_cpu_rewards_must_be_picklable():
    from rewardkit.errors import RegistrationError
    from rewardkit.spec import build_spec

    with pytest.raises(RegistrationError, match="module-level functions"):
        build_spec(lambda **_: [], name="t.lam", description="d", cost="cpu")


def test_numpy_scalars_are_accepted():
    from rewardkit.outcomes import check_value

    np = pytest.importorskip("numpy")
    assert check_value("r", 0, 1, np.float32(0.25))[:3] == (Status.VALUE, 0.25, None)
    assert check_value("r", 0, 1, True)[1] == 1.0
    assert check_value("r", 0, 1, math.nan)[0] is Status.ERROR


def test_columns_map_a_declared_column_to_another_data_column(core_plugin):
    r = rewardkit.reward("t.contains", columns={"answer": "gold"})
    assert r.columns == ["gold"]
    assert r(["it is 42"], gold=["42"]) == [1.0]
    with pytest.raises(MissingColumnError, match="needs column 'gold'"):
        r(["x"], answer=["42"])
    with pytest.raises(ValueError, match=r"columns maps 'anwser', which the reward does not read \(did you mean 'answer'\?\)"):
        rewardkit.reward("t.contains", columns={"anwser": "gold"})
    c = rewardkit.Composite.from_config([{"name": "t.contains", "columns": {"answer": "gold"}}])
    assert c.columns == ["gold"] and c(["42"], gold=["42"]) == [1.0]
