"""The three judge rewards keep the reward contract on a tiny random model (in process, no download)."""

from __future__ import annotations

import pytest

from rewardkit.testing import assert_contract, reward_names


@pytest.mark.parametrize("name", reward_names("judge"))
def test_contract(name, tiny_lm, tmp_path):
    assert_contract(name, params={"model": str(tiny_lm), "cache": str(tmp_path / "cache"), "max_chars": 400},
                    long_chars=200_000)


@pytest.mark.parametrize("name", reward_names("judge"))
def test_contract_without_cache(name, tiny_lm):
    """Deterministic and batch-independent without the cache too: greedy verdicts, positions fixed under padding."""
    assert_contract(name, params={"model": str(tiny_lm), "cache": "off", "max_chars": 400}, long_chars=20_000,
                    items=6)


def test_probe_finds_nothing_above_one_percent(tiny_lm, tmp_path):
    from rewardkit.probe import probe

    arg = f"judge.equivalence:model={tiny_lm},cache={tmp_path / 'cache'}"
    result = probe([arg], rows=4)
    cells = result["rewards"][arg]["families"]
    assert cells and all(c["rate"] <= 0.01 for c in cells.values()), {f: c["rate"] for f, c in cells.items()}
