"""``rewardkit serve --ray``: the same FastAPI app as a Ray Serve deployment with N replicas.

Ray Serve's proxy spreads requests over the replicas (no home-made balancer). Each replica
builds its own app, default reward and worker pool from the picklable :class:`ServeSettings`.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from typing import Any

from .limits import ServeSettings

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
                           graceful_shutdown_timeout_s=120)
    # fields as they are (asdict would turn the Policy into plain dicts); each replica re-checks them
    return dep.bind({f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)})


def run_ray(settings: ServeSettings, *, replicas: int = 1, address: str | None = None) -> None:
    """Start (or join) Ray, run the deployment on ``settings.host:port`` and wait for SIGTERM/SIGINT."""
    import ray
    from ray import serve

    if replicas < 1:
        raise ValueError(f"--replicas must be >= 1, got {replicas}")
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    serve.start(http_options={"host": settings.host, "port": settings.port})
    serve.run(deployment(settings, replicas), name=APP_NAME, route_prefix="/")
    log.info("rewardkit serve --ray: %d replica(s) on http://%s:%d", replicas, settings.host, settings.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("rewardkit serve --ray: shutting down (replicas finish in-flight requests)")
    serve.delete(APP_NAME)
    serve.shutdown()
    ray.shutdown()
