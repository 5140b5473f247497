"""docs/hooks.md documents every hook in rewardkit.hookspecs: signature, arguments and an example."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from rewardkit import hookspecs
from rewardkit.spec import Param, build_spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"


def hookspec_functions() -> dict[str, object]:
    return {
        name: fn for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "rewardkit_spec")
    }


def sections() -> dict[str, str]:
    """Level-2 sections of the reference by hook name."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## `([a-z_]+)`\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


HOOKS = sorted(hookspec_functions())


def test_there_are_hooks():
    assert "rewardkit_register_rewards" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_documented(hook):
    doc = sections()
    assert hook in doc, f"docs/hooks.md has no section '## `{hook}`'; document the new hook there"
    body = doc[hook]
    args = list(inspect.signature(hookspec_functions()[hook]).parameters)
    assert f"{hook}({', '.join(args)})" in body, f"{hook}: signature missing or out of date"
    assert "**Arguments**" in body
    for arg in args:
        assert re.search(rf"^- `{arg}`:", body, flags=re.M), f"{hook}: argument {arg!r} is not described"
    examples = [b for b in code_blocks(body) if "@rewardkit.hookimpl" in b and f"def {hook}(" in b]
    assert examples, f"{hook}: no example implementing it"
    for block in examples:
        ast.parse(block)
    assert f"[`{hook}`](#{hook})" in DOC.read_text(encoding="utf-8"), f"{hook}: missing from the summary table"


def test_no_documented_hook_is_stale():
    assert sorted(sections()) == HOOKS


def test_register_keywords_and_param_fields_are_all_documented():
    body = sections()["rewardkit_register_rewards"]
    host_set = {"plugin", "version"}
    keywords = [k for k in inspect.signature(build_spec).parameters if k not in host_set]
    for key in keywords:
        assert f"| `{key}` |" in body, f"register keyword {key!r} is missing from the table"
    for field in inspect.signature(Param).parameters:
        if field != "default":
            assert f"{field}=" in body, f"Param field {field!r} is not mentioned"


def test_register_example_runs_and_keeps_the_contract():
    """The example of rewardkit_register_rewards works as written."""
    from rewardkit.plugins import register_plugin, unregister_plugin
    from rewardkit.testing import assert_contract
    import types

    source = next(b for b in code_blocks(sections()["rewardkit_register_rewards"]) if "@rewardkit.hookimpl" in b)
    module = types.ModuleType("hooks_doc_example")
    exec(compile(source, str(DOC), "exec"), module.__dict__)
    register_plugin(module, name="style")
    try:
        import rewardkit

        assert rewardkit.reward("style.shouting")(["ABc", "123"]) == [2 / 3, None]
        assert_contract("style.shouting", long_chars=100_000)
    finally:
        unregister_plugin("style")
