"""--backend ray gives the same per-item scores as the local backend (one small local Ray instance)."""

import json
import shutil

import pytest

from rewardkit.bench import run, testing

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pq = pytest.importorskip("pyarrow.parquet")

REWARDS = ["benchtest.exact", "benchtest.length:scale=30", "benchtest.digits", "benchtest.slow"]


@pytest.fixture(scope="module")
def ray_local():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.jsonl"
    with path.open("w") as fh:
        for i in range(60):
            fh.write(json.dumps({"completion": f"x{i}\n" * (i % 5) + f"A: {i % 13}", "answer": str(i % 11),
                                 "ok": i % 3 == 0}) + "\n")
    return path


def test_ray_equals_local_and_resumes_local_shards(ray_local, data, tmp_path):
    testing.register()
    try:
        kw = dict(rewards=REWARDS, label="ok", shard_size=30, batch_size=8, plots=False)
        local = run(data, out=tmp_path / "local", **kw)
        remote = run(data, out=tmp_path / "ray", backend="ray", **kw)
        assert remote["run"]["backend"] == "ray" and remote["run"]["shards_computed"] == 4 * 2
        assert (tmp_path / "ray" / "scores.parquet").read_bytes() == (tmp_path / "local" / "scores.parquet").read_bytes()
        for name in REWARDS:
            label = name.split(":")[0]
            assert remote["rewards"][label]["classification"] == local["rewards"][label]["classification"]
            assert remote["rewards"][label]["distribution"] == local["rewards"][label]["distribution"]

        # a half-finished local run finished on Ray: the same bytes again
        mixed = tmp_path / "mixed"
        shutil.copytree(tmp_path / "local", mixed)
        for shard in sorted((mixed / "shards").rglob("*.parquet"))[::2]:
            shard.unlink()
        (mixed / "scores.parquet").unlink()
        again = run(data, out=mixed, backend="ray", resume=True, **kw)
        assert again["run"]["shards_computed"] == 4 and again["run"]["shards_reused"] == 4
        assert (mixed / "scores.parquet").read_bytes() == (tmp_path / "local" / "scores.parquet").read_bytes()
    finally:
        testing.unregister()
