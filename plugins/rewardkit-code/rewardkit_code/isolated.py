"""Run a Python script in the code rewards' sandbox: for other plugins whose scoring executes text a
policy or a client wrote (a library scorer that ``eval``s an answer).

>>> from rewardkit_code import run_python
>>> run = run_python("import sys; print(sum(map(int, sys.stdin.read().split())))", stdin=b"1 2 3")
>>> run.ok, run.stdout
(True, b'6\\n')

Each call is one fresh bubblewrap sandbox (docs/code.md): no network, no host file but the runtime
and the packages named, fresh tmpfs, memory/pids/CPU limited. Whatever the script causes (a crash,
a timeout, an OOM, garbage on stdout) comes back as a :class:`~rewardkit_code.sandbox.Run` that is
not ``ok``: that is the scored text's verdict. :class:`~rewardkit_code.sandbox.SandboxError` means
the sandbox could not start (bubblewrap missing: its message says how to install it).
"""

from __future__ import annotations

import glob
import importlib.util
import os
from collections.abc import Sequence

from .sandbox import Limits, Run, get_sandbox


def run_python(script: str, *, stdin: bytes = b"", packages: Sequence[str] = (), paths: Sequence[str] = (),
               limits: Limits | None = None) -> Run:
    """Run ``script`` as ``__main__`` (``python -I -S``, this interpreter) in a fresh sandbox.

    ``packages``: top-level import names made visible read-only, each at its own path with its
    ``*.dist-info`` folder, and importable (their dependencies must be named too). ``paths``: more
    files or folders shown read-only at their own path. ``limits``: wall/CPU seconds, memory...
    """
    shown: list[str] = []
    roots: list[str] = []
    for name in packages:
        for path in _package_paths(name):
            if path not in shown:
                shown.append(path)
            parent = os.path.dirname(path)
            if parent not in roots:
                roots.append(parent)
    shown += [os.path.realpath(p) for p in paths if os.path.realpath(p) not in shown]
    return get_sandbox().run(script, mode="script", stdin=stdin, limits=limits or Limits(),
                             paths=tuple(shown), pythonpath=tuple(roots))


def _package_paths(name: str) -> list[str]:
    """The folder (or file) of an installed top-level package and its distribution's dist-info."""
    if not name.isidentifier():
        raise ValueError(f"packages: {name!r} is not a top-level import name")
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ValueError(f"packages: {name!r} is not installed here")
    if spec.submodule_search_locations:
        found = [os.path.realpath(p) for p in spec.submodule_search_locations]
    elif spec.origin and os.path.isfile(spec.origin):
        found = [os.path.realpath(spec.origin)]
    else:
        raise ValueError(f"packages: {name!r} is built in or has no files to show")
    parent = os.path.dirname(found[0])
    pattern = os.path.join(parent, f"{name.replace('_', '[-_]')}-*.dist-info")
    return found + sorted(glob.glob(pattern))
