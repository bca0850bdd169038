"""``method: differentials``: the lectures' other road to a matrix gradient.

For a scalar ``f`` and a variable ``X`` (a matrix, a vector or a scalar):

1. the differential of each define that varies with ``X``, in file order, by
   the rules of :mod:`.rules` (each application a substep), then with the
   differentials of earlier defines put in (``dL = 2eᵀ de = −2eᵀΦ dθ``);
2. the trace form: a scalar is its own trace and the trace is cyclic, so
   ``df = tr(G dX)`` (for a vector ``df = g dx``) (:mod:`.linear`);
3. the gradient read off: ``df = tr(G dX)`` for every ``dX`` means
   ``∂f/∂X_ij = G_ji``, so ``∂f/∂X = Gᵀ``, in the matrix's shape as the
   lectures print it; for a vector ``df/dx = g``, a row (numerator layout).
"""

from __future__ import annotations

from dataclasses import replace

from derivgen.derivation import Deriv, Differential, Math, Relation, Space, Step, differential_name
from derivgen.engine.chain import tidy_any
from derivgen.engine.context import Ctx, Part
from derivgen.engine.differentials.linear import LinTerm, coefficient, cyclic, linear_terms, term_expr
from derivgen.engine.differentials.rules import Applied, Differentiator
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Name, Shape, Transpose, names_in, substitute
from derivgen.problem.shapes import printed_shape

#: Rules too plain to show as a substep of their own (the step's sentence still names them).
TRIVIAL = ("linear", "sum")


def differentials_part(ctx: Ctx, of: str, expr: Expr, wrts: tuple[Expr, ...], wrt_shape: Shape) -> Part:
    """The steps and closed form of ``d of / d wrt`` by differentials."""
    wrt = wrts[0]
    if len(wrts) != 1 or not isinstance(wrt, Name):
        raise DerivationError("method: differentials differentiates by a whole given variable, "
                              "not by a component or a tuple")
    if ctx.shape(expr):
        raise DerivationError(f"method: differentials needs a scalar {of}: it writes df = tr(G dX)")
    x = wrt.id
    dx = differential_name(x).id
    ctx = replace(ctx, shapes={**ctx.shapes, dx: tuple(wrt_shape)})
    order = _varying_defines(ctx, of, expr, x)
    known: dict[str, Expr] = {}
    steps: list[Step] = []
    for name, body in order:
        diff = Differentiator(lambda n: n == x or n in known, ctx.shape)
        raw = diff.d(body)
        if raw is None:
            continue
        inner = _in_variable(ctx, raw, known)
        substeps = tuple(_rule_step(a) for a in diff.applied if a.rule not in TRIVIAL and a.node != body)
        parts: list[Expr | Differential] = [Differential(Name(name)), Differential(body), raw]
        if inner != raw:
            parts.append(inner)
        rules = list(dict.fromkeys(a.rule for a in diff.applied))
        facts = {"of": name, "rules": rules, "wrt": x, "first": not steps}
        steps.append(Step("differential", (Relation(tuple(_distinct(parts))),), facts, substeps))
        known[name] = inner
    df = known.get(of)
    if df is None:
        raise DerivationError(f"method: differentials: {of} does not vary with {x}")
    terms = linear_terms(df, dx, ctx.shape)
    kind = "matrix" if len(wrt_shape) == 2 else "vector" if wrt_shape else "scalar"
    identity = Call("eye", (Name(str(wrt_shape[0])),)) if kind == "matrix" else Name("1")
    g = tidy_any(coefficient(terms, identity), ctx)
    trace = _trace_step(of, dx, kind, terms, g)
    if len(trace.math[0].parts) > 2 and (kind == "matrix" or trace.facts["rules"] or len(terms) > 1):
        steps.append(trace)  # a differential already in its trace form, or a row times dx: left out
    result = tidy_any(Transpose(g), ctx) if kind == "matrix" else g
    space = Space((tuple(printed_shape((), wrt_shape)),))
    lhs = Deriv(Name(of), wrt)
    # For a matrix the transpose is shown; for a vector the gradient is g itself, the result below.
    chain = _distinct([lhs, Transpose(g), result, space])
    read = (Relation(tuple(chain), ("=",) * (len(chain) - 2) + ("∈",)),) if kind == "matrix" else ()
    steps.append(Step("read_off", read, {"wrt_kind": kind, "of": of, "wrt": x}))
    return Part(steps, closed=result)


def _rule_step(a: Applied) -> Step:
    """One rule of differentials applied: ``d(node) = result``."""
    parts: tuple[Math, ...] = (Differential(a.node), a.result)
    return Step("differential_rule", (Relation(parts),), {"rule": a.rule})


def _distinct(parts: list) -> list:
    out: list = []
    for p in parts:
        if not out or out[-1] != p:
            out.append(p)
    return out


def _sum(items: list[Expr]) -> Expr:
    total = items[0]
    for w in items[1:]:
        total = BinOp("+", total, w)
    return total


def _trace_step(of: str, dx: str, kind: str, terms: list[LinTerm], g: Expr) -> Step:
    if not terms:
        raise DerivationError(f"method: differentials: the differential of {of} is zero")
    matrix = kind == "matrix"
    written = _sum([Call("tr", (term_expr(t, dx),)) if matrix else term_expr(t, dx) for t in terms])
    moved = _sum([Call("tr", (term_expr(LinTerm(t.coeff, cyclic(t)), dx),)) if matrix
                  else term_expr(LinTerm(t.coeff, cyclic(t)), dx) for t in terms])
    if matrix:
        traced: Expr = Call("tr", (BinOp("@", g, Name(dx)),))
    else:
        traced = BinOp("@", g, Name(dx)) if kind == "vector" else BinOp("*", g, Name(dx))
    parts = _distinct([differential_name(of), written, moved, traced])
    rules = ["scalar_trace", "cyclic"] if kind == "matrix" else ["scalar_transpose"] if any(
        t.transposed for t in terms) else []
    if any(t.transposed for t in terms) and kind == "matrix":
        rules.append("transpose_trace")
    return Step("trace_form", (Relation(tuple(parts)),), {"of": of, "wrt_kind": kind, "rules": rules})


def _varying_defines(ctx: Ctx, of: str, expr: Expr, x: str) -> list[tuple[str, Expr]]:
    """The defines ``of`` is built from that vary with ``x``, in file order, ``of`` last."""
    problem = ctx.problem
    wanted = {of}
    for d in reversed(problem.define):
        if d.name in wanted and not d.params:
            wanted |= names_in(d.expr)
    out = [(d.name, d.expr) for d in problem.define
           if d.name in wanted and d.name != of and not d.params and ctx.depends(Name(d.name), x)]
    return out + [(of, expr)]


def _in_variable(ctx: Ctx, raw: Expr, known: dict[str, Expr]) -> Expr:
    """``raw`` with the differentials of earlier defines put in, tidied."""
    subs = {differential_name(n).id: v for n, v in known.items() if differential_name(n).id in names_in(raw)}
    return tidy_any(substitute(raw, subs), ctx) if subs else raw
