"""Closed matrix forms: the lectures' targets word for word, each checked by finite differences.

The reference is independent of the engine: a small NumPy evaluator of
expression trees (column vectors 1-D, rows ``(1, N)``, ``@`` treating 1-D as
``N×1`` and ``1×1`` as a scalar) and central differences.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import numpy as np
import pytest

from derivgen.derivation import Symmetric
from derivgen.engine.matrix.closed_form import RULES, closed_derivative, identity_for, tidy
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose
from derivgen.problem.shapes import ShapeEnv, infer, printed_shape
from derivgen.problem.text import to_text

# --- building expressions with Python operators (no parsing) ----------------------------


class E:
    """Wraps an Expr so that tests can write ``x.T @ B @ x``."""

    def __init__(self, e: Expr) -> None:
        self.e = e

    def _bin(self, op: str, o: object, flip: bool = False) -> E:
        other = o.e if isinstance(o, E) else Num(o)  # type: ignore[arg-type]
        return E(BinOp(op, other, self.e) if flip else BinOp(op, self.e, other))

    def __add__(self, o: object) -> E: return self._bin("+", o)
    def __radd__(self, o: object) -> E: return self._bin("+", o, True)
    def __sub__(self, o: object) -> E: return self._bin("-", o)
    def __rsub__(self, o: object) -> E: return self._bin("-", o, True)
    def __mul__(self, o: object) -> E: return self._bin("*", o)
    def __rmul__(self, o: object) -> E: return self._bin("*", o, True)
    def __truediv__(self, o: object) -> E: return self._bin("/", o)
    def __pow__(self, o: object) -> E: return self._bin("^", o)
    def __matmul__(self, o: object) -> E: return self._bin("@", o)
    def __neg__(self) -> E: return E(Neg(self.e))
    def __getitem__(self, i: int) -> E: return E(Index(self.e, (i,)))

    @property
    def T(self) -> E:
        return E(Transpose(self.e))


def fn(name: str) -> Callable[..., E]:
    return lambda *args: E(Call(name, tuple(a.e for a in args)))


inv, det, tr, norm, exp, log, sigma, tanh, sin, cos, sqrt, diag = map(
    fn, "inv det tr norm exp log sigma tanh sin cos sqrt diag".split()
)

SHAPES = {
    "x": ("N",), "a": ("N",), "b": ("N",), "s": ("N",), "e": ("N",), "y": ("M",), "z": ("M",),
    "theta": ("D",), "B": ("N", "N"), "X": ("N", "N"), "A": ("N", "N"), "W": ("N", "N"),
    "Phi": ("M", "D"), "C": ("M", "N"), "c": (),
}
SIZES = {"N": 3, "M": 4, "D": 2}
ENV = ShapeEnv(SHAPES, SIZES)
x, a, b, s, e, y, z, theta, B, X, A, W, Phi, C, c = (E(Name(n)) for n in SHAPES)
SYM = {"W": frozenset({"symmetric"})}

# --- an independent numeric reference --------------------------------------------------

FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "tanh": np.tanh, "sigma": lambda v: 1.0 / (1.0 + np.exp(-v)), "inv": np.linalg.inv,
    "det": np.linalg.det, "tr": np.trace, "norm": lambda v: np.linalg.norm(np.ravel(v)),
    "sum": np.sum, "diag": np.diag,
}


def as2d(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v.reshape(1, 1) if v.ndim == 0 else (v.reshape(-1, 1) if v.ndim == 1 else v)


def from2d(m: np.ndarray) -> np.ndarray:
    return m[0, 0] if m.shape == (1, 1) else (m[:, 0] if m.shape[1] == 1 else m)


def ev(x_: Expr, vals: Mapping[str, np.ndarray]) -> np.ndarray:
    """The value of an expression tree (the reference for every check)."""
    if isinstance(x_, Num):
        return np.asarray(float(x_.value))
    if isinstance(x_, Name):
        return vals[x_.id]
    if isinstance(x_, Neg):
        return -ev(x_.arg, vals)
    if isinstance(x_, Transpose):
        return from2d(as2d(ev(x_.arg, vals)).T)
    if isinstance(x_, Index):
        return np.asarray(ev(x_.base, vals)[tuple(i - 1 for i in x_.indices)])
    if isinstance(x_, ListLit):
        return np.array([ev(i, vals) for i in x_.items], dtype=float)
    if isinstance(x_, Call) and x_.func == "eye":
        n = x_.args[0]
        return np.eye(n.value if isinstance(n, Num) else SIZES[n.id])  # type: ignore[union-attr, arg-type]
    if isinstance(x_, Call):
        return np.asarray(FUNCS[x_.func](ev(x_.args[0], vals)))
    assert isinstance(x_, BinOp)
    left, right = ev(x_.left, vals), ev(x_.right, vals)
    if x_.op == "@":
        return from2d(as2d(left) @ as2d(right))
    ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}
    return ops[x_.op](left, right)


def random_values(rng: np.random.Generator) -> dict[str, np.ndarray]:
    vals: dict[str, np.ndarray] = {}
    for name, shape in SHAPES.items():
        dims = tuple(SIZES[d] for d in shape)
        vals[name] = rng.normal(scale=0.5, size=dims) if dims else np.asarray(rng.normal())
    for name in ("X", "B", "A", "W"):  # invertible, positive determinant
        vals[name] = vals[name] + 2.0 * np.eye(3)
    vals["W"] = vals["W"] + vals["W"].T
    return vals


def finite_difference(f: Expr, wrt: str, vals: dict[str, np.ndarray], h: float = 1e-6) -> np.ndarray:
    """d f / d wrt in array layout (f's shape, then wrt's)."""
    base = np.asarray(vals[wrt], dtype=float)
    out = []
    for i in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[i] += h
        minus[i] -= h
        hi = np.asarray(ev(f, {**vals, wrt: plus}))
        lo = np.asarray(ev(f, {**vals, wrt: minus}))
        out.append((hi - lo) / (2 * h))
    f_shape = np.shape(ev(f, vals))
    return np.moveaxis(np.array(out), 0, -1).reshape(f_shape + base.shape)


def check_numerically(f: Expr, wrt: str, result: Expr, env: ShapeEnv = ENV, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    vals = random_values(rng)
    want = finite_difference(f, wrt, vals)
    got = np.asarray(ev(result, vals), dtype=float)
    assert got.size == want.size, (to_text(result), got.shape, want.shape)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-6, err_msg=to_text(result))


def lecture_shape(f: Expr, wrt: str, env: ShapeEnv) -> tuple[object, ...]:
    shape = printed_shape(infer(f, env), env.shapes[wrt])
    return tuple(SIZES.get(str(d), d) for d in shape)


# --- the lectures' targets ---------------------------------------------------------------

TARGETS = [
    (x.T @ a, "x", {}, "a.T", "5.104"),
    (a.T @ x, "x", {}, "a.T", "5.105"),
    (a.T @ X @ b, "X", {}, "a @ b.T", "5.106"),
    (x.T @ B @ x, "x", {}, "x.T @ (B + B.T)", "5.107"),
    (a.T @ inv(X) @ b, "X", {}, "-inv(X).T @ a @ b.T @ inv(X).T", "5.103"),
    (det(X), "X", {}, "det(X) * inv(X).T", "5.101"),
    (log(det(X)), "X", {}, "inv(X).T", None),
    (tr(X), "X", {}, "eye(N)", "5.100"),
    (tr(A @ X), "X", {}, "A.T", "5.100"),
    ((x - A @ s).T @ W @ (x - A @ s), "s", SYM, "-2 * (x - A @ s).T @ W @ A", "5.108"),
    (norm(y - Phi @ theta) ** 2, "theta", {}, "-2 * (y - Phi @ theta).T @ Phi", None),
    ((y - Phi @ theta).T @ (y - Phi @ theta), "theta", {}, "-2 * (y - Phi @ theta).T @ Phi", None),
    (norm(C @ x - z) ** 2, "C", {}, "2 * (C @ x - z) @ x.T", None),
    (x.T @ A @ x, "A", {}, "x @ x.T", "5.106"),
    (A @ x, "x", {}, "A", None),
    (sigma(A @ x + b), "x", {}, "diag(sigma(A @ x + b) * (1 - sigma(A @ x + b))) @ A", None),
    (sigma(A @ x + b), "b", {}, "diag(sigma(A @ x + b) * (1 - sigma(A @ x + b)))", None),
    (e.T @ e, "e", {}, "2 * e.T", None),
    (y - Phi @ theta, "theta", {}, "-Phi", None),
    (exp(a.T @ a), "a", {}, "2 * exp(a.T @ a) * a.T", None),
    (det(X) ** 2, "X", {}, "2 * det(X) ** 2 * inv(X).T", None),
    # beyond the list: the forms a reader expects
    ((x - A @ s).T @ W @ (x - A @ s), "s", {}, "-(x - A @ s).T @ (W + W.T) @ A", None),
    (norm(x), "x", {}, "x.T / norm(x)", None),
    (x.T @ W @ x, "x", SYM, "2 * x.T @ W", "5.107"),
    (c * x, "x", {}, "c * eye(N)", None),
    (c * x, "c", {}, "x", None),
    (tanh(B @ x), "x", {}, "diag(1 - tanh(B @ x) ** 2) @ B", None),
    (inv(X) @ a, "c", {}, "0 * (inv(X) @ a)", None),
    (a.T @ sigma(B @ x), "x", {}, "a.T @ diag(sigma(B @ x) * (1 - sigma(B @ x))) @ B", None),
    (tr(X.T @ X), "X", {}, "2 * X", "5.100"),
    (x[2] * c, "c", {}, "x[2]", None),
    (x - c, "c", {}, "0 * x - 1", None),  # a scalar broadcast over x: exact, if plain
]


@pytest.mark.parametrize(
    "f, wrt, assume, want, identity", TARGETS, ids=[f"{to_text(t[0].e)} by {t[1]}" for t in TARGETS]
)
def test_target_reads_like_the_book_and_is_right(
    f: E, wrt: str, assume: dict[str, frozenset[str]], want: str, identity: str | None
) -> None:
    closed = closed_derivative(f.e, wrt, ENV, assume)
    assert closed is not None
    assert to_text(closed.expr) == want
    assert closed.identity == identity
    assert set(closed.rules) <= set(RULES)
    check_numerically(f.e, wrt, closed.expr)
    check_numerically(f.e, wrt, closed.unsimplified)
    assert tuple(SIZES.get(str(d), d) for d in infer(closed.expr, ENV)) in (lecture_shape(f.e, wrt, ENV), ())


def test_target_trees_are_the_printed_ones() -> None:
    closed = closed_derivative((a.T @ inv(X) @ b).e, "X", ENV)
    assert closed is not None
    neg_first = BinOp("@", BinOp("@", BinOp("@", Neg(Transpose(Call("inv", (Name("X"),)))), Name("a")),
                                 Transpose(Name("b"))), Transpose(Call("inv", (Name("X"),))))
    assert closed.expr == neg_first
    quad = closed_derivative((x.T @ B @ x).e, "x", ENV)
    assert quad is not None
    assert quad.expr == BinOp("@", Transpose(Name("x")), BinOp("+", Name("B"), Transpose(Name("B"))))


def test_symmetric_assumption_is_noted_and_raw_form_keeps_the_transpose() -> None:
    closed = closed_derivative(((x - A @ s).T @ W @ (x - A @ s)).e, "s", ENV, SYM)
    assert closed is not None
    assert closed.notes == (Symmetric("W"),)  # a fact; render/sentences.py says it in words
    assert to_text(closed.unsimplified) == "-(x - A @ s).T @ W.T @ A - (x - A @ s).T @ W @ A"
    assert closed.rules[0] == "quadratic_form"


def test_rules_of_the_least_squares_gradient() -> None:
    closed = closed_derivative((norm(y - Phi @ theta) ** 2).e, "theta", ENV)
    assert closed is not None
    assert {"norm", "quadratic_form", "sum", "linear_form"} <= set(closed.rules)


@pytest.mark.parametrize(
    "f, wrt", [(A @ x, "A"), (X, "X"), (inv(X), "X"), (x @ x.T, "x"), (x.T, "x"), (x[1] * x[2], "x")]
)
def test_tensors_have_no_closed_form(f: E, wrt: str) -> None:
    assert closed_derivative(f.e, wrt, ENV) is None


def test_tidy_for_the_chain_rule() -> None:
    product = (2 * e.T) @ (-Phi)
    env = ShapeEnv({**SHAPES, "e": ("M",)}, SIZES)
    assert to_text(tidy(product.e, env)) == "-2 * e.T @ Phi"
    assert to_text(tidy((x.T @ B.T + x.T @ B).e, ENV)) == "x.T @ (B + B.T)"
    assert to_text(tidy((2 * norm(x) * x / norm(x)).e, ENV)) == "2 * x"
    assert to_text(tidy((W.T @ x).e, ENV, SYM)) == "W @ x"
    assert to_text(tidy(((A @ B).T).e, ENV)) == "B.T @ A.T"
    assert to_text(tidy((inv(X).T.T + 0 * X).e, ENV)) == "inv(X)"


def test_identity_for_reads_norm_squared_as_inner_product() -> None:
    assert identity_for((x.T @ B @ x).e, "x", ENV) == "5.107"
    assert identity_for((norm(x) ** 2).e, "x", ENV) is None
    assert identity_for(((x - A @ s).T @ W @ (x - A @ s)).e, "s", ENV) is None
    assert identity_for((tr(X) + 1).e, "X", ENV) is None
    assert identity_for((a.T @ x).e, "a", ENV) == "5.104"


# --- randomized: every closed form returned is right (None is allowed, wrong never) ------

EYE = E(Call("eye", (Name("N"),)))


class RandomExpr:
    """Random shape-consistent expressions over x, a, b (N), y (M), B, X, A (N×N), C (M×N), c."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, options: list[Callable[[], E]]) -> E:
        return self.rng.choice(options)()

    def scalar(self, d: int) -> E:
        if d == 0:
            return self.pick([lambda: c, lambda: x.T @ a, lambda: x[2], lambda: b.T @ x])
        s, v, m = (lambda: self.scalar(d - 1)), (lambda: self.vec(d - 1)), (lambda: self.sq(d - 1))
        return self.pick([
            lambda: v().T @ v(), lambda: v().T @ m() @ v(), lambda: tr(m()), lambda: det(self.spd(d - 1)),
            lambda: log(det(self.spd(d - 1))), lambda: norm(v()), lambda: norm(v()) ** 2,
            lambda: sin(s()), lambda: tanh(s()), lambda: sigma(s()), lambda: exp(0.25 * s()),
            lambda: s() * s(), lambda: s() + s(), lambda: s() - s(), lambda: s() / self.pos(d - 1),
            lambda: log(self.pos(d - 1)), lambda: sqrt(self.pos(d - 1)), lambda: s() ** 2,
            lambda: self.pos(d - 1) ** -1, lambda: a.T @ inv(self.spd(d - 1)) @ v(), lambda: y.T @ C @ v(),
            lambda: v()[1], lambda: -s(), lambda: (m().T @ v()).T @ v(),
        ])

    def pos(self, d: int) -> E:
        s = lambda: self.scalar(d)  # noqa: E731
        return self.pick([lambda: 1 + s() ** 2, lambda: exp(sigma(s())), lambda: norm(self.vec(d)) ** 2 + 1])

    def vec(self, d: int) -> E:
        if d == 0:
            return self.pick([lambda: x, lambda: a, lambda: b])
        s, v, m = (lambda: self.scalar(d - 1)), (lambda: self.vec(d - 1)), (lambda: self.sq(d - 1))
        return self.pick([
            lambda: m() @ v(), lambda: s() * v(), lambda: v() + v(), lambda: v() - v(), lambda: sigma(v()),
            lambda: tanh(v()), lambda: v() * v(), lambda: inv(self.spd(d - 1)) @ v(), lambda: (v().T @ m()).T,
            lambda: C.T @ (C @ v()), lambda: v() / self.pos(d - 1), lambda: sin(v()), lambda: v() - s(),
        ])

    def sq(self, d: int) -> E:
        if d == 0:
            return self.pick([lambda: B, lambda: X, lambda: A])
        s, v, m = (lambda: self.scalar(d - 1)), (lambda: self.vec(d - 1)), (lambda: self.sq(d - 1))
        return self.pick([
            lambda: m() @ m(), lambda: m().T, lambda: m() + m(), lambda: s() * m(), lambda: v() @ v().T,
            lambda: inv(self.spd(d - 1)), lambda: m() * m(), lambda: tanh(m()), lambda: C.T @ C,
        ])

    def spd(self, d: int) -> E:
        m = self.sq(d)
        return m @ m.T + 3 * EYE


def check_random(f: Expr, wrt: str, seed: int) -> bool:
    """True when a closed form came back (and then it was right)."""
    closed = closed_derivative(f, wrt, ENV)
    if closed is None:
        return False
    assert set(closed.rules) <= set(RULES)
    vals = random_values(np.random.default_rng(seed))
    with np.errstate(all="ignore"):
        want = finite_difference(f, wrt, vals)
    if not np.all(np.isfinite(want)):
        return False  # overflow at these values: no check, no count
    for result in (closed.expr, closed.unsimplified):
        got = np.asarray(ev(result, vals), dtype=float).reshape(want.shape)
        scale = max(1.0, float(np.max(np.abs(want))))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * scale, err_msg=f"{to_text(f)} by {wrt}")
    return True


@pytest.mark.parametrize("seed", range(8))
def test_random_scalar_expressions(seed: int) -> None:
    gen, answered = RandomExpr(seed), 0
    for i in range(40):
        f = gen.scalar(1 + i % 3).e
        for wrt in sorted({"x", "a", "B", "X", "A", "C", "c"} & names_of(f)):
            answered += check_random(f, wrt, seed * 100 + i)
    assert answered >= 30


@pytest.mark.parametrize("seed", range(4))
def test_random_vector_and_matrix_expressions(seed: int) -> None:
    gen, answered = RandomExpr(1000 + seed), 0
    for i in range(30):
        v = gen.vec(1 + i % 3).e
        for wrt in sorted({"x", "a", "c"} & names_of(v)):
            answered += check_random(v, wrt, seed * 100 + i)
        m = gen.sq(1 + i % 2).e
        if "c" in names_of(m):
            answered += check_random(m, "c", seed * 100 + i)
    assert answered >= 15


@pytest.mark.parametrize("seed", range(4))
def test_tidy_keeps_the_value(seed: int) -> None:
    gen = RandomExpr(2000 + seed)
    vals = random_values(np.random.default_rng(seed))
    for i in range(40):
        f = (gen.scalar(1 + i % 3) if i % 2 else gen.vec(1 + i % 3)).e
        got = ev(tidy(f, ENV), vals)
        np.testing.assert_allclose(got, ev(f, vals), rtol=1e-9, atol=1e-9, err_msg=to_text(f))


def names_of(f: Expr) -> set[str]:
    from derivgen.problem.expr import names_in

    return names_in(f)
