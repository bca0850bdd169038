"""The value of an expression at given values of its variables, with NumPy.

The one evaluator of the language's expressions: the numeric check, ``derivgen
eval`` and the index engine (for the matrices under ``inv`` and ``det``) all use it.
Values follow the conventions of :mod:`derivgen.problem.shapes`: a scalar is a 0-d
array, a column vector a 1-D array ``(N,)``, a row vector ``(1, N)`` and a
matrix a 2-D array.  For ``@`` a vector acts as ``N×1`` and a ``1×1`` result
is a scalar.  Everything is float64; IEEE rules decide the value outside a
function's domain (``log(-1)`` is NaN, a singular ``inv`` is all NaN), and
callers that need a defined value check ``np.isfinite``.  A function's value
comes from its row in :data:`~derivgen.problem.functions.FUNCTIONS`.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import numpy as np

from derivgen.errors import ExpressionError
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose, children
from derivgen.problem.functions import FUNCTIONS, takes_size
from derivgen.problem.shapes import fmt_shape

Values = Mapping[str, "np.ndarray | float"]


def as_matrix(a: np.ndarray) -> np.ndarray:
    """A value as rows × columns, a column vector being ``N×1`` (shapes.as_matrix)."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def from_matrix(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`as_matrix`: ``1×1`` is a scalar, ``K×1`` a column (shapes.from_matrix)."""
    rows, cols = m.shape
    if rows == 1 and cols == 1:
        return m.reshape(())
    if cols == 1:
        return m.reshape(rows)
    return m


def _dims(a: np.ndarray) -> str:
    return fmt_shape(tuple(a.shape))


class Evaluator:
    """Evaluates expressions at fixed values; equal sub-trees are computed once.

    Nodes are numbered by structure (hash-consing, keyed through ``id`` so a
    shared sub-tree is never re-hashed), and the walk is iterative, so deep or
    heavily shared trees from the engine cost time linear in their size.
    """

    def __init__(self, values: Values, sizes: Mapping[str, int] | None = None) -> None:
        self.values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        self.sizes = dict(sizes or {})
        self._seen: dict[int, tuple[Expr, int]] = {}  # id(node) -> (node kept alive, key)
        self._keys: dict[tuple[object, ...], int] = {}
        self._results: list[np.ndarray] = []

    def value(self, root: Expr) -> np.ndarray:
        """The value of ``root``."""
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in self._seen:
                continue
            kids = self._operands(node)
            if not ready:
                stack.append((node, True))
                stack.extend((k, False) for k in kids if id(k) not in self._seen)
                continue
            self._finish(node, kids)
        return self._results[self._seen[id(root)][1]]

    def _operands(self, node: Expr) -> tuple[Expr, ...]:
        if takes_size(node):
            return ()  # its argument is a size, not a value
        return children(node)

    def _finish(self, node: Expr, kids: tuple[Expr, ...]) -> None:
        args = [self._seen[id(k)][1] for k in kids]
        key = (type(node).__name__, _payload(node), *args)
        slot = self._keys.get(key)
        if slot is None:
            with np.errstate(all="ignore"):
                result = self._apply(node, [self._results[i] for i in args])
            slot = len(self._results)
            self._results.append(np.asarray(result, dtype=np.float64))
            self._keys[key] = slot
        self._seen[id(node)] = (node, slot)

    def _apply(self, e: Expr, a: list[np.ndarray]) -> np.ndarray:
        if isinstance(e, Num):
            return np.asarray(float(e.value))
        if isinstance(e, Name):
            return self._name(e)
        if isinstance(e, Neg):
            return -a[0]
        if isinstance(e, Transpose):
            return from_matrix(as_matrix(a[0]).T)
        if isinstance(e, BinOp):
            return _binop(e, a[0], a[1])
        if isinstance(e, Call):
            return self._call(e, a)
        if isinstance(e, Index):
            return _index(e, a[0])
        if isinstance(e, ListLit):
            return _list(e, a)
        raise ExpressionError(f"cannot evaluate {type(e).__name__}", getattr(e, "offset", 0))

    def _name(self, e: Name) -> np.ndarray:
        if e.id not in self.values and e.id in self.sizes:  # a size name used as a number: x / N
            return np.asarray(float(self.sizes[e.id]))
        if e.id not in self.values:
            known = ", ".join(sorted(self.values)) or "none"
            raise ExpressionError(f"no value for '{e.id}' (values are given for: {known})", e.offset)
        return self.values[e.id]

    def _call(self, e: Call, a: list[np.ndarray]) -> np.ndarray:
        fn = FUNCTIONS.get(e.func)
        if fn is None:
            raise ExpressionError(f"unknown function '{e.func}'", e.offset)
        if fn.kind == "size":
            return fn.numpy(self._size(e))
        if fn.numpy_axis is not None and len(a) == 2:  # sum(X, axis), NumPy's axes; a row vector is 1×N
            return fn.numpy_axis(a[0], int(a[1]))
        if fn.shape(a[0].shape, operator.eq) is None:
            raise ExpressionError(f"{e.func} needs {fn.takes}, not {_dims(a[0])}", e.offset)
        return fn.numpy(a[0])

    def _size(self, e: Call) -> int:
        arg = e.args[0] if len(e.args) == 1 else None
        if isinstance(arg, Num) and float(arg.value).is_integer() and arg.value > 0:
            return int(arg.value)
        if isinstance(arg, Name) and arg.id in self.sizes:
            return int(self.sizes[arg.id])
        if isinstance(arg, Name):
            raise ExpressionError(f"{e.func}({arg.id}): no size given for dimension '{arg.id}'", e.offset)
        raise ExpressionError(f"{e.func} takes a size: a positive whole number or a dimension name", e.offset)


def _payload(e: Expr) -> object:
    """What distinguishes a node from others of its type, besides its operands."""
    if isinstance(e, Num):
        return float(e.value)
    if isinstance(e, Name):
        return e.id
    if isinstance(e, BinOp):
        return e.op
    if isinstance(e, Call):
        return (e.func, e.args) if takes_size(e) else e.func
    if isinstance(e, Index):
        return e.indices
    return None


def _binop(e: BinOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if e.op == "@":
        if a.ndim == 0 or b.ndim == 0:
            raise ExpressionError("'@' needs two arrays; use '*' for a scalar", e.offset)
        ma, mb = as_matrix(a), as_matrix(b)
        if ma.shape[1] != mb.shape[0]:
            raise ExpressionError(f"cannot multiply {_dims(a)} by {_dims(b)}", e.offset)
        return from_matrix(ma @ mb)
    if e.op == "^":
        if b.ndim != 0:
            raise ExpressionError(f"the exponent must be a scalar, not {_dims(b)}", e.offset)
        return np.power(a, b)
    if a.ndim and b.ndim and a.shape != b.shape:
        raise ExpressionError(f"cannot combine {_dims(a)} and {_dims(b)} elementwise with '{e.op}'", e.offset)
    if e.op == "*" and isinstance(e.left, Num) and e.left.value == 0:
        # ``0 * X`` is how a tidied result writes a zero array of X's shape: zero even where X is
        # undefined (X = v/‖v‖ at v = 0 in the derivative of a norm that cancelled to 0)
        return np.zeros(np.shape(b))
    return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[e.op](a, b)


def _index(e: Index, a: np.ndarray) -> np.ndarray:
    if a.ndim != len(e.indices):
        raise ExpressionError(f"a {_dims(a)} value takes {a.ndim} index(es), not {len(e.indices)}", e.offset)
    for i, n in zip(e.indices, a.shape, strict=True):
        if not 1 <= i <= n:
            raise ExpressionError(
                f"index {i} is out of range for {_dims(a)} (indices count from 1)", e.offset)
    return a[tuple(i - 1 for i in e.indices)]


def _list(e: ListLit, items: list[np.ndarray]) -> np.ndarray:
    if not items:
        raise ExpressionError("an empty list has no value", e.offset)
    rows = all(isinstance(it, ListLit) for it in e.items)
    want = 1 if rows else 0
    if any(v.ndim != want for v in items) or (rows and len({v.shape for v in items}) != 1):
        what = "rows of equal length" if rows else "scalars"
        raise ExpressionError(f"the entries of a list literal must be {what}", e.offset)
    return np.stack(items)


def evaluate(expr: Expr, values: Values, sizes: Mapping[str, int] | None = None) -> np.ndarray:
    """The value of ``expr`` (in the given variables) as a float64 array."""
    return Evaluator(values, sizes).value(expr)
