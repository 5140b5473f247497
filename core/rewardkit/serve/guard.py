"""ASGI middleware in front of the app: request id, bearer token (which tenant), body size, bytes in
flight (per tenant, charged as they arrive), body read timeout, and a counted 500 for anything
unexpected. Parsing the body (non-finite numbers included) is the scoring thread's, never the
event loop's (:mod:`rewardkit.serve.bodies`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from .auth import OPEN_PATHS, log_denied
from .fair import Shares
from .limits import ServeSettings
from .logs import REQUEST_ID, request_id
from .metrics import Metrics
from .tenants import Tenant, Tenants

log = logging.getLogger("rewardkit.serve")
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]
KNOWN = frozenset({"/v1/score", "/get_reward", "/verify", "/verl/compute_score", "/v1/rewards", "/v1/policy",
                   "/v1/server", "/healthz", "/readyz", "/metrics"})


class Guard:
    """Runs before the app sees a request; every answer carries ``x-request-id`` and is counted."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, metrics: Metrics, budget: Shares,
                 tenants: Tenants) -> None:
        self.app, self.settings, self.metrics, self.budget, self.tenants = app, settings, metrics, budget, tenants

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        endpoint = scope["path"] if scope["path"] in KNOWN else "other"
        rid = request_id(dict(scope.get("headers") or []).get(b"x-request-id"))
        token = REQUEST_ID.set(rid)
        started = False

        async def counted(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
                self.metrics.requests.labels(endpoint, str(message["status"])).inc()
                tenant = scope.get("rewardkit.tenant")
                self.metrics.tenant_requests.labels(tenant.name if tenant else "-", str(message["status"])).inc()
            await send(message)

        try:
            await self._guarded(scope, receive, counted)
        except Exception as exc:  # noqa: BLE001 - logged with the request id and answered as a counted 500
            log.exception("500 %s %s: %s: %s", scope.get("method"), scope["path"], type(exc).__name__, exc)
            if not started:
                await send_json(counted, 500, {"detail": f"internal error ({type(exc).__name__}); the server log "
                                                         f"has it under request id {rid}", "request_id": rid})
        finally:
            REQUEST_ID.reset(token)

    async def _guarded(self, scope: Message, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        tenant, why = self.tenants.resolve(headers.get(b"authorization"))
        if tenant is None and scope["path"] not in OPEN_PATHS:
            client = scope.get("client") or ("?", 0)
            log_denied(f"{client[0]}:{client[1]}", scope.get("method", "?"), scope["path"], why or "")
            return await self._refuse(send, 401, "auth", why or "", [(b"www-authenticate", b"Bearer")])
        scope["rewardkit.tenant"] = tenant
        if scope.get("rewardkit.connections_full"):
            return await self._refuse(send, 503, "connections", scope["rewardkit.connections_full"],
                                      [(b"connection", b"close")])
        declared = headers.get(b"content-length")
        size = int(declared) if declared is not None and declared.isdigit() else 0
        if size > self.settings.max_body_bytes:
            return await self._too_large(send, size)
        held = [0]
        try:
            await self._read_and_run(scope, receive, send, held, tenant)
        finally:
            if tenant is not None:
                self.budget.give(tenant.name, held[0])

    async def _read_and_run(self, scope: Message, receive: Receive, send: Send, held: list[int],
                            tenant: Tenant | None) -> None:
        """Read the body, charging its bytes to the tenant as they arrive (never on a declared size)."""
        limit, body, more = self.settings.max_body_bytes, bytearray(), True
        with anyio.move_on_after(self.settings.body_timeout) as timer:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left while sending its body: nobody to answer
                if message["type"] != "http.request":
                    return await self.app(scope, _replay(b"", message, receive), send)
                chunk = message.get("body", b"")
                if chunk and tenant is None:
                    return await self._refuse(send, 401, "auth", "a body needs a bearer token",
                                              [(b"www-authenticate", b"Bearer")])
                body += chunk
                if len(body) > limit:
                    return await self._too_large(send, len(body))
                if chunk and tenant is not None:
                    if not self.budget.take(tenant.name, len(chunk)):
                        return await self._busy(send, tenant)
                    held[0] += len(chunk)
                more = message.get("more_body", False)
        if timer.cancelled_caught:
            return await self._refuse(send, 408, "body timeout", f"request body not received within "
                                      f"{self.settings.body_timeout:g}s (--body-timeout)", [(b"connection", b"close")])
        await self.app(scope, _replay(bytes(body), None, receive), send)

    async def _refuse(self, send: Send, status: int, limit: str, detail: str,
                      extra: list[tuple[bytes, bytes]] | None = None, field: str | None = None) -> None:
        self.metrics.rejected.labels(limit).inc()
        body: dict[str, Any] = {"detail": detail, "limit": limit}
        if field is not None:
            body["field"] = field
        await send_json(send, status, body, extra)

    async def _too_large(self, send: Send, size: int) -> None:
        await self._refuse(send, 413, "body size", f"request body size {size} bytes exceeds the limit of "
                           f"{self.settings.max_body_bytes} bytes (--max-body-bytes)")

    async def _busy(self, send: Send, tenant: Tenant) -> None:
        b = self.budget
        await self._refuse(send, 429, "bytes in flight", f"the server holds {b.used} bytes of request bodies, "
                           f"{b.held[tenant.name]} of them tenant {tenant.name!r}'s; the limits are {b.capacity} "
                           f"in all and {b.cap(tenant.name)} per tenant (--max-inflight-bytes); retry later",
                           [(b"retry-after", b"1")])


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first if first is not None else {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})
