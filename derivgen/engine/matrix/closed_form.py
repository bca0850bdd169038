"""Closed matrix forms of derivatives, in the lectures' (numerator) layout.

``closed_derivative`` answers ``d expr / d wrt`` as one tidy matrix
expression when there is one: a scalar by a vector is a row (``x.T @ (B +
B.T)``), a scalar by a matrix has the matrix's shape (``a @ b.T``), a vector by
a vector is the ``M×N`` Jacobian, anything by a scalar has the shape of what
is differentiated.  A vector or matrix by a matrix is a tensor: the answer is
None and the index engine takes over.  Never a wrong form: every rule is exact.

How: symbolic reverse mode for a scalar (``mreverse``), forward mode for a
vector (``mforward``), both on the normal form of ``mform``; then the
simplifier ``msimplify`` writes the result the way the book does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from derivgen.derivation import Simplex, Symmetric
from derivgen.engine.matrix.forward import jacobian
from derivgen.engine.matrix.identities import identity_for
from derivgen.engine.matrix.normal_form import Ctx, Sum, Unsupported, form, to_expr, transpose
from derivgen.engine.matrix.reverse import gradient
from derivgen.engine.matrix.simplify import NO_ASSUMPTIONS, make_ctx, tidy, tidy_sum
from derivgen.problem.expr import BinOp, Expr, Name, Num, Shape, Transpose
from derivgen.problem.shapes import ShapeEnv, infer

RULES = (
    "sum", "product", "transpose", "inverse", "determinant", "trace", "norm",
    "elementwise", "chain", "log_det", "quadratic_form", "linear_form", "softmax", "logsumexp",
)
"""Every name that may appear in :attr:`ClosedForm.rules`."""


@dataclass(frozen=True)
class ClosedForm:
    """A derivative as one matrix expression, with how it was obtained."""

    expr: Expr
    """The tidy result in the lecture layout, e.g. ``x.T @ (B + B.T)``."""
    rules: tuple[str, ...]
    """Differentiation rules used, in the order first used (names from :data:`RULES`)."""
    identity: str | None
    """The MML identity the whole expression matches, e.g. ``"5.107"``, else None."""
    unsimplified: Expr
    """The raw result before collecting and factoring (for a ``simplify`` step)."""
    notes: tuple[Symmetric | Simplex, ...] = ()
    """Facts used by the simplifier, e.g. ``Symmetric("W")`` (the renderers say them)."""


def closed_derivative(
    expr: Expr, wrt: str, env: ShapeEnv, assume: Mapping[str, frozenset[str]] = NO_ASSUMPTIONS
) -> ClosedForm | None:
    """``d expr / d wrt`` as a closed matrix form, or None when there is none."""
    if wrt not in env.shapes:
        return None
    try:
        return _closed(expr, wrt, env, assume)
    except Unsupported:
        return None


def _closed(expr: Expr, wrt: str, env: ShapeEnv, assume: Mapping[str, frozenset[str]]) -> ClosedForm | None:
    of, by = infer(expr, env), env.shapes[wrt]
    if not has_matrix_layout(of, by):
        return None
    rules: list[str] = []
    raw = raw_derivative(expr, wrt, make_ctx(env), rules)
    zero = zero_of(expr, wrt, of, by)
    unsimplified = to_expr(raw, zero)
    ctx = make_ctx(env, assume)
    tidied = tidy_sum(form(unsimplified, ctx), ctx, zero)
    identity = identity_for(expr, wrt, env, assume)
    return ClosedForm(tidied, tuple(rules), identity, unsimplified, tuple(ctx.notes))


def has_matrix_layout(of: Shape, by: Shape) -> bool:
    """Whether d of / d by is at most two-dimensional in the lecture layout."""
    if not of or not by:
        return True
    return len(of) == 1 and len(by) == 1


def raw_derivative(expr: Expr, wrt: str, ctx: Ctx, rules: list[str]) -> Sum:
    """The derivative as a normal-form sum, before collecting (no assumptions used)."""
    of, by = ctx.shape(expr), ctx.env.shapes[wrt]
    if of:
        return jacobian(expr, wrt, ctx, rules)
    g = gradient(expr, wrt, ctx, rules)
    return transpose(g, ctx) if len(by) == 1 else g


def zero_of(expr: Expr, wrt: str, of: Shape, by: Shape) -> Expr:
    """A zero of the result's shape: ``0 * x.T`` for a gradient by x, ``0 * X`` by X."""
    x: Expr = Name(wrt)
    if not of:
        return Num(0) if not by else BinOp("*", Num(0), Transpose(x) if len(by) == 1 else x)
    if not by:
        return BinOp("*", Num(0), expr)
    return BinOp("@", BinOp("*", Num(0), expr), Transpose(x))


__all__ = ["RULES", "ClosedForm", "closed_derivative", "has_matrix_layout", "identity_for", "tidy"]
