"""The host's sandbox (rewardkit.sandbox, published as rewardkit.utils.run_sandboxed): a fresh bubblewrap
per run that hides the host, keeps nothing between runs, and holds the limits it is given."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rewardkit import sandbox
from rewardkit.utils import SandboxError, run_sandboxed

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
SECRET = "rk-test-secret-4242"


@needs_bwrap
def test_the_sandbox_itself_hides_the_host(tmp_path, monkeypatch):
    # code that runs in the sandbox sees no env, home, checkout or cwd, no network, and leaves nothing behind
    monkeypatch.setenv("RK_TEST_SECRET", SECRET)
    (tmp_path / "secret.txt").write_text(SECRET)
    script = f"""
import os, json, socket
seen = {{"env": os.environ.get("RK_TEST_SECRET"), "file": os.path.exists({str(tmp_path / 'secret.txt')!r}),
        "checkout": os.path.exists({str(Path(__file__).resolve())!r}), "home": os.path.exists("/root/.bashrc")}}
try:
    open({str(tmp_path / 'written')!r}, "w").write("x"); seen["wrote"] = True
except OSError:
    seen["wrote"] = False
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1); seen["net"] = True
except OSError:
    seen["net"] = False
open("/tmp/scratch", "w").write("mine")
print(json.dumps(seen))
"""
    run = run_sandboxed(script)
    assert run.ok, run.stderr
    assert json.loads(run.stdout) == {"env": None, "file": False, "checkout": False, "home": False, "wrote": False,
                                      "net": False}
    again = run_sandboxed("import os; print(os.path.exists('/tmp/scratch'))")
    assert again.stdout.strip() == b"False"  # nothing writable survives a run
    assert not (tmp_path / "written").exists() and os.environ["RK_TEST_SECRET"] == SECRET


@needs_bwrap
def test_limits_end_the_run_not_the_host():
    hog = run_sandboxed("x = bytearray(512 << 20)\nprint('allocated')", memory_mb=256)
    assert not hog.ok and b"allocated" not in hog.stdout and b"MemoryError" in hog.stderr
    spin = run_sandboxed("while True: pass", cpu=1, wall=20)
    assert not spin.ok and not spin.timeout  # the CPU limit (SIGXCPU/SIGKILL), not the wall clock
    stall = run_sandboxed("import time\ntime.sleep(60)", wall=1)
    assert stall.timeout and not stall.ok and stall.exit is None


@needs_bwrap
def test_only_the_named_packages_are_visible():
    probe = "import importlib.util, json\nprint(json.dumps([importlib.util.find_spec(n) is not None for n in ('rewardkit', 'pytest')]))"
    assert json.loads(run_sandboxed(probe).stdout) == [False, False]
    assert json.loads(run_sandboxed(probe, packages=("pytest",)).stdout) == [False, True]


def test_a_missing_bubblewrap_is_an_error_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(SandboxError, match="apt install bubblewrap"):
        run_sandboxed("print(1)")
