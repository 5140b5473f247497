"""Whether two parsed answers are equal: structure first, then bounded numeric evaluation.

Scalars are compared exactly when both are rational, else as complex floats within the
tolerance; expressions with free symbols are compared at fixed pseudo-random complex points
(two answers that agree at every point are the same expression, with overwhelming
probability). What numeric evaluation cannot decide raises :class:`Undecided`; the worker
path then asks sympy (:mod:`rewardkit_math.symbolic`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from .evaluate import NotScalar, TooBig, Undefined, close, symbols, value
from .parse import Node

MAX_ITEMS = 64  # elements of a tuple/set compared
MAX_PM = 4  # \pm signs expanded (2**4 variants)
POINTS = 4


class Undecided(Exception):
    """Numeric evaluation could not decide (values beyond the bounds, or undefined at every point)."""


Scalar = Callable[[Node, Node], bool]


def _points(names: list[str], real: bool = False) -> list[dict[str, complex]]:
    """Fixed pseudo-random points: complex, or real of both signs for ``|x|``, floor and ceiling."""
    rng = random.Random(20240617)
    if real:
        return [{n: complex(rng.choice((-1, 1)) * rng.uniform(0.3, 2.1)) for n in names} for _ in range(2 * POINTS)]
    return [
        {n: complex(rng.uniform(0.3, 2.1), rng.uniform(0.05, 0.4)) for n in names} for _ in range(POINTS)
    ]


def _not_analytic(node: Node) -> bool:
    """Whether a node holds ``|x|``, floor or ceiling (compared at real points)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] == "abs" or (n[0] == "fn" and n[1] in ("floor", "ceil")):
            return True
        stack.extend(p for p in n[1:] if isinstance(p, tuple) and p and isinstance(p[0], str))
    return False


def _inf_sign(node: Node) -> int:
    if node == ("const", "inf"):
        return 1
    if node[0] == "neg" and node[1] == ("const", "inf"):
        return -1
    return 0


def scalar_equal(a: Node, b: Node, tol: float) -> bool:
    """Numeric comparison of two scalar nodes; raises Undecided when it cannot tell."""
    sa, sb = _inf_sign(a), _inf_sign(b)
    if sa or sb:
        return sa == sb
    names = sorted(symbols(a) | symbols(b))
    if not names:
        try:
            return close(value(a), value(b), tol)
        except TooBig:
            raise Undecided("beyond the numeric bounds") from None
        except Undefined:
            return False
        except NotScalar:
            return False
    agree = 0
    too_big = False
    for env in _points(names, _not_analytic(a) or _not_analytic(b)):
        try:
            va, vb = value(a, env), value(b, env)
        except TooBig:
            too_big = True
            continue
        except Undefined:
            continue
        except NotScalar:
            return False
        if not close(va, vb, tol):
            return False
        agree += 1
    if agree >= 2 and not too_big:
        return True
    raise Undecided("symbolic comparison needs sympy")


def _expand_pm(node: Node, budget: list[int]) -> list[Node]:
    """All sign choices of the ``\\pm`` in a scalar node (at most 2**MAX_PM)."""
    op = node[0]
    if op == "pm" or op == "upm":
        budget[0] -= 1
        if budget[0] < 0:
            raise Undecided("too many plus-minus signs")
        if op == "upm":
            return [v for x in _expand_pm(node[1], budget) for v in (x, ("neg", x))]
        left, right = _expand_pm(node[1], budget), _expand_pm(node[2], budget)
        return [v for x in left for y in right for v in (("+", x, y), ("-", x, y))]
    variants: list[Node] = [node]
    for k, part in enumerate(node[1:], start=1):
        if not (isinstance(part, tuple) and part and isinstance(part[0], str)):
            continue  # names, flags, item tuples of sets and tuples (not expanded)
        options = _expand_pm(part, budget)
        if len(options) > 1:
            variants = [v[:k] + (o,) + v[k + 1 :] for v in variants for o in options]
    return variants


def _has_pm(node: Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] in ("pm", "upm"):
            return True
        stack.extend(p for p in n[1:] if isinstance(p, tuple) and p and isinstance(p[0], str))
    return False


def _name_like(node: Node) -> bool:
    """``x``, ``y_1``, ``f(x)``, ``V_1 : V_2``, ``(a, b)``: the left side of an assignment."""
    kind = node[0]
    if kind == "sym":
        return True
    if kind in ("ratio", "tuple"):
        return all(p[0] == "sym" for p in node[1])
    if kind == "*" and node[1][0] == "sym" and node[2][0] in ("sym", "num", "neg"):  # f(x), f(2)
        return True
    return kind in ("*", "/", "abs") and _named_quantity(node)


def _named_quantity(node: Node) -> bool:
    """``|AB|``, ``\\frac{NO}{BO}``, ``AB \\cdot CD``: a quantity named by letters (no number, no sum)."""
    kind = node[0]
    if kind == "sym":
        return True
    if kind in ("*", "/"):
        return _named_quantity(node[1]) and _named_quantity(node[2])
    return kind == "abs" and _named_quantity(node[1])


def readings(node: Node, predicted: bool = False) -> list[Node] | None:
    """The values a relation stands for when compared with a non-relation, or None (an equation).

    ``x = 5``, ``y = 2+3 = 5`` and ``6/3 = 2`` stand for their last side; ``x \\in S`` for ``S``;
    ``\\frac{\\sqrt2}{2} \\approx 0.707`` for both sides when they agree to 1%. ``b - 2y = 0`` and
    ``5 = 3p + q`` are equations: they stand for no value. A *predicted* ``a + b = 3`` stands
    for 3 (the completion states the value of what was asked), a gold one does not.
    """
    ops, parts = node[1], node[2]
    if ops == ("in",):
        return [parts[1]]
    if not all(op in ("=", "approx") for op in ops):
        return None
    first, last = parts[0], parts[-1]
    if ops[-1] == "approx" and not _name_like(parts[-2]):
        # x = 1/3 \\approx 0.33: the exact side decides; the approximation counts too when it agrees
        return [parts[-2], last] if _consistent(parts[-2], last) else [parts[-2]]
    if len(parts) >= 3 and not symbols(last):  # f(-2)+f(0) = 6 + 8 = 14: a computation chain
        return [last]
    if not _name_like(first):
        if predicted and not symbols(last):
            return [last]
        if symbols(first) or symbols(last):
            return None
    return [last]


def _consistent(exact: Node, approx: Node) -> bool:
    try:
        a, b = complex(value(exact)), complex(value(approx))
    except (TooBig, Undefined, NotScalar):
        return False
    return abs(a - b) <= 0.01 * max(abs(a), abs(b))


def _rhs(node: Node) -> Node:
    """The last reading of a relation (see :func:`readings`); other nodes stand for themselves."""
    if node[0] == "rel":
        values = readings(node)
        if values:
            return values[-1]
    return node


_INF = ("const", "inf")
_NEG_INF = ("neg", ("const", "inf"))


def _linear(node: Node) -> tuple[Fraction, Fraction] | None:
    """``(slope, intercept)`` of an expression linear in its one variable, with rational coefficients."""
    names = symbols(node)
    if len(names) != 1:
        return None
    name = next(iter(names))
    try:
        f0, f1, f2 = (value(node, {name: Fraction(k)}) for k in (0, 1, 2))  # type: ignore[dict-item]
    except (TooBig, Undefined, NotScalar):
        return None
    if not all(isinstance(v, Fraction) for v in (f0, f1, f2)):
        return None
    slope = f1 - f0  # type: ignore[operator]
    if slope == 0 or f2 - f1 != slope:  # type: ignore[operator]
        return None
    return slope, f0  # type: ignore[return-value]


def _one_side(expr: Node, op: str, bound: Node) -> Node | None:
    """``expr op bound`` as an interval of the variable of ``expr``."""
    if expr[0] != "sym":
        line = _linear(("-", expr, bound))
        if line is None:
            return None
        slope, intercept = line
        bound = ("num", -intercept / slope)
        if slope < 0:
            op = _FLIP[op]
    if op in (">", ">="):
        return ("interval", op == ">=", False, bound, _INF)
    return ("interval", False, op == "<=", _NEG_INF, bound)


def _between(lo: Node, lo_op: str, mid: Node, hi_op: str, hi: Node) -> Node | None:
    """``lo < mid <= hi``: the interval of the variable (or the range of ``mid`` when it is not linear)."""
    lo_closed, hi_closed = lo_op == "<=", hi_op == "<="
    if mid[0] == "abs" and _linear(mid[1]) is not None:  # 2 <= |w| <= 5/2: two intervals
        return ("union", (("interval", hi_closed, lo_closed, ("neg", hi), ("neg", lo)),
                          ("interval", lo_closed, hi_closed, lo, hi)))
    line = _linear(mid) if mid[0] != "sym" else None
    if line is None:
        return ("interval", lo_closed, hi_closed, lo, hi)
    slope, c = line
    try:
        a, b = value(lo), value(hi)
    except (TooBig, Undefined, NotScalar):
        return None
    if not (isinstance(a, Fraction) and isinstance(b, Fraction)):
        return None
    ends = [(("num", (a - c) / slope), lo_closed), (("num", (b - c) / slope), hi_closed)]
    if slope < 0:
        ends.reverse()
    return ("interval", ends[0][1], ends[1][1], ends[0][0], ends[1][0])


def as_interval(node: Node) -> Node | None:
    """Inequalities as intervals: ``x > 3`` is ``(3, \\infty)``, ``-y \\ge -4`` is ``(-\\infty, 4]``,
    ``1 < x \\le 3`` is ``(1, 3]``, ``0 < g(t) < 2`` is ``(0, 2)``, ``x \\in [0, 1)`` is ``[0, 1)``."""
    if node[0] != "rel":
        return None
    ops, parts = node[1], node[2]
    if ops == ("in",) and parts[1][0] in ("interval", "union"):
        return parts[1]
    if ops == ("!=",) and parts[0][0] == "sym" and not symbols(parts[1]):  # x \\ne 1: all numbers but 1
        return ("union", (("interval", False, False, _NEG_INF, parts[1]), ("interval", False, False, parts[1], _INF)))
    if not set(ops) <= {"<", "<=", ">", ">="}:
        return None
    if len(ops) == 1:
        (a, b), op = parts, ops[0]
        if symbols(a) and not symbols(b):
            return _one_side(a, op, b)
        if symbols(b) and not symbols(a):
            return _one_side(b, _FLIP[op], a)
        return None
    if len(ops) == 2 and not symbols(parts[0]) and not symbols(parts[2]) and symbols(parts[1]):
        if all(o in ("<", "<=") for o in ops):
            return _between(parts[0], ops[0], parts[1], ops[1], parts[2])
        if all(o in (">", ">=") for o in ops):
            return _between(parts[2], _FLIP[ops[1]], parts[1], _FLIP[ops[0]], parts[0])
    return None


def _unordered(xs: tuple[Node, ...], ys: tuple[Node, ...], eq: Callable[[Node, Node], bool]) -> bool:
    if len(xs) > MAX_ITEMS or len(ys) > MAX_ITEMS:
        return xs == ys
    xs, ys = _dedupe(xs), _dedupe(ys)
    if len(xs) != len(ys):
        return False
    left = list(ys)
    for x in xs:
        for j, y in enumerate(left):
            if eq(x, y):
                del left[j]
                break
        else:
            return False
    return True


def _dedupe(xs: tuple[Node, ...]) -> tuple[Node, ...]:
    out: list[Node] = []
    for x in xs:
        if x not in out:
            out.append(x)
    return tuple(out)


def _ordered(xs: tuple[Node, ...], ys: tuple[Node, ...], eq: Callable[[Node, Node], bool]) -> bool:
    return len(xs) == len(ys) <= MAX_ITEMS and all(eq(x, y) for x, y in zip(xs, ys))


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}


def equal(a: Node, b: Node, tol: float, scalar: Callable[[Node, Node, float], bool] = scalar_equal,
          loose_sets: bool = False) -> bool:
    """Whether answers ``a`` and ``b`` are the same (see the module doc); may raise Undecided."""

    def eq(x: Node, y: Node) -> bool:
        return equal(x, y, tol, scalar, loose_sets)

    if a == b:
        return True
    ka, kb = a[0], b[0]
    if {ka, kb} == {"sym", "const"} and a[1] == b[1] in ("e", "i"):  # \\text{e} is the letter e as written
        return True
    if ka == "either" or kb == "either":  # 1,5: the decimal 1.5 or the list 1, 5
        return any(eq(x, b) for x in a[1]) if ka == "either" else any(eq(a, y) for y in b[1])
    if ka == "rel" and kb == "rel":
        return _relations(a, b, eq, tol)
    if ka == "rel" or kb == "rel":
        rel, other = (a, b) if ka == "rel" else (b, a)
        iv = as_interval(rel)
        if iv is not None:  # an inequality against an interval
            return eq(iv, other)
        values = readings(rel, predicted=rel is b)  # a is the gold answer, b the prediction
        return bool(values) and any(eq(v, other) for v in values)  # type: ignore[union-attr]
    if ka in _ARITH or kb in _ARITH:  # A + B, 2A, AB with matrices: the resulting matrix
        ma, mb = matrix_form(a), matrix_form(b)
        if (ma is not None and ma is not a) or (mb is not None and mb is not b):
            return eq(ma or a, mb or b)
    if ka in _SPECIAL or kb in _SPECIAL:
        return _special(a, b, eq)
    seq = ("list", "set", "tuple", "interval", "union", "minus")
    if ka in seq or kb in seq or _has_pm(a) or _has_pm(b):
        return _collections(a, b, eq, loose_sets)
    return scalar(a, b, tol)


_SPECIAL = ("text", "matrix", "based", "ratio", "sum", "prod")
#: text answers that mean the empty set
EMPTY_WORDS = {"no solution", "no solutions", "no real solution", "no real solutions", "none", "empty set",
               "the empty set", "no such value", "no such values", "there is no solution"}
_ARITH = ("+", "-", "*", "/", "neg")
MAX_MATRIX = 12  # rows or columns multiplied


def _has_matrix(node: Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] == "matrix":
            return True
        if n[0] in _ARITH:
            stack.extend(n[1:])
    return False


def matrix_form(node: Node) -> Node | None:
    """The matrix an expression of matrices stands for (cells as expressions), or None."""
    kind = node[0]
    if kind == "matrix":
        return node
    if kind not in _ARITH or not _has_matrix(node):
        return None
    if kind == "neg":
        m = matrix_form(node[1])
        return None if m is None else ("matrix", tuple(tuple(("neg", c) for c in r) for r in m[1]))
    a, b = node[1], node[2]
    ma, mb = matrix_form(a), matrix_form(b)
    if kind in ("+", "-"):
        if ma is None or mb is None or len(ma[1]) != len(mb[1]) or len(ma[1][0]) != len(mb[1][0]):
            return None
        return ("matrix", tuple(tuple((kind, x, y) for x, y in zip(r, s)) for r, s in zip(ma[1], mb[1])))
    if ma is not None and mb is not None:
        if kind != "*" or len(ma[1][0]) != len(mb[1]) or max(len(ma[1]), len(mb[1][0]), len(mb[1])) > MAX_MATRIX:
            return None
        cols = list(zip(*mb[1]))
        return ("matrix", tuple(tuple(_dot(r, c) for c in cols) for r in ma[1]))
    if ma is not None and not _has_matrix(b):
        return ("matrix", tuple(tuple((kind, c, b) for c in r) for r in ma[1]))
    if mb is not None and kind == "*" and not _has_matrix(a):
        return ("matrix", tuple(tuple(("*", a, c) for c in r) for r in mb[1]))
    return None


def _dot(row: tuple[Node, ...], col: tuple[Node, ...]) -> Node:
    total: Node = ("*", row[0], col[0])
    for x, y in zip(row[1:], col[1:]):
        total = ("+", total, ("*", x, y))
    return total


def _relations(a: Node, b: Node, eq: Callable[[Node, Node], bool], tol: float) -> bool:
    if a[1] == b[1] and len(a[2]) == len(b[2]) and all(map(eq, a[2], b[2])):
        return True
    flipped = tuple(_FLIP.get(o, "") for o in reversed(a[1]))
    if flipped == b[1] and all(map(eq, reversed(a[2]), b[2])):
        return True
    ia, ib = as_interval(a), as_interval(b)
    if ia is not None or ib is not None:
        return ia is not None and ib is not None and eq(ia, ib)
    va, vb = readings(a), readings(b)
    if va and vb and _name_like(a[2][0]) and a[2][0] == b[2][0]:  # y = 2+3 = 5 against y = 5
        return any(eq(x, y) for x in va for y in vb)
    if a[1] == b[1] == ("=",):
        (la, ra), (lb, rb) = a[2], b[2]
        if la[0] == "sym" and la == lb:
            return eq(ra, rb)
        if any(p[0] in ("ratio", "tuple", "matrix", "text") for p in (la, ra, lb, rb)):
            return False
        return _proportional(("-", la, ra), ("-", lb, rb), tol)
    return False


def _special(a: Node, b: Node, eq: Callable[[Node, Node], bool]) -> bool:
    """Text answers, matrices, numbers in a base, ratios."""
    ka, kb = a[0], b[0]
    if ka == "text" or kb == "text":
        if ("set", ()) in (a, b):  # \\emptyset and "no solution"
            return (a if ka == "text" else b)[1] in EMPTY_WORDS
        names = [n[1].lower() if n[0] in ("text", "sym") else None for n in (a, b)]
        return names[0] is not None and names[0] == names[1]
    if ka == "based" or kb == "based":  # a is the gold answer, b the prediction
        if ka == kb:
            return int(a[1], a[2]) == int(b[1], b[2])
        if ka == "based":  # gold 312_4, predicted 312: the digits without their base
            return b[0] == "num" and b[1] == int(a[1])
        return a[0] == "num" and a[1] == int(b[1], b[2])  # gold 5, predicted 12_3
    if ka == "matrix" or kb == "matrix":
        if ka == kb:
            return len(a[1]) == len(b[1]) and all(_ordered(x, y, eq) for x, y in zip(a[1], b[1]))
        mat, other = (a, b) if ka == "matrix" else (b, a)
        if other[0] not in ("tuple", "list"):
            return False
        rows = mat[1]
        cells = tuple(r[0] for r in rows) if all(len(r) == 1 for r in rows) else rows[0] if len(rows) == 1 else None
        return cells is not None and _ordered(cells, other[1], eq)  # a column or row vector as a tuple
    if ka in ("sum", "prod") or kb in ("sum", "prod"):
        return ka == kb and a[1] == b[1] and all(eq(x, y) for x, y in zip(a[2:], b[2:]))
    if ka == "ratio" and kb == "ratio":
        xs, ys = a[1], b[1]
        if any(p == ("num", 0) for p in xs + ys):  # 12:0 is no proportion: parts compared one by one
            return _ordered(xs, ys, eq)
        return len(xs) == len(ys) and all(
            eq(("*", xs[i], ys[0]), ("*", ys[i], xs[0])) for i in range(1, len(xs))
        )
    ratio, other = (a, b) if ka == "ratio" else (b, a)
    return len(ratio[1]) == 2 and other[0] not in ("ratio", "tuple", "set", "list", "interval", "union") and eq(
        ("/", ratio[1][0], ratio[1][1]), other
    )


def _subtracted(node: Node) -> Node:
    """``(-\\infty, \\infty) \\setminus \\{1, 3\\}`` as the union of intervals it leaves (numeric points only)."""
    if node[0] != "minus" or node[2][0] not in ("set", "num"):
        return node
    iv, cut = node[1], node[2]
    if iv[0] == "tuple" and len(iv[1]) == 2:  # (a, b) is also the open interval
        iv = ("interval", False, False, iv[1][0], iv[1][1])
    if iv[0] != "interval":
        return node
    points: list[tuple[complex, Node]] = []
    for p in cut[1] if cut[0] == "set" else (cut,):
        try:
            v = complex(value(p))
        except (TooBig, Undefined, NotScalar):
            return node
        if v.imag:
            return node
        points.append((v, p))
    pieces: list[Node] = []
    lo, lo_closed = iv[3], iv[1]
    for _, p in sorted(points, key=lambda t: t[0].real):
        pieces.append(("interval", lo_closed, False, lo, p))
        lo, lo_closed = p, False
    pieces.append(("interval", lo_closed, iv[2], lo, iv[4]))
    return pieces[0] if len(pieces) == 1 else ("union", tuple(pieces))


def _as_set(node: Node) -> tuple[Node, ...] | None:
    """The elements of a set, list or ``\\pm`` expression (None when a ``\\pm`` is nested where it means nothing)."""
    items = node[1] if node[0] in ("set", "list") else (node,) if node[0] not in ("tuple", "interval", "union") else None
    if items is None:
        return None
    out: list[Node] = []
    for item in items:
        item = _rhs(item)
        if _has_pm(item):
            variants = _expand_pm(item, [MAX_PM])
            if any(_has_pm(v) for v in variants):
                return None  # e.g. a set inside a logarithm
            out.extend(variants)
        else:
            out.append(item)
    return tuple(out)


def _as_union(node: Node) -> Node:
    """``x < 1 or x > 2`` (a list of inequalities) is the union of their intervals."""
    if node[0] == "list":
        parts = [as_interval(item) for item in node[1]]
        if all(p is not None for p in parts):
            return ("union", tuple(parts))
    return node


def _collections(a: Node, b: Node, eq: Callable[[Node, Node], bool], loose_sets: bool = False) -> bool:
    if a[0] == "minus" or b[0] == "minus":
        a, b = _subtracted(a), _subtracted(b)
        if a[0] == "minus" or b[0] == "minus":
            return False
    if a[0] == "union" or b[0] == "union":
        a, b = _as_union(a), _as_union(b)
    ka, kb = a[0], b[0]
    if ka == "interval" or kb == "interval":
        if ka == kb:
            return a[1:3] == b[1:3] and eq(a[3], b[3]) and eq(a[4], b[4])
        other = b if ka == "interval" else a
        iv = a if ka == "interval" else b
        if iv[1:3] != (False, False):
            return False
        if other[0] == "tuple" and len(other[1]) == 2:  # an open interval (a, b) is written like the pair (a, b)
            return _ordered(other[1], iv[3:5], eq)
        if loose_sets and other[0] in ("set", "list") and len(other[1]) == 2:
            return _unordered(other[1], iv[3:5], eq)
        return False
    if ka == "union" or kb == "union":
        return ka == kb and _unordered(a[1], b[1], eq)
    if ka == "tuple" or kb == "tuple":
        if ka == kb:
            return _ordered(a[1], b[1], eq)
        other = b if ka == "tuple" else a
        tup = a if ka == "tuple" else b
        if other[0] == "list" and _ordered(tup[1], other[1], eq):  # bare "1, 2" against "(1, 2)"
            return True
        return loose_sets and other[0] in ("set", "list") and _unordered(tup[1], other[1], eq)
    sa, sb = _as_set(a), _as_set(b)
    if sa is None or sb is None:
        return False
    return _unordered(sa, sb, eq)


def _proportional(a: Node, b: Node, tol: float) -> bool:
    """Whether equations ``a = 0`` and ``b = 0`` are the same (``a`` a non-zero multiple of ``b``)."""
    names = sorted(symbols(a) | symbols(b))
    ratio: complex | None = None
    agree = 0
    for env in _points(names or ["_"]):
        try:
            va, vb = complex(value(a, env)), complex(value(b, env))
        except (TooBig, Undefined):
            continue
        except NotScalar:
            return False
        if vb == 0 or va == 0:
            if va == vb:
                agree += 1
                continue
            return False
        r = va / vb
        if ratio is None:
            ratio = r
        elif not close(r, ratio, tol):
            return False
        agree += 1
    if agree >= 2:
        return True
    raise Undecided("could not compare equations numerically")


def percent_variants(node: Node) -> list[Node]:
    """A whole answer ``p%`` also stands for the bare number ``p`` (documented rule)."""
    if node[0] == "%":
        return [node, node[1]]
    return [node]


def equivalent(gold: Node, pred: Node, tol: float, scalar: Callable[[Node, Node, float], bool] = scalar_equal,
               loose_sets: bool = False) -> bool:
    """Top-level comparison of a gold answer and a prediction; may raise Undecided."""
    undecided: Undecided | None = None
    for g in percent_variants(gold):
        for p in percent_variants(pred):
            try:
                if equal(g, p, tol, scalar, loose_sets):
                    return True
            except Undecided as exc:
                undecided = exc
    if undecided is not None:
        raise undecided
    return False


__all__ = ["Undecided", "equal", "equivalent", "scalar_equal"]
