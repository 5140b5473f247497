"""Worker processes with a per-item deadline for ``cpu`` rewards.

Workers are plain ``python -m rewardkit._worker`` subprocesses (no fork of a threaded parent,
no re-run of the caller's ``__main__``), each the leader of its own process group, talking over
two pipes. :meth:`WorkerPool.map` sends each item to an idle worker (dispatch) and waits on the
workers' pipes until the earliest deadline (collect); no signals, so it works from any thread.

* A worker that overruns its item's deadline is killed with its whole process group (its own
  children included) and replaced; the item becomes a ``timeout``.
* A worker that dies (segfault, ``os._exit``, out of memory) turns its item into ``crashed``.
* Results are read without blocking and reassembled from frames, so a partial frame on a pipe
  never holds the collector past a deadline.
* A worker whose host dies (even by SIGKILL) kills its own process group within a second.
* A worker's stdout goes to the host's stderr: a reward that prints cannot corrupt the host's
  output (``--json``).
* A ``map`` interrupted by any exception (``KeyboardInterrupt`` included) kills the workers that
  were busy, so no stale result can reach the next call; every request also carries a call id.
* After ``os.fork()`` the child gets a fresh pool of its own (the parent's workers are never used).
"""

from __future__ import annotations

import atexit
import itertools
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

#: Number of worker processes (default: all cores).
WORKERS_ENV = "REWARDKIT_WORKERS"
#: Address-space limit of each worker in MiB (default 8192; 0 disables).
MEMORY_ENV = "REWARDKIT_WORKER_MEMORY_MB"
#: Seconds a fresh worker may take to start and import a reward's module (default 120).
LOAD_TIMEOUT_ENV = "REWARDKIT_WORKER_LOAD_TIMEOUT"
#: Longest per-item deadline accepted (one day): longer ones overflow the OS wait calls.
MAX_TIMEOUT = 86_400.0

Item = tuple[str, str, dict[str, Any]]  # completion, prompt, columns
_HEADER = struct.Struct("!Q")


class Result(NamedTuple):
    """One item's outcome: ``kind`` is ``"ok"`` (``payload`` is the returned value) or a reason
    code, ``"raised"``, ``"crashed"``, ``"type"`` (a result that cannot cross processes) or
    ``"timeout"`` (``payload`` is the message)."""

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
    """Worker processes to start: ``$REWARDKIT_WORKERS`` or the usable cores."""
    raw = os.environ.get(WORKERS_ENV)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a positive integer, got {raw!r}") from None
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# -- the worker side ------------------------------------------------------------------------
def _write_frame(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _watch_parent(interval: float = 1.0) -> None:
    """Kill this worker's process group (it and its children) once the host is gone, even mid-item."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="rewardkit-parent-watch", daemon=True).start()


def _worker_main(read_fd: int, write_fd: int, memory_mb: int) -> None:
    """Loop of one worker: receive (call, key, payload, index, item), send back (call, index, result)."""
    if os.getpgrp() == os.getpid():  # started by WorkerPool: the leader of its own group
        _watch_parent()
    _limit_memory(memory_mb)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    conn = Connection(read_fd, writable=False)
    cache: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        call, key, payload, index, (completion, prompt, columns) = msg
        try:
            if key not in cache:
                cache[key] = pickle.loads(payload)  # imports the reward's module
                _write_frame(write_fd, (call, index, Result("loaded", None)))  # the item's deadline starts now
            fn, params = cache[key]
            out = fn(completions=[completion], prompts=[prompt], **{k: [v] for k, v in columns.items()}, **params)
            result = Result("ok", list(out) if isinstance(out, (list, tuple)) else out)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported as that item's error
            result = Result("raised", f"raised {type(exc).__name__}: {_short(exc)}")
        try:
            _write_frame(write_fd, (call, index, result))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
            _write_frame(write_fd, (call, index, Result("type", "returned a value that cannot be sent between processes")))


def _short(exc: BaseException, limit: int = 300) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        text = "<unprintable>"
    return text if len(text) <= limit else text[:limit] + "..."


# -- the host side --------------------------------------------------------------------------
class _Reader:
    """Non-blocking reader of length-prefixed frames from one pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.buf = bytearray()

    def fileno(self) -> int:
        return self.fd

    def frames(self) -> list[bytes]:
        """Every complete frame readable now; raises EOFError when the writer is gone."""
        eof = False
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                eof = True
                break
            self.buf += chunk
        out = self._split()
        if eof and not out:
            raise EOFError
        return out

    def _split(self) -> list[bytes]:
        out = []
        while len(self.buf) >= _HEADER.size:
            (n,) = _HEADER.unpack_from(self.buf)
            if len(self.buf) < _HEADER.size + n:
                break
            out.append(bytes(self.buf[_HEADER.size : _HEADER.size + n]))
            del self.buf[: _HEADER.size + n]
        return out


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    reader: _Reader
    writer: Connection
    keys: set[str] = field(default_factory=set)
    busy: tuple[int, float, bool] | None = None  # (item index, deadline, still loading the reward)


@dataclass
class _Batch:
    """The state of one ``map`` call."""

    call: int
    fn_key: str
    payload: bytes
    items: Sequence[Item]
    timeout: float
    load_timeout: float
    todo: list[int]
    results: list[Result | None]
    started: list[float]
    took: list[float]


class WorkerPool:
    """A lazily started pool of worker processes; one batch at a time, callable from any thread."""

    def __init__(self, size: int | None = None, memory_mb: int | None = None) -> None:
        self.size = size or default_workers()
        self.memory_mb = int(os.environ.get(MEMORY_ENV, "8192")) if memory_mb is None else memory_mb
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._calls = itertools.count(1)
        self.restarts = 0

    # -- workers ----------------------------------------------------------------------------
    def _start(self) -> _Worker:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # the worker must import what the caller can (test modules, scripts' folders)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "rewardkit._worker", str(to_child_r), str(from_child_w), str(self.memory_mb)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=2,  # a reward that prints must not corrupt the host's stdout
                env=env,
                close_fds=True,
                start_new_session=True,  # its own process group: killed with its children
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        return _Worker(proc, _Reader(from_child_r), Connection(to_child_w, readable=False))

    def _kill(self, worker: _Worker) -> None:
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for close in (worker.writer.close, lambda: os.close(worker.reader.fd)):
            try:
                close()
            except OSError:
                pass

    def _replace(self, worker: _Worker) -> _Worker:
        self._kill(worker)
        self.restarts += 1
        return self._start()

    def _check_owner(self) -> None:
        """After ``os.fork()``, forget the parent's workers (they are not ours to use or kill)."""
        if self._pid != os.getpid():
            for w in self._workers:
                for close in (w.writer.close, lambda w=w: os.close(w.reader.fd)):
                    try:
                        close()
                    except OSError:
                        pass
            self._workers = []
            self._pid = os.getpid()

    # -- map --------------------------------------------------------------------------------
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
        timeout = check_timeout(timeout)
        if not items:
            return []
        payload = pickle.dumps((fn, params))
        fn_key = key or f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{hash(payload)}"
        n = len(items)
        load_timeout = check_timeout(float(os.environ.get(LOAD_TIMEOUT_ENV, "120")), LOAD_TIMEOUT_ENV)
        with self._lock:
            self._check_owner()
            batch = _Batch(next(self._calls), fn_key, payload, items, timeout, load_timeout,
                           list(reversed(range(n))), [None] * n, [0.0] * n, [0.0] * n)
            want = min(self.size, n)
            while len(self._workers) < want:
                self._workers.append(self._start())
            pool = self._workers[:want]
            try:
                while batch.todo or any(w.busy for w in pool):
                    self._dispatch(batch, pool)
                    self._collect(batch, pool)
            except BaseException:
                self._abandon(pool)
                raise
            finally:
                self._workers[:want] = pool
        if seconds is not None:
            seconds[:] = batch.took
        return [r if r is not None else Result("crashed", "lost result") for r in batch.results]

    def _dispatch(self, batch: _Batch, pool: list[_Worker]) -> None:
        """Send the next items to idle workers."""
        for i, w in enumerate(pool):
            if w.busy is not None or not batch.todo:
                continue
            index = batch.todo.pop()
            first = batch.fn_key not in w.keys
            try:
                w.writer.send((batch.call, batch.fn_key, batch.payload if first else b"", index, batch.items[index]))
            except (OSError, ValueError):  # the worker had died while idle
                batch.todo.append(index)
                pool[i] = self._replace(w)
                continue
            w.keys.add(batch.fn_key)
            batch.started[index] = time.monotonic()
            # a worker seeing this reward first imports it: that time is not the item's
            limit = max(batch.timeout, batch.load_timeout) if first else batch.timeout
            w.busy = (index, batch.started[index] + limit, first)

    def _collect(self, batch: _Batch, pool: list[_Worker]) -> None:
        """Wait until a busy worker answers or the earliest deadline; settle what is due."""
        busy = [w for w in pool if w.busy]
        if not busy:
            return
        wait_for = max(0.0, min(w.busy[1] for w in busy if w.busy) - time.monotonic())
        ready = set(wait([w.reader.fd for w in busy], timeout=wait_for))
        for i, w in enumerate(pool):
            if w.busy is None:
                continue
            if w.reader.fd in ready:
                try:
                    self._read(batch, w)
                except EOFError:
                    self._settle(batch, w.busy[0], Result("crashed", f"worker process died (exit code {_exit_code(w)})"))
                    pool[i] = self._replace(w)
                    continue
            if w.busy is not None and time.monotonic() >= w.busy[1]:
                index, _, loading = w.busy
                if loading:
                    why = f"the worker did not start and load the reward within {max(batch.timeout, batch.load_timeout):g}s"
                else:
                    why = f"no result within {batch.timeout:g}s"
                self._settle(batch, index, Result("timeout", f"{why}; worker killed"))
                pool[i] = self._replace(w)

    def _read(self, batch: _Batch, w: _Worker) -> None:
        for frame in w.reader.frames():
            try:
                call, index, result = pickle.loads(frame)
            except Exception as exc:  # noqa: BLE001 - a result that fails to unpickle is that item's error
                if w.busy is not None:
                    self._settle(batch, w.busy[0], Result("type", f"the result could not be read back: {_short(exc)}"))
                    w.busy = None
                continue
            if call != batch.call or w.busy is None or index != w.busy[0]:
                continue  # a stale answer: never another call's result
            if result.kind == "loaded":
                batch.started[index] = time.monotonic()
                w.busy = (index, batch.started[index] + batch.timeout, False)
                continue
            self._settle(batch, index, Result(*result))
            w.busy = None

    @staticmethod
    def _settle(batch: _Batch, index: int, result: Result) -> None:
        batch.results[index] = result
        batch.took[index] = time.monotonic() - batch.started[index]

    def _abandon(self, pool: list[_Worker]) -> None:
        """After an interrupted map: replace every worker that still owes a result."""
        for i, w in enumerate(pool):
            if w.busy is not None:
                self._kill(w)
                try:
                    pool[i] = self._start()
                except BaseException:  # noqa: BLE001 - a fresh start may fail too; leave it for later
                    pool[i] = w
                    w.busy = None
                    continue
                self.restarts += 1

    def close(self) -> None:
        """Stop every worker (and its process group)."""
        with self._lock:
            if self._pid != os.getpid():
                self._check_owner()
                return
            for w in self._workers:
                try:
                    w.writer.send(None)
                except (OSError, ValueError):
                    pass
                self._kill(w)
            self._workers = []

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]


def _exit_code(w: _Worker) -> int | None:
    try:
        return w.process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return None


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool (created on first use, closed at exit; a forked child gets its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._pid != os.getpid():
            _pool = WorkerPool()
            atexit.register(_pool.close)
        return _pool


def current_pool() -> WorkerPool | None:
    """This process's pool if a ``cpu`` reward has started it, else ``None`` (never creates one)."""
    pool = _pool
    return pool if pool is not None and pool._pid == os.getpid() else None


def close_pool() -> None:
    """Close this process's pool, if any (its workers stop; the next ``cpu`` call starts a new one)."""
    pool = current_pool()
    if pool is not None:
        pool.close()


def _after_fork_in_child() -> None:
    global _pool_lock
    _pool_lock = threading.Lock()  # the parent may have held it while forking
    if _pool is not None:
        _pool._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
