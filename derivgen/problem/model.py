"""A problem as derivgen understands it, after loading and checking the YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from derivgen.errors import Location
from derivgen.problem.expr import Call, Expr, Index, Name, Shape, map_children, substitute
from derivgen.problem.shapes import ShapeEnv

#: Assumptions a variable may carry (``assume: [symmetric]``).
ASSUMPTIONS = ("symmetric", "invertible", "positive", "simplex")
#: How much of a derivation a solution shows (``detail:``); the renderers' ``render/detail.py`` reads it.
DETAILS = ("answer", "lecture", "full")
#: The detail level when neither the problem, ``derivgen.yaml`` nor ``--detail`` chooses one.
DEFAULT_DETAIL = "lecture"
#: How a derivative's axes are arranged (``layout:``): the lectures' numerator layout, or the
#: denominator layout of the Matrix Cookbook and CS229 (the transpose; see ``engine/layout.py``).
LAYOUTS = ("numerator", "denominator")


@dataclass(frozen=True)
class Var:
    """A given variable with its shape."""

    name: str
    """Name as used in expressions."""
    shape: Shape
    """``()`` scalar, ``(N,)`` column vector, ``(M, N)`` matrix."""
    assume: frozenset[str] = frozenset()
    """Assumptions such as ``symmetric`` (used by the engine and the check)."""
    latex: str | None = None
    """LaTeX override for typesetting the name."""
    location: Location | None = field(default=None, compare=False)
    """Where the variable is declared."""
    gradient: str = "plain"
    """For a symmetric matrix, how a scalar's gradient by it is written: ``plain`` (G, every entry
    taken as free) or ``symmetrised`` ((G + Gᵀ)/2, see :data:`GRADIENTS`)."""


#: The conventions for the gradient by a symmetric matrix (``gradient:`` of a given).
GRADIENTS = ("plain", "symmetrised")


@dataclass(frozen=True)
class Definition:
    """An entry of ``define``: ``e: y - Phi @ theta`` or ``f(x): exp(x[1])``."""

    name: str
    """The defined name."""
    params: tuple[str, ...]
    """Parameters for a function definition; empty for a plain quantity."""
    expr: Expr
    """The right-hand side, parsed."""
    shape: Shape | None
    """Shape of a plain quantity; None for a function (known at each call)."""
    location: Location | None = field(default=None, compare=False)
    """Where the entry is written."""
    latex: str | None = None
    """LaTeX override for typesetting the name (``latex:`` in the long form)."""


@dataclass(frozen=True)
class Find:
    """One requested derivative, ``dL/dtheta``, ``df/dx[2]`` or ``df/d(s, t)``."""

    text: str
    """As written in the file."""
    of: str
    """The differentiated quantity (a given or defined name)."""
    wrt: tuple[Expr, ...]
    """What to differentiate by: a ``Name``, or an ``Index`` for a component; several for ``d(s, t)``."""
    location: Location | None = field(default=None, compare=False)
    """Where the entry is written."""
    first: tuple[Expr, ...] = ()
    """For a second derivative ``d2f/dxdy`` (∂/∂x of ∂f/∂y): what the first derivative is by (``y``);
    ``wrt`` is what the second is by (``x``).  Empty for a first derivative."""
    at: tuple[Expr, ...] = ()
    """For a Taylor polynomial ``taylor(f, x, 1, 4)``: the point of expansion, one number per variable."""
    degree: int | None = None
    """For a Taylor polynomial: its degree (None for a derivative)."""

    @property
    def wrt_text(self) -> str:
        from derivgen.problem.text import to_text

        if len(self.wrt) == 1:
            return to_text(self.wrt[0])
        return "(" + ", ".join(to_text(w) for w in self.wrt) + ")"


@dataclass(frozen=True)
class Problem:
    """A loaded, checked problem file."""

    id: str
    """Unique id (the file stem unless ``id`` is given)."""
    title: str
    """Shown as the heading."""
    path: Path
    """The file it came from."""
    source: str | None = None
    """Attribution, shown under the title."""
    tags: tuple[str, ...] = ()
    """Free-form tags."""
    statement: str | None = None
    """Markdown with ``$...$`` math, the user's own words."""
    given: tuple[Var, ...] = ()
    """The variables, in file order."""
    define: tuple[Definition, ...] = ()
    """Intermediate quantities and functions, in file order."""
    find: tuple[Find, ...] = ()
    """The requested derivatives."""
    sizes: Mapping[str, int] = field(default_factory=dict)
    """Concrete sizes for symbolic dimensions (may be empty)."""
    options: Mapping[str, object] = field(default_factory=dict)
    """Presentation options (``steps``, ``method``, ``points``) from the file."""

    # --- lookups used by every later stage -----------------------------------

    def var(self, name: str) -> Var | None:
        return next((v for v in self.given if v.name == name), None)

    def definition(self, name: str) -> Definition | None:
        return next((d for d in self.define if d.name == name), None)

    def shape_env(self) -> ShapeEnv:
        """Shapes of the givens and of the plain defines."""
        shapes: dict[str, Shape] = {d: () for v in self.given for d in v.shape if isinstance(d, str)}
        shapes.update({v.name: v.shape for v in self.given})  # a size name is a number (x / N)
        for d in self.define:
            if d.shape is not None:
                shapes[d.name] = d.shape
        return ShapeEnv(shapes, self.sizes)

    def body(self, name: str) -> Expr:
        """The defining expression of a quantity; a function's body with its params as names."""
        d = self.definition(name)
        if d is None:
            return Name(name)
        return d.expr

    def expand(self, e: Expr) -> Expr:
        """``e`` written in the given variables only: defines and user calls inlined."""
        return _expand(self, e, depth=0)


def _expand(p: Problem, e: Expr, depth: int) -> Expr:
    if depth > 64:
        raise RecursionError("definitions refer to each other in a cycle")
    if isinstance(e, Name):
        d = p.definition(e.id)
        if d is None:
            return e
        return _expand(p, d.expr, depth + 1)
    if isinstance(e, Call) and p.definition(e.func) is not None:
        d = p.definition(e.func)
        assert d is not None
        args = [_expand(p, a, depth + 1) for a in e.args]
        body = substitute(d.expr, dict(zip(d.params, args, strict=True)))
        # Names in the body that are not parameters are givens or defines.
        return _expand_free(p, body, set(), depth + 1)
    if isinstance(e, Index):
        return Index(_expand(p, e.base, depth), e.indices)
    return map_children(e, lambda c: _expand(p, c, depth))


def _expand_free(p: Problem, e: Expr, bound: set[str], depth: int) -> Expr:
    return _expand(p, e, depth)
