"""A reward that executes text from its inputs: declared at register(), shown by `rewardkit rewards`,
refused by `rewardkit serve`'s policy unless the operator lists it (issue 30 item 6, issue 31 item 1)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.errors import RewardkitError
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.serve.policy import Policy, PolicyError
from rewardkit.spec import build_spec


def _length(*, completions, prompts):
    return [float(len(c) > 0) for c in completions]


class Executing:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(_length, name="xin.runs", description="pretends to run its inputs", executes_inputs=True)
        register(_length, name="xin.plain", description="runs nothing")


@pytest.fixture
def executing_plugin():
    register_plugin(Executing, "xin")
    yield
    unregister_plugin("xin")


def test_declared_at_register_and_described(executing_plugin):
    described = rewardkit.rewards()
    assert described["xin.runs"]["executes_inputs"] is True
    assert described["xin.plain"]["executes_inputs"] is False
    with pytest.raises(RewardkitError, match="executes_inputs must be True or False"):
        build_spec(_length, name="xin.bad", description="x", executes_inputs="yes")


def test_rewards_command_shows_it(executing_plugin):
    from rewardkit.cli import cli

    out = CliRunner().invoke(cli, ["rewards", "xin.runs", "xin.plain"])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if "xin.runs" in x)
    assert "executes inputs" in line
    assert "executes inputs" not in next(x for x in out.output.splitlines() if "xin.plain" in x)
    as_json = json.loads(CliRunner().invoke(cli, ["rewards", "--json", "xin.runs"]).output)
    assert as_json[0]["executes_inputs"] is True


def test_serve_policy_refuses_it_unless_the_operator_lists_it(executing_plugin):
    with pytest.raises(PolicyError, match="executes text from its inputs") as info:
        Policy().apply("xin.runs", {}, None)
    assert info.value.field == "reward"
    with pytest.raises(PolicyError, match="executes_inputs") as info:
        Policy.from_dict({"rewards": ["xin.*"]}).apply("xin.runs", {}, None, where="composite[1].")
    assert info.value.field == "composite[1].reward"
    assert Policy().apply("xin.plain", {}, None) == ({}, None)
    allowed = Policy.from_dict({"executes_inputs": ["xin.run*"]})
    assert allowed.apply("xin.runs", {}, None) == ({}, None)
    assert allowed.describe()["executes_inputs"] == ["xin.run*"]
    assert not Policy().serves("xin.runs") and Policy().serves("xin.plain") and allowed.serves("xin.runs")
    with pytest.raises(RewardkitError, match="executes_inputs must be a list"):
        Policy.from_dict({"executes_inputs": "xin.runs"})


def test_v1_rewards_lists_it_only_when_the_operator_serves_it(executing_plugin):
    from fastapi.testclient import TestClient

    from rewardkit.serve.app import create_app
    from rewardkit.serve.limits import ServeSettings

    for policy, listed in ((Policy(), False), (Policy.from_dict({"executes_inputs": ["xin.*"]}), True)):
        with TestClient(create_app(ServeSettings(policy=policy))) as client:
            names = [r["name"] for r in client.get("/v1/rewards").json()]
            refused = client.post("/v1/score", json={"reward": "xin.runs", "completions": ["a"]})
        assert ("xin.runs" in names) is listed and "xin.plain" in names
        assert (refused.status_code == 403) is not listed, refused.text
