"""``rewardkit.reward("NAME:k=v")`` is accepted like ``-r`` and ``rewardkit.remote`` (issue 34)."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit.errors import ParameterError


def test_name_with_params_equals_keywords() -> None:
    spelled = rewardkit.reward("format.tags:tags=[\"answer\"],timeout=7")
    keyword = rewardkit.reward("format.tags", tags=["answer"], timeout=7)
    assert spelled.name == "format.tags"
    assert spelled.signature == keyword.signature
    assert spelled.timeout == keyword.timeout == 7
    done = ["<answer>4</answer>", "4"]
    assert spelled(done) == keyword(done)


def test_param_given_twice_is_refused() -> None:
    with pytest.raises(ParameterError, match="given twice"):
        rewardkit.reward("format.tags:tags=[\"a\"]", tags=["b"])
    with pytest.raises(ParameterError, match="timeout"):
        rewardkit.reward("format.tags:timeout=3", timeout=4)
