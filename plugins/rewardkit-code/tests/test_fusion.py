"""backend='sandboxfusion' against a loopback stand-in that follows SandboxFusion's ``POST /run_code`` API
(request: code, language, stdin, compile_timeout, run_timeout, memory_limit_MB, files; answer: status,
compile_result, run_result {status, return_code, stdout, stderr, execution_time})."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import rewardkit

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="the stand-in runs programs in bubblewrap")
SEEN: list[dict] = []


class StandIn(BaseHTTPRequestHandler):
    """Runs each request's Python program in rewardkit-code's own sandbox (the stand-in's sandbox)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        from rewardkit_code.sandbox import Limits, get_sandbox

        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SEEN.append(body)
        if self.path != "/run_code" or body.get("language") != "python":
            self._answer(400, {"status": "SandboxError", "message": "unsupported"})
            return
        if "SANDBOX_FAULT_AFTER_RUN" in body["code"]:  # the server failed once the program had run
            self._answer(200, {"status": "SandboxError", "message": "pod lost", "compile_result": None,
                               "run_result": {"status": "Error", "return_code": None, "stdout": "", "stderr": ""}})
            return
        run = get_sandbox().run(body["code"], stdin=body["stdin"].encode(),
                                limits=Limits(wall=float(body["run_timeout"]), memory_mb=int(body["memory_limit_MB"])))
        result = {"status": "TimeLimitExceeded" if run.timeout else "Finished", "return_code": run.exit,
                  "stdout": run.stdout.decode("utf-8", "replace"), "stderr": run.stderr.decode("utf-8", "replace"),
                  "execution_time": run.wall}
        self._answer(200, {"status": "Success" if run.ok else "Failed", "message": "", "compile_result": None,
                           "run_result": result, "files": {}})

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


WATERMELON = {"input": ["8\n", "2\n", "1\n"], "output": ["YES\n", "NO\n", "NO\n"]}


def _fence(code: str) -> str:
    return f"```python\n{code}\n```"


def test_verdicts_follow_the_same_rules(url):
    reward = rewardkit.reward("code.tests", backend="sandboxfusion", sandbox_url=url, run_timeout=1.0)
    right = "w = int(input())\nprint('YES' if w % 2 == 0 and w > 2 else 'NO')\n"
    wrong = "w = int(input())\nprint('YES' if w % 2 == 0 else 'NO')\n"
    crash = "raise SystemExit(3)\n"
    hang = "while True:\n    pass\n"
    fault = "# SANDBOX_FAULT_AFTER_RUN\nprint('YES')\n"
    scores = reward.score([_fence(p) for p in (right, wrong, crash, hang, fault)], tests=[WATERMELON] * 5)
    assert scores.values == [1.0, pytest.approx(2 / 3), 0.0, 0.0, 0.0], scores.messages
    assert scores.counts["error"] == 0
    sent = SEEN[-1]
    assert {"code", "language", "stdin", "compile_timeout", "run_timeout", "memory_limit_MB", "files"} <= set(sent)
    assert sent["stdin"] in WATERMELON["input"] and sent["run_timeout"] == 1.0  # expected outputs stay here


def test_an_unreachable_server_is_an_error_not_a_zero():
    reward = rewardkit.reward("code.passes", backend="sandboxfusion", sandbox_url="http://127.0.0.1:9")
    scores = reward.score([_fence("print('YES')")], tests=[WATERMELON])
    assert scores.counts["error"] == 1 and "SandboxFusion" in scores.messages[0]


def test_function_tests_are_refused_with_a_reason(url):
    reward = rewardkit.reward("code.passes", backend="sandboxfusion", sandbox_url=url, entry_point="add")
    scores = reward.score([_fence("def add(a, b):\n    return a + b\n")], tests=[["assert add(1, 2) == 3"]])
    assert scores.counts["error"] == 1 and "stdin/stdout tests only" in scores.messages[0]


def test_the_url_is_required():
    with pytest.raises(ValueError, match="sandbox_url"):
        rewardkit.reward("code.passes", backend="sandboxfusion")
