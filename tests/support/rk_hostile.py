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


# -- rewards that return wrong things (defect 6) ------------------------------------------
class BadFloat(float):
    def __float__(self):
        raise RuntimeError("no float for you")


class BadLen(list):
    def __len__(self):
        raise RuntimeError("no len for you")

    def __iter__(self):
        raise RuntimeError("no iter for you")


def wrong(*, completions, prompts):
    """Each completion names what to return."""
    if completions and completions[0] == "dict":
        return {c: 1.0 for c in completions}
    if completions and completions[0] == "badlen":
        return BadLen([0.5] * len(completions))
    table = {"huge": 10**400, "badfloat": BadFloat(0.5), "set": {0.5}, "ok": 0.5}
    return [table[c] for c in completions]


class WrongPlugin:
    """Registers h.wrong (inline) and h.wrong_cpu (through the worker pool)."""

    @staticmethod
    def rewardkit_register_rewards(register):
        register(wrong, name="h.wrong", description="Returns wrong things on request")
        register(wrong, name="h.wrong_cpu", description="Returns wrong things in a worker", cost="cpu", timeout=30.0)


def _mark():
    import rewardkit

    WrongPlugin.rewardkit_register_rewards = staticmethod(rewardkit.hookimpl(WrongPlugin.rewardkit_register_rewards))


_mark()
