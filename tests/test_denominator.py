"""``layout: denominator``: the transpose, checked against finite differences written here in NumPy.

The reference never goes through derivgen's parser, evaluator or check: each
function is written again in NumPy, differentiated by central differences in
of-then-wrt order, and transposed by hand into denominator layout.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from derivgen.build.commands import evaluate
from derivgen.build.pipeline import build
from derivgen.check.numeric import Evaluator
from derivgen.check.verify import verify
from derivgen.cli import main
from derivgen.engine.derive import derive
from derivgen.errors import ProblemError, VerificationError
from derivgen.problem.expr import Name
from derivgen.problem.loader import load_problem
from derivgen.render.markdown import render_problem_md

RNG = np.random.default_rng(11)


def differences(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Central differences in numerator array layout: f's axes, then x's."""
    out0 = np.asarray(f(x), dtype=float)
    J = np.zeros(out0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        J[(...,) + idx] = (np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * h)
    return J


def problem_file(tmp_path: Path, body: str, layout: str | None = "denominator") -> Path:
    path = tmp_path / "p.yaml"
    path.write_text("title: layout case\n" + body + (f"\nlayout: {layout}\n" if layout else "\n"),
                    encoding="utf-8")
    return path


LEAST_SQUARES = ("given: {theta: [D], Phi: [N, D], y: [N]}\n"
                 "define: {e: y - Phi @ theta, L: norm(e)**2}\nfind: [dL/dtheta]\nsizes: {N: 4, D: 3}")
LINEAR_MAP = "given: {A: [M, N], x: [N]}\ndefine: {f: sin(A @ x)}\nfind: [df/dx]\nsizes: {M: 2, N: 3}"


def closed_value(path: Path, values: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple]:
    problem = load_problem(path)
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    assert d.result.closed is not None
    return Evaluator(values, dict(problem.sizes)).value(d.result.closed), d.result.printed


def test_the_gradient_of_a_scalar_by_a_vector_is_a_column(tmp_path: Path) -> None:
    Phi, y, theta = RNG.normal(size=(4, 3)), RNG.normal(size=4), RNG.normal(size=3)
    value, printed = closed_value(problem_file(tmp_path, LEAST_SQUARES), {"Phi": Phi, "y": y, "theta": theta})
    assert printed == ("D",)
    reference = differences(lambda t: np.sum((y - Phi @ t) ** 2), theta)  # (3,) here, a row in the lectures
    np.testing.assert_allclose(value.reshape(3), reference, rtol=1e-6, atol=1e-8)


def test_a_vector_by_a_vector_is_the_transposed_jacobian(tmp_path: Path) -> None:
    A, x = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    value, printed = closed_value(problem_file(tmp_path, LINEAR_MAP), {"A": A, "x": x})
    assert printed == ("N", "M")
    jacobian = differences(lambda v: np.sin(A @ v), x)  # 2×3
    assert value.shape == (3, 2)
    np.testing.assert_allclose(value, jacobian.T, rtol=1e-6, atol=1e-8)


def test_a_numerator_result_passed_off_as_denominator_fails_the_check(tmp_path: Path) -> None:
    body = "given: {B: [N, N], x: [N]}\ndefine: {f: B @ x}\nfind: [df/dx]\nsizes: {N: 3}"
    problem = load_problem(problem_file(tmp_path, body))
    find = problem.find[0]
    d = derive(problem, find)
    assert d.result.layout == "denominator"
    wrong = dataclasses.replace(d, result=dataclasses.replace(d.result, closed=Name("B")))  # not Bᵀ
    with pytest.raises(VerificationError, match="disagrees with finite differences"):
        verify(problem, find, wrong)
    verify(problem, find, d)  # Bᵀ passes


def test_a_scalar_by_a_matrix_keeps_the_matrix_shape_and_says_so(tmp_path: Path) -> None:
    body = "given: {X: [M, N], A: [N, M]}\ndefine: {f: tr(A @ X)}\nfind: [df/dX]\nsizes: {M: 2, N: 3}"
    problem = load_problem(problem_file(tmp_path, body))
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    assert d.result.printed == ("M", "N") and d.steps[-1].facts["change"] == "none"
    page = render_problem_md(problem, [d])
    assert "has the shape of the matrix in both layouts" in page


def test_the_worked_solution_says_what_changes_and_why(tmp_path: Path) -> None:
    problem = load_problem(problem_file(tmp_path, LEAST_SQUARES))
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    page = render_problem_md(problem, [d])
    assert "Denominator layout (the Matrix Cookbook's and CS229's) puts the axes of" in page
    assert "only their arrangement changes, by a transpose" in page
    assert r"\nabla_{\boldsymbol{\theta}} L = -2 \boldsymbol{\Phi}^{\top}" in page
    assert r"\in \mathbb{R}^{D}" in page and r"\mathbb{R}^{1\times D}" in page  # both shapes stated


def write_values(tmp_path: Path, values: dict[str, np.ndarray]) -> Path:
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: v.tolist() for k, v in values.items()}), encoding="utf-8")
    return at


def test_eval_keeps_numerator_layout_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    A, x = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    path = problem_file(tmp_path, LINEAR_MAP)  # the problem itself asks for denominator layout
    at = write_values(tmp_path, {"A": A, "x": x})
    jacobian = differences(lambda v: np.sin(A @ v), x)
    np.testing.assert_allclose(np.array(evaluate(path, "df/dx", at)), jacobian, rtol=1e-6, atol=1e-8)
    assert main(["eval", str(path), "--find", "df/dx", "--at", str(at), "--layout", "denominator"]) == 0
    printed = np.array(json.loads(capsys.readouterr().out))
    np.testing.assert_allclose(printed, jacobian.T, rtol=1e-6, atol=1e-8)


def printed_shape(out: Path, problem_id: str) -> list[object]:
    data = json.loads(next(out.rglob(f"{problem_id}.json")).read_text(encoding="utf-8"))
    return list(data["derivatives"][0]["printed_shape"])


def test_command_line_wins_over_the_problem_which_wins_over_derivgen_yaml(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sheet").mkdir(parents=True)
    (src / "derivgen.yaml").write_text("layout: denominator\n", encoding="utf-8")
    for name, layout in (("own", "numerator"), ("default", None)):
        problem_file(tmp_path, LEAST_SQUARES, layout).rename(src / "sheet" / f"{name}.yaml")
    build([src], tmp_path / "a", formats=("json",), use_cache=False, jobs=1)
    assert printed_shape(tmp_path / "a", "own") == [1, "D"]
    assert printed_shape(tmp_path / "a", "default") == ["D"]
    build([src], tmp_path / "b", formats=("json",), use_cache=False, jobs=1, layout="denominator")
    assert printed_shape(tmp_path / "b", "own") == ["D"]


def test_an_unknown_layout_is_an_error_at_its_place(tmp_path: Path) -> None:
    path = problem_file(tmp_path, LEAST_SQUARES, "transposed")
    with pytest.raises(ProblemError) as e:
        load_problem(path, display_path="p.yaml")
    assert str(e.value) == "p.yaml:6:9: layout: unknown layout 'transposed' (known: numerator, denominator)"


def test_the_differentials_route_then_the_transpose(tmp_path: Path) -> None:
    """df = g dx gives the row g; denominator layout then writes the column gᵀ, checked like any result."""
    body = "given: {x: [N], A: [N, N]}\ndefine: {f: x.T @ A @ x}\nfind: [df/dx]\nsizes: {N: 3}\nmethod: differentials"
    problem = load_problem(problem_file(tmp_path, body))
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    assert [s.kind for s in d.steps][-3:] == ["trace_form", "read_off", "layout"]
    A, x = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    assert d.result.closed is not None
    value = Evaluator({"A": A, "x": x}, {"N": 3}).value(d.result.closed)
    np.testing.assert_allclose(value.reshape(3), differences(lambda v: v @ A @ v, x), rtol=1e-6, atol=1e-8)
