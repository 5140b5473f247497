"""Start and stop a real ``rewardkit serve`` subprocess on a free loopback port (for the serve tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAIN = Path(__file__).with_name("rk_serve_main.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise


@contextlib.contextmanager
def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None, ready_timeout: float = 90) -> Iterator[Server]:
    """Run ``rewardkit serve ARGS`` (test plugins registered) until the block ends."""
    import httpx

    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    full_env = {**os.environ, "REWARDKIT_WORKERS": "2", **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(MAIN), "serve", "--port", str(port), *args],
                                stdout=out, stderr=subprocess.STDOUT, env=full_env)
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{server.output()}")
            try:
                if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready in {ready_timeout}s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            server.stop()


def children(pid: int) -> list[int]:
    """Child process ids of ``pid`` (Linux /proc)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out
