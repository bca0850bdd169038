"""Concrete arrays multiplied out: ``tr(B @ B)`` or ``det(B)`` of a literal matrix as one scalar expression.

A scalar written with literal arrays (``B(t) = [[t, t**2], [1, sin(t)]]``) has
entries the scalar rules can take once every product, trace and determinant is
carried out entry by entry, as one does by hand for a 2×2 matrix.  Named arrays
of a concrete size take part by their components (``A[1, 2]``); an array of a
symbolic size cannot be written out, and neither can a function without an
entry formula here: then the answer is None and the other routes decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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
from derivgen.problem.functions import ELEMENTWISE

#: Rows × columns of scalar expressions; a column vector is N×1, a scalar 1×1.
Grid = tuple[tuple[Expr, ...], ...]
#: Largest matrix whose determinant or inverse is expanded by cofactors.
MAX_COFACTOR_SIZE = 3


class NotConcrete(Exception):
    """Some array in the expression has no entries to write out."""


def multiplied_out(e: Expr, shapes: Mapping[str, Shape], sizes: Mapping[str, int]) -> Expr | None:
    """The scalar ``e`` with every array written out entry by entry; None when that cannot be done."""
    try:
        g = _Writer(shapes, sizes).grid(e)
    except NotConcrete:
        return None
    return g[0][0] if len(g) == 1 and len(g[0]) == 1 else None


# --- small builders that keep the written-out form readable (no 0 terms, no 1 factors) ----------


def _plus(a: Expr, b: Expr) -> Expr:
    if a == Num(0):
        return b
    if b == Num(0):
        return a
    if isinstance(b, BinOp) and b.op in "+-":  # a + (b + c) is a + b + c
        return (_plus if b.op == "+" else _minus)(_plus(a, b.left), b.right)
    if isinstance(b, Neg):
        return BinOp("-", a, b.arg)
    return BinOp("+", a, b)


def _minus(a: Expr, b: Expr) -> Expr:
    if b == Num(0):
        return a
    if a == Num(0):
        return Neg(b)
    return BinOp("-", a, b)


def _times(a: Expr, b: Expr) -> Expr:
    if a == Num(0) or b == Num(0):
        return Num(0)
    if a == Num(1):
        return b
    if b == Num(1):
        return a
    if a == b:
        return BinOp("^", a, Num(2))
    return BinOp("*", a, b)


def _total(terms: list[Expr]) -> Expr:
    out: Expr = Num(0)
    for t in terms:
        out = _plus(out, t)
    return out


def _square(g: Grid, what: str) -> int:
    n = len(g)
    if any(len(r) != n for r in g):
        raise NotConcrete(f"{what} of a matrix that is not square")
    return n


def _det(g: Grid) -> Expr:
    """Laplace expansion along the first row (a 2×2 matrix gives ad − bc)."""
    n = _square(g, "det")
    if n == 1:
        return g[0][0]
    if n > MAX_COFACTOR_SIZE:
        raise NotConcrete("a determinant larger than 3×3")
    out: Expr = Num(0)
    for j in range(n):
        minor = tuple(tuple(r[k] for k in range(n) if k != j) for r in g[1:])
        term = _times(g[0][j], _det(minor))
        out = _plus(out, term) if j % 2 == 0 else _minus(out, term)
    return out


def _inv(g: Grid) -> Grid:
    """The adjugate over the determinant."""
    n = _square(g, "inv")
    if n > MAX_COFACTOR_SIZE:
        raise NotConcrete("an inverse larger than 3×3")
    d = _det(g)
    if n == 1:
        return ((BinOp("/", Num(1), d),),)

    def cofactor(i: int, j: int) -> Expr:
        minor = tuple(tuple(r[k] for k in range(n) if k != j) for m, r in enumerate(g) if m != i)
        c = _det(minor)
        return c if (i + j) % 2 == 0 else Neg(c)

    return tuple(tuple(BinOp("/", cofactor(j, i), d) for j in range(n)) for i in range(n))


def _along(f: str, g: Grid, axis: int) -> Grid:
    """sum, logsumexp or softmax of each row (axis 1) or each column (axis 0), NumPy's axes: a vector
    comes out of sum and logsumexp, a matrix of X's shape out of softmax."""
    lines = [list(r) for r in g] if axis == 1 else [[r[j] for r in g] for j in range(len(g[0]))]
    if f == "sum":
        return tuple((_total(line),) for line in lines)
    exps: list[list[Expr]] = [[Call("exp", (c,)) for c in line] for line in lines]
    if f == "logsumexp":
        return tuple((Call("log", (_total(line),)),) for line in exps)
    soft = [[BinOp("/", x, _total(line)) for x in line] for line in exps]
    return tuple(tuple(r) for r in soft) if axis == 1 else tuple(zip(*soft, strict=True))


class _Writer:
    def __init__(self, shapes: Mapping[str, Shape], sizes: Mapping[str, int]) -> None:
        self.shapes = shapes
        self.sizes = sizes

    def size(self, d: object) -> int:
        if isinstance(d, int):
            return d
        if isinstance(d, str) and d in self.sizes:
            return int(self.sizes[d])
        raise NotConcrete(f"dimension {d} has no size")

    def grid(self, e: Expr) -> Grid:
        method: Callable[[Expr], Grid] | None = getattr(self, "_" + type(e).__name__, None)
        if method is None:
            raise NotConcrete(type(e).__name__)
        return method(e)

    def _Num(self, e: Num) -> Grid:
        return ((e,),)

    def _Name(self, e: Name) -> Grid:
        shape = self.shapes.get(e.id, ())
        if not shape:
            return ((e,),)
        dims = [self.size(d) for d in shape]
        if len(dims) == 1:
            return tuple((Index(e, (i,)),) for i in range(1, dims[0] + 1))
        return tuple(tuple(Index(e, (i, j)) for j in range(1, dims[1] + 1)) for i in range(1, dims[0] + 1))

    def _ListLit(self, e: ListLit) -> Grid:
        if all(isinstance(it, ListLit) for it in e.items):
            rows = [row.items for row in e.items if isinstance(row, ListLit)]
            return tuple(tuple(self.scalar(c) for c in row) for row in rows)
        return tuple((self.scalar(it),) for it in e.items)

    def scalar(self, e: Expr) -> Expr:
        g = self.grid(e)
        if len(g) != 1 or len(g[0]) != 1:
            raise NotConcrete("an array where a scalar belongs")
        return g[0][0]

    def _Neg(self, e: Neg) -> Grid:
        return tuple(tuple(Neg(c) for c in r) for r in self.grid(e.arg))

    def _Transpose(self, e: Transpose) -> Grid:
        g = self.grid(e.arg)
        return tuple(zip(*g, strict=True))

    def _Index(self, e: Index) -> Grid:
        g = self.grid(e.base)
        i, j = (e.indices[0], 1) if len(e.indices) == 1 else e.indices
        return ((g[i - 1][j - 1],),)

    def _BinOp(self, e: BinOp) -> Grid:
        a, b = self.grid(e.left), self.grid(e.right)
        if e.op == "@":
            if len(a[0]) != len(b):
                raise NotConcrete("sizes that do not match")
            inner, cols = range(len(b)), range(len(b[0]))
            return tuple(tuple(_total([_times(r[k], b[k][j]) for k in inner]) for j in cols) for r in a)
        if len(a) == 1 and len(a[0]) == 1:
            a = tuple(tuple(a[0][0] for _ in r) for r in b)
        if len(b) == 1 and len(b[0]) == 1:
            b = tuple(tuple(b[0][0] for _ in r) for r in a)
        op = {"+": _plus, "-": _minus, "*": _times}.get(e.op, lambda x, y: BinOp(e.op, x, y))
        pairs = zip(a, b, strict=True)
        return tuple(tuple(op(x, y) for x, y in zip(ra, rb, strict=True)) for ra, rb in pairs)

    def _Call(self, e: Call) -> Grid:
        f = e.func
        if f in ("eye", "ones", "zeros") and len(e.args) == 1:
            arg = e.args[0]
            n = self.size(arg.value if isinstance(arg, Num) else arg.id if isinstance(arg, Name) else None)
            if f == "eye":
                return tuple(tuple(Num(int(i == j)) for j in range(n)) for i in range(n))
            return tuple((Num(int(f == "ones")),) for _ in range(n))
        if len(e.args) == 2 and isinstance(e.args[1], Num) and e.args[1].value in (0, 1) \
                and f in ("sum", "softmax", "logsumexp"):
            return _along(f, self.grid(e.args[0]), int(e.args[1].value))
        if len(e.args) != 1:
            raise NotConcrete(f"{f} with {len(e.args)} arguments")
        g = self.grid(e.args[0])
        if f in ("softmax", "logsumexp") and all(len(r) == 1 for r in g):
            exps: list[Expr] = [Call("exp", (r[0],)) for r in g]  # softmax(z)_i = exp(z_i) / Σ_k exp(z_k)
            if f == "logsumexp":
                return ((Call("log", (_total(exps),)),),)
            return tuple((BinOp("/", x, _total(exps)),) for x in exps)
        if f in ELEMENTWISE:
            return tuple(tuple(Call(f, (c,)) for c in r) for r in g)
        cells = [c for r in g for c in r]
        if f == "tr":
            return ((_total([g[i][i] for i in range(_square(g, "tr"))]),),)
        if f == "det":
            return ((_det(g),),)
        if f == "inv":
            return _inv(g)
        if f == "sum":
            return ((_total(cells),),)
        if f == "norm":
            return ((Call("sqrt", (_total([BinOp("^", c, Num(2)) for c in cells]),)),),)
        if f == "diag" and all(len(r) == 1 for r in g):
            n = len(g)
            return tuple(tuple(g[i][0] if i == j else Num(0) for j in range(n)) for i in range(n))
        raise NotConcrete(f"{f} has no entry formula here")
