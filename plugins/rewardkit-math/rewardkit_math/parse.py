"""A restricted tokenizer and recursive-descent parser for answers (plain text and LaTeX).

It builds a small tree of tuples (never sympy objects, never ``eval``): nothing in the text
can run code, and every size is bounded (characters, tokens, digits, nesting depth).

Nodes::

    ("num", Fraction)            ("sym", name)            ("const", "pi"|"e"|"i"|"inf")
    ("+"|"-"|"*"|"/"|"^", a, b)   ("neg", a)               ("pm", a, b)  ("upm", a)
    ("!", a)  ("%", a)  ("abs", a)  ("root", a, n)  ("fn", name, a)  ("log", base, a)
    ("binom", n, k)  ("mixed", whole, frac)
    ("tuple", items)  ("set", items)  ("list", items)  ("interval", lo_closed, hi_closed, a, b)
    ("union", parts)  ("rel", ops, parts)
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .normalize import clean

Node = tuple[Any, ...]

MAX_CHARS = 2000  # answer text after extraction
MAX_TOKENS = 600
MAX_DEPTH = 60
MAX_DIGITS = 400
#: ``1e...`` exponents beyond a float's range are no number (``1e400`` is inf to every float reader)
MAX_EXPONENT = 308
#: float spellings of non-finite values: never a number, never a text answer (``\\infty`` and ``∞`` are infinity)
NONFINITE_WORDS = {"nan", "inf", "infinity", "-inf", "-infinity", "+inf", "+infinity", "-nan"}


class ParseError(ValueError):
    """The answer is not a well-formed expression (or exceeds a size bound)."""


FUNCS = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "arccot", "arcsec", "arccsc",
    "sinh", "cosh", "tanh", "coth", "sech", "csch", "arcsinh", "arccosh", "arctanh", "arsinh", "arcosh",
    "artanh", "arccoth", "arcsech", "arccsch", "exp", "ln", "log", "lg",
}
#: spellings of the same function
FUNC_ALIASES = {"arsinh": "arcsinh", "arcosh": "arccosh", "artanh": "arctanh", "asin": "arcsin",
                "acos": "arccos", "atan": "arctan"}
#: matrix environments (``vmatrix`` is a determinant, not a matrix: not read)
MATRIX_ENVS = {"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "array", "psmallmatrix", "bsmallmatrix"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
# bare words that are units or filler (stripped from the end of an answer)
#: two-letter English words that are prose, not a product of two symbols
STOPWORDS = {
    "is", "of", "to", "it", "at", "an", "as", "be", "by", "if", "so", "we", "on", "no", "my", "me",
    "he", "up", "do", "am", "us", "In", "It", "If", "So", "We", "On", "No", "My", "He", "Is", "At", "As", "An",
}
#: scale words: a number followed by one is multiplied, not stripped like a unit
#: (plural ``dozens`` is a unit, read as written: ``7 dozens`` is 7 dozens, i.e. 7)
SCALES = {"dozen": "12", "hundred": "100", "hundreds": "100", "thousand": "1000",
          "thousands": "1000", "million": "1000000", "millions": "1000000", "billion": "1000000000",
          "billions": "1000000000", "trillion": "1000000000000"}
UNITS = {
    "cm", "mm", "km", "kg", "mg", "ml", "hr", "hrs", "ft", "mph", "sec", "min", "mi", "lb", "lbs",
    "oz", "yd", "yds", "pm", "am", "inch", "inches", "feet", "units", "unit", "sq",
    "gb", "mb", "kb", "tb", "kph",
}
#: units that may be glued to their number (``48g``, ``200GB``): a one-letter variable never is (``2x``)
GLUED_UNITS = UNITS | {"g"}
#: leading words that negate the answer: never dropped as prose ("not 42" is no answer)
NEGATION_WORDS = {"not", "never", "no", "cannot", "neither", "nor", "isn", "aren", "wasn", "don", "doesn", "won"}
#: leading words after which the number is no exact answer ("at least 18", "more than 5"): never dropped as prose
NOT_EXACT = NEGATION_WORDS | {"least", "most", "more", "less", "fewer", "greater", "over", "under", "nearly",
                              "almost", "than", "below", "above", "upto", "hardly"}
COMMANDS = {
    "frac": ("cmd", "frac"), "sqrt": ("cmd", "sqrt"), "binom": ("cmd", "binom"),
    "cdot": ("op", "*"), "times": ("op", "*"), "ast": ("op", "*"), "div": ("op", "/"),
    "pm": ("op", "pm"), "mp": ("op", "mp"), "le": ("op", "<="), "leq": ("op", "<="),
    "ge": ("op", ">="), "geq": ("op", ">="), "ne": ("op", "!="), "neq": ("op", "!="),
    "in": ("op", "in"), "leqslant": ("op", "<="), "geqslant": ("op", ">="),
    "cup": ("op", "cup"), "setminus": ("op", "setminus"), "backslash": ("op", "setminus"),
    "infty": ("const", "inf"), "infinity": ("const", "inf"), "pi": ("const", "pi"),
    "emptyset": ("empty", ""), "varnothing": ("empty", ""), "{": ("open", "{*"), "}": ("close", "}*"),
    "lvert": ("bar", "|"), "rvert": ("bar", "|"), "vert": ("bar", "|"), "mid": ("bar", "|"),
    "lbrace": ("open", "{*"), "rbrace": ("close", "}*"), "lbrack": ("open", "["), "rbrack": ("close", "]"),
    "langle": ("open", "("), "rangle": ("close", ")"), "lparen": ("open", "("), "rparen": ("close", ")"),
    "exp": ("func", "exp"), "approx": ("op", "approx"), "colon": ("op", ":"), "lor": ("op", ","),
    "vee": ("op", ","), "lfloor": ("open", "floor"), "rfloor": ("close", "floor"), "lceil": ("open", "ceil"),
    "rceil": ("close", "ceil"), "\\": ("op", "row"), "notin": ("op", "notin"), "sum": ("big", "sum"),
    "prod": ("big", "prod"),
}
for _f in FUNCS:
    COMMANDS.setdefault(_f, ("func", _f))
for _g in GREEK:
    COMMANDS[_g] = ("sym", _g)

_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
    |(?P<num>(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:\.\d+)?(?:[eE][+-]?\d+(?![\d.]))?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<env>\\(?:begin|end)\s*\{\s*[a-zA-Z]+\*?\s*\})
    |(?P<cmd>\\(?:[a-zA-Z]+|[{}|\\]))
    |(?P<word>[a-zA-Z]+)
    |(?P<op>\*\*|<=|>=|!=|[-+*/^!%,;=<>_|(){}\[\]'&:])
    """,
    re.X,
)


def tokenize(text: str) -> list[tuple[str, str, bool]]:
    """Tokens ``(kind, value, space_before)``; raises ParseError on anything unknown."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"answer longer than {MAX_CHARS} characters")
    out: list[tuple[str, str, bool]] = []
    pos, space = 0, False
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group()
        if kind == "ws":
            space = True
            continue
        if kind == "num":
            if len(val) > MAX_DIGITS:
                raise ParseError(f"number longer than {MAX_DIGITS} digits")
            if "e" in val.lower() and abs(int(re.split("[eE]", val)[1])) > MAX_EXPONENT:
                raise ParseError("number exponent beyond the float range")
            out.append(("num", val.replace(",", ""), space))
        elif kind == "env":
            name = val[val.index("{") + 1 : -1].strip()
            if name not in MATRIX_ENVS:
                raise ParseError(f"unsupported LaTeX environment {name}")
            out.append(("open" if val.startswith("\\begin") else "close", "mat", space))
        elif kind == "cmd":
            name = val[1:]
            tok = COMMANDS.get(name)
            if tok is None:
                raise ParseError(f"unsupported LaTeX command \\{name}")
            out.append((tok[0], tok[1], space))
        elif kind == "word":
            low = val.lower()
            low = FUNC_ALIASES.get(low, low)
            if low in FUNCS or low == "sqrt":
                out.append(("func", low, space) if low != "sqrt" else ("cmd", "sqrt", space))
            elif low in ("pi",):
                out.append(("const", "pi", space))
            elif low in NONFINITE_WORDS:
                raise ParseError(f"{val!r} is a float spelling, not a number (write \\infty)")
            elif low == "infty":
                out.append(("const", "inf", space))
            elif low in ("and", "or"):
                out.append(("op", ",", space))
            elif low == "equals":  # "x equals 2"
                out.append(("op", "=", space))
            elif low in GLUED_UNITS and not space and out and out[-1][0] == "num":
                out.append(("word", val, False))  # "48g", "200GB": a unit glued to its number
            elif low in SCALES:  # "623 thousand" is 623000, never 623
                out.append(("op", "*", space))
                out.append(("num", SCALES[low], True))
            elif low in UNITS or len(val) >= 3 or val in STOPWORDS:
                out.append(("word", val, space))
            else:
                for i, ch in enumerate(val):  # "xy" is x times y
                    out.append(("sym", ch, space and i == 0))
        else:
            if val == "**":
                val = "^"
            if val in "()[]":
                out.append(("open" if val in "([" else "close", val, space))
            elif val == "{":
                out.append(("open", "{", space))
            elif val == "}":
                out.append(("close", "}", space))
            elif val == "|":
                out.append(("bar", "|", space))
            else:
                out.append(("op", val, space))
        space = False
        if len(out) > MAX_TOKENS:
            raise ParseError(f"answer longer than {MAX_TOKENS} tokens")
    return out


def _unitish(toks: list[tuple[str, str, bool]], j: int) -> bool:
    kind, val, _ = toks[j]
    if kind in ("word", "sym"):
        return True
    if kind == "op" and val in ("/", "^") or (kind, val) in (("open", "{"), ("close", "}")):
        return True
    if kind != "num" or j == 0:
        return False
    return toks[j - 1][:2] == ("op", "^") or (toks[j - 1][:2] == ("open", "{") and j > 1 and toks[j - 2][:2] == ("op", "^"))


UNIT_LETTERS = {"m", "g", "s", "h", "L", "l"}


def _strip_units(toks: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """Drop trailing unit words (``18 dollars per day``, ``5 cm^2``, ``3 km/h``) and leading prose."""
    if len(toks) == 2 and toks[0][0] == "num" and toks[1][0] == "word" and not toks[1][2]:
        return toks[:1]  # "48g": a known unit glued to its number
    if (len(toks) >= 2 and toks[0][0] == "num" and toks[1][0] == "sym" and toks[1][2] and toks[1][1] in UNIT_LETTERS
            and all(_unitish(toks, k) for k in range(2, len(toks)))):
        return toks[:1]  # "12 m", "5,000 m^2", "48 g of sugar": a number and a one-letter unit after a space
    start = 0
    while start < len(toks) - 1 and toks[start][0] == "word" and toks[start][1].lower() not in NOT_EXACT:
        start += 1
    if start and toks[start][0] in ("num", "op"):  # "about 5", "roughly -3"
        toks = toks[start:]
    j = len(toks)
    while j > 1 and _unitish(toks, j - 1):
        j -= 1
    for k in range(max(j, 1), len(toks)):
        if toks[k][0] == "word":
            if any(t[0] == "num" for t in toks[:k]) and toks[k - 1][0] != "word":
                return toks[:k]
            break
    return toks


_MINUS_ONE = (("neg", ("num", Fraction(1))), ("num", Fraction(-1)))


def _solution(group: Node) -> Node:
    """``p=5, q=2`` (one solution naming each variable once) is the tuple ``(5, 2)``; other groups stay lists."""
    if group[0] != "list":
        return group
    items = group[1]
    if all(i[0] == "rel" and i[1] == ("=",) and i[2][0][0] == "sym" for i in items):
        names = [i[2][0][1] for i in items]
        if len(set(names)) == len(names):
            return ("tuple", tuple(i[2][1] for i in items))
    return group


class _Parser:
    def __init__(self, toks: list[tuple[str, str, bool]]):
        self.toks = toks
        self.i = 0
        self.depth = 0

    # -- helpers ----------------------------------------------------------------------
    def peek(self, k: int = 0) -> tuple[str, str, bool] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> tuple[str, str, bool]:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of answer")
        self.i += 1
        return tok

    def at(self, kind: str, *vals: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (not vals or tok[1] in vals)

    def expect(self, kind: str, *vals: str) -> tuple[str, str, bool]:
        if not self.at(kind, *vals):
            tok = self.peek()
            got = "end of answer" if tok is None else repr(tok[1])
            raise ParseError(f"expected {'/'.join(vals) or kind}, got {got}")
        return self.next()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nested deeper than {MAX_DEPTH} levels")

    # -- grammar ------------------------------------------------------------------------
    def top(self) -> Node:
        node = self.listing()
        if self.peek() is not None:
            raise ParseError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def listing(self, closers: tuple[str, ...] = ()) -> Node:
        """Items separated by commas; ``;`` separates groups (``p=5,q=2;p=7,q=2`` is two solutions)."""
        groups = [self._commas()]
        while self.at("op", ";"):
            while self.at("op", ";"):
                self.next()
            if self.peek() is None or (self.peek()[0] == "close"):  # type: ignore[index]
                break  # trailing semicolon
            groups.append(self._commas())
        if len(groups) == 1:
            return groups[0]
        if all(g[0] != "list" for g in groups):
            return ("list", tuple(groups))
        return ("list", tuple(_solution(g) for g in groups))

    def _commas(self) -> Node:
        items = [self.relation()]
        while self.at("op", ","):
            self.next()
            while self.at("op", ","):  # "12, 30, and 57": the Oxford comma
                self.next()
            if self.peek() is None or (self.peek()[0] in ("close",) or self.at("op", ";")):  # type: ignore[index]
                break  # trailing comma
            items.append(self.relation())
        return items[0] if len(items) == 1 else ("list", tuple(items))

    def relation(self) -> Node:
        parts = [self.ratio()]
        ops: list[str] = []
        while self.at("op", "=", "<", ">", "<=", ">=", "!=", "in", "approx"):
            ops.append(self.next()[1])
            parts.append(self.ratio())
        return parts[0] if not ops else ("rel", tuple(ops), tuple(parts))

    def ratio(self) -> Node:
        """``5:9``, ``V_1 : V_2``: a ratio of two or more parts."""
        parts = [self.union()]
        while self.at("op", ":"):
            self.next()
            parts.append(self.union())
        return parts[0] if len(parts) == 1 else ("ratio", tuple(parts))

    def union(self) -> Node:
        parts = [self.sum()]
        while self.at("op", "cup"):
            self.next()
            parts.append(self.sum())
        node = parts[0] if len(parts) == 1 else ("union", tuple(parts))
        if self.at("op", "setminus"):  # \\mathbb{R} \\setminus \\{1\\}
            self.next()
            node = ("minus", node, self.sum())
        return node

    def sum(self) -> Node:
        self.enter()
        node = self.term()
        while self.at("op", "+", "-", "pm", "mp"):
            op = self.next()[1]
            rhs = self.term()
            if op == "pm":
                node = ("pm", node, rhs)
            elif op == "mp":
                node = ("pm", node, ("neg", rhs))
            else:
                node = (op, node, rhs)
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            if self.at("op", "*", "/"):
                op = self.next()[1]
                node = (op, node, self.unary())
            elif self._starts_implicit():
                node = ("*", node, self.power())
            else:
                return node

    def _starts_implicit(self) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        kind, val, _ = tok
        if kind == "num":  # "\pi 100", "(x+1)2": a number after a symbol or a bracket
            prev = self.toks[self.i - 1]
            if prev[0] == "num":  # "2^3 5^2": a spaced number after a power
                return tok[2] and self.i >= 2 and self.toks[self.i - 2][:2] == ("op", "^")
            return prev[0] in ("sym", "const", "close")
        return kind in ("sym", "const", "func", "cmd") or (kind == "open" and val in ("(", "{", "mat"))

    def unary(self) -> Node:
        if self.at("op", "-", "+", "pm", "mp"):
            op = self.next()[1]
            self.enter()
            inner = self.unary()
            self.depth -= 1
            if op == "-":
                return ("neg", inner)
            if op == "+":
                return inner
            return ("upm", inner)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("op", "^"):
            self.next()
            self.enter()
            exp = self.exponent()
            self.depth -= 1
            node: Node = ("^", base, exp)
            while self.at("op", "!"):
                self.next()
                node = ("!", node)
            return node
        return base

    def exponent(self) -> Node:
        if self.at("num"):  # x^23 in LaTeX is x^2 * 3 only with braces missing; read it whole
            node = self._num(self.next()[1])
            if self.at("op", "^"):
                self.next()
                self.enter()
                node = ("^", node, self.exponent())
                self.depth -= 1
            return node
        if self.at("op", "-", "+"):
            return self.unary()
        return self.power()

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            if self.at("op", "!"):
                self.next()
                node = ("!", node)
            elif self.at("op", "%"):
                self.next()
                node = ("%", node)
            else:
                return node

    def _num(self, text: str) -> Node:
        try:
            return ("num", Fraction(text))
        except (ValueError, ZeroDivisionError):
            raise ParseError(f"bad number {text[:20]!r}") from None

    def _group(self) -> Node:
        """A ``{...}`` argument, or a single digit / symbol / command (``\\frac12``, ``\\sqrt x``)."""
        tok = self.peek()
        if tok is None:
            raise ParseError("missing argument")
        if tok[0] == "open" and tok[1] == "{":
            self.next()
            self.enter()
            node = self.listing()
            self.depth -= 1
            self.expect("close", "}")
            return node
        if tok[0] == "num":
            self.next()
            if len(tok[1]) > 1 and tok[1].isdigit():  # \frac12: the argument is one digit
                self.toks.insert(self.i, ("num", tok[1][1:], False))
                return self._num(tok[1][0])
            return self._num(tok[1])
        if tok[0] in ("sym", "const"):
            return self.atom()
        if tok[0] == "cmd":
            return self.atom()
        if tok[:2] == ("open", "("):  # sqrt(3) written as plain text: a bracketed argument
            return self.atom()
        raise ParseError(f"bad argument {tok[1]!r}")

    def atom(self) -> Node:
        self.enter()
        try:
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self) -> Node:
        tok = self.next()
        kind, val, _ = tok
        if kind == "num":
            if self.at("op", "_") and val.isdigit():
                return self._based(val)
            node = self._num(val)
            return self._maybe_mixed(node, val)
        if kind == "sym":
            if self.at("op", "_"):
                self.next()
                sub = self.next()
                if sub[0] == "open" and sub[1] == "{":
                    parts = []
                    while not self.at("close", "}"):
                        t = self.next()  # F_{n-k-1}: the subscript is part of the name
                        if t[0] not in ("num", "sym", "word", "op") or t[1] in ("_", "^"):
                            raise ParseError("unsupported subscript")
                        parts.append(t[1])
                    self.next()
                    return ("sym", f"{val}_{''.join(parts)}")
                if sub[0] in ("num", "sym"):
                    return ("sym", f"{val}_{sub[1]}")
                raise ParseError("unsupported subscript")
            if val == "e":
                return ("const", "e")
            if val == "i":
                return ("const", "i")
            return ("sym", val)
        if kind == "const":
            return ("const", val)
        if kind == "empty":
            return ("set", ())
        if kind == "func":
            return self._func(val)
        if kind == "cmd":
            if val == "frac":
                return ("/", self._group(), self._group())
            if val == "binom":
                return ("binom", self._group(), self._group())
            if val == "sqrt":
                index: Node = ("num", Fraction(2))
                if self.at("open", "["):
                    self.next()
                    index = self.sum()
                    self.expect("close", "]")
                return ("root", self._group(), index)
        if kind == "bar":
            inner = self.sum()
            self.expect("bar")
            return ("abs", inner)
        if kind == "big":
            return self._big(val)
        if kind == "open":
            if val == "mat":
                return self._matrix()
            if val in ("floor", "ceil"):
                inner = self.sum()
                self.expect("close", val)
                return ("fn", val, inner)
            return self._bracketed(val)
        raise ParseError(f"unexpected {val!r}")

    def _big(self, name: str) -> Node:
        """``\\sum_{k=0}^{n-1} body``: compared by its parts (index, bounds, body), never evaluated."""
        self.expect("op", "_")
        self.expect("open", "{")
        var = self.expect("sym")[1]
        self.expect("op", "=")
        lo = self.sum()
        self.expect("close", "}")
        self.expect("op", "^")
        hi = self._group()
        body = self.term()
        return (name, var, lo, hi, body)

    def _based(self, digits: str) -> Node:
        """``312_4``, ``1011_{2}``: digits in a base (2 to 10)."""
        self.expect("op", "_")
        base = self._group()
        if base[0] != "num" or base[1].denominator != 1 or not 2 <= base[1] <= 10:
            raise ParseError("unsupported base subscript")
        b = int(base[1])
        if any(int(d) >= b for d in digits):
            raise ParseError(f"digit out of range for base {b}")
        return ("based", digits.lstrip("0") or "0", b)

    def _matrix(self) -> Node:
        """``\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}``: rows of cells."""
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while True:
            if self.at("close", "mat"):
                self.next()
                break
            row.append(self.sum())
            if self.at("op", "&"):
                self.next()
                continue
            if self.at("op", "row"):
                self.next()
                rows.append(tuple(row))
                row = []
                if self.at("close", "mat"):
                    self.next()
                    break
                continue
            self.expect("close", "mat")
            break
        if row:
            rows.append(tuple(row))
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseError("ragged or empty matrix")
        return ("matrix", tuple(rows))

    def _maybe_mixed(self, node: Node, text: str) -> Node:
        """``2\\frac{1}{2}`` and ``2 1/2`` are mixed numbers (2.5), as in competition answers."""
        if not text.isdigit():
            return node
        tok = self.peek()
        if tok == ("cmd", "frac", tok[2] if tok else False):
            save = self.i
            self.next()
            a, b = self._group(), self._group()
            if a[0] == "num" and b[0] == "num" and a[1].denominator == 1 and b[1].denominator == 1:
                return ("mixed", node, ("/", a, b))
            self.i = save
            return node
        if tok is not None and tok[0] == "num" and tok[2] and tok[1].isdigit():
            nxt, last = self.peek(1), self.peek(2)
            if last is None or last[0] != "num" or not last[1].isdigit() or int(tok[1]) >= int(last[1]):
                return node
            if nxt is not None and nxt[:2] == ("op", "/"):  # 11 5/6; "11 7/6" is no mixed number
                self.i += 3
                return ("mixed", node, ("/", self._num(tok[1]), self._num(last[1])))
        return node

    def _func(self, name: str) -> Node:
        power: Node | None = None
        base: Node | None = None
        if name == "log" and self.at("op", "_"):
            self.next()
            base = self._group()
        if self.at("op", "^"):  # \sin^2 x
            self.next()
            power = self._group()
        if self.at("open", "(", "{"):
            arg = self.atom()
        else:
            arg = self.power()
            while self.at("sym") or self.at("const"):  # \sin 2x is sin(2x); \sin x \cos x stops at \cos
                arg = ("*", arg, self.power())
        if power in _MINUS_ONE and "arc" + name in FUNCS:  # \\sin^{-1} x is arcsin x
            return ("fn", "arc" + name, arg)
        node: Node = ("log", base, arg) if base is not None else ("fn", name, arg)
        return ("^", node, power) if power is not None else node

    def _bracketed(self, opener: str) -> Node:
        if opener == "{*":  # \{ ... \}: a set
            if self.at("close", "}*"):
                self.next()
                return ("set", ())
            inner = self.listing()
            self.expect("close", "}*")
            items = inner[1] if inner[0] == "list" else (inner,)
            return ("set", tuple(items))
        if self.at("close"):
            raise ParseError("empty brackets")
        inner = self.listing()
        close = self.expect("close")[1]
        if opener == "{":
            if close != "}":
                raise ParseError("unbalanced braces")
            return inner  # {1,3}: a TeX group, not a set (a set is written \\{1,3\\})
        if close not in (")", "]"):
            raise ParseError("unbalanced brackets")
        if inner[0] != "list":
            if opener == "(" and close == ")" or opener == "[" and close == "]":
                return inner
            raise ParseError("unbalanced brackets")
        items = inner[1]
        if len(items) == 2 and (opener == "[" or close == "]"):
            return ("interval", opener == "[", close == "]", items[0], items[1])
        if opener == "(" and close == ")":
            return ("tuple", tuple(items))
        if opener == "[" and close == "]":
            return ("tuple", tuple(items))
        raise ParseError("unbalanced brackets")


DECIMAL_COMMA = ("auto", "never", "always")
_SPACED_THOUSANDS_RE = re.compile(r"-?\d{1,3}(?: \d{3})+(?:\.\d+)?")
_COMMA_DECIMAL_RE = re.compile(r"(-?)(\d+),(\d+)")
_EURO_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+),(\d+)(?![\d,])")
_WRAP_RE = re.compile(
    r"\\(?:text|textrm|textnormal|textbf|textit|textsf|textup|mbox|mathrm|mathbf|mathit|mathsf|emph|operatorname)"
    r"\s*\{([^{}]*)\}"
)
_WORDS_RE = re.compile(r"[A-Za-z][A-Za-z\-, ]*")


_TIME_RE = re.compile(r"\d{1,2}:0\d(?::\d\d)?(?:\s*[ap]\.?m\.?)?", re.I)
_CLOCK_TIME_RE = re.compile(r"(\d{1,2}):([0-5]\d)(?::[0-5]\d)?\s*(?:[ap]\.?\s?m\b\.?|[ap]\.\s?m\.?)", re.I)


def _numbers(text: str, decimal_comma: str) -> str:
    """Number formats decided on the whole answer: ``1 000``, and decimal commas (``3,15``)."""
    if _SPACED_THOUSANDS_RE.fullmatch(text):
        return text.replace(" ", "")
    if decimal_comma == "never" or "," not in text:
        return text
    if decimal_comma == "always":
        return _EURO_RE.sub(lambda m: m.group(1).replace(".", "") + "." + m.group(2), text)
    m = _COMMA_DECIMAL_RE.fullmatch(text)
    if m and (m.group(2) == "0" or len(m.group(2)) > 3 or len(m.group(3)) > 3):  # 0,125 and 1000,99
        return f"{m.group(1)}{m.group(2)}.{m.group(3)}"
    return text


def _decimal_comma_reading(text: str, decimal_comma: str) -> str | None:
    """``3,15`` and ``1,5``: a decimal comma or a list of two numbers; the decimal reading, else None."""
    if decimal_comma != "auto" or "," not in text:
        return None
    m = _COMMA_DECIMAL_RE.fullmatch(text)
    if m and len(m.group(3)) != 3:
        return f"{m.group(1)}{m.group(2)}.{m.group(3)}"
    return None


_ARTICLE_RE = re.compile(r"^(?:the|an?)\s+(?=[a-z]{2})")


def text_answer(text: str) -> str | None:
    """A words-only answer (``\\text{odd}``, ``Marcus``, ``\\text{(E)}``), lower-cased; else None."""
    text = text.strip().strip("$").strip()
    for _ in range(3):
        text = _WRAP_RE.sub(lambda m: m.group(1), text)
    text = text.strip().rstrip(".").strip()
    while len(text) > 2 and text[0] == "(" and text[-1] == ")":
        text = text[1:-1].strip()
    if not _WORDS_RE.fullmatch(text) or len(text) > 200 or text.lower() in NONFINITE_WORDS:
        return None
    words = " ".join(text.lower().replace(",", ", ").split()).replace(" ,", ",")
    return _ARTICLE_RE.sub("", words)  # "the derivative" is "derivative"


def _last_side(text: str) -> str | None:
    """The text after the last top-level ``=`` or ``\\approx`` of a chain whose earlier sides do not parse."""
    depth = 0
    cut = -1
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0 and text[k - 1 : k] not in ("<", ">", "!"):
            cut = k + 1
    at = text.rfind("\\approx")
    if at >= 0 and text.count("{", 0, at) == text.count("}", 0, at):
        cut = max(cut, at + len("\\approx"))
    rest = text[cut:].strip() if cut > 1 else ""
    return rest or None


def _units_per_item(toks: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """Units are dropped from every item of a top-level list (``12 m, 7 m``)."""
    depth = 0
    cuts = []
    for k, (kind, val, _) in enumerate(toks):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif depth == 0 and kind == "op" and val in (",", ";"):
            cuts.append(k)
    if not cuts:
        return _strip_units(toks)
    out: list[tuple[str, str, bool]] = []
    start = 0
    for cut in [*cuts, len(toks)]:
        segment = toks[start:cut]
        out.extend(_strip_units(segment) if segment else segment)
        if cut < len(toks):
            out.append(toks[cut])
        start = cut + 1
    return out


def _ungroup(toks: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """``{35 cm, 4}``: a TeX group around the whole answer is no bracket (units go per item inside)."""
    if len(toks) < 3 or toks[0][:2] != ("open", "{") or toks[-1][:2] != ("close", "}"):
        return toks
    depth = 0
    for k, (kind, val, _) in enumerate(toks):
        if kind == "open" and val == "{":
            depth += 1
        elif kind == "close" and val == "}":
            depth -= 1
            if depth == 0 and k < len(toks) - 1:
                return toks  # {a}{b}: two groups
    return toks[1:-1]


def _parse_clean(text: str, decimal_comma: str) -> Node:
    text = _numbers(text, decimal_comma)
    if not text:
        raise ParseError("empty answer")
    toks = _units_per_item(_ungroup(tokenize(text)))
    if not toks:
        raise ParseError("empty answer")
    for kind, val, _ in toks:
        if kind == "word":
            raise ParseError(f"unexpected word {val!r}")
        if kind == "op" and val == "'":
            raise ParseError("unexpected quote")
    return _Parser(toks).top()


def parse(text: str, decimal_comma: str = "auto") -> Node:
    """Parse one answer (already extracted) into a node; raises ParseError.

    What does not parse as mathematics may still be a chain read at its last side
    (``\\lim_{t\\to0}\\frac{\\sin t}{t} = 1``) or a words-only answer (``("text", "odd")``).
    """
    if len(text) > 4 * MAX_CHARS:
        raise ParseError(f"answer longer than {MAX_CHARS} characters")
    clock = _CLOCK_TIME_RE.fullmatch(_WRAP_RE.sub(lambda m: m.group(1), text).strip().strip("$").strip())
    if clock:  # 4:30 p.m., \text{4:30 p.m.}: a time of day (its am/pm is its unit, checked by the precision rule)
        return ("text", f"{int(clock.group(1))}:{clock.group(2)}")
    cleaned = clean(text)
    if _TIME_RE.fullmatch(cleaned):  # 12:00, 3:05 pm: a time of day, compared as written
        return ("text", " ".join(cleaned.lower().replace(".", "").split()))
    try:
        node = _parse_clean(cleaned, decimal_comma)
        decimal = _decimal_comma_reading(cleaned, decimal_comma)
        return node if decimal is None else ("either", (_parse_clean(decimal, decimal_comma), node))
    except ParseError as exc:
        error = exc
    side = _last_side(cleaned)
    if side is not None:
        try:
            return _parse_clean(side, decimal_comma)
        except ParseError:
            pass
    words = text_answer(text)
    if words is not None:
        single = words if len(words) == 1 else None
        return ("sym", _letter(text) or words) if single else ("text", words)
    raise error


def _letter(text: str) -> str | None:
    """The single letter of a words-only answer, in the case it was written."""
    stripped = _WRAP_RE.sub(lambda m: m.group(1), text)
    letters = [ch for ch in stripped if ch.isalpha()]
    return letters[-1] if letters else None


_PLAIN_NUM_RE = re.compile(r"\s*(-?)\s*\$?\s*([1-9]\d{0,2}(?:,\d{3})+|\d+)(\.\d+)?\s*\.?\s*")


def plain_number(text: str) -> Fraction | None:
    """The value of a plain decimal number (``-1,234.50``, ``$18``), else None; no tokenizer needed."""
    m = _PLAIN_NUM_RE.fullmatch(text)
    if m is None or len(text) > MAX_DIGITS:
        return None
    sign, whole, frac = m.groups()
    value = Fraction(int(whole.replace(",", "")))
    if frac:
        value += Fraction(int(frac[1:]), 10 ** (len(frac) - 1))
    return -value if sign else value
