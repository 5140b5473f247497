"""Per-tenant shares of a counted resource (scoring threads, queue places, bytes in flight).

:class:`Shares` counts what each tenant holds; one tenant never holds more than
``Tenants.cap`` (the capacity minus a reserve), so another tenant always finds room.
:class:`FairThreads` hands the scoring threads out weighted-fair: when a thread frees up it
goes to the waiting tenant holding the fewest threads per unit of share (first come first
served within a tenant). Everything here runs on the event loop (no locks).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import anyio

from .tenants import Tenant, Tenants


class Shares:
    """``capacity`` units shared by tenants, each capped at ``tenants.cap(name, capacity)``."""

    def __init__(self, capacity: int, tenants: Tenants) -> None:
        self.capacity, self.tenants = capacity, tenants
        self.held: dict[str, int] = defaultdict(int)
        self.used = 0

    @property
    def limit(self) -> int:  # the name Budget used
        return self.capacity

    def cap(self, name: str) -> int:
        return self.tenants.cap(name, self.capacity)

    def room(self, name: str, n: int = 1) -> bool:
        return self.used + n <= self.capacity and self.held[name] + n <= self.cap(name)

    def take(self, name: str, n: int = 1) -> bool:
        if n and not self.room(name, n):
            return False
        self.held[name] += n
        self.used += n
        return True

    def give(self, name: str, n: int = 1) -> None:
        self.held[name] -= n
        self.used -= n

    def saturated(self, name: str, fraction: float = 1.0) -> bool:
        """Whether ``name`` (or the whole) holds at least ``fraction`` of what it may."""
        return self.held[name] >= fraction * self.cap(name) or self.used >= fraction * self.capacity


class FairThreads:
    """``capacity`` scoring threads handed out weighted-fair across tenants."""

    def __init__(self, capacity: int, tenants: Tenants) -> None:
        self.shares = Shares(capacity, tenants)
        self.limiter: anyio.CapacityLimiter | None = None
        self._waiting: list[tuple[Tenant, int, anyio.Event]] = []
        self._seq = itertools.count()

    def waiting(self, name: str | None = None) -> int:
        return sum(1 for t, _, _ in self._waiting if name is None or t.name == name)

    async def run(self, tenant: Tenant, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in a thread once ``tenant``'s turn comes."""
        await self._acquire(tenant)
        try:
            if self.limiter is None:
                self.limiter = anyio.CapacityLimiter(self.shares.capacity)
            return await anyio.to_thread.run_sync(fn, limiter=self.limiter)
        finally:
            self.shares.give(tenant.name)
            self._grant()

    async def _acquire(self, tenant: Tenant) -> None:
        if not self._waiting and self.shares.take(tenant.name):
            return
        entry = (tenant, next(self._seq), anyio.Event())
        self._waiting.append(entry)
        self._grant()
        try:
            await entry[2].wait()
        except BaseException:
            if entry in self._waiting:
                self._waiting.remove(entry)
            else:  # granted while being cancelled: hand it on
                self.shares.give(tenant.name)
                self._grant()
            raise

    def _grant(self) -> None:
        """Give free threads to the waiting tenants with the fewest threads per share."""
        while self._waiting:
            ready = [e for e in self._waiting if self.shares.room(e[0].name)]
            if not ready:
                return
            entry = min(ready, key=lambda e: (self.shares.held[e[0].name] / e[0].share, e[1]))
            self._waiting.remove(entry)
            self.shares.take(entry[0].name)
            entry[2].set()
