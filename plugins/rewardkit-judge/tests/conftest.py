"""Fixtures: a tiny random causal LM (no download), a fresh cache folder, and scriptable fake backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardkit_judge.backends import ScriptedBackend


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny_judge"), "causal")


@pytest.fixture
def fake(tmp_path):
    """``fake(decide, **params)`` -> (bound reward params, backend): a fake judge wired under a unique model name."""
    from rewardkit_judge.judge import register_backend
    from rewardkit_judge.rewards import equivalence_params

    made = []

    def make(decide, cache: str = "off", name: str | None = None):
        model = name or f"fake-{len(made)}-{id(decide)}"
        backend = ScriptedBackend(decide, model)
        defaults = {k: p.default for k, p in equivalence_params().items()}
        register_backend({**defaults, "model": model}, backend)
        made.append(backend)
        return {"model": model, "cache": cache if cache != "tmp" else str(tmp_path / "cache")}, backend

    return make
