"""The worked external plugin in examples/rewardkit-keywords works as its README and docs say."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.cli import cli
from rewardkit.plugins import load_plugins, pm, register_plugin, unregister_plugin
from rewardkit.testing import assert_contract

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rewardkit-keywords"


@pytest.fixture(scope="module")
def keywords_plugin():
    """The example's module, registered in-process under its entry-point name (no pip needed)."""
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    (ep_name, module_name), = meta["project"]["entry-points"]["rewardkit"].items()
    load_plugins()
    if pm.get_plugin(ep_name) is not None:  # the example is pip-installed: use it as it is
        yield ep_name
        return
    spec = importlib.util.spec_from_file_location(
        module_name, EXAMPLE / module_name / "__init__.py", submodule_search_locations=[str(EXAMPLE / module_name)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    register_plugin(module, name=ep_name)
    yield ep_name
    unregister_plugin(ep_name)
    for name in [m for m in sys.modules if m == module_name or m.startswith(module_name + ".")]:
        del sys.modules[name]


def test_entry_point_names_the_module():
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert meta["project"]["entry-points"]["rewardkit"] == {"keywords": "rewardkit_keywords"}
    assert (EXAMPLE / "rewardkit_keywords" / "__init__.py").exists()


def test_scores_as_documented(keywords_plugin):
    r = rewardkit.reward("keywords.coverage")
    assert r(["Slice apples and pears."], keywords=[["apples", "pears", "lemon"]]) == [pytest.approx(2 / 3)]
    assert r(["x"], keywords=[""]) == [None]
    with pytest.raises(rewardkit.MissingColumnError, match="'keywords'"):
        r(["x"])


def test_keeps_the_contract(keywords_plugin):
    assert_contract("keywords.coverage", columns={"keywords": ["answer", "42"]})


def test_score_command_on_the_sample_file(keywords_plugin):
    result = CliRunner().invoke(cli, ["score", "-r", "keywords.coverage", "-f",
                                      str(EXAMPLE / "data" / "completions.jsonl"), "--prompt-col", "prompt", "--json"])
    assert result.exit_code == 0, result.output
    values = [json.loads(line)["keywords.coverage"]["value"] for line in result.stdout.splitlines()]
    assert values == [1.0, 0.0, 0.75, None]


def test_check_plugin_passes(keywords_plugin):
    result = CliRunner().invoke(cli, ["check-plugin", "keywords", "--column", 'keywords=["apple", "pear"]'])
    assert result.exit_code == 0, result.output
    assert "1 reward(s) keep the contract" in result.output
