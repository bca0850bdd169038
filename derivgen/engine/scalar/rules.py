"""Rule-based differentiation of scalar expressions, every rule recorded as a Step.

One rule is one small function in :data:`RULES`, found by the node's type; it
returns the derivative together with the ``rule`` step that shows it, its parts'
steps nested as substeps.  The raw result is what the rules build; a final
``simplify`` step tidies it with :func:`~derivgen.engine.scalar.symbolic.simplify_scalar`,
checked equal to the raw result.  Trivial derivatives (a constant, the variable
itself) get no step of their own unless they are the whole question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from derivgen.derivation import Block, Deriv, Math, Product, Relation, Space, Step, Tuple
from derivgen.engine.scalar.symbolic import divides_by_zero, equal_scalar, expanded_numerator, simplify_scalar
from derivgen.engine.scalar.terms import (
    add as _add,
)
from derivgen.engine.scalar.terms import (
    div as _div,
)
from derivgen.engine.scalar.terms import (
    mul as _mul,
)
from derivgen.engine.scalar.terms import (
    neg as _neg,
)
from derivgen.engine.scalar.terms import (
    pow_ as _pow,
)
from derivgen.engine.scalar.terms import (
    sign as _sign,
)
from derivgen.engine.scalar.terms import (
    sub as _sub,
)
from derivgen.errors import DerivationError, LimitError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    Name,
    Neg,
    Num,
    depth,
    names_in,
    substitute,
)
from derivgen.problem.functions import ELEMENTWISE, FUNCTIONS
from derivgen.problem.text import to_text

#: Deepest expression the rules will walk (each level is a nested step at most).
MAX_DEPTH = 60
#: Names tried, in order, for the inner function of a chain rule.
INNER_NAMES = ("u", "v", "w", "g", "h", "p", "q", "r")


@dataclass(frozen=True)
class ScalarDerivative:
    """The derivative of a scalar expression by one scalar, with its worked steps."""

    steps: tuple[Step, ...]
    """The rule applications (nested), then the tidying step if it changed anything."""
    raw: Expr
    """The derivative exactly as the rules build it."""
    result: Expr
    """The tidy form, equal to ``raw``."""


@dataclass(frozen=True)
class Gradient:
    """The partial derivatives of a scalar by several scalars, collected into a row."""

    steps: tuple[Step, ...]
    """One ``partials`` group per variable, then the ``gradient`` step."""
    partials: tuple[ScalarDerivative, ...]
    """∂f/∂x_k for each k, in order."""
    results: tuple[Expr, ...]
    """The tidy partials in order: the gradient, a row vector."""


@dataclass(frozen=True)
class _Ctx:
    """What the rules need besides the node: the variable and the names in use."""

    wrt: Expr
    """The scalar differentiated by."""
    partial: bool
    """Write ∂ rather than d."""
    taken: frozenset[str]
    """Names that an inner function must not take."""
    memo: dict[int, tuple[Expr, bool]] = field(default_factory=dict, compare=False)
    """Whether a node contains the variable, by the node's id (the node is kept alive)."""

    def depends(self, e: Expr) -> bool:
        hit = self.memo.get(id(e))
        if hit is None:
            hit = (e, e == self.wrt or any(self.depends(c) for c in _parts(e)))
            self.memo[id(e)] = hit
        return hit[1]

    def deriv(self, e: Expr) -> Deriv:
        return Deriv(e, self.wrt, self.partial)


@dataclass(frozen=True)
class _D:
    """A derivative, the step that shows it (None when trivial) and the rule's name."""

    value: Expr
    step: Step | None
    rule: str


# --- public API --------------------------------------------------------------------------


def differentiate(expr: Expr, wrt: Expr, partial: bool = False) -> ScalarDerivative:
    """d expr / d wrt by the rules; ``wrt`` is a scalar name or a component ``x[k]``."""
    _check_wrt(wrt)
    if depth(expr) > MAX_DEPTH:
        raise LimitError(f"the expression is nested deeper than {MAX_DEPTH} levels")
    _check_scalar(expr, wrt)
    _check_defined(expr)
    ctx = _Ctx(wrt, partial or isinstance(wrt, Index), frozenset(names_in(expr) | names_in(wrt)))
    d = _diff(expr, ctx)
    steps = [d.step or _rule_step(d.rule, ctx, expr, d.value)]
    tidy = simplify_scalar(d.value)
    if not equal_scalar(d.value, tidy):
        raise DerivationError(f"tidying changed the derivative of '{to_text(expr)}'")
    if tidy != d.value:
        mid = expanded_numerator(d.value, tidy)
        shown = (d.value, mid, tidy) if mid not in (None, d.value, tidy) and equal_scalar(mid, tidy) else (
            d.value, tidy)
        steps.append(Step("simplify", (Relation(shown),)))
    return ScalarDerivative(tuple(steps), d.value, tidy)


def partials_and_gradient(
    expr: Expr, atoms: tuple[Expr, ...], of: Expr | None = None, wrt: Expr | None = None
) -> Gradient:
    """Each ∂f/∂x_k as its own group, then df/dx = [∂f/∂x_1 ... ∂f/∂x_n] ∈ R^{1×n}.

    ``of`` and ``wrt`` are how f and x are shown (default: the expression itself,
    and the vector whose components the atoms are, else the tuple of atoms).
    """
    shown_of = expr if of is None else of
    shown_wrt = wrt if wrt is not None else _vector_of(atoms)
    partials = tuple(differentiate(expr, a, partial=True) for a in atoms)
    groups = tuple(
        Step("partials", (Relation((Deriv(shown_of, a, True), p.result)),), {"by": to_text(a)}, p.steps)
        for a, p in zip(atoms, partials, strict=True)
    )
    row = tuple(p.result for p in partials)
    symbols = Block((tuple(Deriv(shown_of, a, True) for a in atoms),))
    collect = Relation(
        (Deriv(shown_of, shown_wrt), symbols, Block((row,)), Space(((len(atoms),),), row=True)),
        ("=", "=", "∈"),
    )
    return Gradient(groups + (Step("gradient", (collect,), {"kind": "gradient"}),), partials, row)


def _vector_of(atoms: tuple[Expr, ...]) -> Math:
    bases = {a.base for a in atoms if isinstance(a, Index)}
    if len(bases) == 1 and all(isinstance(a, Index) for a in atoms):
        return bases.pop()
    return Tuple(atoms)


# --- checks at the edge ------------------------------------------------------------------


def _check_wrt(wrt: Expr) -> None:
    ok = isinstance(wrt, Name) or (
        isinstance(wrt, Index) and isinstance(wrt.base, Name) and all(isinstance(i, int) for i in wrt.indices)
    )
    if not ok:
        raise DerivationError(
            f"can only differentiate by a scalar name or a component such as x[1], not '{to_text(wrt)}'"
        )


def _check_scalar(expr: Expr, wrt: Expr) -> None:
    """Raise for the first node no scalar rule covers, naming it."""
    stack = [expr]
    while stack:
        node = stack.pop()
        reason = _not_scalar(node, wrt)
        if reason:
            raise DerivationError(f"no scalar differentiation rule covers '{to_text(node)}': {reason}")
        stack.extend(_parts(node))


def _check_defined(expr: Expr) -> None:
    if divides_by_zero(expr):
        raise DerivationError(f"'{to_text(expr)}' divides by zero")


def _not_scalar(e: Expr, wrt: Expr) -> str:
    if isinstance(e, BinOp) and e.op == "@":
        return "it is a matrix product"
    if isinstance(e, Call) and e.func not in ELEMENTWISE:
        return f"'{e.func}' is not one of the scalar functions {', '.join(ELEMENTWISE)}"
    if isinstance(e, Call) and len(e.args) != 1:
        return f"'{e.func}' takes one argument"
    if isinstance(e, Index) and not isinstance(e.base, Name):
        return "only a component of a named vector, such as x[1], is a scalar here"
    if isinstance(e, Name) and isinstance(wrt, Index) and e == wrt.base:
        return f"'{e.id}' is a vector; write its components, such as {to_text(wrt)}"
    if not isinstance(e, (Num, Name, Neg, BinOp, Call, Index)):
        return f"a {type(e).__name__} is not a scalar expression"
    return ""


def _parts(e: Expr) -> tuple[Expr, ...]:
    """Sub-expressions the rules descend into (a component's vector is not one)."""
    if isinstance(e, Neg):
        return (e.arg,)
    if isinstance(e, BinOp):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    return ()


# --- the rules -----------------------------------------------------------------------------


def _diff(e: Expr, ctx: _Ctx) -> _D:
    if e == ctx.wrt:
        return _D(Num(1), None, "variable")
    if not ctx.depends(e):
        same_vector = isinstance(e, Index) and isinstance(ctx.wrt, Index) and e.base == ctx.wrt.base
        return _D(Num(0), None, "component" if same_vector else "constant")
    return RULES[type(e)](e, ctx)


def _rule_step(
    rule: str, ctx: _Ctx, e: Expr, value: Expr, form: Math | None = None, parts: tuple[_D, ...] = (),
    **facts: object,
) -> Step:
    """``d e/dx = form = value``; ``form`` is the rule written out, left out if it is ``value``."""
    shown = form is not None and not (isinstance(form, Expr) and to_text(form) == to_text(value))
    lhs = ctx.deriv(e)
    chain: tuple[Math, ...] = (lhs, form, value) if form is not None and shown else (lhs, value)
    substeps = tuple(p.step for p in parts if p.step is not None)
    return Step("rule", (Relation(chain),), {"rule": rule, **facts}, substeps)


def _negation(e: Neg, ctx: _Ctx) -> _D:
    d = _diff(e.arg, ctx)
    value = _neg(d.value)
    return _D(value, _rule_step("negation", ctx, e, value, Neg(d.value), (d,)), "negation")


def _binop(e: BinOp, ctx: _Ctx) -> _D:
    return BINOP_RULES[e.op](e, ctx)


def _sum(e: BinOp, ctx: _Ctx) -> _D:
    f, g = _diff(e.left, ctx), _diff(e.right, ctx)
    name = "sum" if e.op == "+" else "difference"
    value = _add(f.value, g.value) if e.op == "+" else _sub(f.value, g.value)
    form = _written(e.op, f.value, g.value)
    return _D(value, _rule_step(name, ctx, e, value, form, (f, g)), name)


def _written(op: str, x: Expr, y: Expr) -> Expr:
    """``x op y`` as the rule writes it, with ``+ -y`` shown as ``- y``."""
    negative, size = _sign(y)
    if negative:
        return BinOp("-" if op == "+" else "+", x, size)
    return BinOp(op, x, y)


def _product(e: BinOp, ctx: _Ctx) -> _D:
    u, v = e.left, e.right
    if not ctx.depends(u) or not ctx.depends(v):
        return _constant_multiple(e, ctx)
    du, dv = _diff(u, ctx), _diff(v, ctx)
    value = _add(_mul(du.value, v), _mul(u, dv.value))
    form = BinOp("+", BinOp("*", du.value, v), BinOp("*", u, dv.value))
    return _D(value, _rule_step("product", ctx, e, value, form, (du, dv)), "product")


def _constant_multiple(e: BinOp, ctx: _Ctx) -> _D:
    """c·f, f·c and f/c: the constant stays, the other factor is differentiated."""
    f = e.right if e.op == "*" and not ctx.depends(e.left) else e.left
    d = _diff(f, ctx)
    form: Math
    if f is e.right:
        value, form = _mul(e.left, d.value), Product((e.left, ctx.deriv(f)))
    elif e.op == "*":
        value, form = _mul(d.value, e.right), Product((ctx.deriv(f), e.right))
    else:
        value, form = _div(d.value, e.right), BinOp("/", d.value, e.right)
    return _D(value, _rule_step("constant_multiple", ctx, e, value, form, (d,)), "constant_multiple")


def _quotient(e: BinOp, ctx: _Ctx) -> _D:
    u, v = e.left, e.right
    if not ctx.depends(v):
        return _constant_multiple(e, ctx)
    du, dv = _diff(u, ctx), _diff(v, ctx)
    top = _sub(_mul(du.value, v), _mul(u, dv.value))
    value = _div(top, _pow(v, Num(2)))
    form = BinOp("/", BinOp("-", BinOp("*", du.value, v), BinOp("*", u, dv.value)), BinOp("^", v, Num(2)))
    return _D(value, _rule_step("quotient", ctx, e, value, form, (du, dv)), "quotient")


def _power(e: BinOp, ctx: _Ctx) -> _D:
    base, exponent = e.left, e.right
    if ctx.depends(exponent):
        return _general_power(e, ctx)
    if base != ctx.wrt:
        u = _inner_name(ctx)
        return _chain(e, base, BinOp("^", u, exponent), u, ctx)
    value = _mul(exponent, _pow(base, _sub(exponent, Num(1))))
    return _D(value, _rule_step("power", ctx, e, value), "power")


def _general_power(e: BinOp, ctx: _Ctx) -> _D:
    """a^g = exp(g log a): d/dx a^x = a^x log a; f^g = f^g (g' log f + g f'/f)."""
    base, exponent = e.left, e.right
    if not ctx.depends(base):
        if exponent != ctx.wrt:
            u = _inner_name(ctx)
            return _chain(e, exponent, BinOp("^", base, u), u, ctx)
        value = _mul(e, Call("log", (base,)))
        return _D(value, _rule_step("general_power", ctx, e, value), "general_power")
    df, dg = _diff(base, ctx), _diff(exponent, ctx)
    inside = _add(_mul(dg.value, Call("log", (base,))), _div(_mul(exponent, df.value), base))
    value = _mul(e, inside)
    return _D(value, _rule_step("general_power", ctx, e, value, parts=(df, dg)), "general_power")


def _function(e: Call, ctx: _Ctx) -> _D:
    arg = e.args[0]
    if arg != ctx.wrt:
        u = _inner_name(ctx)
        return _chain(e, arg, Call(e.func, (u,)), u, ctx)
    value = FUNCTIONS[e.func].derivative(arg)  # type: ignore[misc]  # elementwise: has a rule
    return _D(value, _rule_step(e.func, ctx, e, value), e.func)


def _chain(e: Expr, inner: Expr, outer: Expr, u: Name, ctx: _Ctx) -> _D:
    """(g∘u)'(x) = g'(u(x)) · u'(x), with u named and g written in u."""
    outer_ctx = _Ctx(u, False, ctx.taken | {u.id})
    g = _diff(outer, outer_ctx)
    du = _diff(inner, _Ctx(ctx.wrt, ctx.partial, ctx.taken | {u.id}, ctx.memo))
    value = _mul(substitute(g.value, {u.id: inner}), du.value)
    form = Product((Deriv(outer, u), Deriv(u, ctx.wrt, ctx.partial)))
    chain = (ctx.deriv(e), form, Product((g.value, du.value)), value)
    facts = {"rule": "chain", "inner_name": u.id, "inner": inner, "outer": outer}
    substeps = tuple(p.step for p in (g, du) if p.step is not None)
    return _D(value, Step("rule", (Relation(chain),), facts, substeps), "chain")


def _inner_name(ctx: _Ctx) -> Name:
    for n in INNER_NAMES:
        if n not in ctx.taken:
            return Name(n)
    k = 1
    while f"u{k}" in ctx.taken:
        k += 1
    return Name(f"u{k}")


def _leaf(e: Expr, ctx: _Ctx) -> _D:
    raise DerivationError(f"no scalar differentiation rule covers '{to_text(e)}'")


BINOP_RULES: dict[str, Callable[[BinOp, _Ctx], _D]] = {
    "+": _sum, "-": _sum, "*": _product, "/": _quotient, "^": _power,
}

RULES: dict[type, Callable[..., _D]] = {
    Neg: _negation, BinOp: _binop, Call: _function, Num: _leaf, Name: _leaf, Index: _leaf,
}
