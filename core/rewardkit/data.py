"""Reading rows from JSONL, CSV, Parquet and saved ``datasets``; errors name file and line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError


@dataclass
class BadRow:
    """A row that could not be read, kept when ``skip_bad`` is on."""

    path: str
    line: int
    error: str


@dataclass
class Rows:
    """Rows read from a file, with the bad rows that were skipped."""

    rows: list[dict[str, Any]]
    bad: list[BadRow] = field(default_factory=list)
    source: str = ""

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows[:100]:
            seen.update(dict.fromkeys(row))
        return list(seen)


def _decode_line(path: Path, lineno: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}:{lineno}: not valid UTF-8 (byte {exc.start + 1} of the line: {exc.reason})") from None


def _jsonl(path: Path, skip_bad: bool, bad: list[BadRow]) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):  # split on bytes, decode per line: errors name their own line
            line = _decode_line(path, lineno, raw)
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"expected a JSON object, got {type(row).__name__}")
            except ValueError as exc:
                msg = str(exc).split(": line")[0]
                if skip_bad:
                    bad.append(BadRow(str(path), lineno, msg))
                    continue
                raise DataError(
                    f"{path}:{lineno}: malformed JSON line: {msg} (use --skip-bad-rows to record and skip it)"
                ) from None
            yield row


def _csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV file with a header; a UTF-8 byte-order mark is not part of the first name."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        lineno = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}:{lineno}: not valid UTF-8 ({exc.reason})") from None
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None


def read_rows(path: str | Path, *, skip_bad: bool = False) -> Rows:
    """Read every row of ``path`` (``.jsonl``/``.json``, ``.csv``, ``.parquet``, or a saved dataset folder)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    bad: list[BadRow] = []
    if p.is_dir():
        rows = _dataset_dir(p)
    elif p.suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DataError(f"{p}: reading Parquet needs pyarrow (pip install 'rewardkit[bench]')") from None
        try:
            rows = pq.read_table(p).to_pylist()
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise DataError(f"{p}: not a readable Parquet file ({exc})") from None
    elif p.suffix == ".csv":
        rows = _csv(p)
    else:
        rows = list(_jsonl(p, skip_bad, bad))
    if not rows:
        raise DataError(f"{p}: no rows (the file is empty)" if not bad else f"{p}: every row is malformed")
    return Rows(rows, bad, str(p))


def _dataset_dir(p: Path) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError:
        raise DataError(f"{p}: reading a saved dataset needs the 'datasets' package") from None
    try:
        ds = datasets.load_from_disk(str(p))
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{p}: not a dataset saved with save_to_disk ({exc})") from None
    if isinstance(ds, datasets.DatasetDict):
        split = "test" if "test" in ds else next(iter(ds))
        ds = ds[split]
    return ds.to_list()


_MISSING = object()


def get_path(row: dict[str, Any], dotted: str, default: Any = _MISSING) -> Any:
    """``get_path(row, "a.b.0")`` walks nested dicts and lists; a plain key wins over a dotted walk."""
    if dotted in row:
        return row[dotted]
    cur: Any = row
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        else:
            if default is _MISSING:
                raise KeyError(dotted)
            return default
    return cur


def column(rows: Rows, dotted: str, what: str | None = None) -> list[Any]:
    """One column by (dotted) name; a missing column names itself (and ``what`` it is for) and lists the available ones."""
    out = []
    for i, row in enumerate(rows.rows):
        try:
            out.append(get_path(row, dotted))
        except KeyError:
            avail = ", ".join(rows.columns) or "none"
            purpose = f" for {what}" if what else ""
            raise DataError(f"{rows.source}: row {i + 1} has no column {dotted!r}{purpose} (available: {avail})") from None
    return out


# -- data sources registered by plugins (the rewardkit_register_datasets hook) ----------------

@dataclass(frozen=True)
class DataSource:
    """A plugin's data source: ``dataset = "<prefix>:<name>"`` is read with ``loader(name, options)``."""

    prefix: str
    loader: Any
    description: str = ""
    plugin: str = ""


def data_sources() -> dict[str, DataSource]:
    """Every data source the loaded plugins register, by prefix (a duplicate prefix is an error naming both)."""
    from .plugins import load_plugins, pm

    load_plugins()
    found: dict[str, DataSource] = {}
    for impl in pm.hook.rewardkit_register_datasets.get_hookimpls():
        def register(prefix: str, loader: Any, description: str = "", _plugin: str = impl.plugin_name) -> None:
            if not isinstance(prefix, str) or not prefix or ":" in prefix:
                raise DataError(f"plugin {_plugin!r}: data source prefix must be a non-empty string without ':', got {prefix!r}")
            if not callable(loader):
                raise DataError(f"plugin {_plugin!r}: the loader of data source {prefix!r} is not callable")
            if prefix in found:
                raise DataError(f"data source {prefix!r} is registered by both {found[prefix].plugin!r} and {_plugin!r}")
            found[prefix] = DataSource(prefix, loader, description, _plugin)

        impl.function(register=register)
    return found


def source_of(name: str) -> tuple[DataSource, str] | None:
    """``(source, rest)`` when ``name`` is ``"<prefix>:<rest>"`` of a registered source, else ``None``.

    A local file whose name contains ':' still wins: it is checked first.
    """
    prefix, colon, rest = name.partition(":")
    if not colon or Path(name).exists():
        return None
    sources = data_sources()
    if prefix not in sources:
        return None
    return sources[prefix], rest


def load_source(name: str, options: dict[str, Any] | None = None) -> Rows:
    """Rows of ``"<prefix>:<name>"`` from the plugin that registers ``prefix`` (DataError when none does)."""
    found = source_of(name)
    if found is None:
        prefix = name.partition(":")[0]
        known = ", ".join(sorted(data_sources())) or "none installed"
        raise DataError(f"{name}: no data source {prefix!r} (registered: {known}; e.g. pip install rewardkit-gym)")
    source, rest = found
    try:
        rows = list(source.loader(rest, dict(options or {})))
    except ValueError as exc:
        raise DataError(f"{name}: {exc}") from None
    if not rows:
        raise DataError(f"{name}: the data source returned no rows")
    return Rows(rows, [], name)
