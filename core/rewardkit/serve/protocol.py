"""uvicorn's h11 protocol with a header read timeout and a connection cap (slow-loris defence).

A connection must finish sending a request's headers within ``header_timeout`` seconds of
opening (or of its previous response); else it gets 408 and is closed. Past
``max_connections`` open connections a new one gets 503 and is closed at once, so a flood of
idle sockets cannot take the server's file descriptors. (The body's read timeout is the app's:
:class:`rewardkit.serve.guard.Guard`.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rewardkit.serve")


class GuardedH11(H11Protocol):
    """H11Protocol plus :attr:`header_timeout` and :attr:`max_connections` (set by :func:`protocol`)."""

    header_timeout: float = 10.0
    max_connections: int = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._timed_cycle: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning("503 connection from %s refused: %d open connections (--max-connections %d)",
                        _peer(self.client), len(self.connections), self.max_connections)
            self._refuse(b"503 Service Unavailable", b"too many open connections\n")
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._timed_cycle:  # a request's headers are complete
            self._timed_cycle = self.cycle
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
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


def _peer(client: Any) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


def protocol(header_timeout: float, max_connections: int) -> type[GuardedH11]:
    """A protocol class for ``uvicorn.Config(http=...)`` with these limits."""
    return type("GuardedH11", (GuardedH11,), {"header_timeout": header_timeout, "max_connections": max_connections})
