"""Rewards and an in-thread server for the multi-tenant serve tests (importable by worker processes)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import rewardkit


def hang_when_big(*, completions, prompts):
    """A ``fast`` reward that never returns on items over 10,000 characters (like ROUGE on 1 MB)."""
    if any(len(c) > 10_000 for c in completions):
        time.sleep(10_000)
    return [min(1.0, len(c) / 10) for c in completions]


def logged_sleep(*, completions, prompts, log, delay):
    """A ``cpu`` reward: appends a line to ``log`` per item it starts, then sleeps ``delay``."""
    with open(log, "a") as f:
        f.write("x\n")
    time.sleep(delay)
    return [0.5]


def log_each(*, completions, prompts, log, delay):
    """Appends a line to ``log`` per item, sleeping ``delay`` before each (inline, cpu fast path, model)."""
    for _ in completions:
        time.sleep(delay)
        with open(log, "a") as f:
            f.write("x\n")
    return [0.5] * len(completions)


def backtrack(*, completions, prompts):
    """A ``cpu`` reward that spins in C holding the GIL (catastrophic backtracking) on ``spin``."""
    import re

    if completions[0] == "spin":
        mark = os.environ.get("RK_BACKTRACK_MARK")
        if mark:
            with open(mark, "w") as f:
                f.write(str(os.getpid()))
        re.match(r"(a+)+$", "a" * 64 + "b")
    return [1.0]


def niceness(*, completions, prompts):
    """A ``cpu`` reward returning its worker's niceness."""
    return [float(os.nice(0))] * len(completions)


class TenantPlugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(hang_when_big, name="tn.hang_when_big", description="Hangs on big items", timeout=1.0)
        logs = {"log": rewardkit.Param("", kind="path"), "delay": 0.05}
        register(log_each, name="tn.inline_log", description="Logs per item (fast)", params=logs)
        register(log_each, name="tn.fastpath_log", description="Logs per item (cpu fast path)", cost="cpu",
                 fast_path=log_each, params=logs)
        register(log_each, name="tn.model_log", description="Logs per item (model)", cost="model", params=logs)
        register(niceness, name="tn.niceness", description="The worker's niceness", cost="cpu", range=(-20.0, 40.0))
        register(backtrack, name="tn.backtrack", description="Spins in C on 'spin'", cost="cpu", timeout=600.0)
        register(logged_sleep, name="tn.logged_sleep", description="Logs, then sleeps", cost="cpu", timeout=30.0,
                 params={"log": rewardkit.Param("", kind="path"), "delay": 0.3})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live(settings: Any = None, default: Any = None, **kw: Any) -> Iterator[str]:
    """Run the app under uvicorn (our protocol and limits) in a thread; yields the base URL."""
    import httpx
    import uvicorn

    from rewardkit.serve import ServeSettings
    from rewardkit.serve.app import create_app
    from rewardkit.serve.protocol import protocol

    settings = settings or ServeSettings(port=free_port(), **kw)
    app = create_app(settings, default)
    config = uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", log_config=None,
                            http=protocol(settings.header_timeout, settings.max_connections, app),
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("in-thread server did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


def lines(path: str) -> int:
    return len(open(path).read().splitlines()) if os.path.exists(path) else 0
