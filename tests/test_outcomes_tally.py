"""Counts, mean and std come from one function (outcomes.tally), for a batch and for Scores alike."""

from __future__ import annotations

import math

from rewardkit.outcomes import Scores, Status, tally


def test_equal_values_have_exactly_zero_std():
    # a sum-of-squares std leaves ~1e-9 here, which reads as a (tiny) signal in reward-health checks
    assert tally([0.1] * 7).std == 0.0
    assert tally([1 / 3] * 1000).std == 0.0


def test_scores_statistics_are_the_tally():
    values = [0.25, None, 0.75, None, 1.0]
    statuses = [Status.VALUE, Status.ERROR, Status.VALUE, Status.NONE, Status.VALUE]
    s = Scores("r", "sig", values, statuses)
    t = tally(values, statuses)
    assert s.counts == {"value": 3, "none": 1, "error": 1, "timeout": 0}
    assert s.mean() == t.mean == 2 / 3
    assert math.isclose(s.std() or 0.0, math.sqrt(((0.25 - 2 / 3) ** 2 + (0.75 - 2 / 3) ** 2 + (1 / 3) ** 2) / 3))


def test_tallies_add_across_batches():
    a, b = tally([0.0, 1.0]), tally([1.0, None])
    both = a + b
    assert (both.count, both.n, both.none) == (4, 3, 1)
    assert both.mean == 2 / 3
