"""Taylor polynomials on the page: the name T_k(x), the "Find" line and the check (MML 5.1.1, 5.8).

The steps themselves are sentences (:mod:`derivgen.render.sentences.taylor`);
:mod:`derivgen.render.narrate` shows them in order.
"""

from __future__ import annotations

from derivgen.derivation import Derivation, Verification
from derivgen.problem.expr import Expr
from derivgen.render.sentences.taylor import taylor_call  # also registers the Taylor sentences

#: The ``method`` a Taylor polynomial's derivation records (``engine/taylor.py``).
TAYLOR = "taylor"
#: How the check of a Taylor polynomial names itself, as ``check/taylor.py`` writes it.
ERROR_ORDER = "error order: "


def is_taylor(derivation: Derivation) -> bool:
    """Whether the derivation is a Taylor polynomial ``taylor(f, x, x0, k)``."""
    return derivation.method == TAYLOR


def taylor_symbol(derivation: Derivation) -> Expr:
    """``T_k(x)`` (``T_k(x, y)``), from the definition step's facts."""
    facts = derivation.steps[0].facts if derivation.steps else {}
    return taylor_call(facts.get("degree"), facts.get("wrt", [derivation.wrt]))


def taylor_check_text(v: Verification, of: str) -> str | None:
    """The sentence on the check of a Taylor polynomial, or None for any other check."""
    if not v.method.startswith(ERROR_ORDER):
        return None
    ratio, k = v.method[len(ERROR_ORDER):].split()
    error = f"$|{of} - T_{{{k}}}|$"
    lead = f"Checked numerically along {v.points} random directions from the point:"
    if ratio == "exact":
        return f"{lead} the error {error} is zero to rounding, so the polynomial is {of} itself."
    return (f"{lead} halving the step divides the error {error} by {ratio} or more, as it should for degree "
            f"{k} ($2^{{{int(k) + 1}}} = {2 ** (int(k) + 1)}$).")
