"""Information routes: ``/v1/rewards``, ``/v1/policy``, ``/v1/server`` (token), ``/healthz`` and
``/readyz`` (open: alive/ready only), ``/metrics``."""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .state import JSON, Server, readiness


def register(app: FastAPI, server: Server) -> None:
    settings, scorer = server.settings, server.scorer

    def tenant_policy(request: Request) -> Any:
        return server.policy(request.scope.get("rewardkit.tenant") or server.tenants.all[0])

    @app.get("/v1/rewards")
    async def rewards(request: Request) -> JSON:
        """Every reward this server serves the caller (the same fields as ``rewardkit rewards --json``)."""
        from ..registry import registry

        specs, policy = registry.specs(), tenant_policy(request)
        served = [specs[k].describe() for k in sorted(specs) if policy.serves(k)]
        return JSON(json.loads(json.dumps(served, default=repr)))

    @app.get("/v1/policy")
    async def policy(request: Request) -> JSON:
        """What the caller may do here: served rewards, timeout ceiling, per-reward rules, limits."""
        body = json.loads(json.dumps(tenant_policy(request).describe(), default=repr))
        body["limits"] = {k: getattr(settings, k) for k in ("max_items", "max_terms", "max_term_items",
                                                            "max_answer_bytes", "request_timeout", "max_body_bytes")}
        return JSON(body)

    @app.get("/v1/server")
    async def about(request: Request) -> JSON:
        """The caller's view of this server (token required when one is set): pid, default, its share."""
        tenant = request.scope.get("rewardkit.tenant")
        name = tenant.name if tenant else None
        return JSON({"pid": os.getpid(), "inflight": server.admission.used, "default": describe(scorer.default),
                     "tenant": name, "held": _held(server, name) if name else None})

    @app.get("/healthz")
    async def healthz() -> JSON:
        """Liveness only (no token needed, so nothing else)."""
        return JSON({"status": "stopping" if server.stopping else "ok"})

    @app.get("/readyz")
    async def readyz(request: Request) -> JSON:
        """200 while the server (for a known tenant: its share) takes new requests; 503 when saturated.
        Without a token: status only; with one: the reasons."""
        tenant = request.scope.get("rewardkit.tenant")
        why = readiness(server, tenant)
        body: dict[str, Any] = {"status": "not ready" if why else "ready"}
        if tenant is not None:
            body.update(reasons=why, tenant=tenant.name, held=_held(server, tenant.name))
        return JSON(body, status_code=503 if why else 200)

    @app.get("/metrics")
    async def prometheus() -> Response:
        for t in server.tenants.all:
            for resource, value in _held(server, t.name).items():
                server.metrics.tenant_held.labels(t.name, resource).set(value)
        data, content_type = server.metrics.render()
        return Response(data, media_type=content_type)


def _held(server: Server, name: str) -> dict[str, int]:
    return {"threads": server.threads.shares.held[name], "queue": server.admission.held[name],
            "bytes": server.budget.held[name], "connections": server.connections.held[name]}


def describe(target: Any) -> Any:
    """The default reward as plain data (its signature, or a composite's terms)."""
    if target is None:
        return None
    from ..composite import Composite

    return target.describe() if isinstance(target, Composite) else target.signature
