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
