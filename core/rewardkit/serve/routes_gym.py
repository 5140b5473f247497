"""NeMo Gym's resources-server routes: ``/seed_session``, ``/verify``, ``/aggregate_metrics``
(the shapes and semantics: :mod:`.nemo_gym`)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import FastAPI, Request

from .bodies import parse
from .nemo_gym import (
    NEMO_ANSWER,
    AggregateMetricsRequest,
    SeedSessionRequest,
    aggregate_metrics,
    nemo_inputs,
    verify_response,
)
from .schemas import NemoGymVerifyRequest
from .scoring import Target, score_response, target_name
from .state import JSON, Server


def register(app: FastAPI, server: Server) -> None:
    settings, scorer = server.settings, server.scorer

    @app.post("/verify")
    async def verify(request: Request) -> JSON:
        """NeMo Gym's ``/verify``: the request back with reward, reward_components, mask_sample."""
        target = scorer.default_target("/verify")

        def work(body: bytes) -> tuple[Target, Any, dict[str, Any]]:
            req = parse(NemoGymVerifyRequest, body)
            completions, prompts, columns = nemo_inputs(req, settings.label_column)
            result = scorer.score_default(completions, prompts, columns, NEMO_ANSWER)
            item = score_response(target, result)["items"][0]
            return target, result, verify_response(req, item, target_name(target), settings.openrlhf_fill)

        return await server.scored(request, "/verify", work)

    @app.post("/seed_session")
    async def seed_session(request: Request) -> JSON:
        """NeMo Gym's ``/seed_session``: a reward keeps no per-rollout state, so ``{}``."""
        body = await request.body()
        await anyio.to_thread.run_sync(parse, SeedSessionRequest, body)  # a 422 for a body that is no object
        return JSON({})

    @app.post("/aggregate_metrics")
    async def aggregate(request: Request) -> JSON:
        """NeMo Gym's ``/aggregate_metrics``: per-task and overall statistics of verify responses."""
        body = await request.body()
        return JSON(await anyio.to_thread.run_sync(lambda: aggregate_metrics(parse(AggregateMetricsRequest,
                                                                                   body).verify_responses)))
