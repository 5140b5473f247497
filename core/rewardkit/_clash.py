"""Refuse to run beside PyPI's ``harbor-rewardkit``, which installs a top-level package also named ``rewardkit``.

Harbor's verifier kit (``harbor-rewardkit`` 0.2.x, Python >= 3.12) ships ``rewardkit/`` (with its own
``__init__``, ``reward``, ``models``, ``isolation``, ``trajectory`` modules) and a ``rewardkit``
command. Installed into one environment, the two overwrite each other's files and commands, and
whichever was installed last breaks the other. rewardkit keeps its name (its import package, CLI,
entry-point group and plugin names are its public contract, docs/serve.md "The name rewardkit"), so
importing it where ``harbor-rewardkit`` is installed raises this ImportError naming the conflict
instead of failing later with a confusing AttributeError. Importing this module is the check.
"""

from __future__ import annotations

import importlib.metadata as md

CONFLICTING = "harbor-rewardkit"


def check() -> None:
    try:
        dist = md.distribution(CONFLICTING)
    except md.PackageNotFoundError:
        return
    raise ImportError(
        f"rewardkit cannot run in this environment: {CONFLICTING} {dist.version} is installed here too "
        f"({dist.locate_file('')}), and it installs a top-level package also named 'rewardkit' and a "
        "'rewardkit' command, so the two overwrite each other. Use separate environments (a venv for each), "
        f"or here: pip uninstall -y {CONFLICTING} && pip install --force-reinstall --no-deps rewardkit "
        "(an editable checkout: pip install -e . again). See docs/serve.md, 'The name rewardkit'.")


check()
