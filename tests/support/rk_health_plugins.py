"""Rewards for the training-signal tests: one that times out on chosen rows, and a scripted hacking pair."""

from __future__ import annotations

import time
import zlib

import rewardkit


def chosen(text: str) -> bool:
    """The rows ``h.slow`` times out on: a fixed third of all texts, by checksum."""
    return zlib.crc32(text.encode("utf-8")) % 3 == 0


def slow(*, completions, prompts):
    out = []
    for c in completions:
        if chosen(c):
            time.sleep(10_000)
        out.append(min(1.0, len(c) / 40))
    return out


def letters(*, completions, prompts):
    return [sum(ch.isalpha() for ch in c) / max(1, len(c)) for c in completions]


BATCHES = {"hackable": 0, "strict": 0}
PART_AT = 4  # the batch (= training step) from which the trained reward rises and the audit falls


def hackable(*, completions, prompts):
    """Scripted 'hackable' reward: 0.2 before batch PART_AT, 0.9 from it on (what a hacked reward looks like)."""
    BATCHES["hackable"] += 1
    return [0.2 if BATCHES["hackable"] < PART_AT else 0.9] * len(completions)


def strict(*, completions, prompts):
    """Scripted strict verifier: 0.6 before batch PART_AT, 0.1 from it on."""
    BATCHES["strict"] += 1
    return [0.6 if BATCHES["strict"] < PART_AT else 0.1] * len(completions)


class HealthPlugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(slow, name="h.slow", description="times out on chosen rows", cost="cpu", timeout=0.3)
        register(letters, name="h.letters", description="share of letters")
        register(hackable, name="h.hackable", description="scripted hackable reward")
        register(strict, name="h.strict", description="scripted strict verifier")
