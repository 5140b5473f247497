"""Plugin discovery through real entry points, load errors, allow/block lists and duplicates."""

import importlib.metadata
import subprocess
import sys
import textwrap

import pytest

import rewardkit
from rewardkit import plugins as host
from rewardkit.registry import registry

BUILTIN = {"format": "rewardkit-format"}


def test_builtin_plugins_are_discovered_through_entry_points():
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="rewardkit")}
    infos = {i.name: i for i in host.plugin_infos()}
    for name, dist in BUILTIN.items():
        assert name in eps, f"entry point {name!r} is not installed"
        assert infos[name].distribution == dist and infos[name].ok
        assert "rewardkit_register_rewards" in infos[name].hooks
    assert registry.specs()["format.tags"].plugin == "format"


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A folder on sys.path holding real distributions: a good one and one that fails to import."""

    def dist(name, module, code):
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(code))
        info = tmp_path / f"{name.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
        short = module.split("_", 1)[1]
        (info / "entry_points.txt").write_text(f"[rewardkit]\n{short} = {module}\n")

    dist("rewardkit-broken", "rewardkit_broken", "raise ImportError('missing dependency: frobnicate')\n")
    dist("rewardkit-good", "rewardkit_good", """
        import rewardkit

        def one(*, completions, prompts):
            return [1.0] * len(completions)

        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            register(one, name="good.one", description="Always one")
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    host._reset()
    yield tmp_path
    for mod in ("rewardkit_broken", "rewardkit_good"):
        sys.modules.pop(mod, None)
    monkeypatch.undo()
    host._reset()


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_work(fake_site):
    infos = {i.name: i for i in host.plugin_infos()}
    assert infos["broken"].error.startswith("ImportError: missing dependency: frobnicate (at ")
    assert infos["broken"].error.endswith("rewardkit_broken.py:1)")  # where it failed, file:line
    assert infos["broken"].distribution == "rewardkit-broken"
    assert infos["good"].ok and infos["good"].version == "1.2.3"
    assert rewardkit.reward("good.one")(["x"]) == [1.0]
    assert rewardkit.reward("format.tags") is not None
    assert rewardkit.reward("good.one").signature.startswith("good==1.2.3:good.one")
    with pytest.raises(rewardkit.UnknownRewardError, match="plugin 'broken' failed to load: ImportError"):
        rewardkit.reward("broken.x")


def test_rewards_and_bench_name_a_plugin_that_failed_to_import_with_file_and_line(fake_site, tmp_path):
    from click.testing import CliRunner

    from rewardkit.cli import cli

    result = CliRunner().invoke(cli, ["rewards"])
    assert result.exit_code == 0
    assert "plugin 'broken' failed to load" in result.stderr and "rewardkit_broken.py:1" in result.stderr
    assert "REWARDKIT_DEBUG=1" in result.stderr
    data = tmp_path / "rows.jsonl"
    data.write_text('{"completion": "x", "answer": "1"}\n')
    result = CliRunner().invoke(cli, ["bench", str(data), "-o", str(tmp_path / "out"), "--no-plots"])
    assert "plugin 'broken' failed to load" in result.stderr and "rewardkit_broken.py:1" in result.stderr


def test_allow_list_and_block_list(fake_site, monkeypatch):
    monkeypatch.setenv("REWARDKIT_LOAD_PLUGINS", "good")
    host._reset()
    assert [i.name for i in host.plugin_infos()] == ["good"]
    monkeypatch.setenv("REWARDKIT_LOAD_PLUGINS", "")
    host._reset()
    assert host.plugin_infos() == []
    monkeypatch.delenv("REWARDKIT_LOAD_PLUGINS")
    monkeypatch.setenv("REWARDKIT_BLOCK_PLUGINS", "broken, format")
    host._reset()
    names = [i.name for i in host.plugin_infos()]
    assert "broken" not in names and "format" not in names and "good" in names


def test_load_plugins_is_idempotent():
    first = dict(host.load_plugins())
    assert host.load_plugins() == first


def test_duplicate_reward_names_are_rejected_against_the_offending_plugin_only(core_plugin):
    """Defect 4: a duplicate made every command and the Python API fail."""
    from rk_testplugins import DuplicatePlugin

    host.register_plugin(DuplicatePlugin, "dupe")
    try:
        specs = registry.specs()  # no raise: the rest keep working
        assert specs["t.length"].plugin == "t" and "format.tags" in specs
        error = host.plugin_info("dupe").error
        assert "'t.length' rejected: plugin 'dupe' may only register rewards named 'dupe.'" in error
        assert host.plugin_info("t").ok
        assert rewardkit.reward("t.length")(["abc"]) == [0.3]
    finally:
        host.unregister_plugin("dupe")
    assert host.plugin_info("t").ok


def test_a_name_registered_twice_by_one_plugin_keeps_the_first():
    """Defect 4: the second registration is rejected against its plugin, the first is kept."""

    def one(*, completions, prompts):
        return [1.0] * len(completions)

    class Twice:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            register(one, name="twice.one", description="first")
            register(one, name="twice.one", description="second")
            register(one, name="twice.two", description="fine")

    host.register_plugin(Twice, "twice")
    try:
        specs = registry.specs()
        assert specs["twice.one"].description == "first" and "twice.two" in specs
        assert "'twice.one' is registered twice by plugin 'twice'" in registry.errors()["twice"]
    finally:
        host.unregister_plugin("twice")


def test_a_hook_that_raises_is_recorded_against_its_plugin():
    class Exploding:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            raise RuntimeError("kaboom")

    host.register_plugin(Exploding, "exploding")
    try:
        assert "kaboom" in registry.errors()["exploding"]
        assert "format.tags" in registry.specs()
    finally:
        host.unregister_plugin("exploding")


@pytest.mark.parametrize("argv", [["--help"], ["plugins"], ["rewards"]])
def test_cli_discovery_imports_no_heavy_library(argv):
    code = (
        "import sys\nfrom rewardkit.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sympy', 'trl', 'sacrebleu', 'pyarrow', 'matplotlib') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
