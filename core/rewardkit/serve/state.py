"""What one server holds while it runs, and the path every scoring request takes.

:meth:`Server.scored`: the tenant's place in the queue (429 past its share), its weighted-fair
turn for a scoring thread, then, in that thread, body parsing, the item caps, the work and
the answer's serialisation. The client going away, or the request's deadline
(``--request-timeout``), sets the request's stop event: inline work checks it between items
and terms, and the worker pool settles what is left.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import Response

from .fair import FairThreads, Shares
from .limits import LimitError, ServeSettings
from .metrics import Metrics
from .scoring import Scorer, Target, outcome_counts
from .tenants import Tenant, Tenants

log = logging.getLogger("rewardkit.serve")
#: ``work(body) -> (target, result, answer)``; it runs in a scoring thread.
Work = Callable[[bytes], tuple[Target, Any, Any]]


class Stop(threading.Event):
    """Set when a request's work should stop; ``why`` says why (client gone, deadline)."""

    why: str = "cancelled: the caller went away"

    def stop(self, why: str) -> None:
        if not self.is_set():
            self.why = why
            self.set()


#: List entries encoded per call of the C encoder: a call holds the GIL throughout, so a large answer is
#: encoded in slices (the event loop and other tenants' threads get the interpreter between them).
DUMPS_SLICE = 64


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"))


def dumps(body: Any) -> bytes:
    """JSON bytes as every answer is sent (ASCII escapes: a lone surrogate echoed back cannot break it);
    a long list (an answer's ``items``), at the top or one level down, is encoded a slice at a time."""
    if isinstance(body, list) and len(body) > DUMPS_SLICE:
        return _sliced(body).encode()
    if isinstance(body, dict) and any(isinstance(v, list) and len(v) > DUMPS_SLICE for v in body.values()) \
            and all(isinstance(k, str) for k in body):
        parts = [f"{_dumps(str(k))}:{_sliced(v) if isinstance(v, list) else _dumps(v)}" for k, v in body.items()]
        return ("{" + ",".join(parts) + "}").encode()
    return _dumps(body).encode()


def _sliced(items: list[Any]) -> str:
    return "[" + ",".join(_dumps(items[i:i + DUMPS_SLICE])[1:-1] for i in range(0, len(items), DUMPS_SLICE)) + "]"


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


@dataclass
class Server:
    settings: ServeSettings
    tenants: Tenants
    scorer: Scorer
    metrics: Metrics = field(init=False)
    admission: Shares = field(init=False)
    threads: FairThreads = field(init=False)
    budget: Shares = field(init=False)
    connections: Shares = field(init=False)
    stopping: bool = False

    def __post_init__(self) -> None:
        s = self.settings
        self.admission = Shares(s.max_concurrency + s.max_queue, self.tenants)
        self.threads = FairThreads(s.max_concurrency, self.tenants)
        self.budget = Shares(s.max_inflight_bytes, self.tenants)
        self.connections = Shares(s.max_connections, self.tenants)
        self.metrics = Metrics(lambda: float(self.threads.waiting()), lambda: float(self.admission.used),
                               lambda: float(self.budget.used))

    def policy(self, tenant: Tenant) -> Any:
        return tenant.policy or self.settings.policy

    async def scored(self, request: Request, endpoint: str, work: Work) -> JSON:
        """Admit, queue fairly, run ``work`` in a thread, count; the answer as JSON."""
        tenant: Tenant = request.scope.get("rewardkit.tenant") or self.tenants.all[0]
        body = await request.body()
        if not self.admission.take(tenant.name):
            raise self._queue_full(tenant)
        stop = Stop()
        start = time.perf_counter()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_watch_disconnect, request.receive, stop)
                tasks.start_soon(_expire, self.settings.request_timeout, stop)
                run = _cancellable(work, body, stop, tenant, self.settings.max_answer_bytes)
                try:
                    outcome = await self.threads.run(tenant, run)
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            self.admission.give(tenant.name)
        if isinstance(outcome, BaseException):
            raise outcome
        target, result, answer = outcome
        seconds = time.perf_counter() - start
        self._count(tenant, endpoint, target, result, stop, seconds)
        return JSON(answer)

    def _queue_full(self, tenant: Tenant) -> LimitError:
        s, held = self.settings, self.admission.held[tenant.name]
        return LimitError(429, "concurrent requests",
                          f"too many concurrent requests: tenant {tenant.name!r} has {held} admitted, the server "
                          f"{self.admission.used}; limits are {self.admission.cap(tenant.name)} per tenant and "
                          f"{s.max_concurrency} running + {s.max_queue} queued in all (--max-concurrency, --max-queue)")

    def _count(self, tenant: Tenant, endpoint: str, target: Target, result: Any, stop: Stop, seconds: float) -> None:
        m = self.metrics
        n = len(result.values) if hasattr(result, "values") else len(result.total)
        if stop.is_set():
            m.rejected.labels(_reason(stop)).inc()
            m.tenant_rejected.labels(tenant.name, _reason(stop)).inc()
            log.info("%s: %s; its remaining work was stopped", endpoint, stop.why)
        m.latency.labels(endpoint).observe(seconds)
        m.items.labels(endpoint).inc(n)
        m.tenant_items.labels(tenant.name).inc(n)
        m.tenant_seconds.labels(tenant.name).inc(seconds)
        for reward, counts in outcome_counts(target, result).items():
            m.count_outcomes(reward, counts)
        log.info("tenant=%s %s %d items %.3fs", tenant.name, endpoint, n, seconds)


def _reason(stop: Stop) -> str:
    return "request deadline" if "deadline" in stop.why else "client gone"


async def _watch_disconnect(receive: Callable[[], Awaitable[Any]], stop: Stop) -> None:
    """Stop the request's work when the client disconnects (the body has been read by now)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            stop.stop("cancelled: the caller went away")
            return


async def _expire(seconds: float, stop: Stop) -> None:
    await anyio.sleep(seconds)
    stop.stop(f"cancelled: the request's deadline of {seconds:g}s passed (--request-timeout)")


def _cancellable(work: Work, body: bytes, stop: Stop, tenant: Tenant, max_answer: int) -> Callable[[], Any]:
    """``work(body)`` under :func:`rewardkit.isolation.cancel_on` and the tenant's pool turns; an
    exception is returned, not raised (inside the task group it would arrive wrapped)."""
    def run() -> Any:
        from ..isolation import cancel_on, charged_to

        try:
            with cancel_on(stop), charged_to(tenant.name, tenant.share):
                target, result, answer = work(body)
                data = dumps(answer)
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller, outside the task group
            return exc
        if len(data) > max_answer:
            return LimitError(413, "answer size", f"the answer would be {len(data)} bytes, over the limit of "
                              f"{max_answer} (--max-answer-bytes); send fewer items or terms per request")
        return target, result, data

    return run


def readiness(server: Server, tenant: Tenant | None) -> list[str]:
    """Why the server (or, for a known tenant, its share of the server) should get no new requests now."""
    from .. import isolation

    why = ["stopping"] if server.stopping else []
    adm, budget = server.admission, server.budget
    if adm.used >= adm.capacity:
        why.append(f"request queue full ({adm.used} admitted)")
    if budget.used >= 0.9 * budget.capacity:
        why.append(f"bytes in flight near the limit ({budget.used} of {budget.capacity})")
    if tenant is not None and len(server.tenants.all) > 1:
        if adm.held[tenant.name] >= adm.cap(tenant.name):
            why.append(f"tenant {tenant.name!r}: its share of the queue is full ({adm.held[tenant.name]} admitted)")
        if budget.held[tenant.name] >= 0.9 * budget.cap(tenant.name):
            why.append(f"tenant {tenant.name!r}: bytes in flight near its share ({budget.held[tenant.name]})")
    pool = isolation.current_pool()
    if pool is not None:
        stats = pool.stats()
        if stats["alive"] < stats["workers"]:
            why.append(f"worker pool: {stats['workers'] - stats['alive']} of {stats['workers']} workers dead")
        if stats["queued"] > 64 * max(1, pool.size):
            why.append(f"worker pool saturated ({stats['queued']} items queued for {pool.size} workers)")
    return why
