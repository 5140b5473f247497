"""One hook collector (rewardkit.plugins.collect) and a CLI that never waits on plugin imports (issue 24).

``rewardkit --help`` and ``rewardkit plugins`` import no plugin at all: a plugin whose import
hangs cost them the whole plugin deadline before. Every hook goes through the collector
(bounded, cached per plugin generation, errors kept per plugin): ``probe`` used to let one bad
plugin's registration raise for everyone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rewardkit
from rewardkit import plugins as host


@pytest.fixture
def hanging_site(tmp_path) -> tuple[Path, Path]:
    """A plugin whose import writes a marker and then hangs, and another that adds a command."""
    marker = tmp_path / "imported"
    modules = {
        "hangs": f"import pathlib, time\npathlib.Path({str(marker)!r}).write_text('x')\ntime.sleep(1000)\n",
        "cmdplug": textwrap.dedent("""
            import click, rewardkit

            @rewardkit.hookimpl
            def rewardkit_register_commands(cli):
                @cli.command(name="cmdplug-hello")
                def hello():
                    click.echo("HELLO FROM A PLUGIN")
        """),
    }
    for name, code in modules.items():
        (tmp_path / f"rewardkit_{name}.py").write_text(code)
        info = tmp_path / f"rewardkit_{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: rewardkit-{name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[rewardkit]\n{name} = rewardkit_{name}\n")
    return tmp_path, marker


def _cli(site: Path, *args: str, timeout: str = "60") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
               REWARDKIT_PLUGIN_TIMEOUT=timeout)
    return subprocess.run([sys.executable, "-m", "rewardkit", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.timeout(300)
def test_help_and_plugins_import_no_plugin(hanging_site):
    site, marker = hanging_site
    out = _cli(site, "--help")
    assert out.returncode == 0, out.stderr
    assert "plugins" in out.stdout and "Plugin commands" in out.stdout
    listed = _cli(site, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["hangs"]["distribution"] == "rewardkit-hangs" and rows["hangs"]["version"] == "1.0"
    assert rows["hangs"]["loaded"] is False and rows["hangs"]["rewards"] is None
    assert not marker.exists(), "a plugin was imported by --help or plugins"


@pytest.mark.timeout(300)
def test_a_plugin_command_still_runs_and_load_reports_the_hang(hanging_site):
    site, marker = hanging_site
    out = _cli(site, "cmdplug-hello", timeout="2")
    assert out.returncode == 0, out.stderr
    assert "HELLO FROM A PLUGIN" in out.stdout
    listed = _cli(site, "plugins", "--load", "--json", timeout="2")
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert "did not finish within 2s" in rows["hangs"]["error"] and marker.exists()
    assert rows["format"]["error"] is None and "format.tags" in rows["format"]["rewards"]


class _Good:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_probes(register):
        register("good_family", lambda row, target: ["x"], description="fine")


class _Bad:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_probes(register):
        register("bad family!", lambda row, target: ["x"])


def test_one_bad_probe_plugin_does_not_break_probe_for_everyone():
    from rewardkit.probe.api import families, family_errors

    host.register_plugin(_Good, "goodprobes")
    host.register_plugin(_Bad, "badprobes")
    try:
        assert "good_family" in families()
        assert "badprobes" in family_errors() and "letters, digits" in family_errors()["badprobes"]
    finally:
        host.unregister_plugin("goodprobes")
        host.unregister_plugin("badprobes")


def test_the_collector_is_bounded_cached_and_per_plugin(monkeypatch):
    calls = []

    class Slow:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_datasets(register):
            calls.append(1)
            register("slowsrc", lambda name, options: [])
            import time

            time.sleep(5)
            register("late", lambda name, options: [])  # after the deadline: ignored

    monkeypatch.setenv(host.TIMEOUT_ENV, "0.5")
    host.register_plugin(Slow, "slowplug")
    try:
        results = {r.plugin: r for r in host.collect("rewardkit_register_datasets")}
        assert "did not finish within 0.5s" in results["slowplug"].error
        assert [args[0] for args, _ in results["slowplug"].value] == ["slowsrc"]
        assert host.collect("rewardkit_register_datasets") is host.collect("rewardkit_register_datasets")
        assert calls == [1]  # cached until the plugins change
    finally:
        host.unregister_plugin("slowplug")
