"""Issue 25: the worker pool is shared fairly by concurrent calls and stops a cancelled call's work."""

from __future__ import annotations

import threading
import time

import pytest
import rk_hostile

from rewardkit import isolation
from rewardkit.isolation import WorkerPool


def _items(values, text=""):
    return [(text, "", {"value": v}) for v in values]


def _until(pred, limit=60.0):
    deadline = time.monotonic() + limit
    while not pred():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


@pytest.mark.timeout(120)
def test_a_small_call_finishes_while_a_large_one_is_still_running():
    """Defect 1: one call held a process-wide lock; a 1-item call waited for the whole other batch."""
    pool = WorkerPool(size=1)
    try:
        pool.map(rk_hostile.echo, {}, _items([0.0]), timeout=30)  # warm
        slow: dict[str, object] = {}
        big = threading.Thread(target=lambda: slow.setdefault("out", pool.map(
            rk_hostile.echo, {}, _items([0.1] * 6, "delay1.0"), timeout=30)))
        big.start()
        time.sleep(0.3)  # the large call is running
        small = pool.map(rk_hostile.echo, {}, _items([0.7]), timeout=30)
        still_running = big.is_alive()
        big.join(60)
        assert small == [("ok", [0.7])]
        assert still_running, "the 1-item call waited for the 6-item call to finish"
        assert slow["out"] == [("ok", [0.1])] * 6
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_two_large_calls_do_not_keep_a_third_small_one_waiting():
    """Idle extra workers are kept for starved calls: two busy tenants cannot take them all."""
    pool = WorkerPool(size=1)
    try:
        pool.map(rk_hostile.echo, {}, _items([0.0]), timeout=30)  # warm
        big = [threading.Thread(target=pool.map, args=(rk_hostile.echo, {}, _items([0.1] * 6, "delay1.0"), 30))
               for _ in range(2)]
        for t in big:
            t.start()
        time.sleep(0.3)
        small = [pool.map(rk_hostile.echo, {}, _items([0.7]), timeout=30) for _ in range(3)]
        still_running = all(t.is_alive() for t in big)
        for t in big:
            t.join(60)
        assert small == [[("ok", [0.7])]] * 3
        assert still_running, "the 1-item calls waited for the 6-item calls"
        assert pool.stats()["workers"] <= 3
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_concurrent_calls_each_get_their_own_results():
    pool = WorkerPool(size=2)
    outs: dict[int, list] = {}
    try:
        def one(k: int) -> None:
            mine = [k + i / 100 for i in range(8)]
            outs[k] = [r.payload[0] for r in pool.map(rk_hostile.echo, {}, _items(mine, "delay0.01"), timeout=30)]

        threads = [threading.Thread(target=one, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert outs == {k: [k + i / 100 for i in range(8)] for k in range(6)}
        assert pool.stats()["calls"] == 0
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_a_cancelled_call_stops_its_work_and_settles_every_item():
    """Defect 3: work went on after the client left; now the caller's cancel event stops it."""
    pool = WorkerPool(size=1)
    try:
        pool.map(rk_hostile.echo, {}, _items([0.0]), timeout=30)  # warm
        gone = threading.Event()
        threading.Timer(0.3, gone.set).start()
        with isolation.cancel_on(gone):
            out = pool.map(rk_hostile.echo, {}, _items([0.2] * 20, "delay0.5"), timeout=30)
        assert len(out) == 20
        cancelled = [r for r in out if r.kind == "timeout" and "cancelled" in r.payload]
        assert len(cancelled) >= 15
        assert pool.stats()["busy"] == 0
        assert pool.map(rk_hostile.echo, {}, _items([0.3]), timeout=30) == [("ok", [0.3])]
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_closing_the_pool_answers_every_waiting_call():
    pool = WorkerPool(size=1)
    out: dict[str, list] = {}
    t = threading.Thread(target=lambda: out.setdefault("r", pool.map(rk_hostile.echo, {}, _items([0.1] * 3, "delay30"),
                                                                      timeout=60)))
    t.start()
    _until(lambda: pool.stats()["busy"] == 1)
    pool.close()
    t.join(30)
    assert not t.is_alive(), "a call waiting on a closed pool hung"
    assert [r.kind for r in out["r"]] == ["crashed"] * 3
