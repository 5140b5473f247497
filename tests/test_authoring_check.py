"""``rewardkit check-plugin``: a pass/fail table per reward; a broken plugin fails naming reward and rule."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.cli import cli
from rewardkit.plugins import register_plugin, unregister_plugin


def wrong_length(*, completions, prompts):
    return [1.0] * (len(completions) + 2)


def out_of_range(*, completions, prompts, answer):
    return [5.0 for _ in completions]


def raises_on_empty(*, completions, prompts):
    if any(not c for c in completions):
        raise IndexError("string index out of range")
    return [float(c[0].isupper()) for c in completions]


def fine(*, completions, prompts):
    return [min(1.0, len(c) / 100) for c in completions]


class Broken:
    @rewardkit.hookimpl
    def rewardkit_register_rewards(self, register):
        register(wrong_length, name="broken.wrong_length", description="One value per completion, plus two")
        register(out_of_range, name="broken.out_of_range", description="Five on a [0, 1] scale",
                 columns=("answer",))
        register(raises_on_empty, name="broken.raises_on_empty", description="Looks at the first character")
        register(fine, name="broken.fine", description="Length up to 100 characters")


@pytest.fixture
def broken():
    register_plugin(Broken(), name="broken")
    yield "broken"
    unregister_plugin("broken")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["check-plugin", *args])


def test_broken_plugin_fails_naming_reward_and_rule(broken):
    result = invoke("broken", "--long-chars", "20000")
    assert result.exit_code == 1
    out = result.output
    assert "FAIL broken.wrong_length: rule 'length'" in out
    assert "returned 10 values for 8 completions" in out
    assert "FAIL broken.out_of_range: rule 'range'" in out
    assert "outside its declared range" in out
    assert "FAIL broken.raises_on_empty: rule 'empty'" in out
    assert "raised IndexError: string index out of range" in out
    assert "FAIL broken.fine" not in out
    assert "3 of 4 reward(s) break the contract" in out
    # one table per reward, titled with its verdict
    assert "broken.fine: pass" in out and "broken.wrong_length: FAIL" in out


def test_json_rows(broken):
    result = invoke("broken.raises_on_empty", "--json", "--long-chars", "1000")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["reward"] for r in rows} == {"broken.raises_on_empty"}
    failed = [r["rule"] for r in rows if not r["passed"]]
    assert failed == ["empty"]


def test_passing_plugin_exits_zero(broken):
    result = invoke("broken.fine", "--column", "answer=42", "--long-chars", "1000")
    assert result.exit_code == 0, result.output
    assert "1 reward(s) keep the contract" in result.output


def test_column_json_values_are_accepted(broken):
    result = invoke("broken.out_of_range", "--column", 'answer=["a", "b"]', "--json", "--long-chars", "10")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["rule"] for r in rows if not r["passed"]] == ["range", "empty", "whitespace", "long", "non-ascii"]


def test_unknown_plugin_and_bad_column_argument():
    result = invoke("no_such_plugin")
    assert result.exit_code != 0
    assert "plugin 'no_such_plugin' is not installed" in result.output
    result = invoke("format", "--column", "answer")
    assert result.exit_code != 0 and "expected COL=VALUE" in result.output
