"""Random, shape-consistent problems for differential testing, and an independent reference.

A case is a :class:`Problem` built directly from :mod:`derivgen.problem.expr` nodes
(nothing is parsed): given variables of every kind of shape, one to three
``define`` entries that build on each other (``e``, ``g``, then ``L`` of them)
and one ``find``.  Every expression is well defined at random points by
construction: ``log`` and ``sqrt`` only of positive things, division only by
positive scalars, ``inv`` only of invertible-assumed or ``GGᵀ + I`` matrices,
``log(det(.))`` only of positive-definite ones.

The generator is written against a small :class:`Chooser`, so that the same
code serves Hypothesis (which shrinks a failure to a small case) and the long
run in ``scripts/long_differential.py`` (a seeded ``random.Random``).

:func:`sympy_reference` is the second, independent reference: the expanded
expression turned into SymPy matrices node by node (never via text), the
variable differentiated by kept as entrywise symbols, every other given
substituted by its number, then ``sympy.diff`` entry by entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from derivgen.problem.expr import BinOp, Call, Dim, Expr, Index, ListLit, Name, Neg, Num, Shape, Transpose
from derivgen.problem.model import Definition, Find, Problem, Var
from derivgen.problem.shapes import ShapeEnv, as_matrix, from_matrix, infer, transpose_shape
from derivgen.problem.text import to_text

SIZES = {"M": 2, "N": 3}
DIMS = ("M", "N")

#: The variables a case may use, with their shapes and assumptions.
POOL: dict[str, tuple[Shape, frozenset[str]]] = {
    "a": ((), frozenset()),
    "b": ((), frozenset()),
    "x": (("N",), frozenset()),
    "y": (("N",), frozenset()),
    "u": (("M",), frozenset()),
    "r": ((1, "N"), frozenset()),
    "A": (("M", "N"), frozenset()),
    "B": (("N", "N"), frozenset({"invertible"})),
    "P": (("M", "M"), frozenset({"invertible"})),
    "S": (("N", "N"), frozenset({"symmetric"})),
}
INVERTIBLE: dict[tuple[Dim, Dim], str] = {("N", "N"): "B", ("M", "M"): "P"}

#: Every shape an intermediate or a sub-expression may have.
SHAPES: tuple[Shape, ...] = ((), ("N",), ("M",), (1, "N"), (1, "M"), ("M", "N"), ("N", "M"), ("N", "N"), ("M", "M"))
SMOOTH = ("sin", "cos", "tanh", "sigma", "exp")


class Chooser(Protocol):
    def choice(self, options: Sequence[Any]) -> Any: ...
    def integer(self, lo: int, hi: int) -> int: ...
    def chance(self, p: float) -> bool: ...


class RandomChooser:
    """Choices from a seeded ``random.Random`` (the long run)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class HypothesisChooser:
    """Choices drawn through Hypothesis, so that failures shrink."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw

    def choice(self, options: Sequence[Any]) -> Any:
        from hypothesis import strategies as st

        return options[self.draw(st.integers(0, len(options) - 1))]

    def integer(self, lo: int, hi: int) -> int:
        from hypothesis import strategies as st

        return self.draw(st.integers(lo, hi))

    def chance(self, p: float) -> bool:
        from hypothesis import strategies as st

        # Shrinks towards False (the simpler branch); p in steps of 1/20.
        return self.draw(st.integers(0, 19)) >= 20 - round(20 * p)


# --- expressions of a requested shape -----------------------------------------------


def _mat(e: Expr, op: str, f: Expr) -> Expr:
    return BinOp(op, e, f)


class ExprGen:
    """Builds expressions of a requested shape from the variables and intermediates in scope."""

    def __init__(self, ch: Chooser, scope: dict[str, Shape]) -> None:
        self.ch = ch
        self.scope = scope
        self.used: set[str] = set()

    # leaves -------------------------------------------------------------------------

    def leaf(self, shape: Shape) -> Expr:
        names = [n for n, s in self.scope.items() if s == shape]
        options: list[Callable[[], Expr]] = [lambda: self._name(self.ch.choice(names))] if names else []
        if shape == ():
            options.append(lambda: Num(self.ch.choice((1, 2, 3, Fraction(1, 2)))))
            options += [lambda: self._component()] if self.ch.chance(0.3) else []
        if len(shape) == 2 and shape[0] == shape[1]:
            options.append(lambda: Call("eye", (Name(str(shape[0])),)))
        tshape = transpose_shape(shape)
        tnames = [n for n, s in self.scope.items() if s == tshape and s != ()]
        if tnames and shape != ():
            options.append(lambda: Transpose(self._name(self.ch.choice(tnames))))
        if not options:
            return self.build(shape, 1)  # e.g. M×M from A @ A.T
        return self.ch.choice(options)()

    def _name(self, n: str) -> Name:
        self.used.add(n)
        return Name(n)

    def _component(self) -> Expr:
        arrays = [n for n, s in self.scope.items() if s]
        if not arrays:
            return Num(2)
        n = self.ch.choice(arrays)
        shape = self.scope[n]
        idx = tuple(self.ch.integer(1, d if isinstance(d, int) else SIZES[d]) for d in shape)
        return Index(self._name(n), idx)

    # compound expressions -----------------------------------------------------------

    def build(self, shape: Shape, depth: int) -> Expr:
        if depth <= 0 or self.ch.chance(0.25):
            return self.leaf(shape)
        rules = self._rules(shape)
        return self.ch.choice(rules)(shape, depth - 1)

    def _rules(self, shape: Shape) -> list[Callable[[Shape, int], Expr]]:
        rules: list[Callable[[Shape, int], Expr]] = [self.arith, self.arith, self.scale, self.hadamard, self.divide, self.negate,
                 self.elementwise, self.elementwise, self.power, self.matmul, self.matmul, self.positive_fn]
        if shape != ():
            rules.append(self.transpose)
        if shape == ():
            rules += [self.trace, self.det, self.logdet, self.norm, self.total, self.component]
        if len(shape) == 2 and shape[0] == shape[1]:
            rules += [self.inverse, self.diag]
        if shape == ("M",) and self.ch.chance(0.2):
            rules.append(self.literal)
        if shape == ("M", "M") and self.ch.chance(0.1):
            rules.append(self.matrix_literal)
        return rules

    def arith(self, shape: Shape, d: int) -> Expr:
        return BinOp(self.ch.choice("+-"), self.build(shape, d), self.build(shape, d))

    def scale(self, shape: Shape, d: int) -> Expr:
        s, e = self.build((), d), self.build(shape, d)
        return BinOp("*", s, e) if self.ch.chance(0.5) else BinOp("*", e, s)

    def hadamard(self, shape: Shape, d: int) -> Expr:
        return BinOp("*", self.build(shape, d), self.build(shape, d))

    def divide(self, shape: Shape, d: int) -> Expr:
        return BinOp("/", self.build(shape, d), self.positive_scalar(d))

    def negate(self, shape: Shape, d: int) -> Expr:
        return Neg(self.build(shape, d))

    def elementwise(self, shape: Shape, d: int) -> Expr:
        return Call(self.ch.choice(SMOOTH), (self.build(shape, d),))

    def positive_fn(self, shape: Shape, d: int) -> Expr:
        """``log`` or ``sqrt`` of something positive: ``z*z + 1``, ``exp(z)``."""
        z = self.build(shape, d)
        inner = self.ch.choice((BinOp("+", BinOp("*", z, z), Num(1)), Call("exp", (z,))))
        return Call(self.ch.choice(("log", "sqrt")), (inner,))

    def power(self, shape: Shape, d: int) -> Expr:
        k = self.ch.choice((2, 3, -1, Fraction(1, 2)))
        base = self.build(shape, d)
        if k in (-1, Fraction(1, 2)):
            base = BinOp("+", BinOp("*", base, base), Num(1))
        return BinOp("^", base, Num(k))

    def transpose(self, shape: Shape, d: int) -> Expr:
        return Transpose(self.build(transpose_shape(shape), d))

    def matmul(self, shape: Shape, d: int) -> Expr:
        r, c = as_matrix(shape)
        k = self.ch.choice(DIMS)
        return BinOp("@", self.build(from_matrix(r, k), d), self.build(from_matrix(k, c), d))

    def trace(self, shape: Shape, d: int) -> Expr:
        k = self.ch.choice(DIMS)
        return Call("tr", (self.build((k, k), d),))

    def det(self, shape: Shape, d: int) -> Expr:
        k = self.ch.choice(DIMS)
        return Call("det", (self.invertible((k, k), d),))

    def logdet(self, shape: Shape, d: int) -> Expr:
        k = self.ch.choice(DIMS)
        return Call("log", (Call("det", (self.positive_definite((k, k), d),)),))

    def norm(self, shape: Shape, d: int) -> Expr:
        return Call("norm", (self.build(self.ch.choice(SHAPES[1:]), d),))

    def total(self, shape: Shape, d: int) -> Expr:
        return Call("sum", (self.build(self.ch.choice(SHAPES[1:]), d),))

    def component(self, shape: Shape, d: int) -> Expr:
        s = self.ch.choice(SHAPES[1:])
        idx = tuple(self.ch.integer(1, x if isinstance(x, int) else SIZES[x]) for x in s)
        return Index(self.build(s, d), idx)

    def inverse(self, shape: Shape, d: int) -> Expr:
        return Call("inv", (self.invertible(shape, d),))

    def diag(self, shape: Shape, d: int) -> Expr:
        return Call("diag", (self.build((shape[0],), d),))

    def literal(self, shape: Shape, d: int) -> Expr:
        return ListLit(tuple(self.build((), d) for _ in range(SIZES["M"])))

    def matrix_literal(self, shape: Shape, d: int) -> Expr:
        return ListLit(tuple(ListLit(tuple(self.build((), d) for _ in range(2))) for _ in range(2)))

    # well-posed arguments ------------------------------------------------------------

    def positive_scalar(self, d: int) -> Expr:
        z = self.build((), max(d - 1, 0))
        return self.ch.choice((Num(2), BinOp("+", BinOp("*", z, z), Num(1)), Call("exp", (z,))))

    def positive_definite(self, shape: Shape, d: int) -> Expr:
        """``G Gᵀ + I`` (or ``Gᵀ G + I``), positive definite whatever G is."""
        k, j = shape[0], self.ch.choice(DIMS)
        g = self.build(from_matrix(k, j), max(d - 1, 0))
        gram = BinOp("@", g, Transpose(g))
        return BinOp("+", gram, Call("eye", (Name(str(k)),)))

    def invertible(self, shape: Shape, d: int) -> Expr:
        name = INVERTIBLE[(shape[0], shape[1])]
        options = [lambda: self._name(name), lambda: Transpose(self._name(name)),
                   lambda: self.positive_definite(shape, d)]
        return self.ch.choice(options)()


# --- whole problems -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A generated problem and the derivative it asks for."""

    problem: Problem
    find: Find

    def __repr__(self) -> str:
        return "Case(\n" + self.describe() + "\n)"

    def describe(self) -> str:
        """The case as a problem file would write it (for failure reports and regression tests)."""
        p = self.problem
        lines = ["given:"]
        lines += [f"  {v.name}: {list(v.shape)}" + (f"  # assume {sorted(v.assume)}" if v.assume else "")
                  for v in p.given]
        lines.append("define:")
        lines += [f"  {d.name}: {to_text(d.expr)}" for d in p.define]
        lines.append(f"find: [{self.find.text}]")
        return "\n".join(lines)


def given_vars(names: set[str]) -> tuple[Var, ...]:
    return tuple(Var(n, POOL[n][0], POOL[n][1]) for n in POOL if n in names)


def make_problem(defines: Sequence[tuple[str, Expr]], given: set[str], pid: str = "gen") -> Problem:
    """A Problem with each define's shape inferred, as the loader would."""
    vars_ = given_vars(given)
    shapes: dict[str, Shape] = {v.name: v.shape for v in vars_}
    defs = []
    for name, e in defines:
        s = infer(e, ShapeEnv(shapes, SIZES))
        shapes[name] = s
        defs.append(Definition(name, (), e, s))
    return Problem(id=pid, title="generated", path=Path(f"{pid}.yaml"), given=vars_, define=tuple(defs),
                   sizes=dict(SIZES))


def make_find(of: str, wrt: Sequence[Expr]) -> Find:
    text = to_text(wrt[0]) if len(wrt) == 1 else "(" + ", ".join(map(to_text, wrt)) + ")"
    return Find(f"d{of}/d{text}", of, tuple(wrt))


def out_shape(ch: Chooser) -> Shape:
    """The shape of L: mostly a scalar (a loss), also vectors and matrices."""
    if ch.chance(0.55):
        return ()
    return ch.choice(SHAPES[1:])


def generate_case(ch: Chooser, max_depth: int = 4) -> Case:
    """One random problem: givens, defines e (, g), L, and a find dL/d<something>."""
    scope: dict[str, Shape] = {n: s for n, (s, _) in POOL.items()}
    if not ch.chance(0.15):
        scope.pop("S")  # symmetric matrices are rarer
    gen = ExprGen(ch, scope)
    defines: list[tuple[str, Expr]] = []
    n_inter = ch.integer(0, 2)
    for name in ("e", "g")[:n_inter]:
        shape = ch.choice(SHAPES)
        e = gen.build(shape, ch.integer(1, max_depth - 1))
        defines.append((name, e))
        scope[name] = shape
    final_shape = out_shape(ch)
    defines.append(("L", gen.build(final_shape, ch.integer(1, max_depth))))
    given = {n for n in gen.used if n in POOL}
    wrt = _choose_wrt(ch, given, [n for n, _ in defines[:-1]])
    given |= {w.id if isinstance(w, Name) else w.base.id for w in wrt if not _is_define(w, defines)}  # type: ignore[attr-defined]
    if not given:
        given = {"a"}
    problem = make_problem(defines, given)
    return Case(problem, make_find("L", wrt))


def _is_define(w: Expr, defines: Sequence[tuple[str, Expr]]) -> bool:
    return isinstance(w, Name) and w.id in {n for n, _ in defines}


def _choose_wrt(ch: Chooser, given: set[str], inters: list[str]) -> tuple[Expr, ...]:
    """What to differentiate by: a used given (usually), a component, a tuple of scalars.

    Intermediates are never differentiated by: problem files may ask only for
    derivatives by given variables (the loader rejects ``dL/de``).
    """
    used = sorted(given) or ["a"]
    scalars = sorted(n for n in given if POOL[n][0] == ())
    kind = ch.integer(0, 19)
    if kind == 0:
        return (Name(ch.choice(sorted(POOL))),)  # possibly unused: a zero derivative
    if kind == 2:
        arrays = [n for n in used if POOL[n][0]]
        if arrays:
            n = ch.choice(arrays)
            shape = POOL[n][0]
            return (Index(Name(n), tuple(ch.integer(1, d if isinstance(d, int) else SIZES[d]) for d in shape)),)
    if kind == 3 and len(scalars) >= 2:
        return tuple(Name(n) for n in scalars)
    return (Name(ch.choice(used)),)


# --- the SymPy reference -----------------------------------------------------------------


def sympy_reference(case: Case, point: dict[str, Any], sizes: dict[str, int]):  # type: ignore[no-untyped-def]
    """dL/dwrt in array layout at ``point`` (given values plus intermediates differentiated by), by SymPy."""
    import numpy as np
    import sympy  # type: ignore[import-untyped]

    p, f = case.problem, case.find
    wrt_names = [w.id if isinstance(w, Name) else w.base.id for w in f.wrt]  # type: ignore[attr-defined]
    free = replace(p, define=tuple(d for d in p.define if d.name not in wrt_names))
    expr = free.expand(Name(f.of))
    env: dict[str, Any] = {}
    symbols: dict[str, Any] = {}
    for name, value in point.items():
        v = np.asarray(value, dtype=np.float64)
        m = v.reshape(1, 1) if v.ndim == 0 else v.reshape(-1, 1) if v.ndim == 1 else v
        if name in wrt_names:
            syms = sympy.Matrix(m.shape[0], m.shape[1], lambda i, j, n=name: sympy.Symbol(f"{n}_{i}_{j}"))
            env[name] = syms
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    symbols[syms[i, j]] = sympy.Float(float(m[i, j]), 30)
        else:
            env[name] = sympy.Matrix(m.shape[0], m.shape[1], lambda i, j, v=m: sympy.Float(float(v[i, j]), 30))
    value = to_sympy(expr, env, sizes)
    of_entries = list(value)
    coords = []
    for w in f.wrt:
        m = env[w.id if isinstance(w, Name) else w.base.id]  # type: ignore[attr-defined]
        if isinstance(w, Index):
            ix = w.indices if len(w.indices) == 2 else (w.indices[0], 1)
            coords.append(m[ix[0] - 1, ix[1] - 1])
        else:
            coords.extend(list(m))
    out = [[float(sympy.diff(e, s).xreplace(symbols).evalf(20)) for s in coords] for e in of_entries]
    return np.array(out, dtype=np.float64)


def to_sympy(e: Expr, env: dict[str, Any], sizes: dict[str, int]):  # type: ignore[no-untyped-def]
    """The value of a derivgen expression as a SymPy Matrix (rows × columns; a scalar is 1×1)."""
    import sympy

    S = sympy.Matrix
    if isinstance(e, Num):
        v = e.value
        return S([[sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction)
                   else sympy.Integer(v) if isinstance(v, int) else sympy.Float(v, 30)]])
    if isinstance(e, Name):
        return env[e.id]
    if isinstance(e, Neg):
        return -to_sympy(e.arg, env, sizes)
    if isinstance(e, Transpose):
        return to_sympy(e.arg, env, sizes).T
    if isinstance(e, BinOp):
        return _sympy_binop(e.op, to_sympy(e.left, env, sizes), to_sympy(e.right, env, sizes))
    if isinstance(e, Call):
        return _sympy_call(e, env, sizes)
    if isinstance(e, Index):
        m = to_sympy(e.base, env, sizes)
        ix = e.indices if len(e.indices) == 2 else (e.indices[0], 1)
        return S([[m[ix[0] - 1, ix[1] - 1]]])
    if isinstance(e, ListLit):
        if all(isinstance(it, ListLit) for it in e.items):
            return S([[to_sympy(c, env, sizes)[0, 0] for c in row.items] for row in e.items])  # type: ignore[attr-defined]
        return S([[to_sympy(it, env, sizes)[0, 0]] for it in e.items])
    raise TypeError(type(e).__name__)


def _sympy_binop(op: str, a, b):  # type: ignore[no-untyped-def]
    if op == "@":
        return a * b
    if op == "^":
        k = b[0, 0]
        return a.applyfunc(lambda t: t ** k)
    if a.shape == (1, 1) and b.shape != (1, 1):
        a = a.__class__(b.shape[0], b.shape[1], lambda i, j: a[0, 0])
    if b.shape == (1, 1) and a.shape != (1, 1):
        b = b.__class__(a.shape[0], a.shape[1], lambda i, j: b[0, 0])
    fn = {"+": lambda s, t: s + t, "-": lambda s, t: s - t, "*": lambda s, t: s * t, "/": lambda s, t: s / t}[op]
    return a.__class__(a.shape[0], a.shape[1], lambda i, j: fn(a[i, j], b[i, j]))


def _sympy_call(e: Call, env, sizes):  # type: ignore[no-untyped-def]
    import sympy

    f = e.func
    if f == "eye":
        arg = e.args[0]
        n = int(arg.value) if isinstance(arg, Num) else sizes[arg.id]  # type: ignore[attr-defined]
        return sympy.eye(n)
    m = to_sympy(e.args[0], env, sizes)
    elementwise = {"sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp, "log": sympy.log,
                   "sqrt": sympy.sqrt, "tanh": sympy.tanh, "sigma": lambda t: 1 / (1 + sympy.exp(-t))}
    if f in elementwise:
        return m.applyfunc(elementwise[f])
    def one(v: sympy.Expr) -> sympy.Matrix:
        return sympy.Matrix([[v]])

    if f == "inv":
        d = _det(m)
        return sympy.Matrix(m.rows, m.cols, lambda i, j: _cofactor(m, j, i) / d)
    if f == "det":
        return one(_det(m))
    if f == "tr":
        return one(m.trace())
    if f == "norm":
        return one(sympy.sqrt(sum(t * t for t in m)))
    if f == "sum":
        return one(sum(m))
    if f == "diag":
        return sympy.diag(*list(m))
    raise TypeError(f"unknown function {f}")


# --- one case, checked both ways ----------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one case."""

    kind: str
    """ok | derivation_error | limit | wrong | unverifiable | crash | known (a crash already reported)."""
    message: str = ""
    """The error, for anything but ok."""
    sympy_checked: bool = False
    """Whether the SymPy reference was compared too."""


UNVERIFIABLE = ("could not find a point", "finite differences were unstable")


@dataclass(frozen=True)
class KnownCrash:
    """A crash already reported to the module's owner, counted as ``known`` so that a new one stands out."""

    pattern: str
    """Text of the crash's message (``derive: TypeName: ...``)."""
    reported: str
    """Where it happens and to whom it was reported."""
    example: tuple[str, str, str]
    """A case that still shows it, as ``test_differential.case`` takes it: (given, defines, wrt)."""


#: Crashes tolerated by the differential test.  Each entry's example must still crash with its
#: pattern (``test_differential.py::test_known_crashes_still_crash``), so an entry goes as soon
#: as its crash is fixed, and a crash cannot hide behind an entry whose bug is gone.
KNOWN_CRASHES: tuple[KnownCrash, ...] = ()
SYMPY_RTOL = 1e-6


def check_case(case: Case, use_sympy: bool = True, seed: int = 0) -> Outcome:
    """derive, verify against finite differences, then compare every form with SymPy."""
    import numpy as np

    from derivgen.check import numeric
    from derivgen.check.verify import evaluate_result, verify
    from derivgen.engine.derive import derive
    from derivgen.errors import DerivationError, LimitError, VerificationError

    p, f = case.problem, case.find
    try:
        d = derive(p, f)
    except DerivationError as e:
        return Outcome("derivation_error", str(e))
    except LimitError as e:  # a documented limit, reported plainly at the find's line
        return Outcome("limit", str(e))
    except Exception as e:  # any other exception is a crash of the engine
        message = f"derive: {type(e).__name__}: {e}"
        known = any(k.pattern in message for k in KNOWN_CRASHES)
        return Outcome("known" if known else "crash", message)
    try:
        verify(p, f, d, seed=seed)
    except VerificationError as e:
        kind = "unverifiable" if any(s in str(e) for s in UNVERIFIABLE) else "wrong"
        return Outcome(kind, str(e))
    except Exception as e:
        return Outcome("crash", f"verify: {type(e).__name__}: {e}")
    if not use_sympy:
        return Outcome("ok")
    sizes = numeric.concrete_sizes(p)
    rng = np.random.default_rng(seed + 12345)
    try:
        values = numeric.random_values(p, sizes, rng)
    except VerificationError:  # verify found its points; this draw found none: FD's word stands
        return Outcome("ok")
    point = numeric.with_intermediates(p, f.wrt, values, sizes)
    forms = evaluate_result(p, d, point, sizes)
    ref = sympy_reference(case, point, sizes)
    for form, got in forms.items():
        want = ref.reshape(got.shape)
        tol = SYMPY_RTOL * (1 + np.abs(want)) + 1e-9 * float(np.max(np.abs(want), initial=0.0))
        bad = ~(np.abs(got - want) <= tol)
        if np.any(bad):
            ix = tuple(int(i) for i in np.argwhere(bad)[0])
            return Outcome("wrong", f"{form} form disagrees with SymPy at {ix}: derived {got[ix]!r}, "
                                    f"SymPy {want[ix]!r}", True)
    return Outcome("ok", sympy_checked=True)


def _minor(m, i: int, j: int):  # type: ignore[no-untyped-def]
    return m.extract([r for r in range(m.rows) if r != i], [c for c in range(m.cols) if c != j])


def _det(m):  # type: ignore[no-untyped-def]
    """Laplace expansion, without SymPy's simplification (which is slow on large entries)."""
    if m.rows == 1:
        return m[0, 0]
    return sum((-1) ** j * m[0, j] * _det(_minor(m, 0, j)) for j in range(m.cols))


def _cofactor(m, i: int, j: int):  # type: ignore[no-untyped-def]
    if m.rows == 1:
        return 1
    return (-1) ** (i + j) * _det(_minor(m, i, j))
