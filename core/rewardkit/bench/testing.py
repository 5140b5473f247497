"""A small deterministic reward plugin for testing and benchmarking ``rewardkit bench``.

Register it in-process with :func:`register`; its functions are module-level, so they also
run in worker processes and on Ray workers.
"""

from __future__ import annotations

import time

import rewardkit

NAME = "benchtest"


def exact(*, completions: list[str], prompts: list[str], answer: list[str]) -> list[float]:
    """1.0 when the completion's last line ends with the answer, else 0.0."""
    out = []
    for c, a in zip(completions, answer):
        last = c.strip().splitlines()[-1] if c.strip() else ""
        out.append(1.0 if str(a).strip() and last.rstrip(". ").endswith(str(a).strip()) else 0.0)
    return out


def length(*, completions: list[str], prompts: list[str], scale: int) -> list[float]:
    """Length of the completion in characters over ``scale``, capped at 1."""
    return [min(1.0, len(c) / scale) for c in completions]


def digits(*, completions: list[str], prompts: list[str]) -> list[float | None]:
    """Share of digits among the characters; None for an empty completion."""
    return [sum(ch.isdigit() for ch in c) / len(c) if c else None for c in completions]


def slow(*, completions: list[str], prompts: list[str], delay: float) -> list[float]:
    """Like ``length`` with scale 100, after sleeping ``delay`` seconds per item (a ``cpu`` reward)."""
    time.sleep(delay * len(completions))
    return [min(1.0, len(c) / 100) for c in completions]


def hang(*, completions: list[str], prompts: list[str]) -> list[float]:
    """Sleeps forever on a completion containing 'HANG', raises on 'BOOM', else 0.5."""
    for c in completions:
        if "HANG" in c:
            time.sleep(3600)
        if "BOOM" in c:
            raise ValueError("boom")
    return [0.5] * len(completions)


class Plugin:
    """The hook implementation, as a class so it can be registered under any name."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(exact, name="benchtest.exact", description="Last line ends with the answer", columns=("answer",))
        register(
            length,
            name="benchtest.length",
            description="Length over scale, capped at 1",
            params={"scale": rewardkit.Param(200, min=1)},
        )
        register(digits, name="benchtest.digits", description="Share of digits")
        register(
            slow, name="benchtest.slow", description="Length after a delay (cpu)", cost="cpu", params={"delay": 0.0}
        )
        register(
            hang, name="benchtest.hang", description="Hangs on HANG, raises on BOOM (cpu)", cost="cpu", timeout=1.0
        )


def register(version: str = "1.0") -> None:
    """Register the plugin in this process under the name ``benchtest``."""
    from rewardkit.plugins import register_plugin

    register_plugin(Plugin, NAME, version=version)


def unregister() -> None:
    from rewardkit.plugins import unregister_plugin

    unregister_plugin(NAME)
