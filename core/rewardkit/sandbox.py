"""The host's sandbox for text a policy or a client wrote: one fresh ``bwrap`` per run of a Python script.

Published for plugins through :mod:`rewardkit.utils` (``run_sandboxed``, ``SandboxRun``,
``SandboxError``; docs/plugin-utilities.md): a reward that executes its inputs (``register(...,
executes_inputs=True)``) runs that text only here. rewardkit-gym's ``gym.score_sandboxed`` does; rewardkit-code
runs programs in its own nursery on the same bubblewrap layers plus cgroups and seccomp (docs/code.md).

Each run gets: every namespace unshared (user, IPC, PID, net, UTS, cgroup), ``--die-with-parent``,
``--new-session``, no capabilities, no environment variables, a read-only view of the system runtime
(``/usr``), the interpreter (its ``bin``, ``libpython``, the standard library) and only the site-packages
entries named in ``packages`` (nothing else of site-packages, no home, no checkout, no cwd), a fresh
size-bounded tmpfs for ``/tmp`` (the cwd), and the resource limits the script sets on itself before it reads
any untrusted input (``LIMITS_PRELUDE``: address space, CPU seconds, file size, open files, no core dumps).
Nothing survives a run: the next one starts from the same empty view.

A run that cannot start (no bubblewrap) raises :class:`SandboxError`, whose message says how to install
it; anything the script causes (a crash, a timeout, garbage on stdout) is a :class:`SandboxRun` that is not ok.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .errors import RewardkitError

#: Bytes of stdout/stderr kept per run.
OUTPUT_BYTES = 1 << 20
TMPFS_BYTES = 16 << 20
#: Limits a harness sets on itself first thing (memory, CPU seconds, file size, open files, core dumps).
LIMITS_PRELUDE = """
import resource as _r
for _k, _v in ((_r.RLIMIT_AS, {memory}), (_r.RLIMIT_CPU, {cpu}), (_r.RLIMIT_FSIZE, 1 << 20),
               (_r.RLIMIT_NOFILE, 64), (_r.RLIMIT_CORE, 0)):
    _r.setrlimit(_k, (_v, _v))
del _r, _k, _v
"""


class SandboxError(RewardkitError, RuntimeError):
    """The sandbox could not start (not the program's fault): an error outcome, never a 0."""


@dataclass(frozen=True)
class SandboxRun:
    """What one sandboxed run gave back."""

    stdout: bytes
    stderr: bytes
    exit: int | None
    timeout: bool

    @property
    def ok(self) -> bool:
        return not self.timeout and self.exit == 0


def bwrap() -> str:
    """The ``bwrap`` executable, or :class:`SandboxError` saying how to install it."""
    found = shutil.which("bwrap")
    if not found:
        raise SandboxError("bubblewrap (bwrap) is not installed, and rewards that execute text run only inside it: "
                           "Debian/Ubuntu `apt install bubblewrap`, Fedora `dnf install bubblewrap`")
    return found


def package_paths(packages: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """``(paths to bind, sys.path entries)`` for top-level import names: each one's folder (or file), its
    ``<name>.libs`` sibling (compiled wheels' shared libraries) and the folder that holds it."""
    binds: list[str] = []
    roots: list[str] = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin and not spec.submodule_search_locations:
            raise SandboxError(f"sandbox: package {name!r} is not installed")
        place = Path(next(iter(spec.submodule_search_locations))) if spec.submodule_search_locations \
            else Path(str(spec.origin))
        binds.append(str(place))
        libs = place.parent / f"{name}.libs"
        if libs.is_dir():
            binds.append(str(libs))
        if str(place.parent) not in roots:
            roots.append(str(place.parent))
    return binds, roots


def _view(binds: list[str]) -> list[str]:
    """bwrap arguments for the read-only view: runtime, interpreter, standard library, the given paths."""
    args = ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    prefix = Path(sys.base_prefix)
    stdlib = sysconfig.get_paths()["stdlib"]
    purelib = sysconfig.get_paths()["purelib"]
    args += ["--ro-bind", str(Path(sys.executable).resolve()), "/sandbox/python"]
    for lib in sorted((prefix / "lib").glob("libpython*")):
        args += ["--ro-bind", str(lib), str(lib)]
    args += ["--ro-bind", stdlib, stdlib]
    if purelib.startswith(stdlib):
        args += ["--tmpfs", purelib]  # hide every installed package but the named ones
    for path in binds:
        args += ["--ro-bind", path, path]
    if purelib.startswith(stdlib):
        args += ["--remount-ro", purelib]
    return args


def run_sandboxed(script: str, stdin: bytes = b"", *, packages: tuple[str, ...] = (), wall: float = 10.0,
               memory_mb: int = 1024, cpu: int = 10) -> SandboxRun:
    """Run ``script`` with ``python -I`` in a fresh bwrap; ``stdin`` is its whole input.

    ``packages``: top-level import names the script may import from site-packages (nothing else is
    visible); ``wall``: seconds before the run is killed (``timeout``); ``memory_mb`` and ``cpu``: the
    address-space and CPU-second limits the script sets on itself before anything else runs."""
    binds, roots = package_paths(packages)
    prelude = LIMITS_PRELUDE.format(memory=memory_mb << 20, cpu=cpu)
    head = f"import sys\nsys.path[:0] = {roots!r}\n"
    cmd = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
           "--setenv", "PATH", "/usr/bin", "--setenv", "HOME", "/tmp", "--setenv", "OPENBLAS_NUM_THREADS", "1",
           "--setenv", "OMP_NUM_THREADS", "1", "--proc", "/proc", "--dev", "/dev",
           "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", "--chdir", "/tmp", *_view(binds),
           "/sandbox/python", "-I", "-B", "-c", prelude + head + script]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(stdin, timeout=wall)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
    return SandboxRun(out[:OUTPUT_BYTES], err[-OUTPUT_BYTES:], None if timed_out else proc.returncode, timed_out)
