"""Taylor polynomials (MML Definition 5.3) and the multivariate expansion to second order (section 5.8).

``taylor(f, x, x0, k)``: the derivatives f⁽ʲ⁾(x) one after another, each
evaluated at x0 (the lecture's table of values), then
T_k(x) = Σ_j f⁽ʲ⁾(x0)/j! (x − x0)ʲ.  ``taylor(f, [x, y], [x0, y0], k)`` with
k ≤ 2: f(x0), the partial derivatives at x0 collected into the gradient, the
second partials into the Hessian, then f(x0) + ∇f(x0)δ + ½ δᵀH(x0)δ with
δ = x − x0, written out as a polynomial in the δ's.
"""

from __future__ import annotations

from math import factorial

from derivgen.derivation import (
    Block,
    Deriv,
    Derivation,
    Math,
    Partial,
    Product,
    Relation,
    Result,
    SecondDeriv,
    Step,
    Table,
    Tuple,
)
from derivgen.engine.context import Ctx
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Index, Name, Num, map_children, substitute
from derivgen.problem.model import Find, Problem

#: The headings of the tables of derivatives and their values at the point.
HEADINGS = ("", "the derivative", "at the point")


def taylor_name(find: Find) -> Expr:
    """``T_k(x)`` (``T_k(x, y)``): the polynomial as the lectures name it."""
    return Call(f"T_{find.degree}", find.wrt)


def derive_taylor(problem: Problem, find: Find) -> Derivation:
    """The worked Taylor polynomial of one ``taylor(...)`` find, unverified."""
    if find.degree is None:
        raise DerivationError(f"{find.text}: not a Taylor polynomial")
    ctx = Ctx.of(problem)
    f = ctx.full_expand(problem.body(find.of))
    if len(find.wrt) == 1 and len(find.at) == 1:
        steps, poly = _univariate(f, find)
    else:
        steps, poly = _multivariate(*_coordinates(ctx, f, find), find)
    head = Step("taylor_definition", (), {"of": find.of, "wrt": [_name(w) for w in find.wrt],
                                           "degree": find.degree, "at": list(find.at)})
    result = Result(shape=(), printed=(), closed=poly, display=poly)
    return Derivation(find.of, _name(find.wrt[0]), (), (), (head, *steps), result, method="taylor")


def _name(w: Expr) -> str:
    assert isinstance(w, Name)
    return w.id


def _univariate(f: Expr, find: Find) -> tuple[list[Step], Expr]:
    """The derivatives at x0, one line each (MML (5.20)-(5.24)), and the polynomial."""
    from derivgen.engine.scalar.rules import differentiate
    from derivgen.engine.scalar.symbolic import simplify_scalar

    x, x0 = find.wrt[0], find.at[0]
    assert isinstance(x, Name) and find.degree is not None
    rows, values, d = [], [], f
    for j in range(find.degree + 1):
        if j:
            d = simplify_scalar(differentiate(d, x).result)
        value = value_at(substitute(d, {x.id: x0}))
        values.append(value)
        rows.append((Num(j), d, value))
    table = Table(("j",) + HEADINGS[1:], tuple(rows))
    lines = [Relation((table,))]
    poly = _sum([_term(v, _power(_shift(x, x0), j), factorial(j))
                 for j, v in enumerate(values)])
    terms = Step("taylor_derivatives", tuple(lines), {"of": find.of, "wrt": x.id, "at": x0})
    final = Step("taylor_polynomial", (Relation((taylor_name(find), poly)),), {"degree": find.degree})
    return [terms, final], poly


def _coordinates(ctx: Ctx, f: Expr, find: Find) -> tuple[Expr, list[Expr], Math]:
    """f in the coordinates it is expanded in: the scalar givens, or the entries x_1 ... x_n of one vector
    given (f written out entry by entry), and what the gradient is by (``(x, y)`` or ``x``)."""
    names = [w for w in find.wrt if isinstance(w, Name)]
    if len(names) > 1 or len(find.at) == 1:
        return f, list(names), Tuple(tuple(names))
    from derivgen.engine.index.concrete import concrete_expr
    from derivgen.engine.index.to_index import IndexWriter

    x, n = names[0], len(find.at)
    dim = ctx.shapes[x.id][0]
    sizes = {**ctx.problem.sizes, **({} if isinstance(dim, int) else {str(dim): n})}
    written = concrete_expr(IndexWriter(ctx.env).write(f, ()), sizes)
    return written, [Index(x, (i,)) for i in range(1, n + 1)], x


def _put(e: Expr, point: dict[Expr, Expr]) -> Expr:
    """``e`` at the point: each coordinate (a name or an entry x_i) replaced by its value."""
    if e in point:
        return point[e]
    return map_children(e, lambda c: _put(c, point))


def _multivariate(f: Expr, names: list[Expr], by: Math, find: Find) -> tuple[list[Step], Expr]:
    """f(x0), the gradient and the Hessian at x0 (MML (5.163)-(5.172)), the partials of higher order
    ((5.174)-(5.178)), and the expansion Σ_α ∂^α f(x0)/α! δ^α."""
    assert find.degree is not None
    point = dict(zip(names, find.at, strict=True))
    at = Tuple(find.at)
    partials = _partials(f, names, find.degree)
    values = {combo: value_at(_put(d, point)) for combo, d in partials.items()}
    steps = [Step("taylor_value", (Relation((Call(find.of, find.at), values[()])),), {"of": find.of})]
    n = len(names)
    for order in range(1, find.degree + 1):
        combos = [c for c in partials if len(c) == order]
        rows: tuple[tuple[Math, ...], ...] = tuple(
            (_symbol(find.of, [names[i] for i in c]), partials[c], values[c]) for c in combos)
        lines = [Relation((Table(HEADINGS, rows),))]
        if order == 1:
            gradient = Block((tuple(values[(i,)] for i in range(n)),))
            lines.append(Relation((Product((Deriv(Name(find.of), by), at)), gradient)))
            steps.append(Step("taylor_gradient", tuple(lines), {"of": find.of}))
        elif order == 2:
            hessian = Block(tuple(tuple(values[tuple(sorted((i, k)))] for k in range(n)) for i in range(n)))
            lines.append(Relation((Product((Name("H"), at)), hessian)))
            steps.append(Step("taylor_hessian", tuple(lines), {"of": find.of, "symmetric": True}))
        else:
            steps.append(Step("taylor_higher", tuple(lines), {"of": find.of, "order": order}))
    deltas = [_shift(x, p) for x, p in zip(names, find.at, strict=True)]
    poly = _sum([_term(values[c], _monomial(deltas, c), _multifactorial(c)) for c in partials])
    steps.append(Step("taylor_polynomial", (Relation((taylor_name(find), poly)),), {"degree": find.degree}))
    return steps, poly


def _partials(f: Expr, names: list[Expr], degree: int) -> dict[tuple[int, ...], Expr]:
    """Every partial derivative up to ``degree``, one per sorted multi-index (they commute)."""
    from itertools import combinations_with_replacement

    from derivgen.engine.scalar.rules import differentiate
    from derivgen.engine.scalar.symbolic import simplify_scalar

    out: dict[tuple[int, ...], Expr] = {(): f}
    for order in range(1, degree + 1):
        for combo in combinations_with_replacement(range(len(names)), order):
            parent = out[combo[:-1]]
            out[combo] = simplify_scalar(differentiate(parent, names[combo[-1]], partial=True).result)
    return out


def _symbol(of: str, by: list[Expr]) -> Math:
    """∂f/∂x, ∂²f/∂y∂x (the lectures' order: the first variable last), ∂³f/∂y∂x²."""
    if len(by) == 1:
        return Deriv(Name(of), by[0], True)
    if len(by) == 2:
        return SecondDeriv(Name(of), by[0], by[1])
    return Partial(Name(of), tuple(by))


def _monomial(deltas: list[Expr], combo: tuple[int, ...]) -> Expr:
    """δ^α: the product of the steps, a repeated one as a power."""
    out: Expr | None = None
    for i in sorted(set(combo)):
        factor = _power(deltas[i], combo.count(i))
        out = factor if out is None else BinOp("*", out, factor)
    return out if out is not None else Num(1)


def _multifactorial(combo: tuple[int, ...]) -> int:
    """α! = Π α_i!."""
    out = 1
    for i in set(combo):
        out *= factorial(combo.count(i))
    return out


def value_at(e: Expr) -> Expr:
    """A value at the point, exact where SymPy can make it so (sin 0 + cos 0 = 1)."""
    import sympy

    from derivgen.engine.scalar.symbolic import from_sympy, to_sympy

    try:
        return from_sympy(sympy.simplify(to_sympy(e)))
    except (DerivationError, TypeError, ValueError) as err:
        raise DerivationError(f"cannot evaluate {e} at the point: {err}") from err


def _shift(x: Expr, x0: Expr) -> Expr:
    """``x - x0``: ``x`` at 0, ``x + 0.3`` at -0.3."""
    from derivgen.problem.expr import Neg

    if isinstance(x0, Num) and x0.value == 0:
        return x
    if isinstance(x0, Neg):
        return BinOp("+", x, x0.arg)
    if isinstance(x0, Num) and x0.value < 0:
        return BinOp("+", x, Num(-x0.value))
    return BinOp("-", x, x0)


def _power(base: Expr, j: int) -> Expr:
    return Num(1) if j == 0 else base if j == 1 else BinOp("^", base, Num(j))


def _term(coeff: Expr, power: Expr, divisor: int) -> tuple[bool, Expr] | None:
    """``coeff/divisor · power`` as (negative, magnitude); None when the coefficient is zero."""
    from derivgen.engine.scalar.symbolic import from_sympy, to_sympy

    c = to_sympy(coeff) / divisor
    if c == 0:
        return None
    negative = bool(c.could_extract_minus_sign())
    size = from_sympy(-c if negative else c)
    if power == Num(1):
        return negative, size
    if size == Num(1):
        return negative, power
    if isinstance(power, BinOp) and power.op == "*":  # 2 (x - 1)(y - 2), not 2 ((x - 1)(y - 2))
        return negative, BinOp("*", BinOp("*", size, power.left), power.right)
    return negative, BinOp("*", size, power)


def _sum(terms: list[tuple[bool, Expr] | None]) -> Expr:
    """The terms added left to right, a negative one as a subtraction."""
    from derivgen.problem.expr import Neg

    out: Expr | None = None
    for t in terms:
        if t is None:
            continue
        negative, size = t
        out = (Neg(size) if negative else size) if out is None else BinOp("-" if negative else "+", out, size)
    return out if out is not None else Num(0)
