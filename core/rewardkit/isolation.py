"""Worker processes with a per-item deadline for ``cpu`` rewards.

Workers are plain ``python -m rewardkit._worker`` subprocesses (no fork of a threaded parent,
no re-run of the caller's ``__main__``), each the leader of its own process group, talking over
two pipes. Every :meth:`WorkerPool.map` call is its own queue; one driver thread per pool sends
the next item of the call with the fewest busy workers to an idle worker (dispatch, round robin
among equals) and waits on the workers' pipes until the earliest deadline (collect); no signals,
so it works from any thread, and a small call never waits for a large one to finish.

* A worker that overruns its item's deadline is killed with its whole process group (its own
  children included) and replaced; the item becomes a ``timeout``.
* A worker that dies (segfault, ``os._exit``, out of memory) turns its item into ``crashed``.
* Results are read without blocking and reassembled from frames, so a partial frame on a pipe
  never holds the collector past a deadline.
* A worker whose host dies (even by SIGKILL) dies with it: on Linux the kernel kills it at once
  (``PR_SET_PDEATHSIG``, which holds even while a reward spins in C code holding the GIL); a
  watcher thread also kills its process group within a second (every platform).
* A worker's stdout goes to the host's stderr: a reward that prints cannot corrupt the host's
  output (``--json``).
* A ``map`` interrupted by any exception (``KeyboardInterrupt`` included), or cancelled through
  :func:`cancel_on` (a client that went away), kills the workers busy on it and settles its
  queued items, so no stale result can reach the next call; every request also carries a call id.
* After ``os.fork()`` the child gets a fresh pool of its own (the parent's workers are never used).
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

from .options import check_timeout  # the one definition of a deadline (rewardkit.options)

#: Number of worker processes (default: all cores).
WORKERS_ENV = "REWARDKIT_WORKERS"
#: Address-space limit of each worker in MiB (default 8192; 0 disables).
MEMORY_ENV = "REWARDKIT_WORKER_MEMORY_MB"
#: Seconds a fresh worker may take to start and import a reward's module (default 120).
LOAD_TIMEOUT_ENV = "REWARDKIT_WORKER_LOAD_TIMEOUT"
#: Niceness added to each worker (default 0; ``rewardkit serve`` sets 5, so its event loop and inline
#: requests come before rewards' CPU work when the cores are saturated).
NICE_ENV = "REWARDKIT_WORKER_NICE"

Item = tuple[str, str, dict[str, Any]]  # completion, prompt, columns
_HEADER = struct.Struct("!Q")


class Result(NamedTuple):
    """One item's outcome: ``kind`` is ``"ok"`` (``payload`` is the returned value) or a reason
    code, ``"raised"``, ``"crashed"``, ``"type"`` (a result that cannot cross processes) or
    ``"timeout"`` (``payload`` is the message)."""

    kind: str
    payload: Any


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


def _die_with_owner(owner: int) -> None:
    """Linux: the kernel SIGKILLs this worker the moment its owner dies (``PR_SET_PDEATHSIG``), even
    while the worker holds the GIL in C code (a catastrophic regex) where no watcher thread can run.
    An owner already gone before that was set is caught by the ``getppid`` check after it."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if owner and os.getppid() != owner:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _reap_group_after(fds: tuple[int, ...], interval: float = 0.5) -> None:
    """Fork a small watcher into this worker's process group: once the worker is gone (killed by the
    kernel with its owner, or crashed), it kills the whole group, so programs the worker started die
    too (the worker's own watcher thread never runs when the kernel kills it). The watcher holds none
    of the worker's pipes, so the owner still sees a dead worker at once."""
    worker = os.getpid()
    if not hasattr(os, "fork") or os.fork() != 0:
        return
    try:
        for fd in fds:
            os.close(fd)
        while os.getppid() == worker:
            time.sleep(interval)
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(0)


def _lower_priority(raw: str) -> None:
    """Add ``raw`` (``$REWARDKIT_WORKER_NICE``) to this worker's niceness; a bad value is ignored here (no
    one reads a worker's errors before its first item) and the worker runs at its owner's priority."""
    try:
        step = int(raw) if raw else 0
    except ValueError:
        return
    if step > 0 and hasattr(os, "nice"):
        try:
            os.nice(min(step, 19))
        except OSError:
            pass


def _watch_parent(interval: float = 1.0) -> None:
    """Kill this worker's process group (it and its children) once the host is gone, even mid-item
    (every platform; Linux also has :func:`_die_with_owner`)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="rewardkit-parent-watch", daemon=True).start()


def _worker_main(read_fd: int, write_fd: int, memory_mb: int, owner: int = 0) -> None:
    """Loop of one worker: receive (call, key, payload, index, item), send back (call, index, result)."""
    if os.getpgrp() == os.getpid():  # started by WorkerPool: the leader of its own group
        _die_with_owner(owner)
        _reap_group_after((read_fd, write_fd))
        _watch_parent()
    _limit_memory(memory_mb)
    _lower_priority(os.environ.get(NICE_ENV, ""))
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


@dataclass(eq=False)
class _Batch:
    """The state of one ``map`` call: its own queue of items, settled by the pool's driver."""

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
    pending: int = 0
    busy: int = 0  # workers on this batch now
    turn: int = 0  # when it was last served (round robin among equals)
    cancelled: str | None = None  # why the caller gave up (the driver settles the rest)
    owner: tuple[str, float] = ("", 1.0)  # whose call it is (fair turns across owners; see charged_to)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    reader: _Reader
    writer: Connection
    keys: set[str] = field(default_factory=set)
    busy: tuple[_Batch, int, float, bool] | None = None  # (batch, item index, deadline, still loading)
    idle_since: float = field(default_factory=time.monotonic)


#: Seconds an extra worker (started beyond ``size`` so a newly arrived call need not wait) stays idle.
EXTRA_IDLE_SECONDS = 5.0

# the caller's stop event and owner: context variables, so a thread started in a copy of the
# caller's context (a ``model`` reward's) sees them too; a new thread starts without them
_cancel: ContextVar[threading.Event | None] = ContextVar("rewardkit_cancel", default=None)
_owner: ContextVar[tuple[str, float] | None] = ContextVar("rewardkit_owner", default=None)


@contextmanager
def cancel_on(event: threading.Event) -> Iterator[None]:
    """Within this block (this thread), ``map`` gives up on its remaining items once ``event`` is set.

    ``rewardkit serve`` sets the event when the client disconnects: its items stop running and
    become ``timeout`` results saying so.
    """
    token = _cancel.set(event)
    try:
        yield
    finally:
        _cancel.reset(token)


def cancelled() -> str | None:
    """Why this thread's work should stop (the event of an enclosing :func:`cancel_on` is set), else None.

    Inline scoring checks it between items and terms; the event's ``why`` says why, when it has one.
    """
    event = _cancel.get()
    if event is None or not event.is_set():
        return None
    return str(getattr(event, "why", None) or "cancelled: the caller went away")


@contextmanager
def charged_to(owner: str, share: float = 1.0) -> Iterator[None]:
    """Within this block (this thread), ``map`` calls count as ``owner``'s: the pool hands its turns
    out fairly across owners (weighted by ``share``) before calls (``rewardkit serve``'s tenants)."""
    token = _owner.set((owner, share))
    try:
        yield
    finally:
        _owner.reset(token)


class WorkerPool:
    """A lazily started pool of worker processes shared fairly by concurrent calls from any thread.

    Every ``map`` call is its own queue; one driver thread hands the next item to an idle worker
    from the call with the fewest workers busy on it (round robin among equals), so a small call
    does not wait behind a large one. A call that finds every worker busy with other calls may
    start one extra worker (up to ``size + max(2, size)`` in all), and only such starved calls use
    workers beyond ``size``; extra workers stop after :data:`EXTRA_IDLE_SECONDS` idle.
    """

    def __init__(self, size: int | None = None, memory_mb: int | None = None) -> None:
        self.size = size or default_workers()
        self.memory_mb = int(os.environ.get(MEMORY_ENV, "8192")) if memory_mb is None else memory_mb
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._calls = itertools.count(1)
        self._turns = itertools.count(1)
        self._active: list[_Batch] = []
        self._driver: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._closed = False
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
                [sys.executable, "-m", "rewardkit._worker", str(to_child_r), str(from_child_w), str(self.memory_mb),
                 str(os.getpid())],
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
        _close_pipes(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place (its item, if any, is already settled)."""
        self._kill(worker)
        self.restarts += 1
        i = self._workers.index(worker)
        try:
            self._workers[i] = self._start()
        except OSError:
            del self._workers[i]  # started again when needed

    def _check_owner(self) -> None:
        """After ``os.fork()``, forget the parent's workers, calls and driver (not ours to use)."""
        if self._pid != os.getpid():
            for w in self._workers:
                _close_pipes(w)
            self._workers, self._active, self._driver = [], [], None
            self._wake_r = self._wake_w = -1
            self._closed = False
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
        cancel: threading.Event | None = None,
    ) -> list[Result]:
        """Score each item in a worker, with ``timeout`` seconds per item.

        When ``seconds`` is a list it receives each item's round-trip time through its worker.
        ``cancel`` (default: the event of an enclosing :func:`cancel_on`) stops the call early.
        """
        timeout = check_timeout(timeout)
        if not items:
            return []
        batch = self._new_batch(fn, params, items, timeout, key)
        batch.owner = _owner.get() or ("", 1.0)
        cancel = cancel if cancel is not None else _cancel.get()
        if cancel is not None and cancel.is_set():  # nothing starts for a caller that has gone
            why = str(getattr(cancel, "why", None) or "cancelled: the caller went away")
            if seconds is not None:
                seconds[:] = [0.0] * len(items)
            return [Result("timeout", why) for _ in items]
        self._submit(batch)
        self._wait(batch, cancel)
        if seconds is not None:
            seconds[:] = batch.took
        return [r if r is not None else Result("crashed", "lost result") for r in batch.results]

    def _new_batch(self, fn: Callable[..., Any], params: dict[str, Any], items: Sequence[Item],
                   timeout: float, key: str | None) -> _Batch:
        payload = pickle.dumps((fn, params))
        fn_key = key or f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{hash(payload)}"
        load_timeout = check_timeout(float(os.environ.get(LOAD_TIMEOUT_ENV, "120")), LOAD_TIMEOUT_ENV)
        n = len(items)
        return _Batch(next(self._calls), fn_key, payload, items, timeout, load_timeout,
                      list(reversed(range(n))), [None] * n, [0.0] * n, [0.0] * n, pending=n)

    def _submit(self, batch: _Batch) -> None:
        with self._lock:
            self._check_owner()
            if self._wake_r < 0:
                self._wake_r, self._wake_w = os.pipe()
                os.set_blocking(self._wake_r, False)
                os.set_blocking(self._wake_w, False)
            self._closed = False
            batch.turn = next(self._turns)
            self._active.append(batch)
            if self._driver is None or not self._driver.is_alive():
                self._driver = threading.Thread(target=self._drive, name="rewardkit-pool", daemon=True)
                self._driver.start()
        self._wake()

    def _wait(self, batch: _Batch, cancel: threading.Event | None) -> None:
        try:
            while not batch.done.wait(None if cancel is None else 0.05):
                if cancel is not None and cancel.is_set():
                    self._cancel(batch, str(getattr(cancel, "why", None) or "cancelled: the caller went away"))
                    cancel = None  # the driver settles the rest now
        except BaseException:
            self._cancel(batch, "cancelled: the call was interrupted")
            raise
        if batch.error is not None:
            raise batch.error

    def _cancel(self, batch: _Batch, why: str) -> None:
        with self._lock:
            if batch.cancelled is None:
                batch.cancelled = why
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake, or closed

    # -- the driver: dispatch, collect, settle ------------------------------------------------
    def _drive(self) -> None:
        """The loop of the driver thread: runs while the pool is open and this process owns it."""
        while True:
            try:
                with self._lock:
                    if self._closed or self._pid != os.getpid():
                        return
                    self._settle_cancelled()
                    self._dispatch()
                    fds, wait_for = self._watch_list()
                ready = set(wait(fds, timeout=wait_for))
                with self._lock:
                    self._drain_wake(ready)
                    self._collect(ready)
                    self._retire_extra()
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting call, never lost
                self._fail_all(exc)

    def _watch_list(self) -> tuple[list[int], float | None]:
        busy = [w for w in self._workers if w.busy]
        now = time.monotonic()
        times = [w.busy[2] for w in busy if w.busy]
        if len(self._workers) > self.size:
            times += [w.idle_since + EXTRA_IDLE_SECONDS for w in self._workers if w.busy is None]
        wait_for = max(0.0, min(times) - now) if times else None
        return [self._wake_r] + [w.reader.fd for w in busy], wait_for

    def _drain_wake(self, ready: set[Any]) -> None:
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except (BlockingIOError, OSError):
                pass

    def _next_batch(self) -> _Batch | None:
        """The call to serve next: its owner's workers per share the fewest, then the fewest workers
        busy on the call itself, then the longest since served."""
        ready = [b for b in self._active if b.todo and b.cancelled is None]
        if not ready:
            return None
        by_owner: dict[str, int] = {}
        for b in self._active:
            by_owner[b.owner[0]] = by_owner.get(b.owner[0], 0) + b.busy
        return min(ready, key=lambda b: (by_owner[b.owner[0]] / b.owner[1], b.busy, b.turn))

    def _idle_worker(self, batch: _Batch) -> _Worker | None:
        """A worker for ``batch``'s next item, or None. A call with no worker yet (starved) may use
        any idle worker and start an extra one; any other call only while fewer than ``size`` are
        busy, so the extra workers stay free for the next starved call."""
        starved = batch.busy == 0
        if not starved and sum(w.busy is not None for w in self._workers) >= self.size:
            return None
        idle = [w for w in self._workers if w.busy is None]
        if idle:
            return next((w for w in idle if batch.fn_key in w.keys), idle[0])
        limit = self.size + max(2, self.size) if starved else self.size
        if len(self._workers) < limit:
            self._workers.append(self._start())
            return self._workers[-1]
        return None

    def _dispatch(self) -> None:
        """Hand items to idle workers, fairly across calls."""
        while (batch := self._next_batch()) is not None:
            w = self._idle_worker(batch)
            if w is None:
                return
            index = batch.todo.pop()
            first = batch.fn_key not in w.keys
            try:
                w.writer.send((batch.call, batch.fn_key, batch.payload if first else b"", index, batch.items[index]))
            except (OSError, ValueError):  # the worker had died while idle
                batch.todo.append(index)
                self._replace(w)
                continue
            w.keys.add(batch.fn_key)
            batch.started[index] = time.monotonic()
            batch.busy += 1
            batch.turn = next(self._turns)
            # a worker seeing this reward first imports it: that time is not the item's
            limit = max(batch.timeout, batch.load_timeout) if first else batch.timeout
            w.busy = (batch, index, batch.started[index] + limit, first)

    def _collect(self, ready: set[Any]) -> None:
        """Read what the ready workers sent; settle items past their deadline."""
        for w in list(self._workers):
            if w.busy is None:
                continue
            batch = w.busy[0]
            if w.reader.fd in ready:
                try:
                    self._read(w)
                except EOFError:
                    self._finish(w, Result("crashed", f"worker process died (exit code {_exit_code(w)})"))
                    self._replace(w)
                    continue
            if w.busy is not None and time.monotonic() >= w.busy[2]:
                if w.busy[3]:
                    why = f"the worker did not start and load the reward within {max(batch.timeout, batch.load_timeout):g}s"
                else:
                    why = f"no result within {batch.timeout:g}s"
                self._finish(w, Result("timeout", f"{why}; worker killed"))
                self._replace(w)

    def _read(self, w: _Worker) -> None:
        for frame in w.reader.frames():
            if w.busy is None:
                continue
            batch, index = w.busy[0], w.busy[1]
            try:
                call, got, result = pickle.loads(frame)
            except Exception as exc:  # noqa: BLE001 - a result that fails to unpickle is that item's error
                self._finish(w, Result("type", f"the result could not be read back: {_short(exc)}"))
                continue
            if call != batch.call or got != index:
                continue  # a stale answer: never another call's result
            if result.kind == "loaded":
                batch.started[index] = time.monotonic()
                w.busy = (batch, index, batch.started[index] + batch.timeout, False)
                continue
            self._finish(w, Result(*result))

    def _finish(self, w: _Worker, result: Result) -> None:
        """Settle the item ``w`` was busy with; the worker is idle again."""
        assert w.busy is not None
        batch, index = w.busy[0], w.busy[1]
        w.busy, w.idle_since = None, time.monotonic()
        batch.busy -= 1
        self._settle(batch, index, result)

    def _settle(self, batch: _Batch, index: int, result: Result) -> None:
        if batch.results[index] is not None:
            return
        batch.results[index] = result
        batch.took[index] = time.monotonic() - batch.started[index] if batch.started[index] else 0.0
        batch.pending -= 1
        if batch.pending <= 0:
            if batch in self._active:
                self._active.remove(batch)
            batch.done.set()

    def _settle_cancelled(self) -> None:
        """Items of cancelled calls: queued ones settle at once, running ones lose their worker."""
        for batch in [b for b in self._active if b.cancelled]:
            why = batch.cancelled or "cancelled"
            while batch.todo:
                self._settle(batch, batch.todo.pop(), Result("timeout", why))
            for w in [w for w in self._workers if w.busy and w.busy[0] is batch]:
                self._finish(w, Result("timeout", f"{why}; worker killed"))
                self._replace(w)

    def _retire_extra(self) -> None:
        """Stop extra workers (beyond ``size``) that have been idle long enough."""
        now = time.monotonic()
        for w in [w for w in self._workers if w.busy is None]:
            if len(self._workers) <= self.size:
                return
            if now - w.idle_since >= EXTRA_IDLE_SECONDS:
                self._workers.remove(w)
                self._stop(w)

    def _stop(self, w: _Worker) -> None:
        try:
            w.writer.send(None)
        except (OSError, ValueError):
            pass
        self._kill(w)

    def _fail_all(self, exc: BaseException) -> None:
        """The driver broke (e.g. interrupted): every waiting call gets ``exc``; busy workers are replaced."""
        with self._lock:
            for w in [w for w in self._workers if w.busy]:
                w.busy = None
                try:
                    self._replace(w)
                except BaseException:  # noqa: BLE001 - a fresh start may fail too; started again when needed
                    pass
            for batch in self._active:
                batch.error = exc
                batch.done.set()
            self._active = []

    def close(self) -> None:
        """Stop every worker (and its process group) and the driver."""
        with self._lock:
            if self._pid != os.getpid():
                self._check_owner()
                return
            self._closed = True
            driver = self._driver
        self._wake()
        if driver is not None and driver is not threading.current_thread():
            driver.join(timeout=10)
        with self._lock:
            for w in self._workers:
                if w.busy is not None:  # a call still waiting on it gets its answer, never a hang
                    self._finish(w, Result("crashed", "the worker pool was closed"))
                self._stop(w)
            self._workers, self._driver = [], None
            for batch in self._active:
                for index in list(batch.todo):
                    self._settle(batch, index, Result("crashed", "the worker pool was closed"))
                batch.todo.clear()
            self._active = []

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]

    def stats(self) -> dict[str, int]:
        """Workers, busy workers, calls in progress and items queued (for ``/readyz`` and ``/metrics``)."""
        with self._lock:
            return {"workers": len(self._workers), "busy": sum(w.busy is not None for w in self._workers),
                    "calls": len(self._active), "queued": sum(len(b.todo) for b in self._active),
                    "alive": sum(w.process.poll() is None for w in self._workers)}


def _close_pipes(worker: _Worker) -> None:
    for close in (worker.writer.close, lambda: os.close(worker.reader.fd)):
        try:
            close()
        except OSError:
            pass

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
