"""Regression test: a command missing an optional dependency names the extra (issue 19, defect 10)."""

from __future__ import annotations

import subprocess
import sys


def test_bench_without_pyarrow_names_the_extra(tmp_path):
    data = tmp_path / "one.jsonl"
    data.write_text('{"completion": "<answer>1</answer>"}\n')
    code = (
        "import sys\nsys.modules['pyarrow'] = None  # as if installed without the bench extra\n"
        "from rewardkit.cli import main\n"
        f"main(['bench', {str(data)!r}, '-r', 'format.tags', '--out', {str(tmp_path / 'out')!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "needs pyarrow, which is not installed: pip install 'rewardkit[bench]'" in out.stderr


def test_a_null_completion_in_a_file_is_a_clear_error_not_an_empty_string(tmp_path):
    """Defect 10: a None completion was scored as ""."""
    from click.testing import CliRunner

    from rewardkit.cli import cli

    data = tmp_path / "rows.jsonl"
    data.write_text('{"completion": "<answer>1</answer>"}\n{"completion": null}\n')
    out = CliRunner().invoke(cli, ["score", "-r", "format.tags", "-f", str(data), "--json"])
    assert out.exit_code == 1
    assert "completion 1 must be text or chat messages, got NoneType" in out.output


def test_score_json_carries_the_reason_code(core_plugin):
    import json

    from click.testing import CliRunner

    from rewardkit.cli import cli

    out = CliRunner().invoke(cli, ["score", "-r", "t.misbehave", "-c", "nan", "--json"])
    item = json.loads(out.output.splitlines()[0])["t.misbehave"]
    assert item["status"] == "error" and item["reason"] == "range" and "NaN" in item["message"]
