"""Second derivatives (``d2f/dx2``, ``d2f/dxdy``) through ``derivgen eval``, against an independent reference.

The reference is the function written again here in NumPy and differentiated
twice by central differences of f itself (the four-point formula), so neither
derivgen's parser, evaluator nor its first derivatives are involved in the
expected numbers.  Layout: of's axes, then the first variable's (y in
d2f/dxdy), then the second's (x).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from derivgen.cli import main
from derivgen.problem.expr import Name

RNG = np.random.default_rng(11)


def sig(z):  # type: ignore[no-untyped-def]
    return 1 / (1 + np.exp(-z))


def second_differences(f, values: dict, first: str, second: str, h: float = 1e-4) -> np.ndarray:  # type: ignore[no-untyped-def]
    """∂/∂second of ∂f/∂first, entry [..., i, j] = ∂²f/∂second_j ∂first_i."""
    base = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    out0 = np.asarray(f(**base), dtype=float)
    ys, xs = base[first].shape, base[second].shape
    H = np.zeros(out0.shape + ys + xs)

    def at(dy: tuple, dx: tuple) -> np.ndarray:  # type: ignore[type-arg]
        vals = {k: v.copy() for k, v in base.items()}
        (iy, sy), (ix, sx) = dy, dx
        vals[first][iy] += sy * h
        vals[second][ix] += sx * h
        return np.asarray(f(**vals), dtype=float)

    for iy in np.ndindex(*ys):
        for ix in np.ndindex(*xs):
            total = (at((iy, 1), (ix, 1)) - at((iy, 1), (ix, -1)) - at((iy, -1), (ix, 1)) + at((iy, -1), (ix, -1)))
            H[(...,) + iy + ix] = total / (4 * h * h)
    return H


def spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


CASES = [
    # (yaml given+define, find, first variable, second variable, reference function, values)
    ("given: {x: scalar, y: scalar}\ndefine: {f: x**2 * y + sin(x * y)}", "d2f/dxdy", "y", "x",
     lambda x, y: x**2 * y + np.sin(x * y), {"x": 0.4, "y": -1.3}),
    ("given: {x: scalar, y: scalar}\ndefine: {f: exp(x * y**2) / (1 + x**2)}", "d2f/dy2", "y", "y",
     lambda x, y: np.exp(x * y**2) / (1 + x**2), {"x": 0.3, "y": 0.7}),
    ("given: {t: scalar}\ndefine: {g: sigma(3 * t) * log(2 + cos(t))}", "d2g/dt2", "t", "t",
     lambda t: sig(3 * t) * np.log(2 + np.cos(t)), {"t": 0.2}),
    ("given: {x: [N], A: [N, N]}\ndefine: {f: x.T @ A @ x}", "d2f/dx2", "x", "x",
     lambda x, A: x @ A @ x, {"x": RNG.normal(size=3), "A": RNG.normal(size=(3, 3))}),
    ("given: {theta: [D], Phi: [N, D], y: [N]}\ndefine: {e: y - Phi @ theta, L: norm(e)**2}", "d2L/dtheta2",
     "theta", "theta", lambda theta, Phi, y: np.sum((y - Phi @ theta) ** 2),
     {"theta": RNG.normal(size=2), "Phi": RNG.normal(size=(4, 2)), "y": RNG.normal(size=4)}),
    ("given: {x: [N]}\ndefine: {f: log(sum(exp(x)))}", "d2f/dx2", "x", "x",
     lambda x: np.log(np.sum(np.exp(x))), {"x": RNG.normal(size=4)}),
    ("given: {w: [D], X: [N, D], y: [N]}\n"
     "define: {p: sigma(X @ w), L: -sum(y * log(p) + (1 - y) * log(1 - p))}", "d2L/dw2", "w", "w",
     lambda w, X, y: -np.sum(y * np.log(sig(X @ w)) + (1 - y) * np.log(1 - sig(X @ w))),
     {"w": RNG.normal(size=3), "X": RNG.normal(size=(5, 3)), "y": RNG.uniform(size=5)}),
    ("given: {x: [D], mu: [D], S: {shape: [D, D], assume: [symmetric, invertible]}}\n"
     "define: {f: -0.5 * (x - mu).T @ inv(S) @ (x - mu) - 0.5 * log(det(S))}", "d2f/dx2", "x", "x",
     lambda x, mu, S: -0.5 * (x - mu) @ np.linalg.inv(S) @ (x - mu) - 0.5 * np.log(np.linalg.det(S)),
     {"x": RNG.normal(size=3), "mu": RNG.normal(size=3), "S": spd(3)}),
    ("given: {x: [N], A: [M, N]}\ndefine: {f: sin(A @ x)}", "d2f/dx2", "x", "x",
     lambda x, A: np.sin(A @ x), {"x": RNG.normal(size=3), "A": RNG.normal(size=(2, 3))}),
    ("given: {X: [N, N], A: [N, N]}\ndefine: {f: tr(X @ A @ X.T)}", "d2f/dX2", "X", "X",
     lambda X, A: np.trace(X @ A @ X.T), {"X": RNG.normal(size=(2, 2)), "A": RNG.normal(size=(2, 2))}),
    ("given: {x: [N], A: [N, N]}\ndefine: {f: x.T @ A @ x}", "d2f/dxdA", "A", "x",
     lambda x, A: x @ A @ x, {"x": RNG.normal(size=3), "A": RNG.normal(size=(3, 3))}),
    ("given: {w: [N], b: scalar, x: [N]}\ndefine: {f: tanh(w.T @ x + b)}", "d2f/dbdw", "w", "b",
     lambda w, b, x: np.tanh(w @ x + b), {"w": RNG.normal(size=3), "b": 0.3, "x": RNG.normal(size=3)}),
    ("given: {x: [2]}\ndefine:\n  f: \"[x[1] * x[2], sin(x[1]) + x[2]**3]\"", "d2f/dx2", "x", "x",
     lambda x: np.array([x[0] * x[1], np.sin(x[0]) + x[1] ** 3]), {"x": RNG.normal(size=2)}),
    ("given: {x: [2]}\ndefine:\n  f: x[1]**2 * x[2] + exp(x[1] * x[2])", "d2f/dx2", "x", "x",
     lambda x: x[0] ** 2 * x[1] + np.exp(x[0] * x[1]), {"x": RNG.normal(size=2)}),
    ("given: {t: scalar}\ndefine:\n  f(x): exp(x[1] * x[2]**2)\n  g(s): '[s * cos(s), s * sin(s)]'\n"
     "  h(t): f(g(t))", "d2h/dt2", "t", "t",
     lambda t: np.exp(t * np.cos(t) * (t * np.sin(t)) ** 2), {"t": 0.7}),
    ("given: {X: {shape: [N, N], assume: [invertible]}}\ndefine: {f: log(det(X))}", "d2f/dX2", "X", "X",
     lambda X: np.log(np.linalg.det(X)), {"X": spd(3)}),
    ("given: {x: [N], a: [N]}\ndefine: {f: a.T @ x}", "d2f/dx2", "x", "x",
     lambda x, a: a @ x, {"x": RNG.normal(size=3), "a": RNG.normal(size=3)}),
]


def run_eval(tmp_path: Path, body: str, find: str, values: dict, capsys: pytest.CaptureFixture[str]) -> np.ndarray:
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: second derivative\n{body}\nfind: [{find}]\n", encoding="utf-8")
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in values.items()}), encoding="utf-8")
    code = main(["eval", str(problem), "--find", find, "--at", str(at)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return np.asarray(json.loads(out.out))


@pytest.mark.parametrize("body, find, first, second, f, values", CASES,
                         ids=[c[1] + ":" + c[0].split("define")[1][:40] for c in CASES])
def test_second_derivative_matches_independent_differences(tmp_path: Path, capsys, body, find, first,  # type: ignore[no-untyped-def]
                                                           second, f, values) -> None:
    got = run_eval(tmp_path, body, find, values, capsys)
    expected = second_differences(f, values, first, second)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_hessian_of_a_scalar_by_a_vector_is_symmetric(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    values = {"w": RNG.normal(size=3), "X": RNG.normal(size=(5, 3)), "y": RNG.uniform(size=5)}
    got = run_eval(tmp_path, CASES[6][0], "d2L/dw2", values, capsys)
    np.testing.assert_allclose(got, got.T, atol=1e-12)


def test_a_find_not_in_the_file_is_parsed_for_eval(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    body = "given: {x: [N], A: [N, N]}\ndefine: {f: x.T @ A @ x}"
    values = {"x": RNG.normal(size=3), "A": RNG.normal(size=(3, 3))}
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: t\n{body}\nfind: [df/dx]\n", encoding="utf-8")
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: v.tolist() for k, v in values.items()}), encoding="utf-8")
    assert main(["eval", str(problem), "--find", "d2f/dx2", "--at", str(at)]) == 0
    got = np.asarray(json.loads(capsys.readouterr().out))
    np.testing.assert_allclose(got, values["A"] + values["A"].T, atol=1e-12)


@pytest.mark.parametrize("find, message", [
    ("d2f/dzdx", "find[1]: 'd2f/dzdx': z and x are not both given variables (given: x, A)"),
    ("d2f/dx", "find[1]: 'd2f/dx': write a second derivative as d2<of>/d<x>2 or d2<of>/d<x>d<y>"),
])
def test_malformed_second_derivatives_are_errors_at_the_entry(tmp_path: Path, capsys, find, message) -> None:  # type: ignore[no-untyped-def]
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: t\ngiven: {{x: [N], A: [N, N]}}\ndefine: {{f: x.T @ A @ x}}\nfind: [{find}]\n",
                       encoding="utf-8")
    assert main(["check", str(problem)]) == 1
    assert message in capsys.readouterr().err


def test_second_and_first_derivatives_by_the_same_names_are_different_finds(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    problem = tmp_path / "p.yaml"
    problem.write_text("title: t\ngiven: {x: scalar, y: scalar}\ndefine: {f: x**2 * y}\n"
                       "find: ['df/d(x, y)', d2f/dxdy, d2f/dydx, 'd2f/dx dy']\n", encoding="utf-8")
    assert main(["check", str(problem)]) == 1
    err = capsys.readouterr().err
    assert "find[4]: 'd2f/dx dy' is listed twice (first as find[2])" in err
    assert "find[1]" not in err and "find[3]" not in err


@pytest.mark.parametrize("body, find, closed", [
    ("given: {x: [N], A: [N, N]}\ndefine: {f: x.T @ A @ x}", "d2f/dx2", "A + A.T"),
    ("given: {theta: [D], Phi: [N, D], y: [N]}\ndefine: {L: norm(y - Phi @ theta)**2}", "d2L/dtheta2",
     "2 * Phi.T @ Phi"),
    ("given: {x: [D], mu: [D], S: {shape: [D, D], assume: [symmetric, invertible]}}\n"
     "define: {f: -0.5 * (x - mu).T @ inv(S) @ (x - mu)}", "d2f/dx2", "-inv(S)"),
    ("given: {x: [N]}\ndefine: {f: log(sum(exp(x)))}", "d2f/dx2",
     "diag(exp(x) / sum(exp(x))) - exp(x) @ exp(x).T / sum(exp(x)) ** 2"),
    ("given: {w: [D], X: [N, D], y: [N]}\ndefine: {p: sigma(X @ w), L: -sum(y * log(p) + (1 - y) * log(1 - p))}",
     "d2L/dw2", "X.T @ diag(sigma(X @ w) - sigma(X @ w) ** 2) @ X"),
])
def test_hessians_come_in_the_lectures_matrix_forms(tmp_path: Path, body: str, find: str, closed: str) -> None:
    """A + Aᵀ, 2ΦᵀΦ, −Σ⁻¹, diag(p) − ppᵀ with p the softmax, Xᵀ diag(σ(1 − σ)) X (each also checked above)."""
    from derivgen.check.verify import verify
    from derivgen.engine.derive import derive
    from derivgen.problem.loader import load_problem
    from derivgen.problem.text import to_text

    path = tmp_path / "p.yaml"
    path.write_text(f"title: t\n{body}\nfind: [{find}]\n", encoding="utf-8")
    problem = load_problem(path)
    derivation = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    assert derivation.result.closed is not None and to_text(derivation.result.closed) == closed


def test_mixed_partials_the_other_way_round_quote_the_symmetry_and_json_names_both(tmp_path: Path) -> None:
    src = tmp_path / "sheet"
    src.mkdir()
    (src / "p.yaml").write_text("title: t\ngiven: {x: scalar, y: scalar}\ndefine: {f: x**2 * y**3}\n"
                                "find: [d2f/dxdy, d2f/dydx]\n", encoding="utf-8")
    assert main(["build", str(src), "-o", str(tmp_path / "out"), "--format", "md,json", "-q"]) == 0
    page = (tmp_path / "out" / "sheet" / "md" / "p.md").read_text(encoding="utf-8")
    assert ("As part (a) found, $\\frac{\\partial ^{2}f}{\\partial x\\,\\partial y}$ is the same: the order of "
            "differentiation does not matter") in page
    parts = json.loads((tmp_path / "out" / "json" / "p.json").read_text(encoding="utf-8"))["derivatives"]
    assert [(p["wrt"], p["first_wrt"], p["result"]["expr"]) for p in parts] == [
        ("x", "y", "6 * x * y ** 2"), ("y", "x", "6 * y ** 2 * x")]


@pytest.mark.parametrize("text, reading", [
    ("d2f/dx2", ("f", [("x", "x")])), ("d^2f/dx^2", ("f", [("x", "x")])), ("d²f/dx²", ("f", [("x", "x")])),
    ("d2f/dxdy", ("f", [("x", "y")])), ("d2f/dx dy", ("f", [("x", "y")])),
    ("d2L/dWdb", ("L", [("W", "b")])), ("d2L/dwdd", ("L", [("w", "d")])),
])
def test_second_derivatives_are_read_in_the_usual_spellings(text: str, reading: tuple) -> None:  # type: ignore[type-arg]
    from derivgen.problem.second import parse_second

    assert parse_second(text) == reading


def test_exam_variants_rename_second_derivatives_and_taylor_points() -> None:
    """A variant's find entries name its own letters: d2f/dz dz, taylor(f, [v, w], ...), and still derive and check."""
    import random

    from derivgen.check.verify import verify
    from derivgen.engine.derive import derive
    from derivgen.exam.variants import apply, draw
    from derivgen.problem.loader import load_problem

    bank = Path(__file__).resolve().parent.parent / "problems" / "5-higher-order"
    for name in ("mixed-partials-two-variables.yaml", "hessian-quadratic-form.yaml", "taylor-two-variables.yaml"):
        problem = load_problem(bank / name)
        variant = apply(problem, draw(problem, random.Random(5)))
        given = {v.name for v in variant.given}
        for find in variant.find:
            assert {w.id for w in find.wrt + find.first if isinstance(w, Name)} <= given
            assert verify(variant, find, derive(variant, find)).verified is not None
