"""Symbolic forward mode: Jacobians of vector expressions, tangents by a scalar.

``J(node)`` is the derivative of a node by ``wrt`` in the lecture layout: for
a column vector node and a vector ``wrt`` the ``M×N`` Jacobian, for any node
and a scalar ``wrt`` an array of the node's shape.  The rules are the
lectures': ``J(A x) = A J(x)``, ``J(σ(v)) = diag(σ'(v)) J(v)``,
``J(s v) = v J(s) + s J(v)``, ``J(x) = I``.  A scalar node is handed to the
reverse mode (its gradient is a row).  Anything whose derivative would be a
tensor (a matrix depending on a vector) has no closed form here.
"""

from __future__ import annotations

from collections.abc import Callable

from derivgen.engine.matrix.normal_form import (
    Ctx,
    Sum,
    Unsupported,
    atom,
    exponent,
    factor,
    form,
    mm,
    neg,
    reciprocal,
    to_expr,
    transpose,
)
from derivgen.engine.matrix.reverse import (
    elementwise_derivative,
    elementwise_times,
    gradient,
    softmax_jacobian,
)
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    ListLit,
    Name,
    Neg,
    Num,
    Transpose,
    names_in,
    num,
)
from derivgen.problem.functions import ELEMENTWISE

ONE = Num(1)


class Forward:
    """Computes ``J(node)`` for the variable ``wrt``, noting the rules used."""

    def __init__(self, wrt: str, ctx: Ctx, rules: list[str]) -> None:
        self.wrt = wrt
        self.ctx = ctx
        self.rules = rules
        self.vector = len(ctx.env.shapes[wrt]) == 1

    def use(self, *rules: str) -> None:
        self.rules.extend(r for r in rules if r not in self.rules)

    def depends(self, e: Expr) -> bool:
        return self.wrt in names_in(e)

    def jac(self, node: Expr) -> Sum:
        if not self.depends(node):
            return ()
        shape = self.ctx.shape(node)
        if not shape:
            g = gradient(node, self.wrt, self.ctx, self.rules)
            return transpose(g, self.ctx) if self.vector else g
        if self.vector and len(shape) != 1:
            raise Unsupported("the derivative of a matrix by a vector is a tensor")
        if isinstance(node, Name):
            return atom(Call("eye", (_dim(shape[0]),)), self.ctx)
        rule = _RULES.get(type(node))
        if rule is None:
            raise Unsupported(f"no Jacobian rule for {type(node).__name__}")
        return rule(self, node)


def _dim(d: object) -> Expr:
    return Num(d) if isinstance(d, int) else Name(str(d))


def jacobian(expr: Expr, wrt: str, ctx: Ctx, rules: list[str]) -> Sum:
    """d expr / d wrt for an array expr (M×N Jacobian, or the node's shape by a scalar)."""
    return Forward(wrt, ctx, rules).jac(expr)


# --- one rule per node --------------------------------------------------------------------


def _neg(fw: Forward, e: Neg) -> Sum:
    return neg(fw.jac(e.arg))


def _transpose(fw: Forward, e: Transpose) -> Sum:
    fw.use("transpose")
    if not fw.vector:
        return transpose(fw.jac(e.arg), fw.ctx)
    pushed = push_transpose(e)
    if pushed is None:
        raise Unsupported("the Jacobian of a transposed row")
    return fw.jac(pushed)


def push_transpose(e: Transpose) -> Expr | None:
    """One step of moving a transpose inward: ``(A B)ᵀ = Bᵀ Aᵀ``, ``(u + v)ᵀ = uᵀ + vᵀ``."""
    a = e.arg
    if isinstance(a, Transpose):
        return a.arg
    if isinstance(a, Neg):
        return Neg(Transpose(a.arg))
    if isinstance(a, BinOp) and a.op == "@":
        return BinOp("@", Transpose(a.right), Transpose(a.left))
    if isinstance(a, BinOp) and a.op in "+-*/":
        return BinOp(a.op, Transpose(a.left), Transpose(a.right))
    if isinstance(a, BinOp) and a.op == "^":
        return BinOp("^", Transpose(a.left), a.right)
    if isinstance(a, Call) and a.func in ELEMENTWISE:
        return Call(a.func, (Transpose(a.args[0]),))
    return None


def _binop(fw: Forward, e: BinOp) -> Sum:
    return _BINOP_RULES[e.op](fw, e)


def _addsub(fw: Forward, e: BinOp) -> Sum:
    fw.use("sum")
    ctx = fw.ctx
    if any(not ctx.shape(side) and fw.depends(side) for side in (e.left, e.right)):
        return _broadcast_sum(fw, e)
    right = fw.jac(e.right)
    return fw.jac(e.left) + (neg(right) if e.op == "-" else right)


def _broadcast_sum(fw: Forward, e: BinOp) -> Sum:
    """``s + v`` with s varying: by a scalar, ``s' + v'`` broadcasts; by a vector it needs ones."""
    if fw.vector:
        raise Unsupported("a varying scalar added to every entry (needs a ones vector)")
    ctx = fw.ctx
    parts = [to_expr(fw.jac(side), BinOp("*", Num(0), side) if ctx.shape(side) else Num(0))
             for side in (e.left, e.right)]
    return atom(BinOp(e.op, ctx.inner(parts[0]), ctx.inner(parts[1])), ctx)


def _matmul(fw: Forward, e: BinOp) -> Sum:
    ctx = fw.ctx
    left, right = fw.depends(e.left), fw.depends(e.right)
    fw.use("product" if left and right else "linear_form")
    out: Sum = ()
    if left:
        if fw.vector:
            raise Unsupported("a matrix depending on a vector")
        out = mm(fw.jac(e.left), factor(e.right, ctx), ctx)
    return out + mm(factor(e.left, ctx), fw.jac(e.right), ctx)


def _mul(fw: Forward, e: BinOp) -> Sum:
    ctx = fw.ctx
    if fw.depends(e.left) and fw.depends(e.right):
        fw.use("product")
    if ctx.shape(e.left) and ctx.shape(e.right):
        fw.use("elementwise")
        return (elementwise_times(fw.jac(e.left), e.right, e, ctx)
                + elementwise_times(fw.jac(e.right), e.left, e, ctx))
    scalar, array = (e.left, e.right) if not ctx.shape(e.left) else (e.right, e.left)
    return mm(factor(array, ctx), fw.jac(scalar), ctx) + mm(factor(scalar, ctx), fw.jac(array), ctx)


def _div(fw: Forward, e: BinOp) -> Sum:
    ctx = fw.ctx
    if ctx.shape(e.right):
        fw.use("elementwise")
        minus = BinOp("/", e.left, BinOp("^", e.right, Num(2)))
        return (elementwise_times(fw.jac(e.left), BinOp("/", ONE, e.right), e, ctx)
                + neg(elementwise_times(fw.jac(e.right), minus, e, ctx)))
    inv_r = reciprocal(form(e.right, ctx), e.right, ctx)
    out = mm(fw.jac(e.left), inv_r, ctx)
    if fw.depends(e.right):
        fw.use("chain")
        out = out + neg(mm(mm(factor(e.left, ctx), fw.jac(e.right), ctx), mm(inv_r, inv_r, ctx), ctx))
    return out


def _pow(fw: Forward, e: BinOp) -> Sum:
    k = exponent(e.right)
    if fw.depends(e.right):
        raise Unsupported("an array raised to a varying power")
    fw.use("elementwise")
    if not isinstance(e.left, Name):
        fw.use("chain")
    lower = BinOp("^", e.left, num(k - 1) if k is not None else BinOp("-", e.right, ONE))
    return elementwise_times(fw.jac(e.left), BinOp("*", e.right, lower), e, fw.ctx)


def _call(fw: Forward, e: Call) -> Sum:
    ctx = fw.ctx
    u = e.args[0]
    if not isinstance(u, Name):
        fw.use("chain")
    if e.func in ELEMENTWISE:
        fw.use("elementwise")
        return elementwise_times(fw.jac(u), elementwise_derivative(e.func, u), e, ctx)
    if e.func == "inv":
        fw.use("inverse")
        inv = atom(Call("inv", (ctx.inner(u),)), ctx)
        return neg(mm(mm(inv, fw.jac(u), ctx), inv, ctx))
    if e.func == "softmax" and len(e.args) == 1:
        fw.use("softmax")
        return mm(softmax_jacobian(e, ctx), fw.jac(u), ctx)
    if e.func == "diag":
        ju = fw.jac(u)
        return atom(Call("diag", (ctx.inner(to_expr(ju)),)), ctx) if ju else ()
    raise Unsupported(f"no Jacobian rule through {e.func}")


def _list(fw: Forward, e: ListLit) -> Sum:
    if fw.vector or any(isinstance(it, ListLit) for it in e.items):
        raise Unsupported("a literal array (the explicit engine handles it)")
    items = tuple(fw.ctx.inner(to_expr(fw.jac(it))) for it in e.items)
    return atom(ListLit(items), fw.ctx)


_BINOP_RULES: dict[str, Callable[[Forward, BinOp], Sum]] = {
    "+": _addsub, "-": _addsub, "@": _matmul, "*": _mul, "/": _div, "^": _pow,
}

_RULES: dict[type, Callable[..., Sum]] = {
    Neg: _neg, Transpose: _transpose, BinOp: _binop, Call: _call, ListLit: _list,
}
