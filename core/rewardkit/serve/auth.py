"""Paths open without a token, and the log line of a refused one (with the client and path, never the
token). Tokens are checked per tenant: :meth:`rewardkit.serve.tenants.Tenants.resolve`."""

from __future__ import annotations

import logging

log = logging.getLogger("rewardkit.serve")

#: Paths that answer without a token (liveness probes).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def log_denied(client: str, method: str, path: str, why: str) -> None:
    log.warning("401 %s %s from %s: %s", method, path, client, why)
