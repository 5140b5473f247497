"""The ``code_cheats`` probe family (what ``rewardkit check-plugin code --probe`` runs) accepts nothing."""

from __future__ import annotations

import os

import pytest

from rewardkit.probe.api import probe


@pytest.mark.skipif(os.geteuid() != 0, reason="the namespace, cgroup and uid defences need root")
def test_code_cheats_accepts_no_attack():
    result = probe(["code.passes", "code.tests"], rows=2, family=["code_cheats"])
    for reward in ("code.passes", "code.tests"):
        cell = result["rewards"][reward]["families"]["code_cheats"]
        assert cell["attacks"] >= 10 and cell["accepted"] == 0, (reward, cell["variants_accepted"])
