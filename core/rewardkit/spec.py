"""What a reward declares: its name, columns, range, parameters and cost class."""

from __future__ import annotations

import json
import math
import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ParameterError, RegistrationError
from .options import DEFAULT_TIMEOUT, HOST_OPTIONS, check_timeout

Cost = Literal["fast", "cpu", "model"]
COSTS: tuple[str, ...] = ("fast", "cpu", "model")
#: What a reward judges, for ``rewardkit probe``: ``answer`` (correctness against a gold column),
#: ``format`` (the layout of the text) or ``style`` (a property that says nothing of correctness or
#: layout, such as length, repetition or an answer that parses: a shaping term paid to wrong answers
#: by design, so no built-in attack applies).
CHECKS: tuple[str, ...] = ("answer", "format", "style")


def judged(columns: Sequence[str]) -> str:
    """What a reward or composite that declares no ``checks`` judges: ``answer`` when it reads columns
    (a gold answer), else ``format``."""
    return "answer" if columns else "format"
#: What a parameter is, for a server's policy: an ordinary ``value``, a ``path`` (a file, folder,
#: model or URL the host reads) or a ``resource`` (memory, time, devices, backends the host spends).
#: ``rewardkit serve`` lets clients set neither of the last two unless its operator says so.
ParamKind = Literal["value", "path", "resource"]
PARAM_KINDS: tuple[str, ...] = ("value", "path", "resource")

#: Keyword names the host passes itself; a reward parameter may not use them.
RESERVED = frozenset({"completions", "prompts", *HOST_OPTIONS, "self"})

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
PARAM_RE = re.compile(r"^[a-z_][a-z0-9_]*$")

#: Returned by a ``fast_path`` for items it cannot decide inline; they go to the worker pool.
DEFER = type("Defer", (), {"__repr__": lambda self: "DEFER", "__reduce__": lambda self: "DEFER"})()


_Type = type  # the builtin, before Param's field named ``type`` shadows it


@dataclass(frozen=True)
class Param:
    """One reward parameter: its default and the values it accepts."""

    default: Any
    help: str = ""
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    type: _Type | tuple[_Type, ...] | None = None
    nullable: bool = False
    kind: ParamKind = "value"

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"Param kind must be one of {list(PARAM_KINDS)}, got {self.kind!r}")

    def accepted_types(self) -> tuple[_Type, ...]:
        if self.type is not None:
            return self.type if isinstance(self.type, tuple) else (self.type,)
        if isinstance(self.default, bool):
            return (bool,)
        if isinstance(self.default, int):
            return (int,)
        if isinstance(self.default, float):
            return (float, int)
        if isinstance(self.default, (list, tuple)):
            return (list, tuple)
        if self.default is None:
            return (object,)
        return (type(self.default),)

    def check(self, reward: str, name: str, value: Any) -> Any:
        """Return ``value`` (converted where lossless) or raise ParameterError naming both."""
        if value is None and (self.nullable or self.default is None):
            return None
        types = self.accepted_types()
        if isinstance(value, bool) and bool not in types and object not in types:
            raise ParameterError(reward, name, f"expected {_type_names(types)}, got bool {value!r}")
        if not isinstance(value, types):
            hint = ""
            if list in types and isinstance(value, str):  # a list written bare on the command line
                hint = (f"; write a list as JSON: -r '{reward}:{name}=[\"a\",\"b\"]' on the command line, "
                        f"{name} = [\"a\", \"b\"] in TOML")
            raise ParameterError(
                reward, name, f"expected {_type_names(types)}, got {type(value).__name__} {value!r}{hint}"
            )
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, list):
            value = tuple(value)
        if self.choices is not None and value not in self.choices:
            raise ParameterError(reward, name, f"{value!r} is not one of {list(self.choices)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise ParameterError(reward, name, f"must be finite, got {value!r}")
            if self.min is not None and value < self.min:
                raise ParameterError(reward, name, f"must be >= {self.min}, got {value!r}")
            if self.max is not None and value > self.max:
                raise ParameterError(reward, name, f"must be <= {self.max}, got {value!r}")
        return value


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in types)


@dataclass(frozen=True)
class RewardSpec:
    """Everything the host knows about one registered reward."""

    name: str
    fn: Callable[..., list]
    description: str
    columns: tuple[str, ...] = ()
    range: tuple[float, float] = (0.0, 1.0)
    params: Mapping[str, Param] = field(default_factory=dict)
    cost: Cost = "fast"
    deterministic: bool = True
    fast_path: Callable[..., list] | None = None
    check_params: Callable[[dict[str, Any]], None] | None = None
    timeout: float = DEFAULT_TIMEOUT
    plugin: str = "__main__"
    version: str = "0"
    #: Sample value per declared column for the contract kit (one value shared by every sample item).
    examples: Mapping[str, Any] = field(default_factory=dict)
    #: The reward executes text from its inputs (a library scorer that ``eval``s an answer, a program
    #: run): it must do so only inside a sandbox, and ``rewardkit serve`` refuses it unless the operator
    #: lists it in the policy's ``executes_inputs``.
    executes_inputs: bool = False
    #: Per-turn mode (rewardkit.turns): same keywords as ``fn``, returns per completion one value per
    #: assistant turn of its trajectory (None for a turn it does not judge).
    turns: Callable[..., list] | None = None
    #: What the reward judges (``CHECKS``); ``None``: ``answer`` when it reads columns, else ``format``.
    checks: str | None = None

    @property
    def kind(self) -> str:
        """What the reward judges: its declared ``checks``, else ``answer`` with columns, ``format`` without."""
        return self.checks or judged(self.columns)

    @property
    def lo(self) -> float:
        return self.range[0]

    @property
    def hi(self) -> float:
        return self.range[1]

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``given`` over the defaults, validating every value (ParameterError on misuse)."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            from .suggest import close_matches

            name = unknown[0]
            hint = close_matches(name, self.params)
            known = ", ".join(sorted(self.params)) or "none"
            raise ParameterError(self.name, name, f"unknown parameter{hint} (parameters: {known})")
        resolved = {k: p.default for k, p in self.params.items()}
        for key, value in given.items():
            resolved[key] = self.params[key].check(self.name, key, value)
        if self.check_params is not None:
            try:
                self.check_params(dict(resolved))
            except ParameterError:
                raise
            except (ValueError, TypeError) as exc:
                raise ParameterError(self.name, getattr(exc, "param", "*"), str(exc)) from None
        return resolved

    def signature(self, params: Mapping[str, Any]) -> str:
        """A stable string naming plugin, version, reward and parameters, for reproducibility."""
        args = json.dumps(dict(sorted(params.items())), sort_keys=True, default=repr, separators=(",", ":"))
        return f"{self.plugin}=={self.version}:{self.name}{args}"

    def describe(self) -> dict[str, Any]:
        """Plain-data metadata, for ``rewardkit rewards --json`` and ``rewardkit.rewards()``."""
        return {
            "name": self.name,
            "plugin": self.plugin,
            "version": self.version,
            "description": self.description,
            "columns": list(self.columns),
            "range": list(self.range),
            "cost": self.cost,
            "deterministic": self.deterministic,
            "timeout": self.timeout,
            "executes_inputs": self.executes_inputs,
            "per_turn": self.turns is not None,
            "checks": self.kind,
            "params": {
                k: {"default": p.default, "help": p.help, **({"choices": list(p.choices)} if p.choices else {}),
                    **({"kind": p.kind} if p.kind != "value" else {})}
                for k, p in self.params.items()
            },
        }


def build_spec(
    fn: Callable[..., list],
    *,
    name: str,
    description: str,
    columns: tuple[str, ...] | list[str] = (),
    range: tuple[float, float] = (0.0, 1.0),
    params: Mapping[str, Any] | None = None,
    cost: str = "fast",
    deterministic: bool = True,
    fast_path: Callable[..., list] | None = None,
    check_params: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    plugin: str = "__main__",
    version: str = "0",
    examples: Mapping[str, Any] | None = None,
    executes_inputs: bool = False,
    turns: Callable[..., list] | None = None,
    checks: str | None = None,
) -> RewardSpec:
    """Validate what a plugin passed to ``register(...)`` and build its RewardSpec."""

    def bad(msg: str) -> RegistrationError:
        return RegistrationError(f"plugin {plugin!r}: reward {name!r}: {msg}")

    if not isinstance(name, str) or not NAME_RE.match(name):
        raise bad("name must look like '<plugin>.<reward>' in lower case (e.g. 'format.tags')")
    if not callable(fn):
        raise bad("the reward function is not callable")
    if not isinstance(description, str) or not description.strip():
        raise bad("a one-line description is required")
    if cost not in COSTS:
        raise bad(f"cost must be one of {list(COSTS)}, got {cost!r}")
    try:
        lo, hi = (float(range[0]), float(range[1]))
    except (TypeError, ValueError, IndexError):
        raise bad(f"range must be a pair of numbers (lo, hi), got {range!r}") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise bad(f"range must satisfy lo < hi, got {range!r}")
    cols = tuple(columns)
    for col in cols:
        if not isinstance(col, str) or not col:
            raise bad(f"column names must be non-empty strings, got {col!r}")
    declared: dict[str, Param] = {}
    for key, value in (params or {}).items():
        if not PARAM_RE.match(key) or key in RESERVED or key in cols:
            raise bad(f"parameter name {key!r} is reserved or clashes with a column")
        declared[key] = value if isinstance(value, Param) else Param(default=value)
    try:
        timeout = check_timeout(timeout)
    except ValueError as exc:
        raise bad(str(exc)) from None
    if cost == "cpu":
        # cpu rewards run in worker processes, so the function travels by reference.
        try:
            pickle.dumps(fn)
        except Exception as exc:  # noqa: BLE001 - any pickling failure means the same thing
            raise bad(
                "cpu rewards run in worker processes and must be module-level functions "
                f"(pickling failed: {exc})"
            ) from None
    if fast_path is not None and not callable(fast_path):
        raise bad("fast_path must be callable")
    if not isinstance(executes_inputs, bool):
        raise bad(f"executes_inputs must be True or False, got {executes_inputs!r}")
    if checks is not None and checks not in CHECKS:
        raise bad(f"checks must be one of {list(CHECKS)}, got {checks!r}")
    if turns is not None and (not callable(turns) or cost == "model"):
        raise bad("turns (the per-turn mode) must be a function, for a 'fast' or 'cpu' reward")
    if turns is not None and cost == "cpu":
        try:
            pickle.dumps(turns)
        except Exception as exc:  # noqa: BLE001 - any pickling failure means the same thing
            raise bad(f"a cpu reward's per-turn function must be a module-level function (pickling failed: {exc})") from None
    samples = _check_examples(examples, cols, cost, bad)
    spec = RewardSpec(
        name=name,
        fn=fn,
        description=description.strip().splitlines()[0],
        columns=cols,
        range=(lo, hi),
        params=declared,
        cost=cost,  # type: ignore[arg-type]
        deterministic=bool(deterministic),
        fast_path=fast_path,
        check_params=check_params,
        timeout=float(timeout),
        plugin=plugin,
        version=version,
        examples=samples,
        executes_inputs=executes_inputs,
        turns=turns,
        checks=checks,
    )
    try:
        spec.resolve_params({})
    except ParameterError as exc:
        raise bad(f"its default parameters do not validate: {exc}") from None
    return spec


def _check_examples(
    examples: Mapping[str, Any] | None, cols: tuple[str, ...], cost: str, bad: Callable[[str], RegistrationError]
) -> dict[str, Any]:
    """A copy of ``examples`` (declared column -> sample value); every key must be a declared column."""
    if examples is None:
        return {}
    if not isinstance(examples, Mapping):
        raise bad(f"examples must be a dict of column -> sample value, got {type(examples).__name__}")
    unknown = [k for k in examples if k not in cols]
    if unknown:
        declared = ", ".join(repr(c) for c in cols) or "none"
        raise bad(f"examples gives column {unknown[0]!r}, which the reward does not declare (columns: {declared})")
    if cost == "cpu":
        try:
            pickle.dumps(dict(examples))
        except Exception as exc:  # noqa: BLE001 - any pickling failure means the same thing
            raise bad(f"examples of a cpu reward travel to worker processes and must pickle ({exc})") from None
    return dict(examples)
