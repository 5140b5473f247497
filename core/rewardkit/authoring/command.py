"""``rewardkit check-plugin``: the contract checks of :mod:`rewardkit.testing` from the command line."""

from __future__ import annotations

import json
from typing import Any

import click


def _column_value(text: str) -> Any:
    from ..rewardspec_arg import parse_value

    return parse_value(text) if text[:1] in "[{" else text


@click.command(name="check-plugin")
@click.argument("names", nargs=-1, required=True)
@click.option("--column", "column_args", multiple=True, metavar="COL=VALUE",
              help="Sample value of a declared column for every item, in place of the reward's registered "
                   "examples (JSON for lists: keywords='[\"a\"]').")
@click.option("--items", type=click.IntRange(min=1), default=None,
              help="Completions in the sample batch [default: 8; 3 for model rewards].")
@click.option("--long-chars", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Size of the very long completion.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Per-item deadline in seconds [default: each reward's declared timeout].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per check.")
@click.option("--probe", "with_probe", is_flag=True,
              help="Also attack the rewards with `rewardkit probe` (fails above 1% of any family's attacks).")
def check_plugin(names: tuple[str, ...], column_args: tuple[str, ...], items: int | None,
                 long_chars: int, timeout: float | None, as_json: bool, with_probe: bool = False) -> None:
    """Run the reward contract checks on installed plugins (or single rewards).

    NAMES are plugin names (e.g. 'format') or reward names (e.g. 'format.tags'). Prints a
    pass/fail table per reward and exits with status 1 when any rule is broken.
    """
    from ..testing import RULES, ContractResult, check_reward, plugin_rewards

    columns: dict[str, Any] = {}
    for arg in column_args:
        key, eq, value = arg.partition("=")
        if not eq or not key:
            raise click.BadParameter(f"expected COL=VALUE, got {arg!r}", param_hint="--column")
        columns[key] = _column_value(value)
    rewards: list[str] = []
    for name in names:
        rewards += [name] if "." in name else plugin_rewards(name)
    result = ContractResult()
    for name in dict.fromkeys(rewards):
        result.extend(check_reward(name, columns=columns, items=items, long_chars=long_chars, timeout=timeout))
    if as_json:
        for row in result.to_dicts():
            click.echo(json.dumps(row))
    else:
        _print_tables(result, RULES)
    for c in result.failures:
        click.echo(f"FAIL {c.reward}: rule '{c.rule}' ({RULES.get(c.rule, '')}): {c.message}", err=True)
    click.echo(result.summary(), err=True)
    probe_ok = True
    if with_probe:
        from ..probe.command import probe_rewards

        probe_ok = probe_rewards(list(dict.fromkeys(rewards)))
    if not result.passed or not probe_ok:
        raise SystemExit(1)


def _print_tables(result: Any, rules: dict[str, str]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=max(110, Console().width))
    style = {"pass": "green", "FAIL": "bold red", "skip": "dim"}
    for reward in result.rewards:
        rows = result.for_reward(reward)
        verdict = "[green]pass[/green]" if rows.passed else "[bold red]FAIL[/bold red]"
        table = Table("rule", "result", "message", title=f"{reward}: {verdict}", title_justify="left")
        for c in rows.checks:
            table.add_row(c.rule, f"[{style[c.status]}]{c.status}[/{style[c.status]}]", escape(c.message[:300]))
        console.print(table)
