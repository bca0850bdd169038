"""The numeric check: every form of a derived result against finite differences.

A result is compared, entry by entry and in array layout, with central
differences at a few random points.  An entry passes when

    |derived − numeric| ≤ RTOL·(1 + |numeric|) + NOISE·max|f|

Central differences with a step of ``1e-6·max(1, |x|)`` are off by about
``h²·f'''`` (≈1e-12) plus rounding, ``ε·|f|/h`` (≈2e-10·|f|); the ``NOISE``
term covers the rounding of a large ``f`` fifty times over, and ``RTOL`` leaves
a margin of about a thousand over the remaining error at points of size one.
A wrong result (a factor off, a transpose, a missing term) differs by a
relative amount of order one at random points, far above ``1e-5``.  Points
where the differences themselves are unstable (``h`` and ``2h`` disagree) are
redrawn instead of being held against the result; so are points where any part
of the function is not finite (:func:`numeric.random_values`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from math import prod
from typing import TYPE_CHECKING

from derivgen.derivation import Derivation, Explicit, IndexNotation, Result, Verification
from derivgen.derivation.index_form import IndexForm
from derivgen.errors import VerificationError
from derivgen.problem.expr import Expr, Name
from derivgen.problem.model import Find, Problem
from derivgen.problem.shapes import fmt_shape
from derivgen.problem.text import to_text

if TYPE_CHECKING:
    import numpy as np

    from derivgen.problem.evaluate import Evaluator, Values

RTOL = 1e-5
"""Relative (and, below magnitude one, absolute) tolerance per entry."""
NOISE = 1e-8
"""Allowance for rounding in the differences, relative to the largest |f|."""
STEP = 1e-6
"""Relative step of the central differences."""
EXTRA_POINTS = 3
"""Points that may be redrawn because the differences were unstable there."""


def evaluate_result(problem: Problem, derivation: Derivation, values: Values,
                    sizes: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Every form the result carries ('closed', 'index', 'explicit'), in array layout.

    The explicit array is written out for the problem's own ``sizes``; at
    other sizes (``derivgen eval`` with larger arrays) it does not apply and is
    left out rather than read with entries missing.
    """
    from derivgen.check.index_values import index_array
    from derivgen.check.numeric import Evaluator, concrete_shape

    r = derivation.result
    label = f"{problem.id}: d{derivation.of}/d{derivation.wrt}"
    shape = concrete_shape(r.shape, sizes)
    ev = Evaluator(values, sizes)
    out: dict[str, np.ndarray] = {}
    if r.closed is not None:
        out["closed"] = _closed(r, r.closed, ev.value(r.closed), sizes, label)
    if r.index is not None:
        index = index_array(_index_form(r.index, label), values, sizes)
        out["index"] = _as_array(index, shape, "index", label)
    if r.explicit is not None and _explicit_applies(problem, sizes):
        out["explicit"] = _as_array(_explicit(r.explicit, ev, label), shape, "explicit", label)
    return out


def _index_form(index: IndexNotation, label: str) -> IndexForm:
    if not isinstance(index, IndexForm):
        raise VerificationError(f"{label}: the index form is not an entry formula: {index}")
    return index


def _explicit_applies(problem: Problem, sizes: Mapping[str, int]) -> bool:
    return all(sizes.get(d, n) == n for d, n in problem.sizes.items())


def _closed(r: Result, closed: Expr, value: np.ndarray, sizes: Mapping[str, int], label: str) -> np.ndarray:
    """The closed form's value (printed shape) reshaped to the array layout."""
    from derivgen.check.numeric import concrete_shape

    printed = concrete_shape(r.printed, sizes)
    shape = concrete_shape(r.shape, sizes)
    one_entry = value.size == 1 == prod(printed)
    if value.shape != printed and not one_entry:
        raise VerificationError(
            f"{label}: the closed form {to_text(closed)} has shape {_fmt(value.shape)}, "
            f"but the result is printed as {fmt_shape(r.printed)} ({_fmt(printed)} here)"
        )
    return _as_array(value.reshape(printed) if not one_entry else value, shape, "closed", label)


def _as_array(value: object, shape: tuple[int, ...], form: str, label: str) -> np.ndarray:
    import numpy as np

    a = np.asarray(value, dtype=np.float64)
    if a.shape != shape and a.size != prod(shape):
        raise VerificationError(f"{label}: the {form} form has shape {_fmt(a.shape)}, not {_fmt(shape)}")
    return a.reshape(shape)


def _explicit(x: Explicit, ev: Evaluator, label: str) -> np.ndarray:
    """Nested tuples of scalar expressions, evaluated entry by entry."""
    import numpy as np

    if isinstance(x, tuple):
        parts = [_explicit(item, ev, label) for item in x]
        if len({p.shape for p in parts}) > 1:
            raise VerificationError(f"{label}: the explicit array is ragged")
        return np.array(parts, dtype=np.float64)
    v = ev.value(x)
    if v.ndim:
        raise VerificationError(f"{label}: an entry of the explicit array is not a scalar: {to_text(x)}")
    return v


def _fmt(shape: tuple[int, ...]) -> str:
    return fmt_shape(tuple(shape))


# --- the check ------------------------------------------------------------------------------


def point_seed(problem: Problem, find: Find, seed: int = 0) -> int:
    """A seed fixed by the problem and the find, so that builds are reproducible."""
    digest = hashlib.sha256(f"{problem.id}\0{find.text}\0{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def verify(problem: Problem, find: Find, derivation: Derivation, points: int = 3,
           seed: int = 0) -> Derivation:
    """The derivation with ``verified`` set, or :class:`VerificationError` if any form is wrong."""
    import numpy as np

    from derivgen.check import numeric

    r = derivation.result
    if r.closed is None and r.index is None and r.explicit is None:
        raise VerificationError(
            f"{problem.id}: {find.text}: the result has no closed form, index form or explicit "
            "array, so it cannot be checked, and an unchecked result is not published"
        )
    sizes = numeric.concrete_sizes(problem)
    rng = np.random.default_rng(point_seed(problem, find, seed))
    worst, checked = 0.0, 0
    for _ in range(points + EXTRA_POINTS):
        if checked == points:
            break
        values = numeric.random_values(problem, sizes, rng)
        error = _check_point(problem, find, derivation, values, sizes, f"point {checked + 1} of {points}")
        if error is not None:
            worst, checked = max(worst, error), checked + 1
    if checked < points:
        raise VerificationError(
            f"{problem.id}: {find.text}: finite differences were unstable at {points + EXTRA_POINTS} "
            f"random points (sizes {_sizes(sizes)}); the result could not be checked"
        )
    check = Verification(method="finite differences", sizes=dict(sizes), max_abs_error=worst, points=points)
    return replace(derivation, verified=check)


def _check_point(problem: Problem, find: Find, derivation: Derivation, values: dict[str, np.ndarray],
                 sizes: Mapping[str, int], where: str) -> float | None:
    """Largest error of every form at one point; None if the differences are unstable there."""
    import numpy as np

    from derivgen.check.numeric import evaluate, numeric_derivative, with_intermediates

    of = Name(find.of)
    numeric = numeric_derivative(problem, of, find.wrt, values, sizes, STEP)
    coarse = numeric_derivative(problem, of, find.wrt, values, sizes, 2 * STEP)
    point = with_intermediates(problem, find.wrt, values, sizes)
    f_scale = float(np.max(np.abs(evaluate(problem.expand(of), values, sizes)), initial=0.0))
    tol = RTOL * (1 + np.abs(numeric)) + NOISE * f_scale
    if not np.all(np.isfinite(numeric)) or np.any(np.abs(numeric - coarse) > tol / 4):
        return None
    worst = 0.0
    forms = evaluate_result(problem, derivation, point, sizes)
    if derivation.result.explicit is not None and "explicit" not in forms:
        raise VerificationError(
            f"{problem.id}: {find.text}: the explicit array is not written for the problem's sizes")
    for form, derived in forms.items():
        _compare(problem, find, derivation, form, derived, numeric, tol, f"{where}, sizes {_sizes(sizes)}")
        worst = max(worst, float(np.max(np.abs(derived - numeric), initial=0.0)))
    return worst


def _compare(problem: Problem, find: Find, derivation: Derivation, form: str, derived: np.ndarray,
             numeric: np.ndarray, tol: np.ndarray, where: str) -> None:
    import numpy as np

    label = f"{problem.id}: {find.text}"
    name = _form_name(derivation, form)
    if derived.shape != numeric.shape:
        raise VerificationError(
            f"{label}: {name} has shape {_fmt(derived.shape)} but finite differences give "
            f"{_fmt(numeric.shape)} ({where})"
        )
    bad = ~(np.abs(derived - numeric) <= tol)  # NaN in derived counts as bad
    if not np.any(bad):
        return
    ix = tuple(int(i) for i in np.argwhere(bad)[0])
    raise VerificationError(
        f"{label}: {name} disagrees with finite differences at {_entry(find, derivation, ix)}: "
        f"derived {derived[ix]:.6g}, numeric {numeric[ix]:.6g} ({where})"
    )


def _form_name(derivation: Derivation, form: str) -> str:
    closed = derivation.result.closed
    if form == "closed" and closed is not None:
        text = to_text(closed)
        return f"the closed form {text}" if len(text) <= 80 else "the closed form"
    return {"index": "the index form", "explicit": "the explicit array"}.get(form, f"the {form} form")


def _entry(find: Find, derivation: Derivation, ix: tuple[int, ...]) -> str:
    """``entry (2, 1, 3), ∂f[2]/∂A[1, 3]`` with indices counted from 1, as in the lectures."""
    if not ix:
        return f"the value d{find.of}/d{find.wrt_text}"
    k = len(derivation.of_shape)
    of_ix, wrt_ix = ix[:k], ix[k:]
    of = find.of + (_sub(of_ix) if of_ix else "")
    if len(find.wrt) > 1:
        wrt = to_text(find.wrt[wrt_ix[0]])
    else:
        wrt = find.wrt_text + (_sub(wrt_ix) if wrt_ix else "")
    return f"entry {_sub(ix, '(', ')')}, ∂{of}/∂{wrt}"


def _sub(ix: tuple[int, ...], left: str = "[", right: str = "]") -> str:
    return left + ", ".join(str(i + 1) for i in ix) + right


def _sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{d}={n}" for d, n in sizes.items()) or "none"
