"""Prometheus metrics of one server (one registry per app, so tests and replicas don't share)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Request latency buckets in seconds (scoring is milliseconds to a worker deadline).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Requests, items, latency, outcomes by reward, rejections, pool size and queue depth."""

    def __init__(self, queue_depth: Callable[[], float], inflight: Callable[[], float],
                 inflight_bytes: Callable[[], float] | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("rewardkit_requests", "HTTP requests by endpoint and status code",
                                ["endpoint", "code"], registry=r)
        self.items = Counter("rewardkit_items", "Items scored by endpoint", ["endpoint"], registry=r)
        self.latency = Histogram("rewardkit_request_seconds", "Scoring request latency",
                                 ["endpoint"], buckets=BUCKETS, registry=r)
        self.outcomes = Counter("rewardkit_outcomes", "Item outcomes by reward and status",
                                ["reward", "status"], registry=r)
        self.rejected = Counter("rewardkit_rejected", "Requests refused by limit or auth", ["reason"], registry=r)
        self.tenant_requests = Counter("rewardkit_tenant_requests", "HTTP requests by tenant and status code",
                                       ["tenant", "code"], registry=r)
        self.tenant_items = Counter("rewardkit_tenant_items", "Items scored by tenant", ["tenant"], registry=r)
        self.tenant_seconds = Counter("rewardkit_tenant_seconds", "Seconds of scoring requests by tenant",
                                      ["tenant"], registry=r)
        self.tenant_rejected = Counter("rewardkit_tenant_rejected", "Requests refused or stopped by tenant and reason",
                                       ["tenant", "reason"], registry=r)
        self.tenant_held = Gauge("rewardkit_tenant_held", "What each tenant holds now: threads, queue places, "
                                 "bytes, connections", ["tenant", "resource"], registry=r)
        Gauge("rewardkit_queue_depth", "Scoring requests waiting for a thread", registry=r).set_function(queue_depth)
        Gauge("rewardkit_inflight", "Scoring requests admitted (running or waiting)", registry=r).set_function(inflight)
        Gauge("rewardkit_pool_workers", "Live worker processes of the cpu-reward pool",
              registry=r).set_function(_pool_workers)
        Gauge("rewardkit_inflight_bytes", "Bytes of request bodies held (being read or scored)",
              registry=r).set_function(inflight_bytes or (lambda: 0.0))
        Gauge("rewardkit_pool_busy", "Worker processes busy on an item", registry=r).set_function(_pool_stat("busy"))
        Gauge("rewardkit_pool_queued", "Items waiting for a worker, all calls together",
              registry=r).set_function(_pool_stat("queued"))
        Gauge("rewardkit_pool_size", "Configured size of the cpu-reward pool", registry=r).set_function(_pool_size)

    def count_outcomes(self, reward: str, counts: dict[str, int]) -> None:
        for status, n in counts.items():
            if n:
                self.outcomes.labels(reward, status).inc(n)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _pool() -> Any:
    from .. import isolation

    return isolation.current_pool()  # None until a cpu reward first ran


def _pool_workers() -> float:
    pool = _pool()
    return float(len(pool.pids)) if pool is not None else 0.0


def _pool_size() -> float:
    from .. import isolation

    pool = _pool()
    return float(pool.size if pool is not None else isolation.default_workers())


def _pool_stat(key: str) -> Callable[[], float]:
    def read() -> float:
        pool = _pool()
        return float(pool.stats()[key]) if pool is not None else 0.0

    return read
