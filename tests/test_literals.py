"""Literals and sizes wherever an expression is allowed, checked against independent finite differences.

Each problem is written only here.  The reference is the function written again
in NumPy and differentiated by central differences (``test_eval.jacobian``), so
neither derivgen's parser nor its evaluator is involved in the expected numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_eval import jacobian

from derivgen.build.commands import evaluate
from derivgen.problem.loader import load_problem

RNG = np.random.default_rng(11)


def row_softmax(S: np.ndarray) -> np.ndarray:
    E = np.exp(S)
    return E / E.sum(axis=1, keepdims=True)


CASES = [
    # (id, yaml given + define (+ sizes), find, reference, values)
    (
        "literal ones row in a product",
        "given: {X: [N, D], w: [D]}\ndefine: {L: '[1, 1, 1].T @ log(1 + exp(X @ w))'}\nsizes: {N: 3, D: 2}",
        "dL/dw", lambda X, w: np.sum(np.log1p(np.exp(X @ w))),
        {"X": RNG.normal(size=(3, 2)), "w": RNG.normal(size=2)},
    ),
    (
        "literal matrix times a vector",
        "given: {x: [2], a: []}\ndefine: {f: 'sin([[1, 2], [a, 3]] @ x)'}",
        "df/dx", lambda x, a: np.sin(np.array([[1, 2], [a, 3]]) @ x),
        {"x": RNG.normal(size=2), "a": 0.4},
    ),
    (
        "row softmax written with literal ones",
        "given: {Q: [N, D], K: [N, D], V: [N, D]}\n"
        "define: {A: 'exp(Q @ K.T) / (exp(Q @ K.T) @ [[1], [1], [1]] @ [[1, 1, 1]])', f: sum(A @ V)}\n"
        "sizes: {N: 3, D: 2}",
        "df/dQ", lambda Q, K, V: np.sum(row_softmax(Q @ K.T) @ V),
        {"Q": RNG.normal(size=(3, 2)), "K": RNG.normal(size=(3, 2)), "V": RNG.normal(size=(3, 2))},
    ),
    (
        "ones(N) and a size as a number: the variance",
        "given: {x: [N]}\ndefine: {m: ones(N).T @ x / N, c: x - m * ones(N), v: c.T @ c / N}",
        "dv/dx", lambda x: np.var(x), {"x": RNG.normal(size=4)},
    ),
    (
        "zeros(N) adds nothing",
        "given: {x: [N], w: [N]}\ndefine: {z: zeros(N).T @ x + w.T @ x}",
        "dz/dx", lambda x, w: w @ x, {"x": RNG.normal(size=3), "w": RNG.normal(size=3)},
    ),
    (
        "a size name as a number",
        "given: {x: [N]}\ndefine: {m: sum(x) / N + N * x.T @ x}",
        "dm/dx", lambda x: np.mean(x) + 5 * x @ x, {"x": RNG.normal(size=5)},
    ),
    (
        "trace and determinant of a literal matrix function",
        "given: {t: scalar}\ndefine:\n  B(t): '[[t, t**2], [1, sin(t)]]'\n  f(t): tr(B(t) @ B(t)) + det(B(t))",
        "df/dt", lambda t: np.trace(np.array([[t, t**2], [1, np.sin(t)]]) @ np.array([[t, t**2], [1, np.sin(t)]]))
        + np.linalg.det(np.array([[t, t**2], [1, np.sin(t)]])), {"t": 0.8},
    ),
    (
        "inverse and product of literal matrices by a component",
        "given: {x: [2]}\ndefine: {f: 'sum(inv([[x[1], 1], [2, x[2]**2 + 3]]) @ [[1, x[2]], [0, 1]])'}",
        "df/dx", lambda x: np.sum(np.linalg.inv(np.array([[x[0], 1], [2, x[1] ** 2 + 3]]))
                                  @ np.array([[1, x[1]], [0, 1]])),
        {"x": np.array([1.7, 0.4])},
    ),
    (
        "a scalar divided by a vector",
        "given: {v: {shape: [N], assume: [positive]}, a: []}\ndefine: {s: sum(a / v) + sum(2 / v ** 2)}",
        "ds/dv", lambda v, a: np.sum(a / v) + np.sum(2 / v**2),
        {"v": RNG.uniform(0.5, 2.0, size=3), "a": 1.3},
    ),
]


def eval_at(tmp_path: Path, body: str, find: str, values: dict) -> np.ndarray:
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: literal case\n{body}\nfind: ['{find}']\n", encoding="utf-8")
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in values.items()}), encoding="utf-8")
    return np.asarray(evaluate(problem, find, at))


@pytest.mark.parametrize("name, body, find, f, values", CASES, ids=[c[0] for c in CASES])
def test_literals_and_sizes_derive_right(tmp_path: Path, name: str, body, find, f, values) -> None:  # type: ignore[no-untyped-def]
    got = eval_at(tmp_path, body, find, values)
    expected = jacobian(f, values, find.split("/d", 1)[1])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_ones_and_zeros_are_sizes_and_print_as_the_book_does(tmp_path: Path) -> None:
    from derivgen.render.printing import LatexPrinter

    path = tmp_path / "p.yaml"
    path.write_text("title: t\ngiven: {x: [N]}\ndefine: {f: ones(N).T @ x + zeros(3).T @ ones(3)}\nfind: df/dx\n",
                    encoding="utf-8")
    problem = load_problem(path)
    assert problem.define[0].shape == ()
    printed = LatexPrinter({"x": r"\boldsymbol{x}"}).print(problem.define[0].expr)
    assert printed == r"\boldsymbol{1}^{\top} \boldsymbol{x} + \boldsymbol{0}^{\top} \boldsymbol{1}"


def spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


ENTRY_CASES = [
    # (id, yaml, find, reference f, values, the entry of wrt differentiated by, counted from 0)
    ("by one entry of X, sizes given",
     "given: {X: {shape: [N, N], assume: [invertible]}}\ndefine: {F: inv(X)}\nsizes: {N: 2}",
     "dF/dX[2, 1]", lambda X: np.linalg.inv(X), {"X": spd(2)}, (1, 0)),
    ("by one entry of X, symbolic sizes",
     "given: {X: {shape: [N, N], assume: [invertible]}, a: [N]}\ndefine: {g: inv(X) @ a}",
     "dg/dX[1, 2]", lambda X, a: np.linalg.inv(X) @ a, {"X": spd(3), "a": RNG.normal(size=3)}, (0, 1)),
    ("a product by one entry",
     "given: {X: [N, N], B: [N, N]}\ndefine: {F: X @ B @ X.T}\nsizes: {N: 2}",
     "dF/dX[1, 2]", lambda X, B: X @ B @ X.T, {"X": RNG.normal(size=(2, 2)), "B": RNG.normal(size=(2, 2))},
     (0, 1)),
    ("a scalar through a define, symbolic sizes (a chain factor by an entry is not taken)",
     "given: {x: [N], A: [M, N]}\ndefine: {e: A @ x, L: e.T @ e}",
     "dL/dA[1, 3]", lambda x, A: (A @ x) @ (A @ x), {"x": RNG.normal(size=3), "A": RNG.normal(size=(2, 3))},
     (0, 2)),
]


@pytest.mark.parametrize("name, body, find, f, values, at", ENTRY_CASES, ids=[c[0] for c in ENTRY_CASES])
def test_a_matrix_valued_result_by_one_entry(tmp_path: Path, name: str, body, find, f, values, at) -> None:  # type: ignore[no-untyped-def]
    got = eval_at(tmp_path, body, find, values)
    expected = jacobian(f, values, find.split("/d", 1)[1].split("[")[0])[(..., *at)]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_one_entry_of_a_matrix_valued_result(tmp_path: Path) -> None:
    values = {"X": spd(3)}
    got = eval_at(tmp_path, "given: {X: {shape: [N, N], assume: [invertible]}}\ndefine: {F: inv(X), f: 'F[1, 2]'}",
                  "df/dX", values)
    np.testing.assert_allclose(got, jacobian(lambda X: np.linalg.inv(X)[0, 1], values, "X"), rtol=1e-5, atol=1e-6)
