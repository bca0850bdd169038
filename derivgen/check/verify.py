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

The comparison is also relative to the derivative's own scale: the ``1`` above is
replaced by the largest |numeric| entry at the point (plus the measured
difference between steps ``h`` and ``2h``) whenever that is smaller, so that
``1e-20·x²`` is checked to five digits instead of passing below ``1e-5``.

A check must be able to tell right from wrong.  At a point it can when a result
off by :data:`PERTURB` (relatively) would fail at some entry; a derivative below
the noise everywhere (``1e-320·x²``, where the differences underflow) or a
function flat at every point drawn (``tanh(1e6·x)`` at values of size one)
cannot be.  When no point of the usual draw can tell, points are drawn again
with every variable scaled by :data:`SCALES`, with the step scaled alike, so that
``tanh(1e6·x)`` is compared where it varies (``x`` about ``1e-6``).  If no scale
helps the result is not published: :class:`VerificationError` says why and what
to do.  A derivative that is zero because the function does not name the
variable at all is known to be zero and passes when the result is zero.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from math import prod
from typing import TYPE_CHECKING

from derivgen.derivation import Derivation, Explicit, IndexNotation, Result, Verification
from derivgen.derivation.index_form import IndexForm
from derivgen.errors import VerificationError
from derivgen.problem.expr import BinOp, Call, Expr, ListLit, Name, Neg, Num, Transpose
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
PERTURB = 1e-3
"""A result off by this relative amount must fail at some entry for a point to count as telling."""
TINY = 1e-300
"""Absolute floor of the tolerance, far below any value a check can resolve."""
SCALES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e1, 1e2, 1e3)
"""Factors on every variable for the points drawn again when none of the usual ones could tell."""
UNDERFLOW = 1e-290
"""Values of f below this are near underflow: their differences lose every digit."""
SCALE_TRIES = 2
"""Points tried at a scale before the next one, unless one of them could tell."""


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
        out["closed"] = _closed(r, r.closed, ev.value(r.closed), sizes, label, len(derivation.of_shape))
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


def _closed(r: Result, closed: Expr, value: np.ndarray, sizes: Mapping[str, int], label: str,
            of_axes: int = 0) -> np.ndarray:
    """The closed form's value (printed shape) reshaped to the array layout.

    In denominator layout the value (wrt's axes first) is permuted back to of's axes first, so
    that it is compared entry by entry with the same finite differences as every other form.
    """
    from derivgen.check.numeric import concrete_shape

    printed = concrete_shape(r.printed, sizes)
    shape = concrete_shape(r.shape, sizes)
    one_entry = value.size == 1 == prod(printed)
    if value.shape != printed and not one_entry:
        raise VerificationError(
            f"{label}: the closed form {to_text(closed)} has shape {_fmt(value.shape)}, "
            f"but the result is printed as {fmt_shape(r.printed)} ({_fmt(printed)} here)"
        )
    if r.layout == "denominator" and not one_entry:
        from derivgen.check.layout import from_denominator_array

        swapped = shape[of_axes:] + shape[:of_axes]
        return from_denominator_array(value.reshape(swapped), len(swapped) - of_axes)
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


@dataclass(frozen=True)
class _Point:
    """What one point showed: the largest error and whether it could tell right from wrong."""

    error: float
    telling: bool
    zero: bool
    """Numeric and derived values are all exactly zero."""
    derivative: float
    """Largest |numeric| entry."""
    function: float
    """Largest |f|."""


def verify(problem: Problem, find: Find, derivation: Derivation, points: int = 3,
           seed: int = 0) -> Derivation:
    """The derivation with ``verified`` set, or :class:`VerificationError` if any form is wrong.

    Also :class:`VerificationError` when the finite differences cannot tell a right
    result from a wrong one at any point tried (see the module's docstring).
    """
    import numpy as np

    from derivgen.check import numeric

    if find.degree is not None:  # taylor(f, x, x0, k): the order of the error
        from derivgen.check.taylor import verify_taylor

        return verify_taylor(problem, find, derivation, seed)
    if find.first:  # d2f/dxdy: differences of the checked first derivative
        from derivgen.check.second import verify_second

        return verify_second(problem, find, derivation, verify, evaluate_result, points, seed)
    r = derivation.result
    if r.closed is None and r.index is None and r.explicit is None:
        raise VerificationError(
            f"{problem.id}: {find.text}: the result has no closed form, index form or explicit "
            "array, so it cannot be checked, and an unchecked result is not published"
        )
    sizes = numeric.concrete_sizes(problem)
    rng = np.random.default_rng(point_seed(problem, find, seed))
    worst, seen = 0.0, list[_Point]()
    for _ in range(points + EXTRA_POINTS):
        if len(seen) == points:
            break
        values = numeric.random_values(problem, sizes, rng)
        point = _check_point(problem, find, derivation, values, sizes, f"point {len(seen) + 1} of {points}")
        if point is not None:
            worst = max(worst, point.error)
            seen.append(point)
    if len(seen) < points:
        raise VerificationError(
            f"{problem.id}: {find.text}: finite differences were unstable at {points + EXTRA_POINTS} "
            f"random points (sizes {_sizes(sizes)}); the result could not be checked"
        )
    method = "finite differences"
    if not any(p.telling for p in seen):
        independent = not numeric.depends_on(problem, Name(find.of), find.wrt)
        zero = all(p.zero for p in seen) and (independent or _symbolically_zero(r))
        if not zero:
            scaled = _scaled_check(problem, find, derivation, sizes, rng, points)
            if scaled is None:
                raise VerificationError(_cannot_tell(problem, find, seen, sizes))
            scale, worst = scaled
            method = (f"central finite differences with every variable scaled by {scale:.0e} "
                      f"(where {find.of} varies)")
    check = Verification(method=method, sizes=dict(sizes), max_abs_error=worst, points=points)
    return replace(derivation, verified=check)


def _symbolically_zero(r: object) -> bool:
    """The derived result is zero as written, not only in value: ``0``, ``0 * X``, an index form of
    no terms, or an explicit array of zeros (``x + x - (x + x)`` differentiates to this).  Then
    exactly-zero finite differences agree with it, and a formula that is zero only in floating
    point (a saturated ``tanh``) is not taken for it."""
    closed = getattr(r, "closed", None)
    if isinstance(closed, Expr) and _zero_expr(closed):
        return True
    index = getattr(r, "index", None)
    expr = getattr(index, "expr", None)
    if expr is not None and not getattr(expr, "terms", (1,)):
        return True

    def zeros(x: object) -> bool:
        return all(zeros(i) for i in x) if isinstance(x, tuple) else x == Num(0)

    explicit = getattr(r, "explicit", None)
    return closed is None and index is None and explicit is not None and zeros(explicit)


def _zero_expr(e: Expr) -> bool:
    """Zero as written: ``0``, a product with a zero factor, ``u - u``, the norm or transpose of zero."""
    if isinstance(e, Num):
        return e.value == 0
    if isinstance(e, BinOp):
        if e.op in ("*", "@"):
            return _zero_expr(e.left) or _zero_expr(e.right)
        if e.op == "/":
            return _zero_expr(e.left)
        if e.op in ("+", "-"):
            return (_zero_expr(e.left) and _zero_expr(e.right)) or (e.op == "-" and e.left == e.right)
        return False
    if isinstance(e, (Neg, Transpose)):
        return _zero_expr(e.arg)
    if isinstance(e, Call) and e.func in ("norm", "sqrt", "diag") and len(e.args) == 1:
        return _zero_expr(e.args[0])
    if isinstance(e, ListLit):
        return all(_zero_expr(i) for i in e.items)
    return False


def _scaled_check(problem: Problem, find: Find, derivation: Derivation, sizes: Mapping[str, int],
                  rng: np.random.Generator, points: int) -> tuple[float, float] | None:
    """The first scale of the variables at which ``points`` points can tell, and the largest error there.

    A point that disagrees raises, as at the usual points: the result is wrong where it varies.
    """
    from derivgen.check import numeric

    for scale in SCALES:
        telling: list[_Point] = []
        for attempt in range(points + EXTRA_POINTS):
            if len(telling) == points or (attempt >= SCALE_TRIES and not telling):
                break
            try:
                values = numeric.random_values(problem, sizes, rng, scale)
            except VerificationError:
                break  # nowhere defined at this scale (overflow, say): try the next
            where = f"point {len(telling) + 1} of {points}, every variable scaled by {scale:.0e}"
            point = _check_point(problem, find, derivation, values, sizes, where, STEP * min(1.0, scale))
            if point is not None and point.telling:
                telling.append(point)
        if len(telling) == points:
            return scale, max(p.error for p in telling)
    return None


def _cannot_tell(problem: Problem, find: Find, seen: list[_Point], sizes: Mapping[str, int]) -> str:
    """Why the check could not tell right from wrong, and what to do, as one message."""
    wrt, of = find.wrt_text, find.of
    head = (f"{find.text}: the numeric check cannot tell a right result from a wrong one, so it is not "
            f"published as verified: ")
    at = f" (sizes {_sizes(sizes)})" if sizes else ""
    tried = (f"{len(seen)} random points{at} and again with every variable scaled by factors from "
             f"{min(SCALES):.0e} to {max(SCALES):.0e}")
    d, f = max(p.derivative for p in seen), max(p.function for p in seen)
    if d == 0.0 and 0.0 < f < UNDERFLOW:
        return head + (
            f"{of} is so small (about {f:.1e}) that its changes underflow: the finite differences are "
            f"exactly zero at {tried}, so a wrong formula would pass as well. Rescale the problem's "
            f"constants so that {of} is not near the smallest floating-point numbers (about 1e-308)")
    if d == 0.0:
        return head + (
            f"{of} does not change when {wrt} does at any of {tried} (the finite differences are exactly "
            f"zero: {of} is flat or saturated there, as tanh or exp of a large argument are), so a wrong "
            f"formula would pass as well. If d{of}/d{wrt} is zero everywhere, write {of} without {wrt}; "
            f"if {of} saturates, scale its argument so that it varies for values of size about 1")
    return head + (
        f"the derivative (largest entry {d:.1e}) is within the rounding noise of finite differences "
        f"next to {of} of size {f:.1e} at {tried}, so a result off by {PERTURB:.0e} of itself would pass "
        f"as well. Rescale the problem's constants so that {of} and its derivative are neither tiny "
        f"(near 1e-308, where floating point underflows) nor dwarfed by the size of {of}")


def _symmetrised(problem: Problem, find: Find, numeric: np.ndarray) -> bool:
    """A scalar's gradient by a symmetric matrix whose given asks for ``gradient: symmetrised``."""
    w = find.wrt[0] if len(find.wrt) == 1 else None
    var = problem.var(w.id) if isinstance(w, Name) else None
    return var is not None and var.gradient == "symmetrised" and numeric.ndim == 2 and len(var.shape) == 2


def _check_point(problem: Problem, find: Find, derivation: Derivation, values: dict[str, np.ndarray],
                 sizes: Mapping[str, int], where: str, step: float = STEP) -> _Point | None:
    """Largest error of every form at one point and whether it could tell; None if unstable there."""
    import numpy as np

    from derivgen.check.numeric import evaluate, numeric_derivative, with_intermediates

    of = Name(find.of)
    numeric = numeric_derivative(problem, of, find.wrt, values, sizes, step)
    coarse = numeric_derivative(problem, of, find.wrt, values, sizes, 2 * step)
    if _symmetrised(problem, find, numeric):  # gradient: symmetrised compares with sym(G) = (G + Gᵀ)/2
        numeric, coarse = (numeric + numeric.T) / 2, (coarse + coarse.T) / 2
    point = with_intermediates(problem, find.wrt, values, sizes)
    f_scale = float(np.max(np.abs(evaluate(problem.expand(of), values, sizes)), initial=0.0))
    usual = RTOL * (1 + np.abs(numeric)) + NOISE * f_scale
    if not np.all(np.isfinite(numeric)) or np.any(np.abs(numeric - coarse) > usual / 4):
        return None
    scale = float(np.max(np.abs(numeric), initial=0.0))
    own = RTOL * (np.abs(numeric) + scale) + NOISE * f_scale + np.abs(numeric - coarse) + TINY
    tol = np.minimum(usual, own)
    worst, zero = 0.0, not np.any(numeric)
    forms = evaluate_result(problem, derivation, point, sizes)
    if derivation.result.explicit is not None and "explicit" not in forms:
        raise VerificationError(
            f"{problem.id}: {find.text}: the explicit array is not written for the problem's sizes")
    for form, derived in forms.items():
        _compare(problem, find, derivation, form, derived, numeric, tol, f"{where}, sizes {_sizes(sizes)}")
        worst = max(worst, float(np.max(np.abs(derived - numeric), initial=0.0)))
        zero = zero and not np.any(derived)
    telling = bool(np.any(PERTURB * np.abs(numeric) > 2 * tol))
    return _Point(worst, telling, zero, scale, f_scale)


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
