"""Streaming a JSONL input in shards: the job never holds the rows or the completions.

A first pass reads the file once (with :func:`rewardkit.data.iter_jsonl`, the one JSONL reader), keeps a byte offset
and line number every STRIDE rows, the labels (a byte each) and incremental
hashes of every column a reward sees (the same hashes :class:`~rewardkit.bench.job.Items`
computes in memory, so shard keys and resume are unchanged). Scoring then reads each shard's
rows again from its offset; examples in reports are read back one row at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import BadRow, Rows, iter_jsonl
from ..errors import DataError
from .job import ColumnHasher, Items, available_columns, build_items, digest_of
from .shards import View

#: Rows parsed at a time in the first pass.
SCAN_ROWS = 2000
#: One byte offset is kept every STRIDE rows; a row is found by skipping at most STRIDE - 1 lines.
STRIDE = 256
_LABEL_CODES = {None: 2, False: 0, True: 1}
_LABELS = (False, True, None)


@dataclass
class Spec:
    """How items are pulled out of rows (the arguments of :func:`build_items`)."""

    columns: list[str]
    completion_col: str = "completion"
    prompt_col: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    label_col: str | None = None
    pairs: tuple[str, str] | None = None

    def items(self, rows: Rows, first_row: int) -> Items:
        return build_items(
            rows, columns=self.columns, completion_col=self.completion_col, prompt_col=self.prompt_col,
            mapping=self.mapping, label_col=self.label_col, pairs=self.pairs, first_row=first_row,
        )  # fmt: skip


class _Lazy(Sequence[str]):
    """One text field of every item, read back from the file on demand (for a few examples)."""

    def __init__(self, owner: StreamedItems, field_: str) -> None:
        self.owner, self.field = owner, field_

    def __len__(self) -> int:
        return len(self.owner)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        items = self.owner.row_items(i // self.owner.per_row)
        values = items.completions if self.field == "completion" else items.prompts
        assert values is not None
        return values[i % self.owner.per_row]


class StreamedItems:
    """The items of a JSONL file, read in shards: what :class:`Items` offers, without holding the text."""

    def __init__(self, path: str | Path, spec: Spec, *, skip_bad: bool = False, limit: int | None = None) -> None:
        self.path = Path(path)
        self.spec = spec
        self.source = str(path)
        self.per_row = 2 if spec.pairs else 1
        self.bad: list[BadRow] = []
        self.offsets = array("q")  # of rows 0, STRIDE, 2 * STRIDE, ...
        self.lines = array("q")  # their line numbers (errors on a re-read name the right line)
        self.n_rows = 0
        self.label_codes = bytearray()
        self.hashes: dict[str, str] = {}
        self.available: list[str] = []
        self._scan(skip_bad, limit)
        self.skip_bad = skip_bad
        n, per_row, pairs = len(self), self.per_row, bool(spec.pairs)
        self.roles = View(lambda: n, lambda i: ("chosen", "rejected")[i % 2] if pairs else "completion")
        self.rows = View(lambda: n, lambda i: i // per_row)
        self.completions = _Lazy(self, "completion")
        self.prompts = _Lazy(self, "prompt") if spec.prompt_col else None

    def __len__(self) -> int:
        return self.n_rows * self.per_row

    @property
    def labels(self) -> Sequence[bool | None] | None:
        """One label per item (a byte each), or None without a label column."""
        if self.spec.label_col is None:
            return None
        codes = self.label_codes
        view = View(lambda: len(codes), lambda i: _LABELS[codes[i]])
        view.label_codes = codes
        return view

    def _scan(self, skip_bad: bool, limit: int | None) -> None:
        hashers = {c: ColumnHasher() for c in ["completion", "prompt", *self.spec.columns]}
        chunk: list[dict[str, Any]] = []
        first = 0

        def flush() -> None:
            items = self.spec.items(Rows(chunk, [], self.source), first)
            hashers["completion"].update(items.completions)
            hashers["prompt"].update(items.prompts)
            for c in self.spec.columns:
                hashers[c].update(items.columns[c])
            if items.labels is not None:
                self.label_codes.extend(_LABEL_CODES[y] for y in items.labels)

        for line in iter_jsonl(self.path, skip_bad=skip_bad, bad=self.bad):
            if limit is not None and self.n_rows >= limit:
                break
            if not self.available:
                self.available = available_columns(Rows([line.row], [], self.source), self.spec.mapping)
            if self.n_rows % STRIDE == 0:
                self.offsets.append(line.offset)
                self.lines.append(line.line)
            self.n_rows += 1
            chunk.append(line.row)
            if len(chunk) >= SCAN_ROWS:
                flush()
                first += len(chunk)
                chunk = []
        if chunk:
            flush()
        if not self.n_rows:
            raise DataError(
                f"{self.path}: no rows (the file is empty)" if not self.bad else f"{self.path}: every row is malformed"
            )
        self.hashes = {c: h.hexdigest() for c, h in hashers.items()}

    def column_hash(self, name: str) -> str:
        return self.hashes[name]

    @property
    def columns(self) -> dict[str, None]:
        return dict.fromkeys(self.spec.columns)

    @property
    def digest(self) -> str:
        return digest_of(self.hashes, self.spec.columns)

    def _read(self, first_row: int, n_rows: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if n_rows <= 0:
            return out
        k, skip = divmod(first_row, STRIDE)
        for line in iter_jsonl(self.path, skip_bad=self.skip_bad, start=self.offsets[k], first_line=self.lines[k]):
            if skip:
                skip -= 1
                continue
            out.append(line.row)
            if len(out) >= n_rows:
                break
        return out

    def row_items(self, r: int) -> Items:
        """The items of row ``r`` alone."""
        return self.spec.items(Rows(self._read(r, 1), [], self.source), r)

    def slice(self, a: int, b: int) -> Items:
        """Items ``a:b``, read from the file."""
        first, last = a // self.per_row, (b - 1) // self.per_row
        items = self.spec.items(Rows(self._read(first, last - first + 1), [], self.source), first)
        skip = a - first * self.per_row
        return items.slice(skip, skip + b - a)

    def chunks(self, size: int, wanted: set[int] | None = None) -> Iterator[tuple[int, Items]]:
        for k, a in enumerate(range(0, len(self), size)):
            if wanted is None or k in wanted:
                yield k, self.slice(a, min(len(self), a + size))


def streamable(data: Any) -> bool:
    """True for a JSONL file (what ``read_rows`` reads line by line); CSV, Parquet and saved datasets are read whole."""
    p = Path(data)
    return p.is_file() and p.suffix.lower() not in (".csv", ".parquet", ".pq")


def peek(path: Path, skip_bad: bool, n: int = 100) -> Rows:
    """The first ``n`` good rows (to learn the columns); errors as the full read would give them."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    bad: list[BadRow] = []
    rows: list[dict[str, Any]] = []
    for line in iter_jsonl(path, skip_bad=skip_bad, bad=bad):
        rows.append(line.row)
        if len(rows) >= n:
            break
    if not rows:
        raise DataError(f"{path}: no rows (the file is empty)" if not bad else f"{path}: every row is malformed")
    return Rows(rows, [], str(path))
