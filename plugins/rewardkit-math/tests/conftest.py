"""Fixtures for rewardkit-math tests."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit_math import STRATEGIES
from rewardkit_math.rewards import equivalence, equivalence_fast


@pytest.fixture(scope="session")
def eq():
    """The bound reward ``math.equivalence`` (host path: fast path, worker pool, deadlines)."""
    return rewardkit.reward("math.equivalence", timeout=10.0)


@pytest.fixture
def judge():
    """``judge(completion, gold, fast=False, **params)``: the reward functions called directly."""

    def run(completion, gold, fast=False, tolerance=1e-6, extract=STRATEGIES, multiple="reject", **params):
        fn = equivalence_fast if fast else equivalence
        return fn(completions=[completion], prompts=[""], answer=[gold], tolerance=tolerance,
                  extract=tuple(extract), multiple=multiple, **params)[0]

    return run
