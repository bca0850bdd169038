"""A differential linear in ``dX``, written as ``tr(G dX)`` (or ``g dx`` for a vector).

:func:`linear_terms` reads an expression linear in the name ``dX`` as a sum of
terms ``c · L dX R`` or ``c · L dXᵀ R`` (``c`` a scalar, ``L`` and ``R``
constant or absent).  A scalar equals its own trace, and the trace is cyclic,
so each term is ``tr(R L dX)``, or ``tr((R L)ᵀ dX)`` with the transpose; their
sum is ``tr(G dX)`` (:func:`coefficient`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Name, Neg, Num, Shape, Transpose, names_in


@dataclass(frozen=True)
class LinTerm:
    """``coeff · left · dX (or dXᵀ) · right``."""

    coeff: Expr
    """A constant scalar factor."""
    left: Expr | None = None
    """The constant factor on the left, or None."""
    right: Expr | None = None
    """The constant factor on the right, or None."""
    transposed: bool = False
    """``dXᵀ`` rather than ``dX``."""


def _times(a: Expr | None, b: Expr | None) -> Expr | None:
    if a is None:
        return b
    if b is None:
        return a
    return BinOp("@", a, b)


def _scale(c: Expr, k: Expr) -> Expr:
    if isinstance(c, Num) and isinstance(k, Num):
        return Num(c.value * k.value)
    if c == Num(-1):
        return k.arg if isinstance(k, Neg) else Neg(k)
    return k if c == Num(1) else c if k == Num(1) else BinOp("*", c, k)


def linear_terms(e: Expr, dx: str, shape: Callable[[Expr], Shape]) -> list[LinTerm]:
    """The terms of ``e`` (linear in the name ``dx``); DerivationError when it is not linear."""
    if dx not in names_in(e):
        return []
    if e == Name(dx):
        return [LinTerm(Num(1))]
    if isinstance(e, Neg):
        return [replace(t, coeff=_scale(Num(-1), t.coeff)) for t in linear_terms(e.arg, dx, shape)]
    if isinstance(e, Transpose):
        inner = linear_terms(e.arg, dx, shape)
        return [LinTerm(t.coeff, _t(t.right), _t(t.left), not t.transposed) for t in inner]
    if isinstance(e, Call) and e.func == "tr" and len(e.args) == 1:
        return linear_terms(e.args[0], dx, shape)
    if isinstance(e, BinOp):
        left_has, right_has = dx in names_in(e.left), dx in names_in(e.right)
        if e.op in ("+", "-"):
            right = linear_terms(e.right, dx, shape)
            if e.op == "-":
                right = [replace(t, coeff=_scale(Num(-1), t.coeff)) for t in right]
            return linear_terms(e.left, dx, shape) + right
        if left_has and right_has:
            raise DerivationError("the differential is not linear in the variable's differential")
        if e.op == "/" and left_has and not shape(e.right):
            return [replace(t, coeff=BinOp("/", t.coeff, e.right)) for t in linear_terms(e.left, dx, shape)]
        if e.op in ("@", "*"):
            const, lin = (e.right, e.left) if left_has else (e.left, e.right)
            terms = linear_terms(lin, dx, shape)
            if e.op == "*" or not shape(const) or (shape(const) == () and e.op == "@"):
                if shape(const):
                    raise DerivationError("a scalar differential times an array is beyond the route")
                return [replace(t, coeff=_scale(const, t.coeff)) for t in terms]
            if left_has:
                return [replace(t, right=_times(t.right, const)) for t in terms]
            return [replace(t, left=_times(const, t.left)) for t in terms]
    raise DerivationError("the differential is not a sum of products with the variable's differential")


def _t(e: Expr | None) -> Expr | None:
    return None if e is None else Transpose(e)


def term_expr(t: LinTerm, dx: str) -> Expr:
    """The term written out: ``c · L dX R``."""
    body: Expr = Transpose(Name(dx)) if t.transposed else Name(dx)
    if t.coeff == Num(-1):
        core = _times(_times(t.left, body), t.right)
        assert core is not None
        return Neg(core)
    core = _times(_times(t.left, body), t.right)
    assert core is not None
    return _scale(t.coeff, core)


def cyclic(t: LinTerm) -> Expr | None:
    """The G of one term: ``tr(L dX R) = tr(R L dX)``; ``tr(L dXᵀ R) = tr((R L)ᵀ dX)``; None for 1."""
    g = _times(t.right, t.left)
    if t.transposed and g is not None:
        g = Transpose(g)
    return g


def coefficient(terms: list[LinTerm], identity: Expr) -> Expr:
    """``G`` with ``df = tr(G dX)``: the sum of every term's ``c · R L`` (``identity`` stands for
    a term with no factor, ``tr(dX)``)."""
    out: Expr | None = None
    for t in terms:
        g = cyclic(t)
        part = _scale(t.coeff, g if g is not None else identity)
        out = part if out is None else BinOp("+", out, part)
    return out if out is not None else Num(0)
