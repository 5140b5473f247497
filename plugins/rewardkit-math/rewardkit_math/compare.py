"""Whether two parsed answers are equal: structure first, then bounded numeric evaluation.

Scalars are compared exactly when both are rational, else as complex floats within the
tolerance; expressions with free symbols are compared at fixed pseudo-random complex points
(two answers that agree at every point are the same expression, with overwhelming
probability). What numeric evaluation cannot decide raises :class:`Undecided`; the worker
path then asks sympy (:mod:`rewardkit_math.symbolic`).
"""

from __future__ import annotations

import random
from typing import Callable

from .evaluate import NotScalar, TooBig, Undefined, close, symbols, value
from .parse import Node

MAX_ITEMS = 64  # elements of a tuple/set compared
MAX_PM = 4  # \pm signs expanded (2**4 variants)
POINTS = 4


class Undecided(Exception):
    """Numeric evaluation could not decide (values beyond the bounds, or undefined at every point)."""


Scalar = Callable[[Node, Node], bool]


def _points(names: list[str]) -> list[dict[str, complex]]:
    rng = random.Random(20240617)
    return [
        {n: complex(rng.uniform(0.3, 2.1), rng.uniform(0.05, 0.4)) for n in names} for _ in range(POINTS)
    ]


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
    for env in _points(names):
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


def _rhs(node: Node) -> Node:
    """``x = 5``, ``6/3 = 2`` and ``x \\in [0, 1)`` stand for their last side when compared with a non-relation."""
    if node[0] == "rel" and (all(op == "=" for op in node[1]) or node[1] == ("in",)):
        return node[2][-1]
    return node


_INF = ("const", "inf")
_NEG_INF = ("neg", ("const", "inf"))


def as_interval(node: Node) -> Node | None:
    """``x > 3`` is ``(3, \\infty)``, ``1 < x \\le 3`` is ``(1, 3]``: inequalities in one variable as intervals."""
    if node[0] != "rel" or not set(node[1]) <= {"<", "<=", ">", ">="}:
        return None
    ops, parts = node[1], node[2]
    if len(ops) == 1:
        (a, b), op = parts, ops[0]
        if a[0] == "sym" and b[0] != "sym":
            var, bound, op = a, b, op
        elif b[0] == "sym" and a[0] != "sym":
            var, bound, op = b, a, _FLIP[op]
        else:
            return None
        del var
        if op in (">", ">="):
            return ("interval", op == ">=", False, bound, _INF)
        return ("interval", False, op == "<=", _NEG_INF, bound)
    if len(ops) == 2 and parts[1][0] == "sym" and parts[0][0] != "sym" and parts[2][0] != "sym":
        if all(o in ("<", "<=") for o in ops):
            return ("interval", ops[0] == "<=", ops[1] == "<=", parts[0], parts[2])
        if all(o in (">", ">=") for o in ops):
            return ("interval", ops[1] == ">=", ops[0] == ">=", parts[2], parts[0])
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


def equal(a: Node, b: Node, tol: float, scalar: Callable[[Node, Node, float], bool] = scalar_equal) -> bool:
    """Whether answers ``a`` and ``b`` are the same (see the module doc); may raise Undecided."""

    def eq(x: Node, y: Node) -> bool:
        return equal(x, y, tol, scalar)

    if a == b:
        return True
    ka, kb = a[0], b[0]
    if ka == "rel" and kb == "rel":
        if a[1] == b[1] and len(a[2]) == len(b[2]) and all(map(eq, a[2], b[2])):
            return True
        flipped = tuple(_FLIP.get(o, "") for o in reversed(a[1]))
        if flipped == b[1] and all(map(eq, reversed(a[2]), b[2])):
            return True
        if a[1] == b[1] == ("=",):
            (la, ra), (lb, rb) = a[2], b[2]
            if la[0] == "sym" and la == lb:
                return eq(ra, rb)
            return _proportional(("-", la, ra), ("-", lb, rb), tol)
        return False
    if ka == "rel" or kb == "rel":
        ia, ib = as_interval(a) or a, as_interval(b) or b
        if ia is not a or ib is not b:  # an inequality against an interval
            return ia[0] != "rel" and ib[0] != "rel" and eq(ia, ib)
        ra, rb = _rhs(a), _rhs(b)
        if ra is a and rb is b:  # an inequality against a non-relation
            return False
        return eq(ra, rb)
    seq = ("list", "set", "tuple", "interval", "union")
    if ka in seq or kb in seq or _has_pm(a) or _has_pm(b):
        return _collections(a, b, eq)
    return scalar(a, b, tol)


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


def _collections(a: Node, b: Node, eq: Callable[[Node, Node], bool]) -> bool:
    if a[0] == "union" or b[0] == "union":
        a, b = _as_union(a), _as_union(b)
    ka, kb = a[0], b[0]
    if ka == "interval" or kb == "interval":
        if ka == kb:
            return a[1:3] == b[1:3] and eq(a[3], b[3]) and eq(a[4], b[4])
        other = b if ka == "interval" else a
        iv = a if ka == "interval" else b
        # an open interval (a, b) is written like the pair (a, b)
        return other[0] == "tuple" and len(other[1]) == 2 and iv[1:3] == (False, False) and _ordered(other[1], iv[3:5], eq)
    if ka == "union" or kb == "union":
        return ka == kb and _unordered(a[1], b[1], eq)
    if ka == "tuple" or kb == "tuple":
        if ka == kb:
            return _ordered(a[1], b[1], eq)
        other = b if ka == "tuple" else a
        tup = a if ka == "tuple" else b
        return other[0] == "list" and _ordered(tup[1], other[1], eq)  # bare "1, 2" against "(1, 2)"
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


def equivalent(gold: Node, pred: Node, tol: float, scalar: Callable[[Node, Node, float], bool] = scalar_equal) -> bool:
    """Top-level comparison of a gold answer and a prediction; may raise Undecided."""
    undecided: Undecided | None = None
    for g in percent_variants(gold):
        for p in percent_variants(pred):
            try:
                if equal(g, p, tol, scalar):
                    return True
            except Undecided as exc:
                undecided = exc
    if undecided is not None:
        raise undecided
    return False


__all__ = ["Undecided", "equal", "equivalent", "scalar_equal"]
