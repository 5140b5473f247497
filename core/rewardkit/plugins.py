"""The one plugin manager: entry-point discovery, allow/block lists, load errors."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs

GROUP = "rewardkit"
#: Comma-separated plugin names to load; set but empty means "load no plugins".
ALLOW_ENV = "REWARDKIT_LOAD_PLUGINS"
#: Comma-separated plugin names never to load.
BLOCK_ENV = "REWARDKIT_BLOCK_PLUGINS"

pm = pluggy.PluginManager(GROUP)
pm.add_hookspecs(hookspecs)


@dataclass
class PluginInfo:
    """One discovered plugin: where it came from and whether it loaded."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    error: str | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


_loaded = False
_infos: dict[str, PluginInfo] = {}


def _names_from_env(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def load_plugins() -> dict[str, PluginInfo]:
    """Load every ``rewardkit`` entry point once; a broken plugin is recorded, never fatal."""
    global _loaded
    if _loaded:
        return _infos
    _loaded = True
    allow = _names_from_env(ALLOW_ENV)
    block = _names_from_env(BLOCK_ENV) or set()
    seen: set[str] = set()
    for ep in importlib.metadata.entry_points(group=GROUP):
        if ep.name in seen:  # the same distribution visible twice on sys.path
            continue
        seen.add(ep.name)
        if (allow is not None and ep.name not in allow) or ep.name in block:
            continue
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            module=ep.value,
        )
        _infos[ep.name] = info
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded against the plugin
            info.error = f"{type(exc).__name__}: {exc}"
            info.hooks = []
            _log_load_error(ep.name, exc)
            continue
        info.hooks = _hooks_of(ep.name)
    return _infos


def _log_load_error(name: str, exc: BaseException) -> None:
    if os.environ.get("REWARDKIT_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)


def _hooks_of(plugin_name: str) -> list[str]:
    plugin = pm.get_plugin(plugin_name)
    if plugin is None:
        return []
    return sorted(h.name for h in pm.get_hookcallers(plugin) or [])


def register_plugin(plugin: Any, name: str, version: str = "0") -> None:
    """Register an in-process plugin (a module or class with hook implementations), e.g. in tests."""
    load_plugins()
    pm.register(plugin, name=name)
    _infos[name] = PluginInfo(name=name, distribution=None, version=version, module=repr(plugin))
    _infos[name].hooks = _hooks_of(name)
    from .registry import registry

    registry.invalidate()


def unregister_plugin(name: str) -> None:
    """Remove an in-process plugin registered with :func:`register_plugin`."""
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin, name=name)
    _infos.pop(name, None)
    from .registry import registry

    registry.invalidate()


def plugin_infos() -> list[PluginInfo]:
    """Every plugin discovered so far (loaded or failed), sorted by name."""
    load_plugins()
    return sorted(_infos.values(), key=lambda i: i.name)


def plugin_version(name: str) -> str:
    info = _infos.get(name)
    return (info.version if info and info.version else "0")


def _reset() -> None:
    """Forget every loaded plugin so that the next :func:`load_plugins` discovers afresh (tests)."""
    global _loaded
    for name, plugin in list(pm.list_name_plugin()):
        pm.unregister(plugin, name=name)
    _infos.clear()
    _loaded = False
    from .registry import registry

    registry.invalidate()
