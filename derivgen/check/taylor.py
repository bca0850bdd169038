"""The numeric check of a Taylor polynomial: its error shrinks at the right order.

T_k agrees with f up to order k at x0 exactly when f(x0 + h d) − T_k(x0 + h d)
is O(h^(k+1)): halving h divides the error by about 2^(k+1).  A wrong
coefficient of degree j ≤ k leaves an error of order h^j, which halving
divides by only 2^j.  So the check draws a random direction d (and values for
the other givens), halves h from 1 until the error reaches the rounding noise,
and asks the last halvings to divide the error by at least 0.7·2^(k+1).  An
error at the noise for every h (f is itself a polynomial of degree ≤ k, say)
passes when T_k(x0) = f(x0) there too: then T_k is f.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from derivgen.derivation import Derivation, Verification
from derivgen.errors import VerificationError
from derivgen.problem.expr import Expr, Name
from derivgen.problem.model import Find, Problem

if TYPE_CHECKING:
    import numpy as np

#: Halvings of the step, from h = 1.
HALVINGS = 24
#: T_k(x0) must equal f(x0) to this (relative to the size of f).
NOISE = 1e-11
#: Errors below this (relative to the size of f) are too near the rounding of f to measure an order.
FLOOR = 1e-12
#: The last halvings must divide the error by at least this share of 2^(k+1).
SHARE = 0.7
#: Random directions tried.
DIRECTIONS = 3
#: How the check names itself in ``Verification.method`` (the renderers' ``render/taylor.py`` reads it).
ERROR_ORDER = "error order: "


def verify_taylor(problem: Problem, find: Find, derivation: Derivation, seed: int = 0) -> Derivation:
    """The polynomial with ``verified`` set, or :class:`VerificationError` if its error shrinks too slowly."""
    import numpy as np

    from derivgen.check import numeric

    poly, k = derivation.result.closed, find.degree
    if poly is None or k is None:
        raise VerificationError(f"{problem.id}: {find.text}: no polynomial to check")
    sizes = numeric.concrete_sizes(problem)
    digest = hashlib.sha256(f"{problem.id}\0{find.text}\0{seed}\0taylor".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    f = problem.expand(Name(find.of))
    ratios: list[float] = []
    for _ in range(DIRECTIONS):
        values = numeric.random_values(problem, sizes, rng)
        direction = rng.standard_normal(len(find.at))
        ratio = _ratio(problem, find, f, poly, values, direction / np.linalg.norm(direction), sizes)
        if ratio is not None and ratio < SHARE * 2 ** (k + 1):
            expected = 2 ** (k + 1)  # a coefficient of degree j <= k that is off leaves an error O(h^j)
            raise VerificationError(
                f"{problem.id}: {find.text}: the error |{find.of} - T_{k}| shrinks by {ratio:.3g} as "
                f"the step from the point halves, not by 2^{k + 1} = {expected}: the polynomial is wrong")
        ratios.append(float("inf") if ratio is None else ratio)
    finite = [r for r in ratios if r != float("inf")]
    # "error order: <the smallest ratio> <k>", or "exact" when T_k is f; the renderers write the sentence
    method = f"{ERROR_ORDER}{min(finite):.3g} {k}" if finite else f"{ERROR_ORDER}exact {k}"
    check = Verification(method=method, sizes=dict(sizes), max_abs_error=0.0, points=DIRECTIONS)
    return replace(derivation, verified=check)


def _ratio(problem: Problem, find: Find, f: Expr, poly: Expr, values: dict, direction: np.ndarray,
           sizes: dict) -> float | None:
    """How much the last halvings divide the error by; None when the error is rounding noise throughout."""
    import numpy as np

    from derivgen.check.numeric import evaluate

    names = [w.id for w in find.wrt if isinstance(w, Name)]
    coordinates = np.array([_value(x0) for x0 in find.at])
    if len(names) == 1 and len(coordinates) > 1:  # one vector at a point: its entries move together
        def place(shift: np.ndarray) -> dict:
            return {names[0]: coordinates + shift}
    else:
        def place(shift: np.ndarray) -> dict:
            return {n: np.asarray(v) for n, v in zip(names, coordinates + shift, strict=True)}
    at = {**values, **place(np.zeros(len(coordinates)))}
    f0 = float(evaluate(f, at, sizes))
    noise = NOISE * max(1.0, abs(f0))
    if abs(float(evaluate(poly, at, sizes)) - f0) > noise:
        raise VerificationError(f"{problem.id}: {find.text}: T_{find.degree} is not {find.of} at the point")
    errors = []
    for i in range(HALVINGS):
        h = 2.0 ** -i
        shifted = {**values, **place(h * direction)}
        error = abs(float(evaluate(f, shifted, sizes)) - float(evaluate(poly, shifted, sizes)))
        if not np.isfinite(error):
            continue
        if error < FLOOR * max(1.0, abs(f0)):
            break
        errors.append(error)
    if len(errors) < 3:
        return None
    return min(errors[-3] / errors[-2], errors[-2] / errors[-1])


def _value(e: Expr) -> float:
    from derivgen.problem.expr import Neg, Num

    if isinstance(e, Neg):
        return -_value(e.arg)
    assert isinstance(e, Num)
    return float(e.value)
