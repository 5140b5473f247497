"""``rewardkit serve --ray``: the same app as a Ray Serve deployment with 2 replicas (local Ray)."""

from __future__ import annotations

import pytest

import rewardkit

pytest.importorskip("ray.serve")
httpx = pytest.importorskip("httpx")

from rk_serve_fixture import serve  # noqa: E402


def test_ray_refuses_what_it_cannot_defend(monkeypatch):
    """Issue 31 item 10 and issue 35 item 6, checked before any Ray starts."""
    from rewardkit.errors import RewardkitError
    from rewardkit.serve import ServeSettings
    from rewardkit.serve.ray_app import check_ray

    with pytest.raises(RewardkitError, match="header timeout"):
        check_ray(ServeSettings(host="0.0.0.0", token="a-long-enough-token"), None)
    with pytest.raises(RewardkitError, match="would join any Ray cluster"):
        check_ray(ServeSettings(), "auto")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    with pytest.raises(RewardkitError, match="without authentication"):
        check_ray(ServeSettings(), None)
    monkeypatch.delenv("RAY_AUTH_MODE")
    check_ray(ServeSettings(), "10.0.0.5:6379")


@pytest.mark.slow
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
    assert f"ready on {s.url}" in s.output()  # issue 35 item 6: a URL and a ready line
