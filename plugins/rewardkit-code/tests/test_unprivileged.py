"""Without root the sandbox still runs, cleans up and (with user namespaces) has no network.

Runs a small client as an unprivileged uid under the system interpreter (the sandbox module is
standard-library only), so this is tested on any root host that has /usr/bin/python3.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[1] / "rewardkit_code" / "sandbox.py"
PYTHON = "/usr/bin/python3"
UID = 4242

CLIENT = r'''
import importlib.util, json, os, sys, warnings
warnings.simplefilter("ignore")
import types
pkg = types.ModuleType("rkc"); pkg.__path__ = [os.path.dirname(sys.argv[1])]; sys.modules["rkc"] = pkg
import rkc.sandbox as mod
box = mod.Sandbox(); box.start()
out = {"info": box.info}
out["plain"] = box.run("print(int(input()) * 2)", stdin=b"21\n").stdout.decode()
orphans = "import os\nfor _ in range(3):\n    if os.fork() == 0:\n        os.setsid()\n        while True: pass\nprint('done')\n"
out["orphans"] = box.run(orphans, limits=mod.Limits(wall=1)).stdout.decode()
mine = []
for entry in os.listdir("/proc"):
    try:
        if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == os.getuid():
            mine.append(int(entry))
    except OSError:
        pass
out["processes"] = sorted(mine)
out["me"] = [os.getpid(), box.info["pid"]]
net = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n    print('connected')\n"
net += "except OSError:\n    print('blocked')\n"
out["network"] = box.run(net).stdout.decode()
out["loop_timeout"] = box.run("while True: pass", limits=mod.Limits(wall=0.5)).timeout
box.close()
print(json.dumps(out))
'''


def _readable_by_others(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in [path.parent, *path.parents])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged uid")
@pytest.mark.skipif(not os.path.exists(PYTHON), reason=f"needs {PYTHON}")
def test_unprivileged_sandbox():
    if not _readable_by_others(SANDBOX):
        pytest.skip("the plugin source is not readable by other users")

    def demote() -> None:
        os.setgroups([])
        os.setgid(UID)
        os.setuid(UID)

    proc = subprocess.run([PYTHON, "-c", CLIENT, str(SANDBOX)], capture_output=True, text=True, timeout=60,
                          preexec_fn=demote, cwd="/tmp", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["info"]["privileged"] is False
    assert out["plain"] == "42\n" and out["orphans"] == "done\n" and out["loop_timeout"] is True
    assert out["processes"] == sorted(out["me"])  # the orphans are gone: only the client and its zygote
    if out["info"]["network"]:
        pytest.skip("no unprivileged network namespace here: " + out["info"]["network"])
    assert out["network"] == "blocked\n"
