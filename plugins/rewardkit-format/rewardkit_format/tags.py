"""Linear-time parsing of ``<think>``/``<answer>``-style tags, and the two layout rewards.

The tag rule (documented in docs/format.md):

* A **tag** is exactly ``<name>`` or ``</name>`` with a configured name in the configured
  letter case, with nothing else between the angle brackets.
* A **look-alike** is the same name in another letter case, with attributes, or with blanks
  inside the brackets (``<Answer>``, ``<answer id="1">``, ``< /answer >``). It is never a tag:
  it earns nothing, it breaks the layout, and inside a block it spoils that block.
* Anything else (``<thinking>``, ``a < b``) is plain text.

Matching uses one regular expression whose every repetition is bounded, so scanning is
linear in the length of the text; the scan stops early once no credit is left to find.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

TAG_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag or look-alike found in a text."""

    start: int
    end: int
    name: str  # the configured name it refers to
    closing: bool
    exact: bool  # False for a look-alike


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # every repetition is bounded: no backtracking blow-up on hostile input
    return re.compile(rf"<[ \t]{{0,8}}(/?)[ \t]{{0,8}}({alt})(?![A-Za-z0-9_-])([^<>]{{0,256}})>", re.IGNORECASE)


def find_tags(text: str, names: Sequence[str]) -> list[Tag]:
    """Tags and look-alikes of ``names`` in ``text``, in order.

    Stops early once every name has three exact tags: then each name is duplicated, no
    block or layout can count, and what follows cannot change the score.
    """
    names = tuple(names)
    canon = {n.lower(): n for n in names}
    seen = dict.fromkeys(names, 0)
    alive = len(names)
    out: list[Tag] = []
    for m in _pattern(names).finditer(text):
        slash, raw, rest = m.group(1), m.group(2), m.group(3)
        name = canon[raw.lower()]
        exact = not rest and raw == name and m.end() - m.start() == len(name) + 2 + len(slash)
        out.append(Tag(m.start(), m.end(), name, bool(slash), exact))
        if exact:
            seen[name] += 1
            if seen[name] == 3:
                alive -= 1
                if not alive:
                    break
    return out


def detect_prefill(prompt: str, names: Sequence[str]) -> str:
    """The open tag a prompt pre-filled for the assistant (``"<think>"``), or ``""``.

    Chat prompts reach rewards as joined message text, so a pre-filled assistant prefix
    is at the very end: only an exact open tag ending the prompt (blanks aside) counts.
    """
    tail = prompt.rstrip()
    if not tail.endswith(">"):
        return ""
    for n in names:
        if tail.endswith(f"<{n}>"):
            return f"<{n}>"
    return ""


def resolve_prefill(prefill: str, prompt: str, names: Sequence[str]) -> str:
    if prefill == "auto":
        return detect_prefill(prompt, names)
    if prefill == "none":
        return ""
    return prefill


@dataclass(frozen=True, slots=True)
class Layout:
    """What a text earns: which tags form a clean block, and whether the whole layout is exact."""

    blocks: dict[str, bool]
    exact: bool


def analyse(text: str, names: Sequence[str]) -> Layout:
    """Check each configured tag's block and the whole layout of ``text``.

    A tag's block counts when the text has exactly one ``<name>`` and one ``</name>``, in that
    order, at top level (not inside another block), with non-blank content and no other tag
    or look-alike inside. The layout is exact when the text is nothing but those blocks, in
    the configured order, separated by blanks only.
    """
    names = tuple(names)
    tags = find_tags(text, names)
    blocks = {n: False for n in names}
    opens: dict[str, list[int]] = {n: [] for n in names}
    closes: dict[str, list[int]] = {n: [] for n in names}
    depth_before: list[int] = []
    depth = 0
    for i, t in enumerate(tags):
        depth_before.append(depth)
        if not t.exact:
            continue
        if t.closing:
            closes[t.name].append(i)
            depth = max(0, depth - 1)
        else:
            opens[t.name].append(i)
            depth += 1
    for n in names:
        if len(opens[n]) != 1 or len(closes[n]) != 1:
            continue
        i, j = opens[n][0], closes[n][0]
        if j != i + 1 or depth_before[i] != 0:
            continue  # wrong order, something inside, or nested in another block
        if text[tags[i].end : tags[j].start].strip():
            blocks[n] = True
    exact = False
    if all(blocks.values()) and len(tags) == 2 * len(names) and all(t.exact for t in tags):
        order = [t.name for t in tags[::2]]
        if order == list(names):
            gaps = [text[: tags[0].start]] + [text[tags[k].end : tags[k + 1].start] for k in range(1, len(tags) - 1, 2)]
            gaps.append(text[tags[-1].end :])
            exact = not any(g.strip() for g in gaps)
    return Layout(blocks, exact)


def default_weights(k: int) -> tuple[float, ...]:
    """Half the credit for the blocks (later tags weigh more: 1:2:..), half for the exact layout."""
    total = k * (k + 1) / 2
    return tuple(0.5 * (i + 1) / total for i in range(k)) + (0.5,)


def check_params(params: dict) -> None:
    """Reject bad tag names, duplicate names, and weights of the wrong length or sign."""
    names = params["tags"]
    if not names:
        raise ValueError("needs at least one tag name")
    for n in names:
        if not isinstance(n, str) or not TAG_NAME_RE.match(n):
            raise ValueError(f"tag name {n!r} must be a letter followed by letters, digits, '_' or '-'")
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"tag names must differ in more than letter case: {list(names)}")
    weights = params.get("weights")
    if weights is not None:
        if len(weights) != len(names) + 1:
            raise ValueError(
                f"weights needs {len(names) + 1} numbers (one per tag, then the exact layout), got {len(weights)}"
            )
        if any(not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"weights must be non-negative numbers with a positive sum, got {list(weights)}")
    prefill = params.get("prefill")
    if prefill is not None and not isinstance(prefill, str):
        raise ValueError("prefill must be 'auto', 'none' or the literal text the prompt pre-filled")


def tags(
    *, completions: list[str], prompts: list[str], tags: tuple[str, ...], weights: tuple[float, ...] | None,
    prefill: str,
) -> list[float]:
    """Soft credit: a share for each clean tag block, the rest for the exact layout."""
    w = tuple(weights) if weights is not None else default_weights(len(tags))
    total = float(sum(w))
    out = []
    for completion, prompt in zip(completions, prompts):
        text = resolve_prefill(prefill, prompt, tags) + completion
        layout = analyse(text, tags)
        if layout.exact:
            out.append(1.0)
            continue
        earned = sum(wi for wi, n in zip(w, tags) if layout.blocks[n])
        out.append(min(1.0, earned / total))
    return out


def strict(*, completions: list[str], prompts: list[str], tags: tuple[str, ...], prefill: str) -> list[float]:
    """1.0 only for exactly the configured blocks in order, separated by blanks; else 0.0."""
    return [
        1.0 if analyse(resolve_prefill(prefill, p, tags) + c, tags).exact else 0.0
        for c, p in zip(completions, prompts)
    ]
