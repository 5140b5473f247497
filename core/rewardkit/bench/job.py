"""What a bench job scores: the items read from the data, and the rewards (entries) to apply."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..data import BadRow, Rows, column, read_rows
from ..errors import DataError, RewardkitError
from ..reward import Reward, as_text
from ..trajectory import TRAJECTORY, answer_text, as_trajectory
from .metrics import parse_label

COSTS = ("fast", "cpu", "model")
#: Cost classes a bench without --reward picks: those that finish in minutes on a CPU (model costs only when asked).
AUTO_COSTS = ("fast", "cpu")


class BenchError(RewardkitError):
    """A bench job cannot run as configured; the message says what to change."""


class ItemSource(Protocol):
    """What the stages read from the items of a job: :class:`Items` in memory, or a streamed file
    (:class:`rewardkit.bench.stream.StreamedItems`)."""

    @property
    def completions(self) -> Sequence[str]: ...

    @property
    def prompts(self) -> Sequence[str] | None: ...

    @property
    def rows(self) -> Sequence[int]: ...

    @property
    def roles(self) -> Sequence[str]: ...

    @property
    def labels(self) -> Sequence[bool | None] | None: ...

    @property
    def source(self) -> str: ...

    @property
    def bad(self) -> list[BadRow]: ...

    def __len__(self) -> int: ...

    def column_hash(self, name: str) -> str: ...

    @property
    def digest(self) -> str: ...

    def chunks(self, size: int, wanted: set[int] | None = None) -> Iterator[tuple[int, Items]]: ...


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
        hashes = {c: self.column_hash(c) for c in ["completion", "prompt", *self.columns]}
        return digest_of(hashes, list(self.columns))

    def chunks(self, size: int, wanted: set[int] | None = None) -> Iterator[tuple[int, Items]]:
        """``(k, items k*size..)`` for each shard ``k`` (only those in ``wanted`` when given)."""
        for k, a in enumerate(range(0, len(self), size)):
            if wanted is None or k in wanted:
                yield k, self.slice(a, min(len(self), a + size))

    def slice(self, a: int, b: int) -> Items:
        """Items ``a:b`` as their own :class:`Items`."""
        return Items(
            self.completions[a:b],
            self.prompts[a:b] if self.prompts is not None else None,
            {c: v[a:b] for c, v in self.columns.items()},
            list(self.rows[a:b]),
            list(self.roles[a:b]),
            self.labels[a:b] if self.labels is not None else None,
            self.source,
        )


class ColumnHasher:
    """sha256 over a column fed in pieces: each value length-prefixed, text as UTF-8, anything else as
    canonical JSON; a column that is absent (``None``) hashes as ``null``."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._absent = False

    def update(self, values: Sequence[Any] | None) -> None:
        if values is None:
            self._absent = True
            return
        h = self._h
        for v in values:
            if isinstance(v, str):
                b = b"s" + v.encode("utf-8", "surrogatepass")
            else:
                b = (
                    b"j"
                    + json.dumps(v, default=repr, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
                )
            h.update(len(b).to_bytes(8, "little"))
            h.update(b)

    def hexdigest(self) -> str:
        return hashlib.sha256(b"null").hexdigest() if self._absent else self._h.hexdigest()


def _hash_values(values: Sequence[Any] | None) -> str:
    """sha256 over a whole column (see :class:`ColumnHasher`)."""
    h = ColumnHasher()
    h.update(values)
    return h.hexdigest()


def digest_of(column_hashes: dict[str, str], columns: Sequence[str]) -> str:
    """The input hash from its column hashes: completions, prompts and every reward column."""
    parts = [column_hashes["completion"], column_hashes["prompt"]]
    parts += [f"{c}:{column_hashes[c]}" for c in sorted(columns)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass
class Entry:
    """One reward applied in a job, under the column name ``label``."""

    label: str
    reward: Reward
    threshold: float

    @property
    def spec(self):
        return self.reward.spec

    def key(self, items: ItemSource, shard_size: int) -> str:
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
    """Rows of a JSONL/CSV/Parquet file or saved dataset (``DataError`` naming file and line), or of a
    plugin's data source named ``"<prefix>:<name>"`` (e.g. ``reasoning-gym:leg_counting``)."""
    from ..data import load_source, source_of

    if isinstance(path, str) and not Path(path).exists() and source_of(path) is not None:
        return load_source(path, {"size": limit} if limit is not None else {})
    rows = read_rows(path, skip_bad=skip_bad)
    if limit is not None:
        rows.rows = rows.rows[:limit]
    return rows


def available_columns(rows: Rows, mapping: dict[str, str]) -> list[str]:
    """Top-level columns of the data plus the reward columns given by ``--map``."""
    return list(dict.fromkeys([*rows.columns, *mapping, TRAJECTORY]))


def build_items(
    rows: Rows,
    *,
    columns: Sequence[str],
    completion_col: str = "completion",
    prompt_col: str | None = None,
    mapping: dict[str, str] | None = None,
    label_col: str | None = None,
    pairs: tuple[str, str] | None = None,
    first_row: int = 0,
) -> Items:
    """Pull the completion, prompt, reward columns and label out of ``rows``.

    With ``pairs=(chosen, rejected)`` every row gives two items, chosen first. ``first_row`` is the
    index of ``rows.rows[0]`` in the whole input (a streamed chunk): item rows and error messages count from it.
    """
    try:
        return _build_items(rows, columns, completion_col, prompt_col, dict(mapping or {}), label_col, pairs, first_row)
    except DataError as exc:
        if not first_row:
            raise
        shifted = re.sub(r"\brow (\d+)\b", lambda m: f"row {int(m.group(1)) + first_row}", str(exc), count=1)
        raise DataError(shifted) from None


def _build_items(
    rows: Rows,
    columns: Sequence[str],
    completion_col: str,
    prompt_col: str | None,
    mapping: dict[str, str],
    label_col: str | None,
    pairs: tuple[str, str] | None,
    first_row: int,
) -> Items:
    src = rows.source

    def texts(path: str, what: str) -> list[str]:
        # a completion that is an agent trajectory is judged on its final answer (rewardkit.trajectory)
        to_text = answer_text if what.endswith("completion") else as_text
        try:
            return [to_text(v, f"{src} row {i + 1}: {what} {path!r}") for i, v in enumerate(column(rows, path, what))]
        except TypeError as exc:  # not text nor chat messages: bad input, named by row
            raise DataError(str(exc)) from None

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
        if col == TRAJECTORY and col not in mapping and col not in rows.columns:
            cols[col] = _trajectory_column(rows, pairs or (completion_col,), row_of, roles)
            continue
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
    if first_row:
        row_of = [r + first_row for r in row_of]
    return Items(
        completions, prompts, cols, row_of, roles, labels, src, list(rows.bad), available_columns(rows, mapping)
    )


def _trajectory_column(rows: Rows, fields: Sequence[str], row_of: list[int], roles: list[str]) -> list[Any]:
    """The ``trajectory`` column of rewards that read it: each item's completion field as messages."""
    per_field = {f: column(rows, f, "the completion") for f in fields}
    order = {"chosen": fields[0], "rejected": fields[-1], "completion": fields[0]}
    try:
        return [as_trajectory(per_field[order[role]][r], f"{rows.source} row {r + 1}: the completion")
                for r, role in zip(row_of, roles)]
    except TypeError as exc:  # a malformed trajectory, named by row and message
        raise DataError(str(exc)) from None


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
    return choose(specs, available, costs)[0]


def choose(specs: dict[str, Any], available: Sequence[str],
           costs: Sequence[str] = AUTO_COSTS) -> tuple[list[str], dict[str, str]]:
    """(rewards the rows can feed within ``costs``, {left-out reward: why}) for a bench without ``--reward``."""
    have = set(available)
    picked: list[str] = []
    left: dict[str, str] = {}
    for name, s in sorted(specs.items()):
        missing = [c for c in s.columns if c not in have]
        if missing:
            left[name] = f"needs column {', '.join(missing)}"
        elif s.cost not in costs:
            left[name] = f"cost {s.cost}"
        elif getattr(s, "executes_inputs", False):
            left[name] = "executes its inputs (name it with -r)"
        else:
            picked.append(name)
    return picked, left
