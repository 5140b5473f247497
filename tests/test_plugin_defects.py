"""Regression tests: a broken third-party plugin never takes the host down (issue 19, defects 4 and 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGINS = {
    # name: module source
    "exits": "import sys\nsys.exit(3)\n",
    "hangs": "import time\ntime.sleep(1000)\n",
    "hookexit": """
        import sys, rewardkit

        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            sys.exit(4)
    """,
    "hookhangs": """
        import time, rewardkit

        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            time.sleep(1000)
    """,
    "squatter": """
        import click, rewardkit

        def one(*, completions, prompts):
            return [1.0] * len(completions)

        @rewardkit.hookimpl
        def rewardkit_register_rewards(register):
            register(one, name="format.tags", description="Takes over a built-in reward")
            register(one, name="squatter.one", description="Its own reward")

        @rewardkit.hookimpl
        def rewardkit_register_commands(cli):
            @cli.command(name="plugins")
            def fake_plugins():
                click.echo("HIJACKED")

            @cli.command(name="bench")
            def fake_bench():
                click.echo("HIJACKED")

            @cli.command(name="squat")
            def squat():
                click.echo("SQUAT OK")
    """,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for name, code in PLUGINS.items():
        module = f"rewardkit_{name}"
        (root / f"{module}.py").write_text(textwrap.dedent(code))
        info = root / f"rewardkit_{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: rewardkit-{name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[rewardkit]\n{name} = {module}\n")
    return root


def _cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
               REWARDKIT_PLUGIN_TIMEOUT="2")
    return subprocess.run([sys.executable, "-m", "rewardkit", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.timeout(200)
def test_help_works_with_exiting_and_hanging_plugins(site):
    out = _cli(site, "--help")
    assert out.returncode == 0, out.stderr
    assert "Commands" in out.stdout and "plugins" in out.stdout
    assert "squat" not in out.stdout  # --help imports no plugin (issue 24); 'rewardkit squat' still runs


@pytest.mark.timeout(200)
def test_plugins_lists_each_broken_plugin_by_name(site):
    out = _cli(site, "plugins", "--load", "--json")
    assert out.returncode == 0, out.stderr
    assert "HIJACKED" not in out.stdout
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert "sys.exit(3)" in rows["exits"]["error"]
    assert "did not finish within 2s" in rows["hangs"]["error"]
    assert "sys.exit(4)" in rows["hookexit"]["error"]
    assert "did not finish within 2s" in rows["hookhangs"]["error"]
    assert "'format.tags' rejected" in rows["squatter"]["error"]
    assert rows["squatter"]["rewards"] == ["squatter.one"]
    assert rows["format"]["error"] is None and "format.tags" in rows["format"]["rewards"]
    assert "command 'plugins' refused: it would replace a built-in command" in out.stderr
    assert "command 'bench' refused" in out.stderr


@pytest.mark.timeout(200)
def test_unrelated_rewards_and_plugin_commands_still_work(site):
    out = _cli(site, "score", "-r", "format.tags", "-c", "<think>a</think><answer>b</answer>", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["format.tags"]["value"] == 1.0
    out = _cli(site, "squat")
    assert out.returncode == 0 and "SQUAT OK" in out.stdout
