"""The sympy step, for what bounded numeric evaluation could not decide (worker processes only).

Sympy objects are built node by node from our own parse tree (never ``sympify`` of text), with
size checks before every operation that could explode: integer powers, factorials, binomials.
What exceeds them raises :class:`Bounds`, which the reward turns into "not equivalent".
Rationals compare exactly, other numbers at 50 significant digits (mpmath: fast even for
2^20000), expressions at three exact rational points; ``simplify`` only when no point is defined.
No sympy object is ever turned into a string (``str`` of a huge expression can hang).
"""

from __future__ import annotations

from typing import Any

from .parse import Node

MAX_RESULT_BITS = 1_000_000
MAX_EXPONENT = 10_000
MAX_FACTORIAL = 20_000


class Bounds(ArithmeticError):
    """The expression is too large to decide within the bounds."""


def to_sympy(node: Node) -> Any:
    """A sympy expression for a scalar node (sets, tuples and relations are handled by the caller)."""
    import sympy

    def build(n: Node) -> Any:
        op = n[0]
        if op == "num":
            return sympy.Rational(n[1].numerator, n[1].denominator)
        if op == "sym":
            return sympy.Symbol(n[1])
        if op == "const":
            return {"pi": sympy.pi, "e": sympy.E, "i": sympy.I, "inf": sympy.oo}[n[1]]
        if op == "+":
            return build(n[1]) + build(n[2])
        if op == "-":
            return build(n[1]) - build(n[2])
        if op == "*":
            return build(n[1]) * build(n[2])
        if op == "/":
            return build(n[1]) / build(n[2])
        if op == "neg":
            return -build(n[1])
        if op == "mixed":
            return build(n[1]) + build(n[2])
        if op == "%":
            return build(n[1]) / 100
        if op == "abs":
            return sympy.Abs(build(n[1]))
        if op in ("^", "root"):
            base = build(n[1])
            exp = build(n[2]) if op == "^" else 1 / build(n[2])
            return _pow(sympy, base, exp)
        if op == "!":
            arg = build(n[1])
            if not (arg.is_Integer and 0 <= int(arg) <= MAX_FACTORIAL):
                raise Bounds("factorial argument beyond the bounds")
            return sympy.factorial(arg)
        if op == "binom":
            a, b = build(n[1]), build(n[2])
            if not (a.is_Integer and b.is_Integer and abs(int(a)) <= MAX_FACTORIAL):
                raise Bounds("binomial beyond the bounds")
            return sympy.binomial(a, b)
        if op == "fn":
            fns = {
                "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "sec": sympy.sec, "csc": sympy.csc,
                "cot": sympy.cot, "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
                "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh, "exp": sympy.exp,
                "ln": sympy.log, "log": sympy.log, "coth": sympy.coth, "sech": sympy.sech, "csch": sympy.csch,
                "arcsinh": sympy.asinh, "arccosh": sympy.acosh, "arctanh": sympy.atanh, "arccot": sympy.acot,
                "arcsec": sympy.asec, "arccsc": sympy.acsc, "arccoth": sympy.acoth, "arcsech": sympy.asech,
                "arccsch": sympy.acsch, "lg": lambda z: sympy.log(z, 10), "floor": sympy.floor,
                "ceil": sympy.ceiling,
            }
            fn = fns.get(n[1])
            if fn is None:
                raise Bounds(f"no sympy form for {n[1]!r}")
            return fn(build(n[2]))
        if op == "log":
            return sympy.log(build(n[2]), build(n[1]))
        raise Bounds(f"no sympy form for {op!r}")

    return build(node)


def _pow(sympy: Any, base: Any, exp: Any) -> Any:
    if exp.is_Number:
        if base.is_Rational and exp.is_Integer:
            bits = max(int(base.p).bit_length(), int(base.q).bit_length())
            if abs(base) not in (0, 1) and bits * abs(int(exp)) > MAX_RESULT_BITS:
                raise Bounds("power beyond the bounds")
        elif abs(exp) > MAX_EXPONENT and not (base.is_Number and abs(base) in (0, 1)):
            raise Bounds("exponent beyond the bounds")
    elif base.is_Number and abs(base) > 1 and exp.is_number:
        # a numeric but non-literal exponent (a tower): size it before sympy evaluates it
        try:
            approx = exp.evalf(15)
            too_big = bool(approx.is_real) and abs(float(approx)) > MAX_EXPONENT
        except OverflowError:
            too_big = True
        if too_big:
            raise Bounds("exponent beyond the bounds")
    return sympy.Pow(base, exp)


def sympy_equal(a: Node, b: Node, tol: float) -> bool:
    """Whether two scalar nodes are equal according to sympy (raises Bounds)."""
    import sympy

    ea, eb = to_sympy(a), to_sympy(b)
    try:
        return _decide(sympy, ea, eb, tol)
    except OverflowError:
        raise Bounds("values too large to compare") from None


def _decide(sympy: Any, ea: Any, eb: Any, tol: float) -> bool:
    diff = ea - eb
    if diff.is_zero:
        return True
    if diff.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return False  # undefined or infinite: not a value that can equal another
    if ea.is_Rational and eb.is_Rational:  # exact, as in the inline path
        return tol > 0 and bool(abs(diff) <= sympy.Rational(tol) * max(abs(ea), abs(eb)))
    if not diff.free_symbols:
        return _close(sympy, ea, eb, tol) is True
    # expressions: exact rational points first (50 digits each), simplify only when none is defined
    names = sorted(diff.free_symbols, key=lambda s: s.name)
    defined = 0
    for k in range(3):
        point = {sym: sympy.Rational(7 + 3 * j + 5 * k, 5 + 2 * k + j) for j, sym in enumerate(names)}
        verdict = _close(sympy, ea.subs(point), eb.subs(point), tol)
        if verdict is False:
            return False
        defined += verdict is True
    if defined >= 2:
        return True
    return sympy.simplify(diff).is_zero is True


def _close(sympy: Any, a: Any, b: Any, tol: float) -> bool | None:
    """Two numbers within the relative tolerance at 50 digits; None when either is undefined."""
    if a.has(sympy.nan, sympy.zoo) or b.has(sympy.nan, sympy.zoo):
        return None
    # sympy Floats, not Python floats: 2^{20000} has no float but compares fine
    va, vb = sympy.N(a, 50), sympy.N(b, 50)
    if not (va.is_number and vb.is_number) or va.has(sympy.nan, sympy.zoo) or vb.has(sympy.nan, sympy.zoo):
        return None
    try:
        return bool(abs(va - vb) <= sympy.Float(max(tol, 1e-12)) * sympy.Max(abs(va), abs(vb)))
    except TypeError:  # not a finite real magnitude
        return None
