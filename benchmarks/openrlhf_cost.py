"""Per-request cost of rewardkit as OpenRLHF 0.11 calls it: one sample per call.

    python benchmarks/openrlhf_cost.py [--n 300]        # in the conformance venv (needs openrlhf)

Three ways, ``math.equivalence`` on the GSM8K-shaped answers of examples/, each sample scored alone,
calls made one after another (the latency a rollout waits for):
  * in-process ``reward_func`` module (``--reward.remote_url rewardkit/integrations/openrlhf.py``),
    batching off (``REWARDKIT_BATCH_MS=0``);
  * OpenRLHF's own HTTP client (``SingleTurnAgentExecutor._fetch_rewards_via_http``: a new aiohttp
    session per request, as OpenRLHF does) against ``rewardkit serve`` in another process, ``/get_reward``;
  * for scale, the same samples as one in-process batch.
Prints ms per sample (wall) and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _samples(n: int) -> list[tuple[str, str, str]]:
    rows = []
    for i in range(n):
        a, b = 17 + i, 25 + 3 * i
        prompt = f"<|im_start|>user\nWhat is {a} + {b}?<|im_end|>\n<|im_start|>assistant\n"
        rows.append((prompt + f"<think>{a}+{b}</think><answer>{a + b if i % 3 else a + b + 1}</answer>", prompt,
                     str(a + b)))
    return rows


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    os.environ.update(REWARDKIT_REWARD="math.equivalence", REWARDKIT_BATCH_MS="0")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    import rewardkit
    import rewardkit.integrations.openrlhf as module

    rows = _samples(args.n)
    module.reward_func(*zip(*rows[:1]))  # warm up: build the reward once
    start = time.perf_counter()
    for q, p, label in rows:
        module.reward_func([q], [p], [label])
    in_process = (time.perf_counter() - start) / len(rows)

    reward = rewardkit.reward("math.equivalence")
    start = time.perf_counter()
    reward([q[len(p):] for q, p, _ in rows], answer=[label for *_, label in rows])
    batch = (time.perf_counter() - start) / len(rows)

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "rewardkit", "serve", "-r", "math.equivalence", "--port", str(port),
                               "--log-level", "warning"], cwd=ROOT)
    try:
        executor = SingleTurnAgentExecutor(f"http://127.0.0.1:{port}/get_reward")

        async def over_http() -> float:
            deadline = time.monotonic() + 60
            while True:  # wait for the server
                try:
                    await executor._fetch_rewards_via_http([rows[0][0]], [rows[0][1]], [rows[0][2]])
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.5)
            start = time.perf_counter()
            for q, p, label in rows:
                await executor._fetch_rewards_via_http([q], [p], [label])
            return (time.perf_counter() - start) / len(rows)

        http = asyncio.run(over_http())
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps({"samples": len(rows), "ms_per_sample": {"reward_func module": round(in_process * 1e3, 3),
                      "OpenRLHF HTTP client -> /get_reward": round(http * 1e3, 3),
                      "in-process batch (for scale)": round(batch * 1e3, 3)},
                      "loadavg": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
