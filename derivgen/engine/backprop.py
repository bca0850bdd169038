"""``method: backprop``: backpropagation on the computation graph of the defines (MML section 5.6).

For a scalar ``f`` built by scalar defines from scalar givens (MML Example 5.14:
``a = x²``, ``b = exp(a)``, ``c = a + b``, ``d = √c``, ``e = cos c``,
``f = d + e``), at the numbers of ``values:``:

1. ``graph``: the nodes (inputs, then the defines in file order) and each
   node's parents, the names its definition uses;
2. ``forward``: each node's value, in order, from its parents' values;
3. ``local``: the local partial derivative ∂child/∂parent along every edge,
   by the scalar rules, and its value;
4. ``backward``: the adjoints ∂f/∂v = Σ over the children c of v of
   ∂f/∂c · ∂c/∂v (MML (5.145)), from ``f`` (adjoint 1) back to the input;
5. ``link``: the derivative by the rules on ``f`` written out in the input
   (the result, checked at random points like every result) has at the same
   numbers the value of the input's adjoint; the step records both numbers.
"""

from __future__ import annotations

from math import isclose

from derivgen.derivation import Deriv, Math, Plus, Product, Relation, Step, Table, Text, Tuple
from derivgen.engine.context import Ctx, Part
from derivgen.errors import DerivationError
from derivgen.problem.expr import Expr, Name, Num, names_in

#: Significant digits of the numbers in the tables.
DIGITS = 4


def backprop_part(ctx: Ctx, of: str, wrt: tuple[Expr, ...]) -> Part:
    """The graph, the forward and backward passes, and the symbolic derivative they meet."""
    from derivgen.engine.scalar.rules import differentiate

    x = _input(ctx, of, wrt)
    nodes, parents = _graph(ctx, of)
    values = _forward(ctx, nodes, of)
    # Only the edges out of nodes that depend on x carry its derivative back (MML (5.144)).
    on_path = [n for n in nodes if n == x or (n in parents and ctx.depends(Name(n), x))]
    local = {(c, p): differentiate(ctx.problem.body(c), Name(p), partial=True).result
             for c in on_path for p in parents.get(c, ()) if p in on_path}
    local_values = {edge: _value(ctx, e, values) for edge, e in local.items()}
    adjoints = _backward(on_path, parents, local_values, of)
    closed = differentiate(ctx.full_expand(Name(of)), Name(x)).result
    at_point = _value(ctx, closed, values)
    if not isclose(at_point, adjoints.get(x, 0.0), rel_tol=1e-9, abs_tol=1e-12):
        raise DerivationError(f"method: backprop: the adjoint of {x} ({adjoints.get(x, 0.0):.6g}) is not the "
                              f"symbolic derivative's value ({at_point:.6g}) at the given numbers")
    steps = [
        Step("graph", (), {"nodes": nodes, "parents": {c: list(ps) for c, ps in parents.items()},
                           "inputs": [n for n in nodes if n not in parents], "of": of, "wrt": x}),
        Step("forward", (Relation((_forward_table(ctx, nodes, parents, values),)),),
             {"values": {n: values[n] for n in nodes if n not in parents}}),
        Step("local", (Relation((_local_table(local, local_values),)),),
             {"edges": len(local), "off_path": [n for n in nodes if n not in on_path]}),
        Step("backward", (Relation((_backward_table(on_path, parents, adjoints, of),)),),
             {"of": of, "wrt": x}),
        Step("link", (), {"of": of, "wrt": x, "adjoint": adjoints.get(x, 0.0), "value": _num(at_point)}),
    ]
    return Part(steps, closed=closed)


def _input(ctx: Ctx, of: str, wrt: tuple[Expr, ...]) -> str:
    if len(wrt) != 1 or not isinstance(wrt[0], Name):
        raise DerivationError("method: backprop differentiates by one scalar given")
    x = wrt[0].id
    if ctx.shapes.get(x) or ctx.shapes.get(of):
        raise DerivationError("method: backprop takes a scalar function of scalar givens (MML section 5.6)")
    return x


def _graph(ctx: Ctx, of: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """The nodes (inputs, then defines in file order) and each define's parents."""
    problem = ctx.problem
    wanted, parents = {of}, dict[str, tuple[str, ...]]()
    for d in reversed(problem.define):
        if d.name in wanted:
            if d.params or d.shape:
                raise DerivationError(f"method: backprop takes scalar defines; {d.name} is "
                                      f"{'a function' if d.params else 'an array'}")
            used = tuple(n for n in _ordered_names(d.expr) if problem.var(n) or problem.definition(n))
            parents[d.name] = used
            wanted |= set(used)
    given = [v.name for v in problem.given if v.name in wanted]
    for name in given:
        if problem.var(name) is not None and problem.var(name).shape:  # type: ignore[union-attr]
            raise DerivationError(f"method: backprop takes scalar givens; {name} is an array")
    return given + [d.name for d in problem.define if d.name in parents], parents


def _ordered_names(e: Expr) -> list[str]:
    out: list[str] = []
    for n in _walk(e):
        if n not in out:
            out.append(n)
    return out


def _walk(e: Expr) -> list[str]:
    from derivgen.problem.expr import children

    if isinstance(e, Name):
        return [e.id]
    return [n for c in children(e) for n in _walk(c)]


def _forward(ctx: Ctx, nodes: list[str], of: str) -> dict[str, float]:
    given = ctx.problem.options.get("values")
    given = given if isinstance(given, dict) else {}
    values: dict[str, float] = {}
    for n in nodes:
        if ctx.problem.var(n) is not None:
            if n not in given:
                raise DerivationError(f"method: backprop needs a number for {n}: add values: {{{n}: 1.5}}")
            values[n] = float(given[n])
        else:
            values[n] = _value(ctx, ctx.problem.body(n), values)
    return values


def _value(ctx: Ctx, e: Expr, values: dict[str, float]) -> float:
    import numpy as np

    from derivgen.problem.evaluate import Evaluator

    missing = names_in(e) - set(values)
    if missing:
        raise DerivationError(f"method: backprop: no value for {', '.join(sorted(missing))}")
    with np.errstate(all="ignore"):
        v = float(Evaluator({k: np.float64(x) for k, x in values.items()}).value(e))
    if not np.isfinite(v):
        raise DerivationError("method: backprop: a value of the forward or backward pass is not finite "
                              "at the given numbers (choose values: where the function is defined)")
    return v


def _backward(nodes: list[str], parents: dict[str, tuple[str, ...]], local: dict[tuple[str, str], float],
              of: str) -> dict[str, float]:
    """Adjoints ∂f/∂v, from f back: the sum over v's children c of ∂f/∂c ∂c/∂v."""
    adjoint = {of: 1.0}
    for v in reversed(nodes):
        if v == of:
            continue
        children = [c for c in nodes if v in parents.get(c, ()) and c in adjoint]
        adjoint[v] = sum(adjoint[c] * local[(c, v)] for c in children)
    return adjoint


def _num(v: float) -> Num:
    return Num(float(f"{v:.{DIGITS}g}"))


def _forward_table(ctx: Ctx, nodes: list[str], parents: dict[str, tuple[str, ...]],
                   values: dict[str, float]) -> Table:
    """One row per intermediate variable, in order (the inputs' numbers are in the sentence)."""
    rows: list[tuple[Math, ...]] = []
    for n in nodes:
        if n in parents:
            edges = Tuple(tuple(Name(p) for p in parents[n]))
            rows.append((Name(n), edges, ctx.problem.body(n), _num(values[n])))
    return Table(("node", "parents", "definition", "value"), tuple(rows))


def _local_table(local: dict[tuple[str, str], Expr], values: dict[tuple[str, str], float]) -> Table:
    """One column per edge (the table is short and wide): the derivative, its formula, its value."""
    edges = list(local)
    formulas: tuple[Math, ...] = (Text("formula"),) + tuple(local[e] for e in edges)
    numbers: tuple[Math, ...] = (Text("value"),) + tuple(_num(values[e]) for e in edges)
    return Table((), (
        (Text("edge"),) + tuple(Deriv(Name(c), Name(p), True) for c, p in edges), formulas, numbers))


def _backward_table(nodes: list[str], parents: dict[str, tuple[str, ...]], adjoint: dict[str, float],
                    of: str) -> Table:
    rows: list[tuple[Math, ...]] = []
    for v in reversed(nodes):
        lhs = Deriv(Name(of), Name(v), True)
        if v == of:
            rows.append((lhs, Num(1), _num(1.0)))
            continue
        terms = tuple(Product((Deriv(Name(of), Name(c), True), Deriv(Name(c), Name(v), True)))
                      for c in nodes if v in parents.get(c, ()))
        rows.append((lhs, Plus(terms) if len(terms) != 1 else terms[0], _num(adjoint.get(v, 0.0))))
    return Table(("adjoint", "sum over the children", "value"), tuple(rows))
