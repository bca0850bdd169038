"""The derivation routes for one expression with no composition left to unwind.

- ``scalar``: one scalar by one scalar, rule by rule (product, quotient, chain ...);
- ``atoms``: by components or by a tuple of scalars: partials collected into a
  gradient row, a Jacobian, or Figure 5.7's tensor for a concrete matrix;
- ``index``: arrays with symbolic sizes, in index notation, with the closed
  matrix form and the identity it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from derivgen.derivation import Block, Deriv, Explicit, Math, Product, Relation, Space, Step, Text, Tuple
from derivgen.engine.context import Ctx, DerivePart, Part
from derivgen.engine.index.route import explicit_slices, index_derivation
from derivgen.engine.index.to_index import IndexWriter, NotIndexable
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Num, Shape, Transpose, depth
from derivgen.problem.shapes import printed_shape

if TYPE_CHECKING:
    from derivgen.derivation import IndexNotation
    from derivgen.derivation.index_form import IndexForm
    from derivgen.engine.index.differentiate import NamedEntry
    from derivgen.engine.index.route import IndexDerivation
    from derivgen.engine.matrix.closed_form import ClosedForm


def wrt_math(wrt: tuple[Expr, ...]) -> Math:
    """What a derivative is taken by, as displayed: the one variable, or the tuple ``(s, t)``."""
    return wrt[0] if len(wrt) == 1 else Tuple(tuple(wrt))


def dimension_step(of: Expr, wrt: tuple[Expr, ...], of_shape: Shape, wrt_shape: Shape) -> Step:
    """The shape of the result, stated first: target dims × input dims."""
    space = Space((tuple(of_shape), tuple(wrt_shape)), row=not of_shape and len(wrt_shape) == 1)
    rels = [Relation((Deriv(of, wrt_math(wrt)), space), ("∈",))]
    facts: dict[str, object] = {"of_shape": of_shape, "wrt_shape": wrt_shape}
    if len(of_shape) >= 1 and len(wrt_shape) == 2 and isinstance(of, Name):
        from derivgen.derivation import Entry

        idx = ("i",) if len(of_shape) == 1 else ("p", "q")
        entry_by_wrt = Deriv(Entry(of.id, idx), wrt_math(wrt), True)
        rels.append(Relation((entry_by_wrt, Space(((1,), tuple(wrt_shape)))), ("∈",)))
        facts["slice"] = True
    return Step("dimension", tuple(rels), facts)


# --- scalar -----------------------------------------------------------------------------


def scalar_part(ctx: Ctx, expr: Expr, wrt: Expr) -> Part:
    from derivgen.engine.scalar.rules import differentiate

    expanded = ctx.problem_expand_calls(expr)
    partial = isinstance(wrt, Index) or _has_other_scalars(ctx, expanded, wrt)
    rewrite, d = by_scalar_rules(ctx, expanded, lambda e: differentiate(e, wrt, partial=partial))
    return Part([*rewrite, *d.steps], closed=d.result, explicit=d.result)


R = TypeVar("R")


def by_scalar_rules(ctx: Ctx, e: Expr, rules: Callable[[Expr], R]) -> tuple[list[Step], R]:
    """``rules(e)``; where the scalar rules refuse ``tr``, ``det`` or a product of literal
    matrices, the matrix operations are first carried out entry by entry (a ``rewrite`` step)."""
    from derivgen.engine.context import has_literal
    from derivgen.engine.multiply_out import multiplied_out
    from derivgen.errors import DerivationError

    try:
        return [], rules(e)
    except DerivationError:
        literal = has_literal(e)
        concrete = literal or _array_function(e)
        written = multiplied_out(e, ctx.shapes, ctx.problem.sizes) if concrete else None
        if written is None or written == e:
            raise
    reason = "multiply_out" if literal else "write_out"  # logsumexp(z) of a concrete z: its entries
    return [Step("rewrite", (Relation((e, written)),), {"reason": reason})], rules(written)


def _array_function(e: Expr) -> bool:
    """``logsumexp(z) - z[2]``, ``softmax(z)[1]``: a function of a whole vector among components, which
    the scalar rules take once it is written out entry by entry (z of a concrete size)."""
    from derivgen.problem.expr import children

    if isinstance(e, Call) and e.func in ("softmax", "logsumexp", "sum"):
        return True
    return any(_array_function(c) for c in children(e))


def _has_other_scalars(ctx: Ctx, e: Expr, wrt: Expr) -> bool:
    from derivgen.problem.expr import names_in

    wname = wrt.id if isinstance(wrt, Name) else None
    return any(n != wname and n in ctx.shapes for n in names_in(e))


# --- components / tuples / literals ------------------------------------------------------


def atoms_of(ctx: Ctx, wrt: tuple[Expr, ...]) -> tuple[Expr, ...] | None:
    """The scalars to differentiate by: x[1..n] for a concrete vector x, or the tuple itself."""
    if len(wrt) > 1 or isinstance(wrt[0], Index):
        return wrt
    w = wrt[0]
    assert isinstance(w, Name)
    s = ctx.shapes[w.id]
    if len(s) == 1:
        n = s[0] if isinstance(s[0], int) else ctx.problem.sizes.get(str(s[0]))
        if n is None:
            return None
        return tuple(Index(w, (k,)) for k in range(1, int(n) + 1))
    return (w,) if not s else None


def literal_entries(ctx: Ctx, expr: Expr) -> ListLit | None:
    """The entries of a concretely sized vector or matrix, as a literal.

    A literal is taken as written; anything else (``[[1, 2], [3, 4]] @ x``) is
    written out entry by entry through its index form.
    """
    from derivgen.engine.index.concrete import concrete_expr

    e = ctx.problem_expand_calls(expr)
    if isinstance(e, ListLit):
        return e
    shape = ctx.shape(e)
    dims = [d if isinstance(d, int) else ctx.problem.sizes.get(str(d)) for d in shape]
    known = [int(d) for d in dims if d is not None]
    if not shape or len(known) < len(dims):
        return None
    writer = IndexWriter(ctx.env)
    sizes = dict(ctx.problem.sizes)
    if len(shape) == 1:
        return ListLit(tuple(concrete_expr(writer.write(e, (i,)), sizes) for i in range(1, known[0] + 1)))
    return ListLit(tuple(
        ListLit(tuple(concrete_expr(writer.write(e, (i, j)), sizes) for j in range(1, known[1] + 1)))
        for i in range(1, known[0] + 1)
    ))


def atoms_part(ctx: Ctx, of: str, expr: Expr, wrt: tuple[Expr, ...], atoms: tuple[Expr, ...]) -> Part:
    """Partials by each scalar, collected: a gradient row, a Jacobian, or a tensor (Figure 5.7)."""
    from derivgen.engine.explicit import array_by_vector, jacobian
    from derivgen.engine.scalar.rules import partials_and_gradient

    of_shape = ctx.shape(expr)
    scalar_wrt = single_scalar_wrt(ctx, wrt)
    if not of_shape:
        expanded = ctx.problem_expand_calls(expr)
        rewrite, g = by_scalar_rules(ctx, expanded, lambda e: partials_and_gradient(e, atoms))
        row = tuple(g.results)
        if scalar_wrt:
            return Part([*rewrite, *g.steps], closed=row[0], explicit=row[0])
        return Part([*rewrite, *g.steps], closed=ListLit((ListLit(row),)), explicit=row)
    lit = literal_entries(ctx, expr)
    if lit is None:
        raise NotIndexable("no literal entries")
    wrt_name = _wrt_name(wrt)
    if len(of_shape) == 1:
        j = jacobian(tuple(lit.items), of, atoms, wrt_name)
        rows = tuple(tuple(r) for r in j.entries)
        if scalar_wrt:
            column = tuple(r[0] for r in rows)
            return Part(list(j.steps), closed=ListLit(column), explicit=column)
        return Part(list(j.steps), closed=ListLit(tuple(ListLit(r) for r in rows)), explicit=rows)
    matrix = tuple(_row_items(r) for r in lit.items)
    _check_entry_depth(of, wrt, matrix)
    routes = ("partials", "vec") if "vec" in ctx.want else ("partials",)
    a = array_by_vector(matrix, of, atoms, wrt_name, routes=routes)
    entries = a.entries
    if scalar_wrt:
        # A matrix by a scalar is a matrix again: it has a closed (literal) form.
        entries = tuple(tuple(cell[0] for cell in row) for row in entries)
        steps = [s for s in a.steps if s.kind != "collate"]  # one slice is the whole answer
        return Part(steps, closed=ListLit(tuple(ListLit(r) for r in entries)), explicit=entries)
    return Part(list(a.steps), closed=None, explicit=entries)


def _row_items(row: Expr) -> tuple[Expr, ...]:
    """The entries of one row of a matrix literal."""
    assert isinstance(row, ListLit)
    return row.items


def _check_entry_depth(of: str, wrt: tuple[Expr, ...], matrix: tuple[tuple[Expr, ...], ...]) -> None:
    """Refuse, saying why, an entry too long for the rules' step-by-step walk."""
    from derivgen.engine.scalar.rules import MAX_DEPTH
    from derivgen.errors import LimitError

    for p, row in enumerate(matrix, 1):
        for q, entry in enumerate(row, 1):
            if depth(entry) > MAX_DEPTH:
                raise LimitError(
                    f"written out entry by entry, {of}[{p}, {q}] is nested deeper than the {MAX_DEPTH} "
                    f"levels the step-by-step rules take; give smaller sizes"
                    + "".join(f", or ask for d{of}/d{w.base.id} (index notation)"
                              for w in wrt[:1] if isinstance(w, Index) and isinstance(w.base, Name)))


def single_scalar_wrt(ctx: Ctx, wrt: tuple[Expr, ...]) -> bool:
    """d/dt or d/dx[2]: the wrt part of the array layout is empty."""
    if len(wrt) != 1:
        return False
    w = wrt[0]
    return isinstance(w, Index) or (isinstance(w, Name) and not ctx.shapes.get(w.id))


def _wrt_name(wrt: tuple[Expr, ...]) -> str:
    from derivgen.problem.text import to_text

    w = wrt[0]
    if len(wrt) == 1 and isinstance(w, Name):
        return w.id
    if len(wrt) == 1 and isinstance(w, Index) and isinstance(w.base, Name):
        return w.base.id
    return "(" + ", ".join(to_text(a) for a in wrt) + ")"


# --- index notation + closed form ------------------------------------------------------------


def rewrite_norm_squared(e: Expr, ctx: Ctx) -> Expr:
    """‖e‖² = eᵀe (vectors) or tr(EᵀE) (matrices): the form the lectures differentiate."""
    if (isinstance(e, BinOp) and e.op == "^" and e.right == Num(2)
            and isinstance(e.left, Call) and e.left.func == "norm"):
        a = e.left.args[0]
        if len(ctx.shape(a)) == 1:
            return BinOp("@", Transpose(a), a)
    if isinstance(e, BinOp):
        return BinOp(e.op, rewrite_norm_squared(e.left, ctx), rewrite_norm_squared(e.right, ctx))
    return e


def closed_of(ctx: Ctx, body: Expr, wrt: str) -> ClosedForm | None:
    """``d body / d wrt`` as a closed matrix form (or None), worked out once per context."""
    from derivgen.engine.matrix.closed_form import closed_derivative

    return ctx.once(("closed", body, wrt), lambda: closed_derivative(body, wrt, ctx.env, ctx.assume))


def index_derivation_of(ctx: Ctx, of: str, body: Expr, wrt: str) -> IndexDerivation:
    """The index-notation steps and entry formula of ``∂of/∂wrt``, worked out once per context."""
    return ctx.once(("index", of, body, wrt), lambda: index_derivation(
        of, body, wrt, IndexWriter(ctx.env), ctx.names(), ctx.problem.sizes, ctx.want, named_softmax(ctx)))


def named_index(ctx: Ctx, form: IndexNotation) -> IndexForm | None:
    """The index result written with the problem's named softmax p (δ_ik p_i x_q − p_i p_k x_q), for
    display; None when it has none."""
    from derivgen.derivation.index_form import IndexForm
    from derivgen.engine.index.differentiate import fold_named

    named = named_softmax(ctx)
    if not named or not isinstance(form, IndexForm):
        return None
    folded = fold_named(form.expr, named)
    return IndexForm(form.of, form.wrt, form.out_idx, form.wrt_idx, folded) if folded != form.expr else None


def named_softmax(ctx: Ctx) -> tuple[NamedEntry, ...]:
    """Each define ``p := softmax(u)``, with u's entry written as this context writes it (the
    intermediates of a chain rule kept as names, and in the given variables)."""
    from derivgen.derivation.index_form import Idx
    from derivgen.engine.index.differentiate import NamedEntry
    from derivgen.errors import DerivgenError
    from derivgen.problem.functions import axis_of

    out: list[NamedEntry] = []
    for d in ctx.problem.define:
        if d.params or not (isinstance(d.expr, Call) and d.expr.func == "softmax"):
            continue
        arg, axis = d.expr.args[0], axis_of(d.expr)
        for u in dict.fromkeys((ctx.problem_expand_calls(arg), ctx.full_expand(arg))):
            try:
                writer = IndexWriter(ctx.env)
                shape = writer.shape(u)
                if len(shape) == 1:
                    k = Idx("~k", shape[0])  # names no writer makes
                    out.append(NamedEntry(d.name, k, writer.write(u, (k,))))
                elif axis is not None:
                    k, line = Idx("~k", shape[axis]), Idx("~a", shape[1 - axis])
                    at = (line, k) if axis == 1 else (k, line)
                    out.append(NamedEntry(d.name, k, writer.write(u, at), line, axis))
            except (NotIndexable, DerivgenError, KeyError, IndexError):
                continue
    return tuple(out)


def index_form_of(ctx: Ctx, of: str, expr: Expr, wrt: str) -> IndexForm:
    """The entry formula of ``∂of/∂wrt`` alone: what :func:`index_part` finds, without its steps and
    closed form."""
    body = ctx.problem_expand_calls(expr)
    return index_derivation_of(ctx, of, rewrite_norm_squared(body, ctx), wrt).form


def index_part(ctx: Ctx, of: str, expr: Expr, wrt: str) -> Part:
    """Index notation, partials (cases, stacking, collation) and the closed form."""
    steps: list[Step] = []
    body = ctx.problem_expand_calls(expr)
    rewritten = rewrite_norm_squared(body, ctx)
    if rewritten != body:
        steps.append(Step("rewrite", (Relation((body, rewritten)),), {"reason": "norm_squared"}))
        body = rewritten
    idx = index_derivation_of(ctx, of, body, wrt)
    shown = [s for s in idx.steps if _wanted(s.kind, ctx.want)]
    steps.extend(shown)
    explicit: Explicit | None = None
    of_shape, wrt_shape = ctx.shape(body), ctx.shapes[wrt]
    if ctx.problem.sizes and of_shape and wrt_shape and "explicit" in ctx.want:
        explicit = explicit_slices(idx.form, ctx.problem.sizes)
        if explicit is not None:
            steps.append(Step("explicit", (Relation((Deriv(Name(of), Name(wrt)), _explicit_math(explicit))),),
                              {"sizes": dict(ctx.problem.sizes)}))
    closed = closed_of(ctx, body, wrt)
    if closed is None and "closed" in ctx.want:
        steps.extend(tensor_identity_steps(ctx, body, wrt, idx.form))
    if closed is not None and "closed" in ctx.want:
        facts = {"identity": closed.identity, "rules": list(closed.rules), "notes": list(closed.notes)}
        space = Space((tuple(printed_shape(of_shape, wrt_shape)),))
        closed_math = Relation((Deriv(Name(of), Name(wrt)), closed.expr, space), ("=", "∈"))
        steps.append(Step("closed_form", (closed_math,), facts))
    return Part(steps, closed=closed.expr if closed else None, index=idx.form, explicit=explicit)


def _wanted(kind: str, want: frozenset[str]) -> bool:
    key = {"index_notation": "index"}.get(kind, kind)
    return key in want


def _explicit_math(explicit: Explicit) -> Math:
    """Explicit array as nested blocks: a vector of matrices shows each slice."""

    def block(x: Explicit) -> Math:
        if isinstance(x, tuple) and x and isinstance(x[0], tuple) and x[0] and isinstance(x[0][0], tuple):
            return Block(tuple((block(s),) for s in x))
        if isinstance(x, tuple) and x and isinstance(x[0], tuple):
            return Block(tuple(_cells(r) for r in x))
        if isinstance(x, tuple):
            return Block((_cells(x),))
        return x

    return block(explicit)


def _cells(row: Explicit) -> tuple[Expr, ...]:
    """A row of an explicit array: its scalar entries."""
    assert isinstance(row, tuple)
    cells = tuple(c for c in row if isinstance(c, Expr))
    assert len(cells) == len(row)
    return cells


def tensor_identity_steps(ctx: Ctx, body: Expr, wrt: str, form: IndexForm) -> list[Step]:
    """Cite (5.99) or (5.102) for a tensor result, and justify (5.102) when asked."""
    from derivgen.problem.expr import names_in

    if isinstance(body, Transpose) and wrt in names_in(body.arg):
        return [Step("closed_form", (Relation((form,)),), {"identity": "5.99", "tensor": True})]
    if isinstance(body, Call) and body.func == "inv" and wrt in names_in(body.args[0]):
        steps = [Step("closed_form", (Relation((form,)),), {"identity": "5.102", "tensor": True})]
        if "justify" in ctx.want:
            steps.append(justify_inverse(Name(wrt), body.args[0]))
        return steps
    return []


def justify_inverse(X: Expr, F: Expr) -> Step:
    """(5.102) from differentiating f(X)⁻¹ f(X) = I with the product rule."""

    finv = Call("inv", (F,))
    d_inv, d_f = Deriv(finv, X, True), Deriv(F, X, True)
    eye = Call("eye", (Num(1),))
    r1 = Relation((Num(0), Deriv(eye, X, True), Deriv(BinOp("@", finv, F), X, True),
                   Product((d_inv, F, _plus(), finv, d_f))))
    r2 = Relation((d_inv, Product((_minus(), finv, d_f, finv))))
    return Step("justify", (r1, r2), {"identity": "5.102", "rule": "product"})


def _plus() -> Text:
    return Text("+")


def _minus() -> Text:
    return Text("−")


# --- a component by way of the whole variable ------------------------------------------------


def entry_of_whole(ctx: Ctx, of: str, expr: Expr, comp: Index, derive_part: DerivePart) -> Part | None:
    """∂L/∂X_ij for a scalar L the scalar rules cannot take (``tr``, ``det``, ``@``...).

    The whole gradient dL/dX is worked out by its own route (closed form or
    index notation), then its (i, j) entry is read off; None if that fails too.
    """
    from derivgen.engine.index.route import EntryOf
    from derivgen.errors import DerivationError

    base = comp.base
    if not isinstance(base, Name) or base.id not in ctx.shapes:
        return None
    shape = tuple(ctx.shapes[base.id])
    if len(shape) != len(comp.indices):
        return None
    if ctx.shape(expr):
        return _slice_of_whole(ctx, of, expr, comp, base, derive_part)
    try:
        whole = derive_part(ctx, of, expr, (base,), shape)
        value = _entry_value(ctx, whole, comp.indices)
    except (DerivationError, NotIndexable):
        return None
    if value is None:
        return None
    lhs = Deriv(Name(of), comp, partial=True)
    entry = EntryOf(Deriv(Name(of), base), tuple(str(i) for i in comp.indices))
    plan = Step("entry", (Relation((lhs, entry), ("=",)),), {"phase": "plan", "whole": base.id})
    read = Step("entry", (Relation((lhs, entry, value), ("=", "=")),), {"phase": "read"})
    dimension = dimension_step(Name(of), (base,), (), shape)
    dimension = Step("dimension", dimension.math, {**dimension.facts, "wrt": base.id, "whole": True})
    steps = [plan, dimension, *whole.steps, read]
    return Part(steps, closed=value, explicit=value)


def _entry_value(ctx: Ctx, whole: Part, indices: tuple[int, ...]) -> Expr | None:
    """Entry ``indices`` of the whole gradient: of its closed form, else of its index form."""
    if whole.closed is not None:
        shape = ctx.shape(whole.closed)
        if len(shape) == len(indices) + 1 and shape[0] == 1:  # a gradient row 1×N
            return Index(whole.closed, (1, *indices))
        return Index(whole.closed, indices) if len(shape) == len(indices) else None
    if whole.index is None or any(str(d) not in ctx.problem.sizes and not isinstance(d, int)
                                  for d in (i.dim for i in whole.index.wrt_idx)):
        return None
    from derivgen.derivation.index_form import subst_index
    from derivgen.engine.index.concrete import concrete_expr
    from derivgen.engine.index.differentiate import contract

    x = whole.index.expr
    for ax, v in zip(whole.index.wrt_idx, indices, strict=True):
        x = subst_index(x, ax, v)
    try:
        return concrete_expr(contract(x), dict(ctx.problem.sizes))
    except (KeyError, ValueError):
        return None


def _slice_of_whole(ctx: Ctx, of: str, expr: Expr, comp: Index, base: Name,
                    derive_part: DerivePart) -> Part | None:
    """∂F/∂X_ij for a vector or matrix F: the whole dF/dX in index notation, at the input entry (i, j).

    The slice is an entry formula in F's indices (``∂F_pq/∂X_21 = −(X⁻¹)_p2 (X⁻¹)_1q``) and, where
    F's sizes are known, the array of F's shape it fills."""
    from derivgen.derivation.index_form import IndexForm, subst_index
    from derivgen.engine.index.differentiate import contract
    from derivgen.engine.index.route import EntryOf
    from derivgen.errors import DerivationError

    shape = tuple(ctx.shapes[base.id])
    try:
        whole = derive_part(ctx, of, expr, (base,), shape)
    except (DerivationError, NotIndexable):
        return None
    form = whole.index
    if not isinstance(form, IndexForm) or len(form.wrt_idx) != len(comp.indices):
        return None
    x = form.expr
    for ax, v in zip(form.wrt_idx, comp.indices, strict=True):
        x = subst_index(x, ax, v)
    sliced = IndexForm(of, base.id, form.out_idx, (), contract(x), at=comp.indices)
    indices = tuple(i.name for i in form.out_idx) + tuple(map(str, comp.indices))
    whole_entry = EntryOf(Deriv(Name(of), base), indices)
    plan = Step("entry", (Relation((sliced.lhs(), whole_entry), ("=",)),),
                {"phase": "plan", "whole": base.id, "slice": True})
    dimension = dimension_step(Name(of), (base,), ctx.shape(expr), shape)
    dimension = Step("dimension", dimension.math, {**dimension.facts, "wrt": base.id, "whole": True})
    value = _slice_entries(ctx, sliced)
    read_math = [Relation((sliced,))]
    if value is not None:
        read_math.append(Relation((Deriv(Name(of), comp, partial=True), _explicit_math(value))))
    read = Step("entry", tuple(read_math), {"phase": "read", "slice": True})
    return Part([plan, dimension, *whole.steps, read], index=sliced, explicit=value)


def _slice_entries(ctx: Ctx, form: IndexForm) -> Explicit | None:
    """The slice's entries at concrete sizes: a column of scalars or rows of them; None for symbolic sizes."""
    from derivgen.derivation.index_form import subst_index
    from derivgen.engine.index.concrete import concrete_expr
    from derivgen.engine.index.differentiate import contract

    sizes = dict(ctx.problem.sizes)
    dims = [d if isinstance(d, int) else sizes.get(str(d)) for d in (i.dim for i in form.out_idx)]
    if any(d is None for d in dims):
        return None

    def entry(at: tuple[int, ...]) -> Expr:
        x = form.expr
        for ax, v in zip(form.out_idx, at, strict=True):
            x = subst_index(x, ax, v)
        return concrete_expr(contract(x), sizes)

    n = [int(d) for d in dims if d is not None]
    if len(n) == 1:
        return tuple(entry((i,)) for i in range(1, n[0] + 1))
    return tuple(tuple(entry((i, j)) for j in range(1, n[1] + 1)) for i in range(1, n[0] + 1))

