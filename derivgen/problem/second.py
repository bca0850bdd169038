"""Reading second derivatives in ``find``: ``d2f/dx2`` and ``d2f/dxdy``.

``d2f/dx2`` is ∂²f/∂x∂x (for a scalar ``f`` and a vector ``x``, the Hessian);
``d2f/dxdy`` is ∂/∂x of ∂f/∂y, as MML section 5.7 writes ∂²f/∂x∂y.  Names
may contain the letter ``d``, so ``dxdy`` can split in several places; every
split into two names is a candidate, and the one whose names are both given
variables is taken (:func:`resolve`).  Spaces may separate the two:
``d2f/dx dy``; ``d^2f/dx^2`` and ``d²f/dx²`` are read like ``d2f/dx2``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from derivgen.errors import ExpressionError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEAD = re.compile(r"\s*d\s*(?:\^\s*)?[2²]\s*([A-Za-z_][A-Za-z0-9_]*)\s*/\s*")
_SQUARE = re.compile(r"d\s*([A-Za-z_][A-Za-z0-9_]*?)\s*(?:(?:\^|\*\*)?\s*2|²)\s*")
SECOND_FORM = ("write a second derivative as d2<of>/d<x>2 or d2<of>/d<x>d<y> (the derivative by x "
               "of df/dy), e.g. d2f/dx2 or d2L/dthetadtheta")


def is_second(text: str) -> bool:
    """Whether a find entry is written as a second derivative (it starts ``d2``)."""
    return _HEAD.match(text) is not None


def parse_second(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``d2f/dxdy`` -> ``("f", [("x", "y")])``: the quantity and each reading of the denominator as
    (by what second, by what first); :class:`ExpressionError` when it is no second derivative."""
    head = _HEAD.match(text)
    if head is None:
        raise ExpressionError(SECOND_FORM, 0)
    of, start = head.group(1), head.end()
    den = text[start:].rstrip()
    square = _SQUARE.fullmatch(den)
    candidates: list[tuple[str, str]] = []
    if square is not None:
        candidates.append((square.group(1), square.group(1)))
    parts = den.split()
    if len(parts) == 2 and all(p.startswith("d") and _NAME.fullmatch(p[1:]) for p in parts):
        candidates.append((parts[0][1:], parts[1][1:]))
    elif den.startswith("d") and " " not in den:
        for cut in range(2, len(den)):
            first, second = den[1:cut], den[cut + 1:]
            if den[cut] == "d" and _NAME.fullmatch(first) and _NAME.fullmatch(second):
                candidates.append((first, second))
    if not candidates:
        raise ExpressionError(SECOND_FORM, start)
    return of, candidates


def resolve(text: str, candidates: list[tuple[str, str]], given: Collection[str]) -> tuple[str, str]:
    """The reading of ``d2f/d...`` whose two names are given variables; :class:`ExpressionError` if none
    or several are."""
    fitting = [c for c in dict.fromkeys(candidates) if c[0] in given and c[1] in given]
    if len(fitting) == 1:
        return fitting[0]
    start = text.find("/") + 1
    listed = ", ".join(given) or "none"
    if not fitting:
        names = " or ".join(f"{a} and {b}" for a, b in dict.fromkeys(candidates))
        raise ExpressionError(f"{names} are not both given variables (given: {listed})", start)
    readings = " or ".join(f"d{a} d{b}" for a, b in fitting)
    raise ExpressionError(f"the denominator reads as {readings}; separate the two with a space", start)
