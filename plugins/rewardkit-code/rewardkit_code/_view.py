"""The bubblewrap command line of one run: an allow-list, read-only view of the host.

A run sees only: ``/usr`` (and the ``/bin``, ``/lib*``, ``/sbin`` links into it) with every Python
``site-packages``/``dist-packages`` folder covered by an empty read-only tmpfs; the interpreter's
own install (its prefix, site-packages covered the same way); the harness files at ``/rk``; the
packages and paths a caller names (:func:`rewardkit_code.run_python`); a private ``/proc`` and
``/dev``; and two fresh tmpfs, ``/tmp`` and the working directory ``/sandbox``. Nothing of the
venv, home, checkout or cwd; no ``/etc``. Every namespace is new (user, IPC, PID, net, UTS,
cgroup), no capabilities, no nested user namespaces, a new session, and bubblewrap dies with its
parent. The seccomp filter and the program's files are added per run by the zygote (``--seccomp``,
``--file``); the zygote installs the cgroup and rlimits before it execs bubblewrap.

As root the programs run as an unprivileged uid that cannot enter ``/root``: when the interpreter
lives there (pyenv), the zygote binds its prefix at :data:`STAGED` in its own mount namespace and
bubblewrap binds it back at its real path (see ``_isolate.stage``).
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

#: where the zygote (as root) makes the interpreter's prefix visible to the sandbox uid
STAGED = "/tmp/.rkpy"
#: the harness files bound into /rk
HARNESS_FILES = ("_harness.py", "_inproc.py", "_bwrap_main.py", "_wire.py", "_isolate.py", "_judge.py", "_judge_main.py",
                 "_nursery.py")

INSTALL_HINT = (
    "install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap), or send programs "
    "to a SandboxFusion server with backend='sandboxfusion' and sandbox_url=... (the path for containers "
    "and clusters, docs/code.md)"
)


class ViewError(RuntimeError):
    """A path a run needs cannot be shown to it."""


def bwrap_path() -> str:
    exe = shutil.which("bwrap")
    if exe is None:
        raise ViewError("rewardkit-code runs programs in bubblewrap (bwrap), which is not installed here: "
                        + INSTALL_HINT)
    return exe


def prefix() -> str:
    """The install prefix of this interpreter (never a venv: its packages are data)."""
    return os.path.realpath(sys.base_prefix)


def interpreter() -> str:
    """This interpreter's real executable, run by its real path inside the sandbox."""
    exe = os.path.realpath(sys.executable)
    if not exe.startswith(prefix() + "/"):
        exe = os.path.join(prefix(), "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    return exe


def judge_interpreter() -> str:
    """An interpreter the judge's uid can run (it starts outside the zygote's namespace, where a
    prefix in /root is not staged): this one when every folder above it is world-readable, else the
    system's; "" when there is none (the judge then runs unwrapped, with a warning)."""
    exe = interpreter()
    if all(os.stat(p).st_mode & 0o005 == 0o005 for p in Path(exe).parents):
        return exe
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate):
            return os.path.realpath(candidate)
    return ""


def package_dirs(roots: Iterable[str]) -> list[str]:
    """Every site-packages/dist-packages folder below ``roots`` (covered by an empty tmpfs)."""
    found: list[str] = []
    for root in roots:
        for pattern in ("lib*/python3*/site-packages", "lib*/python3*/dist-packages", "lib/python3/dist-packages",
                        "local/lib*/python3*/site-packages", "local/lib*/python3*/dist-packages"):
            for path in sorted(glob.glob(os.path.join(root, pattern))):
                if os.path.isdir(path) and not os.path.islink(path) and path not in found:
                    found.append(path)
    return found


def _source(path: str, staged: dict[str, str]) -> str:
    """Where the sandbox uid finds ``path`` in the zygote's mount namespace."""
    for real, where in staged.items():
        if path == real or path.startswith(real + "/"):
            return where + path[len(real):]
    return path


def harness_dir(here: Path) -> Path:
    """A folder holding only the harness files and their compiled bytecode (bound at ``/rk``: a fresh
    interpreter per run then compiles nothing), keyed by their content, readable by every uid."""
    import hashlib
    import importlib.util
    import py_compile

    digest = hashlib.sha256(b"".join((here / n).read_bytes() for n in HARNESS_FILES)).hexdigest()[:16]
    tag = sys.implementation.cache_tag
    cache = _cache_base() / "rewardkit" / f"code-harness-{digest}-{tag}"
    if (cache / ".complete").is_file():
        return cache
    work = cache.with_name(f".{cache.name}.{os.getpid()}")
    work.mkdir(parents=True, exist_ok=True)
    for name in HARNESS_FILES:
        (work / name).write_bytes((here / name).read_bytes())
        pyc = importlib.util.cache_from_source(str(work / name))
        py_compile.compile(str(work / name), cfile=pyc, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        # the bytecode names the final folder, not the work one
    (work / ".complete").write_text("")
    for folder, _, names in os.walk(work):
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)
    os.chmod(cache.parent, 0o755)
    try:
        os.rename(work, cache)
    except OSError:  # another process made it first
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return cache


def _cache_base() -> Path:
    """As root the runs take the sandbox uid, which cannot enter /root: a folder every uid can read."""
    if os.geteuid() == 0:
        return Path("/var/cache")
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"])
    try:
        return Path.home() / ".cache"
    except (KeyError, RuntimeError):  # a uid without a home
        import tempfile

        return Path(tempfile.gettempdir()) / f"rewardkit-cache-{os.geteuid()}"


def argv(staged: dict[str, str], *, paths: Iterable[str] = (), tmp_mb: int = 64, home: str | None = None) -> list[str]:
    """bubblewrap's options for one run, up to (not including) ``--``.

    ``staged``: real path -> where the zygote shows it (as root); ``paths``: extra files or folders
    bound read-only at their own path (a package a caller names); ``home``: the interpreter's prefix
    to show (default: this interpreter's).
    """
    out = [bwrap_path(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
           "--new-session", "--cap-drop", "ALL", "--clearenv",
           "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/sandbox",
           "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            out += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            out += ["--ro-bind", top, top]
    if os.path.isdir("/etc/alternatives"):  # /usr/bin's links to compilers point there
        out += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
    home = home or prefix()
    roots = ["/usr"]
    if not home.startswith("/usr/"):
        out += ["--ro-bind", _source(home, staged), home]
        roots.append(home)
    extra = [os.path.realpath(p) for p in paths]
    for folder in package_dirs(roots):
        out += ["--tmpfs", folder]
        for path in extra:
            if path.startswith(folder + "/"):
                out += ["--ro-bind", _source(path, staged), path]
        out += ["--remount-ro", folder]
    for path in extra:
        if not any(path.startswith(f + "/") for f in package_dirs(roots)):
            if not os.path.exists(path):
                raise ViewError(f"cannot show {path!r} to the sandbox: it does not exist")
            out += ["--ro-bind", _source(path, staged), path]
    out += ["--ro-bind", _source(str(harness_dir(Path(__file__).parent)), staged), "/rk"]
    size = str(tmp_mb << 20)
    out += ["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/sandbox", "--chdir", "/sandbox",
            "--remount-ro", "/"]  # the root tmpfs holding the mount points: only /tmp, /sandbox, /dev writable
    return out
