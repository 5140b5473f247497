"""Hostile programs end within the deadline, leave no process, and the sandbox keeps working."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from rewardkit_code.sandbox import Limits, Sandbox, leftover_processes

ROOT = os.geteuid() == 0
FAST = Limits(wall=2.0, cpu=2)


def _hostile(sandbox: Sandbox, program: str, limits: Limits = FAST):
    start = time.monotonic()
    run = sandbox.run(program, limits=limits)
    took = time.monotonic() - start
    assert took < limits.wall + 2.0, f"took {took:.1f}s"
    assert leftover_processes(os.getpid()) == []
    again = sandbox.run("print(6 * 7)")  # the sandbox still works
    assert again.ok and again.stdout == b"42\n"
    return run


def test_plain_run(sandbox):
    run = sandbox.run("import sys\nprint(sum(map(int, sys.stdin.read().split())))", stdin=b"1 2 3\n")
    assert run.ok and run.stdout == b"6\n"


def test_infinite_loop_times_out(sandbox):
    run = _hostile(sandbox, "while True:\n    pass\n")
    assert not run.ok and (run.timeout or run.signal is not None)


def test_sleeping_program_is_killed_at_the_wall_deadline(sandbox):
    run = _hostile(sandbox, "import time\ntime.sleep(60)\n", Limits(wall=0.5))
    assert run.timeout


@pytest.mark.skipif(not ROOT, reason="RLIMIT_NPROC per program needs its own uid (root)")
def test_fork_bomb(sandbox):
    run = _hostile(sandbox, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")
    assert not run.ok


def test_huge_allocation_fails(sandbox):
    run = _hostile(sandbox, "x = bytearray(20 * 1024 ** 3)\nprint('allocated')\n")
    assert not run.ok and b"allocated" not in run.stdout and b"MemoryError" in run.stderr


def test_huge_file_is_stopped(sandbox):
    program = "f = open('big', 'wb')\nblock = b'x' * (1 << 20)\nfor _ in range(10 * 1024):\n    f.write(block)\n"
    run = _hostile(sandbox, program)
    assert not run.ok


@pytest.mark.skipif(not ROOT, reason="the uid sweep needs root; without it only the process group is killed")
def test_busy_orphans_that_leave_the_session_are_killed(sandbox):
    program = (
        "import os\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            while True: pass\n"
        "        os._exit(0)\n"
        "print('parent done')\n"
    )
    run = _hostile(sandbox, program)
    assert run.stdout == b"parent done\n"


def test_network_connect_fails(sandbox):
    if sandbox.info.get("network"):
        pytest.skip("no network namespace here: " + sandbox.info["network"])
    program = (
        "import socket\ns = socket.socket()\ns.settimeout(1)\n"
        "try:\n    s.connect(('127.0.0.1', 22))\n    print('connected')\n"
        "except OSError as e:\n    print('blocked', e.errno)\n"
    )
    run = _hostile(sandbox, program)
    assert run.stdout.startswith(b"blocked")


@pytest.mark.skipif(not ROOT, reason="another uid cannot signal the zygote only when programs get their own uid")
def test_killing_the_parent_fails(sandbox):
    zygote = sandbox.info["pid"]
    program = (
        f"import os\nfor pid in (os.getppid(), {zygote}, 1):\n    try:\n        os.kill(pid, 9)\n"
        "        print('killed', pid)\n    except OSError:\n        print('denied')\n"
    )
    run = _hostile(sandbox, program)
    assert f"killed {zygote}".encode() not in run.stdout  # (bwrap: its parent is its own namespace's init)
    assert sandbox.info["pid"] == zygote  # not restarted: it survived
    os.kill(zygote, 0)


def test_environment_is_cleared_and_dir_is_fresh(sandbox):
    os.environ["REWARDKIT_SECRET_PROBE"] = "s3cret"
    try:
        sandbox.close()
        sandbox.start()
        program = "import os\nprint(sorted(os.environ))\nprint(os.listdir('.'))\nopen('left', 'w').write('x')\n"
        first = sandbox.run(program)
        second = sandbox.run(program)
    finally:
        del os.environ["REWARDKIT_SECRET_PROBE"]
    assert b"REWARDKIT_SECRET_PROBE" not in first.stdout
    assert first.stdout.splitlines()[1] == b"[]" and second.stdout.splitlines()[1] == b"[]"


def test_stdout_is_capped(sandbox):
    run = _hostile(sandbox, "while True:\n    print('x' * 10000)\n", Limits(wall=2.0, output_bytes=1 << 16))
    assert run.truncated and len(run.stdout) <= 1 << 16


def test_a_dead_zygote_is_replaced():
    box = Sandbox()
    try:
        box.start()
        os.kill(box.info["pid"], 9)
        run = box.run("print(1)")  # found dead (now or mid-request): a fresh zygote runs it
        assert run.ok and run.stdout == b"1\n"
    finally:
        box.close()


needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@needs_bwrap
def test_bwrap_hides_the_filesystem_and_network(sandbox):
    # a world-readable host file outside /tmp (the ns backend's own tmpfs hides a checkout in /tmp)
    probe = Path("/etc/passwd")
    program = (
        f"import os, socket\nprint(os.path.exists({str(probe)!r}), sorted(os.listdir('/'))[:3])\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n    print('connected')\n"
        "except OSError:\n    print('blocked')\n"
    )
    fork, wrapped = sandbox.run(program, backend="fork"), sandbox.run(program, backend="bwrap")
    assert wrapped.ok, wrapped.stderr
    assert fork.stdout.startswith(b"True")  # without bwrap the program sees world-readable files
    assert wrapped.stdout.startswith(b"False") and wrapped.stdout.endswith(b"blocked\n")


@needs_bwrap
@pytest.mark.skipif(not ROOT, reason="RLIMIT_NPROC per program needs its own uid (root)")
@pytest.mark.parametrize("program", [
    "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "import os\nif os.fork() == 0:\n    os.setsid()\n    while True: pass\nprint('parent done')\n",
    "x = bytearray(20 * 1024 ** 3)\n",
], ids=["fork-bomb", "orphan", "20GB"])
def test_bwrap_hostile(sandbox, program):
    start = time.monotonic()
    run = sandbox.run(program, backend="bwrap", limits=FAST)
    assert time.monotonic() - start < FAST.wall + 2.0
    assert leftover_processes(os.getpid()) == []
    assert run.stdout in (b"", b"parent done\n")


def test_stderr_over_its_cap_is_drained_not_fatal(sandbox):
    program = "import sys\nfor _ in range(2000):\n    sys.stderr.write('debug ' * 100 + '\\n')\nprint('answer')\n"
    run = sandbox.run(program)
    assert run.ok and run.stdout == b"answer\n" and len(run.stderr) == 1 << 16


def test_harness_folder_holds_only_the_harness_readable_by_every_uid():
    """bubblewrap binds one folder at /rk: the harness files and their bytecode, outside the zygote's
    private /tmp (CI cloned into /tmp and every bwrap run failed with "Can't find source path")."""
    from rewardkit_code import _view

    here = Path(_view.__file__).parent
    out = _view.harness_dir(here)
    assert not str(out).startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".py") == sorted(_view.HARNESS_FILES)
    assert all((out / n).read_bytes() == (here / n).read_bytes() for n in _view.HARNESS_FILES)
    assert all(os.stat(p).st_mode & 0o005 == 0o005 for p in (out, *out.parents))
