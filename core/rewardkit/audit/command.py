"""The ``rewardkit audit`` commands: ``audit OUT_DIR`` (review page) and ``audit merge OUT_DIR``."""

from __future__ import annotations

from typing import Any

import click


class _DefaultReview(click.Group):
    """``rewardkit audit OUT_DIR`` means ``rewardkit audit review OUT_DIR``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["review", *args]
        return super().parse_args(ctx, args)


@click.group(name="audit", cls=_DefaultReview)
def audit() -> None:
    """Review a bench run's telling items in the browser, then fold the verdicts back in as labels.

    rewardkit audit OUT_DIR [-n 200] serves the review page; rewardkit audit merge OUT_DIR
    writes the labels and each reward's false-positive and false-negative rates.
    """


@audit.command(name="review")
@click.argument("out_dir", type=click.Path(file_okay=False, exists=True))
@click.option("-n", "n", type=click.IntRange(min=1), default=200, show_default=True, help="Items in the queue.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option(
    "--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True, help="0: any free port."
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the page in a browser.")
def review(out_dir: str, n: int, host: str, port: int, open_browser: bool) -> None:
    """Serve the review queue of OUT_DIR (a bench --out folder) on loopback."""
    import socket

    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise click.ClickException("the review page needs FastAPI and uvicorn: pip install 'rewardkit[serve]'") from None

    from .app import create_app
    from .queue import load_run

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.UsageError("the review page has no authentication: bind it to loopback (127.0.0.1) only")
    run = load_run(out_dir)
    app = create_app(run, n, progress=True)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    url = f"http://{host}:{sock.getsockname()[1]}/"
    click.echo(f"review page: {url}  (verdicts go to {out_dir}/audit.jsonl; Ctrl-C to stop)", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


@audit.command(name="merge")
@click.argument("out_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--data-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the bench input's rows with the audited labels folded in (JSONL).",
)
def merge_cmd(out_dir: str, data_out: str | None) -> None:
    """Fold OUT_DIR/audit.jsonl in as labels; print each reward's FP and FN rates (Wilson 95%)."""
    from .merge import merge

    summary = merge(out_dir, data_out)
    _print(summary)
    click.echo(f"wrote {out_dir}/audit_labels.jsonl and audit_summary.json" + (f" and {data_out}" if data_out else ""))


def _print(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(r: dict[str, Any]) -> str:
        if r["rate"] is None:
            return "-"
        lo, hi = r["ci95"]
        return f"{r['rate']:.3f} [{lo:.3f}, {hi:.3f}] ({r['k']}/{r['n']})"

    t = Table(
        "reward",
        "threshold",
        "false-positive rate [95% CI]",
        "false-negative rate [95% CI]",
        title=f"{summary['verdicts']} verdicts ({summary['skipped']} skipped); "
        f"labels changed: {cell(summary['label_changed'])}",
    )
    for col, d in summary["rewards"].items():
        t.add_row(col, f"{d['threshold']:g}", cell(d["false_positive"]), cell(d["false_negative"]))
    Console(width=max(120, Console().width)).print(t)
