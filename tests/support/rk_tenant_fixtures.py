"""Pytest fixtures shared by the multi-tenant serve tests: the test plugin ``tn`` and a live server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import rk_tenants

import rewardkit
from rewardkit.plugins import register_plugin, unregister_plugin


@pytest.fixture(scope="module")
def tenants() -> Iterator[None]:
    """The ``tn.*`` rewards of rk_tenants, registered for the module."""
    register_plugin(rk_tenants.TenantPlugin, "tn")
    yield
    unregister_plugin("tn")


@pytest.fixture(scope="module")
def url(tenants: None) -> Iterator[str]:
    """A server in a thread with ``format.tags`` as its default reward."""
    with rk_tenants.live(default=rewardkit.reward("format.tags")) as base:
        yield base


def post(url: str, body: Any, path: str = "/v1/score", **kw: Any) -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=60, **kw)
