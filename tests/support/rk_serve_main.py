"""Run ``rewardkit serve`` with the core test plugins registered (the tests start it as a subprocess)."""

from __future__ import annotations

import os
import sys
import time

import rk_tenants
import rk_testplugins

import rewardkit
from rewardkit.cli import main
from rewardkit.plugins import register_plugin


def slow(*, completions, prompts, delay):
    """Sleeps ``delay`` seconds per batch (in the serving thread), then scores by length."""
    time.sleep(delay)
    return [min(1.0, len(c) / 10) for c in completions]


def wait(*, completions, prompts, gate):
    """Blocks until the file ``gate`` exists (at most 120 s), then scores by length."""
    deadline = time.monotonic() + 120
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {gate} never opened")
        time.sleep(0.02)
    return [min(1.0, len(c) / 10) for c in completions]


class ServePlugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(slow, name="ts.slow", description="Sleeps, then length", params={"delay": 0.2})
        register(wait, name="ts.wait", description="Waits for a file, then length", params={"gate": ""})


if __name__ == "__main__":
    register_plugin(rk_testplugins.CorePlugin, "t")
    register_plugin(ServePlugin, "ts")
    register_plugin(rk_tenants.TenantPlugin, "tn")
    main(sys.argv[1:])
