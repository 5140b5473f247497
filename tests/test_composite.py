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


def test_an_error_drops_the_whole_row_by_default_and_is_counted(core_plugin):
    c = Composite([Term(rewardkit.reward("t.misbehave")), Term(rewardkit.reward("t.length"))])
    s = c.score(["nan", "raise", "okay"])
    assert s.dropped == [True, True, False]
    assert s.total == [None, None, 0.5 + 0.4]  # never trained on t.length alone
    assert s.shaped["t.length"] == [None, None, 0.4]  # every term is None on a dropped row
    assert [st.value for st in s.total_statuses] == ["error", "error", "value"]
    stats = s.stats()
    assert stats["t.misbehave"].error == 2 and stats["t.misbehave"].none == 0 and stats["t.misbehave"].dropped == 2
    assert stats["t.length"].n == 1 and stats["t.length"].dropped == 0
    assert stats["total"].dropped == 2 and stats["total"].error == 2 and stats["total"].mean == pytest.approx(0.9)


def test_skip_leaves_the_term_out_and_zero_scores_it_zero(core_plugin):
    skip = Composite([Term(rewardkit.reward("t.misbehave")), Term(rewardkit.reward("t.length"))], on_error="skip")
    s = skip.score(["nan", "raise"])
    assert s.shaped["t.misbehave"] == [None, None] and s.total == [0.3, 0.5] and s.dropped == [False, False]
    assert s.stats()["total"].mean == pytest.approx(0.4)
    zero = Composite([Term(rewardkit.reward("t.misbehave"))], on_error="zero").score(["nan"])
    assert zero.total == [0.0]


def test_per_term_policy_overrides_the_composite_default(core_plugin):
    c = Composite.from_config([{"name": "t.misbehave", "on_error": "skip"}, {"name": "t.length"}])
    assert c.score(["nan"]).total == [0.3]
    c = Composite.from_config([{"name": "t.misbehave", "on_error": "drop"}, {"name": "t.length"}], on_error="skip")
    assert c.score(["nan"]).total == [None]
    assert [d["on_error"] for d in c.describe()] == ["drop", "skip"]
    with pytest.raises(CompositeError, match=r"reward\[0\].on_error: expected 'drop' .* got 'ignore'"):
        Composite.from_config([{"name": "t.misbehave", "on_error": "ignore"}])


def test_legacy_on_error_none_means_skip_with_a_warning(core_plugin):
    with pytest.warns(DeprecationWarning, match="'none' is now called 'skip'"):
        c = Composite.from_config([{"name": "t.misbehave"}, {"name": "t.length"}], on_error="none")
    assert c.on_error == "skip" and c.score(["nan"]).total == [0.3]


def test_stats_come_from_statuses_and_never_go_negative(core_plugin):
    """Issue 19 item 7: under on_error='zero' two errors made the None count -2."""
    c = Composite([Term(rewardkit.reward("t.misbehave")), Term(rewardkit.reward("t.length"))], on_error="zero")
    stats = c.score(["nan", "raise", "none", "okay"]).stats()
    m = stats["t.misbehave"]
    assert (m.error, m.none, m.value, m.timeout, m.count) == (2, 1, 1, 0, 4)
    assert m.n == 3 and m.mean == pytest.approx(0.5 / 3)  # the two 0.0s trained on count in the mean
    assert stats["total"].none == 0 and stats["total"].n == 4


def test_gate_on_a_failed_term_is_not_applicable_under_skip(core_plugin):
    c = Composite.from_config([{"name": "t.misbehave"}, {"name": "t.length", "gate": "t.misbehave", "gate_min": 0.1}],
                              on_error="skip")
    s = c.score(["nan", "okay"])
    assert s.shaped["t.length"] == [None, 0.4] and s.total == [None, 0.9]
    assert [st.value for st in s.statuses["t.length"]] == ["none", "value"]


def test_a_gate_that_failed_under_zero_is_closed(core_plugin):
    c = Composite.from_config([{"name": "t.misbehave", "on_error": "zero"},
                               {"name": "t.length", "gate": "t.misbehave", "gate_min": 0.1}])
    s = c.score(["nan", "okay"])
    assert s.shaped["t.misbehave"] == [0.0, 0.5] and s.shaped["t.length"] == [0.0, 0.4] and s.total == [0.0, 0.9]


def test_max_dropped_fraction_and_gate_min_are_checked(core_plugin):
    assert Composite.from_config([{"name": "t.length"}], max_dropped_fraction=0.2).max_dropped_fraction == 0.2
    with pytest.raises(CompositeError, match=r"max_dropped_fraction: expected a number in \[0, 1\], got 2"):
        Composite.from_config([{"name": "t.length"}], max_dropped_fraction=2)
    with pytest.raises(CompositeError, match=r"reward\[1\].gate_min: expected a finite number, got nan"):
        Composite.from_config([{"name": "t.length"},
                               {"name": "t.signed", "gate": "t.length", "gate_min": float("nan")}])


def test_a_composite_pickles_as_its_config(core_plugin):
    import pickle

    c = Composite.from_config([
        {"name": "t.length", "params": {"scale": 4}, "weight": 0.5, "alias": "len", "timeout": 3},
        {"name": "t.misbehave", "gate": "len", "gate_min": 0.5, "on_error": "zero"},
    ], on_error="skip", max_dropped_fraction=0.3)
    back = pickle.loads(pickle.dumps(c))
    assert back is not c and back.describe() == c.describe() and back.options() == c.options()
    assert back.terms[0].reward.timeout == 3.0
    batch = ["ab", "nan", "okay!"]
    assert back.score(batch).total == c.score(batch).total


def test_all_none_total_is_none(core_plugin):
    s = Composite([Term(rewardkit.reward("t.misbehave"))]).score(["none"])
    assert s.total == [None]


def test_negative_weight_or_raw_negative_range_is_refused(core_plugin):
    msg = r"term 't.length' can make the total reward negative: its weight -1.0 is negative"
    with pytest.raises(CompositeError, match=msg):
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
    msg = r"reward\[0\].timeout: reward 't.length', parameter 'timeout': must be a"
    with pytest.raises(CompositeError, match=msg):
        Composite.from_config([{"name": "t.length", "timeout": -1}])
    msg = r"reward\[0\].columns: .*columns maps 'gold', which the reward does not read"
    with pytest.raises(CompositeError, match=msg):
        Composite.from_config([{"name": "t.contains", "columns": {"gold": "x"}}])
