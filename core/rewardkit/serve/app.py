"""The FastAPI app: /v1/score, /get_reward (OpenRLHF), /v1/rewards, /healthz, /metrics.

Scoring runs in threads bounded by ``max_concurrency`` (the event loop never blocks on a
reward); ``max_queue`` more requests may wait; beyond that a request gets 429 at once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ..errors import RewardkitError
from .auth import OPEN_PATHS, check_bearer, log_denied
from .limits import LimitError, ServeSettings
from .metrics import Metrics
from .schemas import OpenRLHFRequest, ScoreRequest
from .scoring import (
    RequestError,
    Scorer,
    Target,
    openrlhf_inputs,
    openrlhf_response,
    outcome_counts,
    score_response,
)

log = logging.getLogger("rewardkit.serve")
Message = dict[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class Admission:
    """Counts admitted scoring requests; a thread limiter runs ``max_concurrency`` of them at once."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.inflight = 0
        self.limiter: anyio.CapacityLimiter | None = None

    def enter(self) -> None:
        s = self.settings
        if self.inflight >= s.max_concurrency + s.max_queue:
            raise LimitError(429, "concurrent requests",
                             f"too many concurrent requests: {self.inflight} admitted, limit is "
                             f"{s.max_concurrency} running + {s.max_queue} queued (--max-concurrency, --max-queue)")
        self.inflight += 1

    def leave(self) -> None:
        self.inflight -= 1

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.settings.max_concurrency)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    def queued(self) -> float:
        running = self.limiter.borrowed_tokens if self.limiter is not None else 0
        return float(max(0, self.inflight - running))


class Guard:
    """ASGI middleware: bearer token (401) and body size (413) before the app sees a request."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, metrics: Metrics) -> None:
        self.app, self.settings, self.metrics = app, settings, metrics

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        endpoint = scope["path"] if scope["path"] in _KNOWN else "other"

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.requests.labels(endpoint, str(message["status"])).inc()
            await send(message)

        await self._guarded(scope, receive, counted)

    async def _guarded(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["path"] not in OPEN_PATHS:
            why = check_bearer(self.settings.token, headers.get(b"authorization"))
            if why:
                client = scope.get("client") or ("?", 0)
                log_denied(f"{client[0]}:{client[1]}", scope.get("method", "?"), scope["path"], why)
                self.metrics.rejected.labels("auth").inc()
                return await _send_json(send, 401, {"detail": why}, [(b"www-authenticate", b"Bearer")])
        limit = self.settings.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._too_large(send, int(declared))
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(b"", message, receive), send)
            body += message.get("body", b"")
            if len(body) > limit:
                return await self._too_large(send, len(body))
            more = message.get("more_body", False)
        await self.app(scope, _replay(bytes(body), None, receive), send)

    async def _too_large(self, send: Callable[[Message], Awaitable[None]], size: int) -> None:
        self.metrics.rejected.labels("body size").inc()
        limit = self.settings.max_body_bytes
        await _send_json(send, 413, {"detail": f"request body size {size} bytes exceeds the limit of {limit} bytes "
                                               "(--max-body-bytes)", "limit": "body size"})


def _replay(body: bytes, first: Message | None, receive: Callable[[], Awaitable[Message]]) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first if first is not None else {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Callable[[Message], Awaitable[None]], status: int, body: dict[str, Any],
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})


def create_app(settings: ServeSettings, default: Target | None = None) -> FastAPI:
    """Build the app; ``default`` (else ``settings.default_spec``) is used when a request names none."""
    if default is None and settings.default_spec:
        from .defaults import build_default

        default = build_default(settings.default_spec)
    scorer = Scorer(default, settings.label_column, settings.openrlhf_fill)
    admission = Admission(settings)
    metrics = Metrics(admission.queued, lambda: float(admission.inflight))
    state = {"stopping": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state["stopping"] = True  # uvicorn has finished the in-flight requests by now
        from .. import isolation

        await anyio.to_thread.run_sync(isolation.close_pool)
        log.info("rewardkit serve: stopped; worker pool closed")

    app = FastAPI(title="rewardkit", lifespan=lifespan)
    app.add_middleware(Guard, settings=settings, metrics=metrics)  # type: ignore[arg-type]

    @app.exception_handler(RequestError)
    async def _bad_request(request: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)

    @app.exception_handler(LimitError)
    async def _limit(request: Request, exc: LimitError) -> JSONResponse:
        metrics.rejected.labels(exc.limit).inc()
        headers = {"Retry-After": "1"} if exc.status == 429 else None
        return JSONResponse({"detail": str(exc), "limit": exc.limit}, status_code=exc.status, headers=headers)

    async def scored(endpoint: str, n: int, work: Callable[[], tuple[Target, Any, dict[str, Any]]]) -> JSONResponse:
        if n > settings.max_items:
            raise LimitError(413, "items per request",
                             f"{n} items per request exceeds the limit of {settings.max_items} (--max-items)")
        admission.enter()
        start = time.perf_counter()
        try:
            target, result, body = await admission.run(work)
        finally:
            admission.leave()
        metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
        metrics.items.labels(endpoint).inc(n)
        for reward, counts in outcome_counts(target, result).items():
            metrics.count_outcomes(reward, counts)
        return JSONResponse(body)  # plain JSON types already: no second encoding pass

    @app.post("/v1/score")
    async def score(req: ScoreRequest) -> JSONResponse:
        """Score completions with one reward or a composite; per item value, status, message."""
        def work() -> tuple[Target, Any, dict[str, Any]]:
            target = scorer.target(req)
            result = scorer.score(target, req.completions, req.prompts, req.columns)
            return target, result, score_response(target, result)

        return await scored("/v1/score", len(req.completions), work)

    @app.post("/get_reward")
    async def get_reward(req: OpenRLHFRequest) -> JSONResponse:
        """OpenRLHF's remote reward protocol, scored with the server's default reward."""
        if scorer.default is None:
            raise RequestError("reward", "/get_reward needs a server started with -r REWARD or --config")

        def work() -> tuple[Target, Any, dict[str, Any]]:
            completions, prompts, columns = openrlhf_inputs(req, settings.label_column, tuple(settings.openrlhf_strip))
            assert scorer.default is not None
            try:
                result = scorer.score(scorer.default, completions, prompts, columns)
            except RequestError as exc:
                if exc.field == f"columns.{settings.label_column}":
                    raise RequestError("labels", f"{exc} (OpenRLHF sends it as 'labels'; see --label-column)") from None
                raise
            return scorer.default, result, openrlhf_response(scorer.default, result, settings.openrlhf_fill)

        return await scored("/get_reward", len(req.query), work)

    @app.get("/v1/rewards")
    async def rewards() -> list[dict[str, Any]]:
        """Every registered reward (the same list as ``rewardkit rewards --json``)."""
        from ..registry import registry

        specs = registry.specs()
        return json.loads(json.dumps([specs[k].describe() for k in sorted(specs)], default=repr))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "stopping" if state["stopping"] else "ok", "inflight": admission.inflight, "pid": os.getpid(),
                "default": _describe_default(scorer.default)}

    @app.get("/metrics")
    async def prometheus() -> Response:
        data, content_type = metrics.render()
        return Response(data, media_type=content_type)

    return app


_KNOWN = frozenset({"/v1/score", "/get_reward", "/v1/rewards", "/healthz", "/metrics"})


def _describe_default(target: Target | None) -> Any:
    if target is None:
        return None
    from ..composite import Composite

    return target.describe() if isinstance(target, Composite) else target.signature


def error_message(exc: BaseException) -> str:
    """A short message for a startup error (used by the command)."""
    return str(exc) if isinstance(exc, RewardkitError) else f"{type(exc).__name__}: {exc}"
