"""Reward functions and in-process plugins used by the core tests (importable by worker processes)."""

from __future__ import annotations

import math
import os
import time

import rewardkit


def length(*, completions, prompts, scale):
    return [min(1.0, len(c) / scale) for c in completions]


def contains(*, completions, prompts, answer):
    return [1.0 if str(a) in c else 0.0 for c, a in zip(completions, answer)]


def misbehave(*, completions, prompts):
    """Each completion names the contract break to commit."""
    out = []
    for c in completions:
        if c == "nan":
            out.append(math.nan)
        elif c == "inf":
            out.append(math.inf)
        elif c == "big":
            out.append(7.0)
        elif c == "str":
            out.append("0.5")
        elif c == "none":
            out.append(None)
        elif c == "raise":
            raise RuntimeError("cannot score 'raise'")
        else:
            out.append(0.5)
    if "short" in completions:
        out = out[:-1]
    return out


def sleepy(*, completions, prompts):
    out = []
    for c in completions:
        if c == "hang":
            time.sleep(10_000)
        if c == "crash":
            os._exit(7)
        if c == "raise":
            raise ValueError("bad item")
        out.append(min(1.0, len(c) / 10))
    return out


def sleepy_fast_path(*, completions, prompts):
    return [rewardkit.DEFER if c in ("hang", "crash", "raise") or c.startswith("pool") else 0.25 for c in completions]


def signed(*, completions, prompts):
    return [-1.0 if c.startswith("-") else 1.0 for c in completions]


class CorePlugin:
    """Registers the test rewards."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(length, name="t.length", description="Length over scale", params={"scale": rewardkit.Param(10.0, min=1.0)})
        register(contains, name="t.contains", description="Answer appears", columns=("answer",))
        register(misbehave, name="t.misbehave", description="Breaks the contract on request")
        register(sleepy, name="t.sleepy", description="cpu reward that can hang", cost="cpu", timeout=1.0)
        register(sleepy, name="t.triaged", description="cpu reward with a fast path", cost="cpu", timeout=1.0,
                 fast_path=sleepy_fast_path)
        register(signed, name="t.signed", description="Signed reward", range=(-1.0, 1.0))


class DuplicatePlugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(length, name="t.length", description="Same name again", params={"scale": 5.0})
