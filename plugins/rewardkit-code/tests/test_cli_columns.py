"""Tests never on argv: ``rewardkit score --column-file COL=PATH`` (or ``-`` for stdin)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rewardkit.cli import cli

PROGRAM = "```python\nprint(int(input()) * 2)\n```"


def _score(args: list[str], stdin: str | None = None) -> dict:
    result = CliRunner().invoke(cli, ["score", "-r", "code.passes", "-c", PROGRAM, "--json", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])["code.passes"]


def test_column_from_a_file(tmp_path):
    path = tmp_path / "tests.json"
    path.write_text(json.dumps({"inputs": ["2\n"], "outputs": ["4\n"]}))
    assert _score(["--column-file", f"tests={path}"])["value"] == 1.0
    path.write_text(json.dumps({"inputs": ["2\n"], "outputs": ["5\n"]}))
    assert _score(["--column-file", f"tests={path}"])["value"] == 0.0


def test_column_from_stdin():
    assert _score(["--column-file", "tests=-"], stdin=json.dumps({"inputs": ["3\n"], "outputs": ["6\n"]}))["value"] == 1.0
