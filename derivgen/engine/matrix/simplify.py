"""The matrix simplifier: raw derivative terms to the lectures' tidy forms.

``tidy`` normalises (``mform.form``: transposes pushed inward, ``1`` and ``I``
dropped, scalars to the front, powers merged), then collects like terms
(``eᵀ + eᵀ = 2eᵀ``) and factors common left and right factors out of sums
(``xᵀBᵀ + xᵀB = xᵀ(B + Bᵀ)``, the untransposed term first).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import replace
from fractions import Fraction
from weakref import WeakKeyDictionary

from derivgen.engine.matrix.normal_form import (
    Ctx,
    Sum,
    Term,
    Unsupported,
    form,
    term_expr,
    to_expr,
    transpose,
)
from derivgen.problem.expr import BinOp, Expr, Num, Transpose
from derivgen.problem.shapes import ShapeEnv

NO_ASSUMPTIONS: Mapping[str, frozenset[str]] = {}


def tidy(expr: Expr, env: ShapeEnv, assume: Mapping[str, frozenset[str]] = NO_ASSUMPTIONS) -> Expr:
    """The expression in the lectures' tidy form (exactly equal as a function).

    An expression the normal form cannot hold (a user function not yet
    expanded) comes back unchanged.
    """
    try:
        return tidy_in(expr, make_ctx(env, assume))
    except Unsupported:
        return expr


def make_ctx(env: ShapeEnv, assume: Mapping[str, frozenset[str]] = NO_ASSUMPTIONS) -> Ctx:
    """A context whose atoms are tidied recursively with the same assumptions."""
    holder: list[Ctx] = []
    ctx = Ctx(
        env, assume,
        inner=lambda e: tidy_in(e, holder[0]),
        simplify=lambda s: factor_terms(collect(s, holder[0]), holder[0]),
    )
    holder.append(ctx)
    return ctx


def tidy_in(expr: Expr, ctx: Ctx) -> Expr:
    zero = None
    if ctx.shape(expr):  # a zero array keeps its shape
        already = isinstance(expr, BinOp) and expr.op == "*" and expr.left == Num(0)
        zero = expr if already else BinOp("*", Num(0), expr)
    return tidy_sum(form(expr, ctx), ctx, zero)


def tidy_sum(s: Sum, ctx: Ctx, zero: Expr | None = None) -> Expr:
    """Collect, factor and print a normal-form sum."""
    return to_expr(factor_terms(collect(s, ctx), ctx), zero)


# --- like terms --------------------------------------------------------------------


def collect(s: Sum, ctx: Ctx) -> Sum:
    """Add the coefficients of terms equal up to the order of scalar factors."""
    order: list[tuple[object, ...]] = []
    found: dict[tuple[object, ...], Term] = {}
    for t in s:
        k = term_key(t, ctx)
        if k in found:
            found[k] = replace(found[k], coeff=found[k].coeff + t.coeff)
        else:
            found[k] = t
            order.append(k)
    return tuple(found[k] for k in order if found[k].coeff != 0)


def term_key(t: Term, ctx: Ctx) -> tuple[object, ...]:
    return (scalars_key(t, ctx), t.chain)


def scalars_key(t: Term, ctx: Ctx) -> frozenset[tuple[Hashable, Fraction]]:
    return frozenset((scalar_key(b, ctx), k) for b, k in t.scalars)


#: Each tidying context's scalar keys, worked out once per scalar factor.
_SCALAR_KEYS: WeakKeyDictionary[Ctx, dict[Expr, Hashable]] = WeakKeyDictionary()


def scalar_key(base: Expr, ctx: Ctx) -> Hashable:
    """What a scalar factor is, for collecting like terms: the tree itself, compared structurally.

    A scalar ``uᵀv`` equals its transpose ``vᵀu``: both are keyed by the pair
    of their normal-form chains, so ``xᵀy`` and ``yᵀx`` are one factor.
    """
    keys = _SCALAR_KEYS.setdefault(ctx, {})
    key = keys.get(base)
    if key is None:
        key = keys[base] = _scalar_key(base, ctx)
    return key


def _scalar_key(base: Expr, ctx: Ctx) -> Hashable:
    if isinstance(base, BinOp) and base.op == "@":
        s = form(base, ctx)
        if len(s) == 1 and not s[0].scalars and s[0].chain:
            flipped = transpose(((replace(s[0], coeff=Fraction(1))),), ctx)[0]
            return ("uv", s[0].coeff, frozenset((s[0].chain, flipped.chain)))
    return base


# --- common factors -------------------------------------------------------------------


def factor_terms(s: Sum, ctx: Ctx) -> Sum:
    """Repeatedly pull a common left/right factor out of terms that share scalars."""
    terms = list(s)
    while True:
        merged = _factor_once(terms, ctx)
        if merged is None:
            return tuple(terms)
        terms = merged


def _factor_once(terms: list[Term], ctx: Ctx) -> list[Term] | None:
    for i, a in enumerate(terms):
        for b in terms[i + 1:]:
            ends = _common_ends(a, b, ctx)
            if ends is not None:
                return _pull_out(terms, a, ends, ctx)
    return None


def _common_ends(a: Term, b: Term, ctx: Ctx) -> tuple[int, int] | None:
    """Lengths of the common prefix and suffix of two chains, leaving both a middle."""
    if abs(a.coeff) != abs(b.coeff) or scalars_key(a, ctx) != scalars_key(b, ctx):
        return None  # diag(p)W − ppᵀW = (diag(p) − ppᵀ)W: the sign goes inside
    shortest = min(len(a.chain), len(b.chain))
    pre = 0
    while pre < shortest - 1 and a.chain[pre] == b.chain[pre]:
        pre += 1
    suf = 0
    while pre + suf < shortest - 1 and a.chain[-1 - suf] == b.chain[-1 - suf]:
        suf += 1
    return (pre, suf) if pre + suf > 0 else None


def _shares(t: Term, a: Term, pre: int, suf: int, ctx: Ctx) -> bool:
    n = len(t.chain)
    return (
        abs(t.coeff) == abs(a.coeff)
        and scalars_key(t, ctx) == scalars_key(a, ctx)
        and n > pre + suf
        and t.chain[:pre] == a.chain[:pre]
        and t.chain[n - suf:] == a.chain[len(a.chain) - suf:]
    )


def _pull_out(terms: list[Term], a: Term, ends: tuple[int, int], ctx: Ctx) -> list[Term]:
    pre, suf = ends
    group = [t for t in terms if _shares(t, a, pre, suf, ctx)]
    middles = [Term(Fraction(1) if t.coeff == a.coeff else Fraction(-1), (), t.chain[pre:len(t.chain) - suf])
               for t in group]
    middles.sort(key=_transposes_last)
    inner = to_expr(tuple(middles))
    new = Term(a.coeff, a.scalars, a.chain[:pre] + (inner,) + a.chain[len(a.chain) - suf:])
    at = terms.index(group[0])
    rest = [t for t in terms if t not in group]
    return rest[:at] + [new] + rest[at:]


def _transposes_last(t: Term) -> int:
    """``B + Bᵀ`` rather than ``Bᵀ + B``: fewer transposes first."""
    return sum(isinstance(a, Transpose) for a in t.chain)


__all__ = ["collect", "factor_terms", "make_ctx", "term_expr", "tidy", "tidy_in", "tidy_sum"]
