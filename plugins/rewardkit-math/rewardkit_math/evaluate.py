"""Bounded evaluation of a parsed answer: exact rationals where possible, complex floats otherwise.

Pure Python, no sympy: every operation checks its size first (bits of exact numbers, factorial
arguments, float overflow), so evaluation is fast and cannot hang. What it cannot do within
the bounds raises :class:`TooBig`; mathematically undefined values raise :class:`Undefined`.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Mapping
from fractions import Fraction

from .parse import Node

Value = Fraction | complex

MAX_BITS = 16_384  # size of an exact numerator / denominator
MAX_FACTORIAL = 1_000
MAX_ROOT_INDEX = 64
#: tolerances up to this one are for rounding error: two integers then compare exactly
INTEGER_EXACT = 1e-6


class TooBig(ArithmeticError):
    """The value exceeds the evaluation bounds (sympy may still decide it, with its own bounds)."""


class Undefined(ArithmeticError):
    """The value is undefined (division by zero, log of zero, ...)."""


class NotScalar(TypeError):
    """The node is not a number (a tuple, set, interval, relation, infinity)."""


def _inv(f: Callable[[complex], complex]) -> Callable[[complex], complex]:
    return lambda z: 1 / f(z)


def _of_inv(f: Callable[[complex], complex]) -> Callable[[complex], complex]:
    return lambda z: f(1 / z)


def _real_only(f: Callable[[float], int]) -> Callable[[complex], complex]:
    def g(z: complex) -> complex:
        if z.imag != 0:
            raise ValueError("floor/ceil of a non-real number")
        return complex(f(z.real))

    return g


_FUNCS: dict[str, Callable[[complex], complex]] = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "arcsin": cmath.asin, "arccos": cmath.acos,
    "arctan": cmath.atan, "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh, "exp": cmath.exp,
    "ln": cmath.log, "log": cmath.log, "sec": _inv(cmath.cos), "csc": _inv(cmath.sin), "cot": _inv(cmath.tan),
    "coth": _inv(cmath.tanh), "sech": _inv(cmath.cosh), "csch": _inv(cmath.sinh),
    "arcsinh": cmath.asinh, "arccosh": cmath.acosh, "arctanh": cmath.atanh,
    "arccot": _of_inv(cmath.atan), "arcsec": _of_inv(cmath.acos), "arccsc": _of_inv(cmath.asin),
    "arccoth": _of_inv(cmath.atanh), "arcsech": _of_inv(cmath.acosh), "arccsch": _of_inv(cmath.asinh),
    "lg": cmath.log10, "floor": _real_only(math.floor), "ceil": _real_only(math.ceil),
}


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _exact(q: Fraction) -> Fraction:
    if _bits(q) > MAX_BITS:
        raise TooBig("exact number too large")
    return q


def _c(v: Value) -> complex:
    if isinstance(v, complex):
        return v
    try:
        return complex(float(v))
    except OverflowError:
        raise TooBig("number too large for a float") from None


def _finite(z: complex) -> complex:
    if not cmath.isfinite(z):
        raise TooBig("float overflow")
    return z


def _iroot(n: int, k: int) -> int | None:
    """The exact integer k-th root of n >= 0, or None (integer Newton iteration, no floats)."""
    if n < 2:
        return n
    if k == 2:
        r = math.isqrt(n)
    else:
        r = 1 << -(-n.bit_length() // k)  # an upper bound
        while True:
            s = ((k - 1) * r + n // r ** (k - 1)) // k
            if s >= r:
                break
            r = s
    return r if r**k == n else None


def _pow(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        if b.denominator == 1:
            e = b.numerator
            if a == 0 and e < 0:
                raise Undefined("division by zero")
            if a in (0, 1) or e == 0:
                return a**e
            if a == -1:
                return Fraction(-1 if e % 2 else 1)
            if _bits(a) * abs(e) <= MAX_BITS:
                return a**e
        elif a > 0 and b.denominator <= MAX_ROOT_INDEX and _bits(a) * abs(b.numerator) <= MAX_BITS:
            k = b.denominator
            n, d = _iroot(a.numerator, k), _iroot(a.denominator, k)
            if n is not None and d is not None:
                return Fraction(n, d) ** b.numerator
    x, y = _c(a), _c(b)
    if x == 0:
        if y.real > 0:
            return 0j
        raise Undefined("zero to a non-positive power")
    try:
        return _finite(x**y)
    except OverflowError:
        raise TooBig("power too large") from None
    except ZeroDivisionError:
        raise Undefined("division by zero") from None


def value(node: Node, env: Mapping[str, complex] | None = None) -> Value:
    """The value of a scalar node; symbols take their values from ``env``."""
    op = node[0]
    if op == "num":
        return node[1]
    if op == "sym":
        if env is None or node[1] not in env:
            raise NotScalar(f"free symbol {node[1]}")
        return env[node[1]]
    if op == "const":
        name = node[1]
        if name == "pi":
            return complex(math.pi)
        if name == "e":
            return complex(math.e)
        if name == "i":
            return 1j
        raise NotScalar("infinity")
    if op in ("+", "-", "*", "/"):
        a, b = value(node[1], env), value(node[2], env)
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            if op == "/" and b == 0:
                raise Undefined("division by zero")
            if _bits(a) + _bits(b) > 2 * MAX_BITS:
                raise TooBig("exact number too large")
            r = a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
            return _exact(r)
        x, y = _c(a), _c(b)
        if op == "/":
            if y == 0:
                raise Undefined("division by zero")
            return _finite(x / y)
        return _finite(x + y if op == "+" else x - y if op == "-" else x * y)
    if op == "neg":
        return -value(node[1], env)
    if op == "mixed":
        whole, frac = value(node[1], env), value(node[2], env)
        return whole + frac if whole >= 0 else whole - frac  # type: ignore[operator]
    if op == "^":
        return _pow(value(node[1], env), value(node[2], env))
    if op == "root":
        n = value(node[2], env)
        if n == 0:
            raise Undefined("zeroth root")
        return _pow(value(node[1], env), 1 / n if isinstance(n, Fraction) else 1 / _c(n))
    if op == "%":
        v = value(node[1], env)
        return v / 100 if isinstance(v, Fraction) else v / 100
    if op == "!":
        v = value(node[1], env)
        if isinstance(v, complex) and v.imag == 0 and v.real.is_integer():
            v = Fraction(int(v.real))
        if not isinstance(v, Fraction) or v.denominator != 1 or v < 0:
            raise Undefined("factorial of a non-natural number")
        if v > MAX_FACTORIAL:
            raise TooBig("factorial argument too large")
        return Fraction(math.factorial(int(v)))
    if op == "binom":
        n, k = value(node[1], env), value(node[2], env)
        if not (isinstance(n, Fraction) and isinstance(k, Fraction) and n.denominator == 1 == k.denominator):
            raise Undefined("binomial of non-integers")
        if abs(n) > MAX_FACTORIAL:
            raise TooBig("binomial argument too large")
        return Fraction(math.comb(int(n), int(k))) if 0 <= k <= n else Fraction(0)
    if op == "abs":
        v = value(node[1], env)
        return abs(v) if isinstance(v, Fraction) else complex(abs(v))
    if op == "fn":
        z = _c(value(node[2], env))
        try:
            fn = _FUNCS.get(node[1])
            if fn is None:
                raise NotScalar(f"no numeric form for {node[1]}")
            return _finite(fn(z))
        except (ValueError, ZeroDivisionError):
            raise Undefined(f"{node[1]} undefined here") from None
        except OverflowError:
            raise TooBig(f"{node[1]} overflow") from None
    if op == "log":
        base, z = _c(value(node[1], env)), _c(value(node[2], env))
        try:
            return _finite(cmath.log(z) / cmath.log(base))
        except (ValueError, ZeroDivisionError):
            raise Undefined("log undefined here") from None
    if op in ("upm", "pm"):
        raise NotScalar("plus-minus")
    raise NotScalar(op)


def symbols(node: Node, out: set[str] | None = None) -> set[str]:
    """Names of the free symbols of a node."""
    out = set() if out is None else out
    stack = [node]
    while stack:
        n = stack.pop()
        if n[0] == "sym":
            out.add(n[1])
            continue
        for part in n[1:]:
            if isinstance(part, tuple) and part and isinstance(part[0], str):
                stack.append(part)
            elif isinstance(part, tuple):
                stack.extend(p for p in part if isinstance(p, tuple))
    return out


def close(a: Value, b: Value, tol: float) -> bool:
    """Equal within relative tolerance ``tol`` (exact for two rationals when ``tol`` is 0)."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        if a == b:
            return True
        if tol <= 0 or (tol <= INTEGER_EXACT and a.denominator == 1 == b.denominator):
            return False  # integers have no rounding error: exact unless the tolerance was raised
        try:
            fa, fb = float(a), float(b)
        except OverflowError:
            return abs(a - b) <= Fraction(tol) * max(abs(a), abs(b))
        return abs(fa - fb) <= tol * max(abs(fa), abs(fb))
    try:
        x, y = _c(a), _c(b)
    except TooBig:  # an exact number beyond floats against a float: far apart
        return False
    rel = max(tol, 1e-9)
    return abs(x - y) <= max(rel * max(abs(x), abs(y)), 1e-12)
