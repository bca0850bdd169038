"""Derive what a problem asks for: choose a route per ``find`` and assemble the steps.

The dimension of the result always comes first; then the route's steps in
the lectures' order; the result is the one the steps reach (tidied), with the
closed form in the given variables, the index form and, for concrete arrays,
the explicit array, each of which the numeric check compares.
"""

from __future__ import annotations

from fractions import Fraction

from derivgen.derivation import Derivation, Result, Step
from derivgen.derivation.index_form import IndexForm
from derivgen.engine.chain import chain_links, chain_part, tidy_any
from derivgen.engine.context import Ctx, Part, has_literal, has_literal_in, uses_components
from derivgen.engine.index.to_index import NotIndexable
from derivgen.engine.layout import NUMERATOR, in_layout
from derivgen.engine.routes import (
    atoms_of,
    atoms_part,
    closed_of,
    dimension_step,
    entry_of_whole,
    index_form_of,
    index_part,
    named_index,
    scalar_part,
    wrt_math,
)
from derivgen.engine.second import derive_second
from derivgen.engine.taylor import derive_taylor
from derivgen.errors import DerivationError
from derivgen.problem.expr import Expr, Index, Name, Shape
from derivgen.problem.model import Find, Problem
from derivgen.problem.shapes import derivative_shape, printed_shape


def derive_problem(problem: Problem) -> list[tuple[Find, Derivation]]:
    return [(f, derive(problem, f)) for f in problem.find]


def wrt_shape_of(ctx: Ctx, wrt: tuple[Expr, ...]) -> Shape:
    if len(wrt) > 1:
        return (len(wrt),)
    w = wrt[0]
    if isinstance(w, Index):
        return ()
    assert isinstance(w, Name)
    return tuple(ctx.shapes[w.id])


def derive(problem: Problem, find: Find) -> Derivation:
    """The worked, unverified derivation of one ``find`` entry."""
    if find.degree is not None:  # taylor(f, x, x0, k)
        return derive_taylor(problem, find)
    if find.first:  # d2f/dxdy: df/dy first, then its derivative by x
        return derive_second(problem, find, derive)
    ctx = Ctx.of(problem)
    body = problem.body(find.of)
    of_shape = ctx.shape(body)
    wrt_shape = wrt_shape_of(ctx, find.wrt)
    part = _whole_or_slice(ctx, find, body, of_shape, wrt_shape)
    steps = [dimension_step(Name(find.of), find.wrt, of_shape, wrt_shape)] + part.steps
    closed = tidy_any(ctx.full_expand(part.closed), ctx) if part.closed is not None else None
    if closed is None and part.index is not None and len(find.wrt) == 1 and isinstance(find.wrt[0], Name):
        closed = _closed_after_index_chain(ctx, find.of, body, find.wrt[0].id, of_shape, wrt_shape, steps)
    index = part.index
    if (index is None or not _in_givens(index, problem)) and len(find.wrt) == 1 \
            and isinstance(find.wrt[0], Name):
        # The result is checked and evaluated in the given variables only.
        index = _index_form(ctx, find.of, body, find.wrt[0].id)
    result = Result(
        shape=derivative_shape(of_shape, wrt_shape),
        printed=printed_shape(of_shape, wrt_shape),
        closed=closed,
        display=part.closed if closed is not None or index is None else named_index(ctx, index),
        index=index,
        explicit=part.explicit,
    )
    if _symmetrised(problem, find, of_shape):
        steps, result = symmetrise(ctx, find, steps, result)
    derivation = Derivation(find.of, find.wrt_text, of_shape, wrt_shape, tuple(steps), result,
                            method=ctx.method)
    return in_layout(derivation, str(problem.options.get("layout") or NUMERATOR), ctx, wrt_math(find.wrt))


def _symmetrised(problem: Problem, find: Find, of_shape: Shape) -> bool:
    """A scalar by a symmetric matrix whose given asks for ``gradient: symmetrised``."""
    w = find.wrt[0] if len(find.wrt) == 1 else None
    var = problem.var(w.id) if isinstance(w, Name) else None
    return var is not None and var.gradient == "symmetrised" and not of_shape and len(var.shape) == 2


def symmetrise(ctx: Ctx, find: Find, steps: list[Step], result: Result) -> tuple[list[Step], Result]:
    """sym(G) = (G + Gᵀ)/2 from the plain gradient G, the step saying why (Srinivasan and Panda, 2023).

    The index form and explicit array are of G, so only the closed form is kept (and checked,
    against the finite differences symmetrised alike)."""
    from dataclasses import replace

    from derivgen.derivation import Deriv, Relation
    from derivgen.problem.expr import BinOp, Num

    if result.closed is None:
        raise DerivationError(f"d{find.of}/d{find.wrt_text}: the symmetrised gradient (G + Gᵀ)/2 needs a "
                              "closed matrix form of G, and this one has none")
    g = result.closed
    half = BinOp("*", Num(Fraction(1, 2)), BinOp("+", g, _transposed(g)))
    sym = _half_sum(g, ctx)
    lhs = Deriv(Name(find.of), find.wrt[0])
    rel = Relation((lhs, half, sym)) if sym != half else Relation((lhs, sym))
    steps = [*steps, Step("rewrite", (rel,), {"reason": "symmetrised", "matrix": find.wrt_text, "plain": g})]
    return steps, replace(result, closed=sym, display=sym, index=None, explicit=None)


def _half_sum(g: Expr, ctx: Ctx) -> Expr:
    """(G + Gᵀ)/2 multiplied out and tidied: ½(2xxᵀ + 2W⁻¹) is xxᵀ + W⁻¹."""
    from derivgen.engine.matrix.normal_form import Unsupported, form, scale, to_expr, transpose
    from derivgen.engine.matrix.simplify import collect, factor_terms, make_ctx
    from derivgen.problem.expr import BinOp, Num

    mctx = make_ctx(ctx.env, ctx.assume)
    try:
        s = form(g, mctx)
        total = factor_terms(collect(scale(s + transpose(s, mctx), Fraction(1, 2)), mctx), mctx)
        coeffs = {t.coeff for t in total}
        if len(total) > 1 and len(coeffs) == 1 and abs(c := coeffs.pop()) != 1:
            return BinOp("*", Num(c), to_expr(scale(total, 1 / c)))  # ½(abᵀ + baᵀ), not ½abᵀ + ½baᵀ
        return to_expr(total, BinOp("*", Num(0), g))
    except Unsupported:
        return tidy_any(BinOp("*", Num(Fraction(1, 2)), BinOp("+", g, _transposed(g))), ctx)


def _transposed(e: Expr) -> Expr:
    """eᵀ with the transpose taken into each term of a sum: (abᵀ + Aᵀ)ᵀ = baᵀ + A."""
    from derivgen.problem.expr import BinOp, Neg, Transpose

    if isinstance(e, BinOp) and e.op in "+-":
        return BinOp(e.op, _transposed(e.left), _transposed(e.right))
    if isinstance(e, Neg):
        return Neg(_transposed(e.arg))
    if isinstance(e, BinOp) and e.op == "@":
        return BinOp("@", _transposed(e.right), _transposed(e.left))
    if isinstance(e, BinOp) and e.op == "*" and not isinstance(e.left, (BinOp, Transpose)):
        return BinOp("*", e.left, _transposed(e.right))  # a number or scalar in front stays there
    if isinstance(e, Transpose):
        return e.arg
    return Transpose(e)


def _whole_or_slice(ctx: Ctx, find: Find, body: Expr, of_shape: Shape, wrt_shape: Shape) -> Part:
    """The find's derivative; a vector or matrix by one entry that no route takes (∂F/∂X_21 of
    inv(X)) is the slice of the whole dF/dX at that entry.  Only for the find itself: a chain-rule
    factor by an entry stays refused, so the composition is derived written out instead."""
    try:
        return derive_part(ctx, find.of, body, find.wrt, wrt_shape)
    except (DerivationError, NotIndexable) as refusal:
        single = find.wrt[0]
        if not of_shape or len(find.wrt) != 1 or not isinstance(single, Index):
            raise
        whole = entry_of_whole(ctx, find.of, body, single, derive_part)
        if whole is None:
            raise refusal from None
        return whole


def _closed_after_index_chain(ctx: Ctx, of: str, body: Expr, wrt: str, of_shape: Shape, wrt_shape: Shape,
                              steps: list[Step]) -> Expr | None:
    """After an index-notation chain rule, the matrix form of the result when there is one."""
    from derivgen.derivation import Deriv, Relation, Space

    expanded = ctx.full_expand(body)
    if has_literal_in(expanded, wrt):
        return None
    cf = closed_of(ctx, expanded, wrt)
    if cf is None:
        return None
    if "closed" in ctx.want:
        space = Space((tuple(printed_shape(of_shape, wrt_shape)),))
        closed = Relation((Deriv(Name(of), Name(wrt)), cf.expr, space), ("=", "∈"))
        steps.append(Step("closed_form", (closed,),
                          {"identity": cf.identity, "rules": list(cf.rules), "notes": list(cf.notes)}))
    return cf.expr


def _in_givens(form: IndexForm, problem: Problem) -> bool:
    from derivgen.derivation.index_form import Ent, Fn, IExpr, Pw

    given = {v.name for v in problem.given}

    def names(x: IExpr) -> set[str]:
        out: set[str] = set()
        for t in x.terms:
            for f in t.factors:
                if isinstance(f, Ent):
                    out.add(f.name)
                elif isinstance(f, Fn):
                    out |= names(f.arg)
                elif isinstance(f, Pw):
                    out |= names(f.base)
        return out

    return names(form.expr) <= given


def _index_form(ctx: Ctx, of: str, body: Expr, wrt: str) -> IndexForm | None:
    """An index form of the whole derivative, as a second, independent result to check.

    Only the entry formula is worked out (not the steps or the closed form the
    route would show), from the whole expression in the given variables: it
    shares nothing with the chain-rule factors it checks.
    """
    expanded = ctx.full_expand(body)
    if has_literal_in(expanded, wrt):
        return None
    try:
        return index_form_of(ctx, of, expanded, wrt)
    except (NotIndexable, DerivationError):
        return None


def derive_part(ctx: Ctx, of: str, expr: Expr, wrt: tuple[Expr, ...], wrt_shape: Shape) -> Part:
    """Choose the route for d expr / d wrt in this context and run it.

    Each derivative is worked out once per context: a chain-rule factor met
    again (by another ``find`` of the problem) is the same Part, not a new one.
    """
    part = ctx.once(("part", of, expr, wrt, tuple(wrt_shape)),
                    lambda: _derive_part(ctx, of, expr, wrt, wrt_shape))
    return Part(list(part.steps), part.closed, part.index, part.explicit)


def _derive_part(ctx: Ctx, of: str, expr: Expr, wrt: tuple[Expr, ...], wrt_shape: Shape) -> Part:
    if ctx.method == "definition":
        from derivgen.engine.scalar.definition import definition_part

        return definition_part(ctx, of, expr, wrt[0] if len(wrt) == 1 else wrt, wrt_shape, ctx.shape(expr))
    if ctx.method == "backprop":
        from derivgen.engine.backprop import backprop_part

        return backprop_part(ctx, of, wrt)
    if ctx.method == "differentials":
        from derivgen.engine.differentials.route import differentials_part

        return differentials_part(ctx, of, expr, wrt, wrt_shape)
    if ctx.method in ("auto", "chain") and chain_links(ctx, expr, wrt) is not None:
        try:
            return chain_part(ctx, of, expr, wrt, derive_part, wrt_shape)
        except DerivationError:
            if ctx.method == "chain":
                raise
            # The factors do not combine (e.g. a tensor factor beside a literal one):
            # derive the composition written out in full instead.
            expr = ctx.problem_expand_calls(expr)
    expanded = ctx.problem_expand_calls(expr)
    of_shape = ctx.shape(expr)
    single = wrt[0] if len(wrt) == 1 else None
    if single is not None and isinstance(single, Index) and not of_shape:
        try:
            return scalar_part(ctx, expanded, single)
        except DerivationError as refusal:
            whole = entry_of_whole(ctx, of, expr, single, derive_part)
            if whole is None:
                raise refusal from None
            return whole
    if single is None or isinstance(single, Index):
        atoms = atoms_of(ctx, wrt)
        assert atoms is not None
        return atoms_part(ctx, of, expr, wrt, atoms)
    assert isinstance(single, Name)
    w = single.id
    if not wrt_shape and not of_shape and _all_scalar(ctx, expanded):
        return scalar_part(ctx, expanded, single)
    # Components of a vector read best as partials collected into a gradient; components of
    # a matrix go through index notation, where constant indices meet Kronecker deltas.
    by_components = uses_components(expanded, w) and len(wrt_shape) == 1
    explicit_wanted = ctx.method in ("explicit", "vec") or has_literal_in(expanded, w) or by_components
    if not explicit_wanted:
        try:
            return index_part(ctx, of, expanded, w)
        except NotIndexable as e:
            if not has_literal(expanded):  # a constant literal indexed symbolically: entry by entry
                raise DerivationError(f"d{of}/d{w}: {e}") from e
    atoms = atoms_of(ctx, wrt)
    if atoms is None:
        raise DerivationError(
            f"d{of}/d{w}: {w} is used by components or with literals, "
            "so it needs a concrete size (add it to sizes)"
        )
    return atoms_part(ctx, of, expr, wrt, atoms)


def _all_scalar(ctx: Ctx, e: Expr) -> bool:
    from derivgen.problem.expr import names_in

    return all(not ctx.shapes.get(n) for n in names_in(e))
