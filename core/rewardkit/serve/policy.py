"""The operator's policy: which rewards a shared server serves and what its clients may set.

A client is untrusted. By default it may set a reward's ordinary parameters and a per-item
``timeout`` up to ``max_timeout``, and nothing a plugin marked ``kind="path"`` (files, folders,
models, URLs the server reads) or ``kind="resource"`` (memory, time, devices, backends the
server spends). The operator widens or narrows that per reward in a TOML file
(``rewardkit serve --policy FILE``)::

    rewards = ["math.*", "format.*", "code.tests"]   # served (globs); default: every reward
    max_timeout = 30                                 # seconds per item a client may ask for
    executes_inputs = ["gym.score_sandboxed"]        # rewards that execute their inputs (sandboxed): refused
                                                     # unless listed here (globs); default: none

    [reward."code.*"]
    allow = ["memory_mb", "run_timeout"]             # path/resource parameters clients may set
    clamp = {memory_mb = 512, run_timeout = 5, timeout = 20}   # upper bounds (defaults too)
    fixed = {backend = "bwrap"}                      # the operator's value; a client's other value is refused
    deny = ["prepend_prompt"]                        # ordinary parameters clients may not set

Every ``[reward."GLOB"]`` table that matches a reward applies, in file order (later keys win).
The server's own default reward (``-r``/``--config``) is the operator's choice and is not checked.
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RewardkitError

#: Per-item seconds a client may ask for when the policy does not say.
DEFAULT_MAX_TIMEOUT = 60.0
_RULE_KEYS = ("allow", "clamp", "fixed", "deny")
_TOP_KEYS = ("rewards", "max_timeout", "reward", "executes_inputs")


class PolicyError(RewardkitError):
    """A request asks for something the operator's policy refuses (HTTP 403); ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Rule:
    """What clients may do with one reward (the merge of every matching ``[reward."GLOB"]``)."""

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    clamp: Mapping[str, float] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """Served rewards (globs), the timeout ceiling, and per-reward rules (glob -> Rule)."""

    rewards: tuple[str, ...] = ("*",)
    max_timeout: float = DEFAULT_MAX_TIMEOUT
    rules: tuple[tuple[str, Rule], ...] = ()
    source: str = "built-in default"
    #: Globs of rewards that execute their inputs (``RewardSpec.executes_inputs``) the operator serves.
    executes_inputs: tuple[str, ...] = ()

    # -- reading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read a policy file; errors name the file and the key."""
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RewardkitError(f"serve: cannot read --policy {path}: {exc}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: str = "policy") -> Policy:
        unknown = [k for k in raw if k not in _TOP_KEYS]
        if unknown:
            raise RewardkitError(f"{source}: unknown key {unknown[0]!r} (keys: {', '.join(_TOP_KEYS)})")
        rewards = raw.get("rewards", ["*"])
        if not isinstance(rewards, list) or not all(isinstance(r, str) and r for r in rewards):
            raise RewardkitError(f"{source}: rewards must be a list of reward names or globs, got {rewards!r}")
        ceiling = _number(raw.get("max_timeout", DEFAULT_MAX_TIMEOUT), f"{source}: max_timeout")
        tables = raw.get("reward", {})
        if not isinstance(tables, Mapping):
            raise RewardkitError(f"{source}: [reward.\"GLOB\"] tables expected, got {tables!r}")
        rules = tuple((glob, _rule(table, f"{source}: reward.{glob!r}")) for glob, table in tables.items())
        executing = raw.get("executes_inputs", [])
        if not isinstance(executing, list) or not all(isinstance(r, str) and r for r in executing):
            raise RewardkitError(f"{source}: executes_inputs must be a list of reward names or globs, got {executing!r}")
        return cls(tuple(rewards), ceiling, rules, source, tuple(executing))

    # -- applying --------------------------------------------------------------------------
    def serves(self, name: str) -> bool:
        """Whether clients may use ``name``: matched by ``rewards`` and, for a reward that executes its
        inputs, by ``executes_inputs`` too (so ``GET /v1/rewards`` leaves the others out)."""
        return any(fnmatch.fnmatchcase(name, g) for g in self.rewards) and not self._executing_refused(name)

    def _executing_refused(self, name: str) -> bool:
        from ..registry import registry

        try:
            executes = registry.get(name).executes_inputs
        except RewardkitError:
            return False  # unknown: the host's own error follows
        return executes and not any(fnmatch.fnmatchcase(name, g) for g in self.executes_inputs)

    def rule(self, name: str) -> Rule:
        allow: set[str] = set()
        deny: set[str] = set()
        clamp: dict[str, float] = {}
        fixed: dict[str, Any] = {}
        for glob, r in self.rules:
            if fnmatch.fnmatchcase(name, glob):
                allow |= r.allow
                deny |= r.deny
                clamp.update(r.clamp)
                fixed.update(r.fixed)
        return Rule(frozenset(allow), frozenset(deny), clamp, fixed)

    def apply(self, name: str, params: Mapping[str, Any], timeout: float | None,
              where: str = "") -> tuple[dict[str, Any], float | None]:
        """The parameters and timeout a client's request for ``name`` runs with, or PolicyError."""
        from ..registry import registry

        if self._executing_refused(name):
            raise PolicyError(f"{where}reward", f"reward {name!r} executes text from its inputs (in a sandbox); "
                                                "this server serves such rewards only when the operator lists them "
                                                "in the policy's executes_inputs")
        if not self.serves(name):
            raise PolicyError(f"{where}reward", f"reward {name!r} is not served here (the operator's policy "
                                                f"serves {', '.join(self.rewards)})")
        try:
            spec = registry.get(name)
        except RewardkitError:
            return dict(params), timeout  # unknown: the host's own error follows
        rule = self.rule(name)
        out = dict(params)
        for key, value in params.items():
            self._check_param(name, spec.params.get(key), key, value, rule, where)
        out.update(rule.fixed)
        for key, ceiling in rule.clamp.items():
            if key in spec.params:
                current = out.get(key, spec.params[key].default)
                if isinstance(current, (int, float)) and not isinstance(current, bool) and current > ceiling:
                    out[key] = type(current)(ceiling) if isinstance(current, int) else float(ceiling)
        return out, self._timeout(timeout, spec.timeout, rule)

    def _check_param(self, name: str, param: Any, key: str, value: Any, rule: Rule, where: str) -> None:
        field_name = f"{where}params.{key}"
        if param is None:
            return  # unknown parameter: the host's own error names it
        if key in rule.fixed and value != rule.fixed[key]:
            raise PolicyError(field_name, f"{name}: parameter {key!r} is fixed by the operator to "
                                          f"{rule.fixed[key]!r}; clients may not change it")
        if key in rule.deny:
            raise PolicyError(field_name, f"{name}: the operator's policy does not let clients set {key!r}")
        if param.kind != "value" and key not in rule.allow and key not in rule.fixed:
            raise PolicyError(field_name, f"{name}: {key!r} is a {param.kind} parameter; clients may not set it "
                                          "unless the operator's policy allows it (allow = [...])")

    def _timeout(self, asked: float | None, default: float, rule: Rule) -> float | None:
        ceiling = min(self.max_timeout, rule.clamp.get("timeout", math.inf))
        if asked is None:
            return ceiling if default > ceiling else None
        return min(float(asked), ceiling)

    def describe(self) -> dict[str, Any]:
        """Plain data for ``GET /v1/policy``: what clients may do here."""
        return {"source": self.source, "rewards": list(self.rewards), "max_timeout": self.max_timeout,
                "executes_inputs": list(self.executes_inputs),
                "default": "clients may set ordinary parameters, not path or resource ones",
                "rules": {g: {"allow": sorted(r.allow), "deny": sorted(r.deny), "clamp": dict(r.clamp),
                              "fixed": dict(r.fixed)} for g, r in self.rules}}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise RewardkitError(f"{where} must be a positive finite number, got {value!r}")
    return float(value)


def _names(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RewardkitError(f"{where} must be a list of parameter names, got {value!r}")
    return frozenset(value)


def _rule(table: Any, where: str) -> Rule:
    if not isinstance(table, Mapping):
        raise RewardkitError(f"{where} must be a table, got {table!r}")
    unknown = [k for k in table if k not in _RULE_KEYS]
    if unknown:
        raise RewardkitError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(_RULE_KEYS)})")
    clamp = table.get("clamp", {})
    fixed = table.get("fixed", {})
    if not isinstance(clamp, Mapping) or not isinstance(fixed, Mapping):
        raise RewardkitError(f"{where}: clamp and fixed must be tables of parameter = value")
    return Rule(_names(table.get("allow", []), f"{where}.allow"), _names(table.get("deny", []), f"{where}.deny"),
                {k: _number(v, f"{where}.clamp.{k}") for k, v in clamp.items()}, dict(fixed))
