"""``[environment]`` in a training config: train on agent rollouts through TRL's ``environment_factory``.

::

    [environment]
    tools = "calculator.py:Calculator"   # "file.py[:Attr]" (next to the config) or "package.module[:Attr]"
    max_turns = 3                        # tool-calling rounds per rollout (GRPOConfig.max_tool_calling_iterations)
    chat_template = "auto"               # "auto": TRL's Qwen2.5 template when the model's cannot render tool calls

The ``[[reward]]`` terms become the composite that judges each rollout's trajectory
(:func:`rewardkit.environment`): they are logged per term and the environment's ``get_reward()``
returns their total. ``Attr`` is a tools class (one instance per rollout), and without it the
module's public functions are the tools.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..terms import ConfigError
from ..trajectory import TRAJECTORY
from .schema import Key, check_table

ENVIRONMENT_KEYS = {
    "tools": Key((str,), None, help="'file.py[:Attr]' (relative to the config) or 'package.module[:Attr]'"),
    "max_turns": Key((int,), 3, min=1, help="tool-calling rounds per rollout (max_tool_calling_iterations)"),
    "name": Key((str,), "rewardkit_total", help="the environment class's name: TRL logs the total under it"),
    "chat_template": Key((str,), "auto", ("auto", "keep", "qwen2.5"),
                         help="'auto': TRL's Qwen2.5 template when the model's cannot render tool calls"),
}
#: Columns the host fills in environment runs (never read from the dataset).
PROVIDED = (TRAJECTORY, "tools", "env_state")


def environment_from_config(raw: Mapping[str, Any], source: str | None) -> dict[str, Any] | None:
    """The checked ``[environment]`` table (``None`` without one); the tools are imported now."""
    table = raw.get("environment")
    if table is None:
        return None
    env = check_table(table, ENVIRONMENT_KEYS, "environment")
    if not env["tools"]:
        raise ConfigError("environment.tools: missing (e.g. 'calculator.py:Calculator' or 'mypkg.tools:Tools')")
    if (raw.get("task") or {}).get("assistant_prefix"):
        raise ConfigError("environment: task.assistant_prefix is not supported with tools (TRL needs chat prompts)")
    if "max_tool_calling_iterations" in (raw.get("grpo") or {}):
        raise ConfigError("grpo.max_tool_calling_iterations: set it in one place only (environment.max_turns)")
    env["source_dir"] = str(Path(source).resolve().parent) if source else None
    resolve_tools(env)
    return env


def provided_columns(env: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Reward columns the dataset need not have: the trajectory always; tools and state with an environment."""
    return PROVIDED if env is not None else (TRAJECTORY,)


def resolve_tools(env: Mapping[str, Any]) -> Any:
    """Import ``environment.tools``: a class, module or list of functions; ConfigError naming the key."""
    ref = env["tools"]
    target, _, attr = ref.partition(":")
    try:
        if target.endswith(".py"):
            module = _load_file(target, env.get("source_dir"))
        else:
            module = importlib.import_module(target)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any import failure is reported with the key
        raise ConfigError(f"environment.tools: cannot import {target!r}: {type(exc).__name__}: {exc}") from None
    if not attr:
        return module
    if not hasattr(module, attr):
        raise ConfigError(f"environment.tools: {target!r} has no {attr!r}")
    return getattr(module, attr)


def _load_file(name: str, source_dir: str | None) -> Any:
    path = Path(name)
    if not path.is_absolute():
        candidates = [Path(source_dir) / path] if source_dir else []
        path = next((p for p in [*candidates, Path.cwd() / path] if p.is_file()), candidates[0] if candidates else path)
    if not path.is_file():
        raise ConfigError(f"environment.tools: no such file {str(path)!r}")
    key = f"rewardkit_env_{abs(hash(str(path.resolve())))}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def update_grpo_kwargs(env: Mapping[str, Any], kwargs: dict[str, Any]) -> None:
    """GRPOConfig for an environment run: the term functions weigh 0 (``get_reward`` carries the total)."""
    kwargs["reward_weights"] = [0.0] * len(kwargs.get("reward_weights") or [])
    kwargs["max_tool_calling_iterations"] = env["max_turns"]


def prepare_tokenizer(env: Mapping[str, Any], tokenizer: Any) -> str | None:
    """Give the tokenizer a chat template that renders tool calls when asked; returns a note or None."""
    from trl.chat_template_utils import qwen2_5_chat_template, supports_tool_calling

    mode = env["chat_template"]
    if mode == "keep" or (mode == "auto" and supports_tool_calling(tokenizer)):
        return None
    template = tokenizer.chat_template or ""
    if mode == "auto" and "<|im_start|>" not in template:
        raise ConfigError("environment.chat_template: the model's chat template cannot render tool calls and is "
                          "not ChatML (<|im_start|>); give a model whose template supports tools")
    tokenizer.chat_template = qwen2_5_chat_template
    return "environment: the model's chat template cannot render tool calls; using TRL's Qwen2.5 template"


def build_environment(env: Mapping[str, Any], composite: Any, on_batch: Any = None) -> Any:
    """The :class:`rewardkit.environment.Environment` of a run: its tools judged by ``composite``."""
    from ..environment import Environment

    return Environment(resolve_tools(env), composite, name=env["name"], on_batch=on_batch)
