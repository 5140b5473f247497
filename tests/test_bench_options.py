"""bench.run over one options object; --config scores what training would; one bench per --out."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rewardkit.bench import run, testing
from rewardkit.bench.api import BenchOptions, plan_job, read, report, score
from rewardkit.bench.job import BenchError
from rewardkit.bench.options import OutLock
from rewardkit.cli import cli

pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def plugin():
    testing.register("1.0")
    yield
    testing.unregister()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


ROWS = [{"completion": c} for c in ["fine", "BOOM", "a much longer completion", "BOOM again"]]


def config(tmp_path, extra=""):
    cfg = tmp_path / "train.toml"
    cfg.write_text(
        extra + '[model]\nname = "tiny"\n\n[[reward]]\nname = "benchtest.hang"\ntimeout = 30\n\n'
        '[[reward]]\nname = "benchtest.length"\nparams = { scale = 10 }\n'
    )
    return cfg


@pytest.mark.parametrize("policy", ["drop", "skip", "zero"])
def test_config_composite_equals_what_training_scores(plugin, tmp_path, policy):
    import tomllib

    from rewardkit.train.config import composite_from_config

    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    cfg = config(tmp_path, f'on_error = "{policy}"\n')
    s = run(data, config=cfg, out=tmp_path / "o", workers=1, plots=False)
    got = pq.read_table(tmp_path / "o" / "scores.parquet").to_pydict()["composite"]
    comp = composite_from_config(tomllib.loads(cfg.read_text()))
    want = comp([r["completion"] for r in ROWS])
    assert got == pytest.approx(want)
    assert s["composite"]["on_error"] == policy
    # "BOOM" errors in the hang term: the row is dropped, or scored by its length term alone (0.4)
    assert got[1] is None if policy == "drop" else got[1] == pytest.approx(0.4)
    outcomes = s["composite"]["outcomes"]
    assert outcomes["error"] == (2 if policy == "drop" else 0)
    assert outcomes["dropped"] == (2 if policy == "drop" else 0)
    assert s["rewards"]["benchtest.hang"]["outcomes"]["error"] == 2


def test_config_default_policy_is_drop_as_in_training(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    s = run(data, config=config(tmp_path), out=tmp_path / "o", workers=1, plots=False)
    assert s["composite"]["on_error"] == "drop" and s["composite"]["outcomes"]["dropped"] == 2


def test_config_allow_negative_is_honoured(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS[:1])
    cfg = tmp_path / "neg.toml"
    body = '[[reward]]\nname = "benchtest.length"\nweight = -1.0\nparams = { scale = 10 }\n'
    cfg.write_text(body)
    with pytest.raises(BenchError, match="negative"):
        run(data, config=cfg, out=tmp_path / "o", plots=False)
    cfg.write_text("allow_negative = true\n" + body)
    s = run(data, config=cfg, out=tmp_path / "o", plots=False)
    assert s["composite"]["distribution"]["mean"] == pytest.approx(-0.4)
    assert s["composite"]["allow_negative"] is True


def test_bad_config_key_is_named(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS[:1])
    cfg = tmp_path / "bad.toml"
    cfg.write_text('on_error = "explode"\n[[reward]]\nname = "benchtest.length"\n')
    with pytest.raises(BenchError, match="on_error"):
        run(data, config=cfg, out=tmp_path / "o", plots=False)


def test_stages_over_one_options_object_match_run(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS * 3)
    opts = BenchOptions(
        data, rewards=["benchtest.length:scale=10", "benchtest.digits"], out=tmp_path / "a", shard_size=5, plots=False
    )
    job = read(opts)
    jp = plan_job(job)
    assert len(jp.plan.units) == 2 * 3 and jp.reused == 0
    summary = report(job, jp, score(job, jp))
    again = run(
        options=BenchOptions(
            data,
            rewards=["benchtest.length:scale=10", "benchtest.digits"],
            out=tmp_path / "b",
            shard_size=5,
            plots=False,
        )
    )
    assert (tmp_path / "a" / "scores.parquet").read_bytes() == (tmp_path / "b" / "scores.parquet").read_bytes()
    assert summary["rewards"].keys() == again["rewards"].keys()


def test_unknown_keyword_is_named(tmp_path):
    with pytest.raises(TypeError, match="shard_sise"):
        run(tmp_path / "d.jsonl", shard_sise=3)


def test_a_second_bench_on_the_same_out_is_refused(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    out = tmp_path / "o"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from rewardkit.bench.options import OutLock\n"
                f"with OutLock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            BenchError, match=rf"another rewardkit bench \(pid {holder.pid}\) is writing to .*choose another --out"
        ):
            run(data, rewards=["benchtest.digits"], out=out, plots=False)
        res = CliRunner().invoke(
            cli, ["bench", str(data), "-r", "benchtest.digits", "-o", str(out), "-q", "--no-plots"]
        )
        assert res.exit_code != 0 and "another rewardkit bench" in res.output
        assert not (out / "scores.parquet").exists()
    finally:
        holder.kill()
        holder.wait()
    # the lock dies with its holder: the next run goes ahead
    run(data, rewards=["benchtest.digits"], out=out, plots=False)
    assert (out / "scores.parquet").exists()


def test_lock_is_released_after_a_failed_run(plugin, tmp_path):
    out = tmp_path / "o"
    from rewardkit.errors import RewardkitError

    with pytest.raises(RewardkitError, match="no such file"):
        run(tmp_path / "d.jsonl", rewards=["benchtest.digits"], out=out, plots=False)
    with OutLock(out):
        pass


def test_a_plugin_data_source_is_read_by_name(plugin, tmp_path):
    import rewardkit
    from rewardkit.plugins import register_plugin, unregister_plugin

    class Source:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            register(
                "benchsrc",
                lambda name, options: [{"completion": f"{name} {i}"} for i in range(options.get("size") or 4)],
            )

    register_plugin(Source, "benchsrc", version="1.0")
    try:
        s = run("benchsrc:items", rewards=["benchtest.digits"], out=tmp_path / "o", plots=False)
        assert s["input"]["items"] == 4 and s["input"]["source"] == "benchsrc:items"
        assert (
            run("benchsrc:items", rewards=["benchtest.digits"], out=tmp_path / "p", limit=2, plots=False)["input"][
                "items"
            ]
            == 2
        )
    finally:
        unregister_plugin("benchsrc")
