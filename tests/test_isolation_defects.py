"""Regression tests for the worker pool defects of issue 19 (each failed before the fix)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rk_hostile

from rewardkit import isolation
from rewardkit.isolation import WorkerPool

SUPPORT = Path(__file__).parent / "support"


def _items(values, text=""):
    return [(text, "", {"value": v}) for v in values]


@pytest.mark.timeout(120)
def test_forked_child_gets_its_own_pool():
    """Defect 1: parent and child shared the pool and received each other's results."""
    pool = isolation.get_pool()
    assert pool.map(rk_hostile.echo, {}, _items([0.5]), timeout=30) == [("ok", [0.5])]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own values, through what get_pool() gives it
        code = 1
        try:
            os.close(r)
            mine = [0.11 + i / 1000 for i in range(20)]
            got = [x.payload[0] for x in isolation.get_pool().map(rk_hostile.echo, {}, _items(mine, "delay0.01"), timeout=30)]
            os.write(w, json.dumps(got == mine).encode())
            isolation.get_pool().close()
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    mine = [0.91 + i / 1000 for i in range(20)]
    got = [x.payload[0] for x in pool.map(rk_hostile.echo, {}, _items(mine, "delay0.01"), timeout=30)]
    _, status = os.waitpid(pid, 0)
    child_ok = os.read(r, 100)
    os.close(r)
    assert got == mine
    assert status == 0 and child_ok == b"true"


def test_result_that_fails_to_unpickle_is_an_item_error_and_the_next_call_is_clean():
    """Defect 2: a result that failed to unpickle escaped map and left the other items in flight."""
    pool = WorkerPool(size=2)
    try:
        items = [("", "", {})]
        out = pool.map(rk_hostile.unpicklable, {}, items, timeout=30)
        assert out[0].kind == "type" and "could not be read back" in out[0].payload
        assert pool.map(rk_hostile.echo, {}, _items([0.13, 0.14]), timeout=30) == [("ok", [0.13]), ("ok", [0.14])]
    finally:
        pool.close()


def test_interrupted_map_leaves_no_stale_results(monkeypatch):
    """Defect 2: after a KeyboardInterrupt in map, the next call returned the earlier call's values."""
    pool = WorkerPool(size=2)
    try:
        real_wait = isolation.wait
        calls = {"n": 0}

        def interrupted_wait(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise KeyboardInterrupt
            return real_wait(*args, **kwargs)

        monkeypatch.setattr(isolation, "wait", interrupted_wait)
        with pytest.raises(KeyboardInterrupt):
            pool.map(rk_hostile.echo, {}, _items([0.91, 0.92]), timeout=30)
        monkeypatch.setattr(isolation, "wait", real_wait)
        assert pool.map(rk_hostile.echo, {}, _items([0.13, 0.14]), timeout=30) == [("ok", [0.13]), ("ok", [0.14])]
    finally:
        pool.close()


@pytest.mark.parametrize("bad", [math.inf, -1.0, 0, math.nan, 1e12, "5"])
def test_non_finite_timeout_is_rejected_and_does_not_poison_the_pool(bad):
    """Defect 3: timeout=inf raised OverflowError and then poisoned every later cpu call."""
    pool = WorkerPool(size=1)
    try:
        with pytest.raises(ValueError, match="timeout"):
            pool.map(rk_hostile.echo, {}, _items([0.5]), timeout=bad)
        assert pool.map(rk_hostile.echo, {}, _items([0.5]), timeout=30) == [("ok", [0.5])]
    finally:
        pool.close()


@pytest.mark.timeout(60)
def test_partial_frame_does_not_block_past_the_deadline():
    """Defect 10: a partial frame on a worker pipe blocked the host past the item's deadline."""
    pool = WorkerPool(size=1)
    try:
        pool.map(rk_hostile.echo, {}, _items([0.5]), timeout=30)  # warm: the module is loaded
        start = time.monotonic()
        out = pool.map(rk_hostile.partial_frame, {}, [("", "", {})], timeout=1.0)
        assert out[0].kind == "timeout"
        assert time.monotonic() - start < 30
    finally:
        pool.close()


@pytest.mark.timeout(60)
def test_grandchildren_of_a_killed_worker_die_with_it(tmp_path):
    """Defect 10: a worker's own children outlived it when it was killed."""
    pidfile = tmp_path / "pid"
    pool = WorkerPool(size=1)
    try:
        out = pool.map(rk_hostile.spawner, {}, [("", "", {"pidfile": str(pidfile)})], timeout=3.0)
        assert out[0].kind == "timeout"
    finally:
        pool.close()
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.1)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.timeout(120)
def test_a_printing_worker_does_not_corrupt_the_hosts_stdout():
    """Defect 10: a worker that printed corrupted the host's --json output."""
    code = (
        f"import sys; sys.path.insert(0, {str(SUPPORT)!r})\n"
        "import json, rk_hostile\n"
        "from rewardkit.isolation import WorkerPool\n"
        "pool = WorkerPool(size=1)\n"
        "out = pool.map(rk_hostile.printer, {}, [('', '', {})], timeout=30)\n"
        "pool.close()\n"
        "print(json.dumps(out[0].payload))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[0.5]\n"
    assert "NOISE FROM A WORKER" in done.stderr


@pytest.mark.timeout(120)
def test_workers_and_their_children_die_with_a_killed_host(tmp_path):
    """Defect 10: grandchildren of a worker outlived the host (here: a host killed by SIGKILL mid-item)."""
    import signal

    pidfile = tmp_path / "pid"
    code = (
        f"import sys; sys.path.insert(0, {str(SUPPORT)!r})\n"
        "import rk_hostile\n"
        "from rewardkit.isolation import WorkerPool\n"
        "pool = WorkerPool(size=1)\n"
        f"pool.map(rk_hostile.spawner, {{}}, [('', '', {{'pidfile': {str(pidfile)!r}}})], timeout=600)\n"
    )
    host = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (pidfile.exists() and pidfile.read_text()):
            time.sleep(0.1)
        grandchild = int(pidfile.read_text())
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.2)
    assert not _alive(grandchild)
