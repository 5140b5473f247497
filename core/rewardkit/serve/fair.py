"""Per-tenant shares of a counted resource (scoring threads, queue places, bytes in flight).

:class:`Shares` counts what each tenant holds; one tenant never holds more than
``Tenants.cap`` (the capacity minus a reserve), so another tenant always finds room.
:class:`FairThreads` hands the scoring threads out weighted-fair: when a thread frees up it
goes to the waiting tenant holding the fewest threads per unit of share (first come first
served within a tenant). Everything here runs on the event loop (no locks).
"""

from __future__ import annotations

import asyncio
import itertools
import time
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


#: A tenant counts as active for this long after its last request arrived (or while it holds threads).
ACTIVE_SECONDS = 2.0


class FairThreads:
    """``capacity`` scoring threads handed out weighted-fair across tenants.

    While several tenants are active, none holds more than its weighted part of the threads (at least
    one): a thread runs one request to its end, so a tenant that filled every thread it may hold would
    keep another tenant's concurrent requests waiting for whole requests of its own. Alone, a tenant
    may hold all but the reserve."""

    def __init__(self, capacity: int, tenants: Tenants) -> None:
        self.shares = Shares(capacity, tenants)
        self.limiter: anyio.CapacityLimiter | None = None
        self._waiting: list[tuple[Tenant, int, anyio.Event]] = []
        self._seq = itertools.count()
        self._seen: dict[str, tuple[float, float]] = {}  # tenant -> (last arrival, share)
        self._timer: asyncio.TimerHandle | None = None

    def waiting(self, name: str | None = None) -> int:
        return sum(1 for t, _, _ in self._waiting if name is None or t.name == name)

    def cap(self, name: str) -> int:
        """The threads ``name`` may hold now: its weighted part among the active tenants, at least 1."""
        now = time.monotonic()
        active = {n: share for n, (seen, share) in self._seen.items()
                  if n == name or now - seen < ACTIVE_SECONDS or self.shares.held[n] > 0}
        if len(active) <= 1:
            return self.shares.cap(name)
        part = int(self.shares.capacity * active[name] / sum(active.values()))
        return max(1, min(part, self.shares.cap(name)))

    def _room(self, name: str) -> bool:
        return self.shares.room(name) and self.shares.held[name] < self.cap(name)

    async def run(self, tenant: Tenant, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in a thread once ``tenant``'s turn comes."""
        self._seen[tenant.name] = (time.monotonic(), tenant.share)
        await self._acquire(tenant)
        try:
            if self.limiter is None:
                self.limiter = anyio.CapacityLimiter(self.shares.capacity)
            return await anyio.to_thread.run_sync(fn, limiter=self.limiter)
        finally:
            self.shares.give(tenant.name)
            self._grant()

    async def _acquire(self, tenant: Tenant) -> None:
        if not self._waiting and self._room(tenant.name) and self.shares.take(tenant.name):
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
            ready = [e for e in self._waiting if self._room(e[0].name)]
            if not ready:
                self._regrant_later()
                return
            entry = min(ready, key=lambda e: (self.shares.held[e[0].name] / e[0].share, e[1]))
            self._waiting.remove(entry)
            self.shares.take(entry[0].name)
            entry[2].set()

    def _regrant_later(self) -> None:
        """Free threads held back for a tenant that has gone quiet go to the waiting ones once it counts
        as inactive, even when no request starts or ends meanwhile."""
        if self._timer is not None or self.shares.used >= self.shares.capacity:
            return

        def again() -> None:
            self._timer = None
            self._grant()

        self._timer = asyncio.get_running_loop().call_later(ACTIVE_SECONDS, again)
