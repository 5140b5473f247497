"""Streamed JSONL input: the same scores, examples, errors and resume as reading it whole."""

import csv
import json

import pytest

from rewardkit.bench import run, stream, testing
from rewardkit.bench.api import BenchOptions, read
from rewardkit.errors import DataError

pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def plugin():
    testing.register("1.0")
    yield
    testing.unregister()


def rows(n):
    return [
        {"completion": f"work {i}\nA: {i % 7}", "answer": str(i % 5), "ok": i % 3 == 0, "bad": "x" * (i % 4)}
        for i in range(n)
    ]


def write_jsonl(path, data):
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path


def write_csv(path, data):
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]))
        w.writeheader()
        w.writerows(data)
    return path


def test_streamed_jsonl_matches_the_whole_file_read(plugin, tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "SCAN_ROWS", 7)  # many first-pass chunks
    monkeypatch.setattr(stream, "STRIDE", 3)  # rows found by skipping lines after a kept offset
    data = rows(53)
    kw = dict(rewards=["benchtest.exact", "benchtest.digits"], label="ok", shard_size=10, plots=False, samples=3)
    a = run(write_jsonl(tmp_path / "d.jsonl", data), out=tmp_path / "a", **kw)
    b = run(write_csv(tmp_path / "d.csv", data), out=tmp_path / "b", **kw)
    ta, tb = pq.read_table(tmp_path / "a" / "scores.parquet"), pq.read_table(tmp_path / "b" / "scores.parquet")
    assert ta.to_pydict() == tb.to_pydict()
    for name in ("benchtest.exact", "benchtest.digits"):
        ra, rb = a["rewards"][name], b["rewards"][name]
        assert ra["classification"] == rb["classification"] and ra["outcomes"] == rb["outcomes"]
        assert ra["disagreements"] == rb["disagreements"]  # examples read back from the file by offset
    assert a["input"]["sha256"] == b["input"]["sha256"] and a["input"]["rows"] == 53


def test_the_job_holds_no_completions(plugin, tmp_path):
    job = read(
        BenchOptions(write_jsonl(tmp_path / "d.jsonl", rows(20)), rewards=["benchtest.exact"], out=tmp_path / "o")
    )
    assert isinstance(job.items, stream.StreamedItems)
    assert len(job.items) == 20 and len(job.items.offsets) == 1 and len(job.rows.rows) == 20  # peeked head only
    assert job.items.completions[13] == "work 13\nA: 6" and job.items.slice(12, 14).completions[1] == "work 13\nA: 6"


def test_pairs_split_across_odd_shards(plugin, tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "STRIDE", 2)
    data = [{"good": "x" * (i + 3), "bad": "y" * i} for i in range(9)]
    kw = dict(rewards=["benchtest.length:scale=10"], pairs=("good", "bad"), shard_size=3, plots=False)
    a = run(write_jsonl(tmp_path / "p.jsonl", data), out=tmp_path / "a", **kw)
    b = run(write_csv(tmp_path / "p.csv", data), out=tmp_path / "b", **kw)
    assert (
        pq.read_table(tmp_path / "a" / "scores.parquet").to_pydict()
        == pq.read_table(tmp_path / "b" / "scores.parquet").to_pydict()
    )
    assert a["rewards"]["benchtest.length"]["pairwise"] == b["rewards"]["benchtest.length"]["pairwise"]


def test_errors_name_the_row_in_the_whole_file(plugin, tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "SCAN_ROWS", 4)
    data = rows(11)
    data[9]["completion"] = {"not": "a message"}
    with pytest.raises(DataError, match=r"row 10\b"):
        run(write_jsonl(tmp_path / "d.jsonl", data), rewards=["benchtest.digits"], out=tmp_path / "o", plots=False)


def test_limit_and_bad_rows(plugin, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows(5)) + "\n{oops\n\n" + json.dumps(rows(7)[6]) + "\n")
    s = run(path, rewards=["benchtest.digits"], out=tmp_path / "o", skip_bad_rows=True, plots=False)
    assert s["input"]["rows"] == 6 and s["input"]["bad_rows"][0]["line"] == 6
    assert pq.read_table(tmp_path / "o" / "scores.parquet").column("row").to_pylist() == list(range(6))
    s = run(path, rewards=["benchtest.digits"], out=tmp_path / "l", limit=3, plots=False)
    assert s["input"]["rows"] == 3 and s["input"]["items"] == 3
    with pytest.raises(DataError, match=r"d.jsonl:6: malformed JSON line"):
        run(path, rewards=["benchtest.digits"], out=tmp_path / "e", plots=False)
