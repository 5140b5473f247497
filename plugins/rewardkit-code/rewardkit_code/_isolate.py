"""Kernel isolation for one sandboxed child (standard library and ctypes only; loaded by the zygote).

* :func:`seccomp_filter`: a classic-BPF seccomp program (x86_64) that answers ``EPERM`` to
  ``unshare``, ``setns``, ``ptrace``, ``mount`` and its relatives, module and kexec calls, ``bpf``,
  ``perf_event_open``, ``keyctl``, ``userfaultfd``, ``io_uring`` (which could open sockets past
  the filter), ``process_vm_*``, file handles, and ``socket(AF_UNIX, ...)`` (paths on the host);
  ``no_exec=True`` (function tests) also refuses ``execve``/``execveat``, ``fork``/``vfork`` and
  any ``clone`` that is not a thread (so ``posix_spawn`` and ``subprocess`` fail), and answers
  ``clone3`` with ``ENOSYS`` so that libc falls back to ``clone`` for threads.
* :func:`private_mounts`: the zygote's own mount namespace with tmpfs on ``/tmp``, ``/var/tmp``
  and ``/dev/shm`` (emptied after every run) and a ``/proc`` that shows a program only its own
  processes (``hidepid=2``).
* :class:`Cgroups`: one memory and pids cgroup per zygote (v2, else v1), limits set per run:
  memory and process count summed over every process of the run.

Everything is prepared in the zygote before it forks; a child only makes syscalls.
"""

from __future__ import annotations

import ctypes
import os
import struct

#: standard-library modules the zygote and the judge import before dropping root (the sandbox
#: uid may not be able to read the interpreter's directory)
PRELOAD = (
    "abc array base64 binascii bisect calendar cmath collections collections.abc contextlib copy "
    "csv dataclasses datetime decimal enum fractions functools hashlib heapq io itertools json "
    "math numbers operator pprint queue random re statistics string struct textwrap threading "
    "time traceback typing unicodedata zlib"
).split()


def preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
CLONE_NEWNS = 0x00020000
CLONE_THREAD = 0x00010000
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
CLONE_NEW_ANY = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
AF_UNIX = 1
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 2, 4, 8, 1
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

AUDIT_ARCH_X86_64 = 0xC000003E
X86_64 = {
    "socket": 41, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "ptrace": 101, "pivot_root": 155,
    "chroot": 161, "mount": 165, "umount2": 166, "init_module": 175, "delete_module": 176,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320,
    "bpf": 321, "execveat": 322, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442,
}
DENIED = (
    "ptrace", "pivot_root", "chroot", "mount", "umount2", "init_module", "delete_module", "kexec_load",
    "add_key", "request_key", "keyctl", "unshare", "perf_event_open", "name_to_handle_at",
    "open_by_handle_at", "setns", "process_vm_readv", "process_vm_writev", "finit_module",
    "kexec_file_load", "bpf", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
)
NO_EXEC = ("execve", "execveat", "fork", "vfork")

# classic BPF
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO, _KILL = 0x7FFF0000, 0x00050000, 0x80000000
EPERM, ENOSYS = 1, 38


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp_filter(no_exec: bool, allow_fork: bool = False) -> bytes | None:
    """The filter's instructions (``struct sock_filter[]``), or None on an architecture without a table.
    ``no_exec``: also no exec and (unless ``allow_fork``) no new process but threads."""
    if os.uname().machine not in ("x86_64", "AMD64"):  # (not platform: a fresh interpreter pays for its import)
        return None
    nr = X86_64
    spawn = [n for n in NO_EXEC if not (allow_fork and n in ("fork", "vfork"))]
    deny = [nr[n] for n in DENIED] + ([nr[n] for n in spawn] if no_exec else [])
    prog = [
        _op(_LD_W_ABS, 4),  # arch
        _op(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        _op(_RET_K, _KILL),
        _op(_LD_W_ABS, 0),  # syscall number
        _op(_JGE_K, 0x40000000, 0, 1),  # x32 ABI numbers
        _op(_RET_K, _ERRNO | EPERM),
    ]
    for number in deny:
        prog += [_op(_JEQ_K, number, 0, 1), _op(_RET_K, _ERRNO | EPERM)]
    if no_exec and not allow_fork:  # clone3 -> ENOSYS (libc retries with clone); clone: threads only (flags in args[0])
        prog += [_op(_JEQ_K, nr["clone3"], 0, 1), _op(_RET_K, _ERRNO | ENOSYS)]
        prog += [_op(_JEQ_K, nr["clone"], 0, 3), _op(_LD_W_ABS, 16), _op(_JSET_K, CLONE_THREAD, 1, 0),
                 _op(_RET_K, _ERRNO | EPERM), _op(_LD_W_ABS, 0)]
    # clone with a namespace flag (a new user namespace gives capabilities inside it): refused for
    # every run (unshare and setns are denied above); clone3 -> ENOSYS, libc falls back to clone
    if not (no_exec and not allow_fork):
        prog += [_op(_JEQ_K, nr["clone3"], 0, 1), _op(_RET_K, _ERRNO | ENOSYS)]
    prog += [_op(_JEQ_K, nr["clone"], 0, 4), _op(_LD_W_ABS, 16), _op(_JSET_K, CLONE_NEW_ANY, 0, 1),
             _op(_RET_K, _ERRNO | EPERM), _op(_LD_W_ABS, 0)]
    # socket(AF_UNIX, ...): args[0]
    prog += [_op(_JEQ_K, nr["socket"], 0, 3), _op(_LD_W_ABS, 16), _op(_JEQ_K, AF_UNIX, 0, 1),
             _op(_RET_K, _ERRNO | EPERM), _op(_RET_K, _ALLOW)]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Seccomp:
    """A filter prepared in the zygote; :meth:`install` in a child is two prctl calls."""

    def __init__(self, libc: ctypes.CDLL, no_exec: bool, allow_fork: bool = False) -> None:
        self.code = seccomp_filter(no_exec, allow_fork)
        self._libc = libc
        self._buffer = ctypes.create_string_buffer(self.code or b"")
        self._prog = _SockFprog(len(self.code or b"") // 8, ctypes.addressof(self._buffer))
        self._ref = ctypes.byref(self._prog)

    def install(self) -> None:
        """no_new_privs, then the filter (no_new_privs alone where there is no filter)."""
        if self._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if self.code and self._libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self._ref, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def _enc(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    if libc.mount(_enc(source), _enc(target), _enc(fstype), ctypes.c_ulong(flags), _enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype or source} on {target}: {os.strerror(err)}")


SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def private_mounts(libc: ctypes.CDLL, root: str, tmpfs_mb: int = 1024) -> str:
    """In the zygote, as root, once: a private mount namespace with fresh tmpfs on the scratch
    directories, a /proc that hides other users' processes, and the zygote's ``root`` (kept
    build directories) bound at ``/tmp/.rk``. Returns that new root.

    Every child inherits the namespace; :func:`wipe_scratch` empties the scratch directories after
    each run (every process of the run is dead by then), so each run starts from empty ones.
    """
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)  # in the new namespace, before /tmp is covered
    try:
        opts = f"size={tmpfs_mb}m,nr_inodes=65536,mode=1777"
        for path in SCRATCH:
            if os.path.isdir(path):
                _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts)
        os.mkdir(NEW_ROOT, 0o711)
        _mount(libc, f"/proc/self/fd/{keep_fd}", NEW_ROOT, None, MS_BIND)
        stage(libc)
        _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    finally:
        os.close(keep_fd)
    return NEW_ROOT


NEW_ROOT = "/tmp/.rk"
#: the interpreter's prefix, shown to the sandbox uid (``_view.STAGED``)
STAGED = "/tmp/.rkpy"


def stage(libc: ctypes.CDLL) -> None:
    """Bind this interpreter's prefix read-only at :data:`STAGED` (in the zygote's private namespace):
    the sandbox uid cannot enter ``/root``, where pyenv puts it; bubblewrap binds it back at its real path."""
    import sys

    os.mkdir(STAGED, 0o755)
    _mount(libc, os.path.realpath(sys.base_prefix), STAGED, None, MS_BIND | MS_REC)
    _mount(libc, None, STAGED, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def wipe_scratch() -> bool:
    """Remove everything a run left in the scratch directories (but the zygote's root and the
    staged interpreter). Never raises: a tree too deep for :func:`shutil.rmtree` (a program's
    1,500-deep chain) goes to ``rm -rf``; returns False when something could not be removed (the
    client then replaces the zygote, and with it the tmpfs)."""

    clean = True
    for path in SCRATCH:
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            if entry.path not in (NEW_ROOT, STAGED):
                clean = remove_tree(entry.path) and clean
    return clean


def remove_tree(path: str) -> bool:
    """Remove a file or a folder of any depth; never raises (False when something is left)."""
    import shutil

    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
        return True
    except FileNotFoundError:
        return True
    except (OSError, RecursionError, MemoryError):
        return _rm_rf(path)


def _rm_rf(path: str) -> bool:
    import subprocess

    try:
        subprocess.run(["rm", "-rf", "--one-file-system", "--", path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return not os.path.lexists(path)


class Cgroups:
    """Memory, pids and CPU cgroups for one zygote's runs: a fresh child cgroup per run (made before
    the run, removed after it), so no charge, counter or limit of one run reaches the next."""

    CONTROLLERS = ("memory", "pids", "cpu")

    def __init__(self, name: str) -> None:
        self.dirs: list[str] = []
        self.why = ""
        self.version = 0
        self.runs: list[str] = []
        self._count = 0
        try:
            self._make(name)
        except OSError as exc:
            self.why = f"{exc.filename or ''} {exc.strerror or exc}".strip()
            self.remove()
            self.dirs = []

    def _make(self, name: str) -> None:
        mine = _own_cgroups()
        self._sweep_stale(mine)
        v2 = _v2_root()
        wanted = set(self.CONTROLLERS)
        if v2 and wanted <= set(_read(os.path.join(v2, "cgroup.controllers")).split()):
            parent = v2 + mine.get("", "/")
            path = os.path.join(parent, name)
            os.mkdir(path)
            self.dirs, self.version = [path], 2
            if not os.path.exists(os.path.join(path, "memory.max")):
                with open(os.path.join(parent, "cgroup.subtree_control"), "w") as fh:
                    fh.write("+memory +pids +cpu")
            with open(os.path.join(path, "cgroup.subtree_control"), "w") as fh:
                fh.write("+memory +pids +cpu")
            return
        roots = {c: f"/sys/fs/cgroup/{c}" for c in self.CONTROLLERS}
        if not all(os.path.isdir(r) for r in roots.values()):
            raise OSError(0, "no writable cgroup v2 with memory, pids and cpu, and no cgroup v1 memory, pids and cpu")
        for ctrl, root in roots.items():
            path = os.path.join(root + mine.get(ctrl, "/"), name)
            os.mkdir(path)
            self.dirs.append(path)
        self.version = 1

    @staticmethod
    def _sweep_stale(mine: dict[str, str]) -> None:
        """Remove the empty cgroups of zygotes that were killed (``rewardkit-code-<pid>``, pid gone)."""
        parents = [f"/sys/fs/cgroup/{c}{mine.get(c, '/')}" for c in Cgroups.CONTROLLERS]
        v2 = _v2_root()
        if v2:
            parents.append(v2 + mine.get("", "/"))
        for parent in parents:
            try:
                names = os.listdir(parent)
            except OSError:
                continue
            for name in names:
                pid = name.rpartition("-")[2]
                if name.startswith("rewardkit-code-") and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                    folder = os.path.join(parent, name)
                    for sub in _subdirs(folder):
                        _rmdir(sub)
                    _rmdir(folder)

    def begin(self, memory: int, pids: int, cpus: float) -> None:
        """A fresh cgroup for the next run, with its limits (the child joins it with :meth:`join`)."""
        self.end()
        self._count += 1
        runs = [os.path.join(d, f"run{self._count}") for d in self.dirs]
        for path in runs:
            os.mkdir(path)
        self.runs = runs
        quota = max(1000, int(cpus * 100_000))
        if self.version == 2:
            run = runs[0]
            _write(run, "memory.max", str(memory))
            _write(run, "memory.swap.max", "0", optional=True)
            _write(run, "pids.max", str(pids))
            _write(run, "cpu.max", f"{quota} 100000")
        else:
            mem, pid, cpu = runs
            _write(mem, "memory.limit_in_bytes", str(memory))
            _write(mem, "memory.memsw.limit_in_bytes", str(memory), optional=True)
            _write(pid, "pids.max", str(pids))
            _write(cpu, "cpu.cfs_period_us", "100000", optional=True)
            _write(cpu, "cpu.cfs_quota_us", str(quota), optional=True)

    def join(self) -> None:
        """In a child, before it drops root: move it into this run's cgroups."""
        for path in self.runs:
            with open(os.path.join(path, "cgroup.procs"), "w") as fh:
                fh.write("0")

    def join_pid(self, pid: int) -> None:
        """Move process ``pid`` (and the children it makes from now on) into this run's cgroups."""
        for path in self.runs:
            with open(os.path.join(path, "cgroup.procs"), "w") as fh:
                fh.write(str(pid))

    def kill_all(self) -> None:
        """SIGKILL every process in this run's cgroup until it is empty (a run that forks while
        being killed is caught by the next pass; the pids cgroup bounds how many there can be)."""
        import signal
        import time

        if not self.runs:
            return
        procs = os.path.join(self.runs[0], "cgroup.procs")
        count = os.path.join(self.runs[0] if self.version == 2 else self.runs[1], "pids.current")
        for _ in range(2000):
            pids = [int(p) for p in _read(procs).split()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if not pids and _read(count).strip() in ("0", ""):
                return  # every task of the run released, zombies included
            time.sleep(0.001)

    def end(self) -> None:
        """Remove this run's cgroups (every process of the run is dead; charges go with them)."""
        for path in self.runs:
            _rmdir(path)
        self.runs = []

    def remove(self) -> None:
        self.end()
        for path in self.dirs:
            _rmdir(path)


def _write(folder: str, name: str, value: str, optional: bool = False) -> None:
    try:
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(value)
    except OSError:
        if not optional:
            raise


def _rmdir(path: str) -> None:
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            import time

            time.sleep(0.002)  # a killed process is still leaving the cgroup


def _subdirs(folder: str) -> list[str]:
    try:
        return [e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per controller (``""``: the v2 hierarchy)."""
    out: dict[str, str] = {}
    for line in _read("/proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for ctrl in parts[1].split(",") if parts[1] else [""]:
                out[ctrl] = parts[2]
    return out


def _v2_root() -> str:
    for line in _read("/proc/self/mounts").splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2" and os.access(fields[1], os.W_OK):
            return fields[1]
    return ""
