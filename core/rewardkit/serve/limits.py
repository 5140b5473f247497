"""Server settings and limits: body size and bytes in flight, items per request, concurrent and queued
requests, header/body read timeouts, open connections, the shutdown deadline, the operator's policy."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import RewardkitError
from .auth import check_token

#: Environment variable holding the bearer token (``--token`` wins over it).
TOKEN_ENV = "REWARDKIT_TOKEN"


class LimitError(RewardkitError):
    """A request exceeded a limit; ``status`` is the HTTP code (413 or 429) and ``limit`` its name."""

    def __init__(self, status: int, limit: str, message: str) -> None:
        self.status, self.limit = status, limit
        super().__init__(message)


@dataclass
class ServeSettings:
    """What ``rewardkit serve`` binds to and how much it accepts.

    ``max_concurrency`` requests score at once (each in a thread of a bounded pool, so the
    event loop never blocks); up to ``max_queue`` more wait; past that a request gets 429.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    max_items: int = 8192
    max_concurrency: int = 4
    max_queue: int = 256
    label_column: str = "answer"
    openrlhf_fill: float = 0.0
    openrlhf_strip: tuple[str, ...] = ()
    default_spec: dict[str, Any] = field(default_factory=dict)
    #: Request bodies held at once (being read or scored), in bytes; past it a request gets 429.
    #: A body expands about tenfold while it is parsed and scored.
    max_inflight_bytes: int = 64 * 1024 * 1024
    #: Seconds a connection may take to send a request's headers, and then its body.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    #: Open connections at once (past it a new one gets 503 and is closed).
    max_connections: int = 512
    #: Seconds SIGTERM waits for in-flight requests before cancelling them.
    shutdown_timeout: float = 30.0
    #: Characters per item up to which a ``fast`` reward runs inline (larger: in a worker, with a deadline).
    inline_chars: int = 8192
    #: The operator's policy (:mod:`rewardkit.serve.policy`); a plain dict is read as a policy file's tables.
    policy: Any = None
    #: A tokens file naming the tenants (:mod:`rewardkit.serve.tenants`); ``token`` is one more tenant.
    tokens: str | None = None
    #: Terms per composite, and items x terms per request (one request's total work).
    max_terms: int = 16
    max_term_items: int = 65_536
    #: Bytes of one answer.
    max_answer_bytes: int = 16 * 1024 * 1024
    #: Seconds one request may score in all, every term together; then what is left times out.
    request_timeout: float = 120.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_items", "max_concurrency", "max_inflight_bytes", "max_connections",
                     "inline_chars", "max_terms", "max_term_items", "max_answer_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RewardkitError(f"serve: {name} must be a positive integer, got {value!r}")
        if not isinstance(self.max_queue, int) or self.max_queue < 0:
            raise RewardkitError(f"serve: max_queue must be a non-negative integer, got {self.max_queue!r}")
        for name in ("header_timeout", "body_timeout", "shutdown_timeout", "request_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 86_400:
                raise RewardkitError(f"serve: {name} must be a number of seconds in (0, 86400), got {value!r}")
        from .policy import Policy

        if self.policy is None or isinstance(self.policy, dict):
            self.policy = Policy.from_dict(self.policy or {}, "policy")
        if self.token is None:
            self.token = os.environ.get(TOKEN_ENV) or None
        self.token = check_token(self.token)
        self.tenants()  # a bad tokens file fails at start

    def tenants(self) -> Any:
        """The tenants (:class:`rewardkit.serve.tenants.Tenants`) of ``tokens`` and ``token``."""
        from .policy import Policy
        from .tenants import Tenants

        return Tenants.build(self.token, self.tokens, Policy.load)

    def check_bind(self) -> None:
        """Refuse to bind a non-loopback address without a token."""
        if self.token or self.tokens or is_loopback(self.host):
            return
        raise RewardkitError(
            f"serve: refusing to bind {self.host!r} without a token; pass --token or set {TOKEN_ENV} "
            "(without one, only a loopback address such as 127.0.0.1 is allowed)"
        )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IPs (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
