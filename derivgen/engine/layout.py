"""``layout: denominator``: the result in the Matrix Cookbook's and CS229's arrangement, one step on.

The engine derives in the lectures' numerator layout (of's axes first: the
gradient of a scalar by a vector is a row).  Denominator layout puts wrt's axes
first, so for arrays of at most two axes it is the transpose:

| derivative | numerator | denominator |
|---|---|---|
| scalar by vector | row ``1×N`` | column ``N`` (``∇_x f``) |
| vector by scalar | column ``M`` | row ``1×M`` |
| vector by vector | ``M×N`` (the Jacobian) | ``N×M`` |
| scalar by matrix, scalar by scalar, matrix by scalar | the shape of the matrix / a number | the same |

derivgen's numerator layout already writes a scalar by a matrix in the
matrix's shape (MML's convention), so nothing changes there.  For arrays of
three or four axes the Matrix Cookbook has no matrix form; the step says the
entries are the same and where each entry goes.  The step records what changes
and why as facts; the renderers write the words.
"""

from __future__ import annotations

from dataclasses import replace

from derivgen.derivation import (
    Block,
    Deriv,
    Derivation,
    Explicit,
    Math,
    Nabla,
    Relation,
    Space,
    Step,
    Transposed,
)
from derivgen.engine.chain import tidy_any
from derivgen.engine.context import Ctx
from derivgen.problem.expr import Expr, ListLit, Name, Shape, Transpose

#: The layout of the lectures; the only one the other routes derive in.
NUMERATOR = "numerator"
DENOMINATOR = "denominator"


def layout_change(of_shape: Shape, wrt_shape: Shape) -> str:
    """What denominator layout changes: ``none``, ``transpose`` (two axes or fewer) or ``axes``."""
    axes = len(of_shape) + len(wrt_shape)
    if axes > 2:
        return "axes"
    if len(of_shape) == 2 or len(wrt_shape) == 2 or axes == 0:
        return "none"
    return "transpose"


def denominator_shape(of_shape: Shape, wrt_shape: Shape) -> Shape:
    """The printed shape in denominator layout: ``(N,)`` for a scalar by a vector, ``(1, M)`` for a
    vector by a scalar, ``(N, M)`` for a vector by a vector; otherwise wrt's axes then of's."""
    if not of_shape and len(wrt_shape) == 1:
        return tuple(wrt_shape)
    if len(of_shape) == 1 and not wrt_shape:
        return (1, of_shape[0])
    return tuple(wrt_shape) + tuple(of_shape)


def in_layout(derivation: Derivation, layout: str, ctx: Ctx, wrt: Math) -> Derivation:
    """The derivation in ``layout``: unchanged for numerator, else one ``layout`` step on.

    ``wrt`` is what the derivative is taken by, as displayed (the variable, or ``(s, t)``).
    """
    if layout != DENOMINATOR:
        return derivation
    d = derivation
    change = layout_change(d.of_shape, d.wrt_shape)
    new_shape = denominator_shape(d.of_shape, d.wrt_shape)
    facts: dict[str, object] = {"change": change, "of": d.of, "wrt": d.wrt, "of_shape": d.of_shape,
                                "wrt_shape": d.wrt_shape, "denominator_shape": new_shape}
    whole = Deriv(Name(d.of), wrt)
    if change != "transpose":
        space = Space((tuple(d.of_shape), tuple(d.wrt_shape)), row=not d.of_shape and len(d.wrt_shape) == 1)
        rel = (Relation((whole, space), ("∈",)),)
        return replace(d, steps=d.steps + (Step("layout", rel, facts),))
    r = d.result
    closed = transpose(r.closed, ctx) if r.closed is not None else None
    display: Math | None
    if isinstance(r.display, Expr):
        display = transpose(r.display, ctx)
    elif r.display is not None:
        display = Transposed(r.display)
    elif closed is None and r.explicit is not None:
        display = explicit_block(transpose_explicit(r.explicit))
    else:
        display = None
    parts: list[Math] = [Nabla(Name(d.of), wrt)] if not d.of_shape else []
    parts.append(Transposed(whole))
    before = r.display if r.display is not None else r.closed
    if isinstance(before, Expr):
        parts.append(Transpose(before))
    shown = display if display is not None else closed
    if shown is not None:
        parts.append(shown)
    parts.append(Space((new_shape,)))
    ops = ("=",) * (len(parts) - 2) + ("∈",)
    step = Step("layout", (Relation(tuple(parts), ops),), facts)
    result = replace(r, printed=new_shape, closed=closed, display=display, layout=DENOMINATOR)
    return replace(d, steps=d.steps + (step,), result=result)


def transpose(e: Expr, ctx: Ctx) -> Expr:
    """``eᵀ`` tidied; a literal array (a Jacobian written out) transposed entry by entry."""
    if isinstance(e, ListLit):
        rows = [i.items if isinstance(i, ListLit) else None for i in e.items]
        if all(r is not None for r in rows):
            table = [r for r in rows if r is not None]
            if len(table) == 1:
                return ListLit(table[0])  # a row becomes a column
            return ListLit(tuple(ListLit(tuple(col)) for col in zip(*table, strict=True)))
        if not any(rows):
            return ListLit((e,))  # a column becomes a row
    return tidy_any(Transpose(e), ctx)


def transpose_explicit(x: Explicit) -> Explicit:
    """Nested tuples of two axes, rows and columns swapped (one axis or none: unchanged)."""
    if not isinstance(x, tuple) or not x or not isinstance(x[0], tuple):
        return x
    rows = [r for r in x if isinstance(r, tuple)]
    return tuple(zip(*rows, strict=True))


def explicit_block(x: Explicit) -> Math:
    """Nested tuples as a displayed matrix: a vector as a row (it is the transpose of a column)."""
    if not isinstance(x, tuple):
        return x
    if x and all(isinstance(r, tuple) for r in x):
        return Block(tuple(tuple(c for c in r if isinstance(c, Expr)) for r in x if isinstance(r, tuple)))
    return Block((tuple(c for c in x if isinstance(c, Expr)),))
