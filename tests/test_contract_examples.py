"""A reward's registered ``examples`` feed the contract kit's sample input; bad ones are refused at registration."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import rewardkit
from rewardkit.errors import RegistrationError
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.registry import registry
from rewardkit.spec import build_spec
from rewardkit.testing import check_reward

#: Every ``ids`` cell the reward below was given, to see what the kit passed.
SEEN: list[Any] = []


def share_of_ids(*, completions: list[str], prompts: list[str], ids: list[Any], answer: list[Any]) -> list[float]:
    """Share of the row's ids found in the completion; a cell that is not a list of strings is an error."""
    out = []
    for text, row in zip(completions, ids):
        if not isinstance(row, list) or not row or not all(isinstance(i, str) for i in row):
            raise TypeError(f"ids must be a non-empty list of strings, got {row!r}")
        SEEN.append(row)
        out.append(sum(i in text for i in row) / len(row))
    return out


class Plugin:
    @rewardkit.hookimpl
    def rewardkit_register_rewards(self, register):
        register(share_of_ids, name="ex.ids", description="Share of the row's ids in the completion",
                 columns=("ids", "answer"), examples={"ids": ["42", "answer"]})
        register(share_of_ids, name="ex.bare", description="The same reward, with no examples",
                 columns=("ids", "answer"))


class BadPlugin:
    @rewardkit.hookimpl
    def rewardkit_register_rewards(self, register):
        register(share_of_ids, name="exbad.ids", description="Example for a column it does not declare",
                 columns=("ids", "answer"), examples={"ids": ["42"], "kwargs": [{}]})


@pytest.fixture(scope="module")
def plugins():
    register_plugin(Plugin(), name="ex")
    register_plugin(BadPlugin(), name="exbad")
    yield
    unregister_plugin("ex")
    unregister_plugin("exbad")


def test_the_declared_example_is_the_sample_value(plugins):
    SEEN.clear()
    result = check_reward("ex.ids", long_chars=10_000)
    assert result.passed, f"\n{result}"
    assert SEEN and all(row == ["42", "answer"] for row in SEEN)
    assert registry.get("ex.ids").examples == {"ids": ["42", "answer"]}


def test_without_examples_the_fallback_breaks_a_structured_column(plugins):
    result = check_reward("ex.bare", long_chars=10_000)
    assert "errors" in {c.rule for c in result.failures}
    assert "ids must be a non-empty list of strings, got '42'" in str(result)


def test_explicit_columns_win_over_examples(plugins):
    SEEN.clear()
    assert check_reward("ex.ids", columns={"ids": ["pear"]}, long_chars=10_000).passed
    assert SEEN and all(row == ["pear"] for row in SEEN)


def test_an_example_for_an_undeclared_column_is_rejected_naming_plugin_and_reward(plugins):
    message = registry.errors()["exbad"]
    assert "plugin 'exbad'" in message and "reward 'exbad.ids'" in message
    assert "'kwargs'" in message and "does not declare" in message
    with pytest.raises(rewardkit.RewardkitError, match="exbad"):
        rewardkit.reward("exbad.ids")


@pytest.mark.parametrize("examples, message", [
    ({"kwargs": []}, r"plugin 'p': reward 'p.r': examples gives column 'kwargs', which the reward does not "
                     r"declare \(columns: 'ids'\)"),
    (["ids"], "examples must be a dict of column -> sample value, got list"),
])
def test_build_spec_checks_examples(examples, message):
    with pytest.raises(RegistrationError, match=message):
        build_spec(share_of_ids, name="p.r", description="d", columns=("ids",), examples=examples, plugin="p")


def test_cpu_examples_must_pickle():
    with pytest.raises(RegistrationError, match="must pickle"):
        build_spec(share_of_ids, name="p.r", description="d", columns=("ids",), cost="cpu",
                   examples={"ids": threading.Lock()}, plugin="p")


def test_no_examples_is_an_empty_mapping():
    assert build_spec(share_of_ids, name="p.r", description="d", columns=("ids",)).examples == {}
