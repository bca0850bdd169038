"""How a problem's names are typeset: vectors and matrices bold, scalars plain.

Every output format asks this module, so a name looks the same in Markdown,
LaTeX and HTML.  A variable's ``latex:`` override wins over the default.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from derivgen.errors import DerivgenError
from derivgen.problem.expr import Expr, Index, Name, children
from derivgen.problem.model import Problem
from derivgen.problem.shapes import infer
from derivgen.render.printing import name_latex


def symbols_for(problem: Problem) -> dict[str, str]:
    """Name -> LaTeX for every given variable, defined quantity and defined function."""
    symbols: dict[str, str] = {}
    for d in problem.define:
        if d.latex:
            symbols[d.name] = d.latex
        elif d.shape is not None:
            symbols[d.name] = name_latex(d.name, bold=bool(d.shape))
    for v in problem.given:
        symbols[v.name] = v.latex or name_latex(v.name, bold=bool(v.shape))
    for d in problem.define:
        # A function's parameter read by components (f(x) = exp(x[1] x[2]^2)) is a vector: bold,
        # also where the chain rule names the inner function after it.
        for param in d.params:
            if param not in symbols and _indexed(d.expr, param):
                symbols[param] = name_latex(param, bold=True)
    return symbols


def _indexed(e: Expr, name: str) -> bool:
    if isinstance(e, Index) and e.base == Name(name):
        return True
    return any(_indexed(c, name) for c in children(e))


def entry_letters(problem: Problem) -> dict[str, str]:
    """Name -> the plain (not bold) letter used for its entries: ``A`` in ``A_{ij}``.

    A ``latex:`` override gives the letter too, without its bold wrapper:
    ``\\boldsymbol{\\theta}`` has entries ``\\theta_{i}``, ``\\lambda`` is ``\\lambda``.
    """
    letters: dict[str, str] = {}
    for d in problem.define:
        letters[d.name] = plain_letter(d.latex) if d.latex else name_latex(d.name)
    for v in problem.given:
        letters[v.name] = plain_letter(v.latex) if v.latex else name_latex(v.name)
    return letters


_BOLD = re.compile(r"\\(?:boldsymbol|mathbf|bm|pmb|mathbfit)\s*\{(.*)\}")


def plain_letter(latex: str) -> str:
    """``\\boldsymbol{\\theta}`` -> ``\\theta``: the override without an outer bold command."""
    m = _BOLD.fullmatch(latex.strip())
    if m and _balanced(m.group(1)):
        return m.group(1)
    return latex.strip()


def _balanced(s: str) -> bool:
    depth = 0
    for i, c in enumerate(s):
        if c in "{}" and (i == 0 or s[i - 1] != "\\"):
            depth += 1 if c == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def is_array_fn(problem: Problem) -> Callable[[Expr], bool]:
    """A test "is this sub-expression a vector or matrix?"; False when its shape is unknown."""
    env = problem.shape_env()
    cache: dict[Expr, tuple] = {}

    def is_array(e: Expr) -> bool:
        try:
            return bool(infer(e, env, cache))
        except (DerivgenError, KeyError, TypeError, RecursionError):
            return False

    return is_array
