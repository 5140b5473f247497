"""The server's answers are encoded a slice at a time: one call of the C encoder holds the interpreter
throughout (14 ms for a 16-term x 256-item answer), stalling the event loop and every other tenant."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")

from rewardkit.serve import state  # noqa: E402


def one_shot(body):
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()


ANSWERS = [
    [], [1], list(range(state.DUMPS_SLICE + 1)), list(range(1000)), {"k": 1}, {"a": []},
    {"items": [{"value": i / 7, "status": "ok", "message": "\ud800 lone"} for i in range(500)], "counts": {"ok": 500},
     "composite": [{"name": "format.tags", "weight": 1.0}] * 200},
    {"x": [[]] * 200}, [{}] * 130, {1: [0] * 100},
]


@pytest.mark.parametrize("body", ANSWERS, ids=range(len(ANSWERS)))
def test_sliced_answers_are_the_same_bytes(body):
    assert state.dumps(body) == one_shot(body)


def test_no_encoder_call_takes_a_whole_long_list(monkeypatch):
    sizes: list[int] = []
    encode = state._dumps

    def record(body):
        sizes.append(len(body) if isinstance(body, list) else 0)
        return encode(body)

    monkeypatch.setattr(state, "_dumps", record)
    answer = {"items": [{"value": 0.5, "terms": {f"t{j}": 1.0 for j in range(16)}} for _ in range(256)], "n": 256}
    assert state.dumps(answer) == one_shot(answer)
    assert sizes and max(sizes) <= state.DUMPS_SLICE
