"""Building derivatives as the rules write them: the 0s and 1s dropped, numbers folded.

``mul(2, mul(3, y))`` is ``6 y``, ``add(x, 0)`` is ``x``, ``add(x, -2 y)`` is
``x - 2 y``; nothing else is rearranged, so a step's result reads like the rule
that made it.  The tidy final form is :func:`derivgen.engine.scalar.symbolic.simplify_scalar`'s job.
"""

from __future__ import annotations

from fractions import Fraction

from derivgen.problem.expr import BinOp, Expr, Neg, Num, num


def value(e: Expr) -> int | float | Fraction | None:
    """The number ``e`` is, if it is one (``Num`` or a negated ``Num``)."""
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Neg) and isinstance(e.arg, Num):
        return -e.arg.value
    return None


def add(x: Expr, y: Expr) -> Expr:
    vx, vy = value(x), value(y)
    if vx == 0:
        return y
    if vy == 0:
        return x
    if vx is not None and vy is not None:
        return num(vx + vy)
    negative, size = sign(y)
    return BinOp("-", x, size) if negative else BinOp("+", x, y)


def sub(x: Expr, y: Expr) -> Expr:
    vx, vy = value(x), value(y)
    if vy == 0:
        return x
    if vx == 0:
        return neg(y)
    if vx is not None and vy is not None:
        return num(vx - vy)
    negative, size = sign(y)
    return BinOp("+", x, size) if negative else BinOp("-", x, y)


def neg(x: Expr) -> Expr:
    negative, size = sign(x)
    if negative:
        return size
    v = value(x)
    if v is not None:
        return num(-v)
    if isinstance(x, BinOp) and x.op in "*/" and isinstance(x.left, Num):
        return BinOp(x.op, num(-x.left.value), x.right)  # -(2 sin t) is -2 sin t
    return Neg(x)


def sign(e: Expr) -> tuple[bool, Expr]:
    """(True, -e) if ``e`` is written with a leading minus sign, else (False, e)."""
    if isinstance(e, Neg):
        return True, e.arg
    if isinstance(e, Num) and e.value < 0:
        return True, num(-e.value)
    if isinstance(e, BinOp) and e.op in "*/":
        negative, size = sign(e.left)
        if negative:
            return True, mul(size, e.right) if e.op == "*" else div(size, e.right)
    return False, e


def mul(x: Expr, y: Expr) -> Expr:
    vx, vy = value(x), value(y)
    if vx == 0 or vy == 0:
        return Num(0)
    if vx is not None and vy is not None:
        return num(vx * vy)
    if vx == 1 or vy == 1:
        return y if vx == 1 else x
    if vx == -1 or vy == -1:
        return neg(y if vx == -1 else x)
    if isinstance(y, Neg):
        return neg(mul(x, y.arg))
    if isinstance(x, Neg):
        return neg(mul(x.arg, y))
    if vx is not None and isinstance(y, BinOp) and y.op == "*" and value(y.left) is not None:
        return mul(mul(x, y.left), y.right)  # 2 · (3 y²) = 6 y²
    return BinOp("*", x, y)


def div(x: Expr, y: Expr) -> Expr:
    vx, vy = value(x), value(y)
    if vy == 1 or vx == 0:
        return x
    exact = (int, Fraction)
    if isinstance(vx, exact) and isinstance(vy, exact) and vy != 0:
        return num(Fraction(vx) / Fraction(vy))
    return BinOp("/", x, y)


def pow_(x: Expr, n: Expr) -> Expr:
    vn = value(n)
    if vn == 1:
        return x
    if vn == 0:
        return Num(1)
    return BinOp("^", x, n)
