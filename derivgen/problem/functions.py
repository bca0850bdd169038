"""The built-in functions of the language: one row each, read by every stage.

A :class:`Function` holds everything derivgen knows about one function: its
name and arity for the parser, its shape rule, its derivative rule in the
language's own expression nodes, its NumPy and SymPy forms, its LaTeX head and
the words a sentence names it by.  Adding a function is adding one row to
:data:`FUNCTIONS` (with its derivative rule, for an elementwise one).

The array functions (``inv``, ``det``, ``tr``, ...) have no derivative rule
here: they are differentiated by the matrix identities of the engines.

NumPy and SymPy are imported when a form is first used, not here, so that
reading a problem file stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from derivgen.problem.expr import BinOp, Call, Dim, Expr, Neg, Num, Shape

#: Whether two dimensions are the same (the shape checker's unification).
Same = Callable[[Dim, Dim], bool]
#: A shape rule: the result's shape from the argument's, or None when the argument does not fit.
ShapeRule = Callable[[Shape, Same], "Shape | None"]
Kind = Literal["elementwise", "array", "size"]


@dataclass(frozen=True)
class Function:
    """One built-in function of the language."""

    name: str
    """Its name in the language, as called: ``sigma(z)``."""
    arity: int
    """How many arguments it takes."""
    kind: Kind
    """``elementwise`` (a scalar function applied entry by entry), ``array`` (of a whole
    vector or matrix), or ``size`` (its argument is a dimension, not a value: ``eye(N)``)."""
    takes: str
    """What its argument must be, for messages: ``a square matrix``."""
    shape: ShapeRule
    """The result's shape from the argument's shape (for ``size``: from ``(N,)``)."""
    derivative: Callable[[Expr], Expr] | None
    """f'(z) in the lectures' form, for an elementwise function; None for the others."""
    numpy: Callable[[Any], Any]
    """The NumPy form: of an array (IEEE values outside the domain), or of a size for ``eye``."""
    sympy: Callable[[Any], Any] | None
    """The SymPy form of an elementwise function at a SymPy expression; None for the others."""
    latex: str | None
    """The LaTeX head written before the bracketed argument; None where the printer
    draws the book's own notation (√x, X⁻¹, ‖x‖, I)."""
    square_on_head: bool
    """Whether a square is written on the head, as ``\\sin^{2}(x)``."""
    words: str
    """How a sentence names it: ``the logistic function $\\sigma$``."""
    domain: tuple[float, float] | None
    """For an elementwise function: an interval of arguments where it and its derivative
    are defined (where tests draw points); None for the others."""
    note: str
    """Where it is defined, in words."""

    @property
    def elementwise(self) -> bool:
        return self.kind == "elementwise"

    def array_derivative(self, z: Expr) -> Expr:
        """f'(z) with a reciprocal written as a power, ``z^-1`` for ``1/z``: the language
        divides only by scalars or equal shapes, so an array argument needs the power."""
        d = self.derivative(z) if self.derivative is not None else None
        if d is None:
            raise ValueError(f"{self.name} has no derivative rule")
        if isinstance(d, BinOp) and d.op == "/" and d.left == Num(1):
            den = d.right
            if isinstance(den, BinOp) and den.op == "*" and isinstance(den.left, Num):
                c = den.left.value
                if isinstance(c, (int, Fraction)):  # a float coefficient: the power below
                    return BinOp("*", Num(Fraction(1, c)), BinOp("^", den.right, Num(-1)))
            return BinOp("^", den, Num(-1))
        return d


# --- NumPy and SymPy forms, imported on first use ------------------------------------------


def _numpy(name: str) -> Callable[[Any], Any]:
    """NumPy's function of that name."""
    def apply(a: Any) -> Any:
        import numpy

        return getattr(numpy, name)(a)
    apply.__name__ = name
    return apply


def _sympy(name: str) -> Callable[[Any], Any]:
    """SymPy's function of that name."""
    def make(z: Any) -> Any:
        import sympy

        return getattr(sympy, name)(z)
    make.__name__ = name
    return make


def _sigma_numpy(z: Any) -> Any:
    """The logistic function without overflow: exp of a non-positive number only."""
    import numpy as np

    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigma_sympy(z: Any) -> Any:
    from derivgen.problem.logistic import sigma

    return sigma(z)


def _inv_numpy(a: Any) -> Any:
    import numpy as np

    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:  # exactly singular: undefined, like log(0)
        return np.full(a.shape, np.nan)


def _det_numpy(a: Any) -> Any:
    import numpy as np

    return np.linalg.det(a)


def _norm_numpy(a: Any) -> Any:
    import numpy as np

    return np.sqrt(np.sum(a * a))  # 2-norm of a vector, Frobenius of a matrix


# --- shape rules -------------------------------------------------------------------------------


def _same_shape(s: Shape, same: Same) -> Shape | None:
    return s


def _square(s: Shape, same: Same) -> bool:
    return len(s) == 2 and same(s[0], s[1])


def _scalar(s: Shape, same: Same) -> Shape | None:
    return ()


def _diagonal(s: Shape, same: Same) -> Shape | None:
    return (s[0], s[0]) if len(s) == 1 else None


# --- the table ---------------------------------------------------------------------------------


def _elementwise(name: str, derivative: Callable[[Expr], Expr], words: str, domain: tuple[float, float],
                 note: str, *, numpy: Callable[[Any], Any] | None = None,
                 sympy: Callable[[Any], Any] | None = None, latex: str | None = None,
                 square_on_head: bool = False) -> Function:
    return Function(name, 1, "elementwise", "a scalar, vector or matrix", _same_shape, derivative,
                    numpy or _numpy(name), sympy or _sympy(name), latex, square_on_head, words, domain, note)


def _array(name: str, takes: str, shape: ShapeRule, numpy: Callable[[Any], Any], latex: str | None,
           words: str, note: str, kind: Kind = "array") -> Function:
    return Function(name, 1, kind, takes, shape, None, numpy, None, latex, False, words, None, note)


def _tan_derivative(z: Expr) -> Expr:
    return BinOp("+", Num(1), BinOp("^", Call("tan", (z,)), Num(2)))


def _sigma_derivative(z: Expr) -> Expr:
    return BinOp("*", Call("sigma", (z,)), BinOp("-", Num(1), Call("sigma", (z,))))


_ROWS = (
    _elementwise("sin", lambda z: Call("cos", (z,)), r"$\sin$", (-3.0, 3.0), "every real number",
                 latex=r"\sin", square_on_head=True),
    _elementwise("cos", lambda z: Neg(Call("sin", (z,))), r"$\cos$", (-3.0, 3.0), "every real number",
                 latex=r"\cos", square_on_head=True),
    _elementwise("tan", _tan_derivative, r"$\tan$", (-1.2, 1.2), "where cos z ≠ 0",
                 latex=r"\tan", square_on_head=True),
    _elementwise("exp", lambda z: Call("exp", (z,)), r"$\exp$", (-3.0, 3.0), "every real number",
                 latex=r"\exp"),
    _elementwise("log", lambda z: BinOp("/", Num(1), z), r"$\log$", (0.1, 5.0), "z > 0 (natural logarithm)",
                 latex=r"\log"),
    _elementwise("sqrt", lambda z: BinOp("/", Num(1), BinOp("*", Num(2), Call("sqrt", (z,)))),
                 "the square root", (0.1, 5.0), "z ≥ 0; its derivative needs z > 0"),
    _elementwise("tanh", lambda z: BinOp("-", Num(1), BinOp("^", Call("tanh", (z,)), Num(2))), r"$\tanh$",
                 (-3.0, 3.0), "every real number", latex=r"\tanh", square_on_head=True),
    _elementwise("sigma", _sigma_derivative, r"the logistic function $\sigma$", (-5.0, 5.0),
                 "every real number; σ(z) = 1 / (1 + exp(−z))", numpy=_sigma_numpy, sympy=_sigma_sympy,
                 latex=r"\sigma"),
    _array("inv", "a square matrix", lambda s, same: s if _square(s, same) else None, _inv_numpy, None,
           "the inverse", "an invertible square matrix"),
    _array("det", "a square matrix", lambda s, same: () if _square(s, same) else None,
           _det_numpy, r"\det", "the determinant", "a square matrix"),
    _array("tr", "a square matrix", lambda s, same: () if _square(s, same) else None, _numpy("trace"),
           r"\operatorname{tr}", "the trace", "a square matrix"),
    _array("norm", "a vector or matrix", _scalar, _norm_numpy, None, "the norm",
           "the 2-norm of a vector, the Frobenius norm of a matrix"),
    _array("sum", "a vector or matrix", _scalar, _numpy("sum"), r"\operatorname{sum}",
           "the sum of the entries", "any array"),
    _array("diag", "a vector", _diagonal, _numpy("diag"), r"\operatorname{diag}",
           "the diagonal matrix", "a vector, put on the diagonal"),
    _array("eye", "a size: a positive whole number or a dimension name", lambda s, same: (s[0], s[0]),
           _numpy("eye"), None, "the identity matrix", "a size, not a value", kind="size"),
    _array("ones", "a size: a positive whole number or a dimension name", lambda s, same: (s[0],),
           _numpy("ones"), None, "the vector of ones", "a size, not a value", kind="size"),
    _array("zeros", "a size: a positive whole number or a dimension name", lambda s, same: (s[0],),
           _numpy("zeros"), None, "the vector of zeros", "a size, not a value", kind="size"),
)

#: Every built-in function, by its name in the language, in the order of the table.
FUNCTIONS: dict[str, Function] = {f.name: f for f in _ROWS}
#: The elementwise scalar functions, in table order.
ELEMENTWISE: tuple[str, ...] = tuple(f.name for f in _ROWS if f.elementwise)
#: Every name a problem file cannot take for its own variables or defines.
BUILTINS: frozenset[str] = frozenset(FUNCTIONS)


def takes_size(e: Expr) -> bool:
    """Whether ``e`` calls a function whose argument is a size (``eye(N)``), not a value."""
    return isinstance(e, Call) and e.func in FUNCTIONS and FUNCTIONS[e.func].kind == "size"
