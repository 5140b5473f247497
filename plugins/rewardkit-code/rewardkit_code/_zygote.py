"""The zygote: a clean interpreter that forks one child per program (standard library only).

Started once per sandbox client as ``python -I -B _zygote.py SOCKET_FD ROOT``. It never runs
untrusted code itself: for each request it forks a child that drops into a fresh temporary
directory, its own session, rlimits, the zygote's own unprivileged uid (when root; one run at a time) and runs
the program; the zygote enforces the wall deadline, kills every process the program left
(all processes of that uid, or its process group), removes the directory and replies.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402  (the child's code, imported before any fork)
import _inproc  # noqa: E402
import _isolate  # noqa: E402
import _nursery_host  # noqa: E402
import _wire  # noqa: E402,F401

# Pre-import what programs commonly use, so a forked child finds it loaded (fast, and
# importable even where the sandbox uid cannot read the interpreter's own directory).
_isolate.preload()

UID_BASE = 1_500_000_000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
N_FDS = 5  # stdin, stdout, stderr, tests, report


def _libc():  # type: ignore[no-untyped-def]
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


try:
    _LIBC = _libc()  # kept for prctl in children; ctypes itself is not left in sys.modules
except (ImportError, OSError):
    _LIBC = None
#: seccomp filters (prepared before any fork): every run, and function tests (no new process)
_FILTERS = {False: _isolate.Seccomp(_LIBC, False), True: _isolate.Seccomp(_LIBC, True)} if _LIBC else {}
_CGROUPS: _isolate.Cgroups | None = None
_SCRATCH = False  # the zygote has its private mount namespace (fresh scratch dirs per run)
_NURSERY: _nursery_host.Nursery | None = None  # the zygote inside bubblewrap that starts runs (root + cgroup)
_NURSERY_WHY: list[str] = []  # why the last nursery failed (runs then take a fresh bubblewrap each)
sys.modules.pop("ctypes", None)


def become_subreaper() -> bool:
    """Orphans of a program are re-parented to the zygote (which kills and reaps them)."""
    try:
        return _libc().prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False
    finally:
        sys.modules.pop("ctypes", None)


def isolate_network() -> str:
    """Move the zygote (and so every child) into a new, empty network namespace.

    As root: ``unshare(CLONE_NEWNET)``. Otherwise, where the kernel allows unprivileged user
    namespaces: a new user namespace mapping only our own uid and gid, with a new network
    namespace. Returns "" on success, else why not.
    """
    if _LIBC is None:
        return "ctypes is unavailable"
    import ctypes

    try:
        if _LIBC.unshare(CLONE_NEWNET) == 0:
            return ""
        why = os.strerror(ctypes.get_errno())
        if os.geteuid() == 0:
            return f"unshare(CLONE_NEWNET) failed: {why}"
        uid, gid = os.geteuid(), os.getegid()
        if _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            return f"unshare(CLONE_NEWNET) failed: {why}; with a user namespace: {os.strerror(ctypes.get_errno())}"
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        return ""
    except OSError as exc:
        return f"network namespace unavailable: {exc}"
    finally:
        sys.modules.pop("ctypes", None)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _send(sock: socket.socket, obj: dict) -> None:
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack("!I", len(data)) + data)


def _child(req: dict, fds: list[int], root: str, privileged: bool) -> None:
    """In the forked child: isolate, drop privileges, run the program. Never returns."""
    status = 125
    try:
        zygote = os.getppid()
        os.setsid()
        _own_fds(fds)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        lim = req["limits"]
        wrap = req.get("bwrap")
        files = _memfds(req) if wrap else []  # bubblewrap copies them into the run's own tmpfs
        home = "/" if wrap else _enter_home(req, root, privileged)
        if _CGROUPS is not None and req.get("cgroup"):
            _CGROUPS.join()
        _set_limits(lim)
        if privileged:
            _drop_to(UID_BASE + zygote)  # the zygote's uid slot: one run at a time per zygote
        if not wrap:  # bubblewrap needs namespaces; it installs the filter itself
            _confine(req["mode"] in ("serve", "function"))
        _die_with_zygote(zygote)
        os.chdir(home)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "TMPDIR": home})
        sys.argv = ["solution.py"]
        import resource

        _limit(resource.RLIMIT_AS, lim["memory"], lim["memory"])
        for name in ("_isolate",):
            sys.modules.pop(name, None)
        if wrap:
            _exec_bwrap(req, files)
        elif req.get("exec"):
            _exec_program(req, home)
        elif req["mode"] == "stdio":
            status = _harness.run_stdio(req["program"])
        elif req["mode"] == "serve":
            status = _harness.serve_program(req["program"])
        else:
            status = _inproc.run_function(req["program"])
    except BaseException as exc:  # noqa: BLE001 - any failure to set up is status 125
        try:
            os.write(2, f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
    os._exit(status)


def _own_fds(fds: list[int]) -> None:
    """``fds`` become descriptors 0, 1, 2, ...; every other one is closed."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target)  # inheritable: a bwrap run passes them on
    os.closerange(len(fds), 65536)


def _drop_to(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _confine(no_exec: bool) -> None:
    """no_new_privs and the seccomp filter (no exec, no fork for function tests)."""
    flt = _FILTERS.get(no_exec)
    if flt is not None:
        flt.install()


def _enter_home(req: dict, root: str, privileged: bool) -> str:
    """The run's working directory: ``/tmp/work`` in the zygote's private scratch tmpfs (emptied
    after the run), or a directory under ``root`` (kept ones, and without a private namespace)."""
    keep = req.get("keep")
    if _SCRATCH and not keep:
        home = "/tmp/work"
        os.mkdir(home, 0o700)
    else:
        home = _home(root, req, os.getpid())
        os.makedirs(home, 0o700, exist_ok=bool(keep))
    if privileged:
        uid = UID_BASE + os.getppid()
        os.chown(home, uid, uid)
    return home


def _die_with_zygote(zygote: int) -> None:
    """PR_SET_PDEATHSIG after the uid change (which clears it); then drop the libc handle."""
    global _LIBC
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)
    _LIBC = None
    if os.getppid() != zygote:  # the zygote died before the signal was armed
        os._exit(125)


def _home(root: str, req: dict, pid: int) -> str:
    """The run's directory: fresh per run, or a kept one shared by the runs of one completion
    (a compiled program: build once, run per case)."""
    keep = req.get("keep")
    if keep:
        if not str(keep).isalnum():
            raise ValueError(f"bad directory name {keep!r}")
        return os.path.join(root, str(keep))
    return os.path.join(root, str(pid))


def _exec_program(req: dict, home: str) -> None:
    """Exec a native command (a compiler, a compiled program), optionally under bubblewrap,
    after writing the program text to ``req["source"]`` when given."""
    if req.get("source"):
        with open(os.path.join(home, os.path.basename(req["source"])), "w", encoding="utf-8") as fh:
            fh.write(req["program"])
    argv = list(req["exec"])
    os.execvp(argv[0], argv)


def _memfds(req: dict) -> list[tuple[int, str]]:
    """The run's files (``{name: base64}``) as memory files bubblewrap copies into ``/sandbox``."""
    import base64

    out = []
    for name, data in (req.get("files") or {}).items():
        fd = os.memfd_create("file", 0)
        view = memoryview(base64.b64decode(data))
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        os.set_inheritable(fd, True)
        out.append((fd, os.path.basename(name)))
    return out


def _exec_bwrap(req: dict, files: list[tuple[int, str]]) -> None:
    """Hand the run to bubblewrap (``_view.argv``): its own namespaces, an allow-list view, fresh
    tmpfs ``/tmp`` and ``/sandbox`` holding the run's files, our seccomp filter; then either the
    native command (``exec``) or a fresh interpreter running the harness."""
    argv = list(req["bwrap"])
    for fd, name in files:
        argv += ["--file", str(fd), f"/sandbox/{name}"]
        if name in (req.get("executable") or ()):
            argv += ["--chmod", "0755", f"/sandbox/{name}"]
    if req.get("info"):
        argv += ["--info-fd", str(N_FDS)]
    argv = _with_seccomp(argv + ["--"])
    if req.get("exec"):
        argv += list(req["exec"])
    else:
        argv += [req["python"], "-I", "-S", "-B", "/rk/_bwrap_main.py", req["mode"], *req.get("pythonpath", ())]
    os.execv(argv[0], argv)


def _with_seccomp(argv: list[str]) -> list[str]:
    """bubblewrap's ``--seccomp FD``: it installs our filter (and no_new_privs) before the exec."""
    flt = _FILTERS.get(False)
    if flt is None or not flt.code or "--" not in argv:
        return argv
    fd = os.memfd_create("seccomp", 0)
    os.write(fd, flt.code)
    os.lseek(fd, 0, os.SEEK_SET)
    os.set_inheritable(fd, True)
    at = argv.index("--")
    return argv[:at] + ["--seccomp", str(fd)] + argv[at:]


def _set_limits(lim: dict) -> None:
    import resource

    cpu = int(lim["cpu"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_FSIZE, lim["fsize"], lim["fsize"])
    _limit(resource.RLIMIT_NOFILE, lim["nofile"], lim["nofile"])
    _limit(resource.RLIMIT_NPROC, lim["nproc"], lim["nproc"])
    _limit(resource.RLIMIT_CORE, 0, 0)


def _limit(res: int, soft: int, hard: int) -> None:
    """setrlimit, never above the limit we already have (an inherited hard limit stays)."""
    import resource

    _, have = resource.getrlimit(res)
    if have != resource.RLIM_INFINITY:
        soft, hard = min(soft, have), min(hard, have)
    resource.setrlimit(res, (soft, hard))


def _sweep(uid: int) -> None:
    """Kill every process of ``uid`` (a helper that becomes that uid and signals -1)."""
    helper = os.fork()
    if helper == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            # every process of this uid but the caller; a fork racing with it is aborted by
            # the kernel (fatal signal pending), the second pass is belt and braces
            os.kill(-1, signal.SIGKILL)
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            code = 0
        except BaseException:  # noqa: BLE001
            code = 2
        os._exit(code)
    os.waitpid(helper, 0)


def _reap_all(pid: int, privileged: bool) -> int:
    """Reap the program and every descendant (re-parented to us, the subreaper), killing
    those still alive. Returns the program's wait status.

    The common case costs one ``waitpid``: a program that left no process gives ECHILD at once.
    """
    status = 0
    swept = False
    give_up = time.monotonic() + 5.0
    while True:
        try:
            got, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if got == pid:
            status = st
        if _NURSERY is not None and got == _NURSERY.pid:
            _NURSERY.sock.close()
            globals()["_NURSERY"] = None  # it died: a fresh one on the next run
        if got:
            continue
        if not _children() - ({_NURSERY.pid} if _NURSERY is not None else set()):
            return status
        if time.monotonic() > give_up:
            return status
        if not swept:
            swept = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            if privileged:
                _sweep(UID_BASE + os.getpid())
        _kill_children()
        time.sleep(0.001)


def _children() -> set[int]:
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:
            return {int(c) for c in fh.read().split()}
    except OSError:
        return set()


def _kill_children() -> None:
    me = str(os.getpid())
    spare = str(_NURSERY.pid) if _NURSERY is not None else ""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or entry == spare:
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if fields[1] == me:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, IndexError):
            continue


def _run(req: dict, fds: list[int], root: str, privileged: bool, sock: socket.socket) -> dict:
    start = time.monotonic()
    lim = req["limits"]
    if _CGROUPS is not None and req.get("cgroup"):
        _CGROUPS.begin(int(lim["memory"]), int(lim["nproc"]), float(lim.get("cpus", 1.0)))
        if req.get("nursery") and privileged:
            reply = _nursery_run(req, fds, sock)
            if reply is not None:
                return reply
    info = os.pipe() if req.get("bwrap") else None
    if info is not None:
        req["info"] = True
        fds = fds + [info[1]]
    pid = os.fork()
    if pid == 0:
        _child(req, fds, root, privileged)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    timed_out, orphaned = _wait(pidfd, sock, start + float(req["limits"]["wall"]))
    if timed_out or orphaned:
        _kill(pid)
    status = _reap_all(pid, privileged)
    os.close(pidfd)
    if _CGROUPS is not None:
        _CGROUPS.end()  # a fresh cgroup per run: no charge of this run reaches the next
    clean = True
    if info is not None:
        started = _drain(info[0])
    else:
        started = True
        if _SCRATCH:
            clean = _isolate.wipe_scratch()  # every process of the run is dead: nothing survives into the next
        elif not req.get("keep"):
            clean = _isolate.remove_tree(os.path.join(root, str(pid)))
    wall = time.monotonic() - start
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return {"exit": code, "signal": sig, "timeout": timed_out, "wall": wall, "orphaned": orphaned,
            "started": started, "dirty": not clean, "nursery_why": _NURSERY_WHY[0] if _NURSERY_WHY else ""}


def _nursery_run(req: dict, fds: list[int], sock: socket.socket) -> dict | None:
    """The run through the nursery; None when the nursery cannot take it (a fresh bubblewrap then)."""
    global _NURSERY
    import base64

    assert _CGROUPS is not None
    if _NURSERY_WHY:  # it failed before in this zygote: fresh bubblewraps from now on
        return None
    try:
        if _NURSERY is None:
            _NURSERY = _nursery_host.Nursery(req["bwrap"], req["python"], True)
        program = base64.b64decode(req["files"]["solution.py"])
        reply = _NURSERY.run(req, fds, sock, _CGROUPS, program)
    except _nursery_host.NurseryError as exc:
        _NURSERY_WHY[:] = [str(exc)]
        if _NURSERY is not None:
            _NURSERY.close()
            _NURSERY = None
        _CGROUPS.kill_all()
        return None
    for fd in fds:
        os.close(fd)
    _CGROUPS.end()
    return reply


def _drain(fd: int) -> bool:
    """Whether bubblewrap wrote its info (it created the sandbox); closes ``fd``."""
    try:
        os.set_blocking(fd, False)
        return bool(os.read(fd, 4096))
    except OSError:
        return False
    finally:
        os.close(fd)


def _wait(pidfd: int, sock: socket.socket, end: float) -> tuple[bool, bool]:
    """Until the process of ``pidfd`` exits (False, False), the deadline passes (True, False) or
    our client goes away (False, True)."""
    while True:
        ready, _, _ = select.select([pidfd, sock.fileno()], [], [], max(0.0, end - time.monotonic()))
        if pidfd in ready:
            return False, False
        if sock.fileno() in ready and sock.recv(1, socket.MSG_PEEK) == b"":
            return False, True
        if not ready or time.monotonic() >= end:
            return True, False


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _private_mounts(root: str, privileged: bool) -> tuple[str, str]:
    """``(root, why)``: the zygote's private mount namespace, or why there is none."""
    global _SCRATCH
    if not privileged or _LIBC is None:
        return root, "needs root" if not privileged else "ctypes is unavailable"
    try:
        root = _isolate.private_mounts(_LIBC, root)
    except OSError as exc:
        return root, str(exc)
    _SCRATCH = True
    return root, ""


def _no_seccomp() -> str:
    import platform

    return f"no seccomp table for {platform.machine()}" if _LIBC is not None else "ctypes is unavailable"


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    root = sys.argv[2]
    os.chmod(root, 0o711)
    privileged = os.geteuid() == 0
    net = isolate_network()
    reaper = become_subreaper()
    if privileged:
        _sweep(UID_BASE + os.getpid())  # leftovers of an earlier zygote that had our pid
    global _CGROUPS
    import gc

    gc.collect()
    gc.freeze()  # a collection in a child would touch, and so copy, every page of the zygote
    root, ns = _private_mounts(root, privileged)
    cgroups = _isolate.Cgroups(f"rewardkit-code-{os.getpid()}") if privileged else None
    _CGROUPS = cgroups if cgroups is not None and cgroups.dirs else None
    flt = _FILTERS.get(False)
    _send(sock, {"ready": True, "network": net, "privileged": privileged, "pid": os.getpid(), "subreaper": reaper,
                 "ns": ns, "seccomp": "" if flt is not None and flt.code else _no_seccomp(),
                 "cgroups": _CGROUPS.dirs if _CGROUPS else [],
                 "cgroup_why": "" if _CGROUPS else (cgroups.why if cgroups else "not root"),
                 "staged": {os.path.realpath(sys.base_prefix): _isolate.STAGED} if _SCRATCH else {}})
    try:
        _serve(sock, root, privileged)
    finally:
        if _CGROUPS is not None:
            _CGROUPS.remove()


def _serve(sock: socket.socket, root: str, privileged: bool) -> None:
    while True:
        try:
            head, fds, _, _ = socket.recv_fds(sock, 4, N_FDS)
        except OSError:
            return
        if not head:
            return
        if len(head) < 4:
            head += _recv_exact(sock, 4 - len(head))
        size = struct.unpack("!I", head)[0]
        req = json.loads(_recv_exact(sock, size))
        if len(fds) != N_FDS:
            for fd in fds:
                os.close(fd)
            _send(sock, {"error": f"expected {N_FDS} descriptors, got {len(fds)}"})
            continue
        reply = _run(req, fds, root, privileged, sock)
        if reply["orphaned"]:
            return
        _send(sock, reply)
        del req


if __name__ == "__main__":
    try:
        main()
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass
