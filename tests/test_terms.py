"""Term configuration has one owner (rewardkit.terms): host options apart from parameters, defaults, checks.

``NAME:timeout=5`` used to pass ``timeout`` both as a reward parameter and as the host option
(``TypeError: got multiple values for keyword argument 'timeout'``) in a ``[[reward]]`` table's
``params``, in ``serve -r a:timeout=5 -r b`` and in ``rewardkit.remote(url, "a:timeout=5")``.
"""

import pytest

import rewardkit
from rewardkit import terms
from rewardkit.errors import ParameterError


def test_timeout_inside_params_is_the_host_deadline_in_a_config(core_plugin):
    comp = terms.composite_from_config({"reward": [{"name": "t.sleepy", "params": {"timeout": 5}},
                                                   {"name": "t.length", "params": {"scale": 4, "timeout": 2.5}}]})
    sleepy, length = (t.reward for t in comp.terms)
    assert sleepy.timeout == 5.0 and sleepy.params == {}
    assert length.timeout == 2.5 and length.params == {"scale": 4.0}


def test_reward_arguments_with_timeout_build_a_composite(core_plugin):
    from rewardkit.serve.defaults import build_default, spec_from_args

    comp = build_default(spec_from_args(None, ["t.sleepy:timeout=5", "t.length:scale=4,timeout=3"]))
    assert [t.reward.timeout for t in comp.terms] == [5.0, 3.0]
    single = build_default(spec_from_args(None, ["t.sleepy:timeout=5"]))
    assert single.timeout == 5.0


def test_remote_sends_the_deadline_as_the_request_field_not_a_parameter():
    from rewardkit.remote import _target_body

    body = _target_body("a.b:k=1,timeout=5,columns={\"answer\": \"gold\"}", None, {})
    assert body == {"reward": "a.b", "params": {"k": 1}, "timeout": 5, "column_map": {"answer": "gold"}}


def test_columns_inside_params_map_columns(core_plugin):
    r = terms.bind("t.contains", {"columns": {"answer": "gold"}})
    assert r(["x 42"], gold=["42"]) == [1.0]


def test_an_option_given_twice_with_different_values_names_the_key(core_plugin):
    with pytest.raises(ParameterError, match="timeout.*given twice"):
        terms.bind("t.sleepy", {"timeout": 5}, timeout=6)
    assert terms.bind("t.sleepy", {"timeout": 5}, timeout=5).timeout == 5.0
    with pytest.raises(rewardkit.CompositeError, match=r"reward\[0\].*given twice"):
        rewardkit.Composite.from_config([{"name": "t.sleepy", "timeout": 1, "params": {"timeout": 2}}])


def test_a_bad_timeout_inside_params_is_a_clear_error(core_plugin):
    with pytest.raises(rewardkit.CompositeError, match=r"reward\[0\].timeout"):
        rewardkit.Composite.from_config([{"name": "t.sleepy", "params": {"timeout": -1}}])


def test_one_owner_of_the_defaults_and_checks():
    from rewardkit import composite, isolation, spec
    from rewardkit.train import config

    assert isolation.check_timeout is terms.check_timeout
    assert composite.check_on_error is terms.check_on_error
    assert config.composite_from_config is terms.composite_from_config and config.ConfigError is terms.ConfigError
    assert spec.RewardSpec.__dataclass_fields__["timeout"].default == terms.DEFAULT_TIMEOUT
    assert set(terms.HOST_OPTIONS) <= spec.RESERVED
    assert config.TrainConfig.__dataclass_fields__["on_error"].default == terms.DEFAULT_ON_ERROR == "drop"
