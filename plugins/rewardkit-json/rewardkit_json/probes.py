"""Probe families for ``json.match`` and ``json.schema`` (``rewardkit probe json.match json.schema``).

Each probe row becomes a gold object ``{"answer": <the row's gold number>}`` and a schema that
requires a non-negative number ``answer``; the attacks are the probe's master keys (alone, in
``<answer>``, as the JSON value) and non-finite numbers (``NaN``, ``Infinity``, ``1e400``), none of
which is the answer.
"""

from __future__ import annotations

from typing import Any

from rewardkit.testing import MASTER_KEYS, NONFINITE_TOKENS

SCHEMA = {"type": "object", "required": ["answer"],
          "properties": {"answer": {"type": "number", "minimum": 0}}}


def _columns(gold: str) -> dict[str, Any]:
    try:
        value: Any = int(gold.replace(",", ""))
    except ValueError:
        value = gold
    return {"gold": {"answer": value}, "schema": SCHEMA}


def master_keys(row: Any, target: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Master keys alone, in ``<answer>``, and as the JSON answer; non-finite JSON numbers."""
    cols = _columns(row.gold)
    out = []
    for name, key in MASTER_KEYS.items():
        quoted = key.replace("\\", "\\\\").replace('"', '\\"')
        out += [(f"bare_{name}", key, cols), (f"in_answer_{name}", f"<answer>{key}</answer>", cols),
                (f"as_value_{name}", f'{{"answer": "{quoted}"}}', cols)]
    out += [(f"nonfinite_{t}", f'{{"answer": {t}}}', cols) for t in NONFINITE_TOKENS]
    return out
