"""Paths open without a token, the check of a token given at start, and the log line of a refused one
(with the client and path, never the token). Tokens are checked per tenant:
:meth:`rewardkit.serve.tenants.Tenants.resolve`."""

from __future__ import annotations

import logging

from ..errors import RewardkitError

log = logging.getLogger("rewardkit.serve")

#: Paths that answer without a token (liveness probes).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def log_denied(client: str, method: str, path: str, why: str) -> None:
    log.warning("401 %s %s from %s: %s", method, path, client, why)


def check_token(token: str | None) -> str | None:
    """The token without surrounding blanks (a file's trailing newline); refused if blank or odd inside."""
    if token is None:
        return None
    stripped = token.strip()
    if not stripped:
        raise RewardkitError("serve: the token is empty or only whitespace (--token / REWARDKIT_TOKEN)")
    bad = [c for c in stripped if not c.isprintable() or c.isspace()]
    if bad:
        raise RewardkitError(f"serve: the token contains {bad[0]!r} (whitespace or a control character); "
                             "a client cannot send that in an Authorization header (--token / REWARDKIT_TOKEN)")
    return stripped
