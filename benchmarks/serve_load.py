"""Load test of ``rewardkit serve`` on loopback: server vs in-process on the same batches.

64 concurrent clients (asyncio tasks over httpx) send 20,000 GSM8K stored completions in
batches of 64 to a ``rewardkit serve`` subprocess bound to 127.0.0.1, with the batches spread
over several rewards. The same batches are scored in-process (same thread concurrency as the
server) first. Every response is checked: one result per item, equal to the in-process value
(0 lost, 0 duplicated, 0 different). Prints items/s and p50/p99 batch latency per reward and
overall, and the server's overhead on ``math.equivalence``.

    python benchmarks/serve_load.py [--items 20000] [--batch 64] [--clients 64] [--ray --replicas 2]
    python benchmarks/serve_load.py --tenants [--fast-requests 150] [--flood 300]

``--tenants`` runs the mixed-tenant case instead, with two tenants (``--tokens``): the honest
tenant's fast clients send 1-item requests (one of an inline ``fast`` reward, one of
``bench.spin`` with 5 ms of CPU, which goes to the worker pool) alone, then again while, all at
once, the hostile tenant keeps the pool busy with 8-item batches of a CPU-bound reward
(``bench.spin``, 1.5 s per item), sends composites of 200 terms x 3000 items (over the caps) and
16 x 256 (at them), and holds sockets that declare a 32 MiB body and send nothing, while an
unauthenticated peer holds ``--flood`` idle sockets (re-opened as the server closes them);
each honest client's p50/p99 is printed for both, with the hostile tenant's answers by code.

Bounded: at most ``--items`` items and ``--deadline`` seconds per phase; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import rewardkit
from rewardkit.tasks import gsm8k

REWARDS = {  # reward -> the data columns it reads
    "math.equivalence": ["answer"],
    "format.tags": [],
    "text.token_f1": ["reference"],
    "math.parseable": [],
}


def batches(items: int, size: int, names: list[str] | None = None) -> list[dict[str, Any]]:
    """GSM8K stored completions in batches of ``size``, one reward per batch, in turn over ``names``."""
    rows = gsm8k.load("completions")
    out = []
    names = names or list(REWARDS)
    for b, start in enumerate(range(0, items, size)):
        n = min(size, items - start)
        chunk = [rows[(start + i) % len(rows)] for i in range(n)]
        name = names[b % len(names)]
        columns = {c: [str(r[c]) for r in chunk] for c in REWARDS[name]}
        out.append({"id": b, "reward": name, "completions": [r["completion"] for r in chunk],
                    "prompts": [r["question"] for r in chunk], "columns": columns})
    return out


def _cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of one live process; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def tree_cpu(pid: int, skip: int | None = None) -> float:
    """CPU seconds of ``pid`` and its descendants (but not the subtree of ``skip``)."""
    return _cpu(pid) + sum(tree_cpu(c, skip) for c in _children(pid) if c != skip)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def warmed(work: list[dict[str, Any]]) -> dict[str, Any]:
    """The rewards ``work`` uses, each called once (imports, worker start-up) before any measurement."""
    built = {name: rewardkit.reward(name) for name in {b["reward"] for b in work}}
    for name, r in built.items():
        b = next(b for b in work if b["reward"] == name)
        r.score(b["completions"][:4], prompts=b["prompts"][:4], **{k: v[:4] for k, v in b["columns"].items()})
    return built


def in_process(work: list[dict[str, Any]], threads: int, built: dict[str, Any]
               ) -> tuple[dict[int, list], dict[int, float], float]:

    def one(b: dict[str, Any]) -> tuple[int, list, float]:
        t = time.perf_counter()
        s = built[b["reward"]].score(b["completions"], prompts=b["prompts"], **b["columns"])
        return b["id"], [[v, st.value] for v, st in zip(s.values, s.statuses)], time.perf_counter() - t

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, work))
    wall = time.perf_counter() - start
    return {i: r for i, r, _ in results}, {i: t for i, _, t in results}, wall


async def through_server(url: str, work: list[dict[str, Any]], clients: int, deadline: float
                         ) -> tuple[dict[int, list], dict[int, float], float, int]:
    import httpx

    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for b in work:
        queue.put_nowait(b)
    got: dict[int, list] = {}
    took: dict[int, float] = {}
    duplicates = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal duplicates
        while not queue.empty():
            b = queue.get_nowait()
            body = {k: b[k] for k in ("reward", "completions", "prompts", "columns")}
            t = time.perf_counter()
            r = await http.post(url + "/v1/score", json=body)
            r.raise_for_status()
            if b["id"] in got:
                duplicates += 1
            got[b["id"]] = [[i["value"], i["status"]] for i in r.json()["items"]]
            took[b["id"]] = time.perf_counter() - t

    start = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        await asyncio.wait_for(asyncio.gather(*(client(http) for _ in range(clients))), deadline)
    return got, took, time.perf_counter() - start, duplicates


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: argparse.Namespace, prefix: list[str] | None = None, extra: list[str] | None = None
                 ) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    cmd = (prefix or [sys.executable, "-m", "rewardkit", "serve"]) + [
        "--host", "127.0.0.1", "--port", str(port), "--max-concurrency", str(args.threads), "--log-level", "warning",
        *(extra or [])]
    if args.ray:
        cmd += ["--ray", "--replicas", str(args.replicas)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 240
    while time.monotonic() < end:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start within 240 s")


def latency(work: list[dict[str, Any]], took: dict[int, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted({b["reward"] for b in work}) + ["all"]:
        lat = [took[b["id"]] for b in work if name == "all" or b["reward"] == name]
        out[name] = {"batches": len(lat), "p50_ms": 1000 * pct(lat, 0.5), "p99_ms": 1000 * pct(lat, 0.99)}
    return out


def compare(url: str, server_pid: int, work: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Score ``work`` in-process, then through the server; check every result against in-process.

    CPU seconds are counted per process tree (this process and its workers; the server and its
    workers), so the comparison holds on a loaded machine where wall-clock rates do not.
    """
    me = os.getpid()
    built = warmed(work)
    c0 = tree_cpu(me, skip=server_pid)
    local, local_took, local_wall = in_process(work, args.threads, built)
    local_cpu = tree_cpu(me, skip=server_pid) - c0
    warm = list({b["reward"]: b for b in work}.values())
    asyncio.run(through_server(url, warm, len(warm), args.deadline))  # the server's workers load the rewards
    s0, c0 = tree_cpu(server_pid), _cpu(me)
    got, took, wall, dupes = asyncio.run(through_server(url, work, args.clients, args.deadline))
    server_cpu, client_cpu = tree_cpu(server_pid) - s0, _cpu(me) - c0
    items = sum(len(b["completions"]) for b in work)
    return {
        "in_process_cpu_ms_per_item": 1000 * local_cpu / items, "server_cpu_ms_per_item": 1000 * server_cpu / items,
        "client_cpu_ms_per_item": 1000 * client_cpu / items,
        "items": items, "batches": len(work),
        "lost_batches": sum(1 for b in work if b["id"] not in got or len(got[b["id"]]) != len(b["completions"])),
        "duplicated_batches": dupes,
        "differing_from_in_process": sum(1 for b in work if got.get(b["id"]) != local[b["id"]]),
        "server_items_per_s": items / wall, "in_process_items_per_s": items / local_wall,
        "server_latency": latency(work, took), "in_process_latency": latency(work, local_took),
    }


def symbolic(items: int, size: int) -> list[dict[str, Any]]:
    """Unique math.equivalence items that its inline fast path defers to sympy in the worker pool."""
    forms = [(r"\boxed{{{k}(x+1)}}", "{k}x+{k}"), (r"\boxed{{\frac{{x^2-{k2}}}{{x-{k}}}}}", "x+{k}"),
             (r"so \boxed{{\sqrt{{{k2}}}\cdot x}}", "{k}x"), (r"\boxed{{(x+{k})^2}}", "x^2+{k2}x+{k2}")]
    out = []
    for b, start in enumerate(range(0, items, size)):
        chunk = []
        for i in range(start, min(items, start + size)):
            completion, answer = forms[i % len(forms)]
            k = 2 + i // len(forms)
            chunk.append((completion.format(k=k, k2=k * k), answer.format(k=k, k2=k * k)))
        out.append({"id": b, "reward": "math.equivalence", "completions": [c for c, _ in chunk],
                    "prompts": ["Simplify."] * len(chunk), "columns": {"answer": [a for _, a in chunk]}})
    return out


def report(name: str, r: dict[str, Any]) -> None:
    overhead = 100 * (1 - r["server_items_per_s"] / r["in_process_items_per_s"])
    print(f"\n== {name}: {r['items']} items in {r['batches']} batches; lost {r['lost_batches']}, duplicated "
          f"{r['duplicated_batches']}, differing from in-process {r['differing_from_in_process']}")
    print(f"items/s: server {r['server_items_per_s']:.0f}, in-process {r['in_process_items_per_s']:.0f} "
          f"(server overhead {overhead:.1f}% of in-process items/s)")
    print(f"CPU ms per item: in-process {r['in_process_cpu_ms_per_item']:.3f}; server {r['server_cpu_ms_per_item']:.3f} "
          f"+ client {r['client_cpu_ms_per_item']:.3f} (server CPU = "
          f"{r['server_cpu_ms_per_item'] / r['in_process_cpu_ms_per_item']:.2f}x in-process)")
    for reward, s in r["server_latency"].items():
        p = r["in_process_latency"][reward]
        print(f"  {reward:18} batch latency p50/p99 ms: server {s['p50_ms']:8.1f} / {s['p99_ms']:8.1f}   "
              f"in-process {p['p50_ms']:8.1f} / {p['p99_ms']:8.1f}")


# -- the mixed-tenant case ---------------------------------------------------------------------
def spin(*, completions: list[str], prompts: list[str], seconds: float) -> list[float]:
    """``bench.spin``: burns ``seconds`` of CPU per item (a stand-in for a hostile sympy input)."""
    out = []
    for _ in completions:
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass
        out.append(1.0)
    return out


class SpinPlugin:
    """Registers ``bench.spin`` in the benchmark's server (``--_serve``)."""

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register: Any) -> None:
        register(spin, name="bench.spin", description="Burns CPU per item", cost="cpu", timeout=30.0,
                 params={"seconds": 1.0})


def serve_with_spin(argv: list[str]) -> None:
    """The server process of ``--tenants``: ``rewardkit serve ARGV`` with ``bench.spin`` registered."""
    sys.path.insert(0, str(Path(__file__).parent))
    import serve_load  # workers unpickle serve_load.spin, never __main__.spin

    from rewardkit.cli import main as cli
    from rewardkit.plugins import register_plugin

    register_plugin(serve_load.SpinPlugin, "bench")
    cli(["serve", *argv])


def fast_bodies() -> dict[str, dict[str, Any]]:
    """One request body per fast client: 1 item each."""
    rows = gsm8k.load("completions")[:4]
    return {
        "fast inline (format.tags)": {"reward": "format.tags", "completions": [rows[0]["completion"]]},
        "fast pool (bench.spin 5 ms)": {"reward": "bench.spin", "params": {"seconds": 0.005}, "completions": ["x"]},
    }


HONEST, HOSTILE = "honest-tenant-token-0001", "hostile-tenant-token-0002"


def tokens_file(folder: Path) -> Path:
    """Two tenants of equal share: the honest one measured, the hostile one attacking."""
    path = folder / "tokens.toml"
    path.write_text(f'[tenant.honest]\ntoken = "{HONEST}"\n\n[tenant.hostile]\ntoken = "{HOSTILE}"\n')
    return path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def fast_client(http: Any, url: str, body: dict[str, Any], n: int) -> list[float]:
    took = []
    for _ in range(n):
        t = time.perf_counter()
        r = await http.post(url + "/v1/score", json=body, headers=bearer(HONEST))
        r.raise_for_status()
        took.append(time.perf_counter() - t)
    return took


async def hostile_loop(http: Any, url: str, stop: asyncio.Event, body: dict[str, Any], codes: dict[str, int],
                       name: str, took: list[float] | None = None) -> None:
    """The hostile tenant sends ``body`` again and again (its answers, 200 or 4xx, are counted by code)."""
    while not stop.is_set():
        t = time.perf_counter()
        r = await http.post(url + "/v1/score", json=body, headers=bearer(HOSTILE))
        key = f"{name} {r.status_code}"
        codes[key] = codes.get(key, 0) + 1
        if took is not None and r.status_code == 200:
            took.append(time.perf_counter() - t)
        if r.status_code == 429:
            await asyncio.sleep(0.05)


async def held_sockets(port: int, stop: asyncio.Event, head: bytes, n: int, opened: list[int]) -> None:
    """``n`` sockets sending ``head`` and then nothing, each re-opened as soon as the server closes it."""
    async def one() -> None:
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                opened[0] += 1
                if head:
                    writer.write(head)
                    await writer.drain()
                reading = asyncio.ensure_future(reader.read(1))
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
                reading.cancel()
                stopping.cancel()
                writer.close()
            except OSError:
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(n)))


def hostile_tasks(http: Any, url: str, stop: asyncio.Event, args: argparse.Namespace, codes: dict[str, int],
                  slow_took: list[float]) -> list[asyncio.Task[Any]]:
    """Every hostile case at once: slow CPU batches, composite amplification (over the caps and just under
    them), declared-size lock-out, and an unauthenticated socket flood."""
    port = int(url.rsplit(":", 1)[1])
    spin_body = {"reward": "bench.spin", "params": {"seconds": args.slow_seconds}, "completions": ["x"] * 8}
    amplified = {"composite": [{"name": "format.tags", "alias": f"t{i}", "timeout": 1} for i in range(200)],
                 "completions": ["<think>a</think><answer>1</answer>"] * 3000}
    at_cap = {"composite": [{"name": "format.tags", "alias": f"t{i}"} for i in range(16)],
              "completions": ["<think>a</think><answer>1</answer>"] * 256}
    declare = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + HOSTILE.encode()
               + b"\r\nContent-Type: application/json\r\nContent-Length: 33554432\r\n\r\n")
    opened: list[int] = [0]
    codes["flood sockets opened"] = 0
    on = set(args.attacks.split(","))
    tasks = [asyncio.create_task(hostile_loop(http, url, stop, spin_body, codes, "slow spin", slow_took))
             for _ in range(args.slow_clients if "slow" in on else 0)]
    if "amplify" in on:
        tasks += [asyncio.create_task(hostile_loop(http, url, stop, amplified, codes, "200 terms x 3000 items")),
                  asyncio.create_task(hostile_loop(http, url, stop, at_cap, codes, "16 terms x 256 items"))]
    if "lockout" in on:
        tasks.append(asyncio.create_task(held_sockets(port, stop, declare, 4, opened)))
    if "flood" in on:
        tasks.append(asyncio.create_task(held_sockets(port, stop, b"", args.flood, opened)))

    async def count() -> None:
        await stop.wait()
        codes["flood sockets opened"] = opened[0]
    tasks.append(asyncio.create_task(count()))
    return tasks


async def attack(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The attacker's process (``--_attack``): every hostile case at once until SIGTERM; its answers by code."""
    import signal

    import httpx

    stop, slow_took, codes = asyncio.Event(), [], {}  # type: ignore[var-annotated]
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=64)) as http:
        await asyncio.gather(*hostile_tasks(http, url, stop, args, codes, slow_took))
    return {"hostile slow spin (8 items)": {"batches": len(slow_took), "mixed_p50_ms": 1000 * pct(slow_took, 0.5),
                                            "mixed_p99_ms": 1000 * pct(slow_took, 0.99)},
            "hostile answers": codes}


def run_attack(argv: list[str]) -> None:
    url, slow_clients, slow_seconds, flood, attacks = argv[0], int(argv[1]), float(argv[2]), int(argv[3]), argv[4]
    args = argparse.Namespace(slow_clients=slow_clients, slow_seconds=slow_seconds, flood=flood, attacks=attacks)
    print(json.dumps(asyncio.run(attack(url, args))), flush=True)


async def tenants_phase(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The honest tenant alone, then beside the attacker (a separate process, as another client is)."""
    import httpx

    bodies, n = fast_bodies(), args.fast_requests
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=600) as http:
        for body in bodies.values():  # warm: imports, worker start-up
            await fast_client(http, url, body, 3)
        alone = await asyncio.gather(*(fast_client(http, url, b, n) for b in bodies.values()))
        # the attacker is another machine's client: here it shares the cores, so it runs at nice 10 to keep
        # its own CPU (reading answers, re-opening sockets) from standing in for the server's
        attacker = subprocess.Popen(["nice", "-n", "10", sys.executable, str(Path(__file__).resolve()), "--_attack", url,
                                     str(args.slow_clients), str(args.slow_seconds), str(args.flood), args.attacks],
                                    stdout=subprocess.PIPE, text=True)
        try:
            await asyncio.sleep(args.attack_warmup)  # the attacks are in full swing now
            for body in bodies.values():  # warm again: an extra worker may load the reward
                await fast_client(http, url, body, 3)
            mixed = await asyncio.gather(*(fast_client(http, url, b, n) for b in bodies.values()))
        finally:
            attacker.terminate()
            report_, _ = attacker.communicate(timeout=300)
    for name, a, m in zip(bodies, alone, mixed):
        out[name] = {"alone_p50_ms": 1000 * pct(a, 0.5), "alone_p99_ms": 1000 * pct(a, 0.99),
                     "mixed_p50_ms": 1000 * pct(m, 0.5), "mixed_p99_ms": 1000 * pct(m, 0.99),
                     "p99_ratio": pct(m, 0.99) / pct(a, 0.99), "requests": n}
    out.update(json.loads(report_.strip().splitlines()[-1]))
    return out


def run_tenants(args: argparse.Namespace) -> None:
    import tempfile

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["--tokens", str(tokens_file(Path(tmp))), "--max-connections", str(args.max_connections)]
        proc, url = start_server(args, [sys.executable, str(Path(__file__).resolve()), "--_serve"], extra)
        try:
            result = asyncio.run(tenants_phase(url, args))
        finally:
            proc.terminate()
            proc.wait(timeout=120)
    load_end = os.getloadavg()
    print(f"\n== mixed tenants: the honest tenant's 1-item requests ({args.fast_requests} per client) alone, then "
          f"while the hostile tenant runs {args.slow_clients} slow clients (8 x {args.slow_seconds:g} s CPU), "
          f"composites of 200 terms x 3000 items and 16 x 256, 4 sockets declaring 32 MiB, and an "
          f"unauthenticated peer holds {args.flood} idle sockets (--max-connections {args.max_connections}); "
          f"server workers: {os.environ.get('REWARDKIT_WORKERS', 'all cores')}")
    for name, r in result.items():
        if "alone_p50_ms" in r:
            print(f"  {name:32} p50/p99 ms: alone {r['alone_p50_ms']:7.1f} / {r['alone_p99_ms']:7.1f}   "
                  f"under attack {r['mixed_p50_ms']:7.1f} / {r['mixed_p99_ms']:7.1f}   (p99 x{r['p99_ratio']:.2f})")
        elif "batches" in r:
            print(f"  {name:32} {r['batches']} batches, p50/p99 ms {r['mixed_p50_ms']:.0f} / {r['mixed_p99_ms']:.0f}")
        else:
            print(f"  {name:32} {r}")
    print(f"load average {load_start} -> {load_end}; {os.cpu_count()} CPUs")
    out = Path(args.out).with_name("serve_tenants.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"loadavg_start": load_start, "loadavg_end": load_end, "cpus": os.cpu_count(),
                               "workers": os.environ.get("REWARDKIT_WORKERS"), "result": result}, indent=2))


def main() -> None:
    if sys.argv[1:2] == ["--_serve"]:
        return serve_with_spin(sys.argv[2:])
    if sys.argv[1:2] == ["--_attack"]:
        return run_attack(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20000, help="items of the mixed-reward phase")
    ap.add_argument("--math-items", type=int, default=2560, help="items of each math.equivalence phase")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--threads", type=int, default=4, help="server --max-concurrency, and in-process threads")
    ap.add_argument("--deadline", type=float, default=900, help="seconds allowed per phase")
    ap.add_argument("--ray", action="store_true", help="serve with Ray Serve")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "serve_load.json"))
    ap.add_argument("--tenants", action="store_true", help="run the mixed-tenant case only")
    ap.add_argument("--fast-requests", type=int, default=150, help="1-item requests per fast client (--tenants)")
    ap.add_argument("--slow-clients", type=int, default=2, help="clients sending slow batches (--tenants)")
    ap.add_argument("--slow-seconds", type=float, default=1.5, help="CPU seconds per slow item (--tenants)")
    ap.add_argument("--flood", type=int, default=300, help="idle unauthenticated sockets (--tenants)")
    ap.add_argument("--max-connections", type=int, default=256, help="server --max-connections (--tenants)")
    ap.add_argument("--attacks", default="slow,amplify,lockout,flood",
                    help="hostile cases to run at once (--tenants; comma-separated)")
    ap.add_argument("--attack-warmup", type=float, default=3.0, help="seconds of attack before measuring (--tenants)")
    args = ap.parse_args()
    if args.tenants:
        return run_tenants(args)
    load_start = os.getloadavg()
    phases = {
        "mixed rewards (GSM8K stored completions)": batches(args.items, args.batch),
        "math.equivalence, GSM8K (inline fast path)": batches(args.math_items, args.batch, ["math.equivalence"]),
        "math.equivalence, symbolic (sympy in workers)": symbolic(args.math_items, args.batch),
    }
    proc, url = start_server(args)
    results: dict[str, Any] = {}
    try:
        for name, work in phases.items():
            results[name] = compare(url, proc.pid, work, args)
            report(name, results[name])
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    out = {"clients": args.clients, "threads": args.threads, "batch": args.batch,
           "ray_replicas": args.replicas if args.ray else 0, "cpus": os.cpu_count(),
           "loadavg_start": load_start, "loadavg_end": os.getloadavg(), "phases": results}
    print(f"\nload average {load_start} -> {os.getloadavg()}; {args.clients} clients, {args.threads} threads"
          + (f", Ray Serve {args.replicas} replicas" if args.ray else ""))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    if any(r["lost_batches"] or r["duplicated_batches"] or r["differing_from_in_process"] for r in results.values()):
        raise SystemExit("FAIL: results lost, duplicated or different from in-process")


if __name__ == "__main__":
    main()
