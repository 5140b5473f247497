"""ASGI middleware in front of the app: request id, bearer token, body size, bytes in flight,
body read timeout, non-finite JSON numbers, and a counted 500 for anything unexpected."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from .auth import OPEN_PATHS, check_bearer, log_denied
from .limits import ServeSettings
from .logs import REQUEST_ID, request_id
from .metrics import Metrics

log = logging.getLogger("rewardkit.serve")
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]
KNOWN = frozenset({"/v1/score", "/get_reward", "/verify", "/verl/compute_score", "/v1/rewards", "/v1/policy",
                   "/healthz", "/readyz", "/metrics"})


class Budget:
    """Bytes of request bodies the server holds at once (one event loop: no lock needed)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def take(self, n: int) -> bool:
        if n and self.used + n > self.limit:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used -= n


class Guard:
    """Runs before the app sees a request; every answer carries ``x-request-id`` and is counted."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, metrics: Metrics, budget: Budget) -> None:
        self.app, self.settings, self.metrics, self.budget = app, settings, metrics, budget

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
        if scope["path"] not in OPEN_PATHS:
            why = check_bearer(self.settings.token, headers.get(b"authorization"))
            if why:
                client = scope.get("client") or ("?", 0)
                log_denied(f"{client[0]}:{client[1]}", scope.get("method", "?"), scope["path"], why)
                return await self._refuse(send, 401, "auth", why, [(b"www-authenticate", b"Bearer")])
        declared = headers.get(b"content-length")
        size = int(declared) if declared is not None and declared.isdigit() else 0
        if size > self.settings.max_body_bytes:
            return await self._too_large(send, size)
        if not self.budget.take(size):
            return await self._busy(send)
        held = [size]
        try:
            await self._read_and_run(scope, receive, send, held)
        finally:
            self.budget.give(held[0])

    async def _read_and_run(self, scope: Message, receive: Receive, send: Send, held: list[int]) -> None:
        limit, body, more = self.settings.max_body_bytes, bytearray(), True
        with anyio.move_on_after(self.settings.body_timeout) as timer:
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return await self.app(scope, _replay(b"", message, receive), send)
                body += message.get("body", b"")
                if len(body) > limit:
                    return await self._too_large(send, len(body))
                if len(body) > held[0]:
                    if not self.budget.take(len(body) - held[0]):
                        return await self._busy(send)
                    held[0] = len(body)
                more = message.get("more_body", False)
        if timer.cancelled_caught:
            return await self._refuse(send, 408, "body timeout", f"request body not received within "
                                      f"{self.settings.body_timeout:g}s (--body-timeout)", [(b"connection", b"close")])
        where = non_finite_field(bytes(body)) if scope.get("method") == "POST" else None
        if where is not None:
            return await self._refuse(send, 422, "non-finite number",
                                      f"{where}: NaN and Infinity (or numbers beyond the float range) are not "
                                      "accepted; send null for a missing value", field=where)
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

    async def _busy(self, send: Send) -> None:
        await self._refuse(send, 429, "bytes in flight", f"the server holds {self.budget.used} bytes of request "
                           f"bodies; the limit is {self.budget.limit} (--max-inflight-bytes); retry later",
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


# -- non-finite numbers ------------------------------------------------------------------------
_SUSPECT = re.compile(rb"NaN|Infinity|[0-9][eE]\+?[0-9]{3}")


class _Bad:
    def __init__(self, text: str) -> None:
        self.text = text


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Bad(text)


def non_finite_field(body: bytes) -> str | None:
    """Where a JSON body holds NaN, Infinity or a number that overflows a float (``columns.x[3]``), else None."""
    if not _SUSPECT.search(body):
        return None
    try:
        tree = json.loads(body, parse_constant=_Bad, parse_float=_float)
    except (ValueError, RecursionError):
        return None  # not JSON (or nested too deep for it): the app's own 422 says so
    try:
        return _find(tree, "")
    except RecursionError:
        return "body"


def _find(node: Any, path: str) -> str | None:
    if isinstance(node, _Bad):
        return path or "body"
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found = _find(child, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None
