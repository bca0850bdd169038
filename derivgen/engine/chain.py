"""The chain rule through ``define``: dL/dθ = ∂L/∂e ∂e/∂θ, shapes under each factor.

Each factor is derived in turn (by whatever route fits it), then the factors
are multiplied out: as matrices when every factor has a closed form, entry by
entry when they are explicit arrays, and in index notation (summing over the
grouped indices, as seed 004 teaches) when a factor is a tensor.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from derivgen.derivation import (
    Deriv,
    Entry,
    EntryOf,
    Math,
    Product,
    Relation,
    Space,
    Step,
    SumEntries,
    Text,
    Under,
)
from derivgen.derivation.index_form import (
    Idx,
    IExpr,
    IndexForm,
    fresh_dummies,
    mul,
    prettify,
    subst_index,
    summed,
)
from derivgen.engine.context import Ctx, DerivePart, Part
from derivgen.engine.index.concrete import concrete_expr
from derivgen.engine.index.differentiate import contract
from derivgen.engine.index.to_index import IndexWriter
from derivgen.errors import DerivationError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Dim,
    Expr,
    Index,
    ListLit,
    Name,
    Num,
    Shape,
    Transpose,
    map_children,
    names_in,
    substitute,
)
from derivgen.problem.shapes import printed_shape


@dataclass(frozen=True)
class Link:
    """One intermediate of a composition: its name, definition and shape."""

    name: str
    """The intermediate (a define, or a function's parameter)."""
    definition: Expr
    """What it stands for, in the outer context's names."""
    shape: Shape
    """Its shape."""


def chain_links(ctx: Ctx, expr: Expr, wrt: tuple[Expr, ...]) -> tuple[Expr, list[Link], Ctx] | None:
    """The outer expression, the intermediates that carry the dependence on wrt, and the inner context."""
    wnames = {_base(w) for w in wrt}
    if isinstance(expr, Call) and ctx.problem.definition(expr.func) is not None:
        d = ctx.problem.definition(expr.func)
        assert d is not None
        links: list[Link] = []
        fixed: dict[str, Expr] = {}
        for p, a in zip(d.params, expr.args, strict=True):
            if any(ctx.depends(a, w) for w in wnames) and not (isinstance(a, Name) and a.id in wnames):
                name = p if p not in ctx.shapes else p + "_"
                links.append(Link(name, a, ctx.shape(a)))
                fixed[p] = Name(name)
            else:
                fixed[p] = a
        if not links:
            return None
        outer = substitute(d.expr, fixed)
        inner = ctx
        for link in links:
            inner = inner.with_var(link.name, link.shape, link.definition)
        return outer, links, inner
    names = [n for n in ctx.defines_in(expr) if any(ctx.depends(Name(n), w) for w in wnames)]
    if not names:
        return None
    links = [Link(n, ctx.problem.body(n), ctx.shape(Name(n))) for n in names]
    inner = ctx
    for link in links:
        inner = inner.with_var(link.name, link.shape, link.definition)
    return expr, links, inner


def _base(w: Expr) -> str:
    if isinstance(w, Index) and isinstance(w.base, Name):
        return w.base.id
    assert isinstance(w, Name)
    return w.id


def chain_part(
    ctx: Ctx, of: str, expr: Expr, wrt: tuple[Expr, ...], derive_part: DerivePart, wrt_shape: Shape
) -> Part:
    found = chain_links(ctx, expr, wrt)
    assert found is not None
    outer, links, inner = found
    from derivgen.engine.routes import wrt_math

    of_shape = ctx.shape(expr)
    w = wrt_math(wrt)
    defs = [Relation((Name(link.name), link.definition), (":=",)) for link in links]
    products: list[Math] = []
    for n, link in enumerate(links):
        if n:
            products.append(Text("+"))
        if len(link.shape) == 2:
            # Through a matrix the factors are not multiplied as matrices: sum over its entries.
            jk = ("j", "k")
            products.append(SumEntries(jk, Product((Deriv(Name(of), Entry(link.name, jk), True),
                                                 Deriv(Entry(link.name, jk), w, True)))))
            continue
        products.append(Under(Deriv(Name(of), Name(link.name), True), printed_shape(of_shape, link.shape)))
        products.append(Under(Deriv(Name(link.name), w, True), printed_shape(link.shape, wrt_shape)))
    steps = [Step("chain_rule", tuple(defs) + (Relation((Deriv(Name(of), w), Product(tuple(products)))),),
                  {"via": [link.name for link in links]})]
    pairs: list[tuple[Link, Part, Part]] = []
    for link in links:
        a = derive_part(inner, of, outer, (Name(link.name),), link.shape)
        b = in_intermediate(derive_part(ctx, link.name, link.definition, wrt, wrt_shape), link)
        steps.append(_factor_step(of, f"d{of}/d{link.name}", a, of_shape, link.shape, Name(link.name)))
        steps.append(_factor_step(link.name, f"d{link.name}/d{_wrt_text(wrt)}", b, link.shape, wrt_shape, w))
        pairs.append((link, a, b))
    direct = None
    if any(_base(x) in names_in(outer) for x in wrt):
        direct = derive_part(inner, of, outer, wrt, wrt_shape)
    closed = [(link, a.closed, b.closed) for link, a, b in pairs
              if a.closed is not None and b.closed is not None]
    if len(closed) == len(pairs) and (direct is None or direct.closed is not None):
        terms = [t for link, ca, cb in closed
                 if (t := times(ca, cb, of_shape, link.shape, wrt_shape, inner)) is not None]
        if len(terms) == len(closed):
            direct_closed = direct.closed if direct is not None else None
            return _multiply_closed(ctx, inner, of, w, closed, terms, direct_closed, steps, of_shape,
                                    wrt_shape)
    indexed = [(a.index, b.index) for _, a, b in pairs if a.index is not None and b.index is not None]
    if len(indexed) == len(pairs) and (direct is None or direct.index is not None):
        return _multiply_index(ctx, inner, of, indexed, direct.index if direct is not None else None, steps)
    raise DerivationError(
        f"cannot combine the chain-rule factors of d{of}/d{_wrt_text(wrt)}: "
        "a factor has neither a closed form nor an index form"
    )


#: Intermediates whose factor is written in their own name, as the lectures write ∂p/∂z = diag(p) − ppᵀ
#: for p = softmax(z) (the other factors keep the definition written out, as the bank's pages do).
NAMED_IN_FACTOR = ("softmax",)


def in_intermediate(part: Part, link: Link) -> Part:
    """The factor ∂link/∂x with the link's definition written as its name: diag(p) − ppᵀ."""
    d = link.definition
    if part.closed is None or not (isinstance(d, Call) and d.func in NAMED_IN_FACTOR):
        return part
    return Part(part.steps, _replace_expr(part.closed, d, Name(link.name)), part.index, part.explicit)


def _replace_expr(e: Expr, old: Expr, new: Expr) -> Expr:
    return new if e == old else map_children(e, lambda c: _replace_expr(c, old, new))


def _wrt_text(wrt: tuple[Expr, ...]) -> str:
    from derivgen.problem.text import to_text

    return ", ".join(to_text(w) for w in wrt)


def _factor_step(of: str, label: str, part: Part, of_shape: Shape, wrt_shape: Shape, w: Math) -> Step:
    space = Space((tuple(of_shape), tuple(wrt_shape)), row=not of_shape and len(wrt_shape) == 1)
    if part.closed is not None:
        rel = Relation((Deriv(Name(of), w, True), part.closed, space), ("=", "∈"))
    elif part.index is not None:
        rel = Relation((part.index,))
    else:
        rel = Relation((Deriv(Name(of), w, True), space), ("∈",))
    return Step("factor", (rel,), {"factor": label, "symbol": Deriv(Name(of), w, True)}, tuple(part.steps))


# --- multiplying out ---------------------------------------------------------------------


def _is_literal(e: Expr) -> bool:
    return isinstance(e, ListLit)


def times(a: Expr, b: Expr, of_shape: Shape, mid: Shape, wrt_shape: Shape, ctx: Ctx) -> Expr | None:
    """The product of two chain-rule factors in lecture layout; None when it is a tensor contraction.

    Through a matrix V, a scalar by a scalar is Σ_jk ∂f/∂V_jk ∂V_jk/∂t: both
    factors have V's shape, and the sum is the entrywise product summed.
    """
    from derivgen.engine.routes import literal_entries

    if not mid:
        if of_shape and wrt_shape:
            # Through a scalar e, an array by an array is the outer product of ∂f/∂e and ∂e/∂x:
            # a column times a row for a vector by a vector, a tensor (no closed form) otherwise.
            return BinOp("@", a, b) if len(of_shape) == 1 and len(wrt_shape) == 1 else None
        return BinOp("*", a, b)
    if len(mid) == 2:
        if of_shape or wrt_shape:
            return None
        if _is_literal(a) or _is_literal(b):
            la, lb = literal_entries(ctx, a), literal_entries(ctx, b)
            if la is None or lb is None:
                return None
            return _frobenius(la, lb)
        return Call("tr", (BinOp("@", Transpose(a), b),))
    if _is_literal(a) or _is_literal(b):
        la, lb = literal_entries(ctx, a), literal_entries(ctx, b)
        if la is None or lb is None:
            return None
        return explicit_matmul(la, lb)
    return BinOp("@", a, b)


def _frobenius(a: ListLit, b: ListLit) -> Expr:
    from derivgen.problem.expr import add as add_
    from derivgen.problem.expr import mul as mul_

    acc: Expr | None = None
    for ra, rb in zip(a.items, b.items, strict=True):  # both have the shape of the matrix summed over
        assert isinstance(ra, ListLit) and isinstance(rb, ListLit)
        for x, y in zip(ra.items, rb.items, strict=True):
            acc = mul_(x, y) if acc is None else add_(acc, mul_(x, y))
    assert acc is not None
    return acc


def _rows(e: Expr) -> list[list[Expr]]:
    """A literal as rows: [[a, b]] is 1×2, [a, b] is a 2×1 column."""
    assert isinstance(e, ListLit)
    if all(isinstance(r, ListLit) for r in e.items):
        return [list(r.items) for r in e.items if isinstance(r, ListLit)]
    return [[x] for x in e.items]


def explicit_matmul(a: Expr, b: Expr) -> Expr:
    from derivgen.problem.expr import add as add_
    from derivgen.problem.expr import mul as mul_

    ra, rb = _rows(a), _rows(b)
    out = []
    for row in ra:
        cells = []
        for j in range(len(rb[0])):
            acc: Expr | None = None
            for k, x in enumerate(row):
                term = mul_(x, rb[k][j])
                acc = term if acc is None else add_(acc, term)
            assert acc is not None
            cells.append(acc)
        out.append(cells)
    if len(out) == 1 and len(out[0]) == 1:
        return out[0][0]
    if len(out[0]) == 1:
        return ListLit(tuple(r[0] for r in out))
    return ListLit(tuple(ListLit(tuple(r)) for r in out))


def tidy_any(e: Expr, ctx: Ctx) -> Expr:
    """Tidy a result: scalar algebra entrywise for explicit forms, matrix algebra otherwise.

    Worked out once per context: a result tidied by the chain rule is not tidied again.
    """
    return ctx.once(("tidy", e), lambda: _tidy_any(e, ctx))


def _tidy_any(e: Expr, ctx: Ctx) -> Expr:
    from derivgen.engine.matrix.closed_form import tidy
    from derivgen.engine.scalar.symbolic import simplify_scalar

    e = resolve_literal_index(e)
    if isinstance(e, ListLit):
        return ListLit(tuple(tidy_any(x, ctx) for x in e.items))
    if isinstance(e, Index) and not isinstance(e.base, Name):
        return Index(tidy_any(e.base, ctx), e.indices)  # an entry of an array: tidy the array
    if _scalar_only(e, ctx):
        return simplify_scalar(e)
    return tidy(e, ctx.env, ctx.assume)


def _scalar_only(e: Expr, ctx: Ctx) -> bool:
    from derivgen.problem.expr import children

    if isinstance(e, Name):
        return not ctx.shapes.get(e.id)
    if isinstance(e, Index):
        return True
    if isinstance(e, BinOp) and e.op == "@":
        return False
    if isinstance(e, Call) and e.func in ("inv", "det", "tr", "norm", "sum", "diag", "eye", "ones", "zeros"):
        return False
    return all(_scalar_only(c, ctx) for c in children(e))


def resolve_literal_index(e: Expr) -> Expr:
    """``[a, b][2]`` is ``b``: what substituting a literal for a name leaves behind."""
    if isinstance(e, Index):
        base = resolve_literal_index(e.base)
        if isinstance(base, ListLit):
            item: Expr = base
            for i in e.indices:
                assert isinstance(item, ListLit)
                item = item.items[i - 1]
            return resolve_literal_index(item)
        return Index(base, e.indices)
    return map_children(e, resolve_literal_index)


def _multiply_closed(
    ctx: Ctx, inner: Ctx, of: str, w: Math, pairs: list[tuple[Link, Expr, Expr]], products: list[Expr],
    direct: Expr | None, steps: list[Step], of_shape: Shape, wrt_shape: Shape,
) -> Part:
    """The factors' closed forms (``pairs``: each link's two) multiplied (``products``) and summed."""
    total: Expr | None = None
    shown: list[Math] = []
    for n, ((link, a, b), term) in enumerate(zip(pairs, products, strict=True)):
        total = term if total is None else BinOp("+", total, term)
        if n:
            shown.append(Text("+"))
        if len(link.shape) == 2:
            jk = ("j", "k")
            shown.append(SumEntries(jk, Product((EntryOf(a, jk), EntryOf(b, jk)))))
            continue
        shown.extend([Under(a, printed_shape(of_shape, link.shape)),
                      Under(b, printed_shape(link.shape, wrt_shape))])
    assert total is not None
    if direct is not None:
        shown.extend([Text("+"), direct])
        total = BinOp("+", total, direct)
    product = tidy_any(total, inner)
    written = _entries_written_out(inner, pairs) if direct is None and len(pairs) == 1 else None
    middle = (written,) if written is not None and written != product else ()
    facts: dict[str, object] = {}
    before, notes = _before_simplex(total, inner)
    if notes and before != product:
        middle, facts = (*middle, before), {"notes": notes}
    chain = (Deriv(Name(of), w), Product(tuple(shown)), *middle, product)
    steps.append(Step("multiply", (Relation(chain),), facts))
    expanded = tidy_any(inner.full_expand(product), ctx)
    if expanded != product:
        steps.append(Step("substitute", (Relation((Deriv(Name(of), w), product, expanded)),),
                          {"names": [link.name for link, _, _ in pairs]}))
    return Part(steps, closed=expanded)


def _before_simplex(total: Expr, ctx: Ctx) -> tuple[Expr, list[object]]:
    """The product tidied without 1ᵀy = 1 (−yᵀ + (1ᵀy)pᵀ), and the simplex facts the tidy one uses."""
    from derivgen.engine.matrix.normal_form import Unsupported, form
    from derivgen.engine.matrix.simplify import make_ctx, tidy

    simplex = {n for n, a in ctx.assume.items() if "simplex" in a}
    if not simplex:
        return total, []
    plain = {n: a - {"simplex"} for n, a in ctx.assume.items()}
    tidy_ctx = make_ctx(ctx.env, ctx.assume)
    try:
        form(total, tidy_ctx)
    except (Unsupported, ZeroDivisionError):
        return total, []
    return tidy(total, ctx.env, plain), list(tidy_ctx.notes)


#: A sum over a concrete matrix's entries is written out when it has at most this many terms.
MAX_WRITTEN_TERMS = 9


def _entries_written_out(ctx: Ctx, pairs: list[tuple[Link, Expr, Expr]]) -> Expr | None:
    """Σ_jk [∂f/∂A]_jk [∂A/∂θ]_jk term by term, for a small literal A(θ): the line where terms cancel
    (x₁x₂ cos θ − x₂x₁ cos θ) before the tidy result.  None for anything else."""
    [(link, a, b)] = pairs
    if len(link.shape) != 2 or not isinstance(b, ListLit) or not all(isinstance(r, ListLit) for r in b.items):
        return None
    rows = [r.items for r in b.items if isinstance(r, ListLit)]
    if len(rows) * len(rows[0]) > MAX_WRITTEN_TERMS:
        return None
    writer = IndexWriter(ctx.env)
    total: Expr | None = None
    try:
        for j, row in enumerate(rows, 1):
            for k, entry in enumerate(row, 1):
                if entry == Num(0):
                    continue
                term = BinOp("*", concrete_expr(writer.write(a, (j, k)), ctx.env.sizes), entry)
                total = term if total is None else BinOp("+", total, term)
    except (DerivationError, KeyError, ValueError):
        return None
    return total


def _rename(x: IExpr, old: tuple[Idx, ...], new: tuple[Idx, ...]) -> IExpr:
    """Rename indices through unique temporaries, so swapped names cannot collide."""
    temps = tuple(Idx(f"_r{n}", i.dim) for n, i in enumerate(old))
    for o, t in zip(old, temps, strict=True):
        x = subst_index(x, o, t)
    for t, n in zip(temps, new, strict=True):
        x = subst_index(x, t, n)
    return x


def _multiply_index(
    ctx: Ctx, inner: Ctx, of: str, pairs: list[tuple[IndexForm, IndexForm]], direct: IndexForm | None,
    steps: list[Step],
) -> Part:
    """∂of_I/∂wrt_K = Σ_m ∂of_I/∂v_m ∂v_m/∂wrt_K, deltas contracted (``pairs``: each link's two factors)."""

    total = IExpr(())
    raw = IExpr(())
    from derivgen.engine.index.route import choose_indices

    first_a, first_b = pairs[0]
    # The lecture's letters for the result (∂f/∂A_ij), whatever the factors used.
    out_idx, wrt_idx = choose_indices(tuple(i.dim for i in first_a.out_idx),
                                      tuple(i.dim for i in first_b.wrt_idx), ctx.names())
    out_tmp = tuple(Idx(f"_o{n}", i.dim) for n, i in enumerate(out_idx))
    wrt_tmp = tuple(Idx(f"_w{n}", i.dim) for n, i in enumerate(wrt_idx))
    counter = itertools.count()

    def fresh(dim: Dim) -> Idx:
        return Idx(f"_d{next(counter)}", dim)

    for k, (fa, fb) in enumerate(pairs):
        mids = tuple(Idx(f"_c{k}_{n}", i.dim) for n, i in enumerate(fa.wrt_idx))
        # The factors were derived apart and may share dummy names: make them distinct.
        ea = fresh_dummies(_rename(fa.expr, fa.wrt_idx + fa.out_idx, mids + out_tmp), fresh)
        eb = fresh_dummies(_rename(fb.expr, fb.out_idx + fb.wrt_idx, mids + wrt_tmp), fresh)
        prod = summed(mul(ea, eb), mids)
        raw = IExpr(raw.terms + prod.terms)
        total = IExpr(total.terms + contract(prod).terms)
    if direct is not None:
        d = fresh_dummies(_rename(direct.expr, direct.out_idx + direct.wrt_idx, out_tmp + wrt_tmp), fresh)
        raw = IExpr(raw.terms + d.terms)
        total = IExpr(total.terms + d.terms)
    raw = _rename(raw, out_tmp + wrt_tmp, out_idx + wrt_idx)
    total = _rename(total, out_tmp + wrt_tmp, out_idx + wrt_idx)
    taken = {i.name for i in out_idx + wrt_idx} | ctx.names()
    form = IndexForm(of, first_b.wrt, out_idx, wrt_idx, prettify(contract(total), taken))
    steps.append(Step("multiply", (Relation((form.lhs(), prettify(raw, taken), form.expr)),),
                      {"index": True}))
    return Part(steps, closed=None, index=form)
