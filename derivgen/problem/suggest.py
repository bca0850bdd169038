"""Messages that suggest the fix: the nearest known name to a misspelt one, and what exists.

Used wherever a problem file names something derivgen does not know: an unknown
function lists the built-in ones (read from the table in
:mod:`derivgen.problem.functions`, so a new row appears here by itself) and the
user's own, an unknown name the names in scope, and each suggests the nearest
(by :func:`difflib.get_close_matches`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from derivgen.problem.expr import BinOp, Expr, Index, Name, Transpose, children
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.text import to_text

#: How alike two names must be for one to be suggested for the other (difflib's ratio).
CUTOFF = 0.6


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word``, or None when none is alike enough."""
    pool = [c for c in dict.fromkeys(candidates) if c != word]
    best = difflib.get_close_matches(word, pool, n=1, cutoff=CUTOFF)
    if best:
        return best[0]
    folded = [c for c in pool if c.lower() == word.lower()]  # THETA for theta
    return folded[0] if folded else None


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    guess = nearest(word, candidates)
    return f": did you mean {guess}?" if guess is not None else ""


def unknown_function(name: str, defined: Iterable[str] = ()) -> str:
    """``unknown function 'sigmoid': did you mean sigma? (functions: sin, cos, ...)``."""
    own = list(defined)
    known = ", ".join(FUNCTIONS) + (f"; defined: {', '.join(own)}" if own else "")
    return f"unknown function '{name}'{_did_you_mean(name, [*own, *FUNCTIONS])} (functions: {known})"


def unknown_name(name: str, names: Iterable[str]) -> str:
    """``unknown name 'thetta': did you mean theta? (names: x, theta)``."""
    known = list(dict.fromkeys(names))
    listed = ", ".join(known) or "none"
    return f"unknown name '{name}'{_did_you_mean(name, known)} (names: {listed})"


def caret_transposes(e: Expr) -> dict[int, str]:
    """``e^T`` written for a transpose: the offset of each such ``T``, with the fix (``e.T``)."""
    out: dict[int, str] = {}
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op == "^" and node.right == Name("T"):
            base = to_text(node.left)
            if not isinstance(node.left, (Name, Index, Transpose)):
                base = f"({base})"
            offset = getattr(node.right, "offset", 0)
            out[offset] = f"write {base}.T for the transpose ('^' is a power, so ^T raises to a power T)"
        stack.extend(children(node))
    return out
