"""Derive what a problem asks for: choose a route per ``find`` and assemble the steps.

The dimension of the result always comes first; then the route's steps in
the lectures' order; the result is the one the steps reach (tidied), with the
closed form in the given variables, the index form and, for concrete arrays,
the explicit array, each of which the numeric check compares.
"""

from __future__ import annotations

from derivgen.derivation import Derivation, Result, Step
from derivgen.derivation.index_form import IndexForm
from derivgen.engine.chain import chain_links, chain_part, tidy_any
from derivgen.engine.context import Ctx, Part, has_literal, uses_components
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
    part = derive_part(ctx, find.of, body, find.wrt, wrt_shape)
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
        display=part.closed,
        index=index,
        explicit=part.explicit,
    )
    derivation = Derivation(find.of, find.wrt_text, of_shape, wrt_shape, tuple(steps), result,
                            method=ctx.method)
    return in_layout(derivation, str(problem.options.get("layout") or NUMERATOR), ctx, wrt_math(find.wrt))


def _closed_after_index_chain(ctx: Ctx, of: str, body: Expr, wrt: str, of_shape: Shape, wrt_shape: Shape,
                              steps: list[Step]) -> Expr | None:
    """After an index-notation chain rule, the matrix form of the result when there is one."""
    from derivgen.derivation import Deriv, Relation, Space

    expanded = ctx.full_expand(body)
    if has_literal(expanded):
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
    if has_literal(expanded):
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
    explicit_wanted = ctx.method in ("explicit", "vec") or has_literal(expanded) or by_components
    if explicit_wanted:
        atoms = atoms_of(ctx, wrt)
        if atoms is None:
            raise DerivationError(
                f"d{of}/d{w}: {w} is used by components or with literals, "
                "so it needs a concrete size (add it to sizes)"
            )
        return atoms_part(ctx, of, expr, wrt, atoms)
    try:
        return index_part(ctx, of, expanded, w)
    except NotIndexable as e:
        raise DerivationError(f"d{of}/d{w}: {e}") from e


def _all_scalar(ctx: Ctx, e: Expr) -> bool:
    from derivgen.problem.expr import names_in

    return all(not ctx.shapes.get(n) for n in names_in(e))
