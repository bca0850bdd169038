"""Symbolic reverse mode: the gradient of a scalar expression as a matrix expression.

Every node receives its adjoint ``G`` (the derivative of the whole by that
node, in the node's shape) and hands its children theirs, one small rule per
kind of node, as in micrograd: ``A @ B`` gives ``G Bᵀ`` to ``A`` and ``Aᵀ G``
to ``B``; ``X⁻¹`` gives ``-X⁻ᵀ G X⁻ᵀ``; ``det X`` gives ``G det(X) X⁻ᵀ``; and so
on.  The adjoints of the variable differentiated by add up over all paths.
"""

from __future__ import annotations

from collections.abc import Callable

from derivgen.engine.matrix.normal_form import (
    Ctx,
    Sum,
    Unsupported,
    atom,
    const,
    exponent,
    factor,
    form,
    mm,
    neg,
    reciprocal,
    to_expr,
    transpose,
)
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    ListLit,
    Name,
    Neg,
    Num,
    Transpose,
    names_in,
    num,
)
from derivgen.problem.functions import ELEMENTWISE, FUNCTIONS

ONE = Num(1)


def elementwise_derivative(func: str, u: Expr) -> Expr:
    """f'(u) from the function's row, in the lectures' forms (σ' = σ(1 − σ)), ``u^-1`` for ``1/u``."""
    return FUNCTIONS[func].array_derivative(u)


def elementwise_times(g: Sum, weight: Expr, node: Expr, ctx: Ctx) -> Sum:
    """``g ∘ w`` for a node of shape ``w``: ``w g`` for scalars, ``diag(w) g`` for columns."""
    shape = ctx.shape(node)
    if not g:
        return ()
    if not shape:
        return mm(factor(weight, ctx), g, ctx)
    if len(shape) == 1:
        return mm(atom(Call("diag", (ctx.inner(weight),)), ctx), g, ctx)
    return atom(BinOp("*", ctx.inner(to_expr(g)), ctx.inner(weight)), ctx)


def inner_product(g: Sum, a: Expr, ctx: Ctx) -> Sum:
    """``sum(G ∘ A)`` for arrays of one shape: ``gᵀa``, ``g aᵀ`` for rows, ``tr(Gᵀ A)``."""
    shape = ctx.shape(a)
    fa = factor(a, ctx)
    if not g:
        return ()
    if len(shape) == 1:
        return mm(transpose(g, ctx), fa, ctx)
    if shape[0] == 1:
        return mm(g, transpose(fa, ctx), ctx)
    return atom(Call("tr", (ctx.inner(to_expr(mm(transpose(g, ctx), fa, ctx))),)), ctx)


class Backprop:
    """Carries adjoints down the tree and adds up the one of ``wrt``."""

    def __init__(self, wrt: str, ctx: Ctx) -> None:
        self.wrt = wrt
        self.ctx = ctx
        self.grad: Sum = ()
        self.rules: list[str] = []

    def use(self, *rules: str) -> None:
        self.rules.extend(r for r in rules if r not in self.rules)

    def depends(self, e: Expr) -> bool:
        return self.wrt in names_in(e)

    def push(self, node: Expr, g: Sum) -> None:
        if not g or not self.depends(node):
            return
        if isinstance(node, Name):
            self.grad = self.grad + g
            return
        rule = _RULES.get(type(node))
        if rule is None:
            raise Unsupported(f"no rule for {type(node).__name__}")
        rule(self, node, g)

    def composite(self, arg: Expr) -> None:
        """A function of something other than the variable itself: the chain rule."""
        if not isinstance(arg, Name):
            self.use("chain")


def gradient(expr: Expr, wrt: str, ctx: Ctx, rules: list[str]) -> Sum:
    """d expr / d wrt for a scalar expr, in wrt's shape (array layout)."""
    bp = Backprop(wrt, ctx)
    bp.push(expr, const(1))
    rules.extend(r for r in bp.rules if r not in rules)
    return bp.grad


# --- one rule per node ------------------------------------------------------------------


def _neg(bp: Backprop, e: Neg, g: Sum) -> None:
    bp.push(e.arg, neg(g))


def _transpose(bp: Backprop, e: Transpose, g: Sum) -> None:
    bp.use("transpose")
    bp.push(e.arg, transpose(g, bp.ctx))


def _binop(bp: Backprop, e: BinOp, g: Sum) -> None:
    _BINOP_RULES[e.op](bp, e, g)


def _addsub(bp: Backprop, e: BinOp, g: Sum) -> None:
    bp.use("sum")
    for side, sign in ((e.left, 1), (e.right, 1 if e.op == "+" else -1)):
        gs = g if sign > 0 else neg(g)
        if not bp.ctx.shape(side) and bp.ctx.shape(e) and bp.depends(side):
            gs = atom(Call("sum", (bp.ctx.inner(to_expr(gs)),)), bp.ctx)  # broadcast scalar
        bp.push(side, gs)


def _matmul(bp: Backprop, e: BinOp, g: Sum) -> None:
    _record_product(bp, e)
    ctx = bp.ctx
    bp.push(e.left, mm(g, transpose(factor(e.right, ctx), ctx), ctx))
    bp.push(e.right, mm(transpose(factor(e.left, ctx), ctx), g, ctx))


def _record_product(bp: Backprop, e: BinOp) -> None:
    left, right = bp.depends(e.left), bp.depends(e.right)
    if bp.ctx.shape(e) or not (left and right):
        bp.use("linear_form" if not (left and right) else "product")
    elif _is_quadratic(e):
        bp.use("quadratic_form")
    else:
        bp.use("product")


def _is_quadratic(e: BinOp) -> bool:
    """``uᵀ M u`` or ``uᵀ u``, bracketed either way."""
    parts: list[Expr] = []
    for side in (e.left, e.right):
        if isinstance(side, BinOp) and side.op == "@":
            parts.extend((side.left, side.right))
        else:
            parts.append(side)
    first, last = parts[0], parts[-1]
    return isinstance(first, Transpose) and first.arg == last and len(parts) in (2, 3)


def _mul(bp: Backprop, e: BinOp, g: Sum) -> None:
    ctx = bp.ctx
    sl, sr = ctx.shape(e.left), ctx.shape(e.right)
    if bp.depends(e.left) and bp.depends(e.right):
        bp.use("product")
    if sl and sr:
        bp.use("elementwise")
        bp.push(e.left, elementwise_times(g, e.right, e, ctx))
        bp.push(e.right, elementwise_times(g, e.left, e, ctx))
        return
    for this, other in ((e.left, e.right), (e.right, e.left)):
        if not bp.depends(this):
            continue
        if not ctx.shape(this) and ctx.shape(other):
            bp.push(this, inner_product(g, other, ctx))
        else:
            bp.push(this, mm(g, factor(other, ctx), ctx))


def _div(bp: Backprop, e: BinOp, g: Sum) -> None:
    ctx = bp.ctx
    if ctx.shape(e.right):
        bp.use("elementwise")
        bp.push(e.left, elementwise_times(g, BinOp("/", ONE, e.right), e, ctx))
        minus = Neg(BinOp("/", e.left, BinOp("^", e.right, Num(2))))
        bp.push(e.right, elementwise_times(g, minus, e, ctx))
        return
    inv_r = reciprocal(form(e.right, ctx), e.right, ctx)
    bp.push(e.left, mm(g, inv_r, ctx))
    if bp.depends(e.right):
        bp.use("chain")
        whole = inner_product(g, e.left, ctx) if ctx.shape(e.left) else mm(g, factor(e.left, ctx), ctx)
        bp.push(e.right, neg(mm(whole, mm(inv_r, inv_r, ctx), ctx)))


def _pow(bp: Backprop, e: BinOp, g: Sum) -> None:
    ctx = bp.ctx
    base, k = e.left, e.right
    if _is_norm_squared(e, ctx):
        bp.use("norm")
        assert isinstance(base, Call)  # norm(u)^2
        u = base.args[0]
        bp.push(BinOp("@", Transpose(u), u), g)
        return
    bp.use("elementwise" if ctx.shape(base) else "chain")
    bp.composite(base)
    if bp.depends(k):
        if ctx.shape(base):
            raise Unsupported("an array raised to a varying power")
        bp.use("chain")
        bp.push(k, mm(g, form(BinOp("*", e, Call("log", (base,))), ctx), ctx))
    km1 = exponent(k)
    if km1 is not None and km1 - 1 == 1:
        lower: Expr = base  # z^1 is z
    else:
        lower = BinOp("^", base, num(km1 - 1) if km1 is not None else BinOp("-", k, ONE))
    bp.push(base, elementwise_times(g, BinOp("*", k, lower), e, ctx))


def _is_norm_squared(e: BinOp, ctx: Ctx) -> bool:
    base = e.left
    return (
        isinstance(base, Call) and base.func == "norm" and exponent(e.right) == 2
        and len(ctx.shape(base.args[0])) == 1
    )


def _call(bp: Backprop, e: Call, g: Sum) -> None:
    if e.func in ELEMENTWISE:
        _elementwise(bp, e, g)
        return
    rule = _CALL_RULES.get(e.func)
    if rule is None or len(e.args) != 1:  # softmax(X, 1), sum(X, 0): entry by entry (index notation)
        raise Unsupported(f"no closed form through {e.func}")
    bp.composite(e.args[0])
    rule(bp, e.args[0], g)


def _elementwise(bp: Backprop, e: Call, g: Sum) -> None:
    u = e.args[0]
    if e.func == "log" and isinstance(u, Call) and u.func == "det":
        bp.use("log_det")
        bp.composite(u.args[0])
        m = u.args[0]
        bp.push(m, mm(g, transpose(atom(Call("inv", (bp.ctx.inner(m),)), bp.ctx), bp.ctx), bp.ctx))
        return
    bp.use("elementwise" if bp.ctx.shape(u) else "chain")
    bp.composite(u)
    bp.push(u, elementwise_times(g, elementwise_derivative(e.func, u), e, bp.ctx))


def _inverse(bp: Backprop, m: Expr, g: Sum) -> None:
    bp.use("inverse")
    ctx = bp.ctx
    inv_t = transpose(atom(Call("inv", (ctx.inner(m),)), ctx), ctx)
    bp.push(m, neg(mm(mm(inv_t, g, ctx), inv_t, ctx)))


def _determinant(bp: Backprop, m: Expr, g: Sum) -> None:
    bp.use("determinant")
    ctx = bp.ctx
    inner = ctx.inner(m)
    inv_t = transpose(atom(Call("inv", (inner,)), ctx), ctx)
    bp.push(m, mm(mm(g, atom(Call("det", (inner,)), ctx), ctx), inv_t, ctx))


def _trace(bp: Backprop, m: Expr, g: Sum) -> None:
    bp.use("trace")
    rows = bp.ctx.shape(m)[0]
    size = Num(rows) if isinstance(rows, int) else Name(rows)
    bp.push(m, mm(g, atom(Call("eye", (size,)), bp.ctx), bp.ctx))


def _norm(bp: Backprop, v: Expr, g: Sum) -> None:
    bp.use("norm")
    ctx = bp.ctx
    shape = ctx.shape(v)
    if not shape or (len(shape) == 2 and shape[0] != 1):
        raise Unsupported("the norm of a matrix")
    n = Call("norm", (ctx.inner(v),))
    bp.push(v, mm(mm(g, factor(v, ctx), ctx), reciprocal(atom(n, ctx), n, ctx), ctx))


def softmax_jacobian(s: Expr, ctx: Ctx) -> Sum:
    """∂p/∂u = diag(p) − p pᵀ for ``p = softmax(u)``, in p itself (p is ``s``, the call or its name)."""
    p = ctx.inner(s)
    return atom(Call("diag", (p,)), ctx) + neg(mm(atom(p, ctx), transpose(atom(p, ctx), ctx), ctx))


def _softmax(bp: Backprop, u: Expr, g: Sum) -> None:
    """The adjoint of u in softmax(u): (diag(p) − p pᵀ) G, the Jacobian being symmetric."""
    bp.use("softmax")
    bp.push(u, mm(softmax_jacobian(Call("softmax", (u,)), bp.ctx), g, bp.ctx))


def _logsumexp(bp: Backprop, u: Expr, g: Sum) -> None:
    """d/du logsumexp(u) = softmax(u)ᵀ: the adjoint of u is g · softmax(u)."""
    bp.use("logsumexp")
    bp.push(u, mm(g, atom(Call("softmax", (bp.ctx.inner(u),)), bp.ctx), bp.ctx))


def _unsupported(bp: Backprop, e: Expr, g: Sum) -> None:
    """Components and literal arrays: unit vectors are no tidy matrix form (the scalar engine's job)."""
    raise Unsupported(f"no closed form through {type(e).__name__}")


_BINOP_RULES: dict[str, Callable[[Backprop, BinOp, Sum], None]] = {
    "+": _addsub, "-": _addsub, "@": _matmul, "*": _mul, "/": _div, "^": _pow,
}

_CALL_RULES: dict[str, Callable[[Backprop, Expr, Sum], None]] = {
    "inv": _inverse, "det": _determinant, "tr": _trace, "norm": _norm, "softmax": _softmax,
    "logsumexp": _logsumexp,
}

_RULES: dict[type, Callable[..., None]] = {
    Neg: _neg, Transpose: _transpose, BinOp: _binop, Call: _call, Index: _unsupported, ListLit: _unsupported,
}

__all__ = ["elementwise_derivative", "elementwise_times", "gradient", "inner_product", "softmax_jacobian"]
