"""cpu rewards run in worker processes with a per-item deadline that holds from any thread."""

import threading

from rewardkit import Status, reward


def test_hang_times_out_and_the_rest_of_the_batch_is_scored(core_plugin):
    r = reward("t.sleepy", timeout=0.5)
    s = r.score(["abc", "hang", "abcdefghij"])
    assert s.statuses == [Status.VALUE, Status.TIMEOUT, Status.VALUE]
    assert s.values[0] == 0.3 and s.values[2] == 1.0
    assert "no result within 0.5s" in s.messages[1]
    # the killed worker was replaced: the next batch is scored normally
    assert r(["a", "ab"]) == [0.1, 0.2]
    assert r.totals["timeout"] == 1


def test_deadline_holds_outside_the_main_thread(core_plugin):
    r = reward("t.sleepy", timeout=0.5)
    out = {}

    def work():
        out["first"] = r.score(["hang", "abcde"])
        out["second"] = r.score(["ab"])

    t = threading.Thread(target=work)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive()
    assert out["first"].statuses == [Status.TIMEOUT, Status.VALUE]
    assert out["second"].values == [0.2]


def test_crash_and_raise_are_errors_and_the_pool_recovers(core_plugin):
    r = reward("t.sleepy")
    s = r.score(["crash", "raise", "abcd"])
    assert s.statuses == [Status.ERROR, Status.ERROR, Status.VALUE]
    assert "worker process died (exit code 7)" in s.messages[0]
    assert "ValueError: bad item" in s.messages[1]
    assert r(["abcdefgh"]) == [0.8]


def test_fast_path_decides_inline_and_defers_the_rest(core_plugin):
    r = reward("t.triaged", timeout=0.5)
    s = r.score(["easy", "pool-abc", "hang", "easy2"])
    assert s.values[0] == 0.25 and s.values[3] == 0.25  # decided inline by the fast path
    assert s.values[1] == 0.8  # scored by a worker: len("pool-abc") / 10
    assert s.statuses[2] is Status.TIMEOUT


def test_worker_runs_nothing_from_the_callers_main_module(core_plugin, tmp_path):
    # workers are fresh interpreters: they import the reward's module, never re-run a script
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "script.py"
    marker = tmp_path / "ran"
    support = Path(__file__).parent / "support"
    script.write_text(
        "import sys, pathlib\n"
        f"sys.path.insert(0, {str(support)!r})\n"
        f"pathlib.Path({str(marker)!r}).open('a').write('x')\n"
        "import rk_testplugins, rewardkit\n"
        "from rewardkit.plugins import register_plugin\n"
        "register_plugin(rk_testplugins.CorePlugin, 't')\n"
        "print(rewardkit.reward('t.sleepy')(['abc', 'abcdef']))\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0.3, 0.6]"
    assert marker.read_text() == "x"


def test_a_fresh_workers_import_time_is_not_charged_to_the_item():
    import rk_slowimport

    from rewardkit.isolation import WorkerPool

    pool = WorkerPool(size=1)
    try:
        # the worker spends 1.5 s importing the module, more than the 0.5 s item deadline
        assert pool.map(rk_slowimport.quick, {}, [("a", "", {}), ("b", "", {})], timeout=0.5) == [("ok", [0.5])] * 2
    finally:
        pool.close()
