"""Seconds to a verdict on malformed ~5 MB documents, and items/s on ordinary completions.

Every row goes through the host path (``rewardkit.reward``: inline fast path, worker pool with its
10 s deadline), so a timeout would show as such.

    python plugins/rewardkit-json/benchmarks/verdicts.py
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import rewardkit

SCHEMA = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array"}}}
RECORD_SCHEMA = {"type": "object", "required": ["id", "name", "price"],
                 "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "price": {"type": "number"}}}


def record(i: int) -> str:
    return f'{{"id": {i}, "name": "item {i}", "tags": ["a", "b"], "price": {i}.5}}'


def documents() -> dict[str, str]:
    big = "[" + ",".join(record(i) for i in range(80_000)) + "]"
    return {
        "valid": '{"items": ' + big + "}",
        "trailing comma": '{"items": ' + big[:-1] + ",]}",
        "single quotes": '{"items": ' + big.replace('"', "'") + "}",
        "truncated": '{"items": ' + big[: len(big) // 2],
        "[ x 200k": "[" * 200_000 + "]" * 200_000,
        "{ x 1M": "{" * 1_000_000,
    }


def verdict(name: str, text: str, **params: Any) -> str:
    columns = {"schema": [SCHEMA]} if name == "json.schema" else {}
    start = time.perf_counter()
    s = rewardkit.reward(name, **params).score([text], **columns)
    took = time.perf_counter() - start
    shown = s.values[0] if s.statuses[0] is rewardkit.Status.VALUE else s.statuses[0].value
    return f"{shown} in {took:.2f} s"


def throughput() -> None:
    comps = [f"<answer>```json\n{record(i)}\n```</answer>" for i in range(2_000)]
    gold = [json.loads(record(i)) for i in range(2_000)]
    for name, kw, cols in (("json.valid", {}, {}), ("json.match", {}, {"gold": gold}),
                           ("json.schema", {}, {"schema": [RECORD_SCHEMA] * len(comps)})):
        r = rewardkit.reward(name, **kw)
        r(comps[:10], **{k: v[:10] for k, v in cols.items()})  # warm the worker pool
        start = time.perf_counter()
        values = r(comps, **cols)
        took = time.perf_counter() - start
        assert all(v == 1.0 for v in values), name
        print(f"{name:12} {len(comps) / took:10,.0f} items/s  ({len(comps)} ordinary completions)")


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print("| document | chars | json.valid | json.valid partial=0.5 | json.schema repair=true |")
    print("| --- | --- | --- | --- | --- |")
    for label, text in documents().items():
        print(f"| {label} | {len(text):,} | {verdict('json.valid', text, require='any')} | "
              f"{verdict('json.valid', text, require='any', partial=0.5)} | "
              f"{verdict('json.schema', text, repair=True)} |")
    throughput()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
