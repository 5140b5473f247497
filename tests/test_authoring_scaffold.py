"""``rewardkit new-plugin``: the generated distribution installs, is discovered, scores and passes its tests."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from rewardkit.authoring.scaffold import check_name, generate
from rewardkit.cli import cli
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.testing import assert_contract

EXPECTED = ["README.md", "pyproject.toml", "rewardkit_{n}/__init__.py", "tests/test_{n}.py"]


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_generates_a_complete_distribution(tmp_path):
    result = CliRunner().invoke(cli, ["new-plugin", "shout", "--dir", str(tmp_path),
                                      "--description", 'Rewards for "loud" text'])
    assert result.exit_code == 0, result.output
    root = tmp_path / "rewardkit-shout"
    assert files_under(root) == [f.format(n="shout") for f in EXPECTED]
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "rewardkit-shout"
    assert meta["project"]["description"] == 'Rewards for "loud" text'
    assert meta["project"]["entry-points"]["rewardkit"] == {"shout": "rewardkit_shout"}
    assert any(d.startswith("rewardkit>=") for d in meta["project"]["dependencies"])
    for py in root.rglob("*.py"):
        compile(py.read_text(), str(py), "exec")
    readme = (root / "README.md").read_text()
    assert "pip install -e ." in readme and "shout.answer_match" in readme
    # plain 'rewardkit plugins' imports nothing: only --load lists rewards; the file -f reads is written first
    assert "rewardkit plugins --load" in readme and "rewardkit plugins  " not in readme
    assert readme.index("> completions.jsonl") < readme.index("-f completions.jsonl")
    assert "check-plugin shout --probe" in readme and "REWARDKIT_DEBUG=1" in readme
    assert "Next steps" in result.output and "rewardkit check-plugin shout" in result.output


@pytest.mark.parametrize("name, message", [
    ("My-Plugin", "invalid plugin name 'My-Plugin'"),
    ("9lives", "starting with a letter"),
    ("a.b", "try 'a_b'"),
    ("", "invalid plugin name"),
    ("class", "reserved"),
])
def test_refuses_invalid_names(tmp_path, name, message):
    result = CliRunner().invoke(cli, ["new-plugin", name, "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_existing_folder(tmp_path):
    (tmp_path / "rewardkit-taken").mkdir()
    (tmp_path / "rewardkit-taken" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["new-plugin", "taken", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "rewardkit-taken already exists" in result.output
    assert files_under(tmp_path / "rewardkit-taken") == ["keep.txt"]


def test_warns_when_the_name_is_taken(tmp_path, monkeypatch):
    from rewardkit.authoring import scaffold

    monkeypatch.setattr(scaffold, "installed_plugin", lambda name: "rewardkit-taken" if name == "taken" else None)
    result = CliRunner().invoke(cli, ["new-plugin", "taken", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning: a plugin named 'taken' is already installed (rewardkit-taken)" in result.output


def test_distribution_prefix_is_accepted():
    assert check_name("rewardkit-bleu2") == "bleu2"
    assert check_name("my_plugin") == "my_plugin"


def test_generated_module_keeps_the_contract_in_process(tmp_path):
    """Without pip: import the generated module and register it by hand."""
    root = generate("inproc", tmp_path)
    spec = importlib.util.spec_from_file_location("rewardkit_inproc", root / "rewardkit_inproc" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    register_plugin(module, name="inproc")
    try:
        import rewardkit

        r = rewardkit.reward("inproc.answer_match")
        assert r(["<answer>42</answer>", "The answer is 42.", "x"], answer=["42", "42", None]) == [1.0, 0.0, None]
        assert_contract("inproc.answer_match", columns={"answer": "42"})
    finally:
        unregister_plugin("inproc")


def _run(*args: str, cwd: Path | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("REWARDKIT_LOAD_PLUGINS", None)
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def _uninstall(dist: str) -> None:
    _run(sys.executable, "-m", "pip", "uninstall", "-y", "-q", dist)


@pytest.fixture
def installed_plugin(tmp_path):
    """A freshly generated plugin, pip-installed (editable) into this interpreter, uninstalled after."""
    # leftovers of a killed earlier run point at deleted folders: remove them first
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or ""
        if name.replace("_", "-").startswith("rewardkit-scaffoldtest"):
            _uninstall(name)
    name = f"scaffoldtest_{uuid.uuid4().hex[:8]}"
    root = generate(name, tmp_path)
    done = _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(root))
    assert done.returncode == 0, done.stderr
    try:
        yield name, root
    finally:
        _uninstall(f"rewardkit-{name}")


def test_new_plugin_installs_is_discovered_scores_and_passes_its_tests(installed_plugin):
    name, root = installed_plugin
    rk = [sys.executable, "-m", "rewardkit"]

    listed = _run(*rk, "plugins", "--load", "--json")
    assert listed.returncode == 0, listed.stderr
    plugin = {p["name"]: p for p in json.loads(listed.stdout)}[name]
    assert plugin["error"] is None
    assert plugin["distribution"].replace("_", "-") == f"rewardkit-{name}".replace("_", "-")
    assert plugin["rewards"] == [f"{name}.answer_match"]

    scored = _run(*rk, "score", "-r", f"{name}.answer_match", "-c", "<answer>42</answer>", "--column", "answer=42", "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout) == {f"{name}.answer_match": {"value": 1.0, "status": "value"}}

    checked = _run(*rk, "check-plugin", name, "--long-chars", "100000", "--probe")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the example resists the probe too
    assert "1 reward(s) keep the contract" in checked.stderr

    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_templates_are_package_data():
    """The templates must ship in the wheel: a package-data pattern of the root pyproject.toml must match them."""
    import glob

    repo = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((repo / "pyproject.toml").read_text())
    patterns = meta["tool"]["setuptools"]["package-data"]["rewardkit"]
    package = repo / "core" / "rewardkit"
    shipped = {Path(p).resolve() for pat in patterns for p in glob.glob(str(package / pat), recursive=True)}
    templates = sorted((package / "authoring" / "templates").glob("*.tmpl"))
    assert templates
    missing = [t.name for t in templates if t.resolve() not in shipped]
    assert not missing, (
        f"{missing} would be left out of the wheel: add \"authoring/templates/*\" to "
        "[tool.setuptools.package-data] rewardkit in pyproject.toml"
    )
