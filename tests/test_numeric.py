"""Numeric evaluation, random points and finite differences (derivgen.check.numeric)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from derivgen.check.numeric import concrete_sizes, evaluate, numeric_derivative, random_values
from derivgen.errors import ExpressionError, VerificationError
from derivgen.problem.expr import Call, Expr, Index, ListLit, Name, Neg, Num, matmul
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.model import Definition, Find, Problem, Var
from derivgen.problem.parser import parse_expression as E

X3 = np.array([[2.0, 1.0, 0.5], [0.3, 3.0, -1.0], [0.2, 0.1, 1.5]])
VALS = {
    "x": np.array([1.0, 2.0, 3.0]),
    "y": np.array([-1.0, 0.5, 2.0]),
    "A": np.arange(6.0).reshape(2, 3),
    "X": X3,
    "r": np.array([[1.0, -2.0, 4.0]]),
    "t": 0.5,
}


def ev(text: str, values: dict[str, object] | None = None, sizes: dict[str, int] | None = None) -> np.ndarray:
    return evaluate(E(text), values or VALS, sizes)


def problem(given: dict[str, tuple], define: dict[str, str] | None = None, find: tuple[str, str] = ("f", "x"),
            sizes: dict[str, int] | None = None, assume: dict[str, set[str]] | None = None) -> Problem:
    vars_ = tuple(Var(n, s, frozenset((assume or {}).get(n, set()))) for n, s in given.items())
    defs = tuple(Definition(n, (), E(t), None) for n, t in (define or {}).items())
    of, wrt = find
    return Problem(id="p", title="t", path=Path("p.yaml"), given=vars_, define=defs,
                   find=(Find(f"d{of}/d{wrt}", of, (E(wrt),)),), sizes=sizes or {})


# --- evaluation: shapes as on the slides ---------------------------------------------------------


def test_inner_product_is_a_scalar_and_outer_product_a_matrix() -> None:
    assert ev("x.T @ x").shape == ()
    assert float(ev("x.T @ x")) == 14.0
    np.testing.assert_array_equal(ev("x @ y.T"), np.outer(VALS["x"], VALS["y"]))


def test_transpose_of_a_matrix_vector_product_is_a_row() -> None:
    row = ev("(A @ x).T")
    assert row.shape == (1, 2)
    np.testing.assert_array_equal(row, [[8.0, 26.0]])
    assert ev("(A @ x).T.T").shape == (2,)


def test_row_vectors_transpose_to_columns_and_multiply_as_rows() -> None:
    assert ev("r.T").shape == (3,)
    assert float(ev("r @ x")) == 9.0
    assert ev("x @ r").shape == (3, 3)


def test_matrix_power_products_and_scalars() -> None:
    np.testing.assert_allclose(ev("A @ X"), VALS["A"] @ X3)
    np.testing.assert_allclose(ev("2 * x - x / 2"), 1.5 * VALS["x"])
    np.testing.assert_allclose(ev("x * y"), VALS["x"] * VALS["y"])
    np.testing.assert_allclose(ev("x ** 2"), VALS["x"] ** 2)
    np.testing.assert_allclose(ev("-(x.T @ y)"), -(VALS["x"] @ VALS["y"]))
    assert float(ev("1 / t")) == 2.0


def test_elementwise_mismatch_is_an_error_not_a_broadcast() -> None:
    with pytest.raises(ExpressionError, match="cannot combine 3 and 1×3 elementwise with '\\+'"):
        ev("x + r")
    with pytest.raises(ExpressionError, match="cannot multiply 2×3 by 2"):
        evaluate(matmul(Name("A"), Name("x")), {**VALS, "x": np.ones(2)})


def test_components_count_from_one() -> None:
    assert float(ev("x[1]")) == 1.0
    assert float(ev("A[2, 3]")) == 5.0
    with pytest.raises(ExpressionError, match="index 4 is out of range for 3"):
        ev("x[4]")


def test_literals_build_vectors_and_matrices() -> None:
    np.testing.assert_allclose(ev("[t * cos(t), t * sin(t)]"), [0.5 * np.cos(0.5), 0.5 * np.sin(0.5)])
    m = ev("[[t, 1], [2, t ** 2]]")
    np.testing.assert_allclose(m, [[0.5, 1.0], [2.0, 0.25]])
    assert ev("[[t, 1]]").shape == (1, 2)
    with pytest.raises(ExpressionError, match="must be scalars"):
        evaluate(ListLit((Name("x"), Num(1))), VALS)


@pytest.mark.parametrize("func, ref", [
    ("sin", np.sin), ("cos", np.cos), ("tan", np.tan), ("exp", np.exp), ("tanh", np.tanh),
    ("log", lambda v: np.log(np.abs(v))), ("sqrt", lambda v: np.sqrt(np.abs(v))),
])
def test_elementwise_functions(func: str, ref) -> None:  # type: ignore[no-untyped-def]
    arg = "y" if func not in ("log", "sqrt") else "x"
    np.testing.assert_allclose(ev(f"{func}({arg})"), ref(VALS[arg]))


def test_sigma_is_the_logistic_function_and_does_not_overflow() -> None:
    z = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    with np.errstate(all="raise"):
        s = evaluate(E("sigma(z)"), {"z": z})
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])))
    assert s[0] == 0.0 and s[-1] == 1.0


def test_matrix_functions() -> None:
    np.testing.assert_allclose(ev("inv(X) @ X"), np.eye(3), atol=1e-12)
    assert float(ev("det(X)")) == pytest.approx(np.linalg.det(X3))
    assert float(ev("tr(X)")) == pytest.approx(6.5)
    assert float(ev("norm(x)")) == pytest.approx(np.sqrt(14))
    assert float(ev("norm(X)")) == pytest.approx(np.linalg.norm(X3, "fro"))
    assert float(ev("sum(A)")) == 15.0
    np.testing.assert_array_equal(ev("diag(x)"), np.diag([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(ev("eye(2)"), np.eye(2))
    np.testing.assert_array_equal(ev("eye(N) @ x", sizes={"N": 3}), VALS["x"])


def test_unknown_names_functions_and_sizes_are_clear_errors() -> None:
    with pytest.raises(ExpressionError, match="no value for 'z' \\(values are given for: A, X, r, t, x, y\\)"):
        ev("z + 1")
    with pytest.raises(ExpressionError, match="unknown function 'f'"):
        evaluate(Call("f", (Name("x"),)), VALS)
    with pytest.raises(ExpressionError, match="eye\\(K\\): no size given for dimension 'K'"):
        ev("eye(K)")
    with pytest.raises(ExpressionError, match="inv needs a square matrix, not 2×3"):
        ev("inv(A)")


def test_outside_the_domain_values_are_not_finite() -> None:
    assert np.isnan(ev("log(y)")[0])
    assert np.all(np.isnan(evaluate(E("inv(S)"), {"S": np.ones((2, 2))})))


def test_shared_subtrees_are_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    e: Expr = Name("x")
    for _ in range(60):  # each level uses the one below twice: 2^60 paths unless shared
        e = ListLit((Index(e, (2,)), Index(e, (1,))))
    np.testing.assert_array_equal(evaluate(e, {"x": np.array([0.1, 0.2])}), [0.1, 0.2])
    calls = []
    sin = FUNCTIONS["sin"]
    monkeypatch.setitem(FUNCTIONS, "sin", replace(sin, numpy=lambda v: calls.append(v) or np.sin(v)))
    assert float(evaluate(E("sin(x.T @ x) + sin(x.T @ x)"), VALS)) == pytest.approx(2 * np.sin(14))
    assert len(calls) == 1  # equal sub-trees, though distinct objects


def test_deep_trees_do_not_hit_the_recursion_limit() -> None:
    e: Expr = Name("t")
    for _ in range(20000):
        e = Neg(e)
    assert float(evaluate(e, VALS)) == 0.5


# --- sizes and random points ------------------------------------------------------------------


def test_sizes_keep_the_problems_own_and_default_the_rest_distinctly() -> None:
    p = problem({"A": ("M", "N"), "x": ("N",), "W": ("K", 2)}, sizes={"M": 3})
    sizes = concrete_sizes(p)
    assert sizes["M"] == 3
    assert set(sizes) == {"M", "N", "K"}
    assert len({sizes["M"], sizes["N"], sizes["K"], 2}) == 4  # no clash with M nor the fixed 2


def test_random_values_have_the_shapes_and_honour_assumptions() -> None:
    p = problem({"S": ("N", "N"), "P": ("N", "N"), "c": (), "r": (1, "N"), "v": ("N",)},
                find=("c", "c"), assume={"S": {"symmetric"}, "P": {"positive"}, "c": {"positive"}})
    vals = random_values(p, {"N": 3}, np.random.default_rng(1))
    assert vals["S"].shape == (3, 3) and vals["r"].shape == (1, 3) and vals["v"].shape == (3,)
    assert vals["c"].shape == ()
    np.testing.assert_array_equal(vals["S"], vals["S"].T)
    assert np.all(vals["P"] > 0) and float(vals["c"]) > 0


def test_invertible_matrices_are_well_conditioned() -> None:
    p = problem({"X": ("N", "N")}, find=("X", "X"), assume={"X": {"invertible"}})
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert np.linalg.cond(random_values(p, {"N": 4}, rng)["X"]) < 100


def test_same_seed_same_values() -> None:
    p = problem({"A": ("M", "N"), "x": ("N",)}, find=("x", "x"))
    a = random_values(p, {"M": 3, "N": 2}, np.random.default_rng(7))
    b = random_values(p, {"M": 3, "N": 2}, np.random.default_rng(7))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_points_are_redrawn_until_log_sqrt_and_log_det_are_defined() -> None:
    p = problem({"X": ("N", "N"), "x": ("N",)},
                define={"f": "log(det(X)) + sum(sqrt(x)) + sum(log(x))"}, find=("f", "X"))
    for seed in range(20):
        vals = random_values(p, {"N": 3}, np.random.default_rng(seed))
        assert np.linalg.det(vals["X"]) > 0 and np.all(vals["x"] > 0)


def test_inverses_are_taken_only_of_well_conditioned_matrices() -> None:
    p = problem({"X": ("N", "N")}, define={"f": "sum(inv(X))"}, find=("f", "X"))
    for seed in range(30):
        X = random_values(p, {"N": 4}, np.random.default_rng(seed))["X"]
        assert np.linalg.cond(X) <= 1e3


def test_a_problem_defined_nowhere_is_reported() -> None:
    p = problem({"x": ("N",)}, define={"f": "log(-(x.T @ x))"}, find=("f", "x"))
    with pytest.raises(VerificationError) as e:
        random_values(p, {"N": 3}, np.random.default_rng(0))
    assert str(e.value) == (
        "p: could not find a point where the problem is defined after 8 random points (N=3); "
        "last time f is not finite there. If a variable must be positive or invertible, "
        "say so with 'assume' in 'given'."
    )


# --- finite differences against known gradients -------------------------------------------------


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def fd(p: Problem, of: str, wrt: str, values: dict[str, np.ndarray], sizes: dict[str, int]) -> np.ndarray:
    return numeric_derivative(p, Name(of), tuple(E(w) for w in wrt.split(";")), values, sizes)


def test_gradient_of_a_bilinear_form_by_a_matrix_is_the_outer_product() -> None:
    rng = np.random.default_rng(0)
    v = {"a": rand(rng, 3), "X": rand(rng, 3, 2), "b": rand(rng, 2)}
    p = problem({"a": ("M",), "X": ("M", "N"), "b": ("N",)}, define={"f": "a.T @ X @ b"})
    np.testing.assert_allclose(fd(p, "f", "X", v, {"M": 3, "N": 2}), np.outer(v["a"], v["b"]), atol=1e-8)


def test_gradient_of_a_quadratic_form_is_x_transposed_times_b_plus_b_transposed() -> None:
    rng = np.random.default_rng(1)
    v = {"x": rand(rng, 3), "B": rand(rng, 3, 3)}
    p = problem({"x": ("N",), "B": ("N", "N")}, define={"f": "x.T @ B @ x"})
    grad = fd(p, "f", "x", v, {"N": 3})
    assert grad.shape == (3,)  # array layout: scalar by vector has the vector's shape
    np.testing.assert_allclose(grad, v["x"] @ (v["B"] + v["B"].T), atol=1e-7)


def test_gradient_of_log_det_is_the_inverse_transposed() -> None:
    X = np.array([[2.0, 0.3, 0.1], [0.5, 1.5, -0.2], [0.0, 0.4, 1.0]])
    p = problem({"X": ("N", "N")}, define={"f": "log(det(X))"})
    np.testing.assert_allclose(fd(p, "f", "X", {"X": X}, {"N": 3}), np.linalg.inv(X).T, atol=1e-7)


def test_jacobian_of_a_matrix_vector_product_by_the_matrix_is_a_tensor() -> None:
    rng = np.random.default_rng(2)
    v = {"A": rand(rng, 3, 2), "x": rand(rng, 2)}
    p = problem({"A": ("M", "N"), "x": ("N",)}, define={"f": "A @ x"})
    d = fd(p, "f", "A", v, {"M": 3, "N": 2})
    assert d.shape == (3, 3, 2)
    want = np.einsum("ik,q->ikq", np.eye(3), v["x"])  # ∂f_i/∂A_kq = δ_ik x_q
    np.testing.assert_allclose(d, want, atol=1e-8)


def test_symmetric_matrices_are_perturbed_entry_by_entry() -> None:
    S = np.array([[2.0, 0.5], [0.5, 1.0]])
    p = problem({"S": ("N", "N"), "x": ("N",)}, define={"f": "x.T @ S @ x"})
    x = np.array([1.0, 3.0])
    np.testing.assert_allclose(fd(p, "f", "S", {"S": S, "x": x}, {"N": 2}), np.outer(x, x), atol=1e-7)


def test_components_and_tuples_of_scalars() -> None:
    p = problem({"x": ("N",), "s": (), "t": ()}, define={"f": "exp(x[1] * x[2] ** 2)", "g": "s * t ** 2"})
    x = np.array([0.3, -0.7])
    d2 = fd(p, "f", "x[2]", {"x": x, "s": 1.0, "t": 2.0}, {"N": 2})
    assert d2.shape == ()
    assert float(d2) == pytest.approx(2 * x[0] * x[1] * np.exp(x[0] * x[1] ** 2), rel=1e-8)
    d = fd(p, "g", "s;t", {"x": x, "s": 1.5, "t": 2.0}, {"N": 2})
    np.testing.assert_allclose(d, [4.0, 6.0], rtol=1e-8)


def test_a_row_vector_by_a_scalar_and_by_a_row() -> None:
    p = problem({"r": (1, "N"), "t": ()}, define={"f": "t * r", "g": "r @ r.T"})
    r = np.array([[1.0, 2.0, -1.0]])
    assert fd(p, "f", "t", {"r": r, "t": 0.5}, {"N": 3}).shape == (1, 3)
    np.testing.assert_allclose(fd(p, "g", "r", {"r": r, "t": 0.5}, {"N": 3}), 2 * r, atol=1e-8)


def test_intermediates_differentiated_by_are_held_free() -> None:
    p = problem({"y": ("N",), "Phi": ("N", "D"), "theta": ("D",)},
                define={"e": "y - Phi @ theta", "L": "e.T @ e"})
    rng = np.random.default_rng(3)
    v = {"y": rand(rng, 3), "Phi": rand(rng, 3, 2), "theta": rand(rng, 2)}
    e = v["y"] - v["Phi"] @ v["theta"]
    np.testing.assert_allclose(fd(p, "L", "e", v, {"N": 3, "D": 2}), 2 * e, atol=1e-7)
