"""The command line: plugins, rewards and score."""

import json

from click.testing import CliRunner

from rewardkit.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plugins_json_lists_name_version_hooks():
    out = run("plugins", "--load", "--json")
    assert out.exit_code == 0
    data = {p["name"]: p for p in json.loads(out.output)}
    assert data["format"]["distribution"] == "rewardkit-format"
    assert "rewardkit_register_rewards" in data["format"]["hooks"]
    assert "format.tags" in data["format"]["rewards"]


def test_rewards_lists_columns_range_cost(core_plugin):
    out = run("rewards", "--json", "t.contains")
    assert json.loads(out.output)[0]["columns"] == ["answer"]
    table = run("rewards")
    assert "t.contains" in table.output and "format.tags" in table.output


def test_score_one_completion_with_params_and_columns(core_plugin):
    out = run("score", "-r", "t.length:scale=4", "-r", "t.contains", "-c", "ab 42", "--column", "answer=42", "--json")
    assert out.exit_code == 0
    row = json.loads(out.output.strip().splitlines()[0])
    assert row["t.length"] == {"value": 1.0, "status": "value"}
    assert row["t.contains"]["value"] == 1.0


def test_score_a_file(core_plugin, tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"completion": "ab", "gold": {"answer": "ab"}}\n{"completion": "xyz", "gold": {"answer": "q"}}\n')
    out = run("score", "-r", "t.contains", "-f", str(f), "--map", "answer=gold.answer", "--json")
    assert out.exit_code == 0, out.output
    assert [json.loads(l)["t.contains"]["value"] for l in out.output.strip().splitlines()] == [1.0, 0.0]


def test_friendly_errors(core_plugin, tmp_path):
    out = CliRunner().invoke(cli, ["score", "-r", "t.lenght", "-c", "x"])
    assert out.exit_code == 1 and "unknown reward 't.lenght' (did you mean 't.length'?)" in out.output
    out = CliRunner().invoke(cli, ["score", "-r", "t.length:scale=zero", "-c", "x"])
    assert out.exit_code == 1 and "parameter 'scale': expected float or int, got str 'zero'" in out.output
    out = CliRunner().invoke(cli, ["score", "-r", "t.contains", "-c", "x"])
    assert "needs column 'answer'" in out.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"completion": "a"}\n{"completion": \n')
    out = CliRunner().invoke(cli, ["score", "-r", "t.length", "-f", str(bad)])
    assert out.exit_code == 1 and f"{bad}:2: malformed JSON line" in out.output
