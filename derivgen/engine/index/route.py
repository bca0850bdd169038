"""The index route of a derivation: the lectures' steps 2–4.

Write the function per entry, take the partial derivative by one entry of the
input (deltas contracted), analyse the cases where indices meet, stack the
partials of one output entry, and collate them into the gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from itertools import product as cartesian

from derivgen.derivation import (
    Block,
    Bracket,
    Cases,
    Deriv,
    Dots,
    Entry,
    EntryOf,
    Explicit,
    Math,
    Product,
    Relation,
    Space,
    Step,
)
from derivgen.derivation.index_form import (
    Delta,
    Ent,
    Idx,
    IExpr,
    IndexForm,
    Term,
    entry_of,
    factor_indices,
    iexpr_text,
    prettify,
    subst_index,
)
from derivgen.engine.index.differentiate import NamedEntry, collect, contract, diff, fold_named
from derivgen.engine.index.to_index import IndexWriter
from derivgen.problem.expr import Expr, Name, Num, Shape, Transpose

OUT_NAMES = {0: (), 1: ("i",), 2: ("p", "q")}
SPARE = ("a", "b", "c", "d", "e", "f", "g", "h", "l", "o")


def choose_indices(
    of_shape: Shape, wrt_shape: Shape, taken: set[str]
) -> tuple[tuple[Idx, ...], tuple[Idx, ...]]:
    """The lectures' letters: f_i by A_kq, K_pq by R_ij, f by x_k, f by X_ij."""
    out_names = OUT_NAMES[len(of_shape)]
    wrt_names: tuple[str, ...]
    if len(wrt_shape) == 2:
        wrt_names = ("k", "q") if len(of_shape) == 1 else ("i", "j")
    elif len(wrt_shape) == 1:
        wrt_names = ("j",) if len(of_shape) == 1 else ("k",)
    else:
        wrt_names = ()
    spare = iter(n for n in SPARE if n not in taken)
    # Shapes have at most two dimensions, and there are as many letters as dimensions.
    out = tuple(Idx(n if n not in taken else next(spare), d)
                for n, d in zip(out_names, of_shape, strict=True))
    wrt = tuple(Idx(n if n not in taken else next(spare), d)
                for n, d in zip(wrt_names, wrt_shape, strict=True))
    return out, wrt


@dataclass(frozen=True)
class IndexDerivation:
    """Steps and the index form of ∂of/∂wrt."""

    steps: tuple[Step, ...]
    form: IndexForm


def index_derivation(
    of: str, body: Expr, wrt: str, writer: IndexWriter, names: set[str], sizes: Mapping[str, int],
    want: frozenset[str], named: tuple[NamedEntry, ...] = (),
) -> IndexDerivation:
    """The index-notation steps for ∂of/∂wrt, with ``body`` in variables (wrt among them); the
    partials and cases shown with each ``named`` softmax written by its name (p_i), the form checked
    in the variables."""
    of_shape, wrt_shape = writer.shape(body), writer.env.shapes[wrt]
    out_idx, wrt_idx = choose_indices(of_shape, wrt_shape, names)
    entry = writer.write(body, out_idx)
    reserved = {i.name for i in out_idx} | names
    if len(wrt_shape) == 2:
        reserved |= {i.name for i in wrt_idx}
    pretty_entry = prettify(entry, reserved)
    steps: list[Step] = []
    ranges = [(i.name, str(i.dim)) for i in out_idx]
    steps.append(Step("index_notation", (Relation((entry_of(of, out_idx), pretty_entry)),),
                      {"ranges": ranges}))
    raw = diff(entry, wrt, wrt_idx, writer)
    partial = contract(raw)
    taken = {i.name for i in out_idx + wrt_idx} | names
    form = IndexForm(of, wrt, out_idx, wrt_idx, prettify(partial, taken))
    shown = IndexForm(of, wrt, out_idx, wrt_idx, fold_named(form.expr, named)) if named else form
    raw_shown = prettify(fold_named(collect_order(raw), named), taken)
    parts = (shown.lhs(), raw_shown, shown.expr) if iexpr_text(raw_shown) != iexpr_text(shown.expr) else (
        shown.lhs(), shown.expr)
    steps.append(Step("partials", (Relation(parts),), {"by": wrt, "deltas": _has_delta(raw)}))
    cases = case_analysis(shown, out_idx, wrt_idx)
    if cases is not None and "cases" in want:
        steps.append(Step("cases", (Relation((shown.lhs(), cases)),)))
    stack = stack_step(shown, of_shape, wrt_shape)
    if stack is not None and "stack" in want:
        steps.append(stack)
    if of_shape and wrt_shape and "collate" in want:
        steps.append(collate_step(of, wrt, of_shape, wrt_shape, out_idx, wrt_idx))
    return IndexDerivation(tuple(steps), form)


def _has_delta(x: IExpr) -> bool:
    return any(isinstance(f, Delta) for t in x.terms for f in t.factors)


def collect_order(x: IExpr) -> IExpr:
    """Deltas first in each term, without merging (to show the uncontracted sum)."""
    terms = []
    for t in x.terms:
        d = tuple(f for f in t.factors if isinstance(f, Delta))
        o = tuple(f for f in t.factors if not isinstance(f, Delta))
        terms.append(Term(t.coeff, d + o, t.sums))
    return IExpr(tuple(terms))


# --- case analysis -------------------------------------------------------------------


def _partitions(items: list[Idx]) -> list[list[list[Idx]]]:
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for p in _partitions(rest):
        out.append([[first]] + p)
        for k in range(len(p)):
            out.append(p[:k] + [[first] + p[k]] + p[k + 1 :])
    return out


def _delta_indices(x: IExpr) -> list[Idx]:
    seen: list[Idx] = []
    for t in x.terms:
        for f in t.factors:
            if isinstance(f, Delta):
                for i in (f.a, f.b):
                    if isinstance(i, Idx) and i not in seen:
                        seen.append(i)
    return seen


def case_analysis(form: IndexForm, out_idx: tuple[Idx, ...], wrt_idx: tuple[Idx, ...]) -> Cases | None:
    """Where indices meet: one case per way the delta'd indices can coincide.

    Shown when the partial has several delta patterns (as ∂K_pq/∂R_ij does);
    a single δ_ik is better shown by stacking.
    """
    involved = _delta_indices(form.expr)
    patterns = {tuple(sorted(repr(f) for f in t.factors if isinstance(f, Delta))) for t in form.expr.terms}
    if len(patterns) < 2 or len(involved) > 5:
        return None
    order = list(wrt_idx) + list(out_idx)
    involved.sort(key=lambda i: order.index(i) if i in order else len(order))
    cases: list[tuple[Math, str]] = []
    parts = sorted(_partitions(involved), key=lambda p: -len(p))
    zero_somewhere = False
    for part in parts:
        if any(len({i.dim for i in block}) > 1 for block in part):
            zero_somewhere = True  # indices of different ranges never meet
            continue
        value = _value_under(form.expr, part, out_idx)
        if not value.terms:
            zero_somewhere = True
            continue
        cases.append((value, _condition(part, form.expr, out_idx, order)))
    if zero_somewhere:  # "j ≠ i" and "j = i" cover every case of softmax's: no "otherwise"
        cases.append((Num(0), "otherwise"))
    return Cases(tuple(cases))


def _value_under(x: IExpr, part: list[list[Idx]], out_idx: tuple[Idx, ...]) -> IExpr:
    block_of = {i: n for n, b in enumerate(part) for i in b}
    terms = []
    for t in x.terms:
        ok = all(
            not isinstance(f, Delta)
            or (isinstance(f.a, Idx) and isinstance(f.b, Idx) and block_of.get(f.a) == block_of.get(f.b))
            for f in t.factors
        )
        if ok:
            terms.append(Term(t.coeff, tuple(f for f in t.factors if not isinstance(f, Delta)), t.sums))
    value = IExpr(tuple(terms))
    for block in part:
        outs = [i for i in block if i in out_idx]
        rep = outs[-1] if outs else block[0]
        for i in block:
            if i != rep:
                value = subst_index(value, i, rep)
    return collect(value)


def _condition(part: list[list[Idx]], x: IExpr, out_idx: tuple[Idx, ...], order: list[Idx]) -> str:
    eqs = []
    for block in part:
        for a, b in pairwise(block):
            eqs.append(f"{a.name} = {b.name}")
    linked = set()
    for t in x.terms:
        for f in t.factors:
            if isinstance(f, Delta) and isinstance(f.a, Idx) and isinstance(f.b, Idx):
                linked.add((f.a, f.b))
    block_of = {i: n for n, b in enumerate(part) for i in b}
    neqs = []
    apart = {tuple(sorted((block_of[a], block_of[b]))) for a, b in linked if block_of[a] != block_of[b]}
    for m, n in sorted(apart):
        def label(k: int) -> Idx:
            outs = [i for i in part[k] if i in out_idx]
            return outs[0] if outs else part[k][0]

        pair = f"{label(m).name} ≠ {label(n).name}"
        if pair not in neqs:
            neqs.append(pair)
    return ", ".join(eqs + neqs)


# --- stacking and collation -----------------------------------------------------------


def stack_step(form: IndexForm, of_shape: Shape, wrt_shape: Shape) -> Step | None:
    """∂f_i/∂A_{i,:} = xᵀ, ∂f_i/∂A_{k≠i,:} = 0ᵀ, stacked into ∂f_i/∂A (vector by matrix)."""
    if len(of_shape) != 1 or len(wrt_shape) != 2 or not form.expr.terms:
        return None
    (i,), (k, q) = form.out_idx, form.wrt_idx
    if not all(Delta(i, k) in t.factors for t in form.expr.terms):
        return None
    row = IExpr(tuple(Term(t.coeff, tuple(f for f in t.factors if f != Delta(i, k)), t.sums)
                      for t in form.expr.terms))
    row = collect(subst_index(row, k, i))
    shown = lift_row(row, q)
    slice_space = Space(((1,), (1,), (wrt_shape[1],)))
    row_i = Deriv(Entry(form.of, (i.name,)), Entry(form.wrt, (i.name, ":")), True)
    rel_i = Relation((row_i, shown, slice_space), ("=", "∈"))
    rel_k = Relation((Deriv(Entry(form.of, (i.name,)), Entry(form.wrt, (f"{k.name}≠{i.name}", ":")), True),
                      Transpose(Num(0)), slice_space), ("=", "∈"))
    zero = Transpose(Num(0))
    stacked = Block(((zero,), (Dots(),), (shown,), (Dots(),), (zero,)))
    rel_all = Relation((Deriv(Entry(form.of, (i.name,)), Name(form.wrt), True), stacked,
                        Space(((1,), tuple(wrt_shape)))), ("=", "∈"))
    return Step("stack", (rel_i, rel_k, rel_all), {"entry": i.name, "row": i.name})


def lift_row(row: IExpr, q: Idx) -> Math:
    """The row (as a function of q) in vector notation: ``xᵀ``, or ``c · xᵀ`` with c free of q."""
    lifted = lift_vector(row, q)
    if lifted is not None:
        return Transpose(lifted)
    ents = set()
    rest = []
    for t in row.terms:
        with_q = [f for f in t.factors if q in factor_indices(f)]
        if len(with_q) != 1 or not isinstance(with_q[0], Ent) or with_q[0].idx != (q,):
            return row
        ents.add(with_q[0].name)
        rest.append(Term(t.coeff, tuple(f for f in t.factors if f is not with_q[0]), t.sums))
    if len(ents) != 1:
        return row
    coeff = IExpr(tuple(rest))
    return Product((Bracket(coeff) if len(rest) > 1 else coeff, Transpose(Name(ents.pop()))))


def lift_vector(x: IExpr, q: Idx) -> Expr | None:
    """``x_q`` as a function of q is the vector x (a plain entry, possibly scaled)."""
    if len(x.terms) != 1:
        return None
    t = x.terms[0]
    if t.sums or len(t.factors) != 1 or not isinstance(t.factors[0], Ent):
        return None
    ent = t.factors[0]
    if ent.idx != (q,):
        return None
    base: Expr = Name(ent.name)
    if t.coeff == 1:
        return base
    from derivgen.problem.expr import mul, num

    return mul(num(t.coeff), base)


def collate_step(of: str, wrt: str, of_shape: Shape, wrt_shape: Shape,
                 out_idx: tuple[Idx, ...], wrt_idx: tuple[Idx, ...]) -> Step:
    """The slices ∂f_i/∂A collected into df/dA (a vector output stacks them)."""
    full = Space((tuple(of_shape), tuple(wrt_shape)))
    if len(of_shape) == 1:
        n = str(of_shape[0])
        cells = ((Deriv(Entry(of, ("1",)), Name(wrt), True),), (Dots(),),
                 (Deriv(Entry(of, (n,)), Name(wrt), True),))
        rel = Relation((Deriv(Name(of), Name(wrt)), Block(cells), full), ("=", "∈"))
        return Step("collate", (rel,), {"layout": "stack"})
    lhs = EntryOf(Deriv(Name(of), Name(wrt)), tuple(i.name for i in out_idx + wrt_idx))
    entry = Deriv(Entry(of, tuple(i.name for i in out_idx)), Entry(wrt, tuple(i.name for i in wrt_idx)), True)
    rel = Relation((Deriv(Name(of), Name(wrt)), full), ("∈",))
    return Step("collate", (rel, Relation((lhs, entry))), {"layout": "entries"})


# --- explicit arrays at concrete sizes -------------------------------------------------------


def explicit_slices(form: IndexForm, sizes: Mapping[str, int], limit: int = 96) -> Explicit | None:
    """Nested tuples (array layout) of scalar expressions, or None when too large."""
    from derivgen.engine.index.concrete import concrete_expr

    axes = list(form.out_idx + form.wrt_idx)
    known = [d if isinstance(d, int) else sizes.get(str(d)) for d in (i.dim for i in axes)]
    dims = [int(d) for d in known if d is not None]
    if len(dims) < len(known):
        return None
    total = 1
    for d in dims:
        total *= d
    if total > limit:
        return None
    flat: dict[tuple[int, ...], Expr] = {}
    for combo in cartesian(*(range(1, d + 1) for d in dims)):
        x = form.expr
        for ax, v in zip(axes, combo, strict=True):
            x = subst_index(x, ax, v)
        flat[combo] = concrete_expr(contract(x), sizes)
    return _nest(flat, dims)


def _nest(flat: dict[tuple[int, ...], Expr], dims: list[int], prefix: tuple[int, ...] = ()) -> Explicit:
    if not dims:
        return flat[prefix]
    return tuple(_nest(flat, dims[1:], prefix + (k,)) for k in range(1, dims[0] + 1))
