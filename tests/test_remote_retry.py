"""Issue 25: rewardkit.remote honours Retry-After, splits a batch on 413, never retries a 4xx or 500."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("httpx")
pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

import rk_tenants  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from rewardkit.remote import RemoteError, RemoteReward  # noqa: E402


@pytest.fixture
def fake():
    """A stand-in server: 429 (Retry-After: 0) on the first call, 413 above 2 items, 400 on 'bad'."""
    app, seen = FastAPI(), {"sizes": [], "calls": 0}

    @app.post("/v1/score")
    async def score(request: Request) -> JSONResponse:
        body = await request.json()
        seen["calls"] += 1
        n = len(body["completions"])
        seen["sizes"].append(n)
        if seen["calls"] == 1:
            return JSONResponse({"detail": "busy"}, status_code=429, headers={"Retry-After": "0"})
        if "bad" in body["completions"]:
            return JSONResponse({"detail": "bad", "field": "completions"}, status_code=400)
        if n > 2:
            return JSONResponse({"detail": "too large"}, status_code=413)
        return JSONResponse({"items": [{"value": float(len(c)), "status": "value", "message": None}
                                       for c in body["completions"]]})

    port = rk_tenants.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", seen
    server.should_exit = True
    thread.join(10)


def test_retry_after_then_split_on_413(fake):
    url, seen = fake
    r = RemoteReward(url, "format.tags", backoff=0.01)
    assert r(["a", "bb", "ccc", "dddd", "eeeee"]) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert r.totals["retries"] == 1 and r.totals["splits"] >= 2
    assert seen["sizes"] == [5, 5, 2, 3, 1, 2]  # 429, 413, then halves (3 splits again)


def test_a_400_is_raised_at_once(fake):
    url, seen = fake
    r = RemoteReward(url, "format.tags", backoff=0.01)
    r(["a"])  # uses up the 429
    with pytest.raises(RemoteError, match="400"):
        r(["bad"])
    assert r.totals["retries"] == 1  # only the 429's


def test_token_is_stripped():
    assert RemoteReward("http://127.0.0.1:1", "format.tags", "tok\n")._client.headers["authorization"] == "Bearer tok"
    with pytest.raises(ValueError, match="token"):
        RemoteReward("http://127.0.0.1:1", "format.tags", "two words")
