"""Worker processes with a per-item deadline for ``cpu`` rewards.

Workers are plain ``python -m rewardkit._worker`` subprocesses talking over two pipes (no
fork of a threaded parent, no re-run of the caller's ``__main__``). Each item is sent to a
worker; the supervisor waits on the workers' pipes with a
timeout (no signals, so it works from any thread). A worker that overruns its item's
deadline is killed and replaced, and the item becomes a timeout; the rest of the batch is
scored by the other workers. A worker that dies (segfault, ``os._exit``, out of memory)
turns its item into an error and is replaced too.
"""

from __future__ import annotations

import atexit
import math
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, NamedTuple, Sequence

#: Number of worker processes (default: all cores).
WORKERS_ENV = "REWARDKIT_WORKERS"
#: Address-space limit of each worker in MiB (default 8192; 0 disables).
MEMORY_ENV = "REWARDKIT_WORKER_MEMORY_MB"
#: Seconds a fresh worker may take to start and import a reward's module (default 120).
LOAD_TIMEOUT_ENV = "REWARDKIT_WORKER_LOAD_TIMEOUT"

#: Longest per-item deadline accepted (one day): longer ones overflow the OS wait calls.
MAX_TIMEOUT = 86_400.0

Item = tuple[str, str, dict[str, Any]]  # completion, prompt, columns


class Result(NamedTuple):
    """One item's outcome: ``kind`` is ``"ok"`` (``payload`` is the returned value) or a reason
    code, ``"raised"``, ``"crashed"`` or ``"timeout"`` (``payload`` is the message)."""

    kind: str
    payload: Any


def check_timeout(value: Any, key: str = "timeout") -> float:
    """``value`` as a per-item deadline in seconds; a clear ValueError naming ``key`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise ValueError(f"{key} must be a finite number of seconds in (0, {MAX_TIMEOUT:g}], got {value!r}")
    return seconds


def default_workers() -> int:
    raw = os.environ.get(WORKERS_ENV)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a positive integer, got {raw!r}") from None
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Loop of one worker: receive (key, payload, index, item), send back (index, result)."""
    if memory_mb > 0:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    cache: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        key, payload, index, (completion, prompt, columns) = msg
        try:
            if key not in cache:
                cache[key] = pickle.loads(payload)  # imports the reward's module
                conn.send((index, ("loaded", None)))  # the item's deadline starts now
            fn, params = cache[key]
            out = fn(
                completions=[completion],
                prompts=[prompt],
                **{k: [v] for k, v in columns.items()},
                **params,
            )
            result: Result = ("ok", list(out) if isinstance(out, (list, tuple)) else out)
            conn.send((index, result))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported as that item's error
            message = f"raised {type(exc).__name__}: {_short(exc)}"
            try:
                conn.send((index, ("error", message)))
            except (pickle.PicklingError, TypeError, AttributeError):
                conn.send((index, ("error", "the reward returned a value that cannot be sent between processes")))


def _short(exc: BaseException, limit: int = 300) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class _Worker:
    process: Any
    conn: "_Duplex"
    keys: set[str]
    busy: tuple[int, float, bool] | None = None  # (item index, deadline, still loading the reward)


class _Duplex:
    """Two one-way pipe ends used as one connection (``wait`` watches the reading end)."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def send(self, obj: Any) -> None:
        self.writer.send(obj)

    def recv(self) -> Any:
        return self.reader.recv()

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


class WorkerPool:
    """A lazily started pool of worker processes; one batch at a time, callable from any thread."""

    def __init__(self, size: int | None = None, memory_mb: int | None = None) -> None:
        self.size = size or default_workers()
        self.memory_mb = int(os.environ.get(MEMORY_ENV, "8192")) if memory_mb is None else memory_mb
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.restarts = 0

    def _start(self) -> _Worker:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # the worker must import what the caller can (test modules, scripts' folders)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        proc = subprocess.Popen(
            [sys.executable, "-m", "rewardkit._worker", str(to_child_r), str(from_child_w), str(self.memory_mb)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        conn = _Duplex(Connection(from_child_r, writable=False), Connection(to_child_w, readable=False))
        return _Worker(proc, conn, set())

    def _kill(self, worker: _Worker) -> None:
        try:
            worker.process.kill()
            worker.process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - best effort
            pass
        worker.conn.close()

    def map(
        self,
        fn: Callable[..., Any],
        params: dict[str, Any],
        items: Sequence[Item],
        timeout: float,
        key: str | None = None,
        seconds: list[float] | None = None,
    ) -> list[Result]:
        """Score each item in a worker, with ``timeout`` seconds per item.

        When ``seconds`` is a list it receives each item's round-trip time through its worker.
        """
        if not items:
            return []
        payload = pickle.dumps((fn, params))
        key = key or f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{hash(payload)}"
        results: list[Result | None] = [None] * len(items)
        load_timeout = float(os.environ.get(LOAD_TIMEOUT_ENV, "120"))
        started = [0.0] * len(items)
        took = [0.0] * len(items)
        with self._lock:
            want = min(self.size, len(items))
            while len(self._workers) < want:
                self._workers.append(self._start())
            pool = self._workers[:want]
            todo = list(range(len(items)))
            todo.reverse()
            while todo or any(w.busy for w in pool):
                for i, w in enumerate(pool):
                    if w.busy is None and todo:
                        index = todo.pop()
                        try:
                            first = key not in w.keys
                            w.conn.send((key, payload if first else b"", index, items[index]))
                            w.keys.add(key)
                            started[index] = time.monotonic()
                            # a worker seeing this reward first imports it: that time is not the item's
                            w.busy = (index, started[index] + (max(timeout, load_timeout) if first else timeout), first)
                        except (OSError, ValueError):  # the worker had died while idle
                            todo.append(index)
                            pool[i] = self._replace(w)
                busy = [w for w in pool if w.busy]
                if not busy:
                    continue
                wait_for = max(0.0, min(w.busy[1] for w in busy) - time.monotonic())  # type: ignore[index]
                ready = wait([w.conn.reader for w in busy], timeout=wait_for)
                for i, w in enumerate(pool):
                    if w.busy is None:
                        continue
                    index, deadline, loading = w.busy
                    if w.conn.reader in ready:
                        try:
                            got_index, result = w.conn.recv()
                        except (EOFError, OSError, pickle.UnpicklingError):
                            try:
                                code = w.process.wait(timeout=2)
                            except subprocess.TimeoutExpired:
                                code = None
                            results[index] = ("error", f"worker process died (exit code {code})")
                            took[index] = time.monotonic() - started[index]
                            pool[i] = self._replace(w)
                            continue
                        if result[0] == "loaded":
                            started[index] = time.monotonic()
                            w.busy = (index, started[index] + timeout, False)
                            continue
                        results[got_index] = result
                        took[got_index] = time.monotonic() - started[got_index]
                        w.busy = None
                    elif time.monotonic() >= deadline:
                        if loading:
                            why = f"the worker did not start and load the reward within {max(timeout, load_timeout):g}s"
                        else:
                            why = f"no result within {timeout:g}s"
                        results[index] = ("timeout", f"{why}; worker killed")
                        took[index] = time.monotonic() - started[index]
                        pool[i] = self._replace(w)
            self._workers[:want] = pool
        if seconds is not None:
            seconds[:] = took
        return [Result(*r) if r is not None else Result("crashed", "lost result") for r in results]

    def _replace(self, worker: _Worker) -> _Worker:
        self._kill(worker)
        self.restarts += 1
        return self._start()

    def close(self) -> None:
        with self._lock:
            for w in self._workers:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
                self._kill(w)
            self._workers = []

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool (created on first use, closed at exit)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool()
            atexit.register(_pool.close)
        return _pool
