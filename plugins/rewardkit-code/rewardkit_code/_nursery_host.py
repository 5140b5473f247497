"""The zygote's side of the nursery (:mod:`_nursery`): start it in its bubblewrap, hand it runs,
put each run in its fresh cgroup before the program starts, enforce the deadline through the
cgroup (standard library only; loaded by the zygote)."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import time

#: the nursery's uid: UID_BASE - 1 - the zygote's pid (runs are swept by cgroup, never by uid)
NURSERY_UID_BASE = 1_500_000_000 - 1


class NurseryError(RuntimeError):
    """The nursery is not usable: the run falls back to a fresh bubblewrap."""


class Nursery:
    def __init__(self, bwrap: list[str], python: str, privileged: bool) -> None:
        argv = [a for a in bwrap if a != "--disable-userns"]  # runs make their own user namespace
        here = "/rk/_nursery.py"
        parent, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            _exec(argv + ["--", python, "-I", "-S", "-B", here, "3"], child.fileno(), privileged)
        child.close()
        self.pid, self.sock = pid, parent
        parent.settimeout(30)
        try:
            hello = _recv(parent)
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise NurseryError(f"the nursery did not start: {exc}") from None
        parent.settimeout(None)
        if not hello.get("ready"):
            self.close()
            raise NurseryError("the nursery did not start")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        for sig in (signal.SIGKILL,):
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass

    def run(self, req: dict, fds: list[int], client: socket.socket, cgroups, program: bytes) -> dict:  # type: ignore[no-untyped-def]
        """One run; raises NurseryError when the nursery fails before the program could start."""
        start = time.monotonic()
        prog = os.memfd_create("program", 0)
        view = memoryview(program)
        while view:
            view = view[os.write(prog, view):]
        os.lseek(prog, 0, os.SEEK_SET)
        go_r, go_w = os.pipe()
        lim = req["limits"]
        header = json.dumps({"mode": req["mode"], "limits": lim, "pythonpath": req.get("pythonpath") or [],
                             "tmp_bytes": int(req.get("tmp_bytes") or 64 << 20)}).encode()
        try:
            socket.send_fds(self.sock, [struct.pack("!I", len(header))], fds + [prog, go_r])
            self.sock.sendall(header)
        except OSError as exc:
            raise NurseryError(f"the nursery is gone: {exc}") from None
        finally:
            for fd in (prog, go_r):
                os.close(fd)
        try:
            try:
                got = _recv(self.sock)
                if not got.get("ready"):
                    raise NurseryError("the run's namespaces could not be made")
                child = _host_pid(self.pid, int(got["child"]))
                cgroups.join_pid(child)
            except (OSError, EOFError, ValueError, KeyError) as exc:
                raise NurseryError(f"the nursery failed: {exc}") from None
            os.write(go_w, b"g")
        finally:
            os.close(go_w)
        timed_out, orphaned = self._wait(client, start + float(lim["wall"]), lambda: _kill_run(child, cgroups))
        try:
            status = int(_recv(self.sock)["status"])
        except (OSError, EOFError, ValueError, KeyError):
            status = signal.SIGKILL  # the nursery died with the run: the run failed
        cgroups.kill_all()  # returns once every task of the run is released
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        return {"exit": code, "signal": sig, "timeout": timed_out, "wall": time.monotonic() - start,
                "orphaned": orphaned, "started": True, "dirty": False}

    def _wait(self, client: socket.socket, end: float, kill) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
        while True:
            ready, _, _ = select.select([self.sock, client], [], [], max(0.0, end - time.monotonic()))
            if self.sock in ready:
                return False, False
            if client in ready and client.recv(1, socket.MSG_PEEK) == b"":
                kill()
                return False, True
            if not ready or time.monotonic() >= end:
                kill()
                return True, False


def _kill_run(child: int, cgroups) -> None:  # type: ignore[no-untyped-def]
    """Kill the run's PID 1 first (the kernel then kills every process of its PID namespace, and
    none can fork any more: a fork bomb ends at once), then whatever is left in its cgroup."""
    try:
        with open(f"/proc/{child}/task/{child}/children") as fh:
            inits = [int(c) for c in fh.read().split()]
    except (OSError, ValueError):
        inits = []
    for pid in inits:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    cgroups.kill_all()


def _exec(argv: list[str], sock_fd: int, privileged: bool) -> None:
    try:
        os.setsid()
        os.dup2(sock_fd, 3)
        os.closerange(4, 65536)
        devnull = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if privileged:
            uid = NURSERY_UID_BASE - os.getppid()
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        os.execv(argv[0], argv)
    finally:
        os._exit(125)


def _recv(sock: socket.socket) -> dict:
    head = _exact(sock, 4)
    return json.loads(_exact(sock, struct.unpack("!I", head)[0]))


def _exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the nursery closed its socket")
        buf += chunk
    return buf


def _host_pid(top: int, inner: int) -> int:
    """The host pid of the process whose pid in the nursery's PID namespace is ``inner``."""
    todo = [top]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                nspid = next((line.split()[1:] for line in fh if line.startswith("NSpid:")), [])
            if len(nspid) >= 2 and int(nspid[1]) == inner and pid != top:
                return pid
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    raise OSError(0, f"no process {inner} below the nursery")
