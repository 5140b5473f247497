"""Crash-safe results: one Parquet file per (reward, shard), written atomically, plus a manifest.

Layout under the output folder::

    manifest.json                  input hash, shard size, each reward's signature and key
    shards/<key>/<index>.parquet   value, status, message, seconds of each item of one shard

``key`` hashes the input columns the reward sees, its signature (plugin version, parameters),
its timeout and the shard size, so a changed reward is never mixed with old shards. A file
appears only when complete (write to a temporary name, fsync, rename), so after ``kill -9``
every shard on disk is whole and ``--resume`` recomputes only the missing ones.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

SCHEMA_FIELDS = (("value", "float64"), ("status", "string"), ("message", "string"), ("seconds", "float64"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # some filesystems cannot fsync a folder
        pass


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def shard_ranges(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in pieces of ``size``."""
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _schema():
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in SCHEMA_FIELDS])


def parquet_bytes(table: Any) -> bytes:
    """A pyarrow table as Parquet bytes, with fixed writer options (so equal tables give equal bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", use_dictionary=True, write_statistics=True)
    return sink.getvalue().to_pybytes()


class ShardResult:
    """One reward's outcomes on one shard: value, status and message per item, per-item and wall seconds."""

    __slots__ = ("values", "statuses", "messages", "seconds", "wall")

    def __init__(self, values: list, statuses: list[str], messages: list, seconds: list[float], wall: float) -> None:
        self.values, self.statuses, self.messages, self.seconds, self.wall = values, statuses, messages, seconds, wall

    def to_bytes(self) -> bytes:
        import pyarrow as pa

        table = pa.Table.from_pydict(
            {"value": self.values, "status": self.statuses, "message": self.messages, "seconds": self.seconds},
            schema=_schema(),
        ).replace_schema_metadata({"wall_seconds": repr(self.wall)})
        return parquet_bytes(table)


class ShardStore:
    """Reads and writes the shards of one output folder."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.root = self.out / "shards"

    def path(self, key: str, index: int) -> Path:
        return self.root / key / f"{index:06d}.parquet"

    def has(self, key: str, index: int, rows: int) -> bool:
        """True when the shard exists and holds ``rows`` rows (a damaged file counts as missing)."""
        p = self.path(key, index)
        if not p.exists():
            return False
        try:
            import pyarrow.parquet as pq

            return pq.ParquetFile(p).metadata.num_rows == rows
        except Exception:  # noqa: BLE001 - an unreadable shard is simply recomputed
            return False

    def write_bytes(self, key: str, index: int, data: bytes) -> None:
        atomic_write_bytes(self.path(key, index), data)

    def write(self, key: str, index: int, result: ShardResult) -> None:
        self.write_bytes(key, index, result.to_bytes())

    def read(self, key: str, index: int) -> ShardResult:
        import pyarrow.parquet as pq

        table = pq.read_table(self.path(key, index))
        d = table.to_pydict()
        wall = float((table.schema.metadata or {}).get(b"wall_seconds", b"nan"))
        return ShardResult(d["value"], d["status"], d["message"], d["seconds"], wall)

    def check_ours(self) -> None:
        """Refuse to touch a ``shards`` folder that no bench run made (no manifest beside it)."""
        if self.root.exists() and not self.manifest_path.exists():
            from .job import BenchError

            raise BenchError(
                f"{self.root} exists but {self.manifest_path} does not: it is not a rewardkit bench "
                "output folder; choose another --out"
            )

    def reset(self) -> None:
        """Remove every shard (a fresh run)."""
        self.check_ours()
        if self.root.exists():
            shutil.rmtree(self.root)

    def prune(self, keep: set[str]) -> list[str]:
        """Remove shard folders of rewards not in this job (changed version or parameters) and the
        temporary files of a killed run."""
        self.check_ours()
        removed = []
        if self.root.exists():
            for d in self.root.iterdir():
                if d.is_dir() and d.name not in keep:
                    shutil.rmtree(d)
                    removed.append(d.name)
            for tmp in self.root.glob("*/.*.tmp"):
                tmp.unlink(missing_ok=True)
        return removed

    def clean_temp(self) -> None:
        """Remove temporary files a killed run left next to the final outputs (only in a bench folder)."""
        if not self.manifest_path.exists():
            return
        for pattern in (".*.tmp", "plots/.*.tmp"):
            for tmp in self.out.glob(pattern):
                tmp.unlink(missing_ok=True)

    # -- manifest -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.out / "manifest.json"

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


# -- one reward over the whole job, compact ----------------------------------------------------

_STATUS_CODES = ("value", "none", "error", "timeout")
_STATUS_INDEX = {s: i for i, s in enumerate(_STATUS_CODES)}
#: Messages kept in memory per column (reports show the first few; scores.parquet has all of them).
KEEP_MESSAGES = 1000


class View(Sequence[Any]):
    """A read-only sequence over compact storage (slices come back as lists); the bench's one
    lazy column. Optional side data for fast paths: a score column's ``float_array`` and
    ``kept`` messages, a streamed label column's ``label_codes``."""

    def __init__(self, n: Callable[[], int], get: Callable[[int], Any]) -> None:
        self._n, self._get = n, get
        self.float_array: Any = None
        self.kept: dict[int, str] | None = None
        self.label_codes: bytearray | None = None

    def __len__(self) -> int:
        return self._n()

    def __getitem__(self, i: Any) -> Any:
        n = self._n()
        if isinstance(i, slice):
            return [self._get(j) for j in range(*i.indices(n))]
        if not -n <= i < n:
            raise IndexError(i)
        return self._get(i % n)

    def __iter__(self) -> Iterator[Any]:
        for j in range(self._n()):
            yield self._get(j)


class JobColumn:
    """One reward's outcomes over every shard of a job: values (NaN for no value), status codes and
    seconds in flat arrays, 13 bytes an item, read through list-like views."""

    def __init__(self) -> None:
        self.array = array("d")
        self.codes = bytearray()
        self.kept: dict[int, str] = {}
        self.seconds = array("f")  # latency only: single precision is plenty
        self.wall = 0.0

    def __len__(self) -> int:
        return len(self.codes)

    def extend(self, r: ShardResult) -> None:
        base = len(self.codes)
        nan = math.nan
        self.array.extend(nan if v is None else v for v in r.values)
        self.codes.extend(_STATUS_INDEX[s] for s in r.statuses)
        for i, m in enumerate(r.messages):
            if m is not None and len(self.kept) < KEEP_MESSAGES:
                self.kept[base + i] = m
        self.seconds.extend(r.seconds)
        self.wall += r.wall

    @property
    def values(self) -> Sequence[float | None]:
        arr = self.array
        view = View(lambda: len(arr), lambda i: None if arr[i] != arr[i] else arr[i])
        view.float_array = arr  # metrics read it as a numpy array without a list in between
        return view

    @property
    def statuses(self) -> Sequence[str]:
        codes = self.codes
        return View(lambda: len(codes), lambda i: _STATUS_CODES[codes[i]])

    @property
    def messages(self) -> Sequence[str | None]:
        """The first :data:`KEEP_MESSAGES` messages; None elsewhere."""
        view = View(lambda: len(self.codes), self.kept.get)
        view.kept = self.kept
        return view


def write_scores(
    path: Path,
    units: Sequence[Any],
    labels: Sequence[str],
    n_shards: int,
    store: ShardStore,
    items: Any,
    composite: Sequence[float | None] | None,
    shard_size: int,
) -> None:
    """scores.parquet, one row group per shard, read from the shard files (never the whole table in
    memory): item, row, role, then ``<label>``, ``<label>:status``, ``<label>:message`` per reward,
    then ``composite``. No timings, so reruns match byte for byte."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [("item", pa.int64()), ("row", pa.int64()), ("role", pa.string())]
    for label in labels:
        fields += [(label, pa.float64()), (f"{label}:status", pa.string()), (f"{label}:message", pa.string())]
    if composite is not None:
        fields.append(("composite", pa.float64()))
    schema = pa.schema(fields)
    keys: dict[int, dict[str, str]] = {}
    for u in units:
        keys.setdefault(u.shard, {})[labels[u.entry]] = u.key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with pq.ParquetWriter(tmp, schema, compression="zstd", use_dictionary=True, write_statistics=True) as writer:
        for k in range(n_shards):
            a, b = k * shard_size, min(len(items), (k + 1) * shard_size)
            cols: dict[str, Any] = {
                "item": list(range(a, b)),
                "row": list(items.rows[a:b]),
                "role": list(items.roles[a:b]),
            }
            for label in labels:
                r = store.read(keys[k][label], k)
                cols[label], cols[f"{label}:status"], cols[f"{label}:message"] = r.values, r.statuses, r.messages
            if composite is not None:
                cols["composite"] = list(composite[a:b])
            writer.write_table(pa.Table.from_pydict(cols, schema=schema))
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
