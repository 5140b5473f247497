"""Every runnable block of README.md and docs/*.md runs as written, in order, from the repo root's layout.

The convention (markers, inputs, what runs) is in tests/support/doc_blocks.py.
Each doc runs in its own scratch folder holding links to the checkout's top-level entries, so paths
are written as from a fresh clone and whatever a command writes stays out of the checkout. Blocks
marked ``slow`` run only with ``RK_DOCS_SLOW=1``; ``needs``, ``fragment`` and ``file`` blocks never run
(a ``file`` block must appear in the shipped file it names).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from doc_blocks import Block, MarkerError, blocks, runnable_bash

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK_TIMEOUT = float(os.environ.get("RK_DOCS_TIMEOUT", "240"))

_KERNEL = textwrap.dedent("""
    import json, sys, traceback
    ns = {"__name__": "__main__"}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            exec(compile(req["code"], req["where"], "exec"), ns)
            out = {"ok": True}
        except BaseException:
            out = {"ok": False, "error": traceback.format_exc(limit=6)}
        sys.stdout.flush(); sys.stderr.flush()
        print("\\n@@doc-test@@" + json.dumps(out), flush=True)
""")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _scratch(tmp_path: Path) -> Path:
    work = tmp_path / "clone"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".git", "runs", "out") and not entry.name.startswith(".pytest"):
            (work / entry.name).symlink_to(entry)
    return work


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "120",
                "PYTHONUNBUFFERED": "1", "HOME": os.environ.get("HOME", str(work))})
    return env


class _Python:
    """One interpreter per doc: its python blocks run in order and share names."""

    def __init__(self, work: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _KERNEL], cwd=work, env=_env(work), text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def run(self, block: Block) -> tuple[bool, str]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"code": block.code, "where": block.where}) + "\n")
        self.proc.stdin.flush()
        output: list[str] = []
        for line in self.proc.stdout:
            if line.startswith("@@doc-test@@"):
                result = json.loads(line[len("@@doc-test@@"):])
                return result["ok"], "".join(output) + result.get("error", "")
            output.append(line)
        return False, "".join(output) + f"\n(the interpreter exited with {self.proc.wait()})"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _run_bash(block: Block, work: Path) -> tuple[bool, str]:
    proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", runnable_bash(block.code)], cwd=work,
                            env=_env(work), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group: a timeout ends a server it started too
    try:
        out, err = proc.communicate(timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return False, f"timed out after {BLOCK_TIMEOUT:.0f}s (mark it <!-- doc-test: slow --> or make it faster)"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the block left running in the background
        except ProcessLookupError:
            pass
    return proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}{err[-3000:]}"


def _file_block_holds(block: Block) -> None:
    path = ROOT / block.detail
    assert path.is_file(), f"{block.where}: marked as the file {block.detail}, which is not shipped"
    text = path.read_text(encoding="utf-8")
    assert block.code.strip() in text, f"{block.where}: the block is not the text of {block.detail}"


@pytest.mark.timeout(3600 if os.environ.get("RK_DOCS_SLOW") == "1" else 600)  # slow blocks train models
@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_doc_blocks_run(doc, tmp_path):
    slow_too = os.environ.get("RK_DOCS_SLOW") == "1"
    work = _scratch(tmp_path)
    python: _Python | None = None
    failures = []
    try:
        for block in blocks(doc, _name(doc)):
            if block.marker == "file":
                _file_block_holds(block)
            if not block.runnable or (block.marker == "slow" and not slow_too):
                continue
            if block.lang == "python":
                python = python or _Python(work)
                ok, output = python.run(block)
            else:
                ok, output = _run_bash(block, work)
            if ok == (block.marker == "fails"):
                expected = "to fail" if block.marker == "fails" else "to succeed"
                failures.append(f"{block.where} ({block.lang}) was expected {expected}:\n{block.code}\n{output}")
    finally:
        if python is not None:
            python.close()
    assert not failures, "\n\n".join(failures)


def test_markers_are_known_and_give_a_reason():
    for doc in DOCS:
        blocks(doc, _name(doc))  # raises MarkerError on an unknown marker or a missing reason


def test_a_marker_without_its_reason_is_refused(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("<!-- doc-test: needs gpu -->\n```bash\nrewardkit train\n```\n")
    with pytest.raises(MarkerError, match="needs KIND: why"):
        blocks(doc)
    doc.write_text("<!-- doc-test: later -->\n```bash\ntrue\n```\n")
    with pytest.raises(MarkerError, match="unknown doc-test marker"):
        blocks(doc)


def test_blocks_are_read_with_their_markers(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n<!-- doc-test: slow -->\n```bash\npip install -e .\necho hi\n```\n\n```toml\na = 1\n```\n")
    found = blocks(doc)
    assert [(b.lang, b.marker, b.line) for b in found] == [("bash", "slow", 3), ("toml", "", 8)]
    assert found[0].runnable and not found[1].runnable
    assert runnable_bash(found[0].code).splitlines()[1] == "echo hi"
    assert "skipped by the doc-test" in runnable_bash(found[0].code).splitlines()[0]


def test_one_install_story_and_no_package_that_is_not_on_an_index():
    """rewardkit and its plugins install from the clone (pip install -e), rewardkit first; no block installs
    rewardkit or a built-in plugin from a package index, where they do not exist."""
    builtin = {p.name for p in (ROOT / "plugins").iterdir() if p.name.startswith("rewardkit-")}
    for doc in DOCS:
        first_plugin_install, core_install = None, None
        for block in blocks(doc, _name(doc)):
            if block.lang != "bash":
                continue
            for line in block.code.splitlines():
                words = line.split("#")[0].split()
                if words[:2] != ["pip", "install"]:
                    continue
                args = [w.strip("'\"") for w in words[2:] if not w.startswith("-")]
                for arg in args:
                    name = arg.split("[")[0]
                    assert name not in ("rewardkit", *builtin), f"{block.where}: {line.strip()!r} installs {name} " \
                        "from a package index, where it is not published; install it from the clone (pip install -e)"
                if "-e" in words and any(a.startswith("plugins/") for a in args) and first_plugin_install is None:
                    first_plugin_install = block.where
                if "-e" in words and any(a.split("[")[0] in (".", "'.", '".') for a in words[2:]) and core_install is None:
                    core_install = block.where
        if doc.name == "README.md":
            assert core_install is not None and first_plugin_install is not None
            assert int(core_install.rsplit(":", 1)[1]) <= int(first_plugin_install.rsplit(":", 1)[1]), \
                "README: pip install -e . (rewardkit) must come before the first plugin install"


def test_every_reward_term_key_is_documented():
    from rewardkit.composite import TERM_KEYS

    text = (ROOT / "docs" / "train.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    missing = [k for k in TERM_KEYS if not any(f"`{k}`" in row.split("|")[1] for row in rows)]
    assert not missing, f"docs/train.md does not document the [[reward]] key(s) {missing}"
