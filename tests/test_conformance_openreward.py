"""TRL's own OpenReward client (``trl.experimental.openreward``, TRL 1.16) against rewardkit's ORS
environment on loopback (issue 34 item 6).

The server is the ``openreward`` SDK's own ``Server`` around :func:`rewardkit.integrations.openreward.environment`;
the client is TRL's ``OpenRewardSpec`` (dataset, per-rollout environment, outcome reward function)
over the ``openreward`` SDK's HTTP + SSE session. Before: rewardkit served no ORS environment.
Runs where ``openreward`` is installed (scripts/install_conformance.sh) and TRL has the module.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openreward", reason="openreward is installed by scripts/install_conformance.sh")
trl_ors: Any = pytest.importorskip("trl.experimental.openreward", reason="TRL without trl.experimental.openreward")

import rewardkit  # noqa: E402
from rewardkit.integrations import openreward as ors  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "examples" / "ors_tasks.jsonl"


def _serve(app: Any) -> Iterator[str]:
    import httpx
    import uvicorn

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    import rk_tenants

    port = rk_tenants.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("ORS server did not start")
        time.sleep(0.05)
    httpx.get(url + "/health", timeout=5)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def url(core_plugin: Any) -> Iterator[str]:
    composite = rewardkit.Composite.from_config([{"name": "math.equivalence"}, {"name": "t.misbehave", "weight": 0.1}])
    yield from _serve(ors.app(composite, TASKS))


def test_trl_openreward_spec_trains_on_rewardkit(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENREWARD_SESSION_URL", url)  # the SDK's knob for a self-hosted server (docs/serve.md)
    spec = trl_ors.OpenRewardSpec(url, num_tasks=3)
    data = spec.train_dataset
    assert len(data) == 3 and data["answer"] == ["42", "42", "42"]
    envs = [spec.environment_factory() for _ in range(3)]
    prompts = [env.reset(task_index=i) for i, env in enumerate(envs)]
    assert prompts[1].startswith("What is 6 * 7?")
    assert "Scored" in envs[0].submit(answer="42")
    envs[1].submit(answer="41")
    envs[2].submit(answer="raise")  # t.misbehave errors on this answer: unscorable
    rewards = spec.reward_funcs(environments=envs)
    assert rewards[0] == pytest.approx(1.05) and rewards[1] == pytest.approx(0.05)
    assert rewards[2] is None  # TRL leaves it out of the group's baseline, never a 0
    assert envs[2].metadata[-1]["status"] == "error" and envs[0].finished
    for env in envs:
        env._close()


def test_test_split_and_bad_tasks(tmp_path: Path) -> None:
    assert sorted(ors._rows(TASKS)) == ["test", "train"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "no prompt"}\n')
    with pytest.raises(ValueError, match="prompt"):
        ors._rows(bad)


def test_rewardkit_serve_ors_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rewardkit serve --ors TASKS -r REWARD`` (the documented command) serves TRL's client."""
    import subprocess

    import httpx

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    import rk_tenants

    port = rk_tenants.free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "rewardkit", "serve", "--ors", str(TASKS), "-r", "math.equivalence",
                               "--port", str(port), "--log-level", "warning"])
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "rewardkit serve --ors did not start"
            time.sleep(0.2)
        monkeypatch.setenv("OPENREWARD_SESSION_URL", url)
        spec = trl_ors.OpenRewardSpec(url, num_tasks=1)
        env = spec.environment_factory()
        env.reset(task_index=0)
        env.submit(answer="42")
        assert spec.reward_funcs(environments=[env]) == [1.0]
        env._close()
    finally:
        server.terminate()
        server.wait(30)
    refused = subprocess.run([sys.executable, "-m", "rewardkit", "serve", "--ors", str(TASKS), "-r", "math.equivalence",
                              "--host", "0.0.0.0", "--token", "a-long-enough-token-1234567890"],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "no authentication" in refused.stderr
