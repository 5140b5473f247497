"""``rewardkit serve``: the host's scoring path over HTTP (FastAPI under uvicorn, or Ray Serve).

* :func:`create_app` builds the ASGI app from :class:`ServeSettings` (a plain FastAPI app, so
  Ray Serve can mount it as its ingress unchanged);
* :mod:`rewardkit.serve.command` is the ``rewardkit serve`` command;
* :mod:`rewardkit.serve.verl` is a verl ``compute_score`` that calls a running server.

Nothing here imports FastAPI, uvicorn or httpx until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .limits import ServeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ServeSettings", "create_app"]


def create_app(settings: ServeSettings | None = None, default: Any = None) -> FastAPI:
    """The FastAPI app serving ``settings`` (``default``: the reward or composite /get_reward uses)."""
    from .app import create_app as _create

    return _create(settings or ServeSettings(), default)
