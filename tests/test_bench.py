"""rewardkit bench end to end: inputs, labelled and pairwise metrics, composite, reports, resume rules."""

import json
import struct

import pytest
from click.testing import CliRunner

from rewardkit.bench import run, testing
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


# answer right/wrong x label true/false, hand-made: exact says yes on rows 0, 1, 3
LABELLED = [
    {"completion": "so\nA: 4", "answer": "4", "ok": True},  # TP
    {"completion": "so\nA: 12", "answer": "12", "ok": False},  # FP
    {"completion": "so\nA: 5", "answer": "6", "ok": False},  # TN
    {"completion": "A: 77", "answer": "77", "ok": True},  # TP
    {"completion": "so\nA: 8", "answer": "9", "ok": True},  # FN
    {"completion": "", "answer": "1", "ok": False},  # TN (empty completion)
]


def test_labelled_metrics_and_outputs(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    out = tmp_path / "out"
    s = run(data, rewards=["benchtest.exact", "benchtest.digits"], label="ok", out=out, shard_size=4, batch_size=2)
    k = s["rewards"]["benchtest.exact"]["classification"]
    assert (k["tp"], k["fp"], k["tn"], k["fn"]) == (2, 1, 2, 1)
    assert k["accuracy"] == pytest.approx(4 / 6) and k["precision"] == pytest.approx(2 / 3)
    assert k["recall"] == pytest.approx(2 / 3) and k["f1"] == pytest.approx(2 / 3)
    assert s["rewards"]["benchtest.exact"]["roc_auc"] is None  # binary reward: not graded
    dis = s["rewards"]["benchtest.exact"]["disagreements"]
    assert [e["row"] for e in dis["reward_yes_label_no"]] == [1]
    assert [e["row"] for e in dis["reward_no_label_yes"]] == [4]
    digits = s["rewards"]["benchtest.digits"]
    assert digits["outcomes"] == {"value": 5, "none": 1, "error": 0, "timeout": 0}
    # digits: 1/7 T, 1/4 F, 1/7 F, 2/5 T, 1/7 T -> positives beat negatives in 3 of 6 pairs (ties half)
    assert digits["graded"] and digits["roc_auc"] == pytest.approx(0.5) and digits["distribution"]["n"] == 5
    assert set(s["rank_correlation"]) == {"benchtest.exact", "benchtest.digits"}
    assert digits["latency"]["items"] == 6 and digits["latency"]["p99_ms"] >= digits["latency"]["p50_ms"]

    table = pq.read_table(out / "scores.parquet").to_pydict()
    assert table["benchtest.exact"] == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    assert table["benchtest.digits:status"][5] == "none" and table["row"] == list(range(6))
    sigs = json.loads((out / "signatures.json").read_text())
    assert sigs["benchtest.exact"].startswith("benchtest==1.0:benchtest.exact")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["signatures"] == sigs and summary["input"]["label"] == "ok"
    md = (out / "report.md").read_text()
    assert "benchtest==1.0:benchtest.digits{}" in md and "![Score histograms](plots/histograms.png)" in md


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_html_report_is_self_contained_with_plots(plugin, tmp_path):
    import base64
    import re

    data = write_jsonl(tmp_path / "d.jsonl", LABELLED * 5)
    out = tmp_path / "out"
    run(data, rewards=["benchtest.exact", "benchtest.length:scale=10"], label="ok", out=out)
    page = (out / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "</html>" in page
    images = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(images) == 3  # histograms, ROC + calibration, latency
    for b64, name in zip(images, ["histograms.png", "roc.png", "latency.png"]):
        png = base64.b64decode(b64)
        assert png == (out / "plots" / name).read_bytes()
        w, h = png_size(png)
        assert w > 300 and h > 200
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere


def test_pairs_from_csv_with_ties_half(plugin, tmp_path):
    # length over scale 10: chosen longer in rows 0, 1; tie in row 2; rejected longer in row 3
    data = tmp_path / "p.csv"
    data.write_text("prompt,good,bad\nq1,aaaa,a\nq2,aaaaaaa,aa\nq3,bbb,ccc\nq4,a,aaaaa\n")
    s = run(data, rewards=["benchtest.length:scale=10"], pairs=("good", "bad"), out=tmp_path / "o", plots=False)
    p = s["rewards"]["benchtest.length"]["pairwise"]
    assert (p["wins"], p["ties"], p["losses"]) == (2, 1, 1)
    assert p["accuracy"] == pytest.approx(2.5 / 4)
    table = pq.read_table(tmp_path / "o" / "scores.parquet").to_pydict()
    assert table["role"][:2] == ["chosen", "rejected"] and table["row"][:4] == [0, 0, 1, 1]
    assert table["benchtest.length"][:2] == [0.4, 0.1]


def test_nested_paths_and_all_formats_give_the_same_scores(plugin, tmp_path):
    rows = [{"out": {"text": f"so\nA: {i}"}, "meta": {"gold": str(i if i % 2 else i + 1)}} for i in range(8)]
    jsonl = write_jsonl(tmp_path / "n.jsonl", rows)
    kw = dict(rewards=["benchtest.exact"], completion_col="out.text", mapping={"answer": "meta.gold"})
    first = run(jsonl, out=tmp_path / "a", **kw, plots=False)
    assert first["rewards"]["benchtest.exact"]["distribution"]["mean"] == 0.5

    import pyarrow as pa

    flat = [{"text": r["out"]["text"], "gold": r["meta"]["gold"]} for r in rows]
    pq.write_table(pa.Table.from_pylist(flat), tmp_path / "n.parquet")
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list(flat).save_to_disk(str(tmp_path / "ds"))
    for src in ("n.parquet", "ds"):
        run(tmp_path / src, rewards=["benchtest.exact"], completion_col="text", mapping={"answer": "gold"},
            out=tmp_path / src.replace(".", "_"), plots=False)
        got = pq.read_table(tmp_path / src.replace(".", "_") / "scores.parquet").column("benchtest.exact").to_pylist()
        assert got == pq.read_table(tmp_path / "a" / "scores.parquet").column("benchtest.exact").to_pylist()


def test_composite_from_training_config(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    cfg = tmp_path / "train.toml"
    cfg.write_text(
        '[model]\nname = "tiny"\n\n'
        '[[reward]]\nname = "benchtest.exact"\nweight = 2.0\n\n'
        '[[reward]]\nname = "benchtest.length"\nweight = 0.5\nparams = { scale = 10 }\n'
    )
    s = run(data, config=cfg, rewards=["benchtest.exact"], label="ok", out=tmp_path / "o", plots=False)
    # the composite's exact term is the --reward one (same signature): scored once
    assert list(s["rewards"]) == ["benchtest.exact", "benchtest.length"]
    table = pq.read_table(tmp_path / "o" / "scores.parquet").to_pydict()
    want = [2 * e + 0.5 * n for e, n in zip(table["benchtest.exact"], table["benchtest.length"])]
    assert table["composite"] == pytest.approx(want)
    comp = s["composite"]
    assert comp["range"] == [0.0, 2.5] and comp["threshold"] == 1.25
    assert [t["term"] for t in comp["terms"]] == ["benchtest.exact", "benchtest.length"]
    assert "composite" in s["rank_correlation"] and comp["classification"]["n"] == 6


def test_errors_and_timeouts_are_counted_not_zero(plugin, tmp_path):
    import rewardkit

    rows = [{"completion": c} for c in ["fine", "BOOM", "HANG", "ok"]]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    # start both workers and import the reward there first: the deadline starts when an item is sent,
    # and a cold worker on a busy machine can take longer than the reward's 1 s to import it
    assert rewardkit.reward("benchtest.hang", timeout=60)(["a", "b"]) == [0.5, 0.5]
    s = run(data, rewards=["benchtest.hang"], out=tmp_path / "o", workers=2, plots=False)
    r = s["rewards"]["benchtest.hang"]
    assert r["outcomes"] == {"value": 2, "none": 0, "error": 1, "timeout": 1}
    assert r["distribution"]["mean"] == 0.5
    assert {m["row"] for m in r["messages"]} == {1, 2}
    table = pq.read_table(tmp_path / "o" / "scores.parquet").to_pydict()
    assert table["benchtest.hang"] == [0.5, None, None, 0.5]
    assert table["benchtest.hang:status"] == ["value", "error", "timeout", "value"]
    assert "raised ValueError: boom" in table["benchtest.hang:message"][1]


def test_changed_parameter_or_version_is_not_mixed_with_old_shards(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED * 3)
    out = tmp_path / "o"
    run(data, rewards=["benchtest.length:scale=10", "benchtest.exact"], out=out, shard_size=5, plots=False)
    s = run(data, rewards=["benchtest.length:scale=20", "benchtest.exact"], out=out, shard_size=5, resume=True, plots=False)
    assert s["run"]["shards_reused"] == 4 and s["run"]["shards_computed"] == 4  # exact reused, length redone
    fresh = run(data, rewards=["benchtest.length:scale=20", "benchtest.exact"], out=tmp_path / "f", shard_size=5, plots=False)
    assert fresh["run"]["shards_reused"] == 0
    assert (out / "scores.parquet").read_bytes() == (tmp_path / "f" / "scores.parquet").read_bytes()
    assert len(list((out / "shards").iterdir())) == 2  # the scale=10 shards are gone

    testing.unregister()
    testing.register("2.0")  # a new plugin version: nothing is reused
    s = run(data, rewards=["benchtest.length:scale=20", "benchtest.exact"], out=out, shard_size=5, resume=True, plots=False)
    assert s["run"]["shards_reused"] == 0
    assert s["signatures"]["benchtest.exact"].startswith("benchtest==2.0:")


def test_resume_of_a_finished_job_recomputes_nothing(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    out = tmp_path / "o"
    run(data, rewards=["benchtest.exact"], out=out, shard_size=2, plots=False)
    before = (out / "scores.parquet").read_bytes()
    s = run(data, rewards=["benchtest.exact"], out=out, shard_size=2, resume=True, plots=False)
    assert s["run"]["shards_computed"] == 0 and (out / "scores.parquet").read_bytes() == before


# -- the command line and bad input -------------------------------------------------------
def invoke(*args):
    return CliRunner().invoke(cli, ["bench", "--no-plots", *map(str, args)])


def test_cli_runs_and_prints_a_table(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    res = invoke(data, "-r", "benchtest.exact", "-r", "benchtest.length:scale=10", "--label", "ok",
                 "--threshold", "benchtest.length=0.2", "-o", tmp_path / "o", "-q")
    assert res.exit_code == 0, res.output
    assert "benchtest.exact" in res.output and "report.html" in res.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["rewards"]["benchtest.length"]["threshold"] == 0.2


def test_malformed_jsonl_names_file_and_line_or_is_recorded(plugin, tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"completion": "A: 1", "answer": "1"}\n{"completion": oops}\n{"completion": "A: 2", "answer": "3"}\n')
    res = invoke(data, "-r", "benchtest.exact", "-o", tmp_path / "o", "-q")
    assert res.exit_code != 0 and f"{data}:2: malformed JSON line" in res.output and "--skip-bad-rows" in res.output
    res = invoke(data, "-r", "benchtest.exact", "-o", tmp_path / "o", "--skip-bad-rows")
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["input"]["rows"] == 2 and [b["line"] for b in s["input"]["bad_rows"]] == [2]
    assert "bad.jsonl:2" in (tmp_path / "o" / "report.md").read_text()


def test_missing_column_names_it_and_lists_the_available_ones(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "A: 1", "gold": "1"}])
    res = invoke(data, "-r", "benchtest.exact", "--completion-col", "text", "-o", tmp_path / "o")
    assert res.exit_code != 0
    assert "'answer'" in res.output and "available: text, gold" in res.output and "--map answer=" in res.output
    res = invoke(data, "-r", "benchtest.length", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "no column 'completion'" in res.output and "available: text, gold" in res.output
    res = invoke(data, "-r", "benchtest.length", "--completion-col", "text", "--label", "ok", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "'ok'" in res.output


def test_empty_file_and_unknown_reward_are_clear(plugin, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    res = invoke(empty, "-r", "benchtest.exact", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "empty.jsonl: no rows (the file is empty)" in res.output
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    res = invoke(data, "-r", "benchtest.exakt", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "benchtest.exact" in res.output  # suggests the close match
    res = invoke(data, "-r", "benchtest.length", "--label", "completion", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "expected a boolean label" in res.output and "row 1" in res.output


def test_every_applicable_reward_when_none_is_named(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"completion": "A: 1"}])
    s = run(data, out=tmp_path / "o", costs=("fast",), plots=False)
    assert "benchtest.length" in s["rewards"] and "benchtest.digits" in s["rewards"]
    assert "benchtest.exact" not in s["rewards"]  # needs 'answer'
    assert "benchtest.slow" not in s["rewards"]  # a cpu reward, excluded by costs


def test_default_data_is_the_bundled_gsm8k_completions(plugin, tmp_path):
    s = run(rewards=["benchtest.exact"], limit=40, out=tmp_path / "o", plots=False)
    assert s["input"]["source"].endswith("gsm8k/completions.jsonl")
    assert (s["input"]["label"], s["input"]["prompt"], s["input"]["items"]) == ("is_correct", "question", 40)
    k = s["rewards"]["benchtest.exact"]["classification"]
    assert k["n"] == 40 and k["accuracy"] is not None


def test_an_unrelated_shards_folder_is_never_deleted(plugin, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", LABELLED)
    (tmp_path / "o" / "shards").mkdir(parents=True)
    (tmp_path / "o" / "shards" / "mine.txt").write_text("keep me")
    res = invoke(data, "-r", "benchtest.exact", "-o", tmp_path / "o")
    assert res.exit_code != 0 and "not a rewardkit bench output folder" in res.output
    assert (tmp_path / "o" / "shards" / "mine.txt").read_text() == "keep me"
