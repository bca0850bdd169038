"""Second derivatives: the gradient first, then its Jacobian (MML section 5.7).

``d2f/dxdy`` is ∂/∂x of ∂f/∂y.  The first derivative ∂f/∂y is derived by the
usual routes; its closed form, written in array layout (the gradient of a
scalar by a vector as a column, ∇_y f = (∂f/∂y)ᵀ), is differentiated again
by x, and its index form ∂f_I/∂y_K is differentiated entry by entry,
∂²f_I/∂x_L∂y_K, for every shape (the Hessian of a scalar by a vector, the
order-3 array of a vector function, the order-4 array of a scalar by a
matrix).  The array layout is of's axes, then y's, then x's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace

from derivgen.derivation import Deriv, Derivation, Math, Relation, Result, SecondDeriv, Space, Step
from derivgen.derivation.index_form import (
    Idx,
    IExpr,
    IndexForm,
    entry_of,
    fresh_dummies,
    iexpr_text,
    prettify,
)
from derivgen.engine.chain import tidy_any
from derivgen.engine.context import Ctx
from derivgen.engine.index.differentiate import collect, contract, diff
from derivgen.engine.index.to_index import IndexWriter
from derivgen.engine.routes import closed_of
from derivgen.errors import DerivationError
from derivgen.problem.expr import Expr, Name, Shape, Transpose
from derivgen.problem.model import Find, Problem
from derivgen.problem.shapes import derivative_shape, printed_shape

DeriveFirst = Callable[[Problem, Find], Derivation]

#: Letters for the index of the second variable, in the order the lectures use them.
SECOND_LETTERS = ("l", "k", "p", "q", "r", "s", "t", "u", "v", "w")


def first_find(find: Find) -> Find:
    """The first derivative a second derivative differentiates: ``df/dy`` for ``d2f/dxdy``."""
    by = find.first[0]
    assert isinstance(by, Name), "second derivatives are by given variables"
    return Find(f"d{find.of}/d{by.id}", find.of, find.first, find.location)


def derive_second(problem: Problem, find: Find, derive_first: DeriveFirst) -> Derivation:
    """The worked, unverified second derivative of one ``find`` entry (``find.first`` set)."""
    ctx = Ctx.of(problem)
    x, y = find.wrt[0], find.first[0]
    assert isinstance(x, Name) and isinstance(y, Name)
    # The first derivative in the lectures' numerator layout, whatever ``layout:`` says: its closed form is
    # differentiated again as the lectures write it.
    numerator = replace(problem, options={**problem.options, "layout": "numerator"})
    first = derive_first(numerator, first_find(find))
    inner = derivative_shape(first.of_shape, first.wrt_shape)
    x_shape = tuple(ctx.shapes[x.id])
    whole = SecondDeriv(Name(find.of), y, x, partial=_partial(problem, find, x_shape))
    gradient = _array_layout(ctx, first.result.closed, first.of_shape, first.wrt_shape)
    closed = closed_of(ctx, gradient, x.id) if gradient is not None else None
    index = second_index(ctx, first.result.index, x.id)
    if closed is None and index is None:
        raise DerivationError(f"{find.text}: the first derivative d{find.of}/d{y.id} has no closed or index "
                              "form to differentiate again")
    steps = [Step("second_dimension", (Relation((whole, Space((inner, x_shape))), ("∈",)),),
                  {"of": find.of, "first": y.id, "second": x.id, "of_shape": first.of_shape,
                   "first_shape": first.wrt_shape, "second_shape": x_shape})]
    shown_first = first.result.display if first.result.display is not None else first.result.closed
    first_math = (Relation((Deriv(Name(find.of), y), shown_first)),) if shown_first is not None else ()
    steps.append(Step("first_derivative", first_math, {"of": find.of, "wrt": y.id}, first.steps))
    if gradient is not None and gradient != first.result.closed:
        steps.append(Step("gradient_column", (Relation((gradient,)),), {"of": find.of, "wrt": y.id}))
    if closed is not None:
        steps.append(Step("second_closed", (Relation((whole, Deriv(gradient or Name(find.of), x), closed.expr,
                                                      Space((tuple(printed_shape(inner, x_shape)),))),
                                                     ("=", "=", "∈")),),
                          {"identity": closed.identity, "rules": list(closed.rules), "by": x.id}))
    elif index is not None:
        lhs = _entry_deriv(find.of, index, y.id, len(first.wrt_shape))
        ranges = [(i.name, str(i.dim)) for i in index.out_idx + index.wrt_idx]
        steps.append(Step("second_partials", (Relation((lhs, index.expr)),), {"by": x.id, "ranges": ranges}))
    if x == y and not first.of_shape and x_shape:
        steps.append(symmetry_step(ctx, find.of, x.id, x_shape, closed.expr if closed else None))
    result = Result(
        shape=derivative_shape(inner, x_shape),
        printed=printed_shape(inner, x_shape),
        closed=closed.expr if closed is not None else None,
        display=closed.expr if closed is not None else None,
        index=index,
    )
    return Derivation(find.of, x.id, first.of_shape, x_shape, tuple(steps), result, method=ctx.method,
                      first=first)


def _partial(problem: Problem, find: Find, x_shape: Shape) -> bool:
    """∂ rather than d: unless a scalar function of one scalar variable is differentiated twice by it."""
    from derivgen.problem.expr import names_in

    if find.wrt != find.first or x_shape:
        return True
    variables = {n for n in names_in(problem.expand(Name(find.of))) if problem.var(n) is not None}
    return variables != {find.wrt[0].id} if isinstance(find.wrt[0], Name) else True


def _array_layout(ctx: Ctx, closed: Expr | None, of_shape: Shape, wrt_shape: Shape) -> Expr | None:
    """The first derivative's closed form in array layout: a gradient row becomes the column ∇f."""
    if closed is None:
        return None
    if not of_shape and len(wrt_shape) == 1:
        return tidy_any(Transpose(closed), ctx)
    return closed


def second_index(ctx: Ctx, form: object, wrt: str) -> IndexForm | None:
    """∂/∂wrt of the first derivative's entry formula, entry by entry: ∂²f_I/∂wrt_L∂y_K."""
    if not isinstance(form, IndexForm):
        return None
    counter = itertools.count(1)
    expr = fresh_dummies(form.expr, lambda dim: Idx(f"_s{next(counter)}", dim))
    taken = set(re.findall(r"[A-Za-z_]\w*", iexpr_text(form.expr))) | set(ctx.shapes) | {
        i.name for i in form.out_idx + form.wrt_idx}
    letters = (c for c in SECOND_LETTERS if c not in taken)
    widx = tuple(Idx(next(letters), dim) for dim in ctx.shapes[wrt])
    writer = IndexWriter(ctx.env)
    second: IExpr = collect(contract(diff(expr, wrt, widx, writer)))
    reserved = {i.name for i in form.out_idx + form.wrt_idx + widx} | set(ctx.shapes)
    return IndexForm(form.of, wrt, form.out_idx + form.wrt_idx, widx, prettify(second, reserved))


def _entry_deriv(of: str, index: IndexForm, first: str, first_axes: int) -> Math:
    """``∂²f_I/∂x_L∂y_K``: the left-hand side of the second partials."""
    n_of = len(index.out_idx) - first_axes
    of_idx, first_idx = index.out_idx[:n_of], index.out_idx[n_of:]
    return SecondDeriv(entry_of(of, of_idx), entry_of(first, first_idx), entry_of(index.wrt, index.wrt_idx),
                       partial=True)


def symmetry_step(ctx: Ctx, of: str, wrt: str, shape: Shape, closed: Expr | None) -> Step:
    """The Hessian of a twice continuously differentiable scalar is symmetric: ∂²f/∂x_i∂x_j = ∂²f/∂x_j∂x_i."""
    idx = [Idx(c, d) for c, d in zip(("i", "j"), shape * 2 if len(shape) == 1 else shape, strict=False)]
    facts: dict[str, object] = {"of": of, "wrt": wrt}
    math: tuple[Relation, ...] = ()
    if len(shape) == 1:
        i, j = entry_of(wrt, (idx[0],)), entry_of(wrt, (idx[1],))
        math = (Relation((SecondDeriv(Name(of), j, i), SecondDeriv(Name(of), i, j))),)
    if closed is not None and len(shape) == 1:
        facts["visible"] = tidy_any(Transpose(closed), ctx) == closed
        math += (Relation((Transpose(closed), closed)),)
    return Step("symmetry", math, facts)
