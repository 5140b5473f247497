"""The FastAPI app: /v1/score, /get_reward (OpenRLHF), /verify (NeMo Gym), /verl/compute_score,
/v1/rewards, /v1/policy, /v1/server, /healthz, /readyz, /metrics.

The routes live in their own modules (:mod:`.routes_score`, :mod:`.routes_gym`,
:mod:`.routes_info`); the path every scoring request takes is :meth:`.state.Server.scored`:
a per-tenant queue share (429 past it), a weighted-fair turn for one of ``max_concurrency``
scoring threads (the event loop never parses a body or runs a reward), one deadline for the
whole request, and a stop when the client disconnects.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request

from ..errors import RewardkitError
from . import routes_gym, routes_info, routes_score
from .bodies import BodyError, NonFinite, TooDeep
from .guard import Guard
from .limits import LimitError, ServeSettings
from .policy import PolicyError
from .scoring import RequestError, Scorer, Target
from .state import JSON as JSONResponse
from .state import Server

log = logging.getLogger("rewardkit.serve")


def create_app(settings: ServeSettings, default: Target | None = None) -> FastAPI:
    """Build the app; ``default`` (else ``settings.default_spec``) is used when a request names none."""
    if default is None and settings.default_spec:
        from .defaults import build_default

        default = build_default(settings.default_spec)
    scorer = Scorer(default, settings.label_column, settings.openrlhf_fill, settings.policy, settings.inline_chars)
    server = Server(settings, settings.tenants(), scorer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        server.stopping = True  # uvicorn has finished (or cancelled) the in-flight requests by now
        from .. import isolation

        await anyio.to_thread.run_sync(isolation.close_pool)
        log.info("rewardkit serve: stopped; worker pool closed")

    app = FastAPI(title="rewardkit", lifespan=lifespan)
    app.state.rewardkit = server
    app.add_middleware(Guard, settings=settings, metrics=server.metrics, budget=server.budget,  # type: ignore[arg-type]
                       tenants=server.tenants)
    _errors(app, server)
    routes_score.register(app, server)
    routes_gym.register(app, server)
    routes_info.register(app, server)
    return app


def _errors(app: FastAPI, server: Server) -> None:
    """Every refusal is a 4xx naming its field or limit, and counted."""
    metrics = server.metrics

    @app.exception_handler(RequestError)
    async def _bad_request(request: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)

    @app.exception_handler(TooDeep)
    async def _too_deep(request: Request, exc: TooDeep) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)

    @app.exception_handler(NonFinite)
    async def _non_finite(request: Request, exc: NonFinite) -> JSONResponse:
        metrics.rejected.labels("non-finite number").inc()
        return JSONResponse({"detail": str(exc), "limit": "non-finite number", "field": exc.field}, status_code=422)

    @app.exception_handler(BodyError)
    async def _body(request: Request, exc: BodyError) -> JSONResponse:
        return JSONResponse({"detail": exc.errors}, status_code=422)

    @app.exception_handler(PolicyError)
    async def _forbidden(request: Request, exc: PolicyError) -> JSONResponse:
        metrics.rejected.labels("policy").inc()
        log.info("403 %s: %s", exc.field, exc)
        return JSONResponse({"detail": str(exc), "field": exc.field, "limit": "policy"}, status_code=403)

    @app.exception_handler(LimitError)
    async def _limit(request: Request, exc: LimitError) -> JSONResponse:
        metrics.rejected.labels(exc.limit).inc()
        tenant = request.scope.get("rewardkit.tenant")
        metrics.tenant_rejected.labels(tenant.name if tenant else "-", exc.limit).inc()
        headers = {"Retry-After": "1"} if exc.status == 429 else None
        return JSONResponse({"detail": str(exc), "limit": exc.limit}, status_code=exc.status, headers=headers)


def error_message(exc: BaseException) -> str:
    """A short message for a startup error (used by the command)."""
    return str(exc) if isinstance(exc, RewardkitError) else f"{type(exc).__name__}: {exc}"
