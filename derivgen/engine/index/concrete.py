"""Index expressions at concrete indices, written out as ordinary expressions.

``Σ_j A_1j x_j`` at N = 3 becomes ``A[1, 1]*x[1] + A[1, 2]*x[2] + A[1, 3]*x[3]``:
what the explicit arrays of a solution show, and evaluable like any expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import cast

from derivgen.derivation.index_form import (
    Coeff,
    Delta,
    Ent,
    Factor,
    Fn,
    IExpr,
    IndexLike,
    Opaque,
    Pw,
    Size,
    Term,
    subst_index,
)
from derivgen.problem.expr import ONE, ZERO, BinOp, Call, Expr, Index, Name, Neg, Num, num


def _dim(d: object, sizes: Mapping[str, int]) -> int:
    return d if isinstance(d, int) else int(sizes[str(d)])


def expand_sums(x: IExpr, sizes: Mapping[str, int]) -> IExpr:
    out: list[Term] = []
    for t in x.terms:
        if not t.sums:
            out.append(t)
            continue
        s, rest = t.sums[0], t.sums[1:]
        body = IExpr((replace(t, sums=()),))
        for v in range(1, _dim(s.dim, sizes) + 1):
            inst = subst_index(body, s, v).terms[0]
            out.extend(expand_sums(IExpr((replace(inst, sums=rest),)), sizes).terms)
    return IExpr(tuple(out))


def concrete_expr(x: IExpr, sizes: Mapping[str, int]) -> Expr:
    """The expression for an index expression with no free symbolic index."""
    from derivgen.engine.index.differentiate import contract

    x = contract(expand_sums(x, sizes))
    result: Expr | None = None
    for t in x.terms:
        body = _product([_factor(f, sizes) for f in t.factors])
        c = t.coeff
        mag = cast(Coeff, abs(c))  # abs of an int, Fraction or float is one again; mypy sees object
        term = body if mag == 1 and body != ONE else (
            num(mag) if body == ONE else BinOp("*", num(mag), body))
        if result is None:
            result = Neg(term) if c < 0 else term
        else:
            result = BinOp("-" if c < 0 else "+", result, term)
    return result if result is not None else ZERO


def _concrete(idx: tuple[IndexLike, ...]) -> tuple[int, ...]:
    """Indices that are all numbers by now: every symbolic one was substituted or summed out."""
    assert all(isinstance(i, int) for i in idx), idx
    return tuple(int(i) for i in idx if isinstance(i, int))


def _product(fs: list[Expr]) -> Expr:
    fs = [f for f in fs if f != ONE]
    if not fs:
        return ONE
    out = fs[0]
    for f in fs[1:]:
        out = BinOp("*", out, f)
    return out


def _factor(f: Factor, sizes: Mapping[str, int]) -> Expr:
    if isinstance(f, Ent):
        return Index(Name(f.name), _concrete(f.idx)) if f.idx else Name(f.name)
    if isinstance(f, Opaque):
        call = Call(f.kind, (f.arg,))
        return Index(call, _concrete(f.idx)) if f.idx else call
    if isinstance(f, Fn):
        return Call(f.func, (concrete_expr(f.arg, sizes),))
    if isinstance(f, Pw):
        e = f.exp
        return BinOp("^", concrete_expr(f.base, sizes), num(e))
    if isinstance(f, Size):
        return Num(_dim(f.dim, sizes))
    assert isinstance(f, Delta)
    return ONE if f.a == f.b else ZERO
