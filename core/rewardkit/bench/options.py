"""Every setting of a bench job in one object, :class:`BenchOptions`, and the lock on its output folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .job import AUTO_COSTS, BenchError
from .runner import Options

RewardArg = str | tuple[str, Mapping[str, Any]]
ConfigArg = str | Path | Sequence[Mapping[str, Any]] | Mapping[str, Any] | None


@dataclass
class BenchOptions:
    """What to score (data, rewards, config, columns, label) and how (shards, workers, backend, output)."""

    data: str | Path | None = None
    rewards: Sequence[RewardArg] = ()
    config: ConfigArg = None
    out: str | Path = "bench-out"
    completion_col: str = "completion"
    prompt_col: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    label: str | None = None
    pairs: tuple[str, str] | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    skip_bad_rows: bool = False
    limit: int | None = None
    costs: Sequence[str] = AUTO_COSTS
    shard_size: int = 1000
    batch_size: int = 64
    workers: int | None = None
    backend: str = "local"
    ray_address: str | None = None
    resume: bool = False
    progress: bool = False
    samples: int = 5
    plots: bool = True
    baseline: str | Path | None = None
    log: Callable[[str], None] | None = None

    @classmethod
    def from_kwargs(cls, data: str | Path | None = None, **kwargs: Any) -> BenchOptions:
        """Build from ``run``'s keyword arguments, naming an unknown one."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"bench.run() got an unexpected keyword argument {unknown[0]!r}")
        opts = cls(data=data, **kwargs)
        opts.mapping = dict(opts.mapping or {})
        opts.thresholds = dict(opts.thresholds or {})
        return opts

    def check(self) -> None:
        """Reject settings no job can run with."""
        if self.shard_size < 1 or self.batch_size < 1:
            raise BenchError("--shard-size and --batch-size must be positive")
        if self.backend not in ("local", "ray"):
            raise BenchError(f"--backend must be 'local' or 'ray', got {self.backend!r}")

    def say(self, msg: str) -> None:
        if self.log is not None:
            self.log(msg)

    def runner(self) -> Options:
        """The subset that says how to run the scoring (none of it changes a score)."""
        return Options(
            Path(self.out),
            self.shard_size,
            self.batch_size,
            self.workers,
            self.backend,
            self.ray_address,
            self.resume,
            self.progress,
            self.samples,
            self.plots,
        )


class OutLock:
    """An exclusive lock on an output folder, held for the whole job: a second bench on it is refused.

    ``flock`` on ``OUT/.lock``: the kernel drops it when the process dies, so a killed run never
    leaves a stale lock behind (``--resume`` works right away).
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.path = self.out / ".lock"
        self._fd: int | None = None

    def __enter__(self) -> OutLock:
        import fcntl

        if self.out.exists() and not self.out.is_dir():
            raise BenchError(f"--out {self.out} is a file, not a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BenchError(
                f"another rewardkit bench (pid {holder}) is writing to {self.out}; "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None
