"""rewardkit as the judge of a TRL environment: ``rewardkit.environment(tools, reward)``.

TRL's ``GRPOTrainer(environment_factory=...)`` makes one environment per rollout, exposes its public
methods as tools, runs the model's tool calls against them in its own tool loop, and, when the
environment defines ``get_reward()``, adds it as a reward source. This module builds that factory
from a tools class, module or list of functions, and makes ``get_reward()`` a rewardkit composite
over the rollout's trajectory (the completion TRL hands reward functions: assistant messages with
``tool_calls`` and the tool results) and the environment's state::

    env = rewardkit.environment(Calculator, [{"name": "tools.call_format"}, {"name": "math.equivalence"}])
    trainer = GRPOTrainer(model, args=GRPOConfig(..., reward_weights=env.reward_weights),
                          train_dataset=ds, **env.trainer_kwargs())

``env.reward_funcs`` holds one function per term (weight 0: logged, not summed) that scores the batch
once with the composite and hands every environment its total; ``get_reward()`` then returns it
(weight 1, logged by TRL under the environment class's name). A rollout on which a ``drop`` term
errored or timed out gets ``None`` from every function and from ``get_reward()``: TRL leaves it out
of its group (advantage 0), never a silent 0. Each term's None/error/timeout/dropped counts go
through TRL's ``log_metric`` as ``rewardkit/<term>/...``.

Rewards see two extra columns: ``tools`` (the OpenAI specs of the environment's tools, unless the
dataset has its own ``tools`` column) and ``env_state`` (per rollout: ``{"calls": [...], **state}``
where each call is ``{"name", "arguments", "result"}`` or ``{"name", "arguments", "error"}`` as the
environment ran it, and ``state`` is the tools object's own ``state`` mapping when it has one).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .composite import Composite
from .trl_adapter import BatchHook, TermFunction, _BatchCache

__all__ = ["Environment", "environment"]

#: Members of a tools class that are never tools.
NOT_TOOLS = frozenset({"reset", "get_reward", "state"})
ENV_STATE = "env_state"
TOOLS_COLUMN = "tools"


class EnvironmentError_(RuntimeError):  # noqa: N801 - not the builtin EnvironmentError (an OSError alias)
    """The environment adapter is used in a way TRL's loop cannot serve."""


def _tool_functions(tools: Any) -> tuple[type | None, dict[str, Callable[..., Any]]]:
    """``(class or None, name -> function)`` for a tools class, module or sequence of functions."""
    if inspect.isclass(tools):
        found: dict[str, Callable[..., Any]] = {n: f for n, f in inspect.getmembers(tools, inspect.isfunction)
                                                if not n.startswith("_") and n not in NOT_TOOLS}
        cls: type = tools
        return cls, found
    if isinstance(tools, types.ModuleType):
        names = getattr(tools, "__all__", None)
        if names is None:
            names = [n for n, f in vars(tools).items() if inspect.isfunction(f) and f.__module__ == tools.__name__]
        return None, {n: getattr(tools, n) for n in names if not n.startswith("_") and n not in NOT_TOOLS}
    if isinstance(tools, Sequence) and not isinstance(tools, (str, bytes)):
        out = {}
        for fn in tools:
            if not callable(fn) or not hasattr(fn, "__name__"):
                raise TypeError(f"rewardkit.environment: tools must be functions, got {fn!r}")
            out[fn.__name__] = fn
        return None, out
    raise TypeError(f"rewardkit.environment: tools must be a class, a module or a list of functions, "
                    f"got {type(tools).__name__}")


def _method(name: str, fn: Callable[..., Any], bound: bool) -> Callable[..., Any]:
    """A method of the environment class that runs the tool and records the call.

    It carries the tool's signature (with ``self``), resolved type hints and docstring, so TRL (through
    ``transformers.utils.get_json_schema``) renders the same tool schema as for the original.
    """
    if inspect.iscoroutinefunction(fn):
        raise TypeError(f"rewardkit.environment: tool {name!r} is async; only plain functions are supported")

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(name, args, kwargs)

    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if bound:  # an unbound method of the tools class: its first parameter is self already
        params = params[1:]
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = sig.replace(parameters=[self_param, *params])  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    method.__annotations__ = typing.get_type_hints(fn)
    return method


class _EnvironmentBase:
    """What every generated environment class has: state, reset, the call record and get_reward."""

    _tools_class: type | None = None
    _functions: dict[str, Callable[..., Any]] = {}

    def __init__(self) -> None:
        self._impl = self._tools_class() if self._tools_class is not None else None
        self.calls: list[dict[str, Any]] = []
        self._total: float | None = None
        self._scored = False

    def reset(self, **row: Any) -> Any:
        """Start a rollout: clear the record; the tools object's own ``reset(**row)`` runs when it has one."""
        self.calls = []
        self._total, self._scored = None, False
        hook = getattr(self._impl, "reset", None)
        return hook(**row) if callable(hook) else None

    @property
    def state(self) -> dict[str, Any]:
        """``{"calls": [...]}`` plus the tools object's ``state`` mapping, if it has one."""
        own = getattr(self._impl, "state", None)
        return {"calls": list(self.calls), **(dict(own) if isinstance(own, Mapping) else {})}

    def _run(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn = getattr(self._impl, name) if self._impl is not None else self._functions[name]
        record: dict[str, Any] = {"name": name, "arguments": dict(kwargs, **{f"_{i}": a for i, a in enumerate(args)})}
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            self.calls.append(record)
            raise  # TRL turns it into the tool message {'error': ...}
        record["result"] = result
        self.calls.append(record)
        return result

    def _set_total(self, total: float | None) -> None:
        self._total, self._scored = total, True

    def get_reward(self) -> float | None:
        """The rewardkit composite's total for this rollout (``None`` when a failed term dropped it)."""
        if not self._scored:
            raise EnvironmentError_(
                "rewardkit environment: get_reward() before the rollout was scored; pass the environment's "
                "reward_funcs to GRPOTrainer (env.trainer_kwargs() does) so the composite sees the trajectory")
        return self._total


class _EnvTerm(TermFunction):
    """One composite term as a TRL reward function that also hands each environment its total."""

    def __init__(self, cache: _BatchCache, term: str, specs: list[dict[str, Any]]) -> None:
        super().__init__(cache, term)
        self._specs = specs

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None,
                 **kwargs: Any) -> list[float | None]:
        envs = kwargs.get("environments")
        if envs is None or len(envs) != len(completions):
            raise EnvironmentError_(
                f"rewardkit environment term {self.term!r}: TRL passed no environments (use it with "
                "GRPOTrainer(environment_factory=env), the factory this term belongs to)")
        extra: dict[str, Any] = {ENV_STATE: [e.state for e in envs]}
        if kwargs.get(TOOLS_COLUMN) is None:
            extra[TOOLS_COLUMN] = [self._specs] * len(completions)
        out = super().__call__(prompts, completions, completion_ids, **{**kwargs, **extra})
        result = self._cache._result
        assert result is not None
        for env, total in zip(envs, result.total):
            env._set_total(total)
        return out


class Environment:
    """An ``environment_factory`` for TRL whose ``get_reward()`` is a rewardkit composite.

    Call it for a fresh environment (TRL does, once per concurrent rollout). ``reward_funcs`` and
    ``reward_weights`` go to ``GRPOTrainer`` and ``GRPOConfig``; ``trainer_kwargs()`` gives both
    ``environment_factory`` and ``reward_funcs``. ``tool_specs`` are the tools' OpenAI specs.
    """

    def __init__(self, tools: Any, composite: Composite, *, name: str = "rewardkit_total",
                 on_batch: BatchHook | None = None) -> None:
        cls, functions = _tool_functions(tools)
        if not functions:
            raise TypeError(f"rewardkit.environment: {tools!r} has no public tool functions")
        members: dict[str, Any] = {n: _method(n, f, bound=cls is not None) for n, f in functions.items()}
        members.update(_tools_class=cls, _functions=dict(functions) if cls is None else {},
                       __doc__=f"A rewardkit-judged TRL environment with tools {', '.join(functions)}.")
        self.env_class: type = type(name, (_EnvironmentBase,), members)
        self.composite = composite
        self.tool_names = list(functions)
        self.tool_specs = self._specs()
        cache = _BatchCache(composite, on_batch)
        self.reward_funcs: list[TermFunction] = [_EnvTerm(cache, t.name, self.tool_specs) for t in composite.terms]

    def __call__(self) -> Any:
        return self.env_class()

    @property
    def reward_weights(self) -> list[float]:
        """GRPOConfig's weights for ``reward_funcs``: 0 each (TRL adds ``get_reward`` with weight 1)."""
        return [0.0] * len(self.reward_funcs)

    def trainer_kwargs(self) -> dict[str, Any]:
        return {"environment_factory": self, "reward_funcs": list(self.reward_funcs)}

    def _specs(self) -> list[dict[str, Any]]:
        """The tools' OpenAI specs, as TRL renders them into the prompt (``get_json_schema``)."""
        from transformers.utils import get_json_schema

        probe = self.env_class()
        return [get_json_schema(getattr(probe, n)) for n in self.tool_names]

    def __repr__(self) -> str:
        return f"<rewardkit environment {self.env_class.__name__}: tools {self.tool_names}, terms {self.composite.names}>"


def environment(tools: Any, reward: Any, *, name: str = "rewardkit_total", on_error: str = "drop",
                allow_negative: bool = False, on_batch: BatchHook | None = None) -> Environment:
    """Build a TRL ``environment_factory`` from ``tools`` whose ``get_reward()`` is the rewardkit ``reward``.

    ``tools``: a class (one instance per rollout; its public methods are the tools, its optional
    ``reset(**row)`` and ``state`` mapping are used), a module (its public functions) or a list of
    functions. Tools need type hints and Google-style docstrings, as TRL requires. ``reward``: a
    :class:`~rewardkit.Composite`, a list of term tables (``{"name", "weight", ...}`` as in a training
    config), or one reward name. ``name`` is the environment class's name, under which TRL logs the total.
    """
    if isinstance(reward, Composite):
        composite = reward
    else:
        tables = [{"name": reward}] if isinstance(reward, str) else list(reward)
        composite = Composite.from_config(tables, on_error=on_error, allow_negative=allow_negative)
    return Environment(tools, composite, name=name, on_batch=on_batch)
