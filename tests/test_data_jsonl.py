"""One JSONL reader (rewardkit.data.iter_jsonl) for read_rows and bench streaming: lines, offsets, errors."""

import json

import pytest

from rewardkit import data
from rewardkit.bench import stream
from rewardkit.bench.stream import Spec, StreamedItems
from rewardkit.errors import DataError


def test_lines_offsets_and_rows(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n{"a": 2}\n  \n{"a": 3}')
    got = list(data.iter_jsonl(p))
    assert [(x.line, x.row) for x in got] == [(1, {"a": 1}), (3, {"a": 2}), (5, {"a": 3})]
    raw = p.read_bytes()
    assert [raw[x.offset:].split(b"\n")[0] for x in got][1:] == [b'{"a": 2}', b'{"a": 3}']
    again = list(data.iter_jsonl(p, start=got[1].offset, first_line=got[1].line))
    assert [(x.line, x.row) for x in again] == [(3, {"a": 2}), (5, {"a": 3})]


def test_errors_name_file_and_line(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'{"a": 1}\n[1, 2]\n{"a": \xff}\n')
    with pytest.raises(DataError, match=r"r\.jsonl:2: malformed JSON line: expected a JSON object, got list"):
        list(data.iter_jsonl(p))
    bad: list[data.BadRow] = []
    with pytest.raises(DataError, match=r"r\.jsonl:3: not valid UTF-8 \(byte 7 of the line"):
        list(data.iter_jsonl(p, skip_bad=True, bad=bad))
    assert [(b.line, b.error) for b in bad] == [(2, "expected a JSON object, got list")]


def test_a_byte_order_mark_is_only_dropped_at_the_start_of_the_file(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'{"a": 1}\n\xef\xbb\xbf{"a": 2}\n')
    with pytest.raises(DataError, match=r"r\.jsonl:2: malformed JSON line"):
        list(data.iter_jsonl(p))


def test_bench_streaming_has_no_reader_of_its_own():
    assert not hasattr(stream, "_decode")
    assert getattr(stream, "iter_jsonl", data.iter_jsonl) is data.iter_jsonl


def test_a_streamed_reread_names_the_right_line(tmp_path):
    p = tmp_path / "r.jsonl"
    lines = [json.dumps({"completion": f"A: {i}", "answer": str(i)}) for i in range(600)]
    lines.insert(10, "")  # a blank line: line numbers run one ahead of rows from here on
    p.write_text("\n".join(lines) + "\n")
    items = StreamedItems(p, Spec(columns=["answer"]))
    raw = bytearray(p.read_bytes())
    at = raw.index(b'"A: 300"')  # row 300 is line 302; corrupt it after the first pass, same length
    raw[at + 1] = 0xFF
    p.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"r\.jsonl:302: not valid UTF-8"):
        items.row_items(300)
