"""Find the program in a completion (linear time on any input).

``source="auto"`` (default): the last fenced block labelled with the language (or unlabelled)
after the last ``</think>``; when there is none, the final ``<answer>`` span (read by
:func:`rewardkit.utils.answer_span`), itself fenced or plain. ``"fence"`` and ``"answer"``
use only one rule; ``"raw"`` takes the whole completion.
"""

from __future__ import annotations

from rewardkit.utils import after_think, answer_span

SOURCES = ("auto", "fence", "answer", "raw")

#: Fence labels that count as each language (an unlabelled fence counts for every language).
ALIASES: dict[str, frozenset[str]] = {
    "python": frozenset({"python", "python3", "py", "py3"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx", "c++17", "c++20"}),
}


def extract_code(text: str, language: str = "python", source: str = "auto") -> str | None:
    """The program in ``text`` or None when it holds none (see the module doc for the rules)."""
    if source == "raw":
        return text if text.strip() else None
    if source in ("auto", "fence"):
        code = last_fence(after_think(text), language)
        if code is not None and code.strip():
            return code
        if source == "fence":
            return None
    span = answer_span(text)
    if span is None:
        return None
    fenced = last_fence(span, language)
    code = fenced if fenced is not None else span
    return code if code.strip() else None


def last_fence(text: str, language: str = "python") -> str | None:
    """Content of the last closed ``` or ~~~ block labelled ``language`` (or unlabelled)."""
    names = ALIASES.get(language, frozenset({language}))
    found: str | None = None
    fence = ""
    wanted = False
    body: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not fence:
            if stripped.startswith(("```", "~~~")):
                mark = stripped[0]
                fence = mark * (len(stripped) - len(stripped.lstrip(mark)))
                label = stripped[len(fence):].strip().split(" ")[0].split("{")[0].lower()
                wanted = not label or label in names
                body = []
        elif stripped.startswith(fence) and not stripped.strip(fence[0]):
            if wanted:
                found = "\n".join(body) + "\n"
            fence = ""
        else:
            body.append(line)
    return found
