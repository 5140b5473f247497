"""The ``rewardkit probe`` command."""

from __future__ import annotations

from typing import Any

import click

from ..bench.command import parse_thresholds


@click.command(name="probe")
@click.argument("rewards", nargs=-1)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Training config (TOML): probe its composite total and each of its terms.",
)
@click.option(
    "--data",
    type=click.Path(exists=True),
    default=None,
    help="Rows to build attacks from (JSONL/CSV/Parquet) [default: the shipped GSM8K test split].",
)
@click.option("--prompt-col", default=None, help="Prompt column of --data [default: prompt or question].")
@click.option(
    "--answer-col",
    default="answer",
    show_default=True,
    help="Gold column of --data (a GSM8K solution's final answer is taken after ####).",
)
@click.option("--rows", type=click.IntRange(min=1), default=50, show_default=True, help="Rows sampled (seeded).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--family", "family", multiple=True, help="Only this family (repeat for several).")
@click.option(
    "--threshold",
    "threshold_args",
    multiple=True,
    metavar="[NAME=]VALUE",
    help="Pass threshold: a score above it passes [default: middle of the reward's range].",
)
@click.option(
    "--fail-above",
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit 1 when any reward accepts more than this share of some family's attacks.",
)
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write the full result here.")
@click.option("--markdown", "md", is_flag=True, help="Print the accept-rate table as Markdown.")
@click.option("--png", "png_out", type=click.Path(dir_okay=False), default=None,
              help="Write the accept rates as a heatmap (rewards x families) to this PNG file.")
@click.option("--list-families", is_flag=True, help="List the families (built-in and from plugins) and exit.")
@click.option("--all", "everything", is_flag=True,
              help="Also probe every registered reward (model rewards only when named); those needing "
                   "columns the rows lack are listed as skipped.")
def probe(
    rewards: tuple[str, ...],
    config: str | None,
    data: str | None,
    prompt_col: str | None,
    answer_col: str,
    rows: int,
    seed: int,
    family: tuple[str, ...],
    threshold_args: tuple[str, ...],
    fail_above: float | None,
    json_out: str | None,
    md: bool,
    list_families: bool,
    everything: bool,
    png_out: str | None = None,
) -> None:
    """Attack REWARDS with exploit completions built from real rows; report accept rates per family.

    Families: several candidate answers, format-only shells, the gold answer in the reasoning with a
    wrong final answer, the prompt echoed, look-alike tags, padding and repetition, empty and
    extremely long outputs, numbers hidden in words, master keys (':', 'Thought process:', 'The
    answer is' and translations), truncated output, answer-explanation patterns, and any a plugin
    registers. An attack is
    accepted when it scores above the reward's pass threshold.
    """
    from .api import families, family_errors, markdown, worst, write_json
    from .api import probe as run_probe

    for plugin, error in family_errors().items():
        click.echo(f"warning: plugin {plugin!r} added no probe families: {error}", err=True)
    if list_families:
        for f in families().values():
            click.echo(f"{f.name:20} {','.join(f.targets):14} {f.plugin:12} {f.description}")
        return
    result = run_probe(
        list(rewards),
        config=config,
        data=data,
        rows=rows,
        seed=seed,
        family=family,
        thresholds=parse_thresholds(threshold_args),
        prompt_col=prompt_col,
        answer_col=answer_col,
        everything=everything,
        progress=True,
    )
    if json_out:
        write_json(result, json_out)
    if png_out:
        from pathlib import Path

        from ..bench.heatmap import probe_png

        Path(png_out).write_bytes(probe_png(result))
        click.echo(f"wrote {png_out}", err=True)
    if md:
        click.echo(markdown(result))
    else:
        _print(result)
    top = worst(result)
    if fail_above is not None and top is not None and top[2] > fail_above:
        click.echo(
            f"FAIL: {top[0]} accepts {100 * top[2]:.1f}% of the '{top[1]}' attacks "
            f"(--fail-above {100 * fail_above:g}%)",
            err=True,
        )
        raise SystemExit(1)


def _print(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    # only the families that attacked some probed reward: a column of '-' says nothing
    fams = [f for f in result["families"] if any(f in d["families"] for d in result["rewards"].values())]
    table = Table(title=f"accept rate, {result['rows']} rows of {result['source']}")
    longest = max((len(label) for label in result["rewards"]), default=6)
    table.add_column("reward", no_wrap=True, min_width=longest)  # a reward name is never cut (see keep_whole)
    table.add_column("kind", no_wrap=True)
    table.add_column("thr", no_wrap=True)
    for f in fams:
        table.add_column(f, overflow="fold")  # a long family name wraps instead of ending in '...'
    for label, d in result["rewards"].items():
        cells = []
        for f in fams:
            c = d["families"].get(f)
            cells.append("-" if c is None else (f"[red]{100 * c['rate']:.1f}%" if c["accepted"] else "0%"))
        table.add_row(label, d["kind"], f"{d['threshold']:g}", *cells)
    console.print(table)
    for label, d in result["rewards"].items():
        if d.get("skipped"):
            console.print(f"{label}: skipped ({d['skipped']})")
        for f, c in d["families"].items():
            for ex in c["examples"][:1]:
                console.print(
                    f"[bold]{label}[/] accepts {f}/{ex['variant']} (row {ex['row']}, gold {ex['gold']}, "
                    f"score {ex['score']:.3g}): {ex['completion']!r}",
                    markup=True,
                    highlight=False,
                )


def probe_rewards(rewards: list[str], fail_above: float = 0.01, rows: int = 20) -> bool:
    """``check-plugin --probe``: probe ``rewards`` on the shipped GSM8K rows, print the table and the
    verdict; False when some family's accept rate is above ``fail_above``."""
    from .api import probe as run_probe

    result = run_probe(rewards, rows=rows)
    _print(result)
    bad = [
        (r, f, c["rate"])
        for r, d in result["rewards"].items()
        for f, c in d["families"].items()
        if c["rate"] > fail_above
    ]
    for r, f, rate in bad:
        click.echo(
            f"FAIL {r}: probe family '{f}' accepted {100 * rate:.1f}% of its attacks (more than {100 * fail_above:g}%)",
            err=True,
        )
    click.echo(f"probe: {len(bad)} reward/family pair(s) above {100 * fail_above:g}%", err=True)
    return not bad
