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

from derivgen.derivation import (
    Block,
    Deriv,
    Derivation,
    Explicit,
    Math,
    Relation,
    Result,
    SecondDeriv,
    Space,
    Step,
)
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
from derivgen.engine.context import Ctx, has_literal
from derivgen.engine.index.differentiate import collect, contract, diff
from derivgen.engine.index.to_index import IndexWriter
from derivgen.engine.routes import atoms_of, closed_of, scalar_part
from derivgen.engine.second_matrix import hessian_matrix
from derivgen.errors import DerivationError
from derivgen.problem.expr import Expr, Name, Num, Shape, Transpose
from derivgen.problem.model import Find, Problem
from derivgen.problem.shapes import derivative_shape, printed_shape
from derivgen.problem.text import to_text

DeriveFirst = Callable[[Problem, Find], Derivation]

#: Letters for the index of the second variable, in the order the lectures use them.
SECOND_LETTERS = ("k", "l", "p", "q", "r", "s", "t", "u", "v", "w")


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
    entries = None
    if closed is None and index is not None and not first.of_shape and len(first.wrt_shape) == len(x_shape):
        read = hessian_matrix(index, lambda e: tidy_any(e, ctx))  # diag(p) - p pᵀ, Xᵀ S X
        entries, kinds = read if read is not None else (None, ())
    explicit = second_explicit(ctx, first.result.explicit, x.id) if closed is None and index is None else None
    if closed is None and index is None and explicit is None:
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
    hessian = x == y and not first.of_shape and bool(x_shape)
    if closed is not None:
        again = Deriv(gradient or Name(find.of), x, whole.partial and not x_shape)
        space = Space((tuple(printed_shape(inner, x_shape)),))
        steps.append(Step("second_closed", (Relation((whole, again, closed.expr, space), ("=", "=", "∈")),),
                          {"identity": closed.identity, "rules": list(closed.rules), "by": x.id,
                           "of": find.of, "wrt": y.id, "column": gradient != first.result.closed}))
        if hessian:  # and the matrix form shows it
            steps.append(symmetry_step(ctx, find.of, x.id, x_shape, closed.expr))
        return _derivation(find, first, steps, inner, x_shape, closed.expr, index, None)
    if hessian:  # stated before the entries, which the answer shows
        steps.append(symmetry_step(ctx, find.of, x.id, x_shape, None))
    if index is not None:
        lhs = _entry_deriv(find.of, index, y.id, len(first.wrt_shape))
        ranges = [(i.name, str(i.dim)) for i in index.out_idx + index.wrt_idx]
        steps.append(Step("second_partials", (Relation((lhs, index.expr)),), {"by": x.id, "ranges": ranges}))
        if entries is not None:
            space = Space((tuple(printed_shape(inner, x_shape)),))
            steps.append(Step("second_closed", (Relation((whole, entries, space), ("=", "∈")),),
                              {"by": x.id, "entries": True, "kinds": list(kinds)}))
            return _derivation(find, first, steps, inner, x_shape, entries, index, None)
    elif explicit is not None:
        steps.append(Step("second_partials", (Relation((whole, _block(explicit))),),
                          {"by": x.id, "explicit": True}))
    return _derivation(find, first, steps, inner, x_shape, None, index, explicit)


def _derivation(find: Find, first: Derivation, steps: list[Step], inner: Shape, x_shape: Shape,
                closed: Expr | None, index: IndexForm | None, explicit: Explicit | None) -> Derivation:
    result = Result(
        shape=derivative_shape(inner, x_shape),
        printed=printed_shape(inner, x_shape),
        closed=closed,
        display=closed,
        index=index,
        explicit=explicit,
    )
    return Derivation(find.of, to_text(find.wrt[0]), first.of_shape, x_shape, tuple(steps), result,
                      method=first.method, first=first)


def _partial(problem: Problem, find: Find, x_shape: Shape) -> bool:
    """∂ rather than d: unless a scalar function of one scalar variable is differentiated twice by it."""
    from derivgen.problem.expr import names_in

    if find.wrt != find.first or x_shape:
        return True
    variables = {n for n in names_in(problem.expand(Name(find.of))) if problem.var(n) is not None}
    return variables != {find.wrt[0].id} if isinstance(find.wrt[0], Name) else True


def _array_layout(ctx: Ctx, closed: Expr | None, of_shape: Shape, wrt_shape: Shape) -> Expr | None:
    """The first derivative's closed form in array layout: a gradient row becomes the column ∇f."""
    if closed is None or has_literal(closed):  # entries written out: differentiated entry by entry
        return None
    if not of_shape and len(wrt_shape) == 1:
        return tidy_any(Transpose(closed), ctx)
    return closed


def second_explicit(ctx: Ctx, explicit: Explicit | None, wrt: str) -> Explicit | None:
    """The first derivative's explicit array differentiated entry by entry, by each component of ``wrt``
    (a scalar or a vector of known size)."""
    atoms = atoms_of(ctx, (Name(wrt),))
    if explicit is None or atoms is None:
        return None
    vector = bool(ctx.shapes[wrt])

    def entry(e: Expr) -> Explicit:
        partials = tuple(tidy_any(scalar_part(ctx, e, a).closed or Num(0), ctx) for a in atoms)
        return partials if vector else partials[0]

    def walk(x: Explicit) -> Explicit:
        return tuple(walk(item) for item in x) if isinstance(x, tuple) else entry(x)

    return walk(explicit)


def _block(explicit: Explicit) -> Math:
    """The array as the answer shows it: a vector as a column, a matrix, an order-3 array as its
    slices by the last index side by side."""
    if not isinstance(explicit, tuple):
        return explicit
    rows = [r for r in explicit if isinstance(r, tuple)]
    if len(rows) < len(explicit):
        return Block(tuple((_block(cell),) for cell in explicit))
    if all(isinstance(cell, tuple) for r in rows for cell in r):
        last = len(rows[0][0]) if isinstance(rows[0][0], tuple) else 0
        slices = tuple(Block(tuple(tuple(_block(_at(cell, k)) for cell in r) for r in rows))
                       for k in range(last))
        return Block((slices,))
    return Block(tuple(tuple(_block(cell) for cell in r) for r in rows))


def _at(cell: Explicit, k: int) -> Explicit:
    assert isinstance(cell, tuple)
    return cell[k]


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
    """The Hessian of a twice continuously differentiable scalar is symmetric: ∂²f/∂x_i∂x_j = ∂²f/∂x_j∂x_i
    (for a matrix X, ∂²f/∂X_kl∂X_ij = ∂²f/∂X_ij∂X_kl)."""
    letters = ("i", "j") if len(shape) == 1 else ("i", "j", "k", "l")
    idx = [Idx(c, shape[n % len(shape)]) for n, c in enumerate(letters)]
    half = len(shape)
    one, other = entry_of(wrt, tuple(idx[:half])), entry_of(wrt, tuple(idx[half:]))
    facts: dict[str, object] = {"of": of, "wrt": wrt}
    swapped = Relation((SecondDeriv(Name(of), other, one), SecondDeriv(Name(of), one, other)))
    math: tuple[Relation, ...] = (swapped,)
    if closed is not None and len(shape) == 1:
        facts["visible"] = tidy_any(Transpose(closed), ctx) == closed
        math += (Relation((Transpose(closed), closed)),)
    return Step("symmetry", math, facts)
