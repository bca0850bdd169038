"""What the engine hands the renderers: a ``Derivation`` made of ``Step``s.

Steps hold math objects (expressions, index forms, shapes), never formatted
strings; sentences and LaTeX are made later by the renderers (``render/narrate.py``).

Display objects below (``Deriv``, ``Space``, ``Under`` ...) are the pieces of
the lectures' displayed equations that are not expressions of the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from derivgen.problem.expr import Expr, Name, Shape

# --- display objects ---------------------------------------------------------


@dataclass(frozen=True)
class Deriv:
    """A derivative symbol ``df/dx`` or ``∂f_i/∂A_kq``."""

    of: Math
    """What is differentiated (an expression or an ``Entry``)."""
    wrt: Math
    """What by (an expression, an ``Entry`` or a ``Tuple`` of scalars)."""
    partial: bool = False
    """∂ rather than d."""


@dataclass(frozen=True)
class Entry:
    """An entry or slice of a named array: ``f_i``, ``A_{kq}``, ``A_{i,:}``, ``A_{k≠i,:}``."""

    name: str
    """The array's name (typeset by the problem's symbols, not bold)."""
    indices: tuple[str, ...]
    """Index symbols, ``:`` for a whole row/column, or text like ``k≠i``."""


@dataclass(frozen=True)
class Tuple:
    """``(s, t)``: several scalars differentiated by at once."""

    items: tuple[Expr | Entry, ...]
    """The scalars: expressions, or entries such as ``x_1`` as a fact names them."""


@dataclass(frozen=True)
class Space:
    """The real space a result lives in: ``R^{M×(M×N)}``; groups are parenthesised."""

    groups: tuple[Shape, ...]
    """One shape per group; ``((M,), (M, N))`` prints as ``M×(M×N)``; scalars are dropped."""
    row: bool = False
    """Print a lone vector group as ``1×D`` (the gradient of a scalar is a row)."""


@dataclass(frozen=True)
class Under:
    """A factor with its shape written under it, under a brace (``1×N``)."""

    body: Math
    """The factor."""
    shape: Shape
    """Its shape as the lecture prints it (``(1, N)`` for a row)."""


@dataclass(frozen=True)
class Product:
    """Factors written side by side (a chain-rule product)."""

    factors: tuple[Math, ...]
    """The factors, left to right."""


@dataclass(frozen=True)
class Block:
    """A matrix of math objects (explicit arrays, stacked slices); rows of cells."""

    rows: tuple[tuple[Math, ...], ...]
    """The cells, row by row."""


@dataclass(frozen=True)
class Cases:
    """A case analysis: value if condition, ..., otherwise."""

    cases: tuple[tuple[Math, str], ...]
    """(value, condition) pairs; the condition is plain index text such as ``j = p, p ≠ q``."""


@dataclass(frozen=True)
class Text:
    """A few words inside a displayed equation (``where x_1 = t cos t``)."""

    text: str
    """Plain text; typeset upright."""


@dataclass(frozen=True)
class Limit:
    """``lim_{h→0} body``: a limit of the difference quotient (``method: definition``)."""

    var: Expr
    """The variable that tends to ``to`` (``h``)."""
    body: Math
    """What the limit is taken of."""
    to: Expr = field(default_factory=lambda: _zero())
    """Where ``var`` tends (0)."""


@dataclass(frozen=True)
class Binomial:
    """The binomial coefficient ``C(n, k)``, "n choose k"."""

    n: Expr
    """The upper entry (a whole number or a name such as ``n``)."""
    k: Expr
    """The lower entry."""


@dataclass(frozen=True)
class SumOver:
    """``Σ_{i=lower}^{upper} body``: a sum over a whole-number index."""

    index: Expr
    """The summation index (a ``Name``)."""
    lower: Expr
    """First value of the index."""
    upper: Expr
    """Last value of the index."""
    body: Math
    """The summand, in the index."""


@dataclass(frozen=True)
class Vanishing:
    """A part of a limit that tends to 0, marked under a brace: ``→ 0 as h → 0``."""

    body: Math
    """The vanishing part."""
    var: Expr
    """The variable of the limit (``h``)."""


@dataclass(frozen=True)
class SumEntries:
    """``Σ_{j,k} body``: a sum over a matrix's entries (the chain rule through a matrix)."""

    indices: tuple[str, ...]
    """The summed indices, one per axis of the matrix (``j``, ``k``)."""
    body: Math
    """The summand, in those indices."""


@dataclass(frozen=True)
class EntryOf:
    """An entry of a whole array: ``[dK/dR]_{pqij}``, ``[A^{-1} b]_j``."""

    body: Math
    """The array (a ``Deriv`` or an expression)."""
    indices: tuple[str, ...]
    """Index names, one per axis."""


@dataclass(frozen=True)
class Bracket:
    """A sum in brackets, as a factor: ``(a_1 + b_1) xᵀ``."""

    body: Math
    """The bracketed sum."""


@dataclass(frozen=True)
class Dots:
    """A vertical ellipsis inside a stacked block."""


@dataclass(frozen=True)
class MatrixDots:
    """An ellipsis inside a written-out matrix: ``h`` along a row, ``v`` down a column, ``d`` across."""

    direction: str
    """``h``, ``v`` or ``d``."""


@dataclass(frozen=True)
class Column:
    """Column ``index`` of matrix ``matrix``, written as the lectures do: ``r_p`` for column p of R."""

    matrix: str
    """The matrix's name (its column is written in its lower-case letter, bold)."""
    index: str
    """Which column (an index letter)."""
    transposed: bool = False
    """Written as a row, ``r_pᵀ``."""


@dataclass(frozen=True)
class Nabla:
    """``∇_θ L``: the gradient of a scalar in denominator layout, shaped like ``wrt`` (CS229's notation)."""

    of: Math
    """The scalar differentiated."""
    wrt: Math
    """What by."""


@dataclass(frozen=True)
class Transposed:
    """``(body)ᵀ`` for a display object that is not an expression: ``(dL/dθ)ᵀ``."""

    body: Math
    """What is transposed."""


@dataclass(frozen=True)
class SecondDeriv:
    """``∂²f/∂x∂y``, the derivative by x of ∂f/∂y (MML 5.7); ``∂²f/∂x²`` when x and y are one."""

    of: Math
    """What is differentiated twice (an expression or an ``Entry``)."""
    first: Math
    """What the first derivative is by (y)."""
    second: Math
    """What the second derivative is by (x)."""
    partial: bool = True
    """∂ rather than d (d only for a function of one scalar variable)."""


@dataclass(frozen=True)
class Differential:
    """``d(body)``: the differential of an expression (``method: differentials``)."""

    body: Math
    """What the differential is taken of."""


@dataclass(frozen=True)
class Table:
    """A table inside a display (the forward and backward passes of ``method: backprop``)."""

    header: tuple[str, ...]
    """Column headings, plain words; empty for a table without a heading row."""
    rows: tuple[tuple[Math, ...], ...]
    """The cells, row by row."""


@dataclass(frozen=True)
class Plus:
    """Display objects added: ``∂f/∂b ∂b/∂a + ∂f/∂c ∂c/∂a``."""

    terms: tuple[Math, ...]
    """The summands, left to right."""


#: The differential ``dX`` of a variable inside an expression is the name ``DIFFERENTIAL + "X"``, a name
#: no problem file can write (names may not start with ``__``); the renderers print it ``dX``.
DIFFERENTIAL = "__d_"


def differential_name(name: str) -> Name:
    """The name standing for ``d name`` inside an expression."""
    return Name(DIFFERENTIAL + name)


def _zero() -> Expr:
    from derivgen.problem.expr import Num

    return Num(0)


class IndexNotation:
    """Index notation in a displayed equation: the base of ``IExpr`` (``Σ_j A_ij x_j``) and ``IndexForm``
    (``∂f_i/∂A_kq = δ_ik x_q``), both in :mod:`derivgen.derivation.index_form`.

    A base class here, so that :data:`Math` and :class:`Result` name them without this module importing
    that one (which imports ``Deriv`` and ``Entry`` from here).
    """

    __slots__ = ()


@dataclass(frozen=True)
class NthDeriv:
    """``f^{(j)}(x_0)``: the j-th derivative of ``of`` at a point (primes up to the third, as MML writes)."""

    of: str
    """The function's name."""
    order: int
    """How many times it is differentiated (0 for the function itself)."""
    at: Math
    """Where: the variable or the point."""


@dataclass(frozen=True)
class Partial:
    """``∂³f/∂x²∂y``: a partial derivative of any order, by the variables in order (repeats are powers)."""

    of: Math
    """What is differentiated."""
    by: tuple[Math, ...]
    """By what, once per differentiation, the first one last in the denominator (as ∂²f/∂x∂y)."""


#: Anything a displayed equation holds: an expression of the language, a display object above, or
#: index notation.
Math: TypeAlias = (
    Expr | Deriv | Entry | Tuple | Space | Under | Product | Block | Cases | Text | Limit | Binomial
    | SumOver | Vanishing | SumEntries | EntryOf | Bracket | Dots | MatrixDots | Column | IndexNotation
    | Nabla | Transposed | SecondDeriv | Differential | NthDeriv | Partial | Table | Plus
)


#: An explicit array for concrete sizes: a scalar expression, or nested tuples of them in array layout.
Explicit: TypeAlias = "Expr | tuple[Explicit, ...]"


@dataclass(frozen=True)
class Relation:
    """A displayed chain ``a = b = c ∈ R^{...}``."""

    parts: tuple[Math, ...]
    """The members of the chain."""
    ops: tuple[str, ...] = ()
    """The relation between consecutive parts: ``=`` (default), ``∈``, ``⇒``, ``:=``."""

    def __post_init__(self) -> None:
        if not self.ops:
            object.__setattr__(self, "ops", ("=",) * (len(self.parts) - 1))


# --- facts a step records for its sentence ----------------------------------------


@dataclass(frozen=True)
class Symmetric:
    """A fact used on the way: the matrix ``name`` is symmetric, so its transpose is itself."""

    name: str
    """The symmetric matrix (a given variable with ``assume: [symmetric]``)."""


@dataclass(frozen=True)
class Simplex:
    """A fact used on the way: the vector ``name`` lies on the simplex, so its entries sum to one."""

    name: str
    """The vector (a given variable with ``assume: [simplex]``), e.g. one-hot labels ``y``."""
    softmax: bool = False
    """Whether it is on the simplex because it is a softmax (p = softmax(z)), not by assumption."""


# --- steps and derivations -----------------------------------------------------

#: The kinds of step, in the order the lectures use them.
STEP_KINDS = (
    "dimension",        # the shape of the result first
    "difference_quotient",  # method: definition: df/dx := lim (f(x+h) - f(x))/h, written out for f
    "limit",            # method: definition: one transformation of that limit (facts: stage)
    "rewrite",          # e.g. ||e||^2 = e^T e, or naming the inner function of a chain rule
    "index_notation",   # the function per entry, f_i = sum_j A_ij x_j
    "partials",         # partial derivatives by entry, deltas contracted
    "cases",            # case analysis where indices meet
    "stack",            # partials of one output entry stacked by rows
    "collate",          # slices collected into the gradient
    "explicit",         # the explicit array for concrete sizes
    "vec",              # Figure 5.7(b): flatten, Jacobian matrix, reshape
    "chain_rule",       # the chain rule with shapes under each factor
    "factor",           # one factor of a chain rule, derived (has substeps)
    "multiply",         # the factors multiplied out
    "rule",             # one application of a scalar differentiation rule
    "gradient",         # partials collected into a row vector / Jacobian
    "closed_form",      # the matrix form and the identity used
    "justify",          # an identity derived (5.102, 5.108)
    "simplify",         # tidying the result
    "substitute",       # intermediate names replaced by their definitions
    "layout",           # layout: denominator: the result transposed, and why
    "differential",     # method: differentials: the differential of one define, by rules (substeps)
    "differential_rule",  # one rule of differentials applied: d(XY) = dX Y + X dY, d tr X = tr dX ...
    "trace_form",       # df written as tr(G dX) (or g dx) by the cyclic property of the trace
    "read_off",         # the gradient read off the trace form: df = tr(G dX) gives df/dX = G^T
    "second_dimension",  # d2f/dxdy: the shape of the second derivative first
    "first_derivative",  # d2f/dxdy: df/dy derived first (its steps nested)
    "gradient_column",  # the gradient of a scalar by a vector as a column, (df/dy)^T
    "second_closed",    # the gradient's Jacobian in closed form
    "second_partials",  # the second partial derivatives in index notation, or entry by entry
    "symmetry",         # the Hessian is symmetric: d2f/dxidxj = d2f/dxjdxi
    "taylor_definition",  # taylor(f, x, x0, k): T_k as MML Definition 5.3 writes it
    "taylor_derivatives",  # f^(j)(x) and its value at x0, for j = 0..k
    "taylor_value",     # the multivariate expansion: f at the point
    "taylor_gradient",  # the partial derivatives at the point, collected into the gradient
    "taylor_hessian",   # the second partials at the point, collected into the Hessian
    "taylor_higher",    # the partials of one order above two at the point (facts: order)
    "taylor_polynomial",  # the polynomial written out
    "graph",            # method: backprop: the computation graph, its nodes and their parents
    "forward",          # the forward pass: each node's value at the given numbers, in order
    "local",            # the local partial derivatives, one for each edge of the graph
    "backward",         # the backward pass: the adjoints, from the output back to the input
    "link",             # the symbolic gradient at the same numbers, equal to the input's adjoint
)


@dataclass(frozen=True)
class Step:
    """One step of a worked solution."""

    kind: str
    """One of :data:`STEP_KINDS`."""
    math: tuple[Relation, ...] = ()
    """The displayed equations of this step, in order."""
    facts: Mapping[str, object] = field(default_factory=dict)
    """Kind-specific data for the sentence (rule name, identity number, names, ranges)."""
    substeps: tuple[Step, ...] = ()
    """Steps nested under this one (a chain-rule factor derived in turn)."""


@dataclass(frozen=True)
class Result:
    """The derived result in every form derivgen has for it."""

    shape: Shape
    """Array layout: of's shape then wrt's (scalars contribute nothing)."""
    printed: Shape
    """The shape as the lectures print it (``(1, D)`` for a scalar by a vector)."""
    closed: Expr | None = None
    """Closed matrix form in the given variables, of shape ``printed``; None if none."""
    display: Math | None = None
    """The form to show as the answer (may keep intermediate names)."""
    index: IndexNotation | None = None
    """The entry formula ∂of_I/∂wrt_K: an :class:`~derivgen.derivation.index_form.IndexForm`."""
    explicit: Explicit | None = None
    """Nested tuples of scalar ``Expr`` in array layout, for concrete sizes."""
    layout: str = "numerator"
    """``denominator`` when ``printed`` and ``closed`` are the transpose (wrt's axes first); ``shape``,
    ``index`` and ``explicit`` are in array layout (of's axes first) either way."""


@dataclass(frozen=True)
class Verification:
    """The outcome of the numeric check of a result."""

    method: str
    """How it was checked (``finite differences``)."""
    sizes: Mapping[str, int]
    """The concrete sizes used."""
    max_abs_error: float
    """Largest difference between derived and numeric values."""
    points: int
    """At how many random points it was compared."""


@dataclass(frozen=True)
class Derivation:
    """A derived, step-by-step answer to one ``find`` entry."""

    of: str
    """The differentiated quantity, as in the problem."""
    wrt: str
    """What by, as written (``theta``, ``x[2]``, ``(s, t)``)."""
    of_shape: Shape
    """Shape of ``of``."""
    wrt_shape: Shape
    """Shape of ``wrt`` (for a tuple: ``(k,)``)."""
    steps: tuple[Step, ...]
    """The worked solution, dimension first."""
    result: Result
    """What the steps reach."""
    method: str = "auto"
    """Which derivation route was taken (``scalar``, ``explicit``, ``index``, ``chain``, ``matrix``)."""
    verified: Verification | None = None
    """Filled in by the numeric check; a Derivation is published only once verified."""
    first: Derivation | None = None
    """For a second derivative ``d2f/dxdy``: the first derivative ``df/dy`` it differentiates again
    (checked first, by the same check)."""
