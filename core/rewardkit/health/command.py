"""The ``rewardkit health RUN_DIR`` command: the per-term table and the alarms of a training run."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .report import load_run, replay, run_settings, term_table


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _parse_set(items: tuple[str, ...]) -> dict[str, Any]:
    import tomllib

    out: dict[str, Any] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE, e.g. hacking_window=6", param_hint="--set")
        try:
            out[key.strip().removeprefix("alarms.")] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip().removeprefix("alarms.")] = value
    return out


@click.command(name="health")
@click.argument("run_dir", type=click.Path(exists=True))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override an alarm setting, e.g. --set hacking_window=6 --set off='[\"dominance\"]'.")
@click.option("--json", "as_json", is_flag=True, help="Print the table and alarms as JSON.")
@click.option("--fail-on-alarm", is_flag=True, help="Exit with status 1 when any alarm fires.")
def health(run_dir: str, overrides: tuple[str, ...], as_json: bool, fail_on_alarm: bool) -> None:
    """Reward health of a training run: per-term table and the alarms, replayed from RUN_DIR/metrics.jsonl.

    The same five monitors as during training (hacking, failure_spike, no_signal, dominance,
    length_drift) with the run's own thresholds; see docs/train.md.
    """
    from ..errors import RewardkitError

    try:
        log = load_run(run_dir)
        extra = _parse_set(overrides)
        alarms = replay(log, extra)
        settings, _, _ = run_settings(log, extra)
    except RewardkitError as exc:
        raise click.ClickException(str(exc)) from None
    rows = term_table(log)
    if as_json:
        click.echo(json.dumps({"run": str(log.folder), "steps": len(log.steps), "terms": rows,
                               "alarms": [a.record() for a in alarms], "settings": vars(settings)}, indent=2))
    else:
        _print(log, rows, alarms)
    if fail_on_alarm and alarms:
        sys.exit(1)


def _print(log: Any, rows: list[dict[str, Any]], alarms: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    steps = [r.get("step") for r in log.steps]
    console.print(f"run {log.folder}: {len(steps)} logged steps" + (f" ({steps[0]}..{steps[-1]})" if steps else ""))
    table = Table("kind", "name", "first", "last", "mean", "n", "none", "error", "timeout", "dropped")
    for r in rows:
        table.add_row(r["kind"], r["name"], *(_fmt(r[k]) for k in ("first", "last", "mean", "n", "none", "error",
                                                                     "timeout", "dropped")))
    from ..bench.fmt import keep_whole

    keep_whole(table, 1)  # a reward name is never cut or wrapped
    console.print(table)
    if not alarms:
        console.print("no alarms: reward health looks fine")
    for a in alarms:
        saved = log.folder / "alarms" / f"{a.step}-{a.name}.jsonl"
        console.print(f"[bold red]ALARM[/] {a.line()}" + (f" (samples: {saved})" if saved.is_file() else ""),
                      highlight=False)
