"""The FastAPI app: /v1/score, /get_reward (OpenRLHF), /verify (NeMo Gym), /verl/compute_score,
/v1/rewards, /v1/policy, /healthz, /readyz, /metrics.

Scoring runs in threads bounded by ``max_concurrency`` (the event loop never blocks on a
reward); ``max_queue`` more requests may wait; beyond that, or past ``max_inflight_bytes`` of
bodies, a request gets 429 at once. A client that disconnects cancels its request's work.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ..errors import RewardkitError
from .guard import Budget, Guard
from .limits import LimitError, ServeSettings
from .metrics import Metrics
from .policy import PolicyError
from .protocols import nemo_inputs, nemo_response, verl_inputs, verl_item
from .schemas import NemoGymVerifyRequest, OpenRLHFRequest, ScoreRequest, VerlBatchRequest
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
Work = Callable[[], tuple[Target, Any, Any]]


class Admission:
    """Counts admitted scoring requests; a thread limiter runs ``max_concurrency`` of them at once."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.inflight = 0
        self.limiter: anyio.CapacityLimiter | None = None

    @property
    def capacity(self) -> int:
        return self.settings.max_concurrency + self.settings.max_queue

    def enter(self) -> None:
        s = self.settings
        if self.inflight >= self.capacity:
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


async def _watch_disconnect(receive: Callable[[], Awaitable[Any]], gone: threading.Event) -> None:
    """Set ``gone`` when the client disconnects (the body has been read by now)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


def _cancellable(work: Work, gone: threading.Event) -> Callable[[], Any]:
    """``work`` under :func:`rewardkit.isolation.cancel_on`; an exception is returned, not raised
    (raised inside the task group it would arrive wrapped in an ExceptionGroup)."""
    def run() -> Any:
        from ..isolation import cancel_on

        try:
            with cancel_on(gone):
                return work()
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller, outside the task group
            return exc

    return run


def _readiness(settings: ServeSettings, admission: Admission, budget: Budget, stopping: bool) -> list[str]:
    """Why the server should get no new requests now (empty: ready)."""
    from .. import isolation

    why = []
    if stopping:
        why.append("stopping")
    if admission.inflight >= admission.capacity:
        why.append(f"request queue full ({admission.inflight} admitted)")
    if budget.used >= 0.9 * budget.limit:
        why.append(f"bytes in flight near the limit ({budget.used} of {budget.limit})")
    pool = isolation.current_pool()
    if pool is not None:
        stats = pool.stats()
        if stats["alive"] < stats["workers"]:
            why.append(f"worker pool: {stats['workers'] - stats['alive']} of {stats['workers']} workers dead")
        if stats["queued"] > 64 * max(1, pool.size):
            why.append(f"worker pool saturated ({stats['queued']} items queued for {pool.size} workers)")
    return why


def create_app(settings: ServeSettings, default: Target | None = None) -> FastAPI:
    """Build the app; ``default`` (else ``settings.default_spec``) is used when a request names none."""
    if default is None and settings.default_spec:
        from .defaults import build_default

        default = build_default(settings.default_spec)
    scorer = Scorer(default, settings.label_column, settings.openrlhf_fill, settings.policy, settings.inline_chars)
    admission = Admission(settings)
    budget = Budget(settings.max_inflight_bytes)
    metrics = Metrics(admission.queued, lambda: float(admission.inflight), lambda: float(budget.used))
    state = {"stopping": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state["stopping"] = True  # uvicorn has finished (or cancelled) the in-flight requests by now
        from .. import isolation

        await anyio.to_thread.run_sync(isolation.close_pool)
        log.info("rewardkit serve: stopped; worker pool closed")

    app = FastAPI(title="rewardkit", lifespan=lifespan)
    app.add_middleware(Guard, settings=settings, metrics=metrics, budget=budget)  # type: ignore[arg-type]

    @app.exception_handler(RequestError)
    async def _bad_request(request: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)

    @app.exception_handler(PolicyError)
    async def _forbidden(request: Request, exc: PolicyError) -> JSONResponse:
        metrics.rejected.labels("policy").inc()
        log.info("403 %s: %s", exc.field, exc)
        return JSONResponse({"detail": str(exc), "field": exc.field, "limit": "policy"}, status_code=403)

    @app.exception_handler(LimitError)
    async def _limit(request: Request, exc: LimitError) -> JSONResponse:
        metrics.rejected.labels(exc.limit).inc()
        headers = {"Retry-After": "1"} if exc.status == 429 else None
        return JSONResponse({"detail": str(exc), "limit": exc.limit}, status_code=exc.status, headers=headers)

    async def scored(request: Request, endpoint: str, n: int, work: Work) -> Any:
        if n > settings.max_items:
            raise LimitError(413, "items per request",
                             f"{n} items per request exceeds the limit of {settings.max_items} (--max-items)")
        admission.enter()
        gone = threading.Event()
        start = time.perf_counter()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_watch_disconnect, request.receive, gone)
                try:
                    outcome = await admission.run(_cancellable(work, gone))
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            admission.leave()
        if isinstance(outcome, Exception):
            raise outcome
        target, result, body = outcome
        if gone.is_set():
            metrics.rejected.labels("client gone").inc()
            log.info("%s: the client went away; its remaining work was cancelled", endpoint)
        metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
        metrics.items.labels(endpoint).inc(n)
        for reward, counts in outcome_counts(target, result).items():
            metrics.count_outcomes(reward, counts)
        return body

    def default_target(endpoint: str) -> Target:
        if scorer.default is None:
            raise RequestError("reward", f"{endpoint} needs a server started with -r REWARD or --config")
        return scorer.default

    def score_default(completions: list[str], prompts: list[str] | None, columns: dict[str, list[Any]],
                      label_field: str) -> Any:
        target = default_target("this endpoint")
        try:
            return scorer.score(target, completions, prompts, columns)
        except RequestError as exc:
            if exc.field == f"columns.{settings.label_column}":
                raise RequestError(label_field, f"{exc} (sent as {label_field!r}; see --label-column)") from None
            raise

    @app.post("/v1/score")
    async def score(req: ScoreRequest, request: Request) -> JSONResponse:
        """Score completions with one reward or a composite; per item value, status, message."""
        def work() -> tuple[Target, Any, dict[str, Any]]:
            target = scorer.target(req)
            result = scorer.score(target, req.completions, req.prompts, req.columns)
            return target, result, score_response(target, result)

        return JSONResponse(await scored(request, "/v1/score", len(req.completions), work))

    @app.post("/get_reward")
    async def get_reward(req: OpenRLHFRequest, request: Request) -> JSONResponse:
        """OpenRLHF's remote reward protocol, scored with the server's default reward."""
        target = default_target("/get_reward")

        def work() -> tuple[Target, Any, dict[str, Any]]:
            completions, prompts, columns = openrlhf_inputs(req, settings.label_column, tuple(settings.openrlhf_strip))
            result = score_default(completions, prompts, columns, "labels")
            return target, result, openrlhf_response(target, result, settings.openrlhf_fill)

        return JSONResponse(await scored(request, "/get_reward", len(req.query), work))

    @app.post("/verify")
    async def verify(req: NemoGymVerifyRequest, request: Request) -> JSONResponse:
        """NeMo Gym's resources-server ``/verify``: the request back with ``reward``."""
        target = default_target("/verify")

        def work() -> tuple[Target, Any, dict[str, Any]]:
            completions, prompts, columns = nemo_inputs(req, settings.label_column)
            result = score_default(completions, prompts, columns, "expected_answer")
            item = score_response(target, result)["items"][0]
            return target, result, nemo_response(req, item, settings.openrlhf_fill)

        return JSONResponse(await scored(request, "/verify", 1, work))

    @app.post("/verl/compute_score")
    async def verl_score(req: VerlBatchRequest, request: Request) -> JSONResponse:
        """verl's reward-function arguments (batched or one item) -> verl's result dicts."""
        target = default_target("/verl/compute_score")
        completions, columns, batch = verl_inputs(req, settings.label_column)

        def work() -> tuple[Target, Any, Any]:
            result = score_default(completions, None, columns, "ground_truths")
            items = [verl_item(i, settings.openrlhf_fill) for i in score_response(target, result)["items"]]
            return target, result, items if batch else items[0]

        return JSONResponse(await scored(request, "/verl/compute_score", len(completions), work))

    @app.get("/v1/rewards")
    async def rewards() -> list[dict[str, Any]]:
        """Every reward this server serves (the same fields as ``rewardkit rewards --json``)."""
        from ..registry import registry

        specs = registry.specs()
        served = [specs[k].describe() for k in sorted(specs) if settings.policy.serves(k)]
        return json.loads(json.dumps(served, default=repr))

    @app.get("/v1/policy")
    async def policy() -> dict[str, Any]:
        """What clients may do here: served rewards, timeout ceiling, per-reward rules."""
        return json.loads(json.dumps(settings.policy.describe(), default=repr))

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "stopping" if state["stopping"] else "ok", "inflight": admission.inflight, "pid": os.getpid(),
                "default": _describe_default(scorer.default)}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 while the server takes new requests; 503 with the reasons when saturated or unhealthy."""
        why = _readiness(settings, admission, budget, state["stopping"])
        body = {"status": "not ready" if why else "ready", "reasons": why, "inflight": admission.inflight,
                "bytes_in_flight": budget.used}
        return JSONResponse(body, status_code=503 if why else 200)

    @app.get("/metrics")
    async def prometheus() -> Response:
        data, content_type = metrics.render()
        return Response(data, media_type=content_type)

    return app


def _describe_default(target: Target | None) -> Any:
    if target is None:
        return None
    from ..composite import Composite

    return target.describe() if isinstance(target, Composite) else target.signature


def error_message(exc: BaseException) -> str:
    """A short message for a startup error (used by the command)."""
    return str(exc) if isinstance(exc, RewardkitError) else f"{type(exc).__name__}: {exc}"
