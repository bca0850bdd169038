"""Index notation as data: the lectures' ``f_i = Σ_j A_ij x_j``.

An :class:`IExpr` is a sum of :class:`Term`s; a term is a coefficient, a
product of factors and the dummy indices summed over.  Factors are entries of
given arrays (``Ent``), Kronecker deltas, scalar functions of an inner index
expression, constant powers, and opaque entries of ``inv(F)`` / ``det(F)``
(whose derivatives are the inverse and determinant rules).

Dummy indices get unique internal names while the engine works, so delta
contraction can substitute freely; :func:`prettify` renames them to the
lectures' letters (``j`` first, then ``m, n, r`` ..., never a letter that is
free in the same formula or that names a variable).

:class:`IndexForm` is the entry formula ``∂of_I/∂wrt_K = expr`` a derivation
hands on; :func:`iexpr_text` is the plain text of JSON's ``result.index``.
LaTeX is the renderers' (``render/index_latex.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TypeAlias

from derivgen.derivation import Deriv, Entry, IndexNotation
from derivgen.problem.expr import Dim, Expr, Name
from derivgen.problem.text import to_text

Coeff: TypeAlias = int | Fraction | float


@dataclass(frozen=True)
class Idx:
    """An index symbol running over ``1..dim``."""

    name: str
    """Its name (``i``, ``q``, or an internal ``_7`` while deriving)."""
    dim: Dim
    """The dimension it runs over."""


IndexLike: TypeAlias = Idx | int


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
    arg: IExpr
    """The argument."""


@dataclass(frozen=True)
class Pw:
    """A constant power of an inner index expression, ``(Σ_j A_ij x_j - y_i)^2``."""

    base: IExpr
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


Factor: TypeAlias = Ent | Delta | Fn | Pw | Opaque | Size


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
class IExpr(IndexNotation):
    """A sum of terms; the empty sum is zero."""

    terms: tuple[Term, ...] = ()
    """The terms."""

    def __str__(self) -> str:
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
    if isinstance(f, (Ent, Opaque)):
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


# --- readable dummy names ---------------------------------------------------------

#: Letters for summed indices, in the order the lectures use them.
DUMMY_POOL = ("j", "m", "n", "r", "s", "t", "u", "v", "w", "l", "g", "h")


def prettify(x: IExpr, reserved: set[str]) -> IExpr:
    """Rename internal dummies (``_7``) to readable letters, scope by scope."""
    taken = reserved | {i.name for i in free_indices(x)}
    return IExpr(tuple(_pretty_term(t, taken) for t in x.terms))


def _pretty_term(t: Term, taken: set[str]) -> Term:
    used = set(taken)
    body = IExpr((replace(t, sums=()),))
    new_sums = []
    for s in t.sums:
        if not s.name.startswith("_"):
            new_sums.append(s)
            used.add(s.name)
            continue
        letter = next((c for c in DUMMY_POOL if c not in used), f"j{len(used)}")
        used.add(letter)
        new = Idx(letter, s.dim)
        body = subst_index(body, s, new)
        new_sums.append(new)
    inner = body.terms[0]
    factors = tuple(_pretty_factor(f, used) for f in inner.factors)
    return Term(t.coeff, factors, tuple(new_sums))


def _pretty_factor(f: Factor, used: set[str]) -> Factor:
    if isinstance(f, Fn):
        return Fn(f.func, prettify(f.arg, used))
    if isinstance(f, Pw):
        return Pw(prettify(f.base, used), f.exp)
    return f


# --- plain text (JSON's result.index) -------------------------------------------------


def iexpr_text(x: IExpr) -> str:
    """``sum_{j=1..N} A[i,j]*x[j]``: the index expression as plain text."""
    if not x.terms:
        return "0"
    parts = []
    for t in x.terms:
        c = t.coeff
        fs = [_factor_text(f) for f in t.factors]
        mag = abs(c)
        if mag != 1 or not fs:
            fs.insert(0, str(mag))
        body = "*".join(fs)
        for s in reversed(t.sums):
            body = f"sum_{{{s.name}=1..{s.dim}}} {body}"
        sign = "-" if c < 0 else "+"
        parts.append((sign, body))
    text = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, body in parts[1:]:
        text += f" {sign} {body}"
    return text


def _ix(idx: tuple[IndexLike, ...]) -> str:
    return ",".join(str(i) if isinstance(i, int) else i.name for i in idx)


def _factor_text(f: Factor) -> str:
    if isinstance(f, Ent):
        return f"{f.name}[{_ix(f.idx)}]" if f.idx else f.name
    if isinstance(f, Delta):
        return f"delta({_ix((f.a, f.b))})"
    if isinstance(f, Size):
        return str(f.dim)
    if isinstance(f, Opaque):
        inner = f"{f.kind}({to_text(f.arg)})"
        return f"{inner}[{_ix(f.idx)}]" if f.idx else inner
    if isinstance(f, Fn):
        return f"{f.func}({iexpr_text(f.arg)})"
    assert isinstance(f, Pw)
    return f"({iexpr_text(f.base)})**{f.exp}"


# --- the entry formula a derivation hands on -----------------------------------------


@dataclass(frozen=True)
class IndexForm(IndexNotation):
    """The entry formula ``∂of_I/∂wrt_K = expr`` of a derivative array."""

    of: str
    """Name of the differentiated quantity."""
    wrt: str
    """Name of the variable differentiated by."""
    out_idx: tuple[Idx, ...]
    """Indices of the output entry (array layout: these axes first)."""
    wrt_idx: tuple[Idx, ...]
    """Indices of the input entry (then these axes)."""
    expr: IExpr
    """The contracted partial derivative."""
    at: tuple[int, ...] = ()
    """For a derivative by one entry (``∂F_pq/∂X_21``): that entry's indices; ``wrt_idx`` is then empty."""

    def lhs(self) -> Deriv:
        """The partial ``∂of_I/∂wrt_K`` the formula gives."""
        wrt = Entry(self.wrt, tuple(str(i) for i in self.at)) if self.at else entry_of(self.wrt, self.wrt_idx)
        return Deriv(entry_of(self.of, self.out_idx), wrt, partial=True)

    def __str__(self) -> str:
        def part(name: str, idx: tuple[str, ...]) -> str:
            return f"{name}[{','.join(idx)}]" if idx else name

        by = part(self.wrt, tuple(str(i) for i in self.at) or tuple(i.name for i in self.wrt_idx))
        return f"d {part(self.of, tuple(i.name for i in self.out_idx))} / d {by} = {iexpr_text(self.expr)}"


def entry_of(name: str, idx: tuple[Idx, ...]) -> Entry | Name:
    """``A_{kq}`` for a named array at the indices; the name itself for a scalar."""
    return Entry(name, tuple(i.name for i in idx)) if idx else Name(name)
