"""bench --baseline: flips with text, bootstrap intervals, speed change, --fail-on-regression, same data only."""

import json

import pytest
from click.testing import CliRunner

from rewardkit.bench import run, testing
from rewardkit.bench.job import BenchError
from rewardkit.cli import cli

pytest.importorskip("pyarrow")


@pytest.fixture
def plugin():
    testing.register("1.0")
    yield
    testing.unregister()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# 40 completions of 1..20 characters; the label says "at least 5 characters"
ROWS = [{"completion": "x" * (1 + i % 20), "ok": 1 + i % 20 >= 5} for i in range(40)]


def bench_cli(data, out, scale, *extra):
    return CliRunner().invoke(
        cli,
        [
            "bench",
            str(data),
            "-r",
            f"benchtest.length:scale={scale}",
            "--label",
            "ok",
            "-o",
            str(out),
            "-q",
            "--no-plots",
            *extra,
        ],
    )


def test_changed_parameter_flips_items_and_fails_on_regression(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    assert bench_cli(data, tmp_path / "old", 10).exit_code == 0  # scale 10: yes from 5 chars, matches the label
    res = bench_cli(data, tmp_path / "new", 30, "--baseline", str(tmp_path / "old"), "--fail-on-regression")
    assert res.exit_code == 1, res.output
    assert "regression against the baseline" in res.output and "benchtest.length accuracy" in res.output

    cmp = json.loads((tmp_path / "new" / "summary.json").read_text())["baseline"]
    e = cmp["rewards"]["benchtest.length"]
    assert e["signature_changed"] and '"scale":10' in e["old_signature"] and '"scale":30' in e["new_signature"]
    # 5..14 characters flip from yes to no: 10 lengths, twice each
    assert e["flips"]["n"] == 20 and e["flips"]["to_no"] == 20 and e["flips"]["to_yes"] == 0
    ex = e["flips"]["examples"][0]
    assert ex["completion"] == "x" * 5 and ex["old"] == 0.5 and ex["new"] == pytest.approx(5 / 30)
    acc = e["metrics"]["accuracy"]
    assert acc["old"] == 1.0 and acc["new"] == 0.5 and acc["delta"] == -0.5
    lo, hi = acc["ci95"]
    assert lo <= -0.5 <= hi and hi < 0 and acc["regressed"]
    assert e["metrics"]["precision"]["delta"] == 0.0 and not e["metrics"]["precision"]["regressed"]
    assert e["speed"]["ratio"] is not None
    assert any("accuracy" in r for r in cmp["regressions"])
    md = (tmp_path / "new" / "report.md").read_text()
    assert "## Baseline comparison" in md and "## Flipped items: benchtest.length" in md and "REGRESSED" in md
    assert "Flipped items" in (tmp_path / "new" / "report.html").read_text()


def test_same_reward_no_flips_exit_zero(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    assert bench_cli(data, tmp_path / "old", 10).exit_code == 0
    res = bench_cli(data, tmp_path / "new", 10, "--baseline", str(tmp_path / "old"), "--fail-on-regression")
    assert res.exit_code == 0, res.output
    e = json.loads((tmp_path / "new" / "summary.json").read_text())["baseline"]["rewards"]["benchtest.length"]
    assert e["flips"]["n"] == 0 and not e["signature_changed"]
    assert e["metrics"]["accuracy"]["ci95"] == [0.0, 0.0]


def test_different_data_is_refused_before_scoring(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    other = write_jsonl(tmp_path / "e.jsonl", ROWS[:-1] + [{"completion": "changed", "ok": True}])
    run(data, rewards=["benchtest.length:scale=10"], label="ok", out=tmp_path / "old", plots=False)
    with pytest.raises(BenchError, match="scored different data .*cannot be compared"):
        run(
            other,
            rewards=["benchtest.length:scale=10"],
            label="ok",
            out=tmp_path / "new",
            plots=False,
            baseline=tmp_path / "old",
        )
    assert not (tmp_path / "new" / "scores.parquet").exists()
    with pytest.raises(BenchError, match="no summary.json"):
        run(
            data, rewards=["benchtest.length:scale=10"], out=tmp_path / "n2", plots=False, baseline=tmp_path / "nothing"
        )


def test_fail_on_regression_needs_a_baseline(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    res = bench_cli(data, tmp_path / "o", 10, "--fail-on-regression")
    assert res.exit_code == 2 and "--baseline" in res.output
