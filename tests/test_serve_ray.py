"""``rewardkit serve --ray``: the same app as a Ray Serve deployment with 2 replicas (local Ray)."""

from __future__ import annotations

import pytest

import rewardkit

pytest.importorskip("ray.serve")
httpx = pytest.importorskip("httpx")
pytestmark = pytest.mark.slow

from rk_serve_fixture import serve  # noqa: E402


def test_ray_serve_two_replicas_score_like_in_process(tmp_path):
    completions = ["<think>a</think><answer>4</answer>", "\\boxed{5}", "no answer", "<answer>3</answer>"]
    answers = ["4", "5", "1", "2"]
    with serve(tmp_path, "--ray", "--replicas", "2", "-r", "format.tags", ready_timeout=240,
               env={"REWARDKIT_WORKERS": "1", "RAY_USAGE_STATS_ENABLED": "0"}) as s:
        remote = rewardkit.remote(s.url, "math.equivalence", batch_size=2)
        assert remote(completions, answer=answers) == rewardkit.reward("math.equivalence")(completions, answer=answers)
        pids = {httpx.get(s.url + "/v1/server").json()["pid"] for _ in range(40)}
        assert len(pids) == 2  # Ray Serve's proxy spread the requests over both replicas
        code = s.stop(timeout=120)
    assert code == 0
    assert "shutting down" in s.output()
