"""Scoring routes: ``POST /v1/score`` (native), ``/get_reward`` (OpenRLHF), ``/verl/compute_score`` (verl).

Each route reads its body as bytes and hands a ``work(body)`` to :meth:`Server.scored`; parsing,
the caps on one request's work (items, terms, items x terms) and scoring happen in the scoring
thread.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from .bodies import parse
from .protocols import verl_inputs, verl_item
from .schemas import OpenRLHFRequest, ScoreRequest, VerlBatchRequest
from .scoring import Target, openrlhf_inputs, openrlhf_response, score_response
from .state import JSON, Server


def register(app: FastAPI, server: Server) -> None:
    settings, scorer = server.settings, server.scorer

    @app.post("/v1/score")
    async def score(request: Request) -> JSON:
        """Score completions with one reward or a composite; per item value, status, message."""
        policy = server.policy(request.scope.get("rewardkit.tenant") or server.tenants.all[0])

        def work(body: bytes) -> tuple[Target, Any, dict[str, Any]]:
            req = parse(ScoreRequest, body)
            scorer.check_work(settings, len(req.completions), len(req.composite) if req.composite else None)
            target = scorer.target(req, policy)
            scorer.check_work(settings, len(req.completions), scorer.terms(target))
            result = scorer.score(target, req.completions, req.prompts, req.columns)
            return target, result, score_response(target, result)

        return await server.scored(request, "/v1/score", work)

    @app.post("/get_reward")
    async def get_reward(request: Request) -> JSON:
        """OpenRLHF's remote reward protocol, scored with the server's default reward."""
        target = scorer.default_target("/get_reward")

        def work(body: bytes) -> tuple[Target, Any, dict[str, Any]]:
            req = parse(OpenRLHFRequest, body)
            scorer.check_work(settings, len(req.query), scorer.terms(target))
            completions, prompts, columns, refused = openrlhf_inputs(req, settings.label_column,
                                                                     tuple(settings.openrlhf_strip))
            result = scorer.score_default(completions, prompts, columns, "labels")
            return target, result, openrlhf_response(target, result, settings.openrlhf_fill, refused)

        return await server.scored(request, "/get_reward", work)

    @app.post("/verl/compute_score")
    async def verl_score(request: Request) -> JSON:
        """verl's reward-function arguments (batched or one item) -> verl's result dicts."""
        target = scorer.default_target("/verl/compute_score")

        def work(body: bytes) -> tuple[Target, Any, Any]:
            req = parse(VerlBatchRequest, body)
            completions, columns, batch = verl_inputs(req, settings.label_column)
            scorer.check_work(settings, len(completions), scorer.terms(target))
            result = scorer.score_default(completions, None, columns, "ground_truths")
            items = [verl_item(i, settings.openrlhf_fill) for i in score_response(target, result)["items"]]
            return target, result, items if batch else items[0]

        return await server.scored(request, "/verl/compute_score", work)
