"""The judge process: ``python -I -B _judge_main.py SOCKET_FD`` (started by the sandbox client).

It drops to an unprivileged uid of its own (when root), limits its address space, sets
``no_new_privs`` and a seccomp filter without exec, dies with its client, then judges runs
(:func:`_judge.serve`), each in a child forked for it that may not fork or exec. It never runs
program code: programs run in their own sandboxes and only send it plain data.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _isolate  # noqa: E402
import _judge  # noqa: E402

#: uids of judges: JUDGE_UID_BASE + the judge's pid (below the programs' UID_BASE)
JUDGE_UID_BASE = 1_400_000_000
#: the judge's address space: answers are at most _wire.MAX_ANSWER bytes, so a program cannot make
#: it grow past this; a MemoryError fails that program's call, never the next item's
JUDGE_MEMORY = 2 << 30


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    libc = ctypes.CDLL(None, use_errno=True)
    client = os.getppid()
    _isolate.preload()  # before the uid change: it may not read the interpreter's directory
    for res, value in ((resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_AS, JUDGE_MEMORY)):
        soft, hard = resource.getrlimit(res)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(res, (value, value))
    if os.geteuid() == 0:
        uid = JUDGE_UID_BASE + os.getpid()
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG, after the uid change
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace or /proc/<pid>/mem, even for a program of our uid
    if os.getppid() != client:
        return
    _isolate.Seccomp(libc, True, allow_fork=True).install()  # the judge forks one child per run
    child_filter = _isolate.Seccomp(libc, True)
    me = os.getpid()

    def confine() -> None:
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # dies with the judge, which the host kills on overrun
        if os.getppid() != me:
            os._exit(1)
        child_filter.install()  # no new process, no exec

    sock.sendall(b"r")
    _judge.serve(sock, confine)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass
