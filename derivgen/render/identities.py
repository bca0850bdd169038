"""The identities (5.99)–(5.108) derived the lectures' way, at the ``lecture`` detail level.

The engine reaches each identity of MML section 5.5 by index notation and
Kronecker deltas, and quotes the derivatives of ``det`` and ``inv`` as
rules.  A problem that sets out to *derive* an identity must not lean on it,
so at ``lecture`` detail :func:`lecture_identity_steps` rewrites the top-level
steps of these problems into the lectures' route:

- (5.99)  ``f(X)ᵀ``: the entries of the gradient compared with those of ``∂f/∂X``;
- (5.100) ``tr(AX)``: the derivative taken inside the trace, ``tr(A ∂X/∂X_ij) = A_ji``;
- (5.101) ``det(X)``: the cofactor (Laplace) expansion along a row, then the
  adjugate, ``X⁻¹ = adj(X)/det(X)``; ``log det(X)`` by the chain rule and (5.101);
- (5.102) ``X⁻¹``: the product rule on ``X⁻¹X = I`` first, then the entries read off;
- (5.103) ``aᵀX⁻¹b``: the chain rule through the entries of ``X⁻¹``, citing (5.102);
- (5.107) ``xᵀBx``: the two sums read as rows, ``xᵀ(B + Bᵀ)``;
- (5.108) through ``z = x − As``: (5.107) gives ``zᵀ(W + Wᵀ) = 2zᵀW``, times ``∂z/∂s = −A``.

Steps are built from math objects only; their sentences are the
``derive_identity`` kind in :mod:`derivgen.render.sentences` (fact ``move``).  A
problem whose steps do not have the expected form is returned unchanged, and
``full`` detail never comes here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from derivgen.derivation import (
    Deriv,
    Derivation,
    Entry,
    EntryOf,
    Product,
    Relation,
    Space,
    Step,
    SumOver,
    Under,
)
from derivgen.derivation.index_form import Delta, Ent, Idx, IExpr, Opaque, Term
from derivgen.problem.expr import BinOp, Call, Dim, Expr, Name, Neg, Num, Shape, Transpose
from derivgen.problem.model import Problem
from derivgen.render.identity_parts import (
    argument,
    bilinear_inverse,
    derives,
    det_of,
    dim_of,
    factors_of,
    find_step,
    inverse_of,
    is_call,
    is_name,
    letters,
    m_det,
    m_inverse,
    m_inverse_bilinear,
    m_log_det,
    m_quadratic,
    m_transpose,
    m_weighted,
    matched,
    minus,
    name_of,
    plus,
    quadratic,
    shown,
)

__all__ = ["KIND", "lecture_identity_steps"]

#: The step kind of the steps written here (sentences: ``@says("derive_identity")``).
KIND = "derive_identity"

Steps = tuple[Step, ...]
T = TypeVar("T")


def lecture_identity_steps(problem: Problem, derivation: Derivation, steps: Steps) -> Steps:
    """``steps`` (the ``lecture`` steps of one find) rewritten to derive an identity the lectures' way."""
    try:
        body = problem.expand(problem.body(derivation.of))
    except Exception:  # a problem we cannot read is simply left as it is
        return steps
    wrt = derivation.wrt
    for matches, rewrite in _ROUTES:
        if matches(problem, body, wrt):
            try:
                out = rewrite(problem, derivation, body, steps)
            except (LookupError, TypeError, ValueError, AttributeError):
                return steps
            return steps if out is None else tuple(out)
    return steps


# --- (5.99) the gradient of a transpose ---------------------------------------------------


def _transpose(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """Compare the entries of ∂fᵀ/∂X with those of ∂f/∂X for f = XB (the statement's comparison)."""
    if not isinstance(body, Transpose):
        raise ValueError(body)
    inner = body.arg
    X, B = (name_of(side) for side in factors_of(inner))
    p, q, i, j, m = "p", "q", "i", "j", "m"
    rows, cols = dim_of(problem, X, 0), dim_of(problem, X, 1)
    idx = {p: Idx(p, dim_of(problem, B, 1)), q: Idx(q, rows), i: Idx(i, rows), j: Idx(j, cols),
           m: Idx(m, cols)}
    f_entry = Entry("f", (q, p))
    f_sum = IExpr((Term(1, (Ent(X, (idx[q], idx[m])), Ent(B, (idx[m], idx[p]))), (idx[m],)),))
    f_partial = IExpr((Term(1, (Delta(idx[q], idx[i]), Ent(B, (idx[j], idx[p]))), ()),))
    X_ij = Entry(X, (i, j))
    compare = Step(KIND, (
        Relation((f_entry, f_sum)),
        Relation((Deriv(f_entry, X_ij, True), f_partial, Deriv(Entry(d.of, (p, q)), X_ij, True))),
        Relation((EntryOf(Deriv(Name(d.of), Name(X)), (p, q, i, j)),
                  EntryOf(Deriv(inner, Name(X)), (q, p, i, j)))),
    ), {"move": "transpose_compare", "f": inner, "of": d.of, "wrt": X, "identity": "5.99"})
    out: list[Step] = []
    for s in steps:
        if s.kind == "closed_form":
            out.append(compare)
        if s.kind == "partials" and s.math and isinstance(s.math[0].parts[0], Deriv):
            # ∂F_pq/∂X_ij: the entry differentiated, not the whole F, on the left.
            first = s.math[0]
            parts = (Deriv(Entry(d.of, (p, q)), X_ij, True),) + first.parts[1:]
            s = replace(s, math=(replace(first, parts=parts),) + s.math[1:])
        out.append(s)
    if compare not in out:
        return steps
    return tuple(out)


# --- (5.100) the gradient of a trace -------------------------------------------------------------


def _m_trace(problem: Problem, body: Expr, wrt: str) -> bool:
    return (derives(problem, "5.100") and is_call(body, "tr") and isinstance(body.args[0], BinOp)
            and body.args[0].op == "@" and isinstance(body.args[0].left, Name)
            and is_name(body.args[0].right, wrt))


def _trace(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """tr(AX): the derivative passes inside the trace, tr(A ∂X/∂X_ij) = A_ji."""
    inner = argument(body)
    A, X = (name_of(side) for side in factors_of(inner))
    X_ij = Entry(X, ("i", "j"))
    inside = Step(KIND, (
        Relation((Deriv(Name(d.of), X_ij, True), Call("tr", (shown(Deriv(inner, X_ij, True)),)),
                  Call("tr", (BinOp("@", Name(A), shown(Deriv(Name(X), X_ij, True))),)),
                  Entry(A, ("j", "i")))),
    ), {"move": "trace_inside", "identity": "5.100", "wrt": X, "f": inner, "matrix": A})
    out: list[Step] = []
    for s in steps:
        if s.kind == "closed_form":
            out.append(inside)
        out.append(s)
    return tuple(out) if inside in out else steps


# --- (5.101) the gradient of a determinant ----------------------------------------------------


def _det_steps(problem: Problem, X: str) -> list[Step]:
    """det(X) by the cofactor expansion along row i, then the adjugate: ∂det(X)/∂X_ij = det(X)(X⁻¹)_ji."""
    n = dim_of(problem, X, 0)
    pick = letters(problem)
    i, j, k = "i", "j", pick("kmnr")
    Xn = Name(X)
    expand = Step(KIND, (
        Relation((det_of(Xn), SumOver(Name(k), Num(1), Name(str(n)) if isinstance(n, str) else Num(n),
                                    Product((Entry(X, (i, k)), Entry("C", (i, k))))))),
        Relation((Entry("C", (i, k)),
                  Product((BinOp("^", Num(-1), BinOp("+", Name(i), Name(k))), Entry("M", (i, k)))))),
    ), {"move": "cofactor_expansion", "wrt": X, "row": i, "index": k})
    idx = {c: Idx(c, n) for c in (i, j, k)}
    partial = Step(KIND, (
        Relation((Deriv(det_of(Xn), Entry(X, (i, j)), True),
                  IExpr((Term(1, (Delta(idx[k], idx[j]), Ent("C", (idx[i], idx[k]))), (idx[k],)),)),
                  Entry("C", (i, j)))),
    ), {"move": "cofactor_partial", "wrt": X, "row": i, "index": k, "col": j})
    det_inv = IExpr((Term(1, (Opaque("det", Xn, ()), Opaque("inv", Xn, (idx[j], idx[i]))), ()),))
    adjugate = Step(KIND, (
        Relation((inverse_of(Xn), BinOp("*", BinOp("/", Num(1), det_of(Xn)), Call("adj", (Xn,))))),
        Relation((Deriv(det_of(Xn), Entry(X, (i, j)), True), Entry("C", (i, j)),
                  EntryOf(Call("adj", (Xn,)), (j, i)), det_inv)),
    ), {"move": "adjugate", "wrt": X})
    general = Step(KIND, (
        Relation((Product((det_of(Xn),
                           Call("tr", (BinOp("@", inverse_of(Xn),
                                             shown(Deriv(Xn, Entry(X, (i, j)), True))),)))),
                  det_inv)),
    ), {"move": "det_general", "wrt": X, "identity": "5.101"})
    return [expand, partial, adjugate, general]


def _determinant(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    X = name_of(argument(body))
    closed = find_step(steps, "closed_form")
    new = _det_steps(problem, X)
    out = [s for s in steps if s.kind == "dimension"] + new + [closed]
    return tuple(out)


def _log_det(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """log det(X): the chain rule with (log u)' = 1/u, and ∂det(X)/∂X = det(X)X⁻ᵀ by (5.101)."""
    X = Name(name_of(argument(argument(body))))
    closed = find_step(steps, "closed_form")
    result = closed.math[0].parts[1]
    if result != Transpose(inverse_of(X)):
        return steps
    f = Name(d.of)
    space = Space((tuple(_shape(problem, X.id)),))
    recip = BinOp("/", Num(1), det_of(X))
    chain = Step(KIND, (
        Relation((Deriv(f, X), Product((recip, Deriv(det_of(X), X))))),
    ), {"move": "log_chain", "of": d.of, "inner": det_of(X), "inner_name": "u"})
    cite = Step(KIND, (
        Relation((Deriv(f, X), Product((recip, det_of(X), Transpose(inverse_of(X)))),
                  Transpose(inverse_of(X)), space),
                 ("=", "=", "∈")),
    ), {"move": "cite", "identity": "5.101", "wrt": X.id})
    return tuple([s for s in steps if s.kind == "dimension"] + [chain, cite])


def _shape(problem: Problem, name: str) -> Shape:
    var = problem.var(name)
    if var is None:
        raise LookupError(name)
    return tuple(var.shape)


# --- (5.102) the gradient of an inverse ---------------------------------------------------------


def _inverse(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """The product rule on X⁻¹X = I first, solved for ∂X⁻¹/∂X;
    then its entries read off one X_ij at a time."""
    X = name_of(argument(body))
    Xn, Xi = Name(X), inverse_of(Name(X))
    justify = find_step(steps, "justify")
    partials = find_step(steps, "partials")
    n = dim_of(problem, X, 0)
    d_inv, d_X = Deriv(Xi, Xn, True), Deriv(Xn, Xn, True)
    product_rule = Step(KIND, (justify.math[0],), {"move": "inverse_product_rule", "wrt": X})
    solve = Step(KIND, (
        Relation((Product((d_inv, Xn)), Product((minus(), Xi, d_X)))),
        Relation((d_inv, Product((minus(), Xi, d_X, Xi)))),
    ), {"move": "inverse_solve", "wrt": X, "identity": "5.102"})
    p, q, i, j, m, k = "p", "q", "i", "j", "m", "n"
    idx = {c: Idx(c, n) for c in (p, q, i, j, m, k)}
    X_ij = Entry(X, (i, j))
    unit = IExpr((Term(1, (Delta(idx[m], idx[i]), Delta(idx[k], idx[j])), ()),))
    raw = IExpr((Term(-1, (Opaque("inv", Xn, (idx[p], idx[m])), Delta(idx[m], idx[i]), Delta(idx[k], idx[j]),
                            Opaque("inv", Xn, (idx[k], idx[q]))), (idx[m], idx[k])),))
    entry = IExpr((Term(-1, (Opaque("inv", Xn, (idx[p], idx[i])), Opaque("inv", Xn, (idx[j], idx[q]))), ()),))
    if partials.math and partials.math[0].parts[-1] != entry:
        return steps  # the engine's entries are not the ones written here
    read = Step(KIND, (
        Relation((Deriv(Name(d.of), X_ij, True), Product((minus(), Xi, Deriv(Xn, X_ij, True), Xi)))),
        Relation((EntryOf(Deriv(Xn, X_ij, True), (m, k)), unit)),
        Relation((Deriv(Entry(d.of, (p, q)), X_ij, True), raw, entry)),
    ), {"move": "inverse_entries", "wrt": X, "of": d.of})
    # The matrix form was reached above (identity (5.102) for f(X) = X); the entries are collected last.
    out = [s for s in steps if s.kind == "dimension"] + [product_rule, solve, read]
    out += [s for s in steps if s.kind == "collate"]
    return tuple(out)


# --- (5.103) a bilinear form of an inverse ----------------------------------------------------


def _inverse_bilinear(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """Differentiate Σ_m Σ_n a_m (X⁻¹)_mn b_n under the sums, each entry of X⁻¹ by (5.102)."""
    X = _find_wrt(d)
    a, b = matched(bilinear_inverse(body, X))
    Xn = Name(X)
    n = dim_of(problem, X, 0)
    i, j, m, k = "i", "j", "m", "n"
    idx = {c: Idx(c, n) for c in (i, j, m, k)}
    X_ij = Entry(X, (i, j))
    inv_mn = IExpr((Term(1, (Opaque("inv", Xn, (idx[m], idx[k])),), ()),))
    upper = Name(n) if isinstance(n, str) else Num(n)
    under_sums = SumOver(Name(m), Num(1), upper, SumOver(Name(k), Num(1), upper, Product((
        Entry(a, (m,)), Deriv(inv_mn, X_ij, True), Entry(b, (k,))))))
    contracted = IExpr((Term(-1, (Ent(a, (idx[m],)), Ent(b, (idx[k],)), Opaque("inv", Xn, (idx[m], idx[i])),
                                  Opaque("inv", Xn, (idx[j], idx[k]))), (idx[m], idx[k])),))
    partials = find_step(steps, "partials")
    if partials.math and partials.math[0].parts[-1] != contracted:
        return steps
    grouped = Product((minus(), EntryOf(BinOp("@", Transpose(inverse_of(Xn)), Name(a)), (i,)),
                       EntryOf(BinOp("@", inverse_of(Xn), Name(b)), (j,))))
    cited = Relation((Deriv(inv_mn, X_ij, True),
                      IExpr((Term(-1, (Opaque("inv", Xn, (idx[m], idx[i])),
                                       Opaque("inv", Xn, (idx[j], idx[k]))), ()),))))
    chain = Step(KIND, (
        Relation((Deriv(Name(d.of), X_ij, True), under_sums, contracted, grouped)),
    ), {"move": "inverse_chain", "identity": "5.102", "cited": cited, "wrt": X, "a": a, "b": b,
        "sums": (m, k), "entries": (i, j)})
    out: list[Step] = []
    for s in steps:
        out.append(chain if s.kind == "partials" else s)
    return tuple(out)


def _find_wrt(d: Derivation) -> str:
    if not re.fullmatch(r"\w+", d.wrt):
        raise ValueError(d.wrt)
    return d.wrt


# --- (5.107) a quadratic form -----------------------------------------------------------------


def _quadratic_form(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps:
    """The two sums of ∂f/∂x_k read as entries of rows: (xᵀBᵀ)_k + (xᵀB)_k = (xᵀ(B + Bᵀ))_k."""
    x, B = matched(quadratic(body))
    x_id = name_of(x)
    Bn = Name(B)
    k = "k"
    rows = Step(KIND, (
        Relation((Deriv(Name(d.of), Entry(x_id, (k,)), True),
                  Product((EntryOf(BinOp("@", Bn, x), (k,)), plus(),
                           EntryOf(BinOp("@", Transpose(x), Bn), (k,)))),
                  Product((EntryOf(BinOp("@", Transpose(x), Transpose(Bn)), (k,)), plus(),
                           EntryOf(BinOp("@", Transpose(x), Bn), (k,)))),
                  EntryOf(BinOp("@", Transpose(x), BinOp("+", Bn, Transpose(Bn))), (k,)))),
    ), {"move": "quadratic_rows", "wrt": x_id, "matrix": B, "index": k})
    partials = find_step(steps, "partials")
    if not partials.math:
        return steps
    summed = partials.math[0].parts[-1]
    if not isinstance(summed, IExpr):
        raise TypeError(summed)
    if len(summed.terms) != 2:
        return steps
    out: list[Step] = []
    for s in steps:
        out.append(s)
        if s.kind == "partials":
            out.append(rows)
    return tuple(out)


# --- (5.108) through z = x − As ----------------------------------------------------------------


def _z_factor(z: Expr, W: str, of: str, m: Dim) -> Step:
    """∂f/∂z = zᵀ(W + Wᵀ) = 2zᵀW by (5.107), W symmetric."""
    Wn = Name(W)
    return Step(KIND, (
        Relation((Deriv(Name(of), z, True), BinOp("@", Transpose(z), BinOp("+", Wn, Transpose(Wn))),
                  BinOp("@", BinOp("*", Num(2), Transpose(z)), Wn), Space(((), (m,)), row=True)),
                 ("=", "=", "∈")),
    ), {"move": "quadratic_factor", "identity": "5.107", "factor": f"d{of}/d{_text(z)}", "symmetric": W})


def _text(e: Expr) -> str:
    return e.id if isinstance(e, Name) else "z"


def _weighted(problem: Problem, d: Derivation, body: Expr, steps: Steps) -> Steps | None:
    """(5.108) the lecture's way: with z = x − As, (5.107) gives 2zᵀW, times ∂z/∂s = −A."""
    residual, W = matched(quadratic(body))
    s_name = _find_wrt(d)
    weight = problem.var(W)
    if weight is None or "symmetric" not in (weight.assume or ()):
        return None
    chain = next((s for s in steps if s.kind == "chain_rule"), None)
    if chain is not None:
        # The problem names z itself (the slide): only the factor by (5.107) is written out.
        out = []
        for s in steps:
            closed = s.facts.get("identity") == "5.107" and s.facts.get("closed")
            lhs = s.math[0].parts[0] if s.kind == "factor" and closed else None
            if isinstance(lhs, Deriv) and isinstance(lhs.wrt, Expr):
                out.append(_z_factor(lhs.wrt, W, d.of, dim_of(problem, W, 0)))
            else:
                out.append(s)
        return tuple(out)
    # The residual written out: name it z (the problem defines z := x − As for its typesetting).
    z_name = next((df.name for df in problem.define if df.expr == residual), None)
    if z_name is None or not (isinstance(residual, BinOp) and residual.op == "-"
                              and isinstance(residual.right, BinOp)
                              and residual.right.op == "@" and isinstance(residual.right.left, Name)
                              and is_name(residual.right.right, s_name)):
        return None
    A = residual.right.left.id
    m, n = dim_of(problem, A, 0), dim_of(problem, A, 1)
    z, wrt, f = Name(z_name), Name(s_name), Name(d.of)
    substitute = Step(KIND, (
        Relation((z, residual), (":=",)),
        Relation((f, BinOp("@", BinOp("@", Transpose(z), Name(W)), z))),
        Relation((Deriv(f, wrt),
                  Product((Under(Deriv(f, z, True), (1, m)), Under(Deriv(z, wrt, True), (m, n)))))),
    ), {"move": "substitute_z", "inner_name": z_name, "of": d.of, "wrt": s_name, "weight": W})
    dz = Step("factor", (
        Relation((Deriv(z, wrt, True), Neg(Name(A)), Space(((m,), (n,)))), ("=", "∈")),
    ), {"factor": f"d{z_name}/d{s_name}", "identity": None, "rules": ["sum", "linear_form"], "closed": True})
    two_zW = BinOp("@", BinOp("*", Num(2), Transpose(z)), Name(W))
    multiply = Step("multiply", (
        Relation((Deriv(f, wrt), Product((Under(two_zW, (1, m)), Under(Neg(Name(A)), (m, n)))),
                  BinOp("@", BinOp("@", BinOp("*", Num(-2), Transpose(z)), Name(W)), Name(A)))),
    ), {})
    done = Step(KIND, (), {"move": "identity_reached", "identity": "5.108", "inner_name": z_name,
                                 "symmetric": W})
    return tuple([st for st in steps if st.kind == "dimension"]
                 + [substitute, _z_factor(z, W, d.of, m), dz, multiply, done])


#: (matches, rewrite) in order; the first that matches rewrites the steps.
_ROUTES: tuple[tuple[Callable[[Problem, Expr, str], bool],
                     Callable[[Problem, Derivation, Expr, Steps], Steps | None]], ...] = (
    (m_transpose, _transpose),
    (_m_trace, _trace),
    (m_det, _determinant),
    (m_log_det, _log_det),
    (m_inverse, _inverse),
    (m_inverse_bilinear, _inverse_bilinear),
    (m_quadratic, _quadratic_form),
    (m_weighted, _weighted),
)
