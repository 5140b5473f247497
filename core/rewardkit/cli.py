"""The ``rewardkit`` command line. Heavy imports live inside the commands."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from typing import Any

import click

from .errors import RewardkitError

#: Built-in commands that live in their own modules, imported only when invoked.
LAZY_COMMANDS = {
    "bench": ("rewardkit.bench.command", "bench", "Score stored completions offline and write a report."),
    "train": ("rewardkit.train.command", "train", "Train a model with GRPO (TRL) on the configured rewards."),
    "sft": ("rewardkit.train.command", "sft", "Supervised warm-up (TRL SFTTrainer) before GRPO."),
    "health": ("rewardkit.health.command", "health", "Reward health of a training run: per-term table and alarms."),
    "new-plugin": ("rewardkit.authoring.scaffold", "new_plugin", "Generate a new reward plugin distribution."),
    "check-plugin": ("rewardkit.authoring.command", "check_plugin", "Run the contract checks on an installed plugin."),
    "serve": ("rewardkit.serve.command", "serve", "Serve rewards over HTTP (native, OpenRLHF), locally or on Ray Serve."),
    "probe": ("rewardkit.probe.command", "probe", "Attack rewards with exploit completions; report accept rates."),
    "audit": ("rewardkit.audit.command", "audit", "Review a bench run's disagreements in the browser; merge verdicts."),
    "demo": ("rewardkit.demo", "demo", "The main job: GRPO on a reasoning-gym task on CPU, held-out accuracy before/after."),
}


#: Optional dependencies by top-level module: the extra that installs each (pyproject.toml).
EXTRA_OF_MODULE = {
    **dict.fromkeys(("pyarrow", "matplotlib", "numpy"), "bench"),
    **dict.fromkeys(("torch", "transformers", "trl", "accelerate", "datasets", "peft", "tokenizers", "gguf"), "train"),
    **dict.fromkeys(("fastapi", "uvicorn", "httpx", "prometheus_client"), "serve"),
    "ray": "ray",
}


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


class RewardkitGroup(click.Group):
    """A group whose built-in heavy commands import on first use; plugins add more via a hook.

    Plugins are imported only when a command needs them: ``rewardkit --help`` and ``rewardkit
    plugins`` never wait on a plugin's import; a name that is no built-in command loads the
    plugins' commands (bounded, see :mod:`rewardkit.plugins`) and is looked up again.
    """

    plugin_commands_loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [n for n, (mod, _, _) in LAZY_COMMANDS.items() if _module_exists(mod)]
        return sorted(set(super().list_commands(ctx)) | set(lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        if name not in LAZY_COMMANDS:
            if not self.plugin_commands_loaded:
                self.plugin_commands_loaded = True
                add_plugin_commands(self)
                return super().get_command(ctx, name)
            return None
        module, attr, _ = LAZY_COMMANDS[name]
        if not _module_exists(module):
            return None
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS and name not in self.commands:
                rows.append((name, LAZY_COMMANDS[name][2]))
            else:
                cmd = self.commands.get(name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=formatter.width - 20)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
        if not self.plugin_commands_loaded:
            with formatter.section("Plugin commands"):
                formatter.write_text("Installed plugins may add commands; they are imported when you run one "
                                     "('rewardkit plugins --load' lists each plugin's hooks).")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RewardkitError as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            root = (exc.name or "").split(".")[0]
            if root not in EXTRA_OF_MODULE:
                raise
            command = ctx.invoked_subcommand or "this command"
            raise click.ClickException(
                f"'rewardkit {command}' needs {root}, which is not installed: "
                f"pip install 'rewardkit[{EXTRA_OF_MODULE[root]}]'"
            ) from None


@click.group(cls=RewardkitGroup)
@click.version_option(package_name="rewardkit")
def cli() -> None:
    """rewardkit: reward functions and verifiers as plugins, for GRPO training.

    Plugins are discovered through the 'rewardkit' entry-point group. Set
    REWARDKIT_LOAD_PLUGINS=a,b to load only those (empty: none) and
    REWARDKIT_BLOCK_PLUGINS=a,b to skip some.
    """


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--load", is_flag=True,
              help="Import every plugin (each bounded by REWARDKIT_PLUGIN_TIMEOUT) to show its hooks, rewards "
                   "and load errors; without it nothing is imported.")
def plugins_command(as_json: bool, load: bool) -> None:
    """List installed plugins: name, version, module; with --load also hooks, rewards and load errors."""
    from .plugins import entry_point_infos, plugin_infos

    if load:
        from .registry import registry

        root = click.get_current_context().find_root().command
        if isinstance(root, RewardkitGroup) and not root.plugin_commands_loaded:
            root.plugin_commands_loaded = True
            add_plugin_commands(root)  # command hooks too: their problems are printed as warnings
        registry.errors()  # run registration so that hook failures are recorded too
        specs = registry.specs()
        infos = plugin_infos()
    else:
        specs, infos = {}, entry_point_infos()
    data: list[dict[str, Any]] = [
        {"name": i.name, "distribution": i.distribution, "version": i.version, "module": i.module,
         "hooks": i.hooks if load else None,
         "rewards": sorted(n for n, s in specs.items() if s.plugin == i.name) if load else None,
         "error": i.error, "loaded": load}
        for i in infos
    ]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    if not load:
        table = Table("plugin", "distribution", "version", "module")
        for d in data:
            table.add_row(d["name"], d["distribution"] or "-", d["version"] or "-", d["module"])
    else:
        table = Table("plugin", "version", "hooks", "rewards", "status")
        for d in data:
            status = "[red]error: " + d["error"] + "[/red]" if d["error"] else "ok"
            table.add_row(d["name"], d["version"] or "-", ", ".join(d["hooks"]), ", ".join(d["rewards"]), status)
    Console(width=max(100, Console().width)).print(table)
    if not data:
        click.echo("No plugins installed. Try: pip install -e plugins/rewardkit-format")
    elif not load:
        click.echo("Not imported; 'rewardkit plugins --load' imports each (bounded) to show hooks, rewards and errors.")


@cli.command(name="rewards")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rewards_command(names: tuple[str, ...], as_json: bool) -> None:
    """List registered rewards with plugin, columns, range, cost and parameters.

    A reward that executes text from its inputs (sandboxed) shows "executes inputs" beside its cost.
    """
    from .registry import registry

    specs = registry.specs()
    chosen = [registry.get(n) for n in names] if names else [specs[k] for k in sorted(specs)]
    if as_json:
        click.echo(json.dumps([s.describe() for s in chosen], indent=2, default=repr))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("reward", "plugin", "columns", "range", "cost", "parameters", "description")
    for s in chosen:
        params = ", ".join(f"{k}={p.default!r}" for k, p in s.params.items())
        table.add_row(s.name, f"{s.plugin} {s.version}", ", ".join(s.columns) or "-",
                      f"[{s.lo:g}, {s.hi:g}]", s.cost + ("; executes inputs" if s.executes_inputs else ""),
                      params or "-", s.description)
    from .bench.fmt import keep_whole

    keep_whole(table)  # a reward name is never cut or wrapped
    Console(width=max(140, Console().width)).print(table)
    _warn_plugin_errors()


def _warn_plugin_errors() -> None:
    """Name every plugin whose import or registration failed, with file:line (REWARDKIT_DEBUG=1: the traceback)."""
    from .plugins import load_errors

    errors = load_errors()
    for plugin, err in errors.items():
        click.echo(f"warning: plugin {plugin!r} failed to load; its rewards are missing: {err}", err=True)
    if errors and not os.environ.get("REWARDKIT_DEBUG"):
        click.echo("(set REWARDKIT_DEBUG=1 to print each failure's full traceback)", err=True)


@cli.command(name="score")
@click.option("-r", "--reward", "reward_args", multiple=True, required=True, metavar="NAME[:k=v,...]",
              help="Reward to apply, with parameters; repeat for several.")
@click.option("-c", "--completion", "completion_text", help="Score this one completion.")
@click.option("-p", "--prompt", "prompt_text", default=None, help="The prompt of --completion.")
@click.option("--column", "column_args", multiple=True, metavar="COL=VALUE",
              help="A column value for --completion (e.g. --column answer=42).")
@click.option("--column-file", "column_files", multiple=True, metavar="COL=PATH",
              help="A column value for --completion read from PATH ('-': stdin), kept off the command line, "
              "which other local users can read (e.g. --column-file tests=tests.json).")
@click.option("-f", "--file", "path", type=click.Path(dir_okay=True), help="Score every row of a JSONL/CSV/Parquet file.")
@click.option("--completion-col", default="completion", show_default=True, help="Column (dotted path) holding the completion.")
@click.option("--prompt-col", default=None, help="Column holding the prompt.")
@click.option("--map", "col_map", multiple=True, metavar="COL=PATH", help="Give the reward column COL from PATH.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per row.")
@click.option("--skip-bad-rows", is_flag=True, help="With --file: skip malformed JSONL lines (each named on stderr).")
def score_command(reward_args, completion_text, prompt_text, column_args, path, completion_col, prompt_col, col_map, as_json,
                  column_files=(), skip_bad_rows=False):
    """Score one completion or a file of completions with named rewards."""
    from .data import column, read_rows
    from .reward import reward
    from .rewardspec_arg import parse_reward_arg, parse_value

    bound = [reward(name, **params) for name, params in map(parse_reward_arg, reward_args)]
    if (completion_text is None) == (path is None):
        raise click.UsageError("give exactly one of --completion TEXT or --file PATH")
    if completion_text is not None:
        completions = [completion_text]
        prompts = [prompt_text or ""]
        columns: dict[str, list[Any]] = {}
        for arg in column_args:
            key, eq, value = arg.partition("=")
            if not eq:
                raise click.BadParameter(f"expected COL=VALUE, got {arg!r}", param_hint="--column")
            columns[key] = [parse_value(value) if value[:1] in "[{" else value]
        for arg in column_files:
            key, eq, where = arg.partition("=")
            if not eq or not where:
                raise click.BadParameter(f"expected COL=PATH, got {arg!r}", param_hint="--column-file")
            with click.open_file(where, encoding="utf-8") as fh:  # "-" is stdin
                text = fh.read()
            columns[key] = [parse_value(text.strip()) if text.lstrip()[:1] in "[{" else text]
    else:
        rows = _message_rows(path) or read_rows(path, skip_bad=skip_bad_rows)
        for b in rows.bad:
            click.echo(f"skipped {b.path}:{b.line}: malformed JSON line: {b.error}", err=True)
        split = _split_conversations(rows, completion_col)
        completions = column(rows, completion_col)
        prompts = column(rows, prompt_col or "prompt") if prompt_col or split else None
        mapping = dict(a.partition("=")[::2] for a in col_map)
        # the host fills the trajectory column from each completion unless a column is mapped to it
        needed = {c for r in bound for c in r.columns if c != "trajectory" or "trajectory" in mapping}
        columns = {c: column(rows, mapping.get(c, c)) for c in needed}
    results = [r.score(completions, prompts=prompts, **columns) for r in bound]
    if as_json:
        for i in range(len(completions)):
            click.echo(json.dumps({r.reward: _json_item(r, i) for r in results}))
    else:
        _print_scores(completions, results)
    failed = sum(r.errors + r.timeouts for r in results)
    if failed:
        click.echo(f"{failed} error/timeout outcome(s); see the messages above", err=True)


def _message_rows(path: str) -> Any:
    """A JSONL file whose lines are message lists (whole conversations), as rows ``{"messages": [...]}``;
    ``None`` for any other file (read as usual)."""
    from pathlib import Path

    from .data import Rows

    p = Path(path)
    if p.suffix != ".jsonl" or not p.is_file():
        return None
    with p.open(encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip()), "")
        if not first.lstrip().startswith("["):
            return None
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append({"messages": json.loads(line)})
            except ValueError as exc:
                raise click.UsageError(f"{path}:{n}: malformed JSON line: {exc}") from None
    return Rows(rows, [], str(path))


def _split_conversations(rows: Any, completion_col: str) -> bool:
    """Rows with ``messages`` (a whole conversation) and no completion: the messages before the first assistant
    message become the ``prompt`` (its text), the rest the completion (a trajectory). True when any was split."""
    from .trajectory import split_messages
    from .utils import completion_text

    split = False
    for i, row in enumerate(rows.rows):
        if completion_col not in row and isinstance(row.get("messages"), list):
            prompt, row[completion_col] = split_messages(row["messages"], f"{rows.source}: row {i + 1}")
            row.setdefault("prompt", completion_text([m for m in prompt if m.get("role") == "user"] or ""))
            split = True
    return split


def _json_item(scores: Any, i: int) -> dict[str, Any]:
    """One item's outcome for ``score --json``: value, status, and for an error its reason and message."""
    item: dict[str, Any] = {"value": scores.values[i], "status": scores.statuses[i].value}
    if i in scores.messages:
        item["reason"] = scores.reasons[i].value if i in scores.reasons else None
        item["message"] = scores.messages[i]
    return item


def _print_scores(completions: list[str], results: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("#", "completion", *[r.reward for r in results])
    for i, c in enumerate(completions[:200]):
        cells = []
        for r in results:
            st = r.statuses[i].value
            cells.append(f"{r.values[i]:.4g}" if st == "value" else (f"[red]{st}[/red]" if st != "none" else "None"))
        preview = (c if isinstance(c, str) else _answer_preview(c)).replace("\n", " ")
        table.add_row(str(i), preview[:60] + ("..." if len(preview) > 60 else ""), *cells)
    console = Console(width=max(100, Console().width))
    console.print(table)
    if len(completions) > 200:
        console.print(f"... {len(completions) - 200} more rows (use --json for all)")
    for r in results:
        mean = r.mean()
        counts = r.counts
        console.print(
            f"{r.reward}: mean {mean:.4f}" if mean is not None else f"{r.reward}: no values",
            f"(n={len(r)}, none={counts['none']}, errors={counts['error']}, timeouts={counts['timeout']}, {r.seconds:.3f}s)",
        )
        for i, msg in list(r.messages.items())[:5]:
            console.print(f"  row {i}: {msg}", style="red", markup=False)


def _answer_preview(completion: Any) -> str:
    """A trajectory's row in the score table: its calls and its final answer."""
    from .trajectory import answer_text, tool_calls

    calls = " ".join(f"{c.name}()" for c in tool_calls(completion)) if isinstance(completion, list) else ""
    return (f"{calls} -> " if calls else "") + answer_text(completion)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI (plugins are imported only when a command needs them)."""
    cli.main(args=argv, prog_name="rewardkit")


#: Commands added by plugins, by name: the owning plugin (never a built-in).
_PLUGIN_COMMANDS: dict[str, str] = {}


def add_plugin_commands(group: click.Group) -> dict[str, str]:
    """Add the commands of every plugin's ``rewardkit_register_commands`` to ``group``.

    Each plugin registers into a group of its own (bounded like discovery: a hook that raises,
    hangs or calls ``sys.exit`` only loses that plugin's commands); its commands are then copied
    over unless the name is a built-in command or another plugin's. Returns the problems by plugin
    (also printed as warnings).
    """
    from .plugins import collect

    builtin = {n for n in group.commands if n not in _PLUGIN_COMMANDS} | set(LAZY_COMMANDS)
    owners: dict[str, str] = {}
    problems: dict[str, str] = {}
    for result in reversed(collect("rewardkit_register_commands", kwarg="cli", make=lambda p: click.Group(name=p))):
        plugin, sandbox = result.plugin, result.value
        if result.error is not None:
            problems[plugin] = f"failed to add commands: {result.error}"
            continue
        refused = []
        for name, command in sandbox.commands.items():
            if name in builtin or name in owners:
                owner = "a built-in command" if name in builtin else f"a command of plugin {owners[name]!r}"
                refused.append(f"command {name!r} refused: it would replace {owner}")
                continue
            owners[name] = _PLUGIN_COMMANDS[name] = plugin
            group.add_command(command, name)
        if refused:
            problems[plugin] = "; ".join(refused)
    for plugin, problem in problems.items():
        click.echo(f"warning: plugin {plugin!r} {problem}", err=True)
    return problems


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
