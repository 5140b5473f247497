"""Regression tests for reading data (issue 19, defect 10)."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit import DataError, MissingColumnError
from rewardkit.data import column, read_rows


def test_invalid_utf8_is_reported_on_its_own_line(tmp_path):
    """The decoder read ahead in 8 KiB chunks and blamed an earlier line."""
    path = tmp_path / "rows.jsonl"
    good = b'{"completion": "' + b"x" * 100 + b'"}\n'
    path.write_bytes(good * 200 + b'{"completion": "\xff"}\n' + good)
    with pytest.raises(DataError, match=r"rows.jsonl:201: not valid UTF-8"):
        read_rows(path)


def test_a_csv_with_a_bom_names_its_first_column_plainly(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("\ufeffcompletion,answer\n<answer>4</answer>,4\n".encode())
    rows = read_rows(path)
    assert rows.columns == ["completion", "answer"]
    assert column(rows, "completion") == ["<answer>4</answer>"]


def test_a_jsonl_with_a_bom_reads(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes('\ufeff{"completion": "a"}\n'.encode())
    assert column(read_rows(path), "completion") == ["a"]


def test_invalid_utf8_in_a_csv_names_the_line(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"completion\nok\nok\n\xff\n")
    with pytest.raises(DataError, match=r"rows.csv:4: not valid UTF-8"):
        read_rows(path)


def test_a_mapped_missing_column_names_the_mapping(core_plugin):
    """The error named only the data column, not the columns= entry that pointed there."""
    r = rewardkit.reward("t.contains", columns={"answer": "gold"})
    with pytest.raises(MissingColumnError, match=r"needs column 'gold' \(its column 'answer', mapped by columns=\{'answer': 'gold'\}\)"):
        r(["x"], answer=["1"])


def test_a_duplicate_data_source_is_rejected_against_its_plugin_only():
    """Like defect 4 for rewards: a duplicate data-source prefix raised for every dataset lookup."""
    from rewardkit.data import data_source_errors, data_sources, load_source
    from rewardkit.plugins import register_plugin, unregister_plugin

    def rows(name, options):
        return [{"prompt": name, "answer": "1"}]

    class First:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            register("dsfirst", rows)

    class Second:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            register("dsfirst", rows)
            register("dssecond", rows)

    class Exits:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            raise SystemExit(2)

    register_plugin(First, "dsa")
    register_plugin(Second, "dsb")
    register_plugin(Exits, "dsc")
    try:
        sources = data_sources()
        assert sources["dsfirst"].plugin == "dsa" and sources["dssecond"].plugin == "dsb"
        errors = data_source_errors()
        assert "'dsfirst' is already registered by plugin 'dsa'; rejected from plugin 'dsb'" in errors["dsb"]
        assert "sys.exit(2)" in errors["dsc"]
        assert load_source("dssecond:x").rows == [{"prompt": "x", "answer": "1"}]
    finally:
        for name in ("dsa", "dsb", "dsc"):
            unregister_plugin(name)
