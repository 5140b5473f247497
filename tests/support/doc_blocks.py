"""Fenced code blocks of README.md and docs/*.md, with the doc-test markers (see tests/test_docs_run.py).

A marker is an HTML comment on the line right before a block's opening fence::

    <!-- doc-test: needs gpu: trains Qwen2.5-0.5B; hours on CPU -->
    <!-- doc-test: slow -->
    <!-- doc-test: fails -->
    <!-- doc-test: fragment: part of a module -->
    <!-- doc-test: file examples/train.toml -->
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RUNNABLE = ("bash", "python")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(\w+)\s*(.*?)\s*-->\s*$")
KINDS = ("needs", "slow", "fails", "fragment", "file")


class MarkerError(ValueError):
    """A doc-test marker that the convention does not know, or without its reason."""


@dataclass
class Block:
    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    marker: str = ""  # one of KINDS, or ""
    detail: str = ""  # the text after the marker's kind

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.lang in RUNNABLE and self.marker not in ("needs", "fragment", "file")


def blocks(path: Path, name: str | None = None) -> list[Block]:
    """Every fenced block of ``path``, in order, with the marker right before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(2), m.group(3).lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(m.group(1)):] if lines[i].startswith(m.group(1)) else lines[i])
            i += 1
        i += 1
        kind, detail = _marker(lines[start - 1] if start else "", f"{name or path.name}:{start}")
        out.append(Block(name or path.name, start + 1, lang, "\n".join(body) + "\n", kind, detail))
    return out


def _marker(line: str, where: str) -> tuple[str, str]:
    if "doc-test" not in line:
        return "", ""
    m = _MARKER.match(line)
    if not m or m.group(1) not in KINDS:
        raise MarkerError(f"{where}: unknown doc-test marker {line.strip()!r}; known kinds: {', '.join(KINDS)}")
    kind, detail = m.group(1), m.group(2).lstrip(":").strip()
    if kind in ("needs", "fragment", "file") and not detail:
        raise MarkerError(f"{where}: '{kind}' needs a reason or a path, e.g. <!-- doc-test: needs gpu: why -->")
    if kind == "needs" and ":" not in detail:
        raise MarkerError(f"{where}: write 'needs KIND: why' (e.g. 'needs network: downloads a model')")
    return kind, detail


def runnable_bash(code: str) -> str:
    """The block as it runs: lines that install with pip are left out (CI installed everything first)."""
    keep = []
    for line in code.splitlines():
        words = line.strip().split()
        if words[:2] == ["pip", "install"] or words[:4] == ["python3", "-m", "pip", "install"]:
            keep.append(f": skipped by the doc-test: {line.strip()!r}")
        else:
            keep.append(line)
    return "\n".join(keep) + "\n"
