"""Issue 31: a server shared by tenants who do not trust each other. One test (or more) per numbered defect.

Servers run in a thread (``rk_tenants.live``) or as a subprocess (``rk_serve_fixture.serve``); every
loop is bounded, everything is loopback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import rk_tenant_fixtures  # noqa: E402
import rk_tenants  # noqa: E402

import rewardkit  # noqa: E402
from rewardkit.serve import ServeSettings  # noqa: E402
from rewardkit.serve.policy import Policy  # noqa: E402
from rewardkit.serve.schemas import ScoreRequest  # noqa: E402
from rewardkit.serve.scoring import Scorer  # noqa: E402

ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789ab"
LOGS = {"reward": {"tn.*": {"allow": ["log"]}}}


tenants, url, post = rk_tenant_fixtures.tenants, rk_tenant_fixtures.url, rk_tenant_fixtures.post


def tokens_file(tmp_path: Path, **shares: float) -> str:
    path = tmp_path / "tokens.toml"
    rows = {"alice": ALICE, "bob": BOB}
    path.write_text("".join(f'[tenant.{n}]\ntoken = "{rows[n]}"\nshare = {s}\n\n' for n, s in shares.items()))
    return str(path)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- 2: a composite term's params.timeout bypassed the policy ----------------------------------------
def test_2_timeout_among_a_terms_params_is_clamped_by_the_policy(tenants):
    scorer = Scorer(policy=Policy.from_dict({"max_timeout": 10}))
    comp = scorer.target(ScoreRequest(composite=[{"name": "tn.logged_sleep", "params": {"timeout": 15}}],
                                      completions=["a"]))
    assert comp.terms[0].reward.timeout == 10.0  # before: 15 (up to a day)
    single = scorer.target(ScoreRequest(reward="tn.logged_sleep", params={"timeout": 86_400}, completions=["a"]))
    assert single.timeout == 10.0


# -- 3: composite amplification --------------------------------------------------------------------
def test_3_terms_items_x_terms_and_answer_size_are_capped(tenants):
    with rk_tenants.live(max_terms=8, max_term_items=1000, max_answer_bytes=20_000) as base:
        many = [{"name": "format.tags", "alias": f"t{i}"} for i in range(200)]
        got = post(base, {"composite": many, "completions": ["a"]})
        assert got.status_code == 413 and got.json()["limit"] == "terms per composite", got.text
        got = post(base, {"composite": many[:4], "completions": ["a"] * 300})
        assert got.status_code == 413 and got.json()["limit"] == "items x terms"
        got = post(base, {"composite": many[:3], "completions": ["a"] * 200})
        assert got.status_code == 413 and got.json()["limit"] == "answer size"
        assert post(base, {"composite": many[:2], "completions": ["a"] * 10}).status_code == 200


def test_3_one_deadline_covers_every_term(tenants, tmp_path):
    log = str(tmp_path / "deadline.log")
    terms = [{"name": "tn.inline_log", "alias": f"t{i}", "params": {"log": log, "delay": 0.05}} for i in range(4)]
    with rk_tenants.live(policy=LOGS, request_timeout=1.0) as base:
        got = post(base, {"composite": terms, "completions": ["a"] * 40})
    assert got.status_code == 200, got.text
    timed_out = [t for item in got.json()["items"] for t in item["terms"].values() if t["status"] == "timeout"]
    assert timed_out and all("deadline" in t["message"] for t in timed_out)
    assert rk_tenants.lines(log) < 160  # every term's items would have run


# -- 4: cancel-on-disconnect reached only the worker pool -------------------------------------------
@pytest.mark.parametrize("reward, n", [("tn.inline_log", 80), ("tn.fastpath_log", 80), ("tn.model_log", 200)])
def test_4_a_disconnected_request_stops_whatever_the_cost_kind(tenants, tmp_path, reward, n):
    log = str(tmp_path / f"{reward}.log")
    with rk_tenants.live(policy=LOGS) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + "/v1/score", json={"reward": reward, "params": {"log": log, "delay": 0.05},
                                                 "completions": ["a"] * n}, timeout=0.5)
        wait_for(lambda: 'reason="client gone"' in httpx.get(base + "/metrics", timeout=10).text,
                 "the server to notice the client went away", timeout=60)
    assert rk_tenants.lines(log) < n, f"{reward}: every item ran although the client had gone"


def test_4_a_disconnected_composite_stops_between_terms(tenants, tmp_path):
    log = str(tmp_path / "terms.log")
    terms = [{"name": "tn.inline_log", "alias": f"t{i}", "params": {"log": log, "delay": 0.05}} for i in range(6)]
    with rk_tenants.live(policy=LOGS) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + "/v1/score", json={"composite": terms, "completions": ["a"] * 16}, timeout=0.5)
        wait_for(lambda: 'reason="client gone"' in httpx.get(base + "/metrics", timeout=10).text, "client gone")
    assert rk_tenants.lines(log) < 6 * 16


# -- 5: scoring threads were first come, first served ----------------------------------------------
@pytest.mark.timeout(120)
def test_5_one_tenants_slow_requests_do_not_queue_another_tenant(tenants, tmp_path):
    log = str(tmp_path / "slow.log")
    with rk_tenants.live(policy=LOGS, tokens=tokens_file(tmp_path, alice=1, bob=1), max_concurrency=2) as base:
        slow = {"reward": "tn.inline_log", "params": {"log": log, "delay": 0.5}, "completions": ["a"] * 4}
        done: list[str] = []
        threads = [threading.Thread(target=lambda: (post(base, slow, headers=auth(ALICE)), done.append("alice")))
                   for _ in range(4)]
        for t in threads:
            t.start()
        wait_for(lambda: rk_tenants.lines(log) >= 1, "alice's first request to run")
        fast = post(base, {"reward": "format.tags", "completions": ["<think>a</think><answer>1</answer>"]},
                    headers=auth(BOB))
        alice_done_before_bob = len(done)
        for t in threads:
            t.join(60)
    assert fast.status_code == 200 and fast.json()["items"][0]["value"] == 1.0
    assert alice_done_before_bob <= 1, "bob's 1-item request waited behind alice's queue"


def test_5_fair_threads_prefer_the_tenant_holding_fewer(tenants):
    import anyio

    from rewardkit.serve.fair import FairThreads
    from rewardkit.serve.tenants import Tenant, Tenants

    a, b = Tenant("a", "a" * 16), Tenant("b", "b" * 16)
    fair = FairThreads(4, Tenants([a, b]))
    assert fair.shares.cap("a") == 3  # a quarter is kept for the others
    order: list[str] = []

    async def one(t: Tenant) -> None:
        await fair.run(t, lambda: order.append(t.name))

    async def main() -> None:
        for _ in range(3):
            fair.shares.take("a")
        async with anyio.create_task_group() as tg:
            tg.start_soon(one, a)  # waits: a holds its cap
            await anyio.sleep(0.05)
            tg.start_soon(one, b)  # runs at once: b holds nothing
            with anyio.fail_after(30):
                while not order:
                    await anyio.sleep(0.01)
            assert order == ["b"]
            for _ in range(3):
                fair.shares.give("a")
            fair._grant()
    anyio.run(main)
    assert order[0] == "b"  # b arrived last but holds nothing


def test_5_a_busy_tenant_keeps_no_more_than_its_part_while_another_is_active(tenants):
    """Before, a tenant could hold all threads but the reserve (3 of 4) while another tenant ran 2 requests
    at once: the other's second request waited for whole requests of the first (the benchmark's honest
    p99 of 125 ms was one 16-term x 256-item composite). Now, while both are active, each holds at most
    its weighted part (2 of 4); alone, a tenant still gets 3."""
    import anyio

    from rewardkit.serve.fair import FairThreads
    from rewardkit.serve.tenants import Tenant, Tenants

    a, b = Tenant("a", "a" * 16), Tenant("b", "b" * 16)
    fair = FairThreads(4, Tenants([a, b]))
    assert fair.shares.cap("a") == 3  # alone: all but the reserve
    gates = {name: [anyio.Event() for _ in range(4)] for name in "ab"}
    started: list[str] = []

    async def hold(t: Tenant, k: int) -> None:
        def work() -> None:
            started.append(f"{t.name}{k}")
            anyio.from_thread.run(gates[t.name][k].wait)
        await fair.run(t, work)

    async def until(n: int) -> None:
        with anyio.fail_after(30):
            while len(started) < n:
                await anyio.sleep(0.01)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, b, 0)
            await until(1)
            for k in range(3):  # a asks for 3 while b is active: it gets 2 of 4
                tg.start_soon(hold, a, k)
            await anyio.sleep(0.2)
            assert sorted(started) == ["a0", "a1", "b0"] and fair.shares.held["a"] == 2
            tg.start_soon(hold, b, 1)  # b's second request runs at once, beside a's two
            await until(4)
            assert "b1" in started and "a2" not in started
            gates["b"][0].set()  # b's first ends: its thread does not go to a, which holds its part
            await anyio.sleep(0.2)
            assert "a2" not in started and fair.shares.held["a"] == 2
            gates["a"][0].set()  # one of a's ends: a's waiting request takes that thread
            await until(5)
            assert started[-1] == "a2"
            assert fair.cap("a") == 2 and fair.cap("b") == 2
            for g in (*gates["a"], *gates["b"]):
                g.set()

    anyio.run(main)


def test_5_pool_turns_go_to_the_tenant_with_the_fewest_busy_workers():
    from rewardkit.isolation import WorkerPool, _Batch

    def batch(owner: str, busy: int, turn: int) -> _Batch:
        b = _Batch(turn, "k", b"", [("", "", {})] * 4, 1.0, 1.0, [0, 1], [None] * 4, [0.0] * 4, [0.0] * 4, pending=4)
        b.owner, b.busy, b.turn = (owner, 1.0), busy, turn
        return b

    pool = WorkerPool(size=4)
    a1, a2, b1 = batch("a", 2, 1), batch("a", 0, 2), batch("b", 1, 3)
    pool._active = [a1, a2, b1]
    assert pool._next_batch() is b1  # before: a2 (its own call had no worker), though tenant a held two


def test_5_workers_run_below_the_servers_priority(tenants, monkeypatch):
    """So the server's event loop and inline requests come first when rewards saturate the cores."""
    from rewardkit import isolation

    monkeypatch.setenv(isolation.NICE_ENV, "3")
    pool = isolation.WorkerPool(size=1)
    try:
        spec = rewardkit.reward("tn.niceness").spec
        result = pool.map(spec.fn, {}, [("a", "", {})], 60.0)
    finally:
        pool.close()
    assert result[0].kind == "ok" and result[0].payload == [float(os.nice(0) + 3)]


def test_tenants_file_gives_a_tenant_its_own_policy(tenants, tmp_path):
    (tmp_path / "alice.toml").write_text('rewards = ["format.*"]\n')
    path = tmp_path / "tokens.toml"
    path.write_text(f'[tenant.alice]\ntoken = "{ALICE}"\npolicy = "alice.toml"\n\n[tenant.bob]\ntoken = "{BOB}"\n')
    body = {"reward": "math.equivalence", "completions": ["4"], "columns": {"answer": ["4"]}}
    with rk_tenants.live(tokens=str(path)) as base:
        refused = post(base, body, headers=auth(ALICE))
        served = post(base, body, headers=auth(BOB))
        nobody = post(base, body)
    assert refused.status_code == 403 and refused.json()["field"] == "reward"
    assert served.status_code == 200 and nobody.status_code == 401
    from rewardkit.errors import RewardkitError

    path.write_text('[tenant.alice]\ntoken = "short"\n')
    with pytest.raises(RewardkitError, match="at least 16"):
        ServeSettings(tokens=str(path))


# -- 6: bytes in flight reserved on the declared Content-Length ---------------------------------------
@pytest.mark.timeout(60)
def test_6_declared_sizes_that_never_arrive_lock_nobody_out(tenants):
    with rk_tenants.live(max_inflight_bytes=1_000_000, max_body_bytes=600_000) as base:
        port = int(base.rsplit(":", 1)[1])
        held = []
        for _ in range(2):  # two sockets declaring 600 kB each, sending nothing
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 600000\r\n\r\n")
            held.append(s)
        time.sleep(0.3)
        got = post(base, {"reward": "format.tags", "completions": ["y" * 300_000]})
        ready = httpx.get(base + "/readyz", timeout=10)
        for s in held:
            s.close()
    assert got.status_code == 200, got.text  # before: 429 (1.2 MB "held")
    assert ready.status_code == 200


def test_6_one_tenant_cannot_hold_every_byte(tmp_path):
    from rewardkit.serve.fair import Shares

    tenants = ServeSettings(tokens=tokens_file(tmp_path, alice=1, bob=1)).tenants()
    budget = Shares(1000, tenants)
    assert budget.take("alice", 750) and not budget.take("alice", 1)
    assert budget.take("bob", 250)


def test_6_bodies_are_parsed_off_the_event_loop(url, monkeypatch):
    import asyncio

    from rewardkit.serve import bodies

    seen: list[bool] = []
    original = bodies.load

    def load(body: bytes):
        try:
            asyncio.get_running_loop()
            seen.append(True)  # on the event loop
        except RuntimeError:
            seen.append(False)
        return original(body)

    monkeypatch.setattr(bodies, "load", load)
    assert post(url, {"reward": "format.tags", "completions": ["a"]}).status_code == 200
    raw = b'{"completions": ["a"], "columns": {"x": [1' + b"0" * 400 + b'.5]}}'
    assert httpx.post(url + "/v1/score", content=raw, headers={"content-type": "application/json"}).status_code == 422
    assert seen == [False, False]


def test_5_readyz_and_metrics_per_tenant(tenants, tmp_path):
    from rewardkit.serve.scoring import Scorer
    from rewardkit.serve.state import Server, readiness

    settings = ServeSettings(tokens=tokens_file(tmp_path, alice=1, bob=1), max_concurrency=2, max_queue=2)
    server = Server(settings, settings.tenants(), Scorer())
    alice, bob = server.tenants.by_name["alice"], server.tenants.by_name["bob"]
    while server.admission.take("alice"):
        pass
    assert any("alice" in why for why in readiness(server, alice)) and readiness(server, bob) == []
    with rk_tenants.live(tokens=settings.tokens) as base:
        post(base, {"reward": "format.tags", "completions": ["a", "b"]}, headers=auth(BOB))
        text = httpx.get(base + "/metrics", headers=auth(ALICE), timeout=10).text
    assert 'rewardkit_tenant_items_total{tenant="bob"} 2.0' in text
    assert 'rewardkit_tenant_requests_total{code="200",tenant="bob"}' in text


@pytest.mark.timeout(60)
def test_7_one_tenant_cannot_hold_every_connection(tenants, tmp_path):
    with rk_tenants.live(tokens=tokens_file(tmp_path, alice=1, bob=1), max_connections=4) as base:
        port = int(base.rsplit(":", 1)[1])
        request = (b"GET /v1/server HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALICE.encode() + b"\r\n\r\n")
        answers, socks = [], []
        for _ in range(4):  # keep-alive connections of alice's
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(20)
            s.sendall(request)
            answers.append(s.recv(2000))
            socks.append(s)
        bob = httpx.get(base + "/v1/server", headers=auth(BOB), timeout=10)
        for s in socks:
            s.close()
    assert [a.split(b"\r\n")[0] for a in answers] == [b"HTTP/1.1 200 OK"] * 3 + [b"HTTP/1.1 503 Service Unavailable"]
    assert b'"limit": "connections"' in answers[3]
    assert bob.status_code == 200


# -- 7: the connection cap was global and checked before authentication -------------------------------
@pytest.mark.timeout(90)
def test_7_an_unauthenticated_socket_flood_does_not_refuse_tenants(tenants, tmp_path):
    with rk_tenants.live(tokens=tokens_file(tmp_path, alice=1), max_connections=20, header_timeout=30) as base:
        port = int(base.rsplit(":", 1)[1])
        flood = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        time.sleep(0.3)
        codes = []
        for _ in range(8):
            with httpx.Client(headers=auth(ALICE), timeout=30) as client:
                codes.append(client.post(base + "/v1/score", json={"reward": "format.tags",
                                                                    "completions": ["a"]}).status_code)
            flood.append(socket.create_connection(("127.0.0.1", port)))  # the peer keeps re-opening
        for s in flood:
            s.close()
    assert codes == [200] * 8, codes  # before: 503 for most


# -- 8: every bad input is a 4xx naming the field -------------------------------------------------------
BIG = "1" + "0" * 400
BAD_INPUTS = [
    (f'{{"composite": [{{"name": "format.tags", "weight": {BIG}}}], "completions": ["a"]}}', "composite[0].weight"),
    (f'{{"composite": [{{"name": "format.tags", "gate": "format.tags", "gate_min": {BIG}}}], "completions": ["a"]}}',
     "composite[0].gate_min"),
    (f'{{"composite": [{{"name": "format.tags", "timeout": {BIG}}}], "completions": ["a"]}}', "composite[0].timeout"),
    (f'{{"reward": "text.bleu", "params": {{"smooth": {BIG}}}, "completions": ["a"], "columns": {{"reference": ["a"]}}}}',
     "params.smooth"),
    (f'{{"reward": "format.tags", "timeout": {BIG}, "completions": ["a"]}}', "timeout"),
    (f'{{"composite": [{{"name": "format.tags", "weight": {BIG}.5}}], "completions": ["a"]}}', "composite[0].weight"),
    ('{"reward": "format.tags", "params": {"timeout": "soon"}, "completions": ["a"]}', "timeout"),
    ('{"reward": "format.tags", "params": {"columns": 5}, "completions": ["a"]}', "columns"),
    ('{"reward": "format.tags", "completions": [' + "[" * 700 + "]" * 700 + "]}", "completions"),
    ('{"composite": [{"name": "format.tags", "params": {"timeout": -1}}], "completions": ["a"]}', "composite[0].timeout"),
]


@pytest.mark.parametrize("raw, field", BAD_INPUTS)
def test_8_bad_inputs_are_a_4xx_naming_the_field(url, raw, field):
    got = httpx.post(url + "/v1/score", content=raw.encode(), headers={"content-type": "application/json"}, timeout=30)
    assert 400 <= got.status_code < 500, (got.status_code, got.text[:300])
    assert got.json()["field"].startswith(field), got.text[:300]


def test_8_params_timeout_on_a_single_reward_is_a_deadline_not_a_500(url):
    got = post(url, {"reward": "format.tags", "params": {"timeout": 5, "columns": {}}, "completions": ["a"]})
    assert got.status_code == 200, got.text


def test_8_a_lone_surrogate_is_echoed_as_valid_json(tenants):
    body = ('{"responses_create_params": {"input": "q"}, "response": {"output": [{"type": "message", '
            '"role": "assistant", "content": "\\ud800"}]}, "expected_answer": "\\ud800"}')
    with rk_tenants.live(default=rewardkit.reward("format.tags")) as base:
        got = httpx.post(base + "/verify", content=body.encode(), headers={"content-type": "application/json"},
                         timeout=30)
    assert got.status_code == 200, got.text
    assert json.loads(got.content)["expected_answer"] == "\ud800"


# -- 9: /healthz showed the default reward's parameters to anyone -------------------------------------------
def test_9_health_says_only_alive_and_ready_without_the_token(tenants, tmp_path):
    with rk_tenants.live(tokens=tokens_file(tmp_path, alice=1), default=rewardkit.reward("format.tags")) as base:
        assert httpx.get(base + "/healthz", timeout=10).json() == {"status": "ok"}
        assert httpx.get(base + "/readyz", timeout=10).json() == {"status": "ready"}
        assert httpx.get(base + "/v1/server", timeout=10).status_code == 401
        about = httpx.get(base + "/v1/server", headers=auth(ALICE), timeout=10).json()
        mine = httpx.get(base + "/readyz", headers=auth(ALICE), timeout=10).json()
    assert "format.tags" in about["default"] and about["tenant"] == "alice"
    assert mine["tenant"] == "alice" and mine["reasons"] == []


# -- 11: verl sent a missing ground truth as the text "None" ----------------------------------------------
def test_11_a_missing_ground_truth_is_none_end_to_end(url):
    from rewardkit.serve import verl

    out = verl.compute_score("gsm8k", "\\boxed{None}", None, url=url, reward="math.equivalence")
    assert out["score"] == 0.0 and out["rewardkit_none"] == 1.0  # before: 1.0 against the gold "None"
    batch = verl.compute_score_batch(["x", "x"], ["\\boxed{None}", "\\boxed{7}"], [float("nan"), 7], url=url,
                                     reward="math.equivalence")
    assert [b["score"] for b in batch] == [0.0, 1.0]


# -- 12: OpenRLHF's left-truncated prompts were scored as answer text ----------------------------------------
def test_12_a_truncated_prompt_is_matched_or_refused(tenants):
    prompt = "Long context. What is 2+2? Write it as \\boxed{4} like this example shows, then explain. "
    with rk_tenants.live(default=rewardkit.reward("math.equivalence")) as base:
        query = (prompt + "I am not sure.")[20:]  # OpenRLHF cut the prompt's first 20 characters
        got = post(base, {"query": [query, "I am not sure."], "prompts": [prompt, prompt], "labels": ["4", "4"]},
                   path="/get_reward").json()
        exact = post(base, {"query": [prompt + "\\boxed{4}"], "prompts": [prompt], "labels": ["4"]},
                     path="/get_reward").json()
    assert got["rewards"] == [0.0, 0.0]  # before: 1.0 from the prompt's \boxed{4}
    assert got["extra_logs"]["rewardkit/prompt_not_found"] == [0.0, 1.0]
    assert got["extra_logs"]["rewardkit/error"] == [0.0, 1.0]
    assert exact["rewards"] == [1.0]


# -- 13: workers outlived a killed owner ---------------------------------------------------------------------
OWNER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {support!r})
    import rk_tenants
    import rewardkit
    from rewardkit.plugins import register_plugin
    from rewardkit import isolation
    register_plugin(rk_tenants.TenantPlugin, "tn")
    r = rewardkit.reward("tn.backtrack")
    import threading
    t = threading.Thread(target=lambda: r(["spin"]), daemon=True)
    t.start()
    import time
    while not (isolation.current_pool() and isolation.current_pool().stats()["busy"]):
        time.sleep(0.05)
    print(" ".join(map(str, isolation.current_pool().pids)), flush=True)
    t.join()
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(120)
def test_13_workers_die_with_a_killed_training_process(tmp_path):
    script = tmp_path / "owner.py"
    script.write_text(OWNER.format(support=str(Path(__file__).parent / "support")))
    mark = tmp_path / "spinning"
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "REWARDKIT_WORKERS": "1", "RK_BACKTRACK_MARK": str(mark)})
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids and all(_alive(p) for p in pids)
    wait_for(mark.exists, "the worker to reach the regex", timeout=60)
    time.sleep(0.3)  # the worker is deep in the regex now, holding its GIL
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    wait_for(lambda: not any(_alive(p) for p in pids), "the workers to die with their owner", timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(180)
def test_13_workers_die_with_a_killed_server(tmp_path):
    from rk_serve_fixture import children, serve

    mark = tmp_path / "spinning"
    with serve(tmp_path, "-r", "format.tags", env={"REWARDKIT_WORKERS": "1", "RK_BACKTRACK_MARK": str(mark)}) as s:
        threading.Thread(target=lambda: _quiet_post(s.url, {"reward": "tn.backtrack", "completions": ["spin"]}),
                         daemon=True).start()
        wait_for(mark.exists, "the worker to reach the regex", timeout=60)
        pids = children(s.proc.pid)
        time.sleep(0.3)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(10)
    wait_for(lambda: not any(_alive(p) for p in pids), "the workers to die with the server", timeout=10)


def _quiet_post(url: str, body: dict) -> None:
    try:
        httpx.post(url + "/v1/score", json=body, timeout=120)
    except httpx.HTTPError:
        pass
