"""``rewardkit serve --ray``: the same FastAPI app as a Ray Serve deployment with N replicas.

Ray Serve's proxy spreads requests over the replicas (no home-made balancer). Each replica
builds its own app, default reward and worker pool from the picklable :class:`ServeSettings`,
so the token (or tenants), policy, body and bytes limits, body timeout, per-request caps and
deadline are the plain server's. What Ray Serve's proxy lacks (a header timeout, the
per-tenant connection cap) and Ray's core ports (which listen beyond ``--host``) make
``--ray`` loopback-only (:func:`check_ray`). It starts a private local Ray unless told an
address, checks that the app answers on ``--host:--port``, prints the URL and a ready line,
and stops within the shutdown deadline.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
import time
from typing import Any

import click

from ..errors import RewardkitError
from .limits import ServeSettings, is_loopback

log = logging.getLogger("rewardkit.serve")
#: Name of the Ray Serve application and deployment.
APP_NAME = "rewardkit"


def deployment(settings: ServeSettings, replicas: int) -> Any:
    """The bound Ray Serve application (``serve.run`` it, or build it into a Serve config)."""
    from ray import serve

    @serve.ingress()
    class RewardkitReplica:
        """One replica: the rewardkit app with its own scorer and worker pool."""

        def __init__(self, fields: dict[str, Any]) -> None:
            self.settings = ServeSettings(**fields)

        def __serve_build_asgi_app__(self) -> Any:
            from .app import create_app

            return create_app(self.settings)

    limit = settings.max_concurrency + settings.max_queue
    dep: Any = serve.deployment(RewardkitReplica, name=APP_NAME, num_replicas=replicas, max_ongoing_requests=limit,
                           graceful_shutdown_timeout_s=settings.shutdown_timeout)
    # fields as they are (asdict would turn the Policy into plain dicts); each replica re-checks them
    return dep.bind({f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)})


def check_ray(settings: ServeSettings, address: str | None) -> None:
    """Refuse what ``--ray`` cannot defend (raises RewardkitError saying why and what to do instead).

    * Ray Serve's own HTTP proxy has no header timeout and no per-tenant connection cap (the plain
      server's :mod:`.protocol`), and Ray's core ports listen beyond ``--host``: ``--ray`` binds
      loopback only (put it behind a reverse proxy, or run the plain server, to serve other hosts);
    * ``--address auto`` would join whatever cluster runs on this machine: name the cluster;
    * Ray's token authentication must stay on (``RAY_AUTH_MODE=disabled`` leaves its ports open).
    """
    if not is_loopback(settings.host):
        raise RewardkitError(
            f"serve --ray: refusing --host {settings.host}: Ray Serve's proxy has no header timeout or "
            "connection cap and Ray's own ports listen beyond --host; bind --ray to 127.0.0.1 behind a reverse "
            "proxy, or run the plain server (without --ray), which has both")
    if address is not None and address.strip().lower() == "auto":
        raise RewardkitError("serve --ray: --address auto would join any Ray cluster running on this machine; "
                             "give the cluster's address (host:port or ray://...), or leave --address out to start "
                             "a private local Ray")
    if os.environ.get("RAY_AUTH_MODE", "").strip().lower() == "disabled":
        raise RewardkitError("serve --ray: RAY_AUTH_MODE=disabled leaves Ray's ports without authentication; "
                             "unset it")


def run_ray(settings: ServeSettings, *, replicas: int = 1, address: str | None = None) -> None:
    """Start a private local Ray (or join ``address``), run the deployment on ``settings.host:port``,
    print the URL and a ready line, and stop within ``shutdown_timeout`` of SIGTERM/SIGINT."""
    import ray
    from ray import serve

    if replicas < 1:
        raise RewardkitError(f"serve --ray: --replicas must be >= 1, got {replicas}")
    check_ray(settings, address)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if address is None:  # "local": never a cluster that happens to run on this machine
        ray.init(address="local", _node_ip_address=settings.host if settings.host != "localhost" else "127.0.0.1",
                 include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)
    for sig in (signal.SIGTERM, signal.SIGINT):  # again: Ray may have put its own in place
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": settings.host, "port": settings.port})
        serve.run(deployment(settings, replicas), name=APP_NAME, route_prefix="/")
        _check_port(settings)
        url = f"http://{settings.host}:{settings.port}"
        click.echo(f"rewardkit serve --ray: {url} ({replicas} replica(s), token "
                   f"{'required' if settings.token or settings.tokens else 'off, loopback only'})", err=True)
        click.echo(f"rewardkit serve --ray: ready on {url}", err=True)
        stop.wait()
        log.info("rewardkit serve --ray: shutting down (within %gs, --shutdown-timeout)", settings.shutdown_timeout)
    finally:
        _shutdown(settings.shutdown_timeout)


def _check_port(settings: ServeSettings) -> None:
    """The app answers on ``--host:--port`` (a cluster whose Serve already listens elsewhere ignores them)."""
    import httpx

    url = f"http://{settings.host}:{settings.port}/healthz"
    for _ in range(50):
        try:
            if httpx.get(url, timeout=2).headers.get("x-request-id"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RewardkitError(f"serve --ray: the app does not answer on {url}; this cluster's Ray Serve proxy "
                         "listens elsewhere (it keeps the host and port it started with): use its address, or "
                         "start a private Ray by leaving --address out")


def _shutdown(deadline: float) -> None:
    """Serve, then Ray, each given ``deadline`` seconds in a thread; past it, the process goes on exiting."""
    import ray
    from ray import serve

    for what, fn in (("Ray Serve", serve.shutdown), ("Ray", ray.shutdown)):
        done = threading.Thread(target=fn, name=f"rewardkit-stop-{what}", daemon=True)
        done.start()
        done.join(deadline)
        if done.is_alive():
            log.warning("rewardkit serve --ray: %s did not stop within %gs (--shutdown-timeout); exiting anyway",
                        what, deadline)
