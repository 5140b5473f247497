"""Worker-side functions for the isolation regression tests (importable by worker processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def echo(*, completions, prompts, value):
    """Returns the item's ``value`` column; ``delay`` in the text sleeps that long first."""
    if completions[0].startswith("delay"):
        time.sleep(float(completions[0][5:]))
    return [value[0]]


class _Boom:
    def __reduce__(self):
        return (_explode, ())


def _explode():
    raise ValueError("this result cannot be unpickled")


def unpicklable(*, completions, prompts):
    """A result that pickles in the worker and fails to unpickle in the host."""
    return [_Boom()]


def printer(*, completions, prompts):
    print("NOISE FROM A WORKER")
    os.write(1, b"RAW NOISE\n")
    return [0.5]


def spawner(*, completions, prompts, pidfile):
    """Starts a grandchild that would live for 1000 s, records its pid, then hangs."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
    with open(pidfile[0], "w") as f:
        f.write(str(child.pid))
    time.sleep(1000)
    return [0.0]


def partial_frame(*, completions, prompts):
    """Writes the first bytes of a frame on the result pipe, then hangs."""
    os.write(int(sys.argv[2]), b"\x00\x00")
    time.sleep(1000)
    return [0.0]
