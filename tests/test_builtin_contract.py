"""Every reward of every installed built-in plugin (a distribution under this repo's plugins/) keeps the contract.

Plugins are found through their entry points and the location of their distribution, exactly
as a third party's would be; rewards come from the registry. The checks are those of
``rewardkit check-plugin`` (:mod:`rewardkit.testing`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from rewardkit.registry import registry
from rewardkit.testing import check_reward, plugin_rewards

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "plugins"


def _dist_path(ep: importlib.metadata.EntryPoint) -> Path | None:
    """Where the plugin's code lives: the editable source folder, else the module's file."""
    dist = getattr(ep, "dist", None)
    if dist is not None:
        raw = dist.read_text("direct_url.json")
        if raw:
            url = json.loads(raw).get("url", "")
            if url.startswith("file://"):
                return Path(url[len("file://"):])
    try:
        spec = importlib.util.find_spec(ep.value.split(":")[0])
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec and spec.origin else None


def builtin_plugins() -> list[str]:
    """Entry-point names of installed plugins whose code is under plugins/."""
    found = []
    for ep in importlib.metadata.entry_points(group="rewardkit"):
        path = _dist_path(ep)
        if path is not None and path.resolve().is_relative_to(PLUGINS_DIR) and ep.name not in found:
            found.append(ep.name)
    return sorted(found)


PLUGINS = builtin_plugins()


def _rewards() -> list[Any]:
    params = []
    for plugin in PLUGINS:
        try:
            names = plugin_rewards(plugin)
        except Exception:  # noqa: BLE001 - reported by the test itself, naming the plugin
            params.append(pytest.param(plugin, None, id=f"{plugin}:load"))
            continue
        params += [pytest.param(plugin, name, id=name) for name in names]
    return params or [pytest.param(None, None, id="none", marks=pytest.mark.skip(reason="no built-in plugin is installed"))]


def _tiny_classifier(tmp: Path) -> dict[str, Any]:
    from rewardkit.tiny import save_tiny

    return {"params": {"model": str(save_tiny(tmp / "tiny-classifier", "classifier"))}}


#: What a built-in reward needs to run at all, as keywords of check_reward (``params`` such as a
#: model path, ``columns`` with structured sample values), built in a temporary folder.
SAMPLES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "rm.classifier": _tiny_classifier,
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    made: dict[str, dict[str, Any]] = {}

    def get(name: str) -> dict[str, Any]:
        if name not in SAMPLES:
            return {}
        if name not in made:
            made[name] = SAMPLES[name](tmp_path_factory.mktemp(name.replace(".", "_")))
        return made[name]

    return get


@pytest.mark.parametrize("plugin, name", _rewards())
def test_builtin_reward_keeps_the_contract(plugin, name, samples):
    if name is None:  # the plugin failed to load or registers nothing
        plugin_rewards(plugin)  # raises, naming the plugin and its load error
        pytest.fail(f"plugin {plugin!r} registers no rewards")
    spec = registry.get(name)
    kw = {"items": 2 if spec.cost == "model" else 8, **samples(name)}
    result = check_reward(name, **kw)
    assert result.passed, f"\n{result}"


def test_builtin_plugins_are_found():
    folders = sorted(p.name for p in PLUGINS_DIR.glob("rewardkit-*") if (p / "pyproject.toml").exists())
    if not PLUGINS:
        pytest.skip(f"none of the built-in plugins is installed ({', '.join(folders)}); pip install -e plugins/<name>")
    installed = {f"rewardkit-{p}" for p in PLUGINS}
    missing = [f for f in folders if f not in installed]
    if missing:
        pytest.skip(f"not installed, so not checked: {', '.join(missing)}")
