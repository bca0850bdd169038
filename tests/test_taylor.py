"""Taylor polynomials (``taylor(f, x, x0, k)``) through ``derivgen eval`` and ``build``, against NumPy.

The references are the polynomials MML writes out (Examples 5.3, 5.4, 5.15) and,
for any function, the order of the error measured here in NumPy: halving the
step from x0 must divide |f − T_k| by about 2^(k+1).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from math import factorial
from pathlib import Path

import numpy as np
import pytest

from derivgen.check.verify import verify
from derivgen.cli import main
from derivgen.engine.derive import derive
from derivgen.errors import VerificationError
from derivgen.problem.expr import BinOp, Num
from derivgen.problem.loader import load_problem


def eval_at(tmp_path: Path, body: str, find: str, values: dict, capsys: pytest.CaptureFixture[str]) -> float:
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: taylor\n{body}\nfind: ['{find}']\n", encoding="utf-8")
    at = tmp_path / "at.json"
    at.write_text(json.dumps(values), encoding="utf-8")
    code = main(["eval", str(problem), "--find", find, "--at", str(at)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return float(json.loads(out.out))


@pytest.mark.parametrize("body, find, reference", [
    # MML Example 5.3: T6 of x^4 at 1 is x^4 itself
    ("given: {x: scalar}\ndefine: {f: x**4}", "taylor(f, x, 1, 6)", lambda x: x**4),
    # MML Example 5.4: sin + cos at 0, degree 5
    ("given: {x: scalar}\ndefine: {f: sin(x) + cos(x)}", "taylor(f, x, 0, 5)",
     lambda x: 1 + x - x**2 / 2 - x**3 / 6 + x**4 / 24 + x**5 / 120),
    ("given: {x: scalar}\ndefine: {f: exp(x)}", "taylor(f, x, 0, 7)",
     lambda x: sum(x**j / factorial(j) for j in range(8))),
    ("given: {x: scalar}\ndefine: {f: log(x)}", "taylor(f, x, 1, 3)",
     lambda x: (x - 1) - (x - 1) ** 2 / 2 + (x - 1) ** 3 / 3),
])
def test_univariate_polynomials_are_the_books(tmp_path: Path, capsys, body, find, reference) -> None:  # type: ignore[no-untyped-def]
    for x in (0.3, 1.7, -0.4):
        assert eval_at(tmp_path, body, find, {"x": x}, capsys) == pytest.approx(reference(x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("body, find, f, x0, k", [
    ("given: {x: scalar}\ndefine: {f: exp(x) * sin(2 * x) / (1 + x**2)}", "taylor(f, x, 0.5, 4)",
     lambda x: np.exp(x) * np.sin(2 * x) / (1 + x**2), 0.5, 4),
    ("given: {t: scalar, a: scalar}\ndefine: {g: sigma(a * t) * tanh(t)}", "taylor(g, t, -0.3, 3)",
     None, -0.3, 3),
])
def test_the_error_shrinks_at_the_order_of_the_degree(tmp_path: Path, capsys, body, find, f, x0, k) -> None:  # type: ignore[no-untyped-def]
    a = 1.3
    if f is None:
        def f(t):  # type: ignore[no-untyped-def]
            return 1 / (1 + np.exp(-a * t)) * np.tanh(t)
    var = "x" if "x: scalar" in body else "t"
    extra = {} if var == "x" else {"a": a}
    errors = [abs(eval_at(tmp_path, body, find, {var: x0 + h, **extra}, capsys) - f(x0 + h))
              for h in (0.1, 0.05, 0.025)]
    for big, small in itertools.pairwise(errors):
        assert big / small == pytest.approx(2 ** (k + 1), rel=0.25)


def test_two_variables_to_second_order_is_mml_example_5_15(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    body = "given: {x: scalar, y: scalar}\ndefine: {f: x**2 + 2*x*y + y**3}"
    rng = np.random.default_rng(3)
    for x, y in rng.normal(size=(3, 2)) + (1, 2):
        expected = 13 + 6 * (x - 1) + 14 * (y - 2) + (x - 1) ** 2 + 2 * (x - 1) * (y - 2) + 6 * (y - 2) ** 2
        got = eval_at(tmp_path, body, "taylor(f, [x, y], [1, 2], 2)", {"x": x, "y": y}, capsys)
        assert got == pytest.approx(expected, rel=1e-12)
        linear = eval_at(tmp_path, body, "taylor(f, [x, y], [1, 2], 1)", {"x": x, "y": y}, capsys)
        assert linear == pytest.approx(13 + 6 * (x - 1) + 14 * (y - 2), rel=1e-12)


def test_a_wrong_coefficient_fails_the_check(tmp_path: Path) -> None:
    problem_file = tmp_path / "p.yaml"
    problem_file.write_text("title: t\ngiven: {x: scalar}\ndefine: {f: exp(x) * cos(x)}\nfind: ['taylor(f, x, 0, 3)']\n",
                            encoding="utf-8")
    problem = load_problem(problem_file)
    find = problem.find[0]
    right = derive(problem, find)
    assert verify(problem, find, right).verified is not None
    assert right.result.closed is not None
    wrong = BinOp("+", right.result.closed, BinOp("*", Num(0.01), BinOp("^", problem.find[0].wrt[0], Num(2))))
    with pytest.raises(VerificationError, match=r"shrinks by .* not by 2\^4 = 16"):
        verify(problem, find, replace(right, result=replace(right.result, closed=wrong)))


@pytest.mark.parametrize("find, message", [
    ("taylor(f, x, 0)", "write a Taylor polynomial as taylor(<of>, <x>, <x0>, <degree>)"),
    ("taylor(f, A, 0, 2)", "taylor expands in scalar variables or one vector; A is neither"),
    ("taylor(f, [x, y], [0, 1], 4)", "the degree must be a whole number from 0 to 3 for several variables"),
    ("taylor(f, [x, y], [0], 2)", "the point has 1 coordinates for 2 variables"),
    ("taylor(f, x, y, 2)", "the point's coordinates must be numbers"),
])
def test_malformed_taylor_entries_are_errors_at_the_entry(tmp_path: Path, capsys, find, message) -> None:  # type: ignore[no-untyped-def]
    problem = tmp_path / "p.yaml"
    problem.write_text("title: t\ngiven: {x: scalar, y: scalar, A: [2, 2]}\ndefine: {f: x * y}\n"
                       f"find: ['{find}']\n", encoding="utf-8")
    assert main(["check", str(problem)]) == 1
    assert message in capsys.readouterr().err


def test_the_solution_has_the_lectures_table_and_the_polynomial(tmp_path: Path) -> None:
    src = tmp_path / "sheet"
    src.mkdir()
    (src / "x4.yaml").write_text("title: t\ngiven: {x: scalar}\ndefine: {f: x**4}\nfind: ['taylor(f, x, 1, 4)']\n",
                                 encoding="utf-8")
    assert main(["build", str(src), "-o", str(tmp_path / "out"), "--format", "md", "-q"]) == 0
    page = (tmp_path / "out" / "sheet" / "md" / "x4.md").read_text(encoding="utf-8")
    assert "Find the Taylor polynomial $T_{4}\\left(x\\right)$ of $f$ at $x_0 = 1$." in page
    assert r"\text{the derivative} & \text{at the point} \\ \hline" in page
    assert "T_{4}\\left(x\\right) = 1 + 4 \\left(x - 1\\right) + 6 \\left(x - 1\\right)^{2}" in page
    assert "as it should for degree 4" in page or "zero to rounding" in page


def test_a_vector_variable_is_expanded_in_its_entries(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """taylor(f, x, [1, -1], 2) for a vector x: f(x0) + ∇f(x0)δ + ½ δᵀH(x0)δ, compared with NumPy's own."""
    rng = np.random.default_rng(8)
    A, b, x0 = rng.normal(size=(2, 2)), rng.normal(size=2) * 0.5, np.array([1.0, -1.0])
    body = "given: {x: [2], A: [2, 2], b: [2]}\ndefine: {f: exp(b.T @ x) + x.T @ A @ x}"
    e0 = np.exp(b @ x0)
    gradient = e0 * b + (A + A.T) @ x0
    hessian = e0 * np.outer(b, b) + A + A.T
    for x in rng.normal(size=(3, 2)):
        d = x - x0
        values = {"x": x.tolist(), "A": A.tolist(), "b": b.tolist()}
        got = eval_at(tmp_path, body, "taylor(f, x, [1, -1], 2)", values, capsys)
        assert got == pytest.approx(e0 + x0 @ A @ x0 + gradient @ d + d @ hessian @ d / 2, rel=1e-10)
        linear = eval_at(tmp_path, body, "taylor(f, x, [1, -1], 1)", values, capsys)
        assert linear == pytest.approx(e0 + x0 @ A @ x0 + gradient @ d, rel=1e-10)


def test_a_vector_point_must_fit_the_vector(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    problem = tmp_path / "p.yaml"
    problem.write_text("title: t\ngiven: {x: [3]}\ndefine: {f: x.T @ x}\nfind: ['taylor(f, x, [1, 2], 2)']\n",
                       encoding="utf-8")
    assert main(["check", str(problem)]) == 1
    assert "the point has 2 coordinates, but x is not a vector of 2 entries" in capsys.readouterr().err


def test_two_variables_to_third_order_give_the_function_back(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """MML Example 5.15 to third order: the cubic f is its own Taylor polynomial T_3."""
    body = "given: {x: scalar, y: scalar}\ndefine: {f: x**2 + 2*x*y + y**3}"
    for x, y in np.random.default_rng(6).normal(size=(3, 2)) * 2:
        got = eval_at(tmp_path, body, "taylor(f, [x, y], [1, 2], 3)", {"x": x, "y": y}, capsys)
        assert got == pytest.approx(x**2 + 2 * x * y + y**3, rel=1e-12, abs=1e-12)
    zeroth = eval_at(tmp_path, body, "taylor(f, [x, y], [1, 2], 0)", {"x": 0.3, "y": 0.4}, capsys)
    assert zeroth == 13
