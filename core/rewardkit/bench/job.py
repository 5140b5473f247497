"""What a bench job scores: the items read from the data, and the rewards (entries) to apply."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import BadRow, Rows, column, read_rows
from ..errors import DataError, RewardkitError
from ..reward import Reward, as_text
from .metrics import parse_label

COSTS = ("fast", "cpu", "model")


class BenchError(RewardkitError):
    """A bench job cannot run as configured; the message says what to change."""


@dataclass
class Items:
    """The completions to score (one per item; two per row with chosen/rejected pairs) and their columns."""

    completions: list[str]
    prompts: list[str] | None
    columns: dict[str, list[Any]]
    rows: list[int]
    roles: list[str]
    labels: list[bool | None] | None = None
    source: str = ""
    bad: list[BadRow] = field(default_factory=list)
    available: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.completions)

    def column_hash(self, name: str) -> str:
        """A content hash of one input column (``completion``, ``prompt`` or a reward column), cached."""
        if name not in self.hashes:
            if name == "completion":
                data: Any = self.completions
            elif name == "prompt":
                data = self.prompts
            else:
                data = self.columns[name]
            self.hashes[name] = _hash_values(data)
        return self.hashes[name]

    @property
    def digest(self) -> str:
        """Hash of everything a reward may see: completions, prompts and every mapped column."""
        parts = [self.column_hash("completion"), self.column_hash("prompt")]
        parts += [f"{c}:{self.column_hash(c)}" for c in sorted(self.columns)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _hash_values(values: list[Any] | None) -> str:
    """sha256 over a column: each value length-prefixed, text as UTF-8, anything else as canonical JSON."""
    h = hashlib.sha256()
    if values is None:
        h.update(b"null")
        return h.hexdigest()
    for v in values:
        if isinstance(v, str):
            b = b"s" + v.encode("utf-8", "surrogatepass")
        else:
            b = b"j" + json.dumps(v, default=repr, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


@dataclass
class Entry:
    """One reward applied in a job, under the column name ``label``."""

    label: str
    reward: Reward
    threshold: float

    @property
    def spec(self):
        return self.reward.spec

    def key(self, items: Items, shard_size: int) -> str:
        """Names this entry's shards: changes with the input it sees, its signature, timeout and shard size."""
        parts = [
            items.column_hash("completion"),
            items.column_hash("prompt"),
            *[items.column_hash(c) for c in self.reward.columns],
            self.reward.signature,
            repr(self.reward.timeout),
            str(shard_size),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def default_threshold(lo: float, hi: float) -> float:
    """The midpoint of a reward's declared range (0.5 for the usual ``[0, 1]``)."""
    if math.isfinite(lo) and math.isfinite(hi):
        return (lo + hi) / 2
    return 0.0


def read_data(path: str | Path, *, skip_bad: bool = False, limit: int | None = None) -> Rows:
    """Rows of a JSONL/CSV/Parquet file or saved dataset (``DataError`` naming file and line)."""
    rows = read_rows(path, skip_bad=skip_bad)
    if limit is not None:
        rows.rows = rows.rows[:limit]
    return rows


def available_columns(rows: Rows, mapping: dict[str, str]) -> list[str]:
    """Top-level columns of the data plus the reward columns given by ``--map``."""
    return list(dict.fromkeys([*rows.columns, *mapping]))


def build_items(
    rows: Rows,
    *,
    columns: Sequence[str],
    completion_col: str = "completion",
    prompt_col: str | None = None,
    mapping: dict[str, str] | None = None,
    label_col: str | None = None,
    pairs: tuple[str, str] | None = None,
) -> Items:
    """Pull the completion, prompt, reward columns and label out of ``rows``.

    With ``pairs=(chosen, rejected)`` every row gives two items, chosen first.
    """
    mapping = dict(mapping or {})
    src = rows.source

    def texts(path: str, what: str) -> list[str]:
        return [as_text(v, f"{src} row {i + 1}: {what} {path!r}") for i, v in enumerate(column(rows, path, what))]

    n_rows = len(rows.rows)
    if pairs:
        chosen, rejected = texts(pairs[0], "chosen completion"), texts(pairs[1], "rejected completion")
        completions = [t for pair in zip(chosen, rejected) for t in pair]
        roles = ["chosen", "rejected"] * n_rows
        row_of = [i for i in range(n_rows) for _ in (0, 1)]
    else:
        completions = texts(completion_col, "the completion")
        roles = ["completion"] * n_rows
        row_of = list(range(n_rows))
    prompts = None
    if prompt_col:
        per_row = texts(prompt_col, "the prompt")
        prompts = [per_row[r] for r in row_of]
    cols: dict[str, list[Any]] = {}
    for col in columns:
        per_row = column(rows, mapping.get(col, col), f"reward column {col!r}")
        cols[col] = [per_row[r] for r in row_of]
    labels = None
    if label_col:
        raw = column(rows, label_col, "the label")
        labels = []
        for r in row_of:
            try:
                labels.append(parse_label(raw[r], f"{src} row {r + 1}: column {label_col!r}"))
            except ValueError as exc:
                raise DataError(str(exc)) from None
    return Items(
        completions, prompts, cols, row_of, roles, labels, src, list(rows.bad), available_columns(rows, mapping)
    )


def parse_pairs(text: str | None) -> tuple[str, str] | None:
    """``"chosen,rejected"`` -> ``("chosen", "rejected")``."""
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise BenchError(f"--pairs expects CHOSEN_COL,REJECTED_COL, got {text!r}")
    return parts[0], parts[1]


def applicable(specs: dict[str, Any], available: Sequence[str], costs: Sequence[str] = COSTS) -> list[str]:
    """Names of rewards whose declared columns the data has, limited to ``costs``."""
    have = set(available)
    return [name for name, s in sorted(specs.items()) if set(s.columns) <= have and s.cost in costs]
