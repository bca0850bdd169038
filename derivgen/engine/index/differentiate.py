"""Partial derivatives in index notation, and Kronecker-delta contraction.

``∂A_ij/∂A_kl = δ_ik δ_jl``; every other rule is the product rule over the
factors of a term and the chain rule through functions and powers.  The
inverse and determinant rules are those of the lectures:
``∂(F⁻¹)_ab = −Σ_cd (F⁻¹)_ac ∂F_cd (F⁻¹)_db`` and
``∂det F = det F Σ_cd (F⁻¹)_dc ∂F_cd``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from derivgen.derivation.index_form import (
    ZERO,
    Coeff,
    Delta,
    Ent,
    Factor,
    Fn,
    Idx,
    IExpr,
    IndexLike,
    Opaque,
    Pw,
    Size,
    Term,
    add,
    const,
    factor_indices,
    fresh_dummies,
    mul,
    scale,
    single,
    subst_index,
    summed,
)
from derivgen.engine.index.to_index import IndexWriter, power
from derivgen.problem.expr import BinOp, Call, Expr, Name, Neg, Num
from derivgen.problem.functions import FUNCTIONS


def diff(x: IExpr, wrt: str, widx: tuple[IndexLike, ...], writer: IndexWriter) -> IExpr:
    """∂x/∂wrt_{widx}, by the product rule over each term's factors."""
    out: list[Term] = []
    for t in x.terms:
        for p, f in enumerate(t.factors):
            d = diff_factor(f, wrt, widx, writer)
            if not d.terms:
                continue
            rest = IExpr((Term(t.coeff, t.factors[:p] + t.factors[p + 1 :], t.sums),))
            out.extend(mul(rest, d).terms)
    return IExpr(tuple(out))


def diff_factor(f: Factor, wrt: str, widx: tuple[IndexLike, ...], writer: IndexWriter) -> IExpr:
    if isinstance(f, Ent):
        if f.name != wrt:
            return ZERO
        # An entry of the variable has one index per axis, as many as the derivative's wrt indices.
        return IExpr((Term(1, tuple(Delta(a, b) for a, b in zip(f.idx, widx, strict=True))),))
    if isinstance(f, Fn):
        du = diff(f.arg, wrt, widx, writer)
        return mul(outer_derivative(f), du) if du.terms else ZERO
    if isinstance(f, Pw):
        db = diff(f.base, wrt, widx, writer)
        if not db.terms:
            return ZERO
        # For n = 2, base^(n-1) comes back as the base itself, whose dummies are db's: rename them.
        return scale(mul(power(fresh_dummies(f.base, writer.fresh.idx), f.exp - 1), db), f.exp)
    if isinstance(f, Opaque):
        return _diff_opaque(f, wrt, widx, writer)
    return ZERO  # Delta, Size: constants


def outer_derivative(f: Fn) -> IExpr:
    """f'(u) from the function's row of the table, as an index expression."""
    z = Name("z")
    return _as_index(FUNCTIONS[f.func].array_derivative(z), z, f.arg)


def _as_index(e: Expr, z: Name, u: IExpr) -> IExpr:
    """A derivative rule written in the placeholder ``z``, with ``u`` for ``z``."""
    if e == z:
        return u
    if isinstance(e, Num):
        return const(e.value)
    if isinstance(e, Neg):
        return scale(_as_index(e.arg, z, u), -1)
    if isinstance(e, Call) and len(e.args) == 1:
        return single(Fn(e.func, _as_index(e.args[0], z, u)))
    if isinstance(e, BinOp) and e.op == "^" and isinstance(e.right, Num):
        return power(_as_index(e.left, z, u), e.right.value)
    if isinstance(e, BinOp) and e.op in ("+", "-", "*", "/"):
        a, b = _as_index(e.left, z, u), _as_index(e.right, z, u)
        if e.op == "+":
            return add(a, b)
        if e.op == "-":
            return add(a, scale(b, -1))
        return mul(a, b) if e.op == "*" else mul(a, power(b, -1))
    raise ValueError(f"a derivative rule cannot use {type(e).__name__} in index notation")


def _diff_opaque(f: Opaque, wrt: str, widx: tuple[IndexLike, ...], writer: IndexWriter) -> IExpr:
    F = f.arg
    n = writer.shape(F)[0]
    c, d = writer.fresh.idx(n), writer.fresh.idx(n)
    dF = diff(writer.write(F, (c, d)), wrt, widx, writer)
    if not dF.terms:
        return ZERO
    if f.kind == "inv":
        a, b = f.idx
        left = single(Opaque("inv", F, (a, c)))
        right = single(Opaque("inv", F, (d, b)))
        return summed(scale(mul(mul(left, dF), right), -1), (c, d))
    inv_dc = single(Opaque("inv", F, (d, c)))
    return summed(mul(mul(single(f), inv_dc), dF), (c, d))


# --- contraction and tidying ----------------------------------------------------


def _split_products(factors: tuple[Factor, ...]) -> list[Factor]:
    """(a b)⁻¹ = a⁻¹ b⁻¹ for a whole power of one product, so that it can cancel against a and b:
    log of softmax's entry e^{z_k} S⁻¹ leaves (e^{z_k} S⁻¹)⁻¹ S⁻¹ e^{z_k}, which is 1."""
    out: list[Factor] = []
    for f in factors:
        if not isinstance(f, Pw) or len(f.base.terms) != 1:
            out.append(f)
            continue
        inner = f.base.terms[0]
        if inner.coeff != 1 or inner.sums or len(inner.factors) < 2 \
                or not isinstance(f.exp, (int, Fraction)) or Fraction(f.exp).denominator != 1 \
                or any(isinstance(g, Delta) for g in inner.factors):
            out.append(f)
            continue
        for g in inner.factors:
            out.append(Pw(g.base, g.exp * f.exp) if isinstance(g, Pw) else Pw(single(g), f.exp))
    return out


def contract(x: IExpr) -> IExpr:
    """Sum out every delta that meets a dummy index; drop zero terms; collect."""
    terms = [t2 for t in x.terms if (t2 := _contract_term(t)) is not None]
    return collect(IExpr(tuple(terms)))


def _contract_term(t: Term) -> Term | None:
    t = replace(t, factors=tuple(_contract_inside(f) for f in t.factors))
    changed = True
    while changed:
        changed = False
        for p, f in enumerate(t.factors):
            if not isinstance(f, Delta):
                continue
            rest = t.factors[:p] + t.factors[p + 1 :]
            a, b = f.a, f.b
            if a == b:
                t = replace(t, factors=rest)
            elif isinstance(a, int) and isinstance(b, int):
                return None  # δ between different constants is 0
            elif isinstance(a, Idx) and a in t.sums:
                t = _eliminate(replace(t, factors=rest), a, b)
            elif isinstance(b, Idx) and b in t.sums:
                t = _eliminate(replace(t, factors=rest), b, a)
            else:
                continue
            changed = True
            break
    if t.coeff == 0:
        return None
    return _drop_unused_sums(t)


def _eliminate(t: Term, dummy: Idx, by: IndexLike) -> Term:
    body = subst_index(IExpr((replace(t, sums=()),)), dummy, by).terms[0]
    return Term(t.coeff, body.factors, tuple(s for s in t.sums if s != dummy))


def _contract_inside(f: Factor) -> Factor:
    if isinstance(f, Fn):
        return Fn(f.func, contract(f.arg))
    if isinstance(f, Pw):
        return Pw(contract(f.base), f.exp)
    return f


def _drop_unused_sums(t: Term) -> Term:
    from derivgen.derivation.index_form import factor_indices

    used = {i for f in t.factors for i in factor_indices(f)}
    keep = tuple(s for s in t.sums if s in used)
    extra = tuple(Size(s.dim) for s in t.sums if s not in used)
    return Term(t.coeff, t.factors + extra, keep)


def _canon(t: Term) -> tuple:
    """A key equal for terms that differ only in dummy names and factor order."""
    dummies = set(t.sums)

    def masked(f: Factor) -> str:
        r = repr(f)
        for d in dummies:
            r = r.replace(f"Idx(name='{d.name}'", "Idx(name='?'")
        return r

    order = sorted(t.factors, key=masked)
    names: dict[str, str] = {}
    for f in order:
        for d in sorted(dummies, key=lambda d: repr(f).find(f"'{d.name}'")):
            if f"'{d.name}'" in repr(f) and d.name not in names:
                names[d.name] = f"~{len(names)}"
    key = []
    for f in order:
        r = repr(f)
        for old, new in names.items():
            r = r.replace(f"Idx(name='{old}'", f"Idx(name='{new}'")
        key.append(r)
    return tuple(key), tuple(sorted(str(d.dim) for d in t.sums))


def collect(x: IExpr) -> IExpr:
    """Add the coefficients of like terms; order factors deltas first."""
    merged: dict[tuple, Term] = {}
    for t in map(_constant_powers, x.terms):
        k = _canon(t)
        if k in merged:
            old = merged[k]
            merged[k] = replace(old, coeff=old.coeff + t.coeff)
        else:
            merged[k] = t
    out = []
    for t in merged.values():
        if t.coeff == 0:
            continue
        factors = _merge_powers(t.factors)
        deltas = tuple(f for f in factors if isinstance(f, Delta))
        others = tuple(f for f in factors if not isinstance(f, Delta))
        out.append(replace(t, factors=deltas + others))
    return IExpr(tuple(out))


def _constant_powers(t: Term) -> Term:
    """A power of a number goes into the coefficient: δ_pi δ_qj (1)² is δ_pi δ_qj, and cancels."""
    coeff, kept = t.coeff, []
    for f in t.factors:
        number = _number_power(f)
        if number is None:
            kept.append(f)
        else:
            coeff = coeff * number
    return t if len(kept) == len(t.factors) else Term(coeff, tuple(kept), t.sums)


def _number_power(f: Factor) -> Fraction | None:
    """The value of ``(c)^n`` for a number c and a whole n (not 0 to a negative power), else None."""
    if not isinstance(f, Pw) or len(f.base.terms) != 1:
        return None
    base, e = f.base.terms[0], f.exp
    if base.factors or base.sums or not isinstance(e, (int, Fraction)) or Fraction(e).denominator != 1:
        return None
    if not isinstance(base.coeff, (int, Fraction)) or (base.coeff == 0 and e <= 0):
        return None
    return Fraction(base.coeff) ** int(e)


def _merge_powers(factors: tuple[Factor, ...]) -> tuple[Factor, ...]:
    """x·x = x², det·det⁻¹ = 1: equal bases within one term add their exponents."""
    order: list[tuple[str]] = []
    acc: dict[tuple[str], tuple[IExpr, Coeff]] = {}
    passthrough: list[Factor] = []
    for f in _split_products(factors):
        if isinstance(f, Delta):
            passthrough.append(f)
            continue
        base, e = (f.base, f.exp) if isinstance(f, Pw) else (single(f), 1)
        key = (repr(tuple(_canon(t) for t in base.terms)),)  # Σ_m e^{z_m} and Σ_n e^{z_n} are one base
        if key in acc:
            acc[key] = (base, acc[key][1] + e)
        else:
            acc[key] = (base, e)
            order.append(key)
    out = list(passthrough)
    for key in order:
        base, e = acc[key]
        if e == 0:
            continue
        if e == 1 and len(base.terms) == 1 and len(base.terms[0].factors) == 1 and base.terms[0].coeff == 1 \
                and not base.terms[0].sums:
            out.append(base.terms[0].factors[0])
        else:
            out.append(Pw(base, e))
    return tuple(out)


# --- a named softmax in index notation ------------------------------------------------------


@dataclass(frozen=True)
class NamedEntry:
    """``p := softmax(u)``: its entry p_a is exp(u_a) (Σ_k exp(u_k))⁻¹, to be written p_a again; for
    ``P := softmax(S, 1)`` the entry P_ab is exp(S_ab) (Σ_k exp(S_ak))⁻¹ (axis 0: down a column)."""

    name: str
    """The define, ``p``."""
    k: Idx
    """The summed index of ``u_k`` below."""
    u: IExpr
    """The argument's entry at ``k`` (and ``line``), in the given variables."""
    line: Idx | None = None
    """For a softmax along an axis of a matrix: the index of the row (axis 1) or column (axis 0) that
    stays; None for a vector."""
    axis: int = 1
    """Along which axis (NumPy's), when ``line`` is set."""


def fold_named(x: IExpr, named: tuple[NamedEntry, ...]) -> IExpr:
    """``x`` with every exp(u_a) (Σ_k exp(u_k))⁻ⁿ of a named softmax written p_a (n of them per power):
    ∂p_i/∂z_j = δ_ij p_i − p_i p_j, as the lectures write it.  Display only: the form checked stays
    in the given variables."""
    for entry in named:
        x = IExpr(tuple(_fold_term(t, entry) for t in x.terms))
    return x


def _fold_term(t: Term, e: NamedEntry) -> Term:
    factors: list[Factor | None] = list(t.factors)
    for p, f in enumerate(t.factors):
        if not (isinstance(f, Pw) and isinstance(f.exp, (int, Fraction)) and f.exp < 0
                and Fraction(f.exp).denominator == 1):
            continue
        line = _line_of_total(f, e)
        if line is None:
            continue
        need = -int(f.exp)
        exps = [(q, b) for q, g in enumerate(factors) if (b := _softmax_index(g, e, line[0])) is not None]
        if len(exps) < need:
            continue
        for q, b in exps[:need]:
            a = line[0]
            factors[q] = Ent(e.name, (b,) if a is None else (a, b) if e.axis == 1 else (b, a))
        factors[p] = None
    kept = tuple(f for f in factors if f is not None)
    return Term(t.coeff, kept, t.sums) if len(kept) != len(t.factors) else t


def _line_of_total(f: Pw, e: NamedEntry) -> tuple[IndexLike | None] | None:
    """(a,) when ``f``'s base is Σ_k exp(u_ak) (for a vector: (None,) when it is Σ_k exp(u_k)); else None."""
    total = IExpr((Term(1, (Fn("exp", e.u),), (e.k,)),))
    target = _canonical(f.base)
    if e.line is None:
        return (None,) if _canonical(total) == target else None
    for a in factor_indices(f):
        if _canonical(subst_index(total, e.line, a)) == target:
            return (a,)
    return None


def _softmax_index(f: Factor | None, e: NamedEntry, line: IndexLike | None) -> IndexLike | None:
    """b when ``f`` is exp(u_b) (exp(u_ab) along the line a), else None."""
    if not isinstance(f, Fn) or f.func != "exp":
        return None
    target = _canonical(f.arg)
    u = e.u if e.line is None or line is None else subst_index(e.u, e.line, line)
    for b in factor_indices(f):
        if _canonical(subst_index(u, e.k, b)) == target:
            return b
    return None


def _canonical(x: IExpr, depth: int = 0) -> tuple[object, ...]:
    """``x`` up to the names of its summed indices (named by their nesting) and the order of factors."""
    out = []
    for t in x.terms:
        body = IExpr((replace(t, sums=()),))
        for n, s in enumerate(t.sums):
            body = subst_index(body, s, Idx(f"~{depth}.{n}", s.dim))
        inner = body.terms[0]
        parts = sorted(repr(_canonical_factor(f, depth + 1)) for f in inner.factors)
        out.append((inner.coeff, tuple(parts), len(t.sums)))
    return tuple(out)


def _canonical_factor(f: Factor, depth: int) -> object:
    if isinstance(f, Fn):
        return ("fn", f.func, _canonical(f.arg, depth))
    if isinstance(f, Pw):
        return ("pw", _canonical(f.base, depth), f.exp)
    return f
