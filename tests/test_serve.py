"""``rewardkit serve`` as a real subprocess on a free loopback port: values, protocols, limits, failures."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import rewardkit

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from rk_serve_fixture import children, serve  # noqa: E402

COMPLETIONS = [
    "<think>6*7 is 42</think><answer>42</answer>",
    "<think>half</think> <answer>\\frac{1}{2}</answer>",
    "The answer is \\boxed{3/4}.",
    "Natalia sold 48/2 = 24 clips. #### 18",
    "",
    "Water boils at 100 degrees Celsius.",
    "repeat repeat repeat repeat repeat repeat repeat repeat repeat repeat",
    "日本語のテキスト <answer>7</answer>",
]
PROMPTS = [f"Question {i}?\n<think>" if i % 2 else f"Question {i}?" for i in range(len(COMPLETIONS))]
COLUMNS = {
    "answer": ["42", "0.5", "0.75", "18", "1", "100", "2", "7"],
    "reference": ["42", "one half", "3/4", "#### 18", "", "Water boils at 100 C.", "repeat", "日本語のテキスト"],
}
COMPOSITE = [{"name": "format.tags", "weight": 0.5},
             {"name": "math.equivalence", "weight": 1.0, "gate": "format.tags", "gate_min": 0.5}]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("serve"), "-r", "format.tags", "-r", "math.equivalence",
               "--max-items", "64", "--max-body-bytes", "100000") as s:
        yield s


def post(server, body, path="/v1/score", **kw):
    return httpx.post(server.url + path, json=body, timeout=120, **kw)


def builtin_rewards() -> list[str]:
    # a reward that executes its inputs is refused by the default policy (tests/test_executes_inputs.py)
    return [n for n, d in rewardkit.rewards().items() if d["cost"] in ("fast", "cpu") and d["plugin"] not in ("t", "ts")
            and not d.get("executes_inputs")]


def test_every_builtin_reward_equals_in_process(server):
    names = builtin_rewards()
    assert {"format.tags", "math.equivalence", "text.bleu"} <= set(names)
    compared = []
    for name in names:
        request = {"reward": name, "completions": COMPLETIONS, "prompts": PROMPTS, "columns": COLUMNS}
        try:
            local = rewardkit.reward(name).score(COMPLETIONS, prompts=PROMPTS, **COLUMNS)
        except rewardkit.MissingColumnError as exc:  # a column these samples lack: rejected the same way
            got = post(server, request)
            assert got.status_code == 400 and got.json()["field"] == f"columns.{exc.column}", (name, got.text)
            continue
        got = post(server, request)
        assert got.status_code == 200, (name, got.text)
        body = got.json()
        assert body["signature"] == local.signature
        assert [i["value"] for i in body["items"]] == local.values, name
        assert [i["status"] for i in body["items"]] == [s.value for s in local.statuses], name
        assert body["counts"] == local.counts
        compared.append(name)
    assert len(compared) >= 10, compared


def test_composite_terms_equal_in_process(server):
    local = rewardkit.Composite.from_config(COMPOSITE).score(COMPLETIONS, prompts=PROMPTS, **COLUMNS)
    body = post(server, {"composite": COMPOSITE, "completions": COMPLETIONS, "prompts": PROMPTS,
                         "columns": COLUMNS}).json()
    assert [i["value"] for i in body["items"]] == local.total
    for term, values in local.shaped.items():
        assert [i["terms"][term]["value"] for i in body["items"]] == values
        assert [i["terms"][term]["raw"] for i in body["items"]] == local.raw[term].values


def test_remote_client_equals_in_process(server):
    remote = rewardkit.remote(server.url, "text.rouge:variant=rougeL", batch_size=3)
    local = rewardkit.reward("text.rouge", variant="rougeL")
    assert remote.__name__ == "text.rouge"
    # TRL calls reward functions with keywords and its own extra arguments
    got = remote(prompts=PROMPTS, completions=COMPLETIONS, completion_ids=None, trainer_state=None, **COLUMNS)
    assert got == local(COMPLETIONS, prompts=PROMPTS, **COLUMNS)
    assert remote.totals["items"] == len(COMPLETIONS)
    chat = [[{"role": "assistant", "content": c}] for c in COMPLETIONS]
    assert remote(chat, prompts=PROMPTS, **COLUMNS) == got  # chat messages become text on the server
    default = rewardkit.remote(server.url)  # the server's -r composite
    assert default(COMPLETIONS, answer=COLUMNS["answer"]) == rewardkit.Composite.from_config(
        [{"name": "format.tags"}, {"name": "math.equivalence"}])(COMPLETIONS, answer=COLUMNS["answer"])


def test_remote_trl_terms_equal_in_process_adapter(server):
    from rewardkit.trl_adapter import to_trl

    funcs, weights = rewardkit.remote(server.url, COMPOSITE, batch_size=5).trl_terms()
    local_funcs, local_weights = to_trl(rewardkit.Composite.from_config(COMPOSITE))
    assert [f.__name__ for f in funcs] == ["format.tags", "math.equivalence"] and weights == local_weights
    got = [f(prompts=PROMPTS, completions=COMPLETIONS, **COLUMNS) for f in funcs]
    assert got == [f(prompts=PROMPTS, completions=COMPLETIONS, **COLUMNS) for f in local_funcs]


def test_openrlhf_get_reward_shape(server):
    completions = COMPLETIONS[:4]
    prompts = PROMPTS[:4]
    body = {"query": [p + c for p, c in zip(prompts, completions)], "prompts": prompts,
            "labels": COLUMNS["answer"][:4]}
    got = post(server, body, "/get_reward")
    assert got.status_code == 200, got.text
    data = got.json()
    assert set(data) == {"rewards", "scores", "extra_logs"}
    local = rewardkit.Composite.from_config([{"name": "format.tags"}, {"name": "math.equivalence"}]).score(
        completions, prompts=prompts, answer=COLUMNS["answer"][:4])
    assert data["rewards"] == [0.0 if v is None else v for v in local.total]
    assert data["scores"] == data["rewards"]
    assert data["extra_logs"]["format.tags"] == [0.0 if v is None else v for v in local.shaped["format.tags"]]
    assert all(len(v) == 4 for v in data["extra_logs"].values())
    missing = post(server, {"query": body["query"], "prompts": prompts}, "/get_reward")
    assert missing.status_code == 400 and missing.json()["field"] == "labels"
    assert "answer" in missing.json()["detail"]


def test_bad_requests_name_the_field(server):
    r = post(server, {"reward": "format.tags", "completions": ["a", "b"], "prompts": ["p"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "prompts"]
    r = post(server, {"reward": "format.tags"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "completions"]
    r = post(server, {"reward": "format.tags", "completions": [1]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "completions"]
    r = httpx.post(server.url + "/v1/score", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = post(server, {"reward": "format.tagz", "completions": ["a"]})
    assert r.status_code == 400 and r.json()["field"] == "reward" and "format.tags" in r.json()["detail"]
    r = post(server, {"reward": "text.rouge", "params": {"variant": "nope"}, "completions": ["a"],
                      "columns": {"reference": ["a"]}})
    assert r.status_code == 400 and r.json()["field"] == "params.variant"
    r = post(server, {"reward": "format.tags", "column_map": {"nope": "x"}, "completions": ["a"]})
    assert r.status_code == 400 and r.json()["field"] == "column_map"
    r = post(server, {"reward": "math.equivalence", "completions": ["a"]})
    assert r.status_code == 400 and r.json()["field"] == "columns.answer"
    r = post(server, {"composite": [{"name": "format.tags", "wieght": 1}], "completions": ["a"]})
    assert r.status_code == 400 and r.json()["field"] == "composite" and "wieght" in r.json()["detail"]


def test_config_default_serves_its_composite(tmp_path):
    config = tmp_path / "train.toml"
    config.write_text('[[reward]]\nname = "format.tags"\nweight = 0.5\n\n[[reward]]\nname = "math.equivalence"\n'
                      'gate = "format.tags"\ngate_min = 0.5\n')
    with serve(tmp_path, "--config", str(config), "--openrlhf-strip", "<|im_end|>",
               "--openrlhf-strip", "<|endoftext|>") as s:
        assert [t["term"] for t in httpx.get(s.url + "/v1/server").json()["default"]] == ["format.tags", "math.equivalence"]
        query = [c + "<|im_end|><|endoftext|><|endoftext|>" for c in COMPLETIONS]  # as OpenRLHF decodes them
        data = httpx.post(s.url + "/get_reward", json={"query": query, "labels": COLUMNS["answer"]}).json()
    local = rewardkit.Composite.from_config(COMPOSITE)(COMPLETIONS, answer=COLUMNS["answer"])
    assert data["rewards"] == [0.0 if v is None else v for v in local]


def test_limits_413(server):
    r = post(server, {"reward": "format.tags", "completions": ["a"] * 65})
    assert r.status_code == 413 and r.json()["limit"] == "items per request"
    r = post(server, {"reward": "format.tags", "completions": ["x" * 200_000]})
    assert r.status_code == 413 and r.json()["limit"] == "body size" and "100000" in r.json()["detail"]

    def chunks():
        for _ in range(30):
            yield b" " * 5000
    r = httpx.post(server.url + "/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413  # no Content-Length (chunked): counted while reading


def test_rewards_healthz_metrics(server):
    listed = httpx.get(server.url + "/v1/rewards").json()
    assert {r["name"] for r in listed} >= {"format.tags", "math.equivalence"}
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    post(server, {"reward": "t.misbehave", "completions": ["nan", "ok"]})
    text = httpx.get(server.url + "/metrics").text
    assert 'rewardkit_outcomes_total{reward="t.misbehave",status="error"} 1.0' in text
    for name in ("rewardkit_requests_total", "rewardkit_items_total", "rewardkit_request_seconds_bucket",
                 "rewardkit_pool_workers", "rewardkit_queue_depth", "rewardkit_rejected_total"):
        assert name in text


def test_worker_killed_mid_request_is_that_items_error(server):
    result = {}

    def run():
        result["r"] = post(server, {"reward": "t.sleepy", "timeout": 60, "completions": ["pool-a", "hang"]})

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 60
    while len(children(server.proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # "pool-a" is done, "hang" sleeps in its worker
    for pid in children(server.proc.pid):
        os.kill(pid, signal.SIGKILL)
    t.join(60)
    items = result["r"].json()["items"]
    assert items[0] == {"value": 0.6, "status": "value", "message": None}
    assert items[1]["status"] == "error" and "died" in items[1]["message"]
    again = post(server, {"reward": "t.sleepy", "completions": ["pool-b", "raise"]}).json()["items"]
    assert [i["status"] for i in again] == ["value", "error"]


def test_timeout_status_and_counts(server):
    r = post(server, {"reward": "t.sleepy", "timeout": 0.5, "completions": ["hang", "abc"]}).json()
    assert [i["status"] for i in r["items"]] == ["timeout", "value"]
    assert r["counts"]["timeout"] == 1


def test_client_timeout_is_counted_not_zero(server):
    slow = rewardkit.remote(server.url, "ts.slow", params={"delay": 3.0}, timeout=0.5, batch_size=2)
    assert slow(["a", "b", "c"]) == [None, None, None]
    assert slow.totals["timeout"] == 3 and slow.totals["value"] == 0


def test_client_connection_error_retries_then_raises(tmp_path):
    from rk_serve_fixture import free_port

    r = rewardkit.remote(f"http://127.0.0.1:{free_port()}", "format.tags", retries=2, backoff=0.01)
    with pytest.raises(rewardkit.RewardkitError, match="after 3 attempts"):
        r(["x"])
    assert r.totals["retries"] == 2
    with pytest.raises(TypeError, match="unknown option"):
        rewardkit.remote("http://127.0.0.1:1", "format.tags", tiemout=3)


def test_token_401_and_not_logged(tmp_path):
    with serve(tmp_path, "-r", "format.tags", "--token", "s3cret-value") as s:
        body = {"completions": ["<think>a</think><answer>1</answer>"]}
        assert httpx.post(s.url + "/v1/score", json=body).status_code == 401
        wrong = httpx.post(s.url + "/v1/score", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert httpx.get(s.url + "/metrics").status_code == 401
        assert httpx.get(s.url + "/healthz").status_code == 200
        ok = httpx.post(s.url + "/v1/score", json=body, headers={"Authorization": "Bearer s3cret-value"})
        assert ok.status_code == 200 and ok.json()["items"][0]["value"] == 1.0
        assert rewardkit.remote(s.url, token="s3cret-value")(body["completions"]) == [1.0]
        with pytest.raises(rewardkit.RewardkitError, match="401"):
            rewardkit.remote(s.url, "format.tags")(["x"])
    log = s.output()
    assert "401 POST /v1/score" in log and "wrong bearer token" in log and "missing bearer token" in log
    assert "s3cret-value" not in log and "nope" not in log


def test_non_loopback_bind_needs_token():
    from click.testing import CliRunner

    from rewardkit.serve.command import serve as serve_cmd

    result = CliRunner().invoke(serve_cmd, ["--host", "0.0.0.0", "-r", "format.tags"], env={"REWARDKIT_TOKEN": ""})
    assert result.exit_code != 0 and "without a token" in str(result.exception or result.output)


def test_429_when_concurrency_and_queue_are_full(tmp_path):
    with serve(tmp_path, "--max-concurrency", "1", "--max-queue", "0") as s:
        first = {}
        t = threading.Thread(target=lambda: first.setdefault(
            "r", httpx.post(s.url + "/v1/score", json={"reward": "ts.slow", "params": {"delay": 3.0},
                                                        "completions": ["a"]}, timeout=60)))
        t.start()
        # the event loop answers /healthz while a thread scores
        wait_until(lambda: httpx.get(s.url + "/v1/server").json()["inflight"] == 1, "the first request")
        busy = httpx.post(s.url + "/v1/score", json={"reward": "format.tags", "completions": ["a"]})
        assert busy.status_code == 429 and busy.json()["limit"] == "concurrent requests"
        assert "max-concurrency" in busy.json()["detail"] and busy.headers["retry-after"] == "1"
        patient = rewardkit.remote(s.url, "format.tags", retries=8, backoff=0.2)
        assert patient(["<think>a</think><answer>1</answer>"]) == [1.0]  # 429 is retried with backoff
        assert patient.totals["retries"] >= 1
        t.join(60)
        assert first["r"].status_code == 200
        assert httpx.post(s.url + "/v1/score", json={"reward": "format.tags", "completions": ["a"]}).status_code == 200


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sigterm_with_50_requests_in_flight_loses_none(tmp_path):
    gate = tmp_path / "gate"
    with serve(tmp_path, "--max-concurrency", "4") as s:
        def one(i: int):
            body = {"reward": "ts.wait", "params": {"gate": str(gate)}, "completions": ["x" * (i % 10)]}
            return i, httpx.post(s.url + "/v1/score", json=body, timeout=120)

        with ThreadPoolExecutor(50) as pool:
            futures = [pool.submit(one, i) for i in range(50)]
            wait_until(lambda: httpx.get(s.url + "/v1/server").json()["inflight"] == 50, "50 requests in flight")
            s.proc.send_signal(signal.SIGTERM)
            wait_until(lambda: "Shutting down" in s.output(), "the server to stop accepting")
            with pytest.raises(httpx.ConnectError):
                httpx.get(s.url + "/healthz", timeout=5)
            gate.touch()  # now the 50 admitted requests may finish
            results = [f.result() for f in futures]
        # uvicorn re-raises the captured SIGTERM after its graceful shutdown
        assert s.proc.wait(timeout=60) in (0, -signal.SIGTERM)
    assert len(results) == 50
    for i, r in results:
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["value"] == pytest.approx((i % 10) / 10)
    assert "worker pool closed" in s.output()


def test_verl_compute_score(server):
    from rewardkit.serve import verl

    out = verl.compute_score("gsm8k", "<answer>42</answer>", "42", None, url=server.url, reward="math.equivalence")
    assert out == {"score": 1.0, "rewardkit_none": 0.0, "rewardkit_error": 0.0, "rewardkit_timeout": 0.0}
    batch = verl.compute_score_batch(["gsm8k"] * 2, ["no number", "\\boxed{7}"], ["3", "7"], url=server.url,
                                     reward="math.equivalence")
    assert [b["score"] for b in batch] == [0.0, 1.0]
    failed = verl.compute_score("x", "nan", "1", url=server.url, reward="t.misbehave", fill=-1.0)
    assert failed == {"score": -1.0, "rewardkit_none": 0.0, "rewardkit_error": 1.0, "rewardkit_timeout": 0.0}
