"""Linear-time parsing of ``<think>``/``<answer>``-style tags, and the two layout rewards.

The tag rule (documented in docs/format.md):

* A **tag** is exactly ``<name>`` or ``</name>`` with a configured name in the configured
  letter case, with nothing else between the angle brackets.
* A **look-alike** is the same name in another letter case, with attributes, or with blanks
  inside the brackets (``<Answer>``, ``<answer id="1">``, ``< /answer >``). It is never a tag:
  it earns nothing, it breaks the layout, and inside a block it spoils that block.
* Anything else (``<thinking>``, ``a < b``) is plain text.

Letter case is compared in ASCII only (tag names are ASCII). Exact tags are counted and
located with ``str.count``/``str.find``; one regular expression, whose every repetition is
bounded, looks for tags and look-alikes inside candidate blocks. Scoring is linear-time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

TAG_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern[bytes]:
    """Tags and look-alikes, on UTF-8 bytes (so case-insensitivity is ASCII-only)."""
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # every repetition is bounded: no backtracking blow-up on hostile input
    return re.compile(rf"<[ \t]{{0,8}}/?[ \t]{{0,8}}(?:{alt})(?![A-Za-z0-9_-])[^<>]{{0,256}}>".encode(), re.IGNORECASE)


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


def has_tag(text: str, names: Sequence[str], start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` holds a tag or look-alike of ``names``.

    Works on the UTF-8 bytes so that ASCII lower-casing keeps offsets. A regex search costs
    a little per ``<``; when the names occur less often than ``<`` (a wall of ``<``), only
    short windows around the name occurrences are searched, so hostile text stays cheap.
    """
    end = len(text) if end is None else end
    if text.find("<", start, end) < 0:
        return False
    seg = text[start:end].encode("utf-8", "surrogatepass")
    lt = seg.count(b"<")
    if not lt:
        return False
    names = tuple(names)
    pat = _pattern(names)
    low = seg.lower()
    keys = [n.lower().encode() for n in names]
    occ = sum(low.count(k) for k in keys)
    if occ == 0:
        return False
    if occ >= lt:
        return pat.search(seg) is not None
    for k in keys:
        q = low.find(k)
        while q >= 0:
            if pat.search(seg, max(0, q - 18), q + len(k) + 258):
                return True
            q = low.find(k, q + 1)
    return False


def is_blank(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` holds only blanks and invisible format characters (zero-width
    space and joiners, word joiner, BOM, soft hyphen: Unicode category Cf). Stops at the first
    visible character, so it is linear and usually instant."""
    for ch in text[start:end] if start or end is not None else text:
        if not ch.isspace() and unicodedata.category(ch) != "Cf":
            return False
    return True


def analyse(text: str, names: Sequence[str]) -> Layout:
    """Check each configured tag's block and the whole layout of ``text``.

    A tag's block counts when the text has exactly one ``<name>`` and one ``</name>``, in that
    order, at top level (every other tag is balanced before it), with visible content (not only
    blanks or zero-width characters, see :func:`is_blank`) and no
    other tag or look-alike inside. The layout is exact when the text is nothing but those
    blocks, in the configured order, separated by blanks only.

    Exact tags are counted with ``str.count`` and located with ``str.find`` (C speed, linear);
    the regular expression only searches the content of a candidate block.
    """
    names = tuple(names)
    spans: dict[str, tuple[int, int, int, int]] = {}
    total = 0
    for n in names:
        o, c = f"<{n}>", f"</{n}>"
        n_open, n_close = text.count(o), text.count(c)
        total += n_open + n_close
        if n_open == 1 and n_close == 1:
            po, pc = text.find(o), text.find(c)
            if po < pc:
                spans[n] = (po, po + len(o), pc, pc + len(c))
    blocks = dict.fromkeys(names, False)
    for n, (po, inner, pc, _) in spans.items():
        if is_blank(text, inner, pc) or has_tag(text, names, inner, pc):
            continue
        if any(text.count(f"<{m}>", 0, po) != text.count(f"</{m}>", 0, po) for m in names if m != n):
            continue  # inside another block, or after an unbalanced tag
        blocks[n] = True
    exact = False
    if all(blocks.values()) and total == 2 * len(names):
        order = [spans[n] for n in names]
        cuts = [0] + [p for span in order for p in (span[0], span[3])] + [len(text)]
        if all(cuts[i] <= cuts[i + 1] for i in range(len(cuts) - 1)):
            exact = not any(text[cuts[i] : cuts[i + 1]].strip() for i in range(0, len(cuts), 2))
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
