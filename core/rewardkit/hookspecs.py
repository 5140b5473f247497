"""The hooks a rewardkit plugin may implement.

A plugin is a module declared under the ``rewardkit`` entry-point group. It implements any
of these hooks with the ``@rewardkit.hookimpl`` decorator; the host calls them once, when
plugins are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("rewardkit")
hookimpl = pluggy.HookimplMarker("rewardkit")


@hookspec
def rewardkit_register_rewards(register: Callable[..., Any]) -> None:
    """Register rewards by calling ``register(fn, name=..., description=..., ...)`` once per reward.

    ``fn`` is batch-first and keyword-only: ``fn(*, completions, prompts, <columns>, <params>)``
    returns one finite float inside ``range`` (or ``None``) per completion. Keywords of
    ``register``: ``name`` (``"<plugin>.<reward>"``), ``description`` (one line), ``columns``
    (dataset columns it needs), ``range`` (``(lo, hi)``), ``params`` (name -> default or
    :class:`rewardkit.Param`), ``cost`` (``"fast"``, ``"cpu"`` or ``"model"``),
    ``deterministic``, ``timeout`` (seconds per item: each item's deadline in the worker
    pool for ``cpu`` rewards; ``timeout`` x items for a ``model`` reward's batch), ``fast_path``
    (``cpu`` only: same signature, decides items inline or returns ``rewardkit.DEFER`` for
    those the worker pool must score), ``check_params`` (raises ``ValueError`` on a bad
    combination of parameters) and ``examples`` (declared column -> one sample value, given to
    every item of the contract kit's sample batch in place of its fallbacks; ``rewardkit
    check-plugin --column`` still overrides it; a key that is not a declared column is a
    ``RegistrationError``).

    Example::

        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            register(shouting, name="style.shouting", description="Share of upper-case letters",
                     range=(0.0, 1.0), params={"min_letters": 1})
    """


@hookspec
def rewardkit_register_commands(cli: Any) -> None:
    """Add sub-commands to the ``rewardkit`` command line.

    ``cli`` is the top-level ``click.Group``; decorate new commands with ``@cli.command()``.
    Keep heavy imports inside the command functions so ``rewardkit --help`` stays fast.

    Example::

        @rewardkit.hookimpl
        def rewardkit_register_commands(cli):
            @cli.command(name="hello")
            def hello():
                click.echo("hi")
    """


@hookspec
def rewardkit_register_datasets(register: Callable[..., Any]) -> None:
    """Register data sources by calling ``register(prefix, loader, description="")`` once per source.

    A config's ``[task] dataset = "<prefix>:<name>"`` (and ``rewardkit bench <prefix>:<name>``) is
    then read with ``loader(name, options)``, which returns a list of row dicts. ``options`` holds
    the ``[task]`` keys ``size``, ``seed``, ``split`` and ``config`` (a table of the source's own
    keys, e.g. a generator's difficulty). ``loader`` raises ``ValueError`` naming what is wrong.

    Example::

        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            register("reasoning-gym", load_gym_rows, description="reasoning-gym generated items")
    """


@hookspec
def rewardkit_register_probes(register: Callable[..., Any]) -> None:
    """Register attack families for ``rewardkit probe`` by calling ``register(name, generate, ...)``.

    ``generate(row, target)`` returns a list of ``(variant, completion)`` pairs (or plain
    completions) built from ``row``, a :class:`rewardkit.probe.ProbeRow` with ``index``,
    ``prompt``, ``gold``, ``wrong`` (a plausible wrong answer) and ``reasoning``. ``target`` is
    ``"answer"`` when the probed reward reads a gold column, ``"format"`` otherwise; every
    completion made must deserve to fail a reward of that kind. Keywords of ``register``:
    ``description`` (one line) and ``targets`` (the kinds it attacks, default ``("answer",)``).

    Example::

        @rewardkit.hookimpl
        def rewardkit_register_probes(register):
            register("shouting", lambda row, target: [("caps", f"THE ANSWER IS {row.wrong}")],
                     description="a wrong answer in capitals", targets=("answer",))
    """
