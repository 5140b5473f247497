import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "support"))


@pytest.fixture
def core_plugin():
    """The in-process test plugin with rewards t.length, t.contains, t.misbehave, t.sleepy, t.triaged, t.signed."""
    import rk_testplugins

    from rewardkit.plugins import register_plugin, unregister_plugin

    register_plugin(rk_testplugins.CorePlugin, "t")
    yield rk_testplugins
    unregister_plugin("t")
