"""``rewardkit new-plugin``: generate a complete plugin distribution that installs and passes its tests."""

from __future__ import annotations

import json
import keyword
import re
from importlib import resources
from pathlib import Path
from string import Template

import click

PLUGIN_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Template file -> path in the generated distribution (``{name}`` is the plugin name).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "module.py.tmpl": "rewardkit_{name}/__init__.py",
    "test_plugin.py.tmpl": "tests/test_{name}.py",
}


def check_name(name: str) -> str:
    """The plugin name for ``name`` (``rewardkit-foo`` -> ``foo``), or ValueError saying why not."""
    raw = name
    for prefix in ("rewardkit-", "rewardkit_"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if not PLUGIN_RE.match(name):
        hint = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
        hint = f" (try {hint!r})" if hint and PLUGIN_RE.match(hint) else ""
        raise ValueError(
            f"invalid plugin name {raw!r}: use lower-case letters, digits and underscores, starting "
            f"with a letter; it prefixes every reward name ('<plugin>.<reward>'){hint}"
        )
    if keyword.iskeyword(name) or name in {"rewardkit", "test", "tests"}:
        raise ValueError(f"invalid plugin name {raw!r}: {name!r} is reserved")
    return name


def installed_plugin(name: str) -> str | None:
    """The distribution that already provides plugin ``name``, if any."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="rewardkit", name=name):
        dist = getattr(ep, "dist", None)
        return dist.name if dist else ep.value
    return None


def render(name: str, description: str | None = None) -> dict[str, str]:
    """The generated files, by relative path."""
    from .. import __version__

    description = " ".join((description or f"rewardkit plugin: {name} rewards").split())
    values = {
        "name": name,
        "description": description.replace('"""', "'''").replace("\\", "/"),
        "description_toml": json.dumps(description, ensure_ascii=False),
        "rewardkit_version": ".".join(__version__.split(".")[:2]),
    }
    root = resources.files(__package__) / "templates"
    return {
        target.format(name=name): Template((root / source).read_text(encoding="utf-8")).substitute(values)
        for source, target in FILES.items()
    }


def generate(name: str, parent: str | Path = ".", description: str | None = None) -> Path:
    """Write ``rewardkit-<name>/`` under ``parent`` and return its path.

    Raises ValueError for an invalid name and FileExistsError when the folder exists.
    """
    name = check_name(name)
    target = Path(parent) / f"rewardkit-{name}"
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose another name or --dir, or remove it first")
    files = render(name, description)
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


@click.command(name="new-plugin")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder in which to create rewardkit-NAME/.")
@click.option("--description", default=None, help="One-line description of the plugin.")
def new_plugin(name: str, parent: str, description: str | None) -> None:
    """Generate a new reward plugin distribution rewardkit-NAME.

    It has a pyproject.toml with the entry point, a module registering one example reward
    through the hook, a README and tests that run the reward contract checks.
    """
    try:
        target = generate(name, parent, description)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    plugin = check_name(name)
    click.echo(f"Created {target}/")
    clash = installed_plugin(plugin)
    if clash:
        click.echo(f"warning: a plugin named {plugin!r} is already installed ({clash}); "
                   "two plugins with one name shadow each other: pick another name", err=True)
    for rel in sorted(render(plugin, description)):
        click.echo(f"  {rel}")
    click.echo(
        "\nNext steps:\n"
        f"  cd {target}\n"
        "  pip install -e .          # register the plugin (entry point 'rewardkit')\n"
        f"  rewardkit rewards {plugin}.answer_match\n"
        "  pytest                    # behaviour tests and the reward contract checks\n"
        f"  rewardkit check-plugin {plugin} --probe"
    )
