"""Reading rows from JSONL, CSV, Parquet and saved ``datasets``; errors name file and line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

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


class JsonlLine(NamedTuple):
    """One JSON object line of a JSONL file: its 1-based line number, its byte offset, the row."""

    line: int
    offset: int
    row: dict[str, Any]


def _decode_line(path: Path, lineno: int, raw: bytes, at_start: bool) -> str:
    try:
        return raw.decode("utf-8-sig" if at_start else "utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}:{lineno}: not valid UTF-8 (byte {exc.start + 1} of the line: {exc.reason})") from None


def iter_jsonl(
    path: str | Path, *, skip_bad: bool = False, bad: list[BadRow] | None = None, start: int = 0, first_line: int = 1
) -> Iterator[JsonlLine]:
    """Every JSON object line of ``path`` from byte offset ``start`` (line ``first_line``), blank lines skipped.

    The file is split on bytes and decoded line by line, so each error names its own line: invalid
    UTF-8 or a line that is not a JSON object raises ``DataError`` ("FILE:LINE: ..."); with
    ``skip_bad`` a malformed line is recorded in ``bad`` (when given) and skipped instead. A UTF-8
    byte-order mark is dropped only at the start of the file.
    """
    path = Path(path)
    with path.open("rb") as fh:
        fh.seek(start)
        offset, lineno = start, first_line
        for raw in fh:
            here, offset = offset, offset + len(raw)
            line = _decode_line(path, lineno, raw, here == 0)
            lineno += 1
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"expected a JSON object, got {type(row).__name__}")
            except ValueError as exc:
                msg = str(exc).split(": line")[0]
                if not skip_bad:
                    raise DataError(
                        f"{path}:{lineno - 1}: malformed JSON line: {msg} (use --skip-bad-rows to record and skip it)"
                    ) from None
                if bad is not None:
                    bad.append(BadRow(str(path), lineno - 1, msg))
                continue
            yield JsonlLine(lineno - 1, here, row)


_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".pq", ".txt")


def _hub_hint(name: str) -> str:
    """For ``org/name`` that is not a local path: how to use a Hugging Face Hub dataset (never downloaded here)."""
    parts = name.split("/")
    if len(parts) != 2 or not all(parts) or name.startswith(".") or Path(name).suffix in _SUFFIXES:
        return ""
    return (f" (a Hugging Face Hub dataset id is not downloaded by rewardkit: save it once with "
            f"python -c \"import datasets; datasets.load_dataset('{name}').save_to_disk('data/{name.split('/')[-1]}')\" "
            f"and give the folder data/{name.split('/')[-1]})")


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
        raise DataError(f"{p}: no such file or folder{_hub_hint(str(path))}")
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
        rows = [x.row for x in iter_jsonl(p, skip_bad=skip_bad, bad=bad)]
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
    """Every data source the loaded plugins register, by prefix.

    As for rewards, a broken registration is rejected against its plugin alone (see
    :func:`data_source_errors`): a bad prefix, a loader that is not callable, a prefix another
    plugin registered first (the error names both), or a hook that raises, hangs or exits.
    """
    found, _ = _collect_sources()
    return found


def data_source_errors() -> dict[str, str]:
    """Plugins whose data-source registrations were rejected, with the errors."""
    return _collect_sources()[1]


def _collect_sources() -> tuple[dict[str, DataSource], dict[str, str]]:
    from .plugins import collect

    found: dict[str, DataSource] = {}
    errors: dict[str, list[str]] = {}
    for result in collect("rewardkit_register_datasets"):  # registration order: first wins
        plugin = result.plugin
        for args, kwargs in result.value:
            try:
                source = _source(plugin, *args, **kwargs)
            except TypeError as exc:
                errors.setdefault(plugin, []).append(f"register() called wrongly: {exc}; rejected from plugin {plugin!r}")
                continue
            problem = _source_problem(source.prefix, source.loader, found)
            if problem:
                errors.setdefault(plugin, []).append(f"{problem}; rejected from plugin {plugin!r}")
            else:
                found[source.prefix] = source
        if result.error:
            errors.setdefault(plugin, []).append(result.error)
    return found, {p: "; ".join(e) for p, e in errors.items()}


def _source(plugin: str, prefix: str, loader: Any, description: str = "") -> DataSource:
    """The data source one ``register(prefix, loader, description="")`` call describes."""
    return DataSource(prefix, loader, description, plugin)


def _source_problem(prefix: Any, loader: Any, found: dict[str, DataSource]) -> str | None:
    if not isinstance(prefix, str) or not prefix or ":" in prefix:
        return f"data source prefix must be a non-empty string without ':', got {prefix!r}"
    if not callable(loader):
        return f"the loader of data source {prefix!r} is not callable"
    if prefix in found:
        return f"data source {prefix!r} is already registered by plugin {found[prefix].plugin!r}"
    return None


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
        sources, errors = _collect_sources()
        known = ", ".join(sorted(sources)) or "none installed"
        broken = "".join(f"; plugin {p!r}: {e}" for p, e in sorted(errors.items()))
        raise DataError(f"{name}: no data source {prefix!r} (registered: {known}; e.g. pip install rewardkit-gym){broken}")
    source, rest = found
    try:
        rows = list(source.loader(rest, dict(options or {})))
    except ValueError as exc:
        raise DataError(f"{name}: {exc}") from None
    if not rows:
        raise DataError(f"{name}: the data source returned no rows")
    return Rows(rows, [], name)
