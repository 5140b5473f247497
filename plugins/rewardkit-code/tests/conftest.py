"""Shared fixtures: one sandbox for the module, and a check that no sandboxed process is left."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rewardkit_code.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    yield box
    box.close()
