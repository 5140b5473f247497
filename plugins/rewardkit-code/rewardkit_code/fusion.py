"""``backend="sandboxfusion"``: programs run on a `SandboxFusion <https://github.com/bytedance/SandboxFusion>`_
server (the code-execution service verl uses) through its ``POST /run_code`` API; the verdict is
computed here, where the program cannot reach it.

The path for containers (a default Docker or Kubernetes container refuses the user namespaces
bubblewrap needs) and for clusters (one server pool for many trainers). Only stdin/stdout tests:
each case is one ``run_code`` request (``code``, ``language``, ``stdin``, ``compile_timeout``,
``run_timeout``, ``memory_limit_MB``, ``files``); its stdout is compared on this side. Function tests
need the judge beside the program (a process the program cannot reach, talking over pipes), which a
one-shot remote run cannot give: they are an error naming this, never run with the tests inside the
program's sandbox. The same verdict rules hold: whatever the program causes (a compile error, a
crash, a timeout, a server-side failure once it ran) fails the case; only a server that cannot be
reached or answers nonsense before running anything is an error.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from .runner import Outcome, stdio_cases
from .sandbox import Limits, Run, SandboxError
from .suites import Suite

#: where the server is when the ``sandbox_url`` parameter is empty
URL_ENV = "REWARDKIT_SANDBOX_URL"
LANGUAGES = {"python": "python", "cpp": "cpp"}
COMPILE_TIMEOUT = 20.0


def server_url(param: str = "") -> str:
    url = (param or os.environ.get(URL_ENV, "")).strip()
    if not url.startswith(("http://", "https://")):
        raise SandboxError(f"backend 'sandboxfusion' needs the server's URL: the sandbox_url parameter or ${URL_ENV} "
                           f"(http://host:8080), got {url!r}")
    return url.rstrip("/")


def run_suite(program: str, suite: Suite, limits: Limits, *, language: str, stop_on_failure: bool, budget: float,
              url: str = "") -> Outcome:
    """Every stdin/stdout case of ``suite`` as one ``run_code`` request, compared here."""
    if suite.kind != "stdio":
        raise ValueError(f"tests: backend 'sandboxfusion' runs stdin/stdout tests only, not {suite.kind!r} tests "
                         "(function tests need the judge beside the program: use backend 'bwrap')")
    where = server_url(url)
    return stdio_cases(suite, stop_on_failure, budget, lambda stdin: run_code(where, program, language, stdin, limits))


def run_code(url: str, program: str, language: str, stdin: bytes, limits: Limits) -> Run:
    """One ``/run_code`` request; the answer as a :class:`Run` (``extra["fusion"]``: the server's status)."""
    body = {"code": program, "language": LANGUAGES[language], "stdin": stdin.decode("utf-8", "replace"),
            "compile_timeout": COMPILE_TIMEOUT, "run_timeout": limits.wall, "memory_limit_MB": limits.memory_mb,
            "files": {}}
    request = urllib.request.Request(f"{url}/run_code", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=COMPILE_TIMEOUT + limits.wall + 30) as response:
            reply = json.loads(response.read(limits.output_bytes * 2 + (1 << 20)))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SandboxError(f"SandboxFusion at {url} did not answer: {exc}") from None
    if not isinstance(reply, dict):
        raise SandboxError(f"SandboxFusion at {url} answered something that is not a run_code result")
    return _as_run(reply, limits)


def _as_run(reply: dict[str, Any], limits: Limits) -> Run:
    compiled, ran = reply.get("compile_result"), reply.get("run_result")
    status = str(reply.get("status", ""))
    if isinstance(compiled, dict) and compiled.get("return_code") not in (None, 0):
        return Run(compiled.get("return_code"), None, compiled.get("status") == "TimeLimitExceeded", 0.0,
                   stderr=str(compiled.get("stderr") or "").encode(), extra={"fusion": "compile error"})
    if not isinstance(ran, dict):
        if status == "SandboxError" and not compiled:
            raise SandboxError(f"SandboxFusion could not run the program: {reply.get('message') or status}")
        return Run(None, None, False, 0.0, extra={"fusion": status or "no run result"})
    stdout = str(ran.get("stdout") or "").encode()
    code = ran.get("return_code")
    return Run(code if type(code) is int else None, None, ran.get("status") == "TimeLimitExceeded",
               float(ran.get("execution_time") or 0.0), stdout[: limits.output_bytes],
               str(ran.get("stderr") or "").encode()[: 1 << 16], truncated=len(stdout) > limits.output_bytes,
               extra={"fusion": ran.get("status")})
