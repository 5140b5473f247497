"""PyPI's harbor-rewardkit installs a top-level package also named ``rewardkit`` (issue 34, the name).

Decision (docs/serve.md, "The name rewardkit"): rewardkit keeps its name; importing it in an
environment where harbor-rewardkit is installed raises an ImportError naming the conflict and the
fix. Before: nothing said so; the two packages overwrote each other's files and the failures came later.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _import_with(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", "import rewardkit"], capture_output=True, text=True, env=env,
                          timeout=120)


def test_import_names_harbor_rewardkit(tmp_path: Path) -> None:
    info = tmp_path / "harbor_rewardkit-0.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harbor-rewardkit\nVersion: 0.2.3\n")
    done = _import_with(tmp_path)
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "harbor-rewardkit 0.2.3 is installed" in done.stderr
    assert "pip uninstall -y harbor-rewardkit" in done.stderr


def test_import_without_harbor(tmp_path: Path) -> None:
    assert _import_with(tmp_path).returncode == 0
