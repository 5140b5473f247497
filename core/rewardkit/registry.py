"""The registry of rewards, filled by calling each plugin's ``rewardkit_register_rewards``."""

from __future__ import annotations

import threading
from typing import Any, Callable

from .errors import DuplicateRewardError, RegistrationError, UnknownRewardError
from .plugins import _infos, load_plugins, pm, plugin_version
from .spec import RewardSpec, build_spec
from .suggest import close_matches


class Registry:
    """Reward specs by name; rebuilt lazily after plugins change."""

    def __init__(self) -> None:
        self._specs: dict[str, RewardSpec] | None = None
        self._errors: dict[str, str] = {}
        self._lock = threading.RLock()

    def invalidate(self) -> None:
        with self._lock:
            self._specs = None
            self._errors = {}

    def _collect(self) -> dict[str, RewardSpec]:
        load_plugins()
        specs: dict[str, RewardSpec] = {}
        errors: dict[str, str] = {}
        for impl in reversed(pm.hook.rewardkit_register_rewards.get_hookimpls()):
            plugin = impl.plugin_name
            found: list[RewardSpec] = []

            def register(fn: Callable[..., Any], **meta: Any) -> None:
                meta.setdefault("plugin", plugin)
                meta.setdefault("version", plugin_version(plugin))
                spec = build_spec(fn, **meta)
                for other in (*specs.values(), *found):
                    if other.name == spec.name:
                        raise DuplicateRewardError(
                            f"reward {spec.name!r} is registered twice: by plugin {other.plugin!r} "
                            f"and by plugin {spec.plugin!r}"
                        )
                found.append(spec)

            try:
                impl.function(register=register)
            except DuplicateRewardError:
                raise
            except RegistrationError as exc:
                errors[plugin] = str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a plugin whose hook fails is reported by name
                errors[plugin] = f"rewardkit_register_rewards raised {type(exc).__name__}: {exc}"
                continue
            specs.update((s.name, s) for s in found)
        for plugin, message in errors.items():
            if plugin in _infos and _infos[plugin].error is None:
                _infos[plugin].error = message
        self._errors = errors
        return specs

    def specs(self) -> dict[str, RewardSpec]:
        with self._lock:
            if self._specs is None:
                self._specs = self._collect()
            return self._specs

    def errors(self) -> dict[str, str]:
        """Plugins whose registration hook failed, with the error."""
        self.specs()
        return dict(self._errors)

    def get(self, name: str) -> RewardSpec:
        specs = self.specs()
        try:
            return specs[name]
        except KeyError:
            raise UnknownRewardError(_unknown_message(name, specs)) from None


def _unknown_message(name: str, specs: dict[str, RewardSpec]) -> str:
    msg = f"unknown reward {name!r}{close_matches(name, specs)}"
    prefix = name.split(".", 1)[0]
    broken = [i for i in _infos.values() if i.error and i.name == prefix]
    if broken:
        msg += f"; plugin {prefix!r} failed to load: {broken[0].error}"
    elif not specs:
        msg += "; no rewards are installed (pip install a plugin, e.g. plugins/rewardkit-format)"
    else:
        msg += " (run 'rewardkit rewards' to list them)"
    return msg


registry = Registry()
