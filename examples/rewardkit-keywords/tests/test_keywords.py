"""Tests of rewardkit-keywords: what the reward computes, and the reward contract."""

import pytest

import rewardkit
from rewardkit.testing import SampleList, assert_contract, reward_names


def test_share_of_keywords_found():
    r = rewardkit.reward("keywords.coverage")
    got = r(
        ["Apples and pears.", "Only an apple here.", "Nothing.", "anything"],
        keywords=[["apples", "pears"], "apple, pear", ["banana"], []],
    )
    assert got == [1.0, 0.5, 0.0, None]


def test_whole_words_unless_asked():
    text = ["We concatenate strings."]
    assert rewardkit.reward("keywords.coverage")(text, keywords=[["cat"]]) == [0.0]
    assert rewardkit.reward("keywords.coverage", match="substring")(text, keywords=[["cat"]]) == [1.0]


def test_case_sensitive():
    r = rewardkit.reward("keywords.coverage", case_sensitive=True)
    assert r(["Paris is big"], keywords=[["paris", "Paris"]]) == [0.5]


def test_bad_parameter_is_refused_when_built():
    with pytest.raises(rewardkit.ParameterError, match="'fuzzy' is not one of"):
        rewardkit.reward("keywords.coverage", match="fuzzy")


@pytest.mark.parametrize("name", reward_names("keywords"))
def test_contract(name):
    assert_contract(name, columns={"keywords": ["answer", "42"]})


def test_contract_with_per_row_keywords():
    assert_contract("keywords.coverage", completions=["a b", "c"], columns={"keywords": SampleList([["a"], "c, d"])})
