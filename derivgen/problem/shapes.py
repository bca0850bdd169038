"""Shapes: inference over expressions, and the lectures' shape conventions.

A vector ``(N,)`` is a column.  For ``@`` a vector is treated as an ``N×1``
matrix and a result of ``1×1`` is a scalar, ``K×1`` a column vector; so
``x.T @ x`` is a scalar, ``x.T`` a row vector ``(1, N)`` and ``x @ x.T`` an
``N×N`` matrix, as on the slides.
"""

from __future__ import annotations

from collections.abc import Mapping

from derivgen.errors import ExpressionError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Dim,
    Expr,
    Index,
    ListLit,
    Name,
    Neg,
    Num,
    Shape,
    Transpose,
)
from derivgen.problem.functions import FUNCTIONS

SCALAR: Shape = ()


def fmt_dim(d: Dim) -> str:
    return str(d)


def fmt_shape(s: Shape) -> str:
    """``M×N`` for a matrix, ``N`` for a vector, ``scalar`` for ``()``."""
    if not s:
        return "scalar"
    return "×".join(fmt_dim(d) for d in s)


def is_scalar(s: Shape) -> bool:
    return len(s) == 0


def as_matrix(s: Shape) -> tuple[Dim, Dim]:
    """The shape as rows × columns, a column vector being ``N×1``."""
    if len(s) == 0:
        return (1, 1)
    if len(s) == 1:
        return (s[0], 1)
    return (s[0], s[1])


def from_matrix(rows: Dim, cols: Dim) -> Shape:
    """Inverse of :func:`as_matrix`: ``1×1`` is a scalar, ``K×1`` a column."""
    if rows == 1 and cols == 1:
        return ()
    if cols == 1:
        return (rows,)
    return (rows, cols)


def transpose_shape(s: Shape) -> Shape:
    r, c = as_matrix(s)
    return from_matrix(c, r)


def derivative_shape(of: Shape, wrt: Shape) -> Shape:
    """Array layout of d(of)/d(wrt): of's dims then wrt's (the jax.jacobian convention)."""
    return tuple(of) + tuple(wrt)


def printed_shape(of: Shape, wrt: Shape) -> Shape:
    """The shape the lectures print: a scalar by a vector is a row vector ``1×D``."""
    if not of and len(wrt) == 1:
        return (1, wrt[0])
    return tuple(of) + tuple(wrt)


class ShapeEnv:
    """Shapes of the names in scope, with concrete sizes used to unify dims."""

    def __init__(self, shapes: Mapping[str, Shape], sizes: Mapping[str, int] | None = None):
        self.shapes = dict(shapes)
        self.sizes = dict(sizes or {})

    def same(self, a: Dim, b: Dim) -> bool:
        """Two dims agree if equal, or equal once concrete sizes are known."""
        if a == b:
            return True
        va = a if isinstance(a, int) else self.sizes.get(a)
        vb = b if isinstance(b, int) else self.sizes.get(b)
        return va is not None and va == vb

    def same_shape(self, a: Shape, b: Shape) -> bool:
        return len(a) == len(b) and all(self.same(x, y) for x, y in zip(a, b, strict=True))


def _desc(e: Expr, s: Shape) -> str:
    """``A (M×N)`` for error messages; unnamed sub-expressions show their shape only."""
    from derivgen.problem.text import to_text  # local: printing imports shapes

    return f"{to_text(e)} ({fmt_shape(s)})"


def infer(e: Expr, env: ShapeEnv, cache: dict[Expr, Shape] | None = None) -> Shape:
    """The shape of ``e``; raises :class:`ExpressionError` at the offending node."""
    if cache is None:
        cache = {}
    hit = cache.get(e)
    if hit is not None:
        return hit
    s = _infer(e, env, cache)
    cache[e] = s
    return s


def _infer(e: Expr, env: ShapeEnv, cache: dict[Expr, Shape]) -> Shape:
    if isinstance(e, Num):
        return SCALAR
    if isinstance(e, Name):
        if e.id not in env.shapes:
            raise ExpressionError(f"unknown name '{e.id}'", e.offset)
        return env.shapes[e.id]
    if isinstance(e, Neg):
        return infer(e.arg, env, cache)
    if isinstance(e, Transpose):
        return transpose_shape(infer(e.arg, env, cache))
    if isinstance(e, BinOp):
        return _infer_binop(e, env, cache)
    if isinstance(e, Call):
        return _infer_call(e, env, cache)
    if isinstance(e, Index):
        return _infer_index(e, env, cache)
    if isinstance(e, ListLit):
        return _infer_list(e, env, cache)
    raise ExpressionError(f"unsupported expression {type(e).__name__}", getattr(e, "offset", 0))


def _infer_binop(e: BinOp, env: ShapeEnv, cache: dict[Expr, Shape]) -> Shape:
    a = infer(e.left, env, cache)
    b = infer(e.right, env, cache)
    if e.op == "@":
        (ar, ac), (br, bc) = as_matrix(a), as_matrix(b)
        if not a or not b:
            raise ExpressionError(
                f"'@' needs two arrays; use '*' for a scalar: "
                f"{_desc(e.left, a)} @ {_desc(e.right, b)}",
                e.offset,
            )
        if not env.same(ac, br):
            raise ExpressionError(
                f"cannot multiply {_desc(e.left, a)} by {_desc(e.right, b)}", e.offset
            )
        return from_matrix(ar, bc)
    if e.op == "^":
        if b:
            raise ExpressionError(f"the exponent must be a scalar, not {_desc(e.right, b)}", e.offset)
        _check_exponent(e)
        return a
    if e.op == "/" and a and b and not env.same_shape(a, b):  # a scalar over an array is elementwise
        raise ExpressionError(
            f"cannot divide {_desc(e.left, a)} by {_desc(e.right, b)}", e.offset
        )
    if not a:
        return b
    if not b:
        return a
    if not env.same_shape(a, b):
        verb = {"+": "add", "-": "subtract", "*": "multiply elementwise", "/": "divide"}[e.op]
        hint = " (use '@' for a matrix product)" if e.op == "*" else ""
        return _raise(f"cannot {verb} {_desc(e.left, a)} and {_desc(e.right, b)}{hint}", e.offset)
    return a


def constant_value(e: Expr) -> float | None:
    """The value of an expression made of numbers only (inf on overflow), else None."""
    import math

    if isinstance(e, Num):
        return float(e.value)
    if isinstance(e, Neg):
        v = constant_value(e.arg)
        return None if v is None else -v
    if isinstance(e, BinOp) and e.op in "+-*/^":
        a, b = constant_value(e.left), constant_value(e.right)
        if a is None or b is None:
            return None
        try:
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.inf,
                    "^": math.pow(abs(a), b) if a else 0.0}[e.op]
        except (OverflowError, ValueError):
            return math.inf
    return None


def _check_exponent(e: BinOp) -> None:
    from derivgen.limits import MAX_CONSTANT_EXPONENT

    v = constant_value(e.right)
    if v is not None and not abs(v) <= MAX_CONSTANT_EXPONENT:
        raise ExpressionError(
            f"the exponent is larger than derivgen's limit of {MAX_CONSTANT_EXPONENT}",
            getattr(e.right, "offset", e.offset),
        )


def _raise(msg: str, offset: int) -> Shape:
    raise ExpressionError(msg, offset)


def _infer_call(e: Call, env: ShapeEnv, cache: dict[Expr, Shape]) -> Shape:
    f = e.func
    fn = FUNCTIONS.get(f)
    if fn is not None and fn.kind == "size":
        s: Shape = (_size(e, env),)
    else:
        s = infer(e.args[0], env, cache)
    if fn is None:
        raise ExpressionError(f"unknown function '{f}'", e.offset)
    if fn.axis and len(e.args) == 2:
        return _axis_shape(e, s)
    out = fn.shape(s, env.same)
    if out is None:
        raise ExpressionError(f"{f} needs {fn.takes}, not {_desc(e.args[0], s)}", e.offset)
    return out


def _axis_shape(e: Call, s: Shape) -> Shape:
    """``sum(X, 0)``: the column sums, ``sum(X, 1)``: the row sums, each a vector (NumPy's axes)."""
    from derivgen.problem.functions import axis_of, axis_shape

    axis = axis_of(e)
    if axis is None:
        raise ExpressionError(f"the axis of {e.func} is 0 (each column) or 1 (each row), "
                              "a whole number", getattr(e.args[1], "offset", e.offset))
    out = axis_shape(s, axis, e.func)
    if out is None:
        raise ExpressionError(f"{_desc(e.args[0], s)} has no axis {axis} for {e.func} "
                              "(a matrix has axes 0 and 1, a vector only 0)", e.offset)
    return out


def _size(e: Call, env: ShapeEnv) -> Dim:
    """The argument of ``eye(n)``, a size rather than a value."""
    arg = e.args[0]
    if isinstance(arg, Num) and isinstance(arg.value, int) and arg.value > 0:
        from derivgen.limits import MAX_DIMENSION_SIZE

        if arg.value > MAX_DIMENSION_SIZE:
            raise ExpressionError(f"{e.func}({arg.value}) is larger than derivgen's limit of "
                                  f"{MAX_DIMENSION_SIZE} for a dimension", e.offset)
        return arg.value
    if isinstance(arg, Name) and env.shapes.get(arg.id, ()) == ():  # a size name is also a number (x / N)
        return arg.id
    raise ExpressionError(f"{e.func} takes a size: a positive whole number or a dimension name", e.offset)


def _infer_index(e: Index, env: ShapeEnv, cache: dict[Expr, Shape]) -> Shape:
    s = infer(e.base, env, cache)
    if len(e.indices) != len(s):
        kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}[len(s)]
        raise ExpressionError(
            f"{_desc(e.base, s)} is {kind}: it takes {len(s)} index(es), not {len(e.indices)}",
            e.offset,
        )
    for i, d in zip(e.indices, s, strict=True):
        size = d if isinstance(d, int) else env.sizes.get(d)
        if i < 1 or (size is not None and i > size):
            raise ExpressionError(
                f"index {i} is out of range for {_desc(e.base, s)} (indices count from 1)", e.offset
            )
    return SCALAR


def _infer_list(e: ListLit, env: ShapeEnv, cache: dict[Expr, Shape]) -> Shape:
    if not e.items:
        raise ExpressionError("an empty list has no shape", e.offset)
    row_lists = [it for it in e.items if isinstance(it, ListLit)]
    if len(row_lists) == len(e.items):
        rows = [_infer_list(r, env, cache) for r in row_lists]
        widths = {r[0] for r in rows}
        if len(widths) != 1 or any(len(r) != 1 for r in rows):
            raise ExpressionError("the rows of a matrix literal must all have the same length", e.offset)
        return (len(rows), rows[0][0])
    for it in e.items:
        s = infer(it, env, cache)
        if s:
            raise ExpressionError(
                f"entries of a vector literal must be scalars, not {_desc(it, s)}",
                getattr(it, "offset", e.offset),
            )
    return (len(e.items),)
