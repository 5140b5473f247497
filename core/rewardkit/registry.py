"""The registry of rewards, filled by calling each plugin's ``rewardkit_register_rewards``.

Rules, each enforced against the offending plugin alone (the rest keep working):

* a reward's name must start with its plugin's name and a dot (``format.tags`` from ``format``);
* a name may be registered once: a second registration is rejected, naming both plugins;
* a hook that raises, calls ``sys.exit`` or hangs (see :mod:`rewardkit.plugins`) registers nothing.

A rejected reward is left out and its plugin is listed with the error (``rewardkit plugins``).
"""

from __future__ import annotations

import threading

from . import plugins
from .errors import DuplicateRewardError, RegistrationError, UnknownRewardError
from .spec import RewardSpec, build_spec
from .suggest import close_matches


class Registry:
    """Reward specs by name; rebuilt lazily whenever the plugins change."""

    def __init__(self) -> None:
        self._specs: dict[str, RewardSpec] | None = None
        self._errors: dict[str, str] = {}
        self._generation = -1
        self._lock = threading.RLock()

    def specs(self) -> dict[str, RewardSpec]:
        with self._lock:
            plugins.load_plugins()
            if self._specs is None or self._generation != plugins.generation():
                self._generation = plugins.generation()
                self._specs, self._errors = _collect()
                plugins.set_registration_errors(self._errors)
            return self._specs

    def errors(self) -> dict[str, str]:
        """Plugins whose registration failed or had rewards rejected, with the error."""
        self.specs()
        return dict(self._errors)

    def get(self, name: str) -> RewardSpec:
        specs = self.specs()
        try:
            return specs[name]
        except KeyError:
            raise UnknownRewardError(_unknown_message(name, specs)) from None


def _collect() -> tuple[dict[str, RewardSpec], dict[str, str]]:
    specs: dict[str, RewardSpec] = {}
    errors: dict[str, str] = {}
    for result in plugins.collect("rewardkit_register_rewards"):  # registration order: first wins
        found, rejected, error = _register_plugin(result)
        for spec in found:
            other = specs.get(spec.name)
            if other is not None:
                rejected.append(str(DuplicateRewardError(
                    f"reward {spec.name!r} is registered twice: by plugin {other.plugin!r} and by plugin "
                    f"{spec.plugin!r}; rejected from {spec.plugin!r}"
                )))
                continue
            specs[spec.name] = spec
        if error is not None:
            errors[result.plugin] = error
        elif rejected:
            errors[result.plugin] = "; ".join(rejected)
    return specs, errors


def _register_plugin(result: plugins.HookResult) -> tuple[list[RewardSpec], list[str], str | None]:
    """One plugin's recorded ``register`` calls: (accepted specs, rejection messages, error that voids them all)."""
    plugin = result.plugin
    error = result.error
    if error is not None:
        if error.startswith(RegistrationError.__name__ + ": "):
            return [], [], error[len(RegistrationError.__name__) + 2 :]
        if "rewardkit_register_rewards" not in error:  # a timeout or exit already names the hook
            error = f"rewardkit_register_rewards raised {error}"
        return [], [], error
    found: list[RewardSpec] = []
    rejected: list[str] = []
    for args, meta in result.value:
        meta = dict(meta)
        meta.setdefault("plugin", plugin)
        meta.setdefault("version", plugins.plugin_version(plugin))
        try:
            spec = build_spec(*args, **meta)
        except RegistrationError as exc:  # a malformed registration voids the plugin, as a raising hook does
            return [], [], str(exc)
        except Exception as exc:  # noqa: BLE001 - e.g. register() called with unknown keywords
            return [], [], f"rewardkit_register_rewards raised {type(exc).__name__}: {exc}"
        if spec.plugin != plugin or not spec.name.startswith(f"{plugin}."):
            rejected.append(f"reward {spec.name!r} rejected: plugin {plugin!r} may only register rewards "
                            f"named {plugin + '.'!r}<reward>")
        elif any(s.name == spec.name for s in found):
            rejected.append(f"reward {spec.name!r} is registered twice by plugin {plugin!r}; the second was rejected")
        else:
            found.append(spec)
    return found, rejected, None


def _unknown_message(name: str, specs: dict[str, RewardSpec]) -> str:
    msg = f"unknown reward {name!r}{close_matches(name, specs)}"
    prefix = name.split(".", 1)[0]
    info = plugins.plugin_info(prefix)
    if info is not None and info.load_error:
        msg += f"; plugin {prefix!r} failed to load: {info.load_error}"
    elif info is not None and info.register_error:
        msg += f"; plugin {prefix!r}: {info.register_error}"
    elif not specs:
        msg += "; no rewards are installed (pip install a plugin, e.g. plugins/rewardkit-format)"
    else:
        msg += " (run 'rewardkit rewards' to list them)"
    return msg


registry = Registry()
