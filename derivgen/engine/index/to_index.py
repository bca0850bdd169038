"""Write an expression entry by entry: ``(A @ x)_i = Σ_j A_ij x_j``.

Each matrix operation becomes the sum over its shared index, transposes swap
indices, elementwise functions act on the entry, ``tr`` sums the diagonal and
``inv``/``det`` stay opaque entries whose derivatives come from their rules.
"""

from __future__ import annotations

from fractions import Fraction

from derivgen.derivation.index_form import (
    ONE,
    Delta,
    Ent,
    Fn,
    Fresh,
    IExpr,
    IndexLike,
    Opaque,
    Pw,
    Term,
    add,
    const,
    mul,
    scale,
    single,
    summed,
)
from derivgen.errors import DerivationError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    ListLit,
    Name,
    Neg,
    Num,
    Shape,
    Transpose,
)
from derivgen.problem.functions import ELEMENTWISE, axis_of
from derivgen.problem.shapes import ShapeEnv, as_matrix, infer


class NotIndexable(DerivationError):
    """The expression has no symbolic index form (e.g. a literal indexed symbolically)."""


class IndexWriter:
    """Converts expressions in given variables to index notation."""

    def __init__(self, env: ShapeEnv, fresh: Fresh | None = None) -> None:
        self.env = env
        self.fresh = fresh or Fresh()
        self._shapes: dict[Expr, Shape] = {}

    def shape(self, e: Expr) -> Shape:
        return infer(e, self.env, self._shapes)

    # Matrix view: every operand is rows × cols; a vector's column index is 1.
    def mat_idx(self, e: Expr, idx: tuple[IndexLike, ...]) -> tuple[IndexLike, IndexLike]:
        s = self.shape(e)
        if len(s) == 0:
            return (1, 1)
        if len(s) == 1:
            return (idx[0], 1)
        return (idx[0], idx[1])

    def own_idx(self, e: Expr, r: IndexLike, c: IndexLike) -> tuple[IndexLike, ...]:
        """Inverse of :meth:`mat_idx`: the indices of e's own shape."""
        s = self.shape(e)
        if len(s) == 0:
            return ()
        if len(s) == 1:
            return (r,)
        return (r, c)

    def write(self, e: Expr, idx: tuple[IndexLike, ...]) -> IExpr:
        method = getattr(self, "_w_" + type(e).__name__)
        return method(e, idx)

    def _w_Num(self, e: Num, idx: tuple[IndexLike, ...]) -> IExpr:
        v = e.value
        return const(Fraction(v) if isinstance(v, int) else v)

    def _w_Name(self, e: Name, idx: tuple[IndexLike, ...]) -> IExpr:
        return single(Ent(e.id, idx))

    def _w_Neg(self, e: Neg, idx: tuple[IndexLike, ...]) -> IExpr:
        return scale(self.write(e.arg, idx), -1)

    def _w_Transpose(self, e: Transpose, idx: tuple[IndexLike, ...]) -> IExpr:
        r, c = self.mat_idx(e, idx)
        return self.write(e.arg, self.own_idx(e.arg, c, r))

    def _w_Index(self, e: Index, idx: tuple[IndexLike, ...]) -> IExpr:
        return self.write(e.base, tuple(e.indices))

    def _operand(self, e: Expr, idx: tuple[IndexLike, ...]) -> IExpr:
        """An operand of an elementwise operation: scalars broadcast."""
        return self.write(e, idx if self.shape(e) else ())

    def _w_BinOp(self, e: BinOp, idx: tuple[IndexLike, ...]) -> IExpr:
        if e.op == "@":
            return self._matmul(e, idx)
        a = self._operand(e.left, idx)
        if e.op == "^":
            if not isinstance(e.right, Num):
                # a^b = exp(b log a) for a varying exponent
                b = self._operand(e.right, idx)
                return single(Fn("exp", mul(b, single(Fn("log", a)))))
            return power(a, _coeff(e.right.value))
        b = self._operand(e.right, idx)
        if e.op == "+":
            return add(a, b)
        if e.op == "-":
            return add(a, scale(b, -1))
        if e.op == "*":
            return mul(a, b)
        if e.op == "/":
            return mul(a, power(b, -1))
        raise NotIndexable(f"operator {e.op!r} has no index form")

    def _matmul(self, e: BinOp, idx: tuple[IndexLike, ...]) -> IExpr:
        r, c = self.mat_idx(e, idx)
        _, inner = as_matrix(self.shape(e.left))
        if isinstance(inner, int) and inner > 1 and (_has_literal(e.left) or _has_literal(e.right)):
            # A literal has entries only at concrete indices: write the sum out.
            return add(*(mul(self.write(e.left, self.own_idx(e.left, r, k)),
                             self.write(e.right, self.own_idx(e.right, k, c))) for k in range(1, inner + 1)))
        k: IndexLike = 1 if inner == 1 else self.fresh.idx(inner)
        a = self.write(e.left, self.own_idx(e.left, r, k))
        b = self.write(e.right, self.own_idx(e.right, k, c))
        prod = mul(a, b)
        return summed(prod, (k,)) if not isinstance(k, int) else prod

    def _w_ListLit(self, e: ListLit, idx: tuple[IndexLike, ...]) -> IExpr:
        item: Expr = e
        for i in idx:
            assert isinstance(item, ListLit)
            if isinstance(i, int):
                item = item.items[i - 1]
            elif all(it == item.items[0] for it in item.items):
                item = item.items[0]  # the same entry at every index (a ones vector): it is the entry
            else:
                raise NotIndexable("a literal vector or matrix has no symbolic index form")
        return self.write(item, ())

    def _w_Call(self, e: Call, idx: tuple[IndexLike, ...]) -> IExpr:
        f = e.func
        if f in ELEMENTWISE:
            return single(Fn(f, self.write(e.args[0], idx)))
        if f == "inv":
            return single(Opaque("inv", e.args[0], idx))
        if f == "det":
            return single(Opaque("det", e.args[0], ()))
        if f == "eye":
            return single(Delta(idx[0], idx[1]))
        if f in ("ones", "zeros"):
            return const(Fraction(1 if f == "ones" else 0))
        if f == "diag":
            return mul(single(Delta(idx[0], idx[1])), self.write(e.args[0], (idx[0],)))
        arg = e.args[0]
        s = self.shape(arg)
        axis = axis_of(e)
        if f in ("softmax", "logsumexp") and axis is not None and len(s) == 2:
            return self._softmax_along(f, arg, axis, idx)
        if f in ("softmax", "logsumexp"):
            return self._softmax(f, arg, idx)
        if axis is not None and len(s) == 2:
            # NumPy's axes: sum(X, 0)_j = Σ_i X_ij (column sums), sum(X, 1)_i = Σ_j X_ij (row sums)
            k = self.fresh.idx(s[axis])
            return summed(self.write(arg, (k, idx[0]) if axis == 0 else (idx[0], k)), (k,))
        if f == "tr":
            k = self.fresh.idx(s[0])
            return summed(self.write(arg, (k, k)), (k,))
        if f in ("sum", "norm"):
            ks = tuple(self.fresh.idx(d) for d in s)
            entry = self.write(arg, ks)
            if f == "norm":
                entry = power(entry, 2)
            total = summed(entry, ks)
            return single(Fn("sqrt", total)) if f == "norm" else total
        raise NotIndexable(f"function '{f}' has no index form")

    def _softmax_along(self, f: str, arg: Expr, axis: int, idx: tuple[IndexLike, ...]) -> IExpr:
        """softmax(X, 1)_ij = exp(X_ij) / Σ_k exp(X_ik) (each row), logsumexp(X, 1)_i = log Σ_k exp(X_ik);
        axis 0 the same down each column."""
        k = self.fresh.idx(self.shape(arg)[axis])
        # the index of the row (axis 1) or column (axis 0) that stays: softmax keeps X's two indices
        keep = idx[1] if f == "softmax" and axis == 0 else idx[0]
        at = (keep, k) if axis == 1 else (k, keep)
        total = summed(single(Fn("exp", self.write(arg, at))), (k,))
        if f == "logsumexp":
            return single(Fn("log", total))
        return mul(single(Fn("exp", self.write(arg, idx))), power(total, -1))

    def _softmax(self, f: str, arg: Expr, idx: tuple[IndexLike, ...]) -> IExpr:
        """softmax(z)_i = exp(z_i) / Σ_k exp(z_k); logsumexp(z) = log Σ_k exp(z_k)."""
        k = self.fresh.idx(self.shape(arg)[0])
        total = summed(single(Fn("exp", self.write(arg, (k,)))), (k,))
        if f == "logsumexp":
            return single(Fn("log", total))
        return mul(single(Fn("exp", self.write(arg, idx))), power(total, -1))


def _has_literal(e: Expr) -> bool:
    from derivgen.problem.expr import children

    return isinstance(e, ListLit) or any(_has_literal(c) for c in children(e))


def _coeff(v: object) -> int | Fraction | float:
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    assert isinstance(v, float)
    return Fraction(v).limit_denominator(10**6) if float(Fraction(v).limit_denominator(10**6)) == v else v


def power(a: IExpr, c: int | Fraction | float) -> IExpr:
    """``a^c``; a single plain factor keeps its form, e.g. ``x_i^2``."""
    if c == 0:
        return ONE
    if c == 1:
        return a
    if len(a.terms) == 1 and a.terms[0].coeff == 1 and not a.terms[0].sums and len(a.terms[0].factors) == 1:
        f = a.terms[0].factors[0]
        if isinstance(f, Pw):
            return power(f.base, f.exp * c)
    if len(a.terms) == 1 and not a.terms[0].sums and isinstance(c, (int, Fraction)) and c == int(c) and c > 0:
        t = a.terms[0]
        # (k·x)^n = k^n x^n keeps coefficients outside
        if t.coeff != 1:
            return scale(power(IExpr((Term(1, t.factors),)), c), t.coeff ** int(c))
    return single(Pw(a, c))
