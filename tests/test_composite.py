"""Composite rewards: shaping, gating, weights, statistics and the non-negativity check."""

import pytest

import rewardkit
from rewardkit import Composite, CompositeError, Term
from rewardkit.composite import shape


def test_shaping_arithmetic():
    assert shape(0.0, "unit", -1.0, 1.0) == 0.5
    assert shape(-1.0, "unit", -1.0, 1.0) == 0.0
    assert shape(3.0, "unit", 1.0, 5.0) == 0.5
    assert shape(-0.3, "clip", -1.0, 1.0) == 0.0
    assert shape(0.7, "clip", -1.0, 1.0) == 0.7
    assert shape(-0.3, "none", -1.0, 1.0) == -0.3
    assert shape(None, "unit", 0.0, 1.0) is None


def test_weighted_total_and_per_term_values(core_plugin):
    c = Composite([Term(rewardkit.reward("t.length", scale=10), weight=2.0),
                   Term(rewardkit.reward("t.signed"), weight=0.5)])
    s = c.score(["abcde", "-abcdefghij"])
    assert s.shaped["t.length"] == [0.5, 1.0]
    assert s.shaped["t.signed"] == [1.0, 0.0]  # unit shaping of [-1, 1]
    assert s.total == [2 * 0.5 + 0.5 * 1.0, 2 * 1.0 + 0.0]
    assert c.nonnegative


def test_gating_counts_a_term_only_when_the_gate_passes(core_plugin):
    c = Composite([
        Term(rewardkit.reward("t.contains"), weight=1.0),
        Term(rewardkit.reward("t.length", scale=10), weight=1.0, gate="t.contains", gate_min=1.0),
    ])
    s = c.score(["42 xxxxxxx", "yyyyyyyyyy"], answer=["42", "42"])
    assert s.shaped["t.length"] == [1.0, 0.0]
    assert s.total == [2.0, 0.0]


def test_errors_are_not_applicable_by_default_and_counted(core_plugin):
    c = Composite([Term(rewardkit.reward("t.misbehave")), Term(rewardkit.reward("t.length"))])
    s = c.score(["nan", "raise"])
    assert s.shaped["t.misbehave"] == [None, None]
    assert s.total == [0.3, 0.5]  # only t.length counts
    stats = s.stats()
    assert stats["t.misbehave"].error == 2 and stats["t.misbehave"].none == 0
    assert stats["total"].mean == pytest.approx(0.4)
    zero = Composite([Term(rewardkit.reward("t.misbehave"))], on_error="zero").score(["nan"])
    assert zero.total == [0.0]


def test_all_none_total_is_none(core_plugin):
    s = Composite([Term(rewardkit.reward("t.misbehave"))]).score(["none"])
    assert s.total == [None]


def test_negative_weight_or_raw_negative_range_is_refused(core_plugin):
    with pytest.raises(CompositeError, match=r"term 't.length' can make the total reward negative: its weight -1.0 is negative"):
        Composite([Term(rewardkit.reward("t.length"), weight=-1.0)])
    with pytest.raises(CompositeError, match=r"shaping is 'none' and its range \(-1.0, 1.0\) goes below 0"):
        Composite([Term(rewardkit.reward("t.signed"), shaping="none")])
    allowed = Composite([Term(rewardkit.reward("t.signed"), shaping="none")], allow_negative=True)
    assert not allowed.nonnegative
    assert allowed(["-x"]) == [-1.0]
    # clip keeps a raw negative range non-negative
    assert Composite([Term(rewardkit.reward("t.signed"), shaping="clip")]).nonnegative


def test_from_config_errors_name_the_key(core_plugin):
    with pytest.raises(CompositeError, match=r"reward\[0\].wieght: unknown key \(did you mean 'weight'\?\)"):
        Composite.from_config([{"name": "t.length", "wieght": 1}])
    with pytest.raises(CompositeError, match=r"reward\[1\]: unknown reward 't.nope'"):
        Composite.from_config([{"name": "t.length"}, {"name": "t.nope"}])
    with pytest.raises(CompositeError, match=r"reward\[0\]: reward 't.length', parameter 'scale'"):
        Composite.from_config([{"name": "t.length", "params": {"scale": -2}}])
    with pytest.raises(CompositeError, match=r"gate 't.lenght' is not a term \(did you mean 't.length'\?\)"):
        Composite.from_config([{"name": "t.length"}, {"name": "t.signed", "gate": "t.lenght"}])
    with pytest.raises(CompositeError, match="negative"):
        Composite.from_config([{"name": "t.length", "weight": -0.5}])
    c = Composite.from_config([{"name": "t.length", "params": {"scale": 2}, "weight": 0.5, "alias": "len"}])
    assert c.names == ["len"] and c(["ab"]) == [0.5]


def test_from_config_names_the_host_option_keys(core_plugin):
    with pytest.raises(CompositeError, match=r"reward\[0\].timeout: reward 't.length', parameter 'timeout': must be a positive"):
        Composite.from_config([{"name": "t.length", "timeout": -1}])
    with pytest.raises(CompositeError, match=r"reward\[0\].columns: .*columns maps 'gold', which the reward does not read"):
        Composite.from_config([{"name": "t.contains", "columns": {"gold": "x"}}])
