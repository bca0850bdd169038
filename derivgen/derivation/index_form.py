"""Index notation as data: the lectures' ``f_i = Σ_j A_ij x_j``.

An :class:`IExpr` is a sum of :class:`Term`s; a term is a coefficient, a
product of factors and the dummy indices summed over.  Factors are entries of
given arrays (``Ent``), Kronecker deltas, scalar functions of an inner index
expression, constant powers, and opaque entries of ``inv(F)`` / ``det(F)``
(whose derivatives are the inverse and determinant rules).

Dummy indices get unique internal names while the engine works, so delta
contraction can substitute freely; :func:`prettify` renames them to the
lectures' letters for display.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Union

from derivgen.problem.expr import Dim, Expr

Coeff = Union[int, Fraction, float]


@dataclass(frozen=True)
class Idx:
    """An index symbol running over ``1..dim``."""

    name: str
    """Its name (``i``, ``q``, or an internal ``_7`` while deriving)."""
    dim: Dim
    """The dimension it runs over."""


IndexLike = Union[Idx, int]


@dataclass(frozen=True)
class Ent:
    """An entry of a given variable: ``A_ij``, ``x_q``, a scalar ``t`` (no indices)."""

    name: str
    """The variable."""
    idx: tuple[IndexLike, ...]
    """Its indices (constants are 1-based ints)."""


@dataclass(frozen=True)
class Delta:
    """The Kronecker delta δ_ab."""

    a: IndexLike
    """First index."""
    b: IndexLike
    """Second index."""


@dataclass(frozen=True)
class Fn:
    """A scalar function of an inner index expression, ``σ(Σ_j A_ij x_j + b_i)``."""

    func: str
    """``exp log sin cos tan sqrt tanh sigma``."""
    arg: "IExpr"
    """The argument."""


@dataclass(frozen=True)
class Pw:
    """A constant power of an inner index expression, ``(Σ_j A_ij x_j - y_i)^2``."""

    base: "IExpr"
    """The base."""
    exp: Coeff
    """The constant exponent."""


@dataclass(frozen=True)
class Opaque:
    """An entry of ``inv(F)`` (``(F^{-1})_ab``) or the scalar ``det(F)``."""

    kind: str
    """``inv`` or ``det``."""
    arg: Expr
    """The matrix ``F`` as an expression in the given variables."""
    idx: tuple[IndexLike, ...]
    """Two indices for ``inv``, none for ``det``."""


@dataclass(frozen=True)
class Size:
    """A dimension as a factor (what ``Σ_j 1`` leaves behind)."""

    dim: Dim
    """The dimension."""


Factor = Union[Ent, Delta, Fn, Pw, Opaque, Size]


@dataclass(frozen=True)
class Term:
    """``coeff · Π factors``, summed over ``sums``."""

    coeff: Coeff = 1
    """Numeric coefficient."""
    factors: tuple[Factor, ...] = ()
    """The product."""
    sums: tuple[Idx, ...] = ()
    """Dummy indices summed over (each over its own dimension)."""


@dataclass(frozen=True)
class IExpr:
    """A sum of terms; the empty sum is zero."""

    terms: tuple[Term, ...] = ()
    """The terms."""

    def to_latex(self, printer: object) -> str:  # used by the renderers' printer
        from derivgen.render.index_latex import iexpr_latex

        return iexpr_latex(self, printer)

    def __str__(self) -> str:
        from derivgen.render.index_latex import iexpr_text

        return iexpr_text(self)


ZERO = IExpr(())
ONE = IExpr((Term(1),))


def const(c: Coeff) -> IExpr:
    return IExpr((Term(c),)) if c != 0 else ZERO


def single(f: Factor) -> IExpr:
    return IExpr((Term(1, (f,)),))


# --- algebra -------------------------------------------------------------------


def add(*xs: IExpr) -> IExpr:
    return IExpr(tuple(t for x in xs for t in x.terms))


def scale(x: IExpr, c: Coeff) -> IExpr:
    if c == 0:
        return ZERO
    return IExpr(tuple(replace(t, coeff=t.coeff * c) for t in x.terms))


def mul(a: IExpr, b: IExpr) -> IExpr:
    """Distribute the product (dummies are unique, so sums simply concatenate)."""
    return IExpr(
        tuple(
            Term(s.coeff * t.coeff, s.factors + t.factors, s.sums + t.sums)
            for s in a.terms
            for t in b.terms
        )
    )


def summed(x: IExpr, over: tuple[Idx, ...]) -> IExpr:
    return IExpr(tuple(replace(t, sums=t.sums + over) for t in x.terms))


# --- fresh names ---------------------------------------------------------------


@dataclass
class Fresh:
    """Source of unique internal dummy names."""

    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def idx(self, dim: Dim) -> Idx:
        return Idx(f"_{next(self.counter)}", dim)


def fresh_dummies(x: IExpr, new: Callable[[Dim], Idx]) -> IExpr:
    """x with every summed index, nested ones too, renamed by ``new``.

    Index forms derived separately (the factors of a chain rule, a base and its
    derivative) may use the same dummy names; renaming before multiplying them
    keeps a contraction from capturing one factor's dummy in the other.
    """
    terms = []
    for t in x.terms:
        body = IExpr((Term(t.coeff, tuple(_fresh_inside(f, new) for f in t.factors), ()),))
        sums = []
        for s in t.sums:
            sums.append(new(s.dim))
            body = subst_index(body, s, sums[-1])
        terms.append(replace(body.terms[0], sums=tuple(sums)))
    return IExpr(tuple(terms))


def _fresh_inside(f: Factor, new: Callable[[Dim], Idx]) -> Factor:
    if isinstance(f, Fn):
        return Fn(f.func, fresh_dummies(f.arg, new))
    if isinstance(f, Pw):
        return Pw(fresh_dummies(f.base, new), f.exp)
    return f


# --- traversal -----------------------------------------------------------------


def factor_indices(f: Factor) -> list[IndexLike]:
    """Indices a factor mentions directly (nested expressions: their free ones)."""
    if isinstance(f, Ent) or isinstance(f, Opaque):
        return list(f.idx)
    if isinstance(f, Delta):
        return [f.a, f.b]
    if isinstance(f, Fn):
        return list(free_indices(f.arg))
    if isinstance(f, Pw):
        return list(free_indices(f.base))
    return []


def free_indices(x: IExpr) -> list[Idx]:
    """Free (unsummed) symbolic indices, in order of first appearance."""
    out: list[Idx] = []
    for t in x.terms:
        bound = set(t.sums)
        for f in t.factors:
            for i in factor_indices(f):
                if isinstance(i, Idx) and i not in bound and i not in out:
                    out.append(i)
    return out


def subst_index(x: IExpr, old: Idx, new: IndexLike) -> IExpr:
    return IExpr(tuple(_subst_term(t, old, new) for t in x.terms))


def _subst_term(t: Term, old: Idx, new: IndexLike) -> Term:
    if old in t.sums:  # bound here: a different variable of the same name
        return t
    return replace(t, factors=tuple(_subst_factor(f, old, new) for f in t.factors))


def _sub_i(i: IndexLike, old: Idx, new: IndexLike) -> IndexLike:
    return new if i == old else i


def _subst_factor(f: Factor, old: Idx, new: IndexLike) -> Factor:
    if isinstance(f, Ent):
        return Ent(f.name, tuple(_sub_i(i, old, new) for i in f.idx))
    if isinstance(f, Opaque):
        return Opaque(f.kind, f.arg, tuple(_sub_i(i, old, new) for i in f.idx))
    if isinstance(f, Delta):
        return Delta(_sub_i(f.a, old, new), _sub_i(f.b, old, new))
    if isinstance(f, Fn):
        return Fn(f.func, subst_index(f.arg, old, new))
    if isinstance(f, Pw):
        return Pw(subst_index(f.base, old, new), f.exp)
    return f
