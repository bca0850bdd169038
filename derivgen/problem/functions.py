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
    kinks: bool = False
    """Whether it has points where it is not differentiable (``relu`` and ``abs`` at 0): the numeric
    check keeps its argument away from 0."""
    axis: bool = False
    """Whether it takes an optional second argument, the axis 0 or 1 (``sum(X, 1)``, NumPy's)."""
    numpy_axis: Callable[[Any, int], Any] | None = None
    """The NumPy form along an axis (``np.sum(X, axis=1)``), for a function that takes one."""

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


def _logistic(name: str) -> Callable[[Any], Any]:
    """A SymPy function of :mod:`derivgen.problem.logistic` (σ, relu, softplus ...)."""
    def make(z: Any) -> Any:
        from derivgen.problem import logistic

        return getattr(logistic, name)(z)
    make.__name__ = name
    return make


def _relu_numpy(z: Any) -> Any:
    import numpy as np

    return np.maximum(z, 0.0)


def _step_numpy(z: Any) -> Any:
    import numpy as np

    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def _softplus_numpy(z: Any) -> Any:
    """log(1 + exp(z)) without overflow."""
    import numpy as np

    return np.logaddexp(0.0, z)


def _softmax_numpy(z: Any, axis: int | None = None) -> Any:
    """exp(z) / sum(exp(z)) for a vector (or along an axis of a matrix), shifted against overflow."""
    import numpy as np

    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _logsumexp_numpy(z: Any, axis: int | None = None) -> Any:
    import numpy as np

    z = np.asarray(z, dtype=np.float64)
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _sum_numpy_axis(a: Any, axis: int) -> Any:
    import numpy as np

    return np.sum(a, axis=axis if np.ndim(a) == 2 else None)


def _along(f: Callable[..., Any]) -> Callable[[Any, int], Any]:
    """``f`` along an axis of a matrix (a vector has only axis 0: the whole vector)."""
    def apply(a: Any, axis: int) -> Any:
        import numpy as np

        return f(a, axis if np.ndim(a) == 2 else None)
    return apply


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


def _vector(s: Shape, same: Same) -> Shape | None:
    return s if len(s) == 1 else None


def _vector_to_scalar(s: Shape, same: Same) -> Shape | None:
    return () if len(s) == 1 else None


def axis_shape(s: Shape, axis: int, func: str = "sum") -> Shape | None:
    """``sum(X, axis)``'s shape, NumPy's: axis 0 sums each column (N entries for an M×N matrix),
    axis 1 each row (M entries), both as a vector; a vector's only axis is 0 (its sum, a scalar).
    ``logsumexp`` reduces the same way; ``softmax(X, axis)`` keeps X's shape."""
    if len(s) == 1:
        return (s if func == "softmax" else ()) if axis == 0 else None
    if len(s) == 2 and axis in (0, 1):
        return s if func == "softmax" else (s[1 - axis],)
    return None


# --- the table ---------------------------------------------------------------------------------


def _elementwise(name: str, derivative: Callable[[Expr], Expr], words: str, domain: tuple[float, float],
                 note: str, *, numpy: Callable[[Any], Any] | None = None,
                 sympy: Callable[[Any], Any] | None = None, latex: str | None = None,
                 square_on_head: bool = False, kinks: bool = False) -> Function:
    return Function(name, 1, "elementwise", "a scalar, vector or matrix", _same_shape, derivative,
                    numpy or _numpy(name), sympy or _sympy(name), latex, square_on_head, words, domain, note,
                    kinks=kinks)


def _array(name: str, takes: str, shape: ShapeRule, numpy: Callable[[Any], Any], latex: str | None,
           words: str, note: str, kind: Kind = "array",
           numpy_axis: Callable[[Any, int], Any] | None = None) -> Function:
    return Function(name, 1, kind, takes, shape, None, numpy, None, latex, False, words, None, note,
                    axis=numpy_axis is not None, numpy_axis=numpy_axis)


def _tan_derivative(z: Expr) -> Expr:
    return BinOp("+", Num(1), BinOp("^", Call("tan", (z,)), Num(2)))


def _sigma_derivative(z: Expr) -> Expr:
    return BinOp("*", Call("sigma", (z,)), BinOp("-", Num(1), Call("sigma", (z,))))


def _zero(z: Expr) -> Expr:
    return Num(0)


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
                 "every real number; σ(z) = 1 / (1 + exp(−z))", numpy=_sigma_numpy, sympy=_logistic("sigma"),
                 latex=r"\sigma"),
    _elementwise("softplus", lambda z: Call("sigma", (z,)), "softplus", (-5.0, 5.0),
                 "every real number; softplus(z) = log(1 + exp(z)), its derivative σ(z)",
                 numpy=_softplus_numpy, sympy=_logistic("softplus"), latex=r"\operatorname{softplus}"),
    _elementwise("log1p", lambda z: BinOp("/", Num(1), BinOp("+", Num(1), z)), r"$\log(1 + x)$",
                 (-0.5, 5.0), "z > −1; log1p(z) = log(1 + z)", sympy=_logistic("log1p")),
    _elementwise("relu", lambda z: Call("step", (z,)), "the rectifier ReLU", (-3.0, 3.0),
                 "every real number; relu(z) = max(z, 0), not differentiable at z = 0",
                 numpy=_relu_numpy, sympy=_logistic("relu"), latex=r"\operatorname{ReLU}", kinks=True),
    _elementwise("abs", lambda z: Call("sign", (z,)), "the absolute value", (-3.0, 3.0),
                 "every real number; not differentiable at z = 0", numpy=_numpy("abs"),
                 sympy=_logistic("absolute"), kinks=True),
    _elementwise("step", _zero, "the step function $H$", (-3.0, 3.0),
                 "every real number; step(z) = 1 for z > 0 and 0 for z < 0 (the derivative of relu), "
                 "not continuous at z = 0", numpy=_step_numpy, sympy=_logistic("step"), latex=r"\mathit{H}",
                 kinks=True),
    _elementwise("sign", _zero, "the sign function", (-3.0, 3.0),
                 "every real number; sign(z) = 1 for z > 0, −1 for z < 0 (the derivative of abs), "
                 "not continuous at z = 0", sympy=_logistic("sign"), latex=r"\operatorname{sign}",
                 kinks=True),
    _array("inv", "a square matrix", lambda s, same: s if _square(s, same) else None, _inv_numpy, None,
           "the inverse", "an invertible square matrix"),
    _array("det", "a square matrix", lambda s, same: () if _square(s, same) else None,
           _det_numpy, r"\det", "the determinant", "a square matrix"),
    _array("tr", "a square matrix", lambda s, same: () if _square(s, same) else None, _numpy("trace"),
           r"\operatorname{tr}", "the trace", "a square matrix"),
    _array("norm", "a vector or matrix", _scalar, _norm_numpy, None, "the norm",
           "the 2-norm of a vector, the Frobenius norm of a matrix"),
    _array("sum", "a vector or matrix", _scalar, _numpy("sum"), r"\operatorname{sum}",
           "the sum of the entries", "any array; sum(X, 0) sums each column and sum(X, 1) each row, "
           "as NumPy does", numpy_axis=_sum_numpy_axis),
    _array("softmax", "a vector", _vector, _softmax_numpy, r"\operatorname{softmax}", "the softmax function",
           "a vector; softmax(z)_i = exp(z_i) / Σ_k exp(z_k); softmax(X, 1) of each row, softmax(X, 0) of "
           "each column", numpy_axis=_along(_softmax_numpy)),
    _array("logsumexp", "a vector", _vector_to_scalar, _logsumexp_numpy, r"\operatorname{logsumexp}",
           "the log-sum-exp function", "a vector; logsumexp(z) = log Σ_k exp(z_k); logsumexp(X, 1) of each "
           "row, logsumexp(X, 0) of each column", numpy_axis=_along(_logsumexp_numpy)),
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


#: Functions with points where they are not differentiable, which the numeric check avoids.
KINKED: tuple[str, ...] = tuple(f.name for f in _ROWS if f.kinks)


def axis_of(e: Expr) -> int | None:
    """The axis of ``sum(X, axis)``, ``softmax(X, axis)`` or ``logsumexp(X, axis)`` (0 or 1), or None
    for a call without one."""
    if isinstance(e, Call) and len(e.args) == 2 and e.func in FUNCTIONS and FUNCTIONS[e.func].axis:
        a = e.args[1]
        if isinstance(a, Num) and isinstance(a.value, int) and not isinstance(a.value, bool):
            return a.value
    return None


def takes_size(e: Expr) -> bool:
    """Whether ``e`` calls a function whose argument is a size (``eye(N)``), not a value."""
    return isinstance(e, Call) and e.func in FUNCTIONS and FUNCTIONS[e.func].kind == "size"
