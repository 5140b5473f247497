"""The active backend is reported, and the judge process survives hostile or broken runs."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.cli import add_plugin_commands, cli
from rewardkit_code.sandbox import Limits, describe

ADD_TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="the cgroup and the uid need root")
def test_auto_is_bubblewrap_with_every_defence_here():
    found = describe("auto")
    assert found["backend"] == "bwrap" and not found["missing"] and not found["error"], found
    add_plugin_commands(cli)
    out = CliRunner().invoke(cli, ["code-sandbox", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["backend"] == "bwrap"


def test_a_judge_stuck_in_its_tests_is_replaced(sandbox):
    stuck = {"kind": "check", "tests": "def check(candidate):\n    while True:\n        pass\n", "cases": [],
             "entry_point": "add", "helpers": "", "wall": 0.5}
    run = sandbox.run("def add(a, b):\n    return a + b\n", mode="serve", tests=json.dumps(stuck).encode(),
                      limits=Limits(wall=0.5, cpu=1))
    assert not run.report  # no report, so no pass
    fine = dict(stuck, tests=ADD_TESTS)
    run = sandbox.run("def add(a, b):\n    return a + b\n", mode="serve", tests=json.dumps(fine).encode())
    assert json.loads(run.report)["cases"] == [[1, 1]]


def test_program_that_never_answers_fails_within_its_deadline():
    passes = rewardkit.reward("code.passes", entry_point="add", run_timeout=0.5)
    hang = "```python\ndef add(a, b):\n    while True:\n        pass\n```"
    honest = "```python\ndef add(a, b):\n    return a + b\n```"
    assert passes([hang, honest], tests=[ADD_TESTS, ADD_TESTS]) == [0.0, 1.0]


def test_exceptions_the_tests_expect_reach_them_as_builtins():
    tests = ("def check(candidate):\n    try:\n        candidate(-1)\n    except ValueError:\n        assert True\n"
             "    else:\n        assert False\n    assert candidate(4) == 2\n")
    program = "```python\ndef root(x):\n    if x < 0:\n        raise ValueError('negative')\n    return int(x ** 0.5)\n```"
    assert rewardkit.reward("code.passes", entry_point="root")([program], tests=[tests]) == [1.0]


def test_a_program_that_does_not_load_passes_nothing():
    tests = rewardkit.reward("code.tests")
    broken = "```python\nraise ValueError('boom')\ndef f(x):\n    return x\n```"
    assert tests([broken, broken], tests=["assert True\nassert f(1) == 1", "assert True"]) == [0.0, 0.0]
