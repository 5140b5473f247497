"""Issue 25: a server shared by many clients; each numbered defect of the issue has a test here.

Most run the app under uvicorn in a thread (``rk_tenants.live``); SIGTERM runs a real subprocess.
"""

from __future__ import annotations

import json
import math
import signal
import socket
import threading
import time

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import rk_tenant_fixtures  # noqa: E402
import rk_tenants  # noqa: E402
from rk_serve_fixture import serve  # noqa: E402

import rewardkit  # noqa: E402
from rewardkit.errors import RewardkitError  # noqa: E402
from rewardkit.remote import RemoteError  # noqa: E402
from rewardkit.serve import ServeSettings  # noqa: E402
from rewardkit.serve.policy import Policy, PolicyError  # noqa: E402

tenants, url, post = rk_tenant_fixtures.tenants, rk_tenant_fixtures.url, rk_tenant_fixtures.post


# -- 1: one client's slow cpu batch stalled everyone; timeouts up to a day --------------------
@pytest.mark.timeout(120)
def test_1_a_small_request_is_answered_while_a_slow_batch_runs(url, tmp_path):
    log = str(tmp_path / "slow.log")
    slow: dict = {}
    # the log path is a path parameter: the default policy refuses it, so this test's server allows it
    with rk_tenants.live(policy={"reward": {"tn.*": {"allow": ["log"]}}}) as base:
        big = threading.Thread(target=lambda: slow.setdefault("r", post(base, {
            "reward": "tn.logged_sleep", "params": {"log": log, "delay": 2.0}, "completions": ["a"] * 6})))
        big.start()
        while rk_tenants.lines(log) < 1:
            time.sleep(0.02)
        small = post(base, {"reward": "tn.logged_sleep", "params": {"log": str(tmp_path / "small.log"), "delay": 0.0},
                            "completions": ["b"]})
        still_running = big.is_alive()
        big.join(60)
    assert small.status_code == 200 and small.json()["items"][0]["value"] == 0.5
    assert still_running, "the 1-item request waited for the other client's 6-item batch"
    assert slow["r"].status_code == 200


def test_1_client_timeouts_are_clamped_by_the_policy(tenants):
    policy = Policy.from_dict({"max_timeout": 30, "reward": {"tn.*": {"clamp": {"timeout": 5}}}})
    assert policy.apply("format.tags", {}, 86_400.0) == ({}, 30.0)
    assert policy.apply("tn.hang_when_big", {}, 86_400.0) == ({}, 5.0)
    assert Policy().apply("format.tags", {}, 86_400.0)[1] == 60.0


# -- 2 and 4: path parameters (format.overlong's tokenizer, rm.* model) ------------------------
def test_2_a_client_cannot_point_a_reward_at_a_server_file(url):
    got = post(url, {"reward": "format.overlong", "params": {"tokenizer": "/proc/self/pagemap"}, "completions": ["x"]})
    assert got.status_code == 403, got.text
    assert got.json()["field"] == "params.tokenizer" and "path parameter" in got.json()["detail"]
    comp = post(url, {"composite": [{"name": "format.overlong", "params": {"tokenizer": "/etc/passwd"}}],
                      "completions": ["x"]})
    assert comp.status_code == 403 and comp.json()["field"] == "composite[0].params.tokenizer"


def test_4_rm_model_is_a_path_the_client_cannot_choose(url):
    if "rm.classifier" not in rewardkit.rewards():
        pytest.skip("rewardkit-rm is not installed")
    got = post(url, {"reward": "rm.classifier", "params": {"model": "/tmp/any-model"}, "completions": ["x"]})
    assert got.status_code == 403 and got.json()["field"] == "params.model"


# -- 3: fast rewards had no deadline, and work went on after the client left -------------------
@pytest.mark.timeout(120)
def test_3_a_fast_reward_on_a_huge_item_times_out(url):
    got = post(url, {"reward": "tn.hang_when_big", "completions": ["short", "x" * 20_000]})
    assert got.status_code == 200, got.text
    items = got.json()["items"]
    assert items[0]["status"] == "value" and items[0]["value"] == 0.5
    assert items[1]["status"] == "timeout"


@pytest.mark.timeout(120)
def test_3_work_stops_when_the_client_disconnects(tenants, tmp_path):
    from rewardkit import isolation

    log = str(tmp_path / "gone.log")
    with rk_tenants.live(policy={"reward": {"tn.*": {"allow": ["log"]}}}) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + "/v1/score", json={"reward": "tn.logged_sleep", "params": {"log": log, "delay": 0.5},
                                                 "completions": ["a"] * 40}, timeout=1.0)
        pool = isolation.current_pool()
        while pool is not None and pool.stats()["calls"]:
            time.sleep(0.05)
    assert rk_tenants.lines(log) < 40, "every item ran although the client had gone"


# -- 5: admission by request count only ---------------------------------------------------------
@pytest.mark.timeout(60)
def test_5_bytes_in_flight_are_limited(tenants):
    with rk_tenants.live(max_inflight_bytes=1_000_000, max_body_bytes=900_000) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as held:  # sends 800 kB of 800,010 declared
            held.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 800010\r\n\r\n" + b" " * 800_000)
            time.sleep(0.5)
            body = {"reward": "format.tags", "completions": ["y" * 300_000]}
            got = post(base, body)
            ready = httpx.get(base + "/readyz", timeout=10)
        assert got.status_code == 429 and got.json()["limit"] == "bytes in flight", got.text
        assert got.headers["retry-after"] == "1"
        assert ready.status_code == 200  # 800 kB of 1 MB: below the 90% mark
        assert post(base, body).status_code == 200  # the held body is gone


# -- 6: code.* backend chosen by the client --------------------------------------------------------
def test_6_a_client_cannot_choose_the_code_backend(url, tenants):
    if "code.tests" not in rewardkit.rewards():
        pytest.skip("rewardkit-code is not installed")
    body = {"reward": "code.tests", "params": {"backend": "fork"}, "completions": ["x"],
            "columns": {"tests": ["assert True"]}}
    # code.tests executes its inputs: refused unless the operator serves it (issue 31 item 1)
    got = post(url, body)
    assert got.status_code == 403 and got.json()["field"] == "reward", got.text
    with rk_tenants.live(policy={"executes_inputs": ["code.*"]}) as base:
        got = post(base, body)
    assert got.status_code == 403 and got.json()["field"] == "params.backend"
    fixed = Policy.from_dict({"executes_inputs": ["code.*"], "reward": {"code.*": {"fixed": {"backend": "bwrap"}, "allow": ["memory_mb"],
                                                    "clamp": {"memory_mb": 256}}}})
    params, _ = fixed.apply("code.tests", {"memory_mb": 4096}, None)
    assert params["backend"] == "bwrap" and params["memory_mb"] == 256
    with pytest.raises(PolicyError, match="fixed by the operator"):
        fixed.apply("code.tests", {"backend": "fork"}, None)


# -- 7: slow loris ---------------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_7_half_sent_headers_are_cut_off_and_health_still_answers(tenants):
    with rk_tenants.live(header_timeout=0.5, max_connections=40) as base:
        port = int(base.rsplit(":", 1)[1])
        socks = []
        for _ in range(30):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\n")
            s.settimeout(20)
            socks.append(s)
        answers = [s.recv(200) for s in socks]
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200
        for s in socks:
            s.close()
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[:3]


@pytest.mark.timeout(60)
def test_7_connections_past_the_cap_are_refused(tenants):
    with rk_tenants.live(header_timeout=30, max_connections=5) as base:
        port = int(base.rsplit(":", 1)[1])
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
        for s in socks:
            s.settimeout(20)
        refused = socks[0].recv(200)  # the oldest idle connection made room for the newest (issue 31 item 7)
        for s in socks:
            s.close()
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200
    assert refused.startswith(b"HTTP/1.1 503")


# -- 8: rewardkit.remote and non-finite column values ----------------------------------------------
def test_8_remote_sends_nan_columns_as_null(url):
    with rewardkit.remote(url, "format.tags") as acc:
        out = acc(["<think>a</think><answer>1</answer>", "x"], extra=[math.nan, math.inf],
                  nested=[{"a": math.nan}, [1.0, -math.inf]])
    assert out == rewardkit.reward("format.tags")(["<think>a</think><answer>1</answer>", "x"])


# -- 9: SIGTERM with a half-sent body ---------------------------------------------------------------
@pytest.mark.timeout(120)
def test_9_sigterm_finishes_while_a_body_is_half_sent(tmp_path):
    with serve(tmp_path, "-r", "format.tags", "--shutdown-timeout", "2", "--body-timeout", "60") as s:
        port = int(s.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as half:
            half.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"completions\"")
            time.sleep(0.3)
            code = s.stop(timeout=30)  # before: never returned (TimeoutExpired)
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught once it has stopped
    assert "timeout graceful shutdown exceeded" in s.output()


# -- 10: NaN/Infinity and overflowing weights gave a 500, retried four times by the client ---------
@pytest.mark.parametrize("raw, field", [
    (b'{"reward": "format.tags", "completions": ["a"], "columns": {"answer": [NaN]}}', "columns.answer[0]"),
    (b'{"reward": "t", "completions": ["a"], "timeout": Infinity}', "timeout"),
    (b'{"composite": [{"name": "format.tags", "weight": 1e400}], "completions": ["a"]}', "composite[0].weight"),
])
def test_10_non_finite_numbers_are_a_422_naming_the_field(url, raw, field):
    got = httpx.post(url + "/v1/score", content=raw, headers={"content-type": "application/json"}, timeout=30)
    assert got.status_code == 422, got.text
    assert got.json()["field"] == field


def test_10_overflowing_composite_weights_are_refused(url):
    terms = [{"name": "format.tags", "weight": 1.5e308}, {"name": "format.tags", "alias": "b", "weight": 1.5e308}]
    got = post(url, {"composite": terms, "completions": ["<think>a</think><answer>1</answer>"]})
    assert got.status_code == 400 and got.json()["field"] == "composite", got.text
    metrics = httpx.get(url + "/metrics", timeout=10).text
    assert 'code="500"' not in metrics


def test_10_remote_does_not_retry_a_500(tenants):
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    calls = {"n": 0}
    broken = FastAPI()

    @broken.post("/v1/score")
    async def always_500() -> JSONResponse:
        calls["n"] += 1
        return JSONResponse({"detail": "bug"}, status_code=500)

    import uvicorn

    port = rk_tenants.free_port()
    server = uvicorn.Server(uvicorn.Config(broken, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        acc = rewardkit.remote(f"http://127.0.0.1:{port}", "format.tags", backoff=0.01)
        with pytest.raises(RemoteError, match="500"):
            acc(["a"])
        assert calls["n"] == 1 and acc.totals["retries"] == 0
    finally:
        server.should_exit = True
        thread.join(10)


# -- 11: a token with a trailing newline ------------------------------------------------------------
def test_11_token_is_stripped_or_refused_at_start():
    assert ServeSettings(token="s3cret-value\n").token == "s3cret-value"
    for bad in ("  \n", "two words", "tab\there"):
        with pytest.raises(RewardkitError, match="token"):
            ServeSettings(token=bad)


# -- the other trainers' protocols -------------------------------------------------------------------
NEMO_VERIFY = {  # the body NeMo Gym's resources-server clients send to /verify (BaseVerifyRequest + task fields)
    "responses_create_params": {"input": [{"role": "user", "content": "What is 2 + 2?"}]},
    "response": {"id": "response_1", "created_at": 1.0, "model": "model_1", "object": "response",
                 "output": [{"id": "message_1", "content": [{"annotations": [], "text": "<think>2+2</think>"
                                                             "<answer>4</answer>", "type": "output_text"}],
                             "role": "assistant", "status": "completed", "type": "message"}],
                 "parallel_tool_calls": False, "tool_choice": "none", "tools": []},
    "question": "What is 2 + 2?",
    "expected_answer": "4",
}


def test_nemo_gym_verify(url):
    got = post(url, NEMO_VERIFY, path="/verify")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["reward"] == 1.0 and body["expected_answer"] == "4"
    assert body["response"]["output"][0]["content"][0]["text"].endswith("<answer>4</answer>")
    assert "failure_reason" not in body


def test_verl_batch_and_single(url):
    batch = {"data_sources": ["gsm8k", "gsm8k"], "solution_strs": ["<think>a</think><answer>1</answer>", "no tags"],
             "ground_truths": ["1", "2"], "extra_infos": [{"index": 0}, {"index": 1}]}
    got = post(url, batch, path="/verl/compute_score")
    assert got.status_code == 200, got.text
    scores = got.json()
    assert [s["score"] for s in scores] == rewardkit.reward("format.tags")(batch["solution_strs"])
    assert set(scores[0]) == {"score", "rewardkit_none", "rewardkit_error", "rewardkit_timeout"}
    one = post(url, {"data_source": "gsm8k", "solution_str": "no tags", "ground_truth": "2", "extra_info": None},
               path="/verl/compute_score")
    assert one.status_code == 200 and one.json()["score"] == scores[1]["score"]


def test_request_id_header_readyz_and_policy_endpoint(url):
    got = post(url, {"reward": "format.tags", "completions": ["a"]}, headers={"x-request-id": "trainer-7.42"})
    assert got.headers["x-request-id"] == "trainer-7.42"
    assert len(post(url, {"reward": "format.tags", "completions": ["a"]}).headers["x-request-id"]) == 16
    assert httpx.get(url + "/readyz", timeout=10).json()["status"] == "ready"
    policy = httpx.get(url + "/v1/policy", timeout=10).json()
    assert policy["max_timeout"] == 60.0 and policy["rewards"] == ["*"]


def test_policy_file_limits_the_served_rewards(tenants, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('rewards = ["format.*"]\nmax_timeout = 5\n[reward."format.overlong"]\nfixed = {max_length = 64}\n')
    policy = Policy.load(path)
    with rk_tenants.live(policy=policy) as base:
        refused = post(base, {"reward": "text.bleu", "completions": ["a"], "columns": {"reference": ["a"]}})
        listed = {r["name"] for r in httpx.get(base + "/v1/rewards", timeout=10).json()}
    assert refused.status_code == 403 and "not served" in refused.json()["detail"]
    assert listed and all(n.startswith("format.") for n in listed)
    assert policy.apply("format.overlong", {}, None)[0] == {"max_length": 64}
    bad = tmp_path / "bad.toml"
    bad.write_text('[reward."x.*"]\nallw = ["a"]\n')
    with pytest.raises(RewardkitError, match="allw"):
        Policy.load(bad)


def test_request_ids_reach_the_log_lines(tenants, caplog):
    import logging

    from rewardkit.serve.logs import RequestIdFilter

    with rk_tenants.live() as base:
        handler_filter = RequestIdFilter()
        caplog.handler.addFilter(handler_filter)
        with caplog.at_level(logging.INFO, logger="rewardkit.serve"):
            post(base, {"reward": "format.overlong", "params": {"tokenizer": "/x"}, "completions": ["a"]},
                 headers={"x-request-id": "abc123"})
        caplog.handler.removeFilter(handler_filter)
    assert any(getattr(r, "request_id", None) == "abc123" and "403" in r.getMessage() for r in caplog.records)


def test_json_numbers_in_bodies_stay_plain():
    from rewardkit.serve.bodies import non_finite_field

    assert non_finite_field(json.dumps({"completions": ["NaN is a word", "1e400 in text"]}).encode()) is None
    assert non_finite_field(b'{"a": [1, {"b": -Infinity}]}') == "a[1].b"


def test_judge_endpoint_and_key_names_are_not_the_clients(url):
    """A judge reward pointed at the client's own URL with the server's secret's name would leak it."""
    if "judge.equivalence" not in rewardkit.rewards():
        pytest.skip("rewardkit-judge is not installed")
    got = post(url, {"reward": "judge.equivalence", "params": {"backend": "openai", "base_url": "http://evil/v1",
                                                               "api_key_env": "REWARDKIT_TOKEN"},
                     "completions": ["x"], "columns": {"answer": ["x"]}})
    assert got.status_code == 403 and got.json()["field"].startswith("params."), got.text


def test_readyz_reports_saturation_and_dead_workers():
    from rewardkit.serve.scoring import Scorer
    from rewardkit.serve.state import Server, readiness

    settings = ServeSettings(max_concurrency=1, max_queue=0, max_inflight_bytes=100)
    server = Server(settings, settings.tenants(), Scorer())
    assert readiness(server, None) == []
    server.admission.take("anonymous")
    server.budget.take("anonymous", 95)
    server.stopping = True
    why = readiness(server, None)
    assert any("queue full" in w for w in why) and any("bytes in flight" in w for w in why) and "stopping" in why


def test_3_inline_work_per_call_is_bounded(tenants):
    """Many mid-size items of a fast reward: past the inline budget they go to workers (with deadlines)."""
    from rewardkit.serve.deadline import INLINE_BATCH_FACTOR, SizeGuard

    seen: list[int] = []

    def fn(*, completions, prompts):
        seen.append(len(completions))
        return [1.0] * len(completions)

    guard = SizeGuard(fn, 100)
    out = guard(completions=["x" * 90] * (2 * INLINE_BATCH_FACTOR), prompts=[""] * (2 * INLINE_BATCH_FACTOR))
    inline = sum(v == 1.0 for v in out)
    assert sum(seen) == inline and 0 < inline <= INLINE_BATCH_FACTOR * 100 // 90
    assert all(v is rewardkit.DEFER for v in out[inline:])


def test_nemo_gym_unscorable_item_says_why(tenants):
    with rk_tenants.live(default=rewardkit.reward("tn.hang_when_big")) as base:
        body = dict(NEMO_VERIFY, response=dict(NEMO_VERIFY["response"], output=[
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "x" * 20_000}]}]))
        got = post(base, body, path="/verify")
        bad = post(base, {"solution_strs": ["a", "b"], "ground_truths": ["1"]}, path="/verl/compute_score")
    assert got.status_code == 200, got.text
    assert got.json()["reward"] == 0.0 and got.json()["failure_reason"].startswith("rewardkit: timeout")
    assert bad.status_code == 400 and bad.json()["field"] == "ground_truths"
