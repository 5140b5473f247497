"""The ``rewardkit bench`` command."""

from __future__ import annotations

import click

from .job import AUTO_COSTS, COSTS


def parse_thresholds(values: tuple[str, ...]) -> dict[str, float]:
    """``--threshold [NAME=]NUMBER`` values -> ``{name or '*': number}`` (shared by bench and probe)."""
    out = {}
    for v in values:
        name, eq, num = v.rpartition("=")
        try:
            out[name if eq else "*"] = float(num)
        except ValueError:
            raise click.BadParameter(f"expected [NAME=]NUMBER, got {v!r}", param_hint="--threshold") from None
    return out


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        col, eq, path = v.partition("=")
        if not eq or not col or not path:
            raise click.BadParameter(f"expected COL=PATH, got {v!r}", param_hint="--map")
        out[col] = path
    return out


@click.command(name="bench")
@click.argument("data", required=False, type=click.Path(exists=False))
@click.option(
    "-r",
    "--reward",
    "reward_args",
    multiple=True,
    metavar="NAME[:k=v,...]",
    help="Reward to benchmark, with parameters; repeat for several. Default: every installed reward that applies.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="Training config (TOML): benchmark the composite of its [[reward]] tables.",
)
@click.option(
    "--completion-col", default="completion", show_default=True, help="Column (dotted path) holding the completion."
)
@click.option("--prompt-col", default=None, help="Column holding the prompt [default: 'prompt' when present].")
@click.option(
    "--map",
    "col_map",
    multiple=True,
    metavar="COL=PATH",
    help="Give the reward column COL from PATH (e.g. answer=meta.gold).",
)
@click.option(
    "--label", default=None, metavar="COL", help="Boolean label column: accuracy, precision, recall, F1, ROC-AUC."
)
@click.option(
    "--pairs", default=None, metavar="CHOSEN,REJECTED", help="Chosen/rejected completion columns: pairwise accuracy."
)
@click.option(
    "--threshold",
    "threshold_args",
    multiple=True,
    metavar="[NAME=]VALUE",
    help="Score at or above which a reward says yes [default: middle of its range].",
)
@click.option(
    "-o", "--out", default="bench-out", show_default=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for cpu rewards [default: all cores].",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Items per call of fast and model rewards.",
)
@click.option(
    "--shard-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Items per result shard (the unit of resume).",
)
@click.option(
    "--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where to score."
)
@click.option(
    "--ray-address", default=None, help="Ray cluster address [default: RAY_ADDRESS, or a local Ray instance]."
)
@click.option("--resume", is_flag=True, help="Reuse the shards of an interrupted run in --out.")
@click.option("--skip-bad-rows", is_flag=True, help="Record malformed JSONL lines instead of stopping.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N rows.")
@click.option(
    "--cost",
    "costs",
    default=",".join(AUTO_COSTS),
    show_default=True,
    help="Cost classes to include when choosing rewards automatically (without --reward); add 'model' "
    "for reward models and in-process judges, which take minutes to hours on a CPU.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Disagreement examples of each kind per reward.",
)
@click.option("--no-plots", is_flag=True, help="Skip the matplotlib plots.")
@click.option(
    "--baseline",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    metavar="OLD_OUT_DIR",
    help="Compare item by item with an earlier bench run of the same data.",
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="With --baseline: exit 1 when a labelled metric drops beyond its 95% interval.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--turns", "per_turn", is_flag=True,
              help="Also score per turn the rewards with a per-turn mode (turns.json, printed).")
def bench(
    data,
    reward_args,
    config,
    completion_col,
    prompt_col,
    col_map,
    label,
    pairs,
    threshold_args,
    out,
    workers,
    batch_size,
    shard_size,
    backend,
    ray_address,
    resume,
    skip_bad_rows,
    limit,
    costs,
    samples,
    no_plots,
    baseline,
    fail_on_regression,
    quiet,
    per_turn=False,
):
    """Score stored completions offline with rewards, compare them with labels, and write a report.

    DATA is a JSONL, CSV or Parquet file or a dataset saved with save_to_disk. Without DATA it
    scores the bundled GSM8K completions. Without --reward it picks the installed rewards the
    rows can feed whose cost is in --cost (fast and cpu: minutes, not hours) and says which.
    Writes scores.parquet, summary.json, signatures.json, report.md, report.html and plots/
    into --out.
    """
    from .api import run
    from .job import parse_pairs
    from .options import BenchOptions

    cost_list = [c.strip() for c in costs.split(",") if c.strip()]
    bad = [c for c in cost_list if c not in COSTS]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not one of {list(COSTS)}", param_hint="--cost")

    def log(msg: str) -> None:
        if not quiet:
            click.echo(msg, err=True)

    if per_turn and data is None:
        raise click.UsageError("--turns needs DATA: a file of trajectories")
    if fail_on_regression and not baseline:
        raise click.UsageError("--fail-on-regression needs --baseline OLD_OUT_DIR")
    options = BenchOptions(
        data,
        rewards=list(reward_args),
        config=config,
        out=out,
        completion_col=completion_col,
        prompt_col=prompt_col,
        mapping=_mapping(col_map),
        label=label,
        pairs=parse_pairs(pairs),
        thresholds=parse_thresholds(threshold_args),
        skip_bad_rows=skip_bad_rows,
        limit=limit,
        costs=cost_list,
        shard_size=shard_size,
        batch_size=batch_size,
        workers=workers,
        backend=backend,
        ray_address=ray_address,
        resume=resume,
        progress=not quiet,
        samples=samples,
        plots=not no_plots,
        baseline=baseline,
        log=log,
    )
    summary = run(options=options)
    _print_summary(summary, quiet)
    click.echo(f"wrote {out}/report.html, report.md, summary.json, scores.parquet")
    if per_turn:
        from .turns import per_turn_figures, write_and_print

        figures = per_turn_figures(data, list(reward_args), completion_col=completion_col, prompt_col=prompt_col,
                                   mapping=_mapping(col_map), limit=limit)
        write_and_print(figures, out, click.echo)
    if "baseline" in summary:
        from .baseline import print_comparison

        print_comparison(summary["baseline"])
        if fail_on_regression and summary["baseline"]["regressions"]:
            click.echo("regression against the baseline: " + "; ".join(summary["baseline"]["regressions"]), err=True)
            raise SystemExit(1)


def _print_summary(summary: dict, quiet: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from .fmt import fmt as _fmt
    from .fmt import keep_whole

    table = Table(
        "reward", "mean", "none", "error", "timeout", "items/s", "p95 ms", "accuracy", "F1", "AUC", "pairwise"
    )
    cols = dict(summary["rewards"])
    if "composite" in summary:
        cols["composite"] = summary["composite"]
    for label, c in cols.items():
        k = c.get("classification") or {}
        table.add_row(
            label,
            _fmt(c["distribution"]["mean"]),
            _fmt(c["outcomes"]["none"]),
            _fmt(c["outcomes"]["error"]),
            _fmt(c["outcomes"]["timeout"]),
            _fmt(c["latency"]["items_per_second"]),
            _fmt(c["latency"]["p95_ms"]),
            _fmt(k.get("accuracy")),
            _fmt(k.get("f1")),
            _fmt(c.get("roc_auc")),
            _fmt((c.get("pairwise") or {}).get("accuracy")),
        )
    keep_whole(table)
    Console(width=max(120, Console().width)).print(table)
