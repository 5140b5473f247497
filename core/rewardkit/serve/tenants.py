"""Tenants: who a request belongs to, and each tenant's share of the server.

A shared server names its clients in a tokens file (``rewardkit serve --tokens FILE``)::

    [tenant.alice]
    token = "a-long-random-string"       # the bearer token alice sends
    share = 2                            # weight (default 1): threads, pool turns, bytes, connections
    policy = "alice-policy.toml"         # optional: alice's own policy (relative to this file)

    [tenant.bob]
    token = "another-long-random-string"

``--token`` / ``REWARDKIT_TOKEN`` is one more tenant, named ``default``; with no token at all
every request belongs to the tenant ``anonymous`` (loopback only). Every shared resource is
divided by weight with a reserve: one tenant may hold at most ``capacity - reserve`` of
anything (``reserve`` is a quarter, at least one), so another tenant always finds room.
"""

from __future__ import annotations

import hmac
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RewardkitError
from .auth import check_token

#: Tenant of ``--token`` / ``REWARDKIT_TOKEN``, and of every request when no token is set.
DEFAULT_TENANT = "default"
ANONYMOUS = "anonymous"
_KEYS = ("token", "share", "policy")


@dataclass(frozen=True)
class Tenant:
    """A named client: its token, weight and (optionally) its own policy."""

    name: str
    token: str | None = None
    share: float = 1.0
    policy: Any = None  # a rewardkit.serve.policy.Policy, or None for the server's


class Tenants:
    """Token -> tenant; ``resolve`` says who an ``Authorization`` header belongs to."""

    def __init__(self, tenants: Iterable[Tenant]) -> None:
        self.all = list(tenants)
        names = [t.name for t in self.all]
        if len(set(names)) != len(names):
            raise RewardkitError(f"serve: tenant names must be unique, got {names}")
        tokens = [t.token for t in self.all if t.token]
        if len(set(tokens)) != len(tokens):
            raise RewardkitError("serve: two tenants share one token; give each its own")
        self.by_name = {t.name: t for t in self.all}
        self.open = not tokens  # no token configured: every request is the anonymous tenant

    @classmethod
    def build(cls, token: str | None, path: str | Path | None, load_policy: Any = None) -> Tenants:
        """Tenants of ``--tokens FILE`` plus ``default`` for ``--token``; ``anonymous`` when neither."""
        out = load(path, load_policy) if path else []
        if token:
            if any(t.name == DEFAULT_TENANT for t in out):
                raise RewardkitError(f"serve: --tokens names a tenant {DEFAULT_TENANT!r}, which is --token's")
            out.append(Tenant(DEFAULT_TENANT, token))
        return cls(out or [Tenant(ANONYMOUS)])

    def resolve(self, header: bytes | None) -> tuple[Tenant | None, str | None]:
        """``(tenant, None)`` when the request may pass, else ``(None, why)``."""
        if self.open:
            return self.all[0], None
        if not header:
            return None, "missing bearer token"
        scheme, _, value = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None, "malformed Authorization header (expected 'Bearer <token>')"
        given = value.strip().encode()
        found = None
        for t in self.all:  # every token compared, in constant time each
            if t.token and hmac.compare_digest(given, t.token.encode()):
                found = t
        return (found, None) if found else (None, "wrong bearer token")

    def total_share(self) -> float:
        return sum(t.share for t in self.all)

    def cap(self, name: str, capacity: int | float) -> int:
        """The most of ``capacity`` one tenant may hold: all when it is alone, else capacity minus a reserve."""
        if len(self.all) <= 1:
            return int(capacity)
        return max(1, int(capacity) - reserve(capacity))


def reserve(capacity: int | float) -> int:
    """What one tenant can never take: a quarter of ``capacity``, at least 1."""
    return max(1, int(capacity) // 4)


def load(path: str | Path, load_policy: Any = None) -> list[Tenant]:
    """Read a tokens file; every error names the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RewardkitError(f"serve: cannot read --tokens {path}: {exc}") from None
    unknown = [k for k in raw if k != "tenant"]
    tables = raw.get("tenant")
    if unknown or not isinstance(tables, dict) or not tables:
        raise RewardkitError(f"{path}: expected [tenant.NAME] tables with token = \"...\" (and optional share, "
                             "policy)" + (f"; unknown key {unknown[0]!r}" if unknown else ""))
    return [_tenant(name, table, path, load_policy) for name, table in tables.items()]


def _tenant(name: str, table: Any, path: Path, load_policy: Any) -> Tenant:
    where = f"{path}: tenant.{name}"
    if not isinstance(table, dict):
        raise RewardkitError(f"{where} must be a table")
    unknown = [k for k in table if k not in _KEYS]
    if unknown:
        raise RewardkitError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(_KEYS)})")
    if name in (ANONYMOUS,):
        raise RewardkitError(f"{where}: the name {name!r} is reserved")
    token = table.get("token")
    if not isinstance(token, str):
        raise RewardkitError(f"{where}.token: a bearer token (text) is required")
    try:
        token = check_token(token)
    except RewardkitError as exc:
        raise RewardkitError(f"{where}.token: {exc}") from None
    if token is None or len(token) < 16:
        raise RewardkitError(f"{where}.token: use at least 16 characters")
    share = table.get("share", 1.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share) or not 0 < share <= 1000:
        raise RewardkitError(f"{where}.share: a number in (0, 1000], got {share!r}")
    policy = None
    if "policy" in table:
        if not isinstance(table["policy"], str) or load_policy is None:
            raise RewardkitError(f"{where}.policy: a policy file path (relative to {path.name}) expected")
        policy = load_policy(path.parent / table["policy"])
    return Tenant(name, token, float(share), policy)
