"""What a build fills in that a problem file leaves open, said as a warning: sizes the check picks.

A problem may keep its dimensions symbolic (an identity holds for every N); the
numeric check still needs numbers, and picks them (``check/numeric.py``).  The
warning names the sizes picked, at the given that first uses one, and says what
the page leaves out for want of them: the explicit arrays of matrix-shaped results.
"""

from __future__ import annotations

from derivgen.errors import Diagnostic, Location
from derivgen.problem.expr import Name
from derivgen.problem.model import Problem


def size_warning(problem: Problem, display: str) -> str | None:
    """``FILE:LINE:COL: warning: ...`` naming the sizes the check picked, or None when all are given."""
    from derivgen.check.numeric import concrete_sizes

    if not isinstance(problem, Problem):  # a stand-in from the tests' fake stages
        return None
    if problem.options.get("sizes") == "open":  # sizes: {}, left to the check on purpose
        return None
    dims = [d for v in problem.given for d in v.shape if isinstance(d, str)]
    missing = [d for d in dict.fromkeys(dims) if d not in problem.sizes]
    if not missing:
        return None
    picked = concrete_sizes(problem)
    names = ", ".join(missing)
    chosen = ", ".join(f"{d} = {picked[d]}" for d in missing)
    braces = "{" + ", ".join(f"{d}: {picked[d]}" for d in missing) + "}"
    first = next(v for v in problem.given if any(d in missing for d in v.shape))
    location = first.location or Location(display, 1, 1)
    lost = " and the solution shows no explicit array" if _shows_arrays(problem) else ""
    message = (f"warning: no size given for {names}, so the numeric check picked {chosen}{lost}; "
               f"add sizes: {braces} to choose them")
    return str(Diagnostic(location, message))


def _shows_arrays(problem: Problem) -> bool:
    """Whether a find, with sizes given, would show an explicit array: a vector or matrix by one."""
    env = problem.shape_env()
    for find in problem.find:
        of = env.shapes.get(find.of)
        wrt = find.wrt[0]
        if of and len(find.wrt) == 1 and isinstance(wrt, Name) and env.shapes.get(wrt.id):
            return True
    return False
