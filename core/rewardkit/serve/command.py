"""``rewardkit serve``: run the app under uvicorn, or as a Ray Serve deployment with ``--ray``."""

from __future__ import annotations

import gc
import math
import os
import sys
from typing import Any

import click

from .limits import ServeSettings


@click.command(name="serve")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False),
              help="Serve the [[reward]] composite of a training config by default.")
@click.option("-r", "--reward", "rewards", multiple=True, metavar="NAME[:k=v,...]",
              help="Default reward (repeat for an equal-weight composite).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (non-loopback needs --token).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--token", envvar="REWARDKIT_TOKEN", default=None, help="Bearer token required on every endpoint "
              "but /healthz and /readyz [env REWARDKIT_TOKEN]; its holder is the tenant 'default'.")
@click.option("--tokens", "tokens", type=click.Path(exists=True, dir_okay=False),
              help="Tenants (TOML): [tenant.NAME] token, share, policy; each gets its weighted share of "
              "threads, pool turns, bytes in flight and connections.")
@click.option("--max-terms", default=16, show_default=True, type=int, help="Terms per composite.")
@click.option("--max-term-items", default=65_536, show_default=True, type=int,
              help="Items x terms per request (one request's total work).")
@click.option("--max-answer-bytes", default=16 * 1024 * 1024, show_default=True, type=int, help="Bytes of one answer.")
@click.option("--request-timeout", default=120.0, show_default=True, type=float,
              help="Seconds one request may score, all its terms together; what is left then times out.")
@click.option("--max-body-bytes", default=32 * 1024 * 1024, show_default=True, type=int)
@click.option("--max-items", default=8192, show_default=True, type=int, help="Items per request.")
@click.option("--max-concurrency", default=4, show_default=True, type=int, help="Requests scoring at once (threads).")
@click.option("--max-queue", default=256, show_default=True, type=int, help="Requests waiting beyond those; then 429.")
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False),
              help="Operator policy (TOML): served rewards, what clients may set, clamps, fixed values "
              "(default: every reward; no path or resource parameters from clients; timeout <= 60 s).")
@click.option("--max-inflight-bytes", default=64 * 1024 * 1024, show_default=True, type=int,
              help="Request bodies held at once (bytes); past it 429.")
@click.option("--header-timeout", default=10.0, show_default=True, type=float,
              help="Seconds a connection may take to send request headers (then 408).")
@click.option("--body-timeout", default=30.0, show_default=True, type=float,
              help="Seconds a request may take to send its body (then 408).")
@click.option("--max-connections", default=512, show_default=True, type=int, help="Open connections (then 503).")
@click.option("--shutdown-timeout", default=30.0, show_default=True, type=float,
              help="Seconds SIGTERM waits for in-flight requests before cancelling them.")
@click.option("--inline-chars", default=8192, show_default=True, type=int,
              help="Item size (characters) up to which a fast reward runs inline; larger ones run in "
              "a worker under the deadline.")
@click.option("--label-column", default="answer", show_default=True, help="Column that OpenRLHF's 'labels' fill.")
@click.option("--openrlhf-fill", default=0.0, show_default=True, type=float,
              help="/get_reward value for an unscorable item (counted in extra_logs and /metrics).")
@click.option("--openrlhf-strip", multiple=True, metavar="TOKEN",
              help="Trailing text to cut from /get_reward completions, e.g. '<|im_end|>' (repeatable).")
@click.option("--ors", "ors", type=click.Path(exists=True, dir_okay=False), metavar="TASKS.jsonl",
              help="Serve the default reward as an Open Reward Standard environment over these tasks (for TRL's "
              "trl.experimental.openreward; needs pip install openreward; loopback only).")
@click.option("--ray", "use_ray", is_flag=True, help="Run as a Ray Serve deployment.")
@click.option("--replicas", default=1, show_default=True, type=int, help="Ray Serve replicas (with --ray).")
@click.option("--address", default=None, help="Ray cluster address (with --ray; default: start a local Ray).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(config: str | None, rewards: tuple[str, ...], host: str, port: int, token: str | None,
          max_body_bytes: int, max_items: int, max_concurrency: int, max_queue: int, label_column: str,
          openrlhf_fill: float, openrlhf_strip: tuple[str, ...], use_ray: bool, replicas: int, address: str | None,
          log_level: str, **limits: Any) -> None:
    """Serve rewards over HTTP: /v1/score, /get_reward (OpenRLHF), /verify (NeMo Gym),
    /verl/compute_score, /v1/rewards, /v1/policy, /healthz, /readyz, /metrics."""
    from . import logs
    from .defaults import build_default, spec_from_args
    from .policy import Policy

    policy_file, ors = limits.pop("policy_file"), limits.pop("ors")
    settings = ServeSettings(host=host, port=port, token=token, max_body_bytes=max_body_bytes, max_items=max_items,
                             max_concurrency=max_concurrency, max_queue=max_queue, label_column=label_column,
                             openrlhf_fill=openrlhf_fill, openrlhf_strip=tuple(openrlhf_strip),
                             default_spec=spec_from_args(config, rewards),
                             policy=Policy.load(policy_file) if policy_file else None, **limits)
    settings.check_bind()
    logs.setup(log_level)
    if ors:
        from ..integrations.openreward import serve_ors

        serve_ors(build_default(settings.default_spec), ors, settings.host, settings.port, log_level)
        return
    if use_ray:
        from .ray_app import run_ray

        build_default(settings.default_spec)  # fail here, not in every replica
        run_ray(settings, replicas=replicas, address=address)
        return
    run_uvicorn(settings, build_default(settings.default_spec), log_level)


def run_uvicorn(settings: ServeSettings, default: object, log_level: str = "info") -> None:
    """Serve until SIGTERM/SIGINT: stop accepting, finish in-flight requests, then stop the workers."""
    import uvicorn

    from .app import create_app

    app = create_app(settings, default)  # type: ignore[arg-type]
    from .protocol import protocol

    # the event loop and a short request's thread get the GIL back within 1 ms of asking, not 5,
    # while other tenants' threads run Python-heavy rewards inline (a convoy otherwise)
    sys.setswitchinterval(0.001)
    # for the same reason, rewards' worker processes run at a lower CPU priority than the server itself
    os.environ.setdefault("REWARDKIT_WORKER_NICE", "5")
    # what start-up loaded (modules, plugins, the default reward) is never garbage: moved out of the
    # collector's reach, a full collection under load scans only what requests allocate (tens of ms less)
    gc.collect()
    gc.freeze()

    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level, log_config=None,
                            backlog=2048, timeout_keep_alive=5, http=protocol(settings.header_timeout,
                                                                              settings.max_connections, app),
                            timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_timeout)))
    server = uvicorn.Server(config)
    click.echo(f"rewardkit serve: http://{settings.host}:{settings.port} "
               f"(token {'required' if settings.token else 'off, loopback only'})", err=True)
    server.run()
