"""NeMo Gym 0.4.0's own agent against a real rewardkit server on loopback (issue 34 items 1-2).

NeMo Gym needs Python >= 3.12, so its code runs in its own venv (scripts/install_conformance.sh
makes it and prints ``REWARDKIT_NEMO_GYM_PYTHON=...``); this test, in rewardkit's environment,
serves rewardkit and runs tests/support/nemo_gym_agent.py with that Python: NeMo Gym's
``SimpleAgent`` does ``/seed_session`` -> model -> ``/verify`` per rollout and proxies
``/aggregate_metrics``; every answer is validated with NeMo Gym's pydantic models.
Before: the agent's first call, ``/seed_session``, was a 404 (the run failed), and an unscorable
rollout came back as ``reward: 0.0`` with no ``mask_sample``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rewardkit

HERE = Path(__file__).parent
NEMO_PY = os.environ.get("REWARDKIT_NEMO_GYM_PYTHON", "")

pytestmark = pytest.mark.skipif(not (NEMO_PY and Path(NEMO_PY).exists()),
                                reason="NeMo Gym's venv (Python 3.12+) not set up: bash scripts/install_conformance.sh, "
                                       "then REWARDKIT_NEMO_GYM_PYTHON=<its python>")

ROLLOUTS = [
    {"question": "What is 2+3?", "expected_answer": "5", "reply": "<think>2+3=5</think><answer>5</answer>"},
    {"question": "What is 2+2?", "expected_answer": "4", "reply": "<think>hm</think><answer>7</answer>"},
    {"question": "Break the scorer", "expected_answer": "1", "reply": "raise"},
]


def _agent_run(url: str) -> dict[str, Any]:
    done = subprocess.run([NEMO_PY, str(HERE / "support" / "nemo_gym_agent.py"), url], input=json.dumps(ROLLOUTS),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout))


def test_nemo_gym_simple_agent_end_to_end(core_plugin: Any) -> None:
    sys.path.insert(0, str(HERE / "support"))
    import rk_tenants

    composite = rewardkit.Composite.from_config([{"name": "format.tags", "weight": 0.5},
                                                {"name": "math.equivalence", "weight": 1.0},
                                                {"name": "t.misbehave", "weight": 0.1}])
    with rk_tenants.live(default=composite) as url:
        out = _agent_run(url)
    right, wrong, broken = out["runs"]
    assert right["mask_sample"] is False and right["reward"] == pytest.approx(0.5 + 1.0 + 0.05)
    assert right["reward_components"] == {"format.tags": 1.0, "math.equivalence": 1.0, "t.misbehave": 0.5}
    assert wrong["mask_sample"] is False and wrong["reward_components"]["math.equivalence"] == 0.0
    assert broken["mask_sample"] is True and broken["failure_kind"] == "error"
    assert "t.misbehave" in broken["failure_reason"] and broken["reward"] == 0.0
    assert right["expected_answer"] == "5" and right["response"]["output"][0]["content"][0]["text"].endswith("</answer>")

    ours, theirs = out["aggregate"]["agent_metrics"], out["nemo_aggregate"]["agent_metrics"]
    shared = [k for k in theirs if k.split("/", 1)[1] in ("reward", "mask_sample")]
    assert shared and all(ours[k] == pytest.approx(theirs[k]) for k in shared), (ours, theirs)
    assert ours["rewardkit/masked"] == 1
    assert ours["rewardkit/mean_reward_unmasked"] == pytest.approx((right["reward"] + wrong["reward"]) / 2)
    assert out["aggregate"]["key_metrics"]["mean/reward"] == pytest.approx(theirs["mean/reward"])
    assert [g["_ng_task_index"] for g in out["aggregate"]["group_level_metrics"]] == [0, 1, 2]
