"""The one owner of plugin state: entry-point discovery, allow/block lists, load and hook errors.

Discovery is bounded: each plugin is imported, and each of its hooks called, on a helper thread
with a deadline (``$REWARDKIT_PLUGIN_TIMEOUT`` seconds, default 30). A plugin whose import hangs,
raises, or calls ``sys.exit`` is recorded as failed by name and the rest keep working; the host's
``--help`` and ``plugins`` commands always run. (A plugin that calls ``os._exit`` or crashes the
interpreter cannot be contained in-process.)

Other modules read this state through functions (:func:`plugin_infos`, :func:`generation`) and
report registration failures through :func:`set_registration_errors`; nothing else writes it.
Every hook is called through :func:`collect`, the one hook collector: each plugin's implementation
on its own bounded thread, its ``register(...)`` calls recorded, the result cached until the
plugins change, an error kept against that plugin alone. :func:`entry_point_infos` lists the
installed plugins from their metadata without importing any (``rewardkit plugins``, ``--help``).
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs

GROUP = "rewardkit"
#: Comma-separated plugin names to load; set but empty means "load no plugins".
ALLOW_ENV = "REWARDKIT_LOAD_PLUGINS"
#: Comma-separated plugin names never to load.
BLOCK_ENV = "REWARDKIT_BLOCK_PLUGINS"
#: Seconds a plugin's import, or one of its hooks, may take before it is reported as failed.
TIMEOUT_ENV = "REWARDKIT_PLUGIN_TIMEOUT"
DEFAULT_TIMEOUT = 30.0

pm = pluggy.PluginManager(GROUP)
pm.add_hookspecs(hookspecs)


@dataclass
class PluginInfo:
    """One discovered plugin: where it came from and whether it loaded and registered cleanly."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    load_error: str | None = None
    register_error: str | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """Why the plugin is unusable (failed import first, then a rejected registration)."""
        return self.load_error or self.register_error

    @property
    def ok(self) -> bool:
        return self.error is None


class _State:
    """Everything the host knows about plugins; :data:`generation` changes whenever it does."""

    def __init__(self) -> None:
        self.loaded = False
        self.infos: dict[str, PluginInfo] = {}
        self.generation = 0
        self.lock = threading.RLock()
        #: hook name -> (generation, results) of :func:`collect`, guarded by its own lock (a hook may
        #: read plugin state from its thread while the collector waits for it)
        self.hooks: dict[str, tuple[int, list[HookResult]]] = {}
        self.hook_lock = threading.RLock()


_state = _State()


def _names_from_env(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def plugin_timeout() -> float:
    """The per-plugin deadline from ``$REWARDKIT_PLUGIN_TIMEOUT``."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{TIMEOUT_ENV} must be a positive number of seconds, got {raw!r}")
    return value


def call_bounded(fn: Callable[[], Any], what: str, seconds: float | None = None) -> tuple[Any, str | None]:
    """Run ``fn()`` on a daemon thread for at most ``seconds``: ``(value, None)`` or ``(None, error)``.

    Any exception, ``SystemExit`` included, becomes the error text; a call that overruns is
    left behind (its thread is a daemon) and reported as ``"<what> did not finish within Ns"``.
    """
    limit = plugin_timeout() if seconds is None else seconds
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - sys.exit in a plugin must not end the host
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"rewardkit-plugin: {what}", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        return None, f"{what} did not finish within {limit:g}s ({TIMEOUT_ENV})"
    if "error" in box:
        exc = box["error"]
        _log_error(exc)
        if isinstance(exc, SystemExit):
            return None, f"{what} called sys.exit({exc.code!r}){_where(exc)}"
        return None, f"{type(exc).__name__}: {exc}{_where(exc)}"
    return box.get("value"), None


def _where(exc: BaseException) -> str:
    """`` (at FILE:LINE)``: where the error was raised, outside importlib's own frames (REWARDKIT_DEBUG=1
    prints the whole traceback)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" (at {exc.filename}:{exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename
              and not f.filename.startswith("<frozen")]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def load_errors() -> dict[str, str]:
    """Every plugin that failed to import or register: name -> error (with file:line)."""
    load_plugins()
    with _state.lock:
        return {name: info.error for name, info in sorted(_state.infos.items()) if info.error is not None}


def load_plugins() -> dict[str, PluginInfo]:
    """Load every ``rewardkit`` entry point once; a broken plugin is recorded, never fatal."""
    with _state.lock:
        if _state.loaded:
            return _state.infos
        _state.loaded = True
        allow = _names_from_env(ALLOW_ENV)
        block = _names_from_env(BLOCK_ENV) or set()
        for ep in _entry_points():
            if (allow is not None and ep.name not in allow) or ep.name in block:
                continue
            _load_entry_point(ep)
        _state.generation += 1
        return _state.infos


def entry_point_infos() -> list[PluginInfo]:
    """Every installed plugin the allow/block lists select, from entry-point metadata alone: nothing is
    imported, so a plugin whose import hangs costs nothing here. Plugins already loaded keep their status."""
    allow = _names_from_env(ALLOW_ENV)
    block = _names_from_env(BLOCK_ENV) or set()
    found = {}
    for ep in _entry_points():
        if (allow is not None and ep.name not in allow) or ep.name in block:
            continue
        dist = getattr(ep, "dist", None)
        found[ep.name] = PluginInfo(ep.name, dist.name if dist else None, dist.version if dist else None, ep.value)
    with _state.lock:
        found.update(_state.infos)
    return sorted(found.values(), key=lambda i: i.name)


@dataclass
class HookResult:
    """One plugin's answer to a hook: what it registered (or the object it was given), or why it failed."""

    plugin: str
    value: Any
    error: str | None = None


class _Recorder:
    """The ``register`` callable handed to a plugin's hook: records each call until closed."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.closed = False

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if not self.closed:  # a hook that overran its deadline: later registrations are ignored
            self.calls.append((args, kwargs))


def collect(hook: str, *, kwarg: str = "register", make: Callable[[str], Any] | None = None) -> list[HookResult]:
    """Call every loaded plugin's implementation of ``hook``, in registration order, once per plugin generation.

    Each call is bounded (:func:`call_bounded`); a hook that raises, exits or hangs gives that plugin
    an error and nothing else. With ``make`` unset, the hook receives a ``register`` callable and the
    result's ``value`` is the list of its ``(args, kwargs)`` calls; otherwise it receives
    ``make(plugin)`` (e.g. a command group) as ``kwarg`` and ``value`` is that object.
    """
    load_plugins()
    with _state.hook_lock:
        generation = _state.generation
        cached = _state.hooks.get(hook)
        if cached is not None and cached[0] == generation:
            return cached[1]
        results = []
        for impl in getattr(pm.hook, hook).get_hookimpls():
            arg = _Recorder() if make is None else make(impl.plugin_name)
            _, error = call_bounded(functools.partial(impl.function, **{kwarg: arg}),
                                    f"plugin {impl.plugin_name!r}: {hook}")
            if isinstance(arg, _Recorder):
                arg.closed = True
                results.append(HookResult(impl.plugin_name, arg.calls, error))
            else:
                results.append(HookResult(impl.plugin_name, arg, error))
        _state.hooks[hook] = (generation, results)
        return results


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    seen: set[str] = set()
    out = []
    for ep in importlib.metadata.entry_points(group=GROUP):
        if ep.name not in seen:  # the same distribution visible twice on sys.path
            seen.add(ep.name)
            out.append(ep)
    return out


def _load_entry_point(ep: importlib.metadata.EntryPoint) -> None:
    dist = getattr(ep, "dist", None)
    info = PluginInfo(ep.name, dist.name if dist else None, dist.version if dist else None, ep.value)
    _state.infos[ep.name] = info
    module, error = call_bounded(ep.load, f"importing plugin {ep.name!r}")
    if error is None:
        try:
            pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - bad hook implementations are this plugin's error
            error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        info.load_error = error
        return
    info.hooks = _hooks_of(ep.name)


def _log_error(exc: BaseException) -> None:
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
    with _state.lock:
        pm.register(plugin, name=name)
        _state.infos[name] = PluginInfo(name=name, distribution=None, version=version, module=repr(plugin))
        _state.infos[name].hooks = _hooks_of(name)
        _state.generation += 1


def unregister_plugin(name: str) -> None:
    """Remove an in-process plugin registered with :func:`register_plugin`."""
    with _state.lock:
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin, name=name)
        _state.infos.pop(name, None)
        _state.generation += 1


def plugin_infos() -> list[PluginInfo]:
    """Every plugin discovered so far (loaded or failed), sorted by name."""
    load_plugins()
    return sorted(_state.infos.values(), key=lambda i: i.name)


def plugin_info(name: str) -> PluginInfo | None:
    """The plugin called ``name``, or None."""
    load_plugins()
    return _state.infos.get(name)


def plugin_version(name: str) -> str:
    info = _state.infos.get(name)
    return info.version if info and info.version else "0"


def generation() -> int:
    """A number that changes whenever plugins are loaded, added or removed (registry cache key)."""
    return _state.generation


def set_registration_errors(errors: dict[str, str]) -> None:
    """Record which plugins' reward registrations were rejected (replaces the previous record)."""
    with _state.lock:
        for name, info in _state.infos.items():
            info.register_error = errors.get(name)


def _reset() -> None:
    """Forget every loaded plugin so that the next :func:`load_plugins` discovers afresh (tests)."""
    with _state.lock:
        for name, plugin in list(pm.list_name_plugin()):
            pm.unregister(plugin, name=name)
        _state.infos.clear()
        _state.loaded = False
        _state.generation += 1
