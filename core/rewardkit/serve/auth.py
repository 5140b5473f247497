"""Bearer-token check. A failure is logged with the client and path, never with the token."""

from __future__ import annotations

import hmac
import logging

log = logging.getLogger("rewardkit.serve")

#: Paths that answer without a token (liveness probes).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def check_bearer(expected: str | None, header: bytes | None) -> str | None:
    """``None`` when the request may pass, else why not (``missing``/``malformed``/``wrong``)."""
    if not expected:
        return None
    if not header:
        return "missing bearer token"
    scheme, _, value = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return "malformed Authorization header (expected 'Bearer <token>')"
    if not hmac.compare_digest(value.strip().encode(), expected.encode()):
        return "wrong bearer token"
    return None


def log_denied(client: str, method: str, path: str, why: str) -> None:
    log.warning("401 %s %s from %s: %s", method, path, client, why)
