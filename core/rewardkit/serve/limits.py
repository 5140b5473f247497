"""Server settings and limits: body size, items per request, concurrent and queued requests."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import RewardkitError

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

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_items", "max_concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise RewardkitError(f"serve: {name} must be a positive integer, got {value!r}")
        if not isinstance(self.max_queue, int) or self.max_queue < 0:
            raise RewardkitError(f"serve: max_queue must be a non-negative integer, got {self.max_queue!r}")
        if self.token is None:
            self.token = os.environ.get(TOKEN_ENV) or None

    def check_bind(self) -> None:
        """Refuse to bind a non-loopback address without a token."""
        if self.token or is_loopback(self.host):
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
