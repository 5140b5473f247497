"""Finding the final answer in a completion (or a gold solution).

Strategies, tried in order; the first one that finds anything decides (later ones are not
consulted even if its answer does not parse, so an empty ``\\boxed{}`` is no answer rather
than a licence to use the last number in the text):

==============  =====================================================================
``answer_tag``  the ``<answer>...</answer>`` block (its content goes through the rest)
``boxed``       ``\\boxed{...}`` / ``\\fbox{...}`` (outermost boxes)
``hashes``      the line after ``####``
``answer_is``   "The (final) answer is ...", "Answer: ..." up to the end of the sentence
``a_colon``     a line starting with ``A:`` (GSM8K stored completions)
``latex``       the last math span: ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``
``expression``  the whole completion, when it is one line that parses as an answer
``last_number`` the last number in the text (``-1,234.5``, ``3/4``)
==============  =====================================================================

Before any strategy runs, a verbatim echo of the prompt is blanked out: the whole prompt, or one
of its lines or sentences of at least ``MIN_ECHO_WORDS`` words, copied into the completion (a
question copied back holds the numbers of the question, never the answer). A few words of the
question restated are no echo.

Every function here is linear in the length of the text (no backtracking regex over it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rewardkit.utils import answer_span, empty_slot, negated

from .normalize import undouble

STRATEGIES = ("answer_tag", "boxed", "hashes", "answer_is", "a_colon", "latex", "expression", "last_number")
#: candidates beyond this many (per strategy) are not kept
MAX_CANDIDATES = 32
MAX_ANSWER = 2000


@dataclass(frozen=True)
class Extraction:
    """The candidates one strategy found, in text order (the last is the final answer)."""

    strategy: str
    candidates: tuple[str, ...]
    #: how many the strategy found in all (only the last MAX_CANDIDATES are kept)
    total: int = 0


def _answer_tag(text: str) -> list[str]:
    """Every ``<answer>`` block; the final one is read by the host's rule (``rewardkit.utils.answer_span``:
    any letter case, blanks inside the brackets), the earlier ones count for the several-answers policy."""
    final = answer_span(text) if "nswer" in text or "NSWER" in text else None
    if final is None:
        return []
    blocks = _answer_blocks(text)
    if blocks and blocks[-1].strip() == final:
        blocks.pop()
    return [*blocks, final]


def _answer_blocks(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<answer>", pos)
        if start < 0:
            return out
        end = text.find("</answer>", start + 8)
        if end < 0:
            return out
        out.append(text[start + 8 : end])
        pos = end + 9


def _match_braces(text: str, lo: int) -> dict[int, int]:
    """Index of the matching ``}`` for each ``{`` from ``lo`` on (one linear pass)."""
    match: dict[int, int] = {}
    stack: list[int] = []
    i = lo
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "{}":
            i += 2
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            match[stack.pop()] = i
        i += 1
    return match


_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")


def _boxed(text: str) -> list[str]:
    return [content for _, _, content in _box_spans(text)]


def _box_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of every outermost box, in text order (``end`` is past the box)."""
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    first = min(i for i in (text.find("\\boxed"), text.find("\\fbox")) if i >= 0)
    match: dict[int, int] | None = None
    out: list[tuple[int, int, str]] = []
    covered = -1
    for m in _BOX_RE.finditer(text, first):
        if m.start() < covered:
            continue  # a box inside a box
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "{":
            if match is None:
                match = _match_braces(text, first)
            end = match.get(j)
            if end is None:
                continue
            out.append((m.start(), end + 1, text[j + 1 : end]))
            covered = end
        else:  # \boxed 5
            k = j
            while k < len(text) and not text[k].isspace() and text[k] not in "$.,;":
                k += 1
            if k > j:
                out.append((m.start(), k, text[j:k]))
    return out


# what joins the parts of one answer: "and"/"or", commas, "+", or nothing but blanks, $, \quad, \( \)
_JOINER_RE = re.compile(r"[,;+&]|\b(?:and|or)\b")
_DECOR_RE = re.compile(r"\\q?quad(?![a-zA-Z])|\\[,;:! ()\[\]]|\\text\s*\{\s*(?:and|or|,)?\s*\}|[\s$.]")
_WORD_RE = re.compile(r"[A-Za-z]+")
MAX_UNIT_WORDS = 2  # "\boxed{1} papers and \boxed{2} bins": unit words between joined parts


def _joined(between: str) -> bool:
    """Whether ``between`` joins two parts of one answer (connectors, a unit word or two), not prose."""
    rest = _DECOR_RE.sub(" ", between)
    if not rest.strip():
        return True
    words = [w for w in _WORD_RE.findall(rest) if w not in ("and", "or")]
    return _JOINER_RE.search(rest) is not None and len(words) <= MAX_UNIT_WORDS


def _connected(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether only connectors (see :func:`_joined`) stand between the spans."""
    return all(_joined(text[a[1] : b[0]]) for a, b in zip(spans, spans[1:]))


def _gold_spans(text: str) -> list[str]:
    """``$1$ and $2$ and $3$``, ``$21,16$ or $11$``: every math span, when only connectors join them."""
    spans = _single_dollar(text) if "$" in text and "$$" not in text else []
    if len(spans) < 2 or len(spans) > MAX_CANDIDATES:
        return []
    bounds = []
    for end, content in spans:
        bounds.append((end - len(content) - 1, end + 1))
    if text[: bounds[0][0]].strip() or text[bounds[-1][1] :].strip(" .\n") or not _connected(text, bounds):
        return []
    return [content for _, content in spans]


def _unclosed_box(text: str) -> str | None:
    """The rest of the text after a last ``\\boxed{`` that is never closed (a gold answer cut short)."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    brace = start + len("\\boxed")
    if brace in _match_braces(text, brace):
        return None
    rest = text[brace + 1 :].strip()
    return rest or None


def extract_gold(text: str, order: tuple[str, ...]) -> Extraction | None:
    """The gold answer's parts: like :func:`extract`, with the rules only a gold answer gets.

    Several boxes are one answer only when connectors join them (``\\boxed{1}, \\boxed{2}``); with
    words between them (a solution text) the last box is the answer. A gold answer written as math
    spans joined by connectors (``$1$ and $2$``) lists them all. An unclosed last ``\\boxed{`` holds
    the rest of the text.
    """
    found = extract(text, order)
    plain = final_part(text)
    if found is not None and found.strategy == "boxed" and len(set(found.candidates)) > 1:
        spans = _box_spans(plain)
        if not _connected(plain, [(a, b) for a, b, _ in spans]):
            return Extraction("boxed", found.candidates[-1:], 1)
    elif found is not None and found.strategy == "latex":
        parts = _gold_spans(plain.strip())
        if parts:
            return Extraction("latex", tuple(parts), len(parts))
    elif found is None and "boxed" in order:
        box = _unclosed_box(plain)
        if box is not None:
            return Extraction("boxed", (box,), 1)
    return found


def _final_answer_after_boxes(text: str) -> str | None:
    """A "The final answer is ..." sentence after the last box (Minerva's format), or None."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    brace = text.find("{", start)
    end = _match_braces(text, brace).get(brace, -1) if brace >= 0 else -1
    if end < 0:
        return None
    found = _answer_is(text[end + 1 :])
    return found[-1] if found else None


def _hashes(text: str) -> list[str]:
    out = []
    pos = text.find("####")
    while pos >= 0:
        end = text.find("\n", pos)
        out.append(text[pos + 4 : end if end >= 0 else len(text)].strip().lstrip("#").strip())
        pos = text.find("####", pos + 4 if end < 0 else end)
    return out


_MARKER = r"\b(?:final\s+answer|answer|correct\s+(?:option|choice)|answer\s+choice)\s*\**\s*(?:is|was|:|=)[ \t:=*]*"
_ANSWER_IS_RE = re.compile(r"(?i)" + _MARKER)
#: PRM800K's "# Answer" heading (its answer is the next line); with the marker above when the text has a "#"
_HEADING_RE = re.compile(r"(?im)" + _MARKER + r"|^[ \t]*\#{1,3}[ \t]*(?:final\s+)?answer[ \t]*:?[ \t]*(?=\n)")
#: a prose sentence ends at ``.`` or ``!`` before a blank (``The answer is 5!`` is 5, not 5 factorial); an
#: ellipsis does not end it (``42... just kidding, 43`` and ``42 ... or 43`` go on)
_SENTENCE_END_RE = re.compile(r"(?:(?<!\.)\.|!+)(?=\s|$)|\n")
# a sentence after the marker names its value after a copula: "Josh's profit was $70,000", "the largest $n$ is 34"
_PROSE_IS_RE = re.compile(r"[A-Za-z][\w'\u2019$]*\s.*?\s(?:is|was|are|were|be|equals|is\s+equal\s+to)\s+\S")
_COPULA_RE = re.compile(r"\s(?:is|was|are|were|be|equals|is\s+equal\s+to)\s+")
#: after a leading math span: the sentence ends there ("$14{,}916$. I hope it is correct.")
_SENTENCE_AFTER_RE = re.compile(r"[$\])]*\s*(?:[.!;](?:\s|$)|$)")


def _inside_text(text: str, at: int) -> bool:
    """Whether position ``at`` is inside a ``\\text{...}`` group (``\\text{Answer: none}`` holds no marker)."""
    before = text[max(0, at - 200) : at]
    opened = before.rfind("\\text{")
    return opened >= 0 and "}" not in before[opened:]


def _answer_is(text: str) -> list[str]:
    if "nswer" not in text and "NSWER" not in text and "option" not in text and "choice" not in text:
        return []
    out: list[str] = []
    markers = _HEADING_RE if "#" in text else _ANSWER_IS_RE
    found = [m for m in markers.finditer(text) if not _inside_text(text, m.start())]
    # "Final Answer: The final answer is $14{,}916$.": one marker introducing the next is one answer
    ends = [m.end() for m, nxt in zip(found, [*found[1:], None])
            if nxt is None or text[m.end() : nxt.start()].strip(" \t*").lower() not in ("", "the")]
    if len(ends) > MAX_CANDIDATES:  # placeholders keep the count; only the last ones are read
        out = [""] * (len(ends) - MAX_CANDIDATES)
        ends = ends[-MAX_CANDIDATES:]
    for at in ends:
        rest = text[at : at + MAX_ANSWER]
        if empty_slot(rest):  # "The answer is  ." holds no answer; "Answer:" ending its line: the next line
            rest = _next_line(rest)
            if not rest:
                out.append("")
                continue
        line = rest.split("\n", 1)[0]
        spans = _latex_spans(line)
        if spans and rest.lstrip().startswith(("$", "\\(", "\\[")):
            # the leading span, when a sentence ends after it; else the whole line ("$1$ and $2$")
            alone = len(spans) == 1 or _SENTENCE_AFTER_RE.match(line, spans[0][0] + 1) is not None
            out.append(spans[0][1] if alone else line)
            continue
        end = _SENTENCE_END_RE.search(rest)
        ans = (rest[: end.start()] if end else rest).strip().strip("*").strip()
        if _PROSE_IS_RE.match(ans):  # "Final Answer: The largest $n$ is 34.", "Josh's profit was $70,000"
            ans = _after_copula(ans)
        if end is not None and _CORRECTION_RE.match(rest, end.end()):
            ans = ""  # "The answer is 42. No wait, 43.": a corrected answer is no answer
        # an empty slot is an answer found empty (no answer), never a licence to read on
        out.append(_without_contrast(_PAREN_UNIT_RE.sub(r" \1", ans)))
    return out


# the sentence after an answer takes it back and names another number ("No wait, 43", "Actually, it's 43")
_CORRECTION_RE = re.compile(
    r"(?i)\s*(?:no[ ,]+wait|wait|actually|correction|sorry|oops|i\s+mean|scratch\s+that|no)[,:!.]*\s+"
    r"(?:it['\u2019]?s\s+|it\s+is\s+|the\s+answer\s+is\s+|i\s+meant?\s+)?\$?-?\d"
)


# "42, not 41", "42 apples, but not oranges": a contrast after the answer names what it is not
_CONTRAST_RE = re.compile(r"(?i)(?:\s*,\s*(?:and\s+|but\s+)?|\s+(?:and|but)\s+)(?:not|never|rather\s+than|instead\s+of)\s[^.;\n]*$")
# the same contrast between two numbers of a prose line: "It's 42, not 41" ("42 apples, not 41")
_CONTRAST_GAP_RE = re.compile(r"(?i)(?:\s*[A-Za-z]+){0,2}\s*,\s*(?:and\s+|but\s+)?(?:not|never)\s+$")
# "18 because 9 eggs times $2 is $18": the reason given after the answer is not the answer
_REASON_RE = re.compile(r"(?i),?\s+(?:because|since|given\s+that|due\s+to)\s")
# "42 (dollars)": a unit in brackets after the number
_PAREN_UNIT_RE = re.compile(r"(?<=\d)\s*\(([A-Za-z][A-Za-z ]{1,30})\)\s*$")


def _without_contrast(answer: str) -> str:
    """``answer`` without a contrast clause after it, when what is left holds a number and no negation."""
    reason = _REASON_RE.search(answer)
    if reason is not None and reason.start() > 0 and any(ch.isdigit() for ch in answer[: reason.start()]):
        answer = answer[: reason.start()]
    m = _CONTRAST_RE.search(answer) if "," in answer or " but " in answer or " and " in answer else None
    if m is None or m.start() == 0:
        return answer
    head = answer[: m.start()]
    if not any(ch.isdigit() for ch in head) or negated(head):
        return answer
    return head


def _after_copula(sentence: str) -> str:
    """The text after the last copula of a sentence, with a negation before it kept
    (``the value is not 5`` stays negated)."""
    found = list(_COPULA_RE.finditer(sentence))
    last = found[-1] if found else None
    if last is None:
        return sentence
    rest = sentence[last.end():].strip()
    return sentence[last.start():].strip() if negated(sentence, last.end()) else rest


def _next_line(rest: str) -> str:
    """The first non-blank line after a marker that ends its line (``Answer:\n\n42``), or ""."""
    newline, stop = rest.find("\n"), rest.find(".")
    if newline < 0 or 0 <= stop < newline:
        return ""  # the slot closes on its own line: "The answer is ."
    for line in rest[newline:].split("\n", 4)[1:4]:
        if line.strip():
            return line.strip()
    return ""


def _a_colon(text: str) -> list[str]:
    out = []
    pos = text.find("A:")
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        if not text[line_start:pos].strip(" \t"):
            ans = text[pos + 2 : end].strip()
            if ans:
                out.append(ans)
        pos = text.find("A:", end)
    return out


def _last_span(text: str, open_: str, close: str) -> tuple[int, str] | None:
    end = text.rfind(close)
    if end < 0:
        return None
    start = text.rfind(open_, 0, end)
    if start < 0:
        return None
    return end, text[start + len(open_) : end]


def _single_dollar(text: str) -> list[tuple[int, str]]:
    """``$...$`` spans by Pandoc's rule: no space inside the dollars, no digit after the closing one."""
    spans: list[tuple[int, str]] = []
    pos = [i for i, ch in enumerate(text) if ch == "$" and (i == 0 or text[i - 1] != "\\")] if text.count("$") < 100_000 else []
    k = len(pos) - 1
    while k >= 1:
        c, o = pos[k], pos[k - 1]
        closer_ok = (
            not text[c - 1].isspace()
            and (c + 1 >= len(text) or not text[c + 1].isdigit())
            and text[c - 1] != "\\"
            and (c + 1 >= len(text) or text[c + 1] != "$")
        )
        # "$ 9 $" (spaces just inside both dollars) is math too; "$ 9" alone is not
        spaced = text[o + 1].isspace() and text[c - 1].isspace() and bool(text[o + 1 : c].strip())
        if spaced and not closer_ok:
            closer_ok = (c + 1 >= len(text) or not text[c + 1].isdigit()) and text[c - 2] != "\\"
        opener_ok = o + 1 < c and (spaced or not text[o + 1].isspace()) and (o == 0 or text[o - 1] not in "\\$")
        if closer_ok and opener_ok and "\n" not in text[o:c]:
            spans.append((c, text[o + 1 : c]))
            k -= 2
        else:
            k -= 1
    spans.reverse()
    return spans


def _latex(text: str) -> list[str]:
    """Every math span, in text order."""
    return [s for _, s in _latex_spans(text)]


def _latex_final(text: str) -> list[str]:
    """The last math span, unless a number in the prose after it comes later (then that number)."""
    spans = _latex_spans(text)
    if not spans:
        return []
    end, last = spans[-1]
    tail = _last_number(text[end + 1 :].lstrip("$])"), latex=True)
    return tail or [last]


def _latex_spans(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    if "\\[" in text:
        span = _last_span(text, "\\[", "\\]")
        if span:
            found.append(span)
    if "\\(" in text:
        span = _last_span(text, "\\(", "\\)")
        if span and "\n" not in span[1]:  # inline math does not run over lines (display math may)
            found.append(span)
    if "$" in text:
        if "$$" in text:
            span = _last_span(text, "$$", "$$")
            if span and span[1].strip():
                found.append(span)
        found.extend(_single_dollar(text.replace("$$", "  ")))
    found.sort(key=lambda s: s[0])
    return [(end, s) for end, s in found if s.strip()]


def _expression(text: str) -> list[str]:
    from .normalize import clean
    from .parse import ParseError, parse, text_answer, tokenize

    text = text.strip()
    if not text or "\n" in text or len(text) > MAX_ANSWER:
        return []
    words = text_answer(text) if len(text) <= 60 else None
    if words is not None and (" " not in words or "\\" in text):
        return [text]  # "odd", "\\text{Evelyn}": a one-word or LaTeX text answer
    if not any(ch.isdigit() or ch == "\\" for ch in text) and (len(text) > 10 or " " in text):
        return []  # prose, not an expression
    try:
        if tokenize(clean(text))[0][0] == "word":
            return []  # a sentence that happens to contain numbers
        parse(text)
    except (ParseError, RecursionError, IndexError):
        return []
    return [text]


# a number that is not part of a word (``QX7RT`` holds no number)
_NUMBER_RE = re.compile(
    r"(?<![A-Za-z\d.,])-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+|,\d{1,2}(?![\d,]))?(?:/\d+)?(?![A-Za-z]*\d)"
)


_ALTERNATIVE_RE = re.compile(r"(?i)\bor\b")
# inline math broken over lines ("\\( \n 9 \n \\)", "$ \n 9 \n $"): no answer, and its numbers are not prose
_BROKEN_MATH_RE = re.compile(r"\\\([^\n]{0,200}\n[^\n]{0,200}(?:\n[^\n]{0,200})?\\\)|\$[ \t]*\n[^$\n]{0,200}\n[ \t]*\$")


_LATEX_MARK_RE = re.compile(r"\\[a-zA-Z]{2,}|[\^_]")
_RUN_STOP = " \t\n"


def _latex_run(text: str, start: int, end: int) -> str | None:
    r"""The bare LaTeX expression holding the number at ``start:end`` (``\frac{1}{2}``, ``2^{10}``,
    ``\sqrt{2}``), or None when the number stands in prose.

    The run is the blank-free text around the number, widened to balance its braces (at most
    ``MAX_ANSWER`` characters each way); it is LaTeX when it holds a command (``\frac``) or ``^``/``_``."""
    lo, hi = start, end
    floor, ceil = max(0, start - MAX_ANSWER), min(len(text), end + MAX_ANSWER)
    depth = 0
    while lo > floor and (depth > 0 or text[lo - 1] not in _RUN_STOP):
        lo -= 1
        depth += {"}": 1, "{": -1}.get(text[lo], 0)
        depth = max(depth, 0)
    depth = 0
    while hi < ceil and (depth > 0 or text[hi] not in _RUN_STOP):
        depth += {"{": 1, "}": -1}.get(text[hi], 0)
        depth = max(depth, 0)
        hi += 1
    run = text[lo:hi].strip("([.,;:!?)]")
    if not _LATEX_MARK_RE.search(run.replace("\\$", "").replace("\\%", "")):
        return None
    return run


def _contrasted(text: str, at: int, denied: str) -> str | None:
    """The number before a contrast that ends at ``at`` ("It's 42, not " before 41), unless it is negated too."""
    window = text[max(0, at - 200) : at]
    gap = _CONTRAST_GAP_RE.search(window)
    if gap is None:
        return None
    before = max(0, at - 200) + gap.start()
    found = list(_NUMBER_RE.finditer(text, max(0, before - 60), before))
    if not found or found[-1].end() != before:
        return None
    prev = found[-1]
    if _latex_run(text, prev.start(), prev.end()) is not None or negated(text, prev.start(), prev.end()):
        return None
    return prev.group() if prev.group() != denied else None  # "It's 42, not 42" states nothing


# a negation, or a bound instead of a value ("at least 18", "more than 5"): the sentence states no number
_ANY_NEGATION_RE = re.compile(
    r"(?i)\b(?:not|never|no|cannot|hardly|neither|nor|none|at\s+(?:least|most)|(?:more|less|fewer|greater)\s+than|"
    r"over|under|nearly|almost|up\s+to)\b|n['\u2019]t\b"
)
_SIDE_RE = re.compile(r"=(?![^=]*=)")
# alternatives, guesses and exclusions: a sentence holding them states no number
_HEDGE_RE = re.compile(
    r"(?i)\b(?:or|either|maybe|perhaps|possibly|probably|likely|might|guess|unknown|unsure|sure|except|but|"
    r"anything|minimum|maximum|plus|minus|times|ish|estimate|wait|if|unless|otherwise)\b|[~+?]"
)


def prose_number(answer: str) -> str | None:
    """The number a sentence after an answer marker states, when the sentence itself does not parse:
    ``Janet makes $18 every day at the farmers' market`` is 18, ``16 - 3 - 4 = 9, so 9 * 2 = $18`` is
    18 (the last side of its last equation). None when it holds LaTeX, any negation, or several
    different numbers (outside a last ``=``)."""
    if "\\" in answer or _ANY_NEGATION_RE.search(answer) or _HEDGE_RE.search(answer):
        return None
    side = _SIDE_RE.search(answer)
    text = answer[side.end() :] if side else answer
    found = {m.group().replace(",", "") for m in _NUMBER_RE.finditer(text)}
    if len(found) == 1:
        return found.pop()
    lead = _LEADING_RE.match(answer)  # "18 laps around the track in 6 minutes": the quantity it starts with
    return lead.group(1).replace(",", "") if lead else None


# a sentence that starts with its quantity (number and up to three words), then goes on with a relative
# clause or a preposition (never "or", "and", "to", "of", "out of", a comma and a number: those list or relate)
_LEADING_RE = re.compile(
    r"\$?\s*(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:\s+[A-Za-z]{3,}){0,3}\s*,?\s+"
    r"(?:which|that|around|in|for|per|each|every|because|since|after|before|at|on|with|by|when|so)\s"
)


def _last_number(text: str, latex: bool = False) -> list[str]:
    """The last number; with the other numbers of its line when that line offers alternatives
    (``either 626 or 623``), so that the several-answers rule sees them all."""
    if "\\(" in text or "$ " in text:
        text = _BROKEN_MATH_RE.sub(lambda m: " " * len(m.group()), text)
    last = None
    for found in _NUMBER_RE.finditer(text):
        last = found
    if last is None:
        return []
    run = _latex_run(text, last.start(), last.end())
    if run is not None:  # bare LaTeX is never scanned for its digits: after a math span it is read as
        return [run if latex else ""]  # LaTeX ("... $a=1$. So it is \sqrt{2}"); in prose it is no answer
    if negated(text, last.start(), last.end()):
        previous = _contrasted(text, last.start(), last.group())
        # "It is certainly not 42", "42 is wrong": a negated number is no answer; "It's 42, not 41" is 42
        return [previous] if previous is not None else ["not " + last.group()]
    line_start = text.rfind("\n", 0, last.start()) + 1
    line = text[line_start : last.end()]
    if _ALTERNATIVE_RE.search(line):
        return [m.group() for m in _NUMBER_RE.finditer(line)][-MAX_CANDIDATES:]
    return [last.group()]


_FUNCS = {
    "answer_tag": _answer_tag,
    "boxed": _boxed,
    "hashes": _hashes,
    "answer_is": _answer_is,
    "a_colon": _a_colon,
    "latex": _latex_final,
    "expression": _expression,
    "last_number": _last_number,
}


def check_order(order: tuple[str, ...] | list[str]) -> None:
    """Raise ValueError naming an unknown strategy."""
    for name in order:
        if name not in _FUNCS:
            raise ValueError(f"unknown extraction strategy {name!r} (strategies: {', '.join(STRATEGIES)})")


def final_part(text: str) -> str:
    """The text after the last ``</think>`` (reasoning is never the final answer), escapes halved once.

    A ``<think>`` that is never closed is reasoning cut short: no final answer (empty text)."""
    low = text.lower() if "<" in text else ""
    end = low.rfind("</think>")
    if end >= 0:
        text = text[end + len("</think>") :]
    elif "<think>" in low:
        return ""
    return undouble(text)


#: a line or sentence of the prompt copied back is an echo from this many words on (the whole prompt from 2)
MIN_ECHO_WORDS = 5
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.?!])\s+|\n")


@lru_cache(maxsize=4096)
def echo_pieces(prompt: str) -> tuple[str, ...]:
    """What counts as a verbatim echo of ``prompt``, longest first: the whole prompt (2 words or
    more), its lines and sentences (``MIN_ECHO_WORDS`` words or more)."""
    prompt = undouble(prompt).strip()
    if len(prompt.split()) < 2:
        return ()
    parts = {prompt}
    for piece in _SENTENCE_SPLIT_RE.split(prompt):
        piece = piece.strip()
        if len(piece.split()) >= MIN_ECHO_WORDS:
            parts.add(piece)
    return tuple(sorted(parts, key=len, reverse=True))


def without_echo(text: str, prompt: str) -> str:
    """``text`` with every verbatim echo of ``prompt`` (see ``echo_pieces``) replaced by a blank."""
    for piece in echo_pieces(prompt) if prompt else ():
        if piece in text:
            text = text.replace(piece, " ")
    return text


def extract(text: str, order: tuple[str, ...] = STRATEGIES, *, prompt: str = "") -> Extraction | None:
    """The answers found by the first strategy in ``order`` that finds any, or None.

    Only the text after the last ``</think>`` is searched, with verbatim echoes of ``prompt`` blanked out.
    """
    text = without_echo(final_part(text), prompt)
    for i, name in enumerate(order):
        found = _FUNCS[name](text)
        if not found:
            continue
        total = len(found)
        if name == "boxed" and len(set(found)) > 1:
            final = _final_answer_after_boxes(text)
            if final is not None:  # several boxes, then "The final answer is ..." decides
                return Extraction("answer_is", (final,), 1)
        if name == "answer_tag":  # the block's content goes through the remaining strategies
            rest = tuple(s for s in order[i + 1 :] if s != "answer_tag") or ("expression",)
            inner: list[str] = []
            for block in found[-MAX_CANDIDATES:]:
                # LaTeX that does not parse is no answer, not a licence to read its last number
                sub = extract(block, tuple(s for s in rest if s != "last_number") if "\\" in block else rest)
                if sub and sub.strategy in ("boxed", "last_number"):
                    inner.extend(sub.candidates)  # several boxes or "626 or 623" in one block: all count
                else:
                    inner.append(sub.candidates[-1] if sub else block.strip())
            found = inner
        return Extraction(name, tuple(found[-MAX_CANDIDATES:]), total)
    return None
