"""Issue 19 defect 10: an empty label cell is a clear error, never a silent False."""

import json

import pytest

from rewardkit import DataError
from rewardkit.bench import metrics as m
from rewardkit.bench import run, testing

pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def plugin():
    testing.register("1.0")
    yield
    testing.unregister()


@pytest.mark.parametrize("raw", ["", "  ", "\t"])
def test_blank_label_is_rejected(raw):
    with pytest.raises(ValueError, match="row 3.*empty"):
        m.parse_label(raw, "row 3")


def test_empty_csv_label_names_file_row_and_column(plugin, tmp_path):
    data = tmp_path / "labels.csv"
    data.write_text("completion,answer,ok\nA: 4,4,true\nA: 5,6,\nA: 7,7,false\n")
    with pytest.raises(DataError, match=r"labels\.csv row 2: column 'ok'.*empty"):
        run(data, rewards=["benchtest.exact"], label="ok", out=tmp_path / "o", plots=False)


def test_empty_jsonl_label_is_an_error_and_null_stays_unlabelled(plugin, tmp_path):
    rows = [{"completion": "A: 4", "answer": "4", "ok": True}, {"completion": "A: 5", "answer": "5", "ok": ""}]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=r"d\.jsonl row 2: column 'ok'"):
        run(data, rewards=["benchtest.exact"], label="ok", out=tmp_path / "o", plots=False)
    rows[1]["ok"] = None  # null: this item has no label (left out of the label metrics, counted as skipped)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = run(data, rewards=["benchtest.exact"], label="ok", out=tmp_path / "o2", plots=False)
    k = s["rewards"]["benchtest.exact"]["classification"]
    assert (k["n"], k["skipped"]) == (1, 1)
