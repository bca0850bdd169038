"""The numeric check of a second derivative: finite differences of the checked first derivative.

``d2f/dxdy`` is ∂/∂x of ∂f/∂y.  The first derivative is checked first, against
finite differences of f, by the usual check; then every form of the second
derivative is compared, at random points, with central differences (by x) of
that first derivative's own formula.  Differences of differences of f would
lose half the digits; differences of a checked formula keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from derivgen.derivation import Derivation, Verification
from derivgen.errors import VerificationError
from derivgen.problem.model import Find, Problem

if TYPE_CHECKING:
    import numpy as np

Verify = Callable[[Problem, Find, Derivation], Derivation]
Forms = Callable[[Problem, Derivation, dict, Mapping[str, int]], dict]

RTOL = 1e-5
"""Relative (and, below magnitude one, absolute) tolerance per entry, as in the first check."""
NOISE = 1e-8
"""Allowance for rounding, relative to the largest entry of the first derivative."""
STEP = 1e-6
"""Relative step of the central differences."""


def verify_second(problem: Problem, find: Find, derivation: Derivation, verify_first: Verify,
                  forms: Forms, points: int = 3, seed: int = 0) -> Derivation:
    """The second derivative with ``verified`` set (its first derivative checked too), or
    :class:`VerificationError`."""
    import numpy as np

    from derivgen.check import numeric

    if derivation.first is None:
        raise VerificationError(f"{problem.id}: {find.text}: the first derivative is missing, so the "
                                "second cannot be checked")
    first_find = Find(f"d{find.of}/d{derivation.first.wrt}", find.of, find.first, find.location)
    first = verify_first(problem, first_find, derivation.first)
    sizes = numeric.concrete_sizes(problem)
    rng = np.random.default_rng(_seed(problem, find, seed))
    worst, checked = 0.0, 0
    for _ in range(points + 3):
        if checked == points:
            break
        values = numeric.random_values(problem, sizes, rng)
        error = _check_point(problem, find, first, derivation, values, sizes, forms)
        if error is not None:
            worst, checked = max(worst, error), checked + 1
    if checked < points:
        raise VerificationError(f"{problem.id}: {find.text}: finite differences of d{find.of}/"
                                f"d{first.wrt} were unstable at {points + 3} random points")
    check = Verification(method="finite differences of the checked first derivative", sizes=dict(sizes),
                         max_abs_error=worst, points=points)
    return replace(derivation, verified=check, first=first)


def _seed(problem: Problem, find: Find, seed: int) -> int:
    """A seed fixed by the problem and the find, so that builds are reproducible."""
    import hashlib

    digest = hashlib.sha256(f"{problem.id}\0{find.text}\0{seed}\0second".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _first_value(problem: Problem, first: Derivation, values: dict, sizes: Mapping[str, int],
                 forms: Forms) -> np.ndarray:
    computed = forms(problem, first, values, sizes)
    for form in ("closed", "index", "explicit"):
        if form in computed:
            return computed[form]
    raise VerificationError(f"{problem.id}: d{first.of}/d{first.wrt} has no form to differentiate again")


def _differences(problem: Problem, first: Derivation, values: dict, sizes: Mapping[str, int], wrt: str,
                 forms: Forms, h: float) -> np.ndarray:
    """∂/∂wrt of the first derivative by central differences, wrt's axes last."""
    import numpy as np

    base = np.asarray(values[wrt], dtype=np.float64)
    columns = []
    for ix in np.ndindex(base.shape):
        step = h * max(1.0, abs(float(base[ix])))
        plus, minus = base.copy(), base.copy()
        plus[ix] += step
        minus[ix] -= step
        width = float(plus[ix] - minus[ix])
        high = _first_value(problem, first, {**values, wrt: plus}, sizes, forms)
        low = _first_value(problem, first, {**values, wrt: minus}, sizes, forms)
        columns.append((high - low) / width)
    at = _first_value(problem, first, values, sizes, forms)
    return np.stack(columns, axis=-1).reshape(at.shape + base.shape)


def _check_point(problem: Problem, find: Find, first: Derivation, derivation: Derivation, values: dict,
                 sizes: Mapping[str, int], forms: Forms) -> float | None:
    """The largest error of every form at one point; None where the differences are unstable."""
    import numpy as np

    wrt = derivation.wrt
    numeric = _differences(problem, first, values, sizes, wrt, forms, STEP)
    coarse = _differences(problem, first, values, sizes, wrt, forms, 2 * STEP)
    scale = float(np.max(np.abs(_first_value(problem, first, values, sizes, forms)), initial=0.0))
    tol = RTOL * (1 + np.abs(numeric)) + NOISE * scale
    if not np.all(np.isfinite(numeric)) or np.any(np.abs(numeric - coarse) > tol / 4):
        return None
    worst = 0.0
    for form, derived in forms(problem, derivation, values, sizes).items():
        if derived.shape != numeric.shape:
            raise VerificationError(f"{problem.id}: {find.text}: the {form} form has shape {derived.shape}, "
                                    f"finite differences give {numeric.shape}")
        bad = ~(np.abs(derived - numeric) <= tol)
        if np.any(bad):
            ix = tuple(int(i) for i in np.argwhere(bad)[0])
            raise VerificationError(
                f"{problem.id}: {find.text}: the {form} form disagrees with finite differences of "
                f"d{find.of}/d{first.wrt} at entry {tuple(i + 1 for i in ix)}: derived {derived[ix]:.6g}, "
                f"numeric {numeric[ix]:.6g}")
        worst = max(worst, float(np.max(np.abs(derived - numeric), initial=0.0)))
    return worst
