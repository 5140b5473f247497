"""uvicorn's h11 protocol with a header read timeout and a connection cap (slow-loris defence).

A connection must finish sending a request's headers within ``header_timeout`` seconds of
opening (or of its previous response); else it gets 408 and is closed. Past
``max_connections`` open connections a new one takes the place of the oldest connection that
has not authenticated (it gets 503 and is closed); only when every open connection belongs to
a tenant is the new one refused. A connection belongs to a tenant once a request with its
token arrives on it, and one tenant holds at most its share of the connections (the cap minus
a reserve: :mod:`rewardkit.serve.tenants`), so neither an unauthenticated peer's flood of idle
sockets nor one tenant can lock the others out. (The body's read timeout is the app's:
:class:`rewardkit.serve.guard.Guard`.)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rewardkit.serve")
_opened = itertools.count()  # connection order (the oldest idle one makes room first)


class GuardedH11(H11Protocol):
    """H11Protocol plus :attr:`header_timeout` and :attr:`max_connections` (set by :func:`protocol`)."""

    header_timeout: float = 10.0
    max_connections: int = 1024
    tenants: Any = None  # rewardkit.serve.tenants.Tenants (None: no per-tenant shares)
    shares: Any = None  # rewardkit.serve.fair.Shares of connections per tenant

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._timed_cycle: Any = None
        self._tenant: Any = None
        self._opened = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened = next(_opened)
        if len(self.connections) > self.max_connections and not self._evict_one():
            log.warning("503 connection from %s refused: %d open connections, all authenticated "
                        "(--max-connections %d)", _peer(self.client), len(self.connections), self.max_connections)
            self._refuse(b"503 Service Unavailable", b"too many open connections\n")
            return
        self._arm()

    def _evict_one(self) -> bool:
        """Close the oldest idle connection that has not authenticated; False when there is none."""
        others: list[Any] = [c for c in self.connections if c is not self and isinstance(c, GuardedH11)]
        idle = [c for c in others if c._tenant is None and (c.cycle is None or c.cycle.response_complete)
                and not c.transport.is_closing()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._opened)
        _evicted.note(self.loop.time(), len(self.connections), self.max_connections)
        oldest._refuse(b"503 Service Unavailable", b"too many open connections\n")
        return True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._timed_cycle:  # a request's headers are complete
            self._timed_cycle = self.cycle
            self._disarm()
            if self._tenant is None and self.cycle is not None:
                self._claim(self.cycle.scope)  # type: ignore[arg-type]

    def _claim(self, scope: dict[str, Any]) -> None:
        """The connection now belongs to the request's tenant (within that tenant's share)."""
        if self.tenants is None or self.shares is None:
            return
        tenant, _ = self.tenants.resolve(dict(scope.get("headers") or []).get(b"authorization"))
        if tenant is None:
            return
        if not self.shares.take(tenant.name):  # the app answers 503 and closes (Guard reads this key)
            scope["rewardkit.connections_full"] = (
                f"tenant {tenant.name!r} holds {self.shares.held[tenant.name]} connections, its share of "
                f"{self.max_connections} (--max-connections); reuse a connection or close one")
            return
        self._tenant = tenant

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._tenant is not None and self.shares is not None:
            self.shares.give(self._tenant.name)
            self._tenant = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        log.warning("408 %s sent no complete request headers within %gs (--header-timeout); closed",
                    _peer(self.client), self.header_timeout)
        self._refuse(b"408 Request Timeout", b"request headers not received in time\n")

    def _refuse(self, status: bytes, body: bytes) -> None:
        try:
            self.transport.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain\r\ncontent-length: "
                                 + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        finally:
            self.transport.close()


class _Evictions:
    """Counts idle unauthenticated connections closed to make room; logs at most once a second (a flood
    of sockets must not turn into a flood of log lines)."""

    def __init__(self) -> None:
        self.count, self.logged = 0, -1.0

    def note(self, now: float, open_: int, cap: int) -> None:
        self.count += 1
        if now - self.logged >= 1.0:
            log.warning("503: closed %d idle unauthenticated connection(s) to make room (%d open, "
                        "--max-connections %d)", self.count, open_, cap)
            self.count, self.logged = 0, now


_evicted = _Evictions()


def _peer(client: Any) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


def protocol(header_timeout: float, max_connections: int, app: Any = None) -> type[GuardedH11]:
    """A protocol class for ``uvicorn.Config(http=...)`` with these limits (and ``app``'s tenants)."""
    server = getattr(getattr(app, "state", None), "rewardkit", None)
    return type("GuardedH11", (GuardedH11,), {
        "header_timeout": header_timeout, "max_connections": max_connections,
        "tenants": server.tenants if server else None, "shares": server.connections if server else None})
