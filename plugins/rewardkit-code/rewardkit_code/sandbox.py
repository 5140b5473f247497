"""The sandbox client: a pre-started zygote and one fresh forked child per program.

``Sandbox.run(...)`` sends the program and five pipe ends (stdin, stdout, stderr, tests,
report) to the zygote, which forks a child for it (and, for function tests, a judge beside it
that alone reads the tests and writes the report); this side feeds stdin and the tests,
reads stdout/stderr up to a cap and returns a :class:`Run`. Each host worker process holds
one sandbox (:func:`get_sandbox`); a zygote that dies or stops answering is replaced.

Backends (``backend=``): ``fork`` runs the program in a child of the zygote with every
isolation the kernel allows: as root the zygote lives in a private mount namespace (tmpfs
``/tmp``, ``/var/tmp``, ``/dev/shm`` emptied after each run, a ``/proc`` hiding other users'
processes) and puts each run in a memory and pids cgroup; ``ns`` is ``fork`` that refuses to run
without the namespace; ``auto`` (the default) is ``ns`` where available, else ``fork`` with a
warning; ``bwrap`` adds bubblewrap (only system directories visible, a fresh interpreter per
run). Every backend has no network, an unprivileged uid (as root), rlimits, ``no_new_privs``
and a seccomp filter (x86_64).
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

    def as_request(self) -> dict[str, Any]:
        return {
            "wall": self.wall, "cpu": max(1, int(self.cpu)), "memory": self.memory_mb << 20,
            "fsize": self.file_mb << 20, "nofile": self.nofile, "nproc": self.nproc,
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
    """The sandbox itself failed (not the program)."""


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
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(_JUDGE), str(child.fileno())], pass_fds=(child.fileno(),),
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
                       "RLIMIT_NPROC counts all your processes, programs can read your files, and cleanup "
                       "relies on the zygote being the subreaper of every process a program starts")

    def backend(self, asked: str = "auto") -> str:
        """The backend a run asked for ``asked`` gets (``auto``: ``ns`` where available)."""
        if asked in ("fork", "bwrap"):
            return asked
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self.start()
        if asked == "ns" and self.info.get("ns"):
            raise SandboxError(f"backend 'ns' is unavailable here: {self.info['ns']}")
        if self.info.get("ns"):
            _warn_once("ns", "rewardkit-code: backend 'auto' is 'fork' here (no private /tmp, /var/tmp, /dev/shm "
                       f"or /proc): {self.info['ns']}")
            return "fork"
        return "ns"

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
            shutil.rmtree(self._root, ignore_errors=True)

    def discard(self, keep: str) -> None:
        """Remove a directory kept with ``run(..., keep=...)``."""
        if keep and keep.isalnum() and self._root:
            shutil.rmtree(os.path.join(self._root, keep), ignore_errors=True)

    def _reply(self) -> dict[str, Any]:
        assert self._sock is not None
        head = _recv_exact(self._sock, 4)
        return json.loads(_recv_exact(self._sock, struct.unpack("!I", head)[0]))

    # -- one run ------------------------------------------------------------------------
    def run(self, program: str, *, mode: str = "stdio", stdin: bytes = b"", tests: bytes = b"",
            limits: Limits = Limits(), backend: str = "auto", command: list[str] | None = None,
            source: str = "", keep: str = "") -> Run:
        """Run ``program`` once in a fresh child of the zygote (``backend="bwrap"``: the child
        execs bubblewrap and a fresh interpreter that sees only the system directories).

        ``mode``: ``stdio``, ``serve`` (function tests: ``tests`` goes to a judge process, the
        program answers its calls) or ``function`` (tests in the program's process, non-strict).
        ``command``: exec this native command instead of running Python (``program`` is then
        written to the file ``source`` first, when given). ``keep``: use the directory of that
        name, kept between runs until :meth:`discard` (build once, run per case).
        """
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
        wrap = bwrap_argv() if backend == "bwrap" else None
        if command is not None and wrap is not None:
            wrap = wrap[: wrap.index("--") + 1]  # bubblewrap's part only, then the command
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._proc is None or self._proc.poll() is not None:
                        self.close()
                        self.start()
                    isolation = self.backend(backend)
                    extra = {"exec": command, "source": source, "keep": keep, "isolation": isolation,
                             "cgroup": bool(self.info.get("cgroups"))}
                    return self._run(program, mode, stdin, tests, limits, wrap, extra)
                except (OSError, EOFError, ValueError, SandboxError) as exc:
                    died = self._proc is not None and _exited(self._proc)
                    self.close()  # never reuse a zygote in an unknown state
                    if attempt == 2 or not died:
                        raise SandboxError(f"sandbox failed: {exc}") from exc
                    # the zygote had died (killed from outside): run once more on a fresh one
            raise AssertionError("unreachable")

    def _run(self, program: str, mode: str, stdin: bytes, tests: bytes, limits: Limits,
             wrap: list[str] | None, extra: dict[str, Any]) -> Run:
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
        request = {"mode": mode, "program": program, "limits": limits.as_request(), "bwrap": wrap, **extra}
        body = json.dumps(request).encode()
        try:
            if judge_ends:
                self.judge.submit(judge_ends)
            socket.send_fds(self._sock, [struct.pack("!I", len(body))], child_ends)
            self._sock.sendall(body)
        finally:
            for fd in set(child_ends) | set(judge_ends):
                os.close(fd)
        run = self._pump(ours, stdin, tests, limits, fatal_cap=(mode == "stdio"))
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
                   bytes(out["stderr"]), bytes(out["report"]), truncated, {"report_closed": "report" in closed})

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


BACKENDS = ("auto", "ns", "fork", "bwrap")


def bwrap_interpreter() -> str:
    """An interpreter the sandbox uid can run: this one when every directory above it is
    world-readable, else the system's /usr/bin/python3."""
    path = Path(os.path.realpath(sys.executable))
    readable = all(os.stat(p).st_mode & 0o005 == 0o005 for p in path.parents) and os.stat(path).st_mode & 0o005
    if readable or os.geteuid() != 0:
        return str(path)
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate):
            _warn_once("interp", f"rewardkit-code: {path} is not readable by the sandbox uid; "
                       f"bwrap runs use {candidate}")
            return candidate
    raise SandboxError(f"no interpreter readable by the sandbox uid ({path} sits in a private directory)")


_bwrap_cache: list[str] = []
#: The files a bubblewrap run binds into ``/rk``.
HARNESS_FILES = ("_harness.py", "_bwrap_main.py", "_wire.py", "_isolate.py")
#: ``_isolate.SCRATCH``, restated: this module is also loaded alone, outside its package.
_PRIVATE = ("/tmp", "/var/tmp", "/dev/shm")


def harness_dir(here: Path) -> Path:
    """Where bubblewrap finds the harness files. The zygote runs bwrap from its own mount namespace,
    whose ``/tmp``, ``/var/tmp`` and ``/dev/shm`` are fresh tmpfs: a plugin installed below one of
    them (a checkout or venv in ``/tmp``) is invisible there, so its files are copied once to a
    cache folder keyed by their content."""
    real = os.path.realpath(here)
    if not any(real == d or real.startswith(d + "/") for d in _PRIVATE):
        return here
    import hashlib

    digest = hashlib.sha256(b"".join((here / n).read_bytes() for n in HARNESS_FILES)).hexdigest()[:16]
    # As root the runs take the sandbox uid, which cannot enter /root: use a folder every uid can read.
    base = Path("/var/cache") if os.geteuid() == 0 else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = base / "rewardkit" / f"code-harness-{digest}"
    if not all((cache / n).is_file() for n in HARNESS_FILES):
        cache.mkdir(parents=True, exist_ok=True)
        for name in HARNESS_FILES:
            tmp = cache / f".{name}.{os.getpid()}"
            tmp.write_bytes((here / name).read_bytes())
            os.chmod(tmp, 0o644)
            os.replace(tmp, cache / name)
        for folder in (cache.parent, cache):
            os.chmod(folder, 0o755)
    return cache


def bwrap_argv() -> list[str]:
    """The bubblewrap command line of a run (``{home}`` is the run's own directory)."""
    if _bwrap_cache:
        return list(_bwrap_cache)
    exe = shutil.which("bwrap")
    if exe is None:
        raise SandboxError("backend 'bwrap' needs bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)")
    python = bwrap_interpreter()
    argv = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/sandbox", "--setenv", "LANG", "C.UTF-8",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/alternatives"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    prefix = Path(python).parent.parent
    if not str(prefix).startswith("/usr"):
        argv += ["--ro-bind", str(prefix), str(prefix)]
    here = harness_dir(Path(__file__).parent)
    for name in HARNESS_FILES:
        argv += ["--ro-bind", str(here / name), f"/rk/{name}"]
    argv += ["--bind", "{home}", "/sandbox", "--chdir", "/sandbox", "--", python, "-I", "-B", "/rk/_bwrap_main.py"]
    _bwrap_cache[:] = argv
    return list(argv)


def leftover_processes(ancestor: int | None = None) -> list[int]:
    """Pids of live processes running under a sandbox uid (none after a run, when root).

    ``ancestor``: only those descending from that pid (e.g. ``os.getpid()``: this process's
    own sandboxes, not another program's on the same machine).
    """
    parents: dict[int, int] = {}
    found = []
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
        if int(fields.get("Uid", "0").split()[0]) >= UID_BASE:
            found.append(pid)
    if ancestor is None:
        return found
    return [pid for pid in found if _descends(pid, ancestor, parents)]


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

    Keys: ``backend`` (the one ``auto`` resolves to), ``defences`` (what holds), ``missing``
    (what does not, and why), ``bwrap`` (whether bubblewrap is installed).
    """
    box = get_sandbox()
    with box._lock:
        if box._proc is None or box._proc.poll() is not None:
            box.close()
            box.start()
        info = dict(box.info)
        active = box.backend(backend) if backend != "bwrap" else "bwrap"
    defences, missing = ["fresh forked process per program", "rlimits (cpu, address space, file size, files)",
                         "the tests judged in a separate process (function tests)"], {}
    checks = {
        "no network": info.get("network") or "",
        "unprivileged uid of its own": "" if info.get("privileged") else "not root",
        "private /tmp, /var/tmp, /dev/shm emptied per run; /proc hiding other users": info.get("ns") or "",
        "memory and processes summed per run (cgroup)": info.get("cgroup_why") or "",
        "no_new_privs + seccomp (no unshare/setns/ptrace/mount/AF_UNIX; no exec/fork in function tests)":
            info.get("seccomp") or "",
    }
    for what, why in checks.items():
        if why:
            missing[what] = why
        else:
            defences.append(what)
    if active == "bwrap":
        defences.append("bubblewrap: only system directories visible, own pid namespace")
    return {"backend": active, "defences": defences, "missing": missing, "bwrap": shutil.which("bwrap") is not None,
            "cgroups": info.get("cgroups") or []}
