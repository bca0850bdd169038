"""``method: differentials``: df = tr(G dX), each result against finite differences written here in NumPy.

The reference is the function written again in NumPy and differentiated by
central differences (numerator array layout: f's axes, then the variable's),
so neither derivgen's parser nor its evaluator is behind the expected numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from derivgen.build.commands import evaluate
from derivgen.engine.derive import derive
from derivgen.engine.differentials.linear import coefficient, linear_terms
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Name, Transpose
from derivgen.problem.loader import load_problem
from derivgen.problem.text import to_text
from derivgen.render.markdown import render_problem_md

ROOT = Path(__file__).resolve().parent.parent
SHEET = ROOT / "problems" / "6-routes"
RNG = np.random.default_rng(5)


def differences(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        out[idx] = (f(xp) - f(xm)) / (2 * h)
    return out


def spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


A24, X23, B34 = RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
X33, a3, b3 = spd(3), RNG.normal(size=3), RNG.normal(size=3)
Phi, y, theta = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=2)
A33 = RNG.normal(size=(3, 3))

CASES = [
    ("differentials-trace-axb", "df/dX", "X", {"A": A24, "X": X23, "B": B34},
     lambda v: np.trace(A24 @ v @ B34)),
    ("differentials-determinant", "df/dX", "X", {"X": X33}, np.linalg.det),
    ("differentials-log-determinant", "df/dX", "X", {"X": X33}, lambda v: np.log(np.linalg.det(v))),
    ("differentials-quadratic-form", "df/dx", "x", {"x": a3, "A": A33}, lambda v: v @ A33 @ v),
    ("differentials-least-squares", "dL/dtheta", "theta", {"theta": theta, "Phi": Phi, "y": y},
     lambda v: float(np.sum((y - Phi @ v) ** 2))),
    ("differentials-inverse-bilinear", "df/dX", "X", {"X": X33, "a": a3, "b": b3},
     lambda v: a3 @ np.linalg.inv(v) @ b3),
    ("differentials-trace-xaxt", "df/dX", "X", {"X": X23, "A": A33}, lambda v: np.trace(v @ A33 @ v.T)),
]


@pytest.mark.parametrize(("name", "find", "wrt", "values", "f"), CASES, ids=[c[0] for c in CASES])
def test_the_bank_results_agree_with_numpy_differences(tmp_path: Path, name: str, find: str, wrt: str,
                                                      values: dict[str, np.ndarray],
                                                      f: Callable[[np.ndarray], float]) -> None:
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: v.tolist() for k, v in values.items()}), encoding="utf-8")
    derived = np.array(evaluate(SHEET / f"{name}.yaml", find, at), dtype=float)
    np.testing.assert_allclose(derived, differences(f, values[wrt]), rtol=1e-5, atol=1e-7)


def steps_of(name: str) -> dict[str, list]:
    problem = load_problem(SHEET / f"{name}.yaml")
    d = derive(problem, problem.find[0])
    out: dict[str, list] = {}
    for s in d.steps:
        out.setdefault(s.kind, []).append(s)
    return out


def test_the_steps_name_the_rules_then_the_trace_form_then_the_gradient() -> None:
    steps = steps_of("differentials-trace-xaxt")
    assert [s.facts["rules"] for s in steps["differential"]] == [["linear", "transpose", "product", "trace"]]
    trace = steps["trace_form"][0]
    assert trace.facts["rules"] == ["scalar_trace", "cyclic", "transpose_trace"]
    assert to_text(trace.math[0].parts[-1]) == "tr((A + A.T) @ X.T @ __d_X)"
    read = steps["read_off"][0]
    assert to_text(read.math[0].parts[2]) == "X @ (A + A.T)"


def test_each_define_gets_its_own_differential_in_file_order() -> None:
    steps = steps_of("differentials-least-squares")
    assert [s.facts["of"] for s in steps["differential"]] == ["e", "L"]
    assert to_text(steps["differential"][1].math[0].parts[-1]) == "-2 * (e.T @ Phi @ __d_theta)"


def test_the_page_reads_as_the_lecture() -> None:
    problem = load_problem(SHEET / "differentials-trace-axb.yaml")
    page = render_problem_md(problem, [derive_verified(problem)])
    assert "Work with differentials: only $\\boldsymbol{X}$ varies" in page
    assert r"\operatorname{tr}\left(\boldsymbol{B} \boldsymbol{A} \mathrm{d}\boldsymbol{X}\right)" in page
    assert "the gradient is $\\boldsymbol{G}^{\\top}$" in page
    assert r"= \boldsymbol{A}^{\top} \boldsymbol{B}^{\top} \in \mathbb{R}^{M\times N}" in page


def derive_verified(problem):  # type: ignore[no-untyped-def]
    from derivgen.check.verify import verify

    return verify(problem, problem.find[0], derive(problem, problem.find[0]))


def test_what_the_route_cannot_take_is_refused_with_what_it_can(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: t\ngiven: {W: [M, N], x: [N]}\ndefine: {f: sum(sigma(W @ x))}\n"
                    "find: [df/dW]\nmethod: differentials\n", encoding="utf-8")
    problem = load_problem(path)
    with pytest.raises(DerivationError, match=r"method: differentials supports sums, products .*; "
                                              r"sigma\(W @ x\) is none of these \(use method: auto\)"):
        derive(problem, problem.find[0])


def test_the_trace_form_of_a_transposed_term() -> None:
    """tr(A dXᵀ B) = tr((BA)ᵀ dX): G = (B A)ᵀ, so the gradient Gᵀ is B A."""
    term = Call("tr", (BinOp("@", BinOp("@", Name("A"), Transpose(Name("dX"))), Name("B")),))
    shapes = {"A": (2, 3), "dX": (4, 3), "B": (4, 2)}
    terms = linear_terms(term, "dX", lambda e: shapes.get(getattr(e, "id", ""), (1, 1)))
    assert to_text(coefficient(terms, Name("I"))) == "(B @ A).T"
    with pytest.raises(DerivationError, match="not linear"):
        linear_terms(BinOp("@", Transpose(Name("dX")), Name("dX")), "dX", lambda e: (3,))
