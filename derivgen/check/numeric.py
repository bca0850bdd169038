"""Numbers for the check: random points, sizes and finite differences.

Expressions are evaluated by :mod:`derivgen.problem.evaluate` (re-exported here):
the same evaluator as ``derivgen eval`` and the index engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from derivgen.errors import VerificationError
from derivgen.problem.evaluate import Evaluator, Values, as_matrix, evaluate, from_matrix  # noqa: F401 - re-exported
from derivgen.problem.expr import Call, Expr, Index, Name, children
from derivgen.problem.functions import KINKED, takes_size
from derivgen.problem.model import Problem
from derivgen.problem.shapes import fmt_shape

#: Sizes tried for symbolic dimensions the problem leaves open: distinct, so
#: that a transposed result cannot pass for the right one.
DEFAULT_SIZES = (3, 2, 4, 5, 6, 7, 8, 9)
#: Random points tried before giving up; the later ones use the safe distribution.
ATTEMPTS = 8
NORMAL_ATTEMPTS = 3
#: Largest condition number accepted for a matrix under ``inv``/``det``: beyond
#: it the finite differences themselves lose the digits the check relies on.
MAX_CONDITION = 1e3
#: How close to 0 (relative to the argument's size, at least 1) the argument of relu, abs, step or
#: sign may come: at its kink a function has no derivative, and near it finite differences straddle it.
KINK_MARGIN = 1e-3


def _dims(a: np.ndarray) -> str:
    return fmt_shape(tuple(a.shape))


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


def _draw(shape: tuple[int, ...], assume: frozenset[str], rng: np.random.Generator, safe: bool,
          scale: float = 1.0) -> np.ndarray:
    if "simplex" in assume and len(shape) == 1:
        return rng.dirichlet(np.ones(shape[0]))  # entries > 0 summing to 1, at any scale
    positive = safe or "positive" in assume
    a = rng.uniform(0.5, 1.5, size=shape) if positive else rng.standard_normal(size=shape)
    square = a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1
    if square and "symmetric" in assume:
        a = (a + a.T) / 2
    if square and (safe or "invertible" in assume or {"positive", "symmetric"} <= assume):
        # Diagonally dominant with a positive diagonal: invertible, det > 0 (Gershgorin).
        a = a + (2 if safe else 1) * a.shape[0] * np.eye(a.shape[0])
    return a if scale == 1.0 else a * scale


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
        for node in _calls(expr, KINKED):
            arg = np.abs(ev.value(node.args[0]))
            if arg.size and np.min(arg) < KINK_MARGIN * max(1.0, float(np.max(arg))):
                return f"an argument of {node.func} in {name} is near 0, where {node.func} has a kink"
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
        if takes_size(node):
            continue
        fresh = [c for c in children(node) if id(c) not in seen]
        seen.update(id(c) for c in fresh)
        stack.extend(fresh)
    return out


def _calls(expr: Expr, funcs: tuple[str, ...]) -> list[Call]:
    return [n for n in _nodes(expr) if isinstance(n, Call) and n.func in funcs]


def random_values(problem: Problem, sizes: Mapping[str, int],
                  rng: np.random.Generator, scale: float = 1.0) -> dict[str, np.ndarray]:
    """A random point where every defined quantity and every ``of`` is finite and well posed.

    ``scale`` multiplies every value drawn (signs, symmetry and invertibility are kept):
    the check looks at smaller or larger values where a function is flat at size one.
    """
    quantities = _checked_quantities(problem)
    reason = ""
    for attempt in range(ATTEMPTS):
        safe = attempt >= NORMAL_ATTEMPTS
        values = {v.name: _draw(concrete_shape(v.shape, sizes), v.assume, rng, safe, scale)
                  for v in problem.given}
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


def _coordinates(wrt: tuple[Expr, ...], values: Mapping[str, np.ndarray],
                 ) -> tuple[list[tuple[str, tuple[int, ...]]], tuple[int, ...]]:
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
            dims = values[name].shape
            if len(ix) != len(dims) or not all(0 <= i < n for i, n in zip(ix, dims, strict=True)):
                raise VerificationError(
                    f"{name}{list(w.indices)} is not an entry of {name} ({_dims(values[name])})")
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


def depends_on(problem: Problem, of_expr: Expr, wrt: tuple[Expr, ...]) -> bool:
    """Whether ``of_expr``, written out as the finite differences see it, names any wrt variable.

    When it does not, its derivative is zero everywhere, whatever the numbers say.
    """
    names = {wrt_name(w) for w in wrt}
    f = _independent(problem, names).expand(of_expr)
    return any(isinstance(n, Name) and n.id in names for n in _nodes(f))
