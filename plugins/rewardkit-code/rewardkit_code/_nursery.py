"""The nursery: a zygote inside one bubblewrap sandbox that starts each program run in namespaces of
its own (standard library and ctypes only; ``python -I -S -B /rk/_nursery.py SOCKET_FD``).

It never holds program text or test data: a run's program arrives as a descriptor it hands on
unread. Per run it forks a child that makes a new user, mount, IPC, UTS and PID namespace, waits
for the host zygote to put it in the run's fresh cgroup, mounts fresh tmpfs on ``/tmp`` and
``/sandbox``, and forks the run itself as PID 1 of its namespace: that process mounts its own
``/proc``, drops every capability, sets rlimits, ``no_new_privs`` and the seccomp filter, reads the
program from its descriptor and runs the harness. Nothing writable, no IPC object and no memory
of one run reaches another; a fork costs milliseconds where a fresh bubblewrap and interpreter
cost tens (docs/code.md).

Protocol on the socket, per run: the zygote sends a JSON header with seven descriptors (stdin,
stdout, stderr, tests, report, program, go); the nursery answers ``{"child": PID}`` (the child's
pid here), the zygote moves that process into the run's cgroup and writes a byte to ``go``; the
nursery answers ``{"status": WAITSTATUS}`` when the run ended (the zygote kills it at its deadline
through the cgroup).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402
import _inproc  # noqa: E402
import _isolate  # noqa: E402
import _wire  # noqa: E402,F401

_isolate.preload()
LIBC = ctypes.CDLL(None, use_errno=True)
FILTERS = {False: _isolate.Seccomp(LIBC, False), True: _isolate.Seccomp(LIBC, True)}
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWIPC, CLONE_NEWUTS = 0x08000000, 0x04000000
N_FDS = 7


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _drop_capabilities() -> None:
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(LIBC.syscall(126, ctypes.byref(header), ctypes.byref(data)), "capset")  # SYS_capset (x86_64)


def _mount_tmpfs(path: str, size: int) -> None:
    mode = "1777" if path == "/dev/shm" else "0755"
    _check(LIBC.mount(b"tmpfs", path.encode(), b"tmpfs", ctypes.c_ulong(2 | 4), f"size={size},mode={mode}".encode()),
           f"mount tmpfs on {path}")


def _read_only(path: str) -> None:
    """Bind-remount ``path`` read-only, keeping the flags its (locked) mount has."""
    have = os.statvfs(path).f_flag
    keep = sum(ms for st, ms in ((2, 2), (4, 4), (8, 8), (1024, 1024), (2048, 2048), (4096, 1 << 21)) if have & st)
    _check(LIBC.mount(None, path.encode(), None, ctypes.c_ulong(32 | 4096 | 1 | keep), None), f"remount {path} read-only")


def _own_namespaces(uid: int, gid: int) -> None:
    """In the child: new user, mount, IPC, UTS and PID namespaces (the PID one for its children)."""
    _check(LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)
    _check(LIBC.mount(None, b"/", None, ctypes.c_ulong(16384 | (1 << 18)), None), "make / private")


def _run_program(req: dict) -> int:
    """In the run's PID 1: its /proc, no capabilities, limits, filter; then the program."""
    _check(LIBC.mount(b"proc", b"/proc", b"proc", ctypes.c_ulong(2 | 4 | 8), None), "mount /proc")
    os.chdir("/sandbox")
    _drop_capabilities()
    program = _read_all(5)
    os.close(5)
    import resource

    lim = req["limits"]
    for res, value in ((resource.RLIMIT_CPU, int(lim["cpu"])), (resource.RLIMIT_FSIZE, lim["fsize"]),
                       (resource.RLIMIT_NOFILE, lim["nofile"]), (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_AS, lim["memory"])):
        resource.setrlimit(res, (value, value + (1 if res == resource.RLIMIT_CPU else 0)))
    mode = req["mode"]
    FILTERS[mode in ("serve", "function")].install()
    sys.path[:] = [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]
    sys.path[:0] = req.get("pythonpath") or []
    sys.argv = ["solution.py"]
    if mode == "function":
        return _inproc.run_function(program)
    return (_harness.serve_program if mode == "serve" else _harness.run_stdio)(program)


def _read_all(fd: int) -> str:
    chunks: list[bytes] = []
    while True:
        block = os.read(fd, 1 << 20)
        if not block:
            return b"".join(chunks).decode("utf-8", "surrogateescape")
        chunks.append(block)


def _child(req: dict, fds: list[int], report: int) -> None:
    """The run's parent: namespaces, the go from the zygote (cgroup joined), tmpfs, then PID 1."""
    status = 125
    try:
        os.setsid()
        go = fds[6]
        for target, fd in enumerate(fds[:6]):
            os.dup2(fd, target)
        keep = {0, 1, 2, 3, 4, 5, go, report}
        for fd in range(3, 256):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        _own_namespaces(os.getuid(), os.getgid())
        os.write(report, b"u")
        if os.read(go, 1) != b"g":
            os._exit(125)
        os.close(go)
        os.close(report)
        size = int(req.get("tmp_bytes", 64 << 20))
        _mount_tmpfs("/tmp", size)
        _mount_tmpfs("/sandbox", size)
        _mount_tmpfs("/dev/shm", size)
        # bubblewrap's /dev (a tmpfs with the device nodes) is the nursery's: read-only for runs
        _read_only("/dev")
        LIBC.sethostname(b"sandbox", 7)
        pid = os.fork()
        if pid == 0:
            code = 125
            try:
                code = _run_program(req)
            except BaseException as exc:  # noqa: BLE001 - setup failed: the run fails
                try:
                    os.write(2, f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
                except OSError:
                    pass
            os._exit(code & 0xFF)
        for fd in range(6):
            os.close(fd)
        _, wait = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(wait)
        if status < 0:
            os.kill(os.getpid(), -status)
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(2, f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
    os._exit(status & 0xFF if status >= 0 else 125)


def _send(sock: socket.socket, obj: dict) -> None:
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack("!I", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def serve(sock: socket.socket) -> None:
    while True:
        head, fds, _, _ = socket.recv_fds(sock, 4, N_FDS)
        if not head:
            return
        head += _recv_exact(sock, 4 - len(head)) if len(head) < 4 else b""
        req = json.loads(_recv_exact(sock, struct.unpack("!I", head)[0]))
        if len(fds) != N_FDS:
            for fd in fds:
                os.close(fd)
            _send(sock, {"error": f"expected {N_FDS} descriptors"})
            continue
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            sock.close()
            os.close(ready_r)
            _child(req, fds, ready_w)
        os.close(ready_w)
        for fd in fds:
            os.close(fd)
        unshared = os.read(ready_r, 1) == b"u"
        os.close(ready_r)
        _send(sock, {"child": pid, "ready": unshared})
        _, wait = os.waitpid(pid, 0)
        _send(sock, {"status": wait})


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    import gc

    gc.collect()
    gc.freeze()
    _send(sock, {"ready": True})
    serve(sock)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass
