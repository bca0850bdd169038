"""Normal form of matrix expressions: a sum of terms ``coeff · scalars · chain``.

A :class:`Term` is a number, a product of scalar factors (each with an
exponent, so ``det(X) det(X)`` is ``det(X)^2`` and ``2‖x‖ x/‖x‖`` cancels) and a
chain of array factors multiplied with ``@``.  Transposes are pushed into the
chain (``(AB)ᵀ = BᵀAᵀ``); a sum that appears as a factor stays one factor (an
"atom"), so ``(x - A @ s)`` keeps the lecture's brackets.  A chain never holds
a ``1×1`` stretch: such a stretch (``xᵀy``) is moved to the scalar factors,
which keeps every printed ``@`` between two arrays.

This module only normalises; collecting like terms and factoring live in
``msimplify.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise

from derivgen.derivation import Simplex, Symmetric
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    ListLit,
    Name,
    Neg,
    Num,
    Shape,
    Transpose,
)
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.shapes import ShapeEnv, as_matrix, from_matrix, infer

Coeff = Fraction | float


class Unsupported(Exception):
    """No closed matrix form: the caller answers None."""


@dataclass(frozen=True)
class Term:
    """One product ``coeff · s1^k1 · s2^k2 · (A @ B @ ...)``."""

    coeff: Coeff
    """The numeric factor."""
    scalars: tuple[tuple[Expr, Fraction], ...] = ()
    """Scalar factors with their exponents, in the order first met."""
    chain: tuple[Expr, ...] = ()
    """Array factors multiplied with ``@``; empty for a scalar term."""


Sum = tuple[Term, ...]
"""A sum of terms; the empty sum is zero."""


@dataclass(frozen=True, eq=False)
class Ctx:
    """What normalisation needs to know: shapes, assumptions, how to tidy inside atoms."""

    env: ShapeEnv
    """Shapes of the names."""
    assume: Mapping[str, frozenset[str]]
    """Assumptions per name, e.g. ``{"W": frozenset({"symmetric"})}``."""
    inner: Callable[[Expr], Expr]
    """Tidies a sub-expression kept inside an atom (an argument, a bracketed sum)."""
    simplify: Callable[[Sum], Sum]
    """Collects like terms and factors a normal-form sum."""
    notes: list[Symmetric | Simplex] = field(default_factory=list)
    """Facts used on the way, e.g. ``Symmetric("W")`` where ``Wᵀ`` became ``W``."""
    cache: dict[Expr, Shape] = field(default_factory=dict)
    """Shape cache for :func:`infer`."""

    def shape(self, e: Expr) -> Shape:
        return infer(e, self.env, self.cache)

    def symmetric(self, name: str) -> bool:
        return "symmetric" in self.assume.get(name, frozenset())

    def simplex(self, name: str) -> bool:
        return "simplex" in self.assume.get(name, frozenset())

    def note(self, fact: Symmetric | Simplex) -> None:
        if fact not in self.notes:
            self.notes.append(fact)


# --- constructors and arithmetic ------------------------------------------------


def coeff_of(v: int | Fraction | float) -> Coeff:
    return v if isinstance(v, float) else Fraction(v)


def const(v: int | Fraction | float) -> Sum:
    return () if v == 0 else (Term(coeff_of(v)),)


def atom(e: Expr, ctx: Ctx) -> Sum:
    """One factor: scalar-valued ones go with the scalars, arrays into the chain."""
    if not ctx.shape(e):
        if _sums_to_one(e, ctx):
            return const(1)
        return (Term(Fraction(1), ((e, Fraction(1)),)),)
    return (Term(Fraction(1), (), (e,)),)


def _sums_to_one(e: Expr, ctx: Ctx) -> bool:
    """``sum(y)`` = 1ᵀy = 1 for a vector ``y`` on the simplex (noted for the sentence)."""
    if not (isinstance(e, Call) and e.func == "sum" and len(e.args) == 1):
        return False
    v = e.args[0]
    if isinstance(v, Call) and v.func == "softmax":
        return True  # 1ᵀ softmax(z) = 1 by definition
    if isinstance(v, Name) and ctx.simplex(v.id):
        ctx.note(Simplex(v.id, "softmax" in ctx.assume.get(v.id, frozenset())))
        return True
    return False


def neg(s: Sum) -> Sum:
    return tuple(replace(t, coeff=-t.coeff) for t in s)


def scale(s: Sum, c: Coeff) -> Sum:
    return () if c == 0 else tuple(replace(t, coeff=t.coeff * c) for t in s)


def mm(a: Sum, b: Sum, ctx: Ctx) -> Sum:
    """Product of two sums (``@``, or scalar times array), distributed over terms."""
    return tuple(mul_terms(x, y, ctx) for x in a for y in b if x.coeff != 0 and y.coeff != 0)


def mul_terms(x: Term, y: Term, ctx: Ctx) -> Term:
    scal = merge_scalars(x.scalars, y.scalars)
    chain, extracted = split_scalars(cancel_diagonals(drop_identities(x.chain + y.chain, ctx), ctx), ctx)
    kept = tuple((b, k) for b, k in extracted if not _sums_to_one(b, ctx))
    return Term(x.coeff * y.coeff, merge_scalars(scal, kept), chain)


def reciprocal_of(w: Expr) -> Expr | None:
    """``u`` when ``w`` is ``u^-1`` or ``1/u`` (elementwise), else None."""
    if isinstance(w, BinOp) and w.op == "^" and exponent(w.right) == -1:
        return w.left
    if isinstance(w, BinOp) and w.op == "/" and w.left == Num(1):
        return w.right
    return None


def _inverse_diagonals(a: Expr, b: Expr) -> bool:
    """``diag(u^-1) diag(u)`` or ``diag(u) diag(u^-1)``: the identity."""
    if not (isinstance(a, Call) and a.func == "diag" and isinstance(b, Call) and b.func == "diag"):
        return False
    u, v = a.args[0], b.args[0]
    return reciprocal_of(u) == v or reciprocal_of(v) == u


def cancel_diagonals(chain: tuple[Expr, ...], ctx: Ctx) -> tuple[Expr, ...]:
    """Products that cancel in a chain: ``diag(u⁻¹) diag(u) = I`` (what the chain rule through
    ``log p`` and the softmax Jacobian diag(p) − ppᵀ leaves), and ``vᵀ diag(u⁻¹) u = 1ᵀv = sum(v)``."""
    out: list[Expr] = []
    i = 0
    while i < len(chain):
        if i + 1 < len(chain) and _inverse_diagonals(chain[i], chain[i + 1]):
            i += 2
            continue
        ones = _ones_stretch(chain[i:i + 3], ctx) if i + 2 < len(chain) else None
        if ones is not None:
            out.append(ones)
            i += 3
            continue
        out.append(chain[i])
        i += 1
    if not out and chain:
        return chain[:1] if isinstance(chain[0], Call) and chain[0].func == "eye" else chain
    return tuple(out)


def _ones_stretch(three: tuple[Expr, ...], ctx: Ctx) -> Expr | None:
    """``vᵀ diag(u⁻¹) u`` (or ``uᵀ diag(u⁻¹) v``) = Σ_i v_i u_i⁻¹ u_i = ``sum(v)`` for column vectors u
    and v (a scalar); None otherwise."""
    first, mid, last = three
    if not (isinstance(first, Transpose) and isinstance(mid, Call) and mid.func == "diag"):
        return None
    if len(ctx.shape(first.arg)) != 1 or len(ctx.shape(last)) != 1:
        return None  # pᵀ diag(p⁻¹) diag(p) is pᵀ, not a sum; Aᵀ diag(u⁻¹) u is Aᵀ1
    u = reciprocal_of(mid.args[0])
    if u is None:
        return None
    if last == u:
        return Call("sum", (first.arg,))
    if first.arg == u:
        return Call("sum", (last,))
    return None


def merge_scalars(
    a: tuple[tuple[Expr, Fraction], ...], b: tuple[tuple[Expr, Fraction], ...]
) -> tuple[tuple[Expr, Fraction], ...]:
    exps: dict[Expr, Fraction] = dict(a)
    for base, k in b:
        exps[base] = exps.get(base, Fraction(0)) + k
    return tuple((base, k) for base, k in exps.items() if k != 0)


def drop_identities(chain: tuple[Expr, ...], ctx: Ctx) -> tuple[Expr, ...]:
    """``A @ I = A``: an identity factor goes unless it is the whole chain."""
    kept = tuple(a for a in chain if not (isinstance(a, Call) and a.func == "eye"))
    return kept if kept else chain[:1]


def split_scalars(
    chain: tuple[Expr, ...], ctx: Ctx
) -> tuple[tuple[Expr, ...], tuple[tuple[Expr, Fraction], ...]]:
    """Move every ``1×1`` stretch of the chain (``xᵀ A y``) to the scalar factors."""
    if not chain:
        return chain, ()
    dims = [as_matrix(ctx.shape(a)) for a in chain]
    bounds = [i for i in range(len(chain) + 1) if _dim_at(dims, i) == 1]
    cut: set[int] = set()
    scalars: list[tuple[Expr, Fraction]] = []
    for p, q in pairwise(bounds):
        scalars.append((chain_expr(chain[p:q]), Fraction(1)))
        cut.update(range(p, q))
    return tuple(a for i, a in enumerate(chain) if i not in cut), tuple(scalars)


def _dim_at(dims: Sequence[tuple[object, object]], i: int) -> object:
    """The dimension between factor i-1 and factor i (rows of the first, columns of the last)."""
    return dims[i][0] if i < len(dims) else dims[i - 1][1]


def chain_expr(chain: tuple[Expr, ...]) -> Expr:
    out = chain[0]
    for a in chain[1:]:
        out = BinOp("@", out, a)
    return out


def power(s: Sum, k: Fraction, base: Expr, ctx: Ctx) -> Sum:
    """``s^k`` for a scalar sum; a bracketed sum or a sign under a root stays whole."""
    if len(s) == 1 and not s[0].chain and (k.denominator == 1 or s[0].coeff > 0):
        t = s[0]
        if t.coeff == 0 and k < 0:
            raise ZeroDivisionError("division by zero in an expression")
        c = t.coeff ** int(k) if k.denominator == 1 else float(t.coeff) ** float(k)
        return (Term(c, tuple((b, e * k) for b, e in t.scalars if e * k != 0)),)
    return (Term(Fraction(1), ((ctx.inner(base), k),)),)


def reciprocal(s: Sum, base: Expr, ctx: Ctx) -> Sum:
    return power(s, Fraction(-1), base, ctx)


def term_shape(t: Term, ctx: Ctx) -> Shape:
    if not t.chain:
        return ()
    return from_matrix(as_matrix(ctx.shape(t.chain[0]))[0], as_matrix(ctx.shape(t.chain[-1]))[1])


def sum_shape(s: Sum, ctx: Ctx) -> Shape:
    return term_shape(s[0], ctx) if s else ()


# --- transposes -------------------------------------------------------------------


def transpose(s: Sum, ctx: Ctx) -> Sum:
    """``(AB)ᵀ = BᵀAᵀ`` for every term; scalars are their own transpose."""
    return tuple(replace(t, chain=tuple(atom_t(a, ctx) for a in reversed(t.chain))) for t in s)


def atom_t(a: Expr, ctx: Ctx) -> Expr:
    """The transpose of one chain factor, written as the lectures write it."""
    if isinstance(a, Transpose):
        return a.arg
    if isinstance(a, Name) and ctx.symmetric(a.id):
        ctx.note(Symmetric(a.id))
        return a
    if isinstance(a, Call) and a.func in ("eye", "diag"):
        return a
    if isinstance(a, Call) and a.func == "inv" and is_symmetric(a.args[0], ctx):
        return a
    if isinstance(a, BinOp) and a.op in "+-" and is_symmetric(a, ctx):
        return a
    return Transpose(a)


def is_symmetric(e: Expr, ctx: Ctx) -> bool:
    """Symmetric by the assumptions or by structure (``B + Bᵀ``, ``diag(v)``, ``I``)."""
    if isinstance(e, Name):
        if not ctx.symmetric(e.id):
            return False
        ctx.note(Symmetric(e.id))
        return True
    if isinstance(e, Call) and e.func in ("eye", "diag"):
        return True
    if isinstance(e, BinOp) and e.op in "+-":
        s = form(e, ctx)
        return len(s) > 1 and same_terms(transpose(s, ctx), s)
    return False


def same_terms(a: Sum, b: Sum) -> bool:
    return sorted(map(repr, a)) == sorted(map(repr, b))


# --- expression -> normal form ------------------------------------------------------


def form(e: Expr, ctx: Ctx) -> Sum:
    """The normal form of an expression (no collecting of like terms yet)."""
    rule = _FORMS.get(type(e))
    if rule is None:
        raise Unsupported(f"cannot normalise {type(e).__name__}")
    return rule(e, ctx)


def factor(e: Expr, ctx: Ctx) -> Sum:
    """``e`` as one factor of a product: a sum of several terms stays bracketed."""
    s = form(e, ctx)
    if len(s) <= 1:
        return s
    s = ctx.simplify(s)  # like terms may cancel or factor into one term
    return s if len(s) <= 1 else atom(to_expr(s), ctx)


def _form_num(e: Num, ctx: Ctx) -> Sum:
    return const(e.value)


def _form_name(e: Name, ctx: Ctx) -> Sum:
    return atom(Name(e.id), ctx)


def _form_neg(e: Neg, ctx: Ctx) -> Sum:
    return neg(form(e.arg, ctx))


def _form_transpose(e: Transpose, ctx: Ctx) -> Sum:
    return transpose(factor(e.arg, ctx), ctx)


def _form_binop(e: BinOp, ctx: Ctx) -> Sum:
    return _BINOPS[e.op](e, ctx)


def _form_addsub(e: BinOp, ctx: Ctx) -> Sum:
    if ctx.shape(e.left) != ctx.shape(e.right) and (not ctx.shape(e.left) or not ctx.shape(e.right)):
        return atom(BinOp(e.op, ctx.inner(e.left), ctx.inner(e.right)), ctx)  # scalar broadcast
    right = form(e.right, ctx)
    return form(e.left, ctx) + (neg(right) if e.op == "-" else right)


def _form_matmul(e: BinOp, ctx: Ctx) -> Sum:
    left, right = form(e.left, ctx), form(e.right, ctx)
    if any(cancel_diagonals(a.chain + b.chain, ctx) != a.chain + b.chain for a in left for b in right):
        return mm(left, right, ctx)  # multiplied out, the products that cancel go (diag(p⁻¹) diag(p))
    return mm(factor(e.left, ctx), factor(e.right, ctx), ctx)


def _is_zero_array(e: Expr) -> bool:
    """``0 * X``: how a tidied array that cancelled to zero is written."""
    return isinstance(e, BinOp) and e.op == "*" and e.left == Num(0)


def _form_mul(e: BinOp, ctx: Ctx) -> Sum:
    if ctx.shape(e.left) and ctx.shape(e.right):
        left, right = ctx.inner(e.left), ctx.inner(e.right)
        if _is_zero_array(left) or _is_zero_array(right):
            return ()  # an elementwise product with zero is zero
        return atom(BinOp("*", left, right), ctx)  # elementwise
    return mm(factor(e.left, ctx), factor(e.right, ctx), ctx)


def _form_div(e: BinOp, ctx: Ctx) -> Sum:
    if ctx.shape(e.right):
        return atom(BinOp("/", ctx.inner(e.left), ctx.inner(e.right)), ctx)  # elementwise
    return mm(factor(e.left, ctx), reciprocal(form(e.right, ctx), e.right, ctx), ctx)


def _form_pow(e: BinOp, ctx: Ctx) -> Sum:
    k = exponent(e.right)
    if ctx.shape(e.left) or k is None:
        return atom(BinOp("^", ctx.inner(e.left), ctx.inner(e.right)), ctx)
    return power(form(e.left, ctx), k, e.left, ctx)


def exponent(e: Expr) -> Fraction | None:
    """A constant exponent as a fraction (``-2``, ``1/2``), else None."""
    if isinstance(e, Num) and not isinstance(e.value, float):
        return Fraction(e.value)
    if isinstance(e, Neg):
        k = exponent(e.arg)
        return None if k is None else -k
    if isinstance(e, BinOp) and e.op == "/":
        a, b = exponent(e.left), exponent(e.right)
        return None if a is None or not b else a / b
    return None


def _form_call(e: Call, ctx: Ctx) -> Sum:
    if e.func in ("eye", "ones", "zeros"):
        return atom(e, ctx)
    args = tuple(ctx.inner(a) for a in e.args)
    arg = args[0]
    if e.func == "inv" and isinstance(arg, Call) and arg.func == "inv":
        return form(arg.args[0], ctx)
    if e.func in ("det", "tr") and isinstance(arg, Transpose):
        args = (arg.arg,)  # det Xᵀ = det X, tr Xᵀ = tr X
    if e.func not in FUNCTIONS:
        raise Unsupported(f"unknown function {e.func}")
    return atom(Call(e.func, args), ctx)


def _form_index(e: Index, ctx: Ctx) -> Sum:
    return atom(Index(ctx.inner(e.base), e.indices), ctx)


def _form_list(e: ListLit, ctx: Ctx) -> Sum:
    return atom(ListLit(tuple(ctx.inner(a) if not isinstance(a, ListLit) else a for a in e.items)), ctx)


_BINOPS: dict[str, Callable[[BinOp, Ctx], Sum]] = {
    "+": _form_addsub, "-": _form_addsub, "@": _form_matmul, "*": _form_mul, "/": _form_div, "^": _form_pow,
}

_FORMS: dict[type, Callable[..., Sum]] = {
    Num: _form_num, Name: _form_name, Neg: _form_neg, Transpose: _form_transpose, BinOp: _form_binop,
    Call: _form_call, Index: _form_index, ListLit: _form_list,
}


# --- normal form -> expression ---------------------------------------------------------


def to_expr(s: Sum, zero: Expr | None = None) -> Expr:
    """The sum as an expression tree that prints the lectures' way: ``a - 2 * b``."""
    if not s:
        return zero if zero is not None else Num(0)
    first = next((i for i, t in enumerate(s) if t.coeff > 0), 0)
    s = (s[first], *s[:first], *s[first + 1:])  # pᵀ − yᵀ rather than −yᵀ + pᵀ
    out = term_expr(s[0])
    for t in s[1:]:
        negative = t.coeff < 0
        out = BinOp("-" if negative else "+", out, term_expr(replace(t, coeff=-t.coeff) if negative else t))
    return out


def term_expr(t: Term) -> Expr:
    """``c * s1 * s2^k * A @ B / d``, or ``-A @ B`` for a coefficient of -1."""
    ups = [base if k == 1 else BinOp("^", base, _num(k)) for base, k in t.scalars if k > 0]
    downs = [base if k == -1 else BinOp("^", base, _num(-k)) for base, k in t.scalars if k < 0]
    factors = ups + list(t.chain)
    if not factors:
        out: Expr = _num(t.coeff)
    else:
        out = _with_coeff(t.coeff, factors[0])
        for i, f in enumerate(factors[1:], start=1):
            out = BinOp("@" if i > len(ups) else "*", out, f)
    if downs:
        den = downs[0]
        for d in downs[1:]:
            den = BinOp("*", den, d)
        out = BinOp("/", out, den)
    return out


def _with_coeff(c: Coeff, first: Expr) -> Expr:
    if c == 1:
        return first
    if c == -1:
        return Neg(first)
    return BinOp("*", _num(c), first)


def _num(c: Coeff) -> Num:
    if isinstance(c, Fraction) and c.denominator == 1:
        return Num(int(c))
    return Num(c)
