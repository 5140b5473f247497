"""kill -9 in the middle of a bench run, then --resume: the per-item scores match an uninterrupted run byte for byte."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from rewardkit.bench import run, testing

pytest.importorskip("pyarrow")

SCRIPT = (
    "import sys; from rewardkit.bench import testing; testing.register(); "
    "from rewardkit.cli import main; main(sys.argv[1:])"
)
REWARDS = ["benchtest.slow:delay=0.004", "benchtest.length:scale=50", "benchtest.digits"]


def bench_cmd(data, out, *extra):
    cmd = [sys.executable, "-c", SCRIPT, "bench", str(data), "-o", str(out), "--shard-size", "40",
           "--batch-size", "16", "--workers", "2", "--no-plots", "-q", *extra]
    for r in REWARDS:
        cmd += ["-r", r]
    return cmd


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.jsonl"
    with path.open("w") as fh:
        for i in range(480):
            fh.write(json.dumps({"completion": f"step {i}\n" * (i % 7) + f"A: {i * 37 % 101}"}) + "\n")
    return path


def test_kill_9_then_resume_is_byte_identical(tmp_path, data):
    env = {**os.environ, "REWARDKIT_LOAD_PLUGINS": ""}  # only the in-process test plugin
    out = tmp_path / "killed"
    proc = subprocess.Popen(bench_cmd(data, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shards = out / "shards"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if shards.exists() and any(shards.rglob("*.parquet")):
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = len(list(shards.rglob("*.parquet")))
    assert 1 <= done_at_kill < 3 * 12  # interrupted part-way (3 rewards x 12 shards)
    assert not (out / "scores.parquet").exists()

    res = subprocess.run(bench_cmd(data, out, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["shards_reused"] >= done_at_kill and summary["run"]["shards_computed"] >= 1
    assert not list(out.rglob("*.tmp"))  # no half-written file was taken for a shard

    testing.register()
    try:
        full = tmp_path / "full"
        run(data, rewards=REWARDS, out=full, shard_size=40, batch_size=16, workers=2, plots=False)
    finally:
        testing.unregister()
    assert (out / "scores.parquet").read_bytes() == (full / "scores.parquet").read_bytes()
