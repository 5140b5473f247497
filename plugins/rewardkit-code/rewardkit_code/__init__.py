"""rewardkit-code: rewards that run generated code against tests in a local sandbox.

``code.tests`` (share of test cases passed), ``code.passes`` (1 when all pass) and
``code.compiles`` (the extracted program parses). Programs run in :mod:`rewardkit_code.sandbox`:
a fresh bubblewrap sandbox per program run (every namespace new, an allow-list read-only view,
fresh tmpfs, a cgroup per run, an unprivileged uid, seccomp), the verdict computed outside it.
:func:`run_python` runs other plugins' scripts in the same sandbox. See docs/code.md.
"""

from __future__ import annotations

from typing import Any

import rewardkit
from rewardkit import Param

from .extract import SOURCES, extract_code
from .isolated import run_python
from .rewards import check_params, compiles, compiles_inline, passes, tests
from .runner import RUNNERS, Outcome, Runner
from .sandbox import BACKENDS, Limits, Run, Sandbox, SandboxError
from .suites import Suite, SuiteError, parse_suite

__all__ = [
    "RUNNERS", "Limits", "Outcome", "Run", "Runner", "Sandbox", "SandboxError", "Suite", "SuiteError",
    "compiles", "extract_code", "parse_suite", "passes", "run_python", "tests",
]

_LANGUAGE = Param("python", help="language of the program (a key of rewardkit_code.RUNNERS)",
                  choices=tuple(RUNNERS))
_SOURCE = Param("auto", help="where the program is: 'auto' (last fenced block, else <answer>), 'fence', "
                "'answer', 'raw'", choices=SOURCES)

#: A sample ``tests`` cell for the contract kit (``rewardkit check-plugin code``): two stdin/stdout
#: cases in open-r1's form. The kit's fallback "42" parses as test code without asserts, so every
#: sample item was "not applicable" (None) and the sandbox never ran; with this, programs run.
EXAMPLES = {"tests": {"test_cases": [{"input": "6 7\n", "output": "42\n"}, {"input": "2 3\n", "output": "6\n"}]}}


def _run_params() -> dict[str, Any]:
    return {
        "language": _LANGUAGE,
        "source": _SOURCE,
        "entry_point": Param("", help="function a check(candidate) test calls (default: from the tests "
                             "object, else the last def of the prompt, else of the program)"),
        "prepend_prompt": Param(False, help="run prompt + extracted code (human-eval continuation style)"),
        "strict": Param(True, help="function tests run in a judge process apart from the program, which only "
                        "returns plain built-in data; False: tests run inside the program's process (trusts it)"),
        "run_timeout": Param(4.0, help="wall seconds per program run (CPU limit: that + 1)", min=0.1, max=300,
                             kind="resource"),
        "memory_mb": Param(1024, help="address-space limit of a run in MiB", min=64, max=65536,
                           kind="resource"),
        "backend": Param("auto", help="'auto' = 'bwrap' (bubblewrap, a fresh sandbox per run; required: an error says "
                         "how to install it), 'sandboxfusion' (a SandboxFusion server, stdin/stdout tests: for "
                         "containers and clusters), or the weaker, warned opt-ins 'ns' and 'fork' (docs/code.md)",
                         choices=BACKENDS + ("sandboxfusion",), kind="resource"),
        "sandbox_url": Param("", help="SandboxFusion server for backend='sandboxfusion' (default: "
                             "$REWARDKIT_SANDBOX_URL)", kind="path"),
        "max_seconds": Param(30.0, help="sandbox time budget per completion; cases left unrun count as failed",
                             min=0.1, max=3600, kind="resource"),
    }


@rewardkit.hookimpl
def rewardkit_register_rewards(register):  # type: ignore[no-untyped-def]
    register(
        tests, name="code.tests",
        description="Share of test cases (stdin/stdout, asserts or check(candidate)) the extracted program passes",
        columns=("tests",), range=(0.0, 1.0), params=_run_params(), cost="cpu", timeout=60.0, check_params=check_params,
        examples=EXAMPLES, executes_inputs=True,
    )
    register(
        passes, name="code.passes",
        description="1 when the extracted program passes every test case in the sandbox, else 0",
        columns=("tests",), range=(0.0, 1.0), params=_run_params(), cost="cpu", timeout=60.0, check_params=check_params,
        examples=EXAMPLES, executes_inputs=True,
    )
    register(
        compiles, name="code.compiles",
        description="1 when the extracted program parses (nothing runs), else 0",
        range=(0.0, 1.0), cost="cpu",
        params={"language": Param("python", help="only Python parses without running anything", choices=("python",)),
                "source": _SOURCE},
        fast_path=compiles_inline, timeout=10.0,
    )


@rewardkit.hookimpl
def rewardkit_register_commands(cli):  # type: ignore[no-untyped-def]
    import click

    @cli.command(name="code-sandbox")
    @click.option("--backend", default="auto", show_default=True, type=click.Choice(BACKENDS))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def code_sandbox(backend: str, as_json: bool) -> None:
        """rewardkit-code: the sandbox backend active here and the defences that hold."""
        import json

        from .sandbox import describe

        found = describe(backend)
        if as_json:
            click.echo(json.dumps(found, indent=2))
            return
        click.echo(f"rewardkit-code backend {backend!r} -> {found['backend']!r}")
        if found["error"]:
            click.echo(f"  ERROR:   {found['error']}")
        for what in found["defences"]:
            click.echo(f"  holds:   {what}")
        for what, why in found["missing"].items():
            click.echo(f"  MISSING: {what} ({why})")
        click.echo(f"  bubblewrap installed: {'yes' if found['bwrap'] else 'no'}")
        click.echo("  what it does not stop, and the measured threat table per backend: docs/code.md")
        if found["error"]:
            raise SystemExit(1)


@rewardkit.hookimpl
def rewardkit_register_probes(register):  # type: ignore[no-untyped-def]
    from .probes import code_cheats

    register("code_cheats", code_cheats, targets=("code.passes", "code.tests"),
             description="programs that score only where a sandbox defence is missing (issues 22 and 30)")
