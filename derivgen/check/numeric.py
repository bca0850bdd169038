"""Numbers for expressions: evaluation, random points and finite differences.

Values follow the conventions of :mod:`derivgen.problem.shapes`: a scalar is a 0-d
array, a column vector a 1-D array ``(N,)``, a row vector ``(1, N)`` and a
matrix a 2-D array.  For ``@`` a vector acts as ``N×1`` and a ``1×1`` result
is a scalar.  Everything is float64; IEEE rules decide the value outside a
function's domain (``log(-1)`` is NaN, a singular ``inv`` is all NaN), and
callers that need a defined value check ``np.isfinite``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from derivgen.errors import ExpressionError, VerificationError
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose, children
from derivgen.problem.model import Problem
from derivgen.problem.shapes import fmt_shape

Values = Mapping[str, "np.ndarray | float"]

#: Sizes tried for symbolic dimensions the problem leaves open: distinct, so
#: that a transposed result cannot pass for the right one.
DEFAULT_SIZES = (3, 2, 4, 5, 6, 7, 8, 9)
#: Random points tried before giving up; the later ones use the safe distribution.
ATTEMPTS = 8
NORMAL_ATTEMPTS = 3
#: Largest condition number accepted for a matrix under ``inv``/``det``: beyond
#: it the finite differences themselves lose the digits the check relies on.
MAX_CONDITION = 1e3


def _sigma(z: np.ndarray) -> np.ndarray:
    """The logistic function without overflow: exp of a non-positive number only."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _dsigma(z: np.ndarray) -> np.ndarray:
    s = _sigma(z)
    return s * (1.0 - s)


ELEMENTWISE_FUNCS = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "tanh": np.tanh, "sigma": _sigma, "dsigma": _dsigma,
}


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
        if isinstance(node, Call) and node.func == "eye":
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
        if e.id not in self.values:
            known = ", ".join(sorted(self.values)) or "none"
            raise ExpressionError(f"no value for '{e.id}' (values are given for: {known})", e.offset)
        return self.values[e.id]

    def _call(self, e: Call, a: list[np.ndarray]) -> np.ndarray:
        f = e.func
        if f == "eye":
            return np.eye(self._size(e))
        if f in ELEMENTWISE_FUNCS:
            return ELEMENTWISE_FUNCS[f](a[0])
        if f in MATRIX_FUNCS:
            return MATRIX_FUNCS[f](e, a[0])
        raise ExpressionError(f"unknown function '{f}'", e.offset)

    def _size(self, e: Call) -> int:
        arg = e.args[0] if len(e.args) == 1 else None
        if isinstance(arg, Num) and float(arg.value).is_integer() and arg.value > 0:
            return int(arg.value)
        if isinstance(arg, Name) and arg.id in self.sizes:
            return int(self.sizes[arg.id])
        if isinstance(arg, Name):
            raise ExpressionError(f"eye({arg.id}): no size given for dimension '{arg.id}'", e.offset)
        raise ExpressionError("eye takes a size: a positive whole number or a dimension name", e.offset)


def _payload(e: Expr) -> object:
    """What distinguishes a node from others of its type, besides its operands."""
    if isinstance(e, Num):
        return float(e.value)
    if isinstance(e, Name):
        return e.id
    if isinstance(e, BinOp):
        return e.op
    if isinstance(e, Call):
        return (e.func, e.args) if e.func == "eye" else e.func
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
    for i, n in zip(e.indices, a.shape):
        if not 1 <= i <= n:
            raise ExpressionError(f"index {i} is out of range for {_dims(a)} (indices count from 1)", e.offset)
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


def _square(e: Call, a: np.ndarray) -> np.ndarray:
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ExpressionError(f"{e.func} needs a square matrix, not {_dims(a)}", e.offset)
    return a


def _inv(e: Call, a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(_square(e, a))
    except np.linalg.LinAlgError:  # exactly singular: undefined, like log(0)
        return np.full(a.shape, np.nan)


def _diag(e: Call, a: np.ndarray) -> np.ndarray:
    if a.ndim != 1:
        raise ExpressionError(f"diag needs a vector, not {_dims(a)}", e.offset)
    return np.diag(a)


MATRIX_FUNCS = {
    "inv": _inv,
    "det": lambda e, a: np.linalg.det(_square(e, a)),
    "tr": lambda e, a: np.trace(_square(e, a)),
    "norm": lambda e, a: np.sqrt(np.sum(a * a)),  # 2-norm of a vector, Frobenius of a matrix
    "sum": lambda e, a: np.sum(a),
    "diag": _diag,
}


def evaluate(expr: Expr, values: Values, sizes: Mapping[str, int] | None = None) -> np.ndarray:
    """The value of ``expr`` (in the given variables) as a float64 array."""
    return Evaluator(values, sizes).value(expr)


# --- sizes and random points -------------------------------------------------------


def concrete_sizes(problem: Problem) -> dict[str, int]:
    """A size for every symbolic dimension: the problem's own, else distinct small defaults."""
    shapes = [v.shape for v in problem.given] + [d.shape for d in problem.define if d.shape]
    dims = [d for s in shapes for d in s if isinstance(d, str)]
    taken = {d for s in shapes for d in s if isinstance(d, int)} | set(problem.sizes.values())
    free = (n for n in DEFAULT_SIZES if n not in taken)
    out = {d: int(n) for d, n in problem.sizes.items()}
    for d in dict.fromkeys(dims):
        if d not in out:
            out[d] = next(free, max(out.values(), default=1) + 1)
    return out


def concrete_shape(shape: tuple[object, ...], sizes: Mapping[str, int]) -> tuple[int, ...]:
    """A shape with its symbolic dimensions replaced by sizes."""
    try:
        return tuple(d if isinstance(d, int) else int(sizes[str(d)]) for d in shape)
    except KeyError as e:
        raise VerificationError(f"no size for dimension {e.args[0]}") from e


def _draw(shape: tuple[int, ...], assume: frozenset[str], rng: np.random.Generator, safe: bool) -> np.ndarray:
    if safe or "positive" in assume:
        a = rng.uniform(0.5, 1.5, size=shape)
    else:
        a = rng.standard_normal(size=shape)
    square = a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1
    if square and "symmetric" in assume:
        a = (a + a.T) / 2
    if square and (safe or "invertible" in assume or {"positive", "symmetric"} <= assume):
        # Diagonally dominant with a positive diagonal: invertible, det > 0 (Gershgorin).
        a = a + (2 if safe else 1) * a.shape[0] * np.eye(a.shape[0])
    return a


def _checked_quantities(problem: Problem) -> list[tuple[str, Expr]]:
    """Everything that must be defined at a point: each plain define and each find's ``of``."""
    names = [d.name for d in problem.define if not d.params] + [f.of for f in problem.find]
    return [(n, problem.expand(Name(n))) for n in dict.fromkeys(names)]


def _defect(quantities: list[tuple[str, Expr]], ev: Evaluator) -> str | None:
    """Why the point is unusable, or None when every quantity is defined there."""
    for name, expr in quantities:
        if not np.all(np.isfinite(ev.value(expr))):
            return f"{name} is not finite there"
        if not all(np.all(np.isfinite(ev.value(node))) for node in _nodes(expr)):
            # inv of an overflowed matrix is finite (zeros) but means nothing, and neither do
            # finite differences or a derivative evaluated there
            return f"a part of {name} overflows there"
        for node in _calls(expr, ("inv", "det")):
            m = ev.value(node.args[0])
            if np.all(np.isfinite(m)) and np.linalg.cond(m) > MAX_CONDITION:
                return f"a matrix under {node.func} in {name} is nearly singular there"
    return None


def _nodes(expr: Expr) -> list[Expr]:
    """Every sub-expression that has a value (not the size inside ``eye(n)``)."""
    out: list[Expr] = []
    seen: set[int] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, Call) and node.func == "eye":
            continue
        fresh = [c for c in children(node) if id(c) not in seen]
        seen.update(id(c) for c in fresh)
        stack.extend(fresh)
    return out


def _calls(expr: Expr, funcs: tuple[str, ...]) -> list[Call]:
    return [n for n in _nodes(expr) if isinstance(n, Call) and n.func in funcs]


def random_values(problem: Problem, sizes: Mapping[str, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A random point where every defined quantity and every ``of`` is finite and well posed."""
    quantities = _checked_quantities(problem)
    reason = ""
    for attempt in range(ATTEMPTS):
        safe = attempt >= NORMAL_ATTEMPTS
        values = {v.name: _draw(concrete_shape(v.shape, sizes), v.assume, rng, safe) for v in problem.given}
        defect = _defect(quantities, Evaluator(values, sizes))
        if defect is None:
            return values
        reason = defect
    where = ", ".join(f"{d}={n}" for d, n in sizes.items()) or "no symbolic dimensions"
    raise VerificationError(
        f"{problem.id}: could not find a point where the problem is defined after {ATTEMPTS} random "
        f"points ({where}); last time {reason}. If a variable must be positive or invertible, "
        "say so with 'assume' in 'given'."
    )


# --- finite differences ----------------------------------------------------------------


def _independent(problem: Problem, names: set[str]) -> Problem:
    """The problem with the named intermediates made free variables (for ∂L/∂e)."""
    return dataclasses.replace(problem, define=tuple(d for d in problem.define if d.name not in names))


def wrt_name(w: Expr) -> str:
    """The variable a wrt entry refers to: ``x`` for ``x`` and for ``x[2]``."""
    base = w.base if isinstance(w, Index) else w
    if not isinstance(base, Name):
        raise VerificationError("can only differentiate by a variable or one of its components")
    return base.id


def with_intermediates(problem: Problem, wrt: tuple[Expr, ...], values: Values,
                       sizes: Mapping[str, int]) -> dict[str, np.ndarray]:
    """``values`` plus the value of each defined quantity differentiated by."""
    out = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    for name in map(wrt_name, wrt):
        if name not in out and problem.definition(name) is not None:
            out[name] = evaluate(problem.expand(Name(name)), values, sizes)
    return out


def _coordinates(wrt: tuple[Expr, ...], values: Mapping[str, np.ndarray]) -> tuple[list[tuple[str, tuple[int, ...]]], tuple[int, ...]]:
    """The entries perturbed, in array-layout order, and the wrt part of the layout."""
    coords: list[tuple[str, tuple[int, ...]]] = []
    shape: tuple[int, ...] = ()
    for w in wrt:
        name = wrt_name(w)
        if name not in values:
            raise VerificationError(f"no value for '{name}' to differentiate by")
        shape = () if isinstance(w, Index) else tuple(values[name].shape)
        if len(wrt) > 1 and shape:
            raise VerificationError(f"'{name}' in a tuple to differentiate by must be a scalar")
        if isinstance(w, Index):
            ix = tuple(i - 1 for i in w.indices)
            if len(ix) != values[name].ndim or not all(0 <= i < n for i, n in zip(ix, values[name].shape)):
                raise VerificationError(f"{name}{list(w.indices)} is not an entry of {name} ({_dims(values[name])})")
            coords.append((name, ix))
        else:
            coords.extend((name, ix) for ix in np.ndindex(shape))
    return coords, ((len(wrt),) if len(wrt) > 1 else shape)


def numeric_derivative(problem: Problem, of_expr: Expr, wrt: tuple[Expr, ...], values: Values,
                       sizes: Mapping[str, int], h: float = 1e-6) -> np.ndarray:
    """d(of)/d(wrt) by central differences, in array layout (of's shape, then wrt's).

    ``of_expr`` may name defined quantities: it is expanded here, keeping any
    intermediate differentiated by (``dL/de``) a free variable.  Each entry is
    perturbed on its own by ``h·max(1, |entry|)``, also in a symmetric matrix:
    derivatives are taken by independent entries.
    """
    names = {wrt_name(w) for w in wrt}
    point = with_intermediates(problem, wrt, values, sizes)
    f = _independent(problem, names).expand(of_expr)
    coords, wrt_shape = _coordinates(wrt, point)
    columns = [_central(f, point, sizes, name, ix, h) for name, ix in coords]
    of_shape = evaluate(f, point, sizes).shape
    if not columns:
        return np.zeros(of_shape + wrt_shape)
    return np.stack(columns, axis=-1).reshape(of_shape + wrt_shape)


def _central(f: Expr, point: dict[str, np.ndarray], sizes: Mapping[str, int], name: str,
             ix: tuple[int, ...], h: float) -> np.ndarray:
    step = h * max(1.0, abs(float(point[name][ix])))
    plus, minus = dict(point), dict(point)
    plus[name] = point[name].copy()
    plus[name][ix] += step
    minus[name] = point[name].copy()
    minus[name][ix] -= step
    # The actual step, after rounding x ± step to floats, keeps the quotient honest.
    width = float(plus[name][ix] - minus[name][ix])
    return (evaluate(f, plus, sizes) - evaluate(f, minus, sizes)) / width
