"""The audit page in a real headless Chromium: load, decide with the keyboard, reopen, merge."""

import json
import os
import socket
import threading
import time

import pytest
from click.testing import CliRunner

from rewardkit.bench import run, testing
from rewardkit.cli import cli

pytest.importorskip("pyarrow")
pytest.importorskip("fastapi")
pytest.importorskip("websockets")
rk_cdp = pytest.importorskip("rk_cdp")
if rk_cdp.chromium() is None:
    pytest.skip("no chromium (apt-get install chromium)", allow_module_level=True)

ROWS = [
    {"completion": "A: 4", "answer": "4", "ok": True},
    {"completion": "so it is\nA: 12", "answer": "12", "ok": False},
    {"completion": "so it is\nA: 5", "answer": "6", "ok": False},
    {"completion": "long enough\nA: 7", "answer": "7", "ok": True},
]


@pytest.fixture
def served(tmp_path):
    import uvicorn

    from rewardkit.audit.app import create_app
    from rewardkit.audit.queue import load_run

    testing.register("1.0")
    try:
        data = tmp_path / "d.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
        out = tmp_path / "out"
        run(data, rewards=["benchtest.exact", "benchtest.length:scale=10"], label="ok", out=out, plots=False)
    finally:
        testing.unregister()

    def start():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(load_run(out)), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}/"

    servers = []

    def serve():
        s = start()
        servers.append(s)
        return s[2]

    yield out, serve
    for server, thread, _ in servers:
        server.should_exit = True
        thread.join(10)


def verdicts(out):
    return [(r["item"], r["verdict"]) for r in map(json.loads, (out / "audit.jsonl").read_text().splitlines())]


def test_review_with_the_keyboard_reopen_and_merge(served):
    out, serve = served
    browser = rk_cdp.Browser()
    try:
        browser.goto(serve())
        browser.wait_for("document.body.dataset.ready === '1'")
        assert browser.eval("document.getElementById('progress').textContent") == "card 1 of 3 \u00b7 0 decided"
        assert browser.eval("document.getElementById('completion').textContent") == "A: 4"
        browser.press("c")  # item 0: correct
        browser.wait_for("document.getElementById('status').textContent === 'saved: item 0 correct'")
        assert verdicts(out) == [(0, "correct")]  # on disk before the next key
        browser.press("w")  # item 2: wrong
        browser.wait_for("document.getElementById('status').textContent === 'saved: item 2 wrong'")
        browser.press("ArrowLeft")
        assert browser.eval("document.getElementById('verdict').textContent") == "your verdict: wrong"
        browser.press("ArrowRight")

        # the tab closes and the command restarts: the page opens at the first undecided card
        served_again = serve()
        browser.goto("about:blank")
        browser.goto(served_again)
        browser.wait_for("document.body.dataset.ready === '1'")
        assert browser.eval("document.getElementById('progress').textContent") == "card 3 of 3 \u00b7 2 decided"
        assert browser.eval("document.getElementById('completion').textContent") == "so it is\nA: 12"
        browser.press("w")  # item 1: wrong
        browser.wait_for("document.getElementById('status').textContent === 'saved: item 1 wrong'")
        assert browser.eval("document.getElementById('progress').textContent").endswith("3 decided")
        png = browser.screenshot()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
        target = os.environ.get("REWARDKIT_AUDIT_SCREENSHOT")
        if target:
            with open(target, "wb") as fh:
                fh.write(png)
    finally:
        browser.close()
    assert verdicts(out) == [(0, "correct"), (2, "wrong"), (1, "wrong")]
    res = CliRunner().invoke(cli, ["audit", "merge", str(out)])
    assert res.exit_code == 0, res.output
    s = json.loads((out / "audit_summary.json").read_text())
    assert s["verdicts"] == 3 and s["rewards"]["benchtest.exact"]["false_positive"]["k"] == 1
