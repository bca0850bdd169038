"""The functions ML courses use (softmax, logsumexp, relu, abs, softplus, log1p, sums by axis), the
simplex assumption and the symmetrised gradient by a symmetric matrix, on problems written only here.

Every derivative is checked against the function written again in NumPy and differentiated by
central differences here, so neither derivgen's parser nor its evaluator makes the expected
numbers; the worked solutions are checked for what a lecturer would look for (diag(p) − ppᵀ,
(p − y)ᵀ with the step that uses 1ᵀy = 1, the kink of ReLU stated).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from derivgen.build.pipeline import build
from derivgen.check.verify import verify
from derivgen.engine.derive import derive
from derivgen.errors import ProblemError, VerificationError
from derivgen.problem.evaluate import evaluate
from derivgen.problem.loader import load_problem
from tests.test_eval import jacobian, run_eval

RNG = np.random.default_rng(11)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def row_softmax(X: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(X - X.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def simplex(n: int) -> np.ndarray:
    return RNG.dirichlet(np.ones(n))


def away_from_zero(shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.2 from the kink of relu and abs."""
    v = RNG.uniform(0.2, 1.5, size=shape)
    return v * RNG.choice([-1.0, 1.0], size=shape)


CASES = [
    # (given + define, find, NumPy reference, values)
    ("given: {z: [K]}\ndefine: {p: softmax(z)}", "dp/dz", lambda z: softmax(z), {"z": RNG.normal(size=4)}),
    (
        "given: {z: [K], y: {shape: [K], assume: [simplex]}}\ndefine: {p: softmax(z), L: -y.T @ log(p)}",
        "dL/dz", lambda z, y: -y @ np.log(softmax(z)), {"z": RNG.normal(size=4), "y": simplex(4)},
    ),
    (
        "given: {z: [K], y: [K]}\ndefine: {L: -y.T @ log(softmax(z))}",  # no simplex: 1ᵀy stays
        "dL/dz", lambda z, y: -y @ np.log(softmax(z)), {"z": RNG.normal(size=3), "y": RNG.normal(size=3)},
    ),
    ("given: {z: [K]}\ndefine: {L: logsumexp(z)}", "dL/dz",
     lambda z: np.log(np.sum(np.exp(z))), {"z": RNG.normal(size=5)}),
    ("given: {x: [N], w: [N]}\ndefine: {L: w.T @ relu(x)}", "dL/dx",
     lambda x, w: w @ np.maximum(x, 0), {"x": away_from_zero((4,)), "w": RNG.normal(size=4)}),
    ("given: {A: [M, N], x: [N]}\ndefine: {f: relu(A @ x)}", "df/dA",
     lambda A, x: np.maximum(A @ x, 0), {"A": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2)}),
    ("given: {x: [N], a: [N]}\ndefine: {L: sum(abs(x - a))}", "dL/dx",
     lambda x, a: np.sum(np.abs(x - a)), {"x": away_from_zero((3,)), "a": np.zeros(3)}),
    ("given: {X: [N, D], w: [D]}\ndefine: {L: sum(softplus(X @ w))}", "dL/dw",
     lambda X, w: np.sum(np.log1p(np.exp(X @ w))), {"X": RNG.normal(size=(4, 2)), "w": RNG.normal(size=2)}),
    ("given: {x: [N]}\ndefine: {L: sum(log1p(x * x))}", "dL/dx",
     lambda x: np.sum(np.log1p(x * x)), {"x": RNG.normal(size=3)}),
    ("given: {X: [M, N], a: [M]}\ndefine: {L: \"a.T @ sum(X, 1)\"}", "dL/dX",
     lambda X, a: a @ X.sum(axis=1), {"X": RNG.normal(size=(3, 2)), "a": RNG.normal(size=3)}),
    ("given: {X: [M, N], b: [N]}\ndefine: {L: \"b.T @ sum(exp(X), 0)\"}", "dL/dX",
     lambda X, b: b @ np.exp(X).sum(axis=0), {"X": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}),
    ("given: {X: [M, N]}\ndefine: {r: \"sum(X * X, 1)\"}", "dr/dX",
     lambda X: (X * X).sum(axis=1), {"X": RNG.normal(size=(2, 3))}),
    ("given: {W: [K, N], x: [N], b: [K]}\ndefine: {p: softmax(W @ x + b)}", "dp/dx",
     lambda W, x, b: softmax(W @ x + b), {"W": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2), "b": RNG.normal(size=3)}),
    ("given: {W: [K, N], x: [N], b: [K]}\ndefine: {p: softmax(W @ x + b)}", "dp/dW",  # a 3-way tensor
     lambda W, x, b: softmax(W @ x + b), {"W": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2), "b": RNG.normal(size=3)}),
    (
        "given: {W: [K, N], x: [N], y: {shape: [K], assume: [simplex]}}\n"
        "define: {z: W @ x, p: softmax(z), L: -y.T @ log(p)}",
        "dL/dW", lambda W, x, y: -y @ np.log(softmax(W @ x)),
        {"W": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2), "y": simplex(3)},
    ),
    (
        "given: {W: [K, N], x: [N], y: {shape: [K], assume: [simplex]}}\n"
        "define: {p: softmax(W @ x), L: -y.T @ log(p)}",
        "dL/dx", lambda W, x, y: -y @ np.log(softmax(W @ x)),
        {"W": RNG.normal(size=(3, 2)), "x": RNG.normal(size=2), "y": simplex(3)},
    ),
    ("given: {z: [K]}\ndefine: {p: softmax(z), H: -p.T @ log(p)}", "dH/dz",  # entropy: pᵀdiag(p⁻¹)diag(p) is pᵀ
     lambda z: -softmax(z) @ np.log(softmax(z)), {"z": RNG.normal(size=4)}),
    ("given: {z: [3]}\ndefine: {L: \"logsumexp(z) - z[2]\"}", "dL/dz",  # cross-entropy of class 2, by parts
     lambda z: np.log(np.sum(np.exp(z))) - z[1], {"z": RNG.normal(size=3)}),
    ("given: {z: [3]}\ndefine: {q: \"softmax(z)[1]\"}", "dq/dz", lambda z: softmax(z)[0], {"z": RNG.normal(size=3)}),
    ("given: {X: [2, 3], t: []}\ndefine: {L: \"sum(sum(X * t, 0)) + t**2\"}", "dL/dt",
     lambda X, t: np.sum(np.sum(X * t, axis=0)) + t**2, {"X": RNG.normal(size=(2, 3)), "t": 0.4}),
    ("given: {S: [M, N]}\ndefine: {P: \"softmax(S, 1)\"}", "dP/dS", lambda S: row_softmax(S, 1),  # 4-way
     {"S": RNG.normal(size=(2, 3))}),
    ("given: {S: [M, N]}\ndefine: {P: \"softmax(S, 0)\"}", "dP/dS", lambda S: row_softmax(S, 0),
     {"S": RNG.normal(size=(2, 3))}),
    (  # attention: a row softmax of scores, weighting the values
        "given: {Q: [T, D], K: [T, D], V: [T, D], A: [T, D]}\n"
        "define: {P: \"softmax(Q @ K.T, 1)\", L: tr(A.T @ P @ V)}",
        "dL/dQ", lambda Q, K, V, A: np.trace(A.T @ row_softmax(Q @ K.T, 1) @ V),
        {"Q": RNG.normal(size=(3, 2)), "K": RNG.normal(size=(3, 2)), "V": RNG.normal(size=(3, 2)),
         "A": RNG.normal(size=(3, 2))},
    ),
    ("given: {Z: [M, K], Y: [M, K]}\ndefine: {L: \"sum(logsumexp(Z, 1)) - tr(Y.T @ Z)\"}", "dL/dZ",  # batch CE
     lambda Z, Y: np.log(np.exp(Z).sum(axis=1)).sum() - np.trace(Y.T @ Z),
     {"Z": RNG.normal(size=(3, 2)), "Y": RNG.normal(size=(3, 2))}),
    ("given: {Z: [M, K], a: [K]}\ndefine: {L: \"a.T @ logsumexp(Z, 0)\"}", "dL/dZ",
     lambda Z, a: a @ np.log(np.exp(Z).sum(axis=0)), {"Z": RNG.normal(size=(3, 2)), "a": RNG.normal(size=2)}),
    ("given: {S: [2, 3], t: []}\ndefine: {L: \"sum(softmax(t * S, 1) * S)\"}", "dL/dt",  # concrete: written out
     lambda S, t: (row_softmax(t * S, 1) * S).sum(), {"S": RNG.normal(size=(2, 3)), "t": 0.8}),
    (  # layer norm's centring and scaling, with a size as a number written as a sum of ones
        "given: {x: [N], g: [N]}\ndefine: {m: sum(x) / 4, v: sum((x - m)**2) / 4, L: g.T @ ((x - m) / sqrt(v + 1))}",
        "dL/dx", lambda x, g: g @ ((x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean() + 1)),
        {"x": RNG.normal(size=4), "g": RNG.normal(size=4)},
    ),
    (  # a Gaussian log-likelihood with a diagonal precision, through softplus for a positive scale
        "given: {x: [N], mu: [N], s: [N]}\ndefine: {L: sum(log1p(s * s)) - sum((x - mu)**2 / softplus(s))}",
        "dL/ds", lambda x, mu, s: np.sum(np.log1p(s * s)) - np.sum((x - mu) ** 2 / np.logaddexp(0, s)),
        {"x": RNG.normal(size=3), "mu": RNG.normal(size=3), "s": RNG.normal(size=3)},
    ),
]


@pytest.mark.parametrize("body, find, f, values", CASES,
                         ids=[c[1] + ":" + c[0].split("define: ")[1][:40] for c in CASES])
def test_eval_matches_independent_finite_differences(tmp_path: Path, body, find, f, values) -> None:  # type: ignore[no-untyped-def]
    got = run_eval(tmp_path, body, find, values)
    expected = jacobian(f, values, find.split("/d", 1)[1])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _write(tmp_path: Path, text: str, name: str = "p") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"title: {name}\n{text}", encoding="utf-8")
    return path


def _page(tmp_path: Path, text: str, name: str = "p") -> tuple[str, dict]:  # type: ignore[type-arg]
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    _write(src, text, name)
    report = build([src], tmp_path / "out", formats=["md", "json"])
    assert not report.failures, report.failures
    md = (tmp_path / "out" / "src" / "md" / f"{name}.md").read_text(encoding="utf-8")
    return md, json.loads((tmp_path / "out" / "json" / f"{name}.json").read_text(encoding="utf-8"))


def test_softmax_jacobian_is_diag_p_minus_p_p_transposed(tmp_path: Path) -> None:
    md, data = _page(tmp_path, "given: {z: [K]}\ndefine: {p: softmax(z)}\nfind: [dp/dz]\n")
    result = data["derivatives"][0]["result"]
    assert result["expr"] == "diag(softmax(z)) - softmax(z) @ softmax(z).T"
    assert (r"\operatorname{diag}\left(\boldsymbol{p}\right) - \boldsymbol{p} \boldsymbol{p}^{\top}"
            r" \in \mathbb{R}^{K\times K}, \\ \text{where } \boldsymbol{p} = "
            r"\operatorname{softmax}\left(\boldsymbol{z}\right)") in md
    assert r"p_{i} = \exp\left(z_{i}\right)" in md  # the entries, in index notation


def test_softmax_layer_result_is_written_in_p_through_its_logits(tmp_path: Path) -> None:
    """p = softmax(z), z = Wx: the boxed result is (diag(p) − ppᵀ)W, not softmax(Wx) three times."""
    md, data = _page(tmp_path, "given: {W: [K, D], x: [D]}\ndefine: {z: W @ x, p: softmax(z)}\n"
                               "find: [dp/dx]\nsizes: {K: 3, D: 2}\n")
    result = md.split("**Result.**")[1]
    assert (r"\left(\operatorname{diag}\left(\boldsymbol{p}\right) - \boldsymbol{p} \boldsymbol{p}^{\top}"
            r"\right) \boldsymbol{W} \in \mathbb{R}^{K\times D}") in result
    assert r"\operatorname{softmax}\left(\boldsymbol{W}" not in result
    assert "softmax(W @ x)" in data["derivatives"][0]["result"]["expr"]  # still evaluable in the givens


def test_cross_entropy_with_simplex_labels_reaches_p_minus_y(tmp_path: Path) -> None:
    md, data = _page(tmp_path, "given: {z: [K], y: {shape: [K], assume: [simplex]}}\n"
                               "define: {p: softmax(z), L: -y.T @ log(p)}\nfind: [dL/dz]\n")
    assert data["derivatives"][0]["result"]["expr"] == "softmax(z).T - y.T"
    assert r"\frac{\partial \boldsymbol{p}}{\partial \boldsymbol{z}} = \operatorname{diag}\left(\boldsymbol{p}" \
           r"\right) - \boldsymbol{p} \boldsymbol{p}^{\top}" in md
    # the step that uses 1ᵀy = 1, with the line before it
    assert r"\operatorname{sum}\left(\boldsymbol{y}\right) \boldsymbol{p}^{\top} - \boldsymbol{y}^{\top}" \
           r" \\ &= \boldsymbol{p}^{\top} - \boldsymbol{y}^{\top}" in md
    assert r"lies on the simplex (its entries are at least 0 and sum to 1), so $\operatorname{sum}" in md
    assert r"\boldsymbol{u}" not in md  # the cancelling in words, no symbol the problem never introduced
    # nothing left of log p's derivative against softmax's: no p⁻¹ in the result
    assert "^{-1}" not in md.split("**Result.**")[1]


def test_cross_entropy_without_simplex_keeps_the_sum_of_y(tmp_path: Path) -> None:
    _, data = _page(tmp_path, "given: {z: [K], y: [K]}\ndefine: {p: softmax(z), L: -y.T @ log(p)}\n"
                              "find: [dL/dz]\n")
    assert data["derivatives"][0]["result"]["expr"] == "sum(y) * softmax(z).T - y.T"


def test_index_form_of_log_softmax_cancels(tmp_path: Path) -> None:
    """(e^{z_k} S⁻¹)⁻¹ S⁻¹ e^{z_k} is 1: the index result of the issue, written out, has no such product."""
    _, data = _page(tmp_path, "given: {z: [K], y: [K]}\ndefine: {L: -y.T @ log(exp(z) / sum(exp(z)))}\n"
                              "find: [dL/dz]\n")
    index = data["derivatives"][0]["result"]["index"]
    assert index == "d L / d z[k] = -y[k] + sum_{j=1..K} y[j]*(sum_{m=1..K} exp(z[m]))**-1*exp(z[k])"


def test_relu_states_its_kink_and_the_check_avoids_it(tmp_path: Path) -> None:
    md, data = _page(tmp_path, "given: {x: [N], w: [N]}\ndefine: {L: w.T @ relu(x)}\nfind: [dL/dx]\n")
    assert "$\\mathit{H}$ is the derivative of the rectifier ReLU, which has a kink at 0 and no derivative there" in md
    assert "step(" in data["derivatives"][0]["result"]["index"]


def test_a_relu_always_at_its_kink_cannot_be_checked(tmp_path: Path) -> None:
    problem = load_problem(_write(tmp_path, "given: {x: [N]}\ndefine: {L: sum(relu(x - x))}\nfind: [dL/dx]\n"))
    d = derive(problem, problem.find[0])
    with pytest.raises(VerificationError, match="an argument of relu in L is near 0, where relu has a kink"):
        verify(problem, problem.find[0], d)


def test_sum_by_axis_follows_numpy() -> None:
    from derivgen.problem.parser import parse_expression

    X = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(evaluate(parse_expression("sum(X, 0)"), {"X": X}), X.sum(axis=0))
    np.testing.assert_allclose(evaluate(parse_expression("sum(X, 1)"), {"X": X}), X.sum(axis=1))


def test_sum_by_axis_shapes_and_errors(tmp_path: Path) -> None:
    ok = load_problem(_write(tmp_path, "given: {X: [M, N]}\ndefine: {c: \"sum(X, 0)\", r: \"sum(X, 1)\"}\n"
                                       "find: [dc/dX]\n"))
    assert ok.definition("c").shape == ("N",) and ok.definition("r").shape == ("M",)  # type: ignore[union-attr]
    with pytest.raises(ProblemError, match=r"define.c: X \(M×N\) has no axis 2 for sum \(a matrix has axes "
                                           r"0 and 1, a vector only 0\)"):
        load_problem(_write(tmp_path, "given: {X: [M, N]}\ndefine: {c: \"sum(X, 2)\"}\nfind: [dc/dX]\n", "q"))
    with pytest.raises(ProblemError, match=r"define.c: the axis of sum is 0 \(each column\) or 1 \(each "
                                           r"row\), a whole number"):
        load_problem(_write(tmp_path, "given: {X: [M, N], t: []}\ndefine: {c: \"sum(X, t)\"}\nfind: [dc/dX]\n",
                            "r"))


def test_simplex_needs_a_vector(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match=r"'simplex' \(entries ≥ 0 summing to 1\) needs a vector, but Y is M×N"):
        load_problem(_write(tmp_path, "given: {Y: {shape: [M, N], assume: [simplex]}}\ndefine: {L: tr(Y.T @ Y)}\n"
                                      "find: [dL/dY]\n"))


def test_simplex_values_are_drawn_on_the_simplex(tmp_path: Path) -> None:
    from derivgen.check.numeric import random_values

    problem = load_problem(_write(tmp_path, "given: {y: {shape: [K], assume: [simplex]}, z: [K]}\n"
                                            "define: {L: y.T @ z}\nfind: [dL/dz]\n"))
    for seed in range(5):
        y = random_values(problem, {"K": 4}, np.random.default_rng(seed))["y"]
        assert np.all(y >= 0) and abs(y.sum() - 1) < 1e-12


def test_softmax_partials_are_written_in_p(tmp_path: Path) -> None:
    """∂p_i/∂z_j = δ_ij p_i − p_i p_j, the cases p_i − p_i² and −p_i p_j: the lecture's softmax Jacobian."""
    md, _ = _page(tmp_path, "given: {z: [K]}\ndefine: {p: softmax(z)}\nfind: [dp/dz]\n")
    assert r"&= \delta_{ij} p_{i} - p_{i} p_{j}\end{aligned}" in md
    assert (r"\begin{cases}-p_{i} p_{j} & \text{if } j \neq i \\ p_{i} - p_{i}^{2} & \text{if } j = i"
            r"\end{cases}") in md  # the two cases cover all: no "0 otherwise"


def test_softmax_layer_by_its_weights_is_a_tensor_written_in_p(tmp_path: Path) -> None:
    md, data = _page(tmp_path, "given: {W: [K, N], x: [N], b: [K]}\ndefine: {p: softmax(W @ x + b)}\n"
                               "find: [dp/dW]\n")
    assert (r"\quad \frac{\partial p_{i}}{\partial W_{kq}} = \delta_{ik} p_{i} x_{q} - p_{i} p_{k} x_{q}, \\ "
            r"\text{where } \boldsymbol{p} = \operatorname{softmax}\left(\boldsymbol{W} \boldsymbol{x} + "
            r"\boldsymbol{b}\right)") in md
    result = data["derivatives"][0]["result"]  # JSON keeps the given variables, evaluable
    assert r"\delta_{ik} p_{i}" not in result["latex"] and result["index"].startswith("d p[i] / d W[k,q] = delta(i,k)*")


# --- the gradient by a symmetric matrix: plain by default, symmetrised when asked -------------------

SYMMETRIC_BODY = ("given: {{W: {{shape: [N, N], assume: [symmetric]{extra}}}, a: [N], b: [N], A: [N, N]}}\n"
                  "define: {{L: a.T @ W @ b + tr(A @ W)}}")


def _symmetric_values() -> dict[str, np.ndarray]:
    w = RNG.normal(size=(3, 3))
    return {"W": w + w.T, "a": RNG.normal(size=3), "b": RNG.normal(size=3), "A": RNG.normal(size=(3, 3))}


def _plain_gradient(W: np.ndarray, a: np.ndarray, b: np.ndarray, A: np.ndarray) -> np.ndarray:
    return jacobian(lambda W, a, b, A: a @ W @ b + np.trace(A @ W), {"W": W, "a": a, "b": b, "A": A}, "W")


def test_the_gradient_by_a_symmetric_matrix_is_plain_by_default(tmp_path: Path) -> None:
    values = _symmetric_values()
    got = run_eval(tmp_path, SYMMETRIC_BODY.format(extra=""), "dL/dW", values)
    np.testing.assert_allclose(got, _plain_gradient(**values), rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, got.T)  # abᵀ + Aᵀ: not symmetric, as entry-by-entry differences say


def test_the_symmetrised_gradient_is_sym_g(tmp_path: Path) -> None:
    values = _symmetric_values()
    got = run_eval(tmp_path, SYMMETRIC_BODY.format(extra=", gradient: symmetrised"), "dL/dW", values)
    g = _plain_gradient(**values)
    np.testing.assert_allclose(got, (g + g.T) / 2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, g + g.T - np.diag(np.diag(g)))  # not the Matrix Cookbook's formula


def test_the_symmetrised_step_explains_the_difference(tmp_path: Path) -> None:
    md, data = _page(tmp_path, "given: {W: {shape: [N, N], assume: [symmetric, invertible], "
                               "gradient: symmetrised}, x: [N]}\n"
                               "define: {L: x.T @ W @ x + log(det(W))}\nfind: [dL/dW]\n")
    assert data["derivatives"][0]["result"]["expr"] == "x @ x.T + inv(W)"
    assert r"the symmetric part $\operatorname{sym}(\boldsymbol{G}) = \frac{1}{2}(\boldsymbol{G} + " in md
    assert "(Srinivasan and Panda, 2023)" in md and "is twice this off the diagonal" in md
    assert (r"\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{W}} = \boldsymbol{x} \boldsymbol{x}^{\top} + "
            r"\boldsymbol{W}^{-1} \in \mathbb{R}^{N\times N}") in md


@pytest.mark.parametrize("given, message", [
    ("W: {shape: [N, N], gradient: symmetrised}",
     "given.W.gradient: 'symmetrised' is for a symmetric matrix; add assume: [symmetric] to W"),
    ("W: {shape: [N, N], assume: [symmetric], gradient: sym}",
     "given.W.gradient: 'sym' is not a convention (known: plain, symmetrised)"),
])
def test_gradient_convention_errors(tmp_path: Path, given: str, message: str) -> None:
    with pytest.raises(ProblemError, match=re.escape(message)):
        load_problem(_write(tmp_path, f"given: {{{given}}}\ndefine: {{L: tr(W)}}\nfind: [dL/dW]\n"))


def test_a_function_of_a_concrete_vector_among_its_components_is_written_out(tmp_path: Path) -> None:
    md, _ = _page(tmp_path, "given: {z: [3]}\ndefine: {L: \"logsumexp(z) - z[2]\"}\nfind: [dL/dz]\n")
    assert "The vector has a concrete size, so write the function of the whole vector out entry by entry" in md
    assert (r"\operatorname{logsumexp}\left(\boldsymbol{z}\right) - z_{2} = \log\left(\exp\left(z_{1}\right) + "
            r"\exp\left(z_{2}\right) + \exp\left(z_{3}\right)\right) - z_{2}") in md


def test_products_that_cancel_leave_nothing_behind(tmp_path: Path) -> None:
    """(−1)² is 1 in an index form, so δδ(−1)² − δδ cancels: the derivative of a quantity that is zero as
    written is 0, and verifies (the numeric check knows an exact zero)."""
    problem = load_problem(_write(tmp_path, "given: {A: [M, N]}\ndefine: {e: \"(-A + (A + A)) * (-1) ** 2\", "
                                            "L: A - e}\nfind: [dL/dA]\n"))
    d = derive(problem, problem.find[0])
    assert str(d.result.index) == "d L[p,q] / d A[i,j] = 0"
    verify(problem, problem.find[0], d)


def test_a_common_factor_comes_out_with_its_sign(tmp_path: Path) -> None:
    _, data = _page(tmp_path, "given: {W: [K, N], x: [N], b: [K]}\ndefine: {p: softmax(W @ x + b)}\n"
                              "find: [dp/dx]\n")
    assert data["derivatives"][0]["result"]["expr"] == \
        "(diag(softmax(W @ x + b)) - softmax(W @ x + b) @ softmax(W @ x + b).T) @ W"


def test_a_softmax_sums_to_one_without_an_assumption(tmp_path: Path) -> None:
    md, _ = _page(tmp_path, "given: {z: [K]}\ndefine: {p: softmax(z), H: -p.T @ log(p)}\nfind: [dH/dz]\n")
    assert r"$\boldsymbol{p}$ is a softmax (its entries are positive and sum to 1), so $\operatorname{sum}" in md
    assert r"\operatorname{sum}\left(\boldsymbol{p}\right)" not in md.split("**Result.**")[1]


def test_the_scalar_rules_name_each_new_function(tmp_path: Path) -> None:
    md, _ = _page(tmp_path, "given: {x: scalar}\ndefine: {f: relu(x**2 - 1) + abs(x) + softplus(2*x) + log1p(x**2)}\n"
                            "find: [df/dx]\ndetail: full\n")
    assert ("The rectifier $\\operatorname{ReLU} x = \\max(x, 0)$ has derivative $\\mathit{H}(x)$, 1 for $x > 0$ "
            "and 0 for $x < 0$; at $x = 0$ it has a kink and no derivative.") in md
    assert "The derivative of $\\lvert x \\rvert$ is $\\operatorname{sign} x$" in md
    assert "$\\frac{e^{x}}{1 + e^{x}} = \\sigma(x)$" in md
    assert "The derivative of $\\log(1 + x)$ is $\\frac{1}{1 + x}$." in md


def test_a_row_softmax_is_written_in_its_name(tmp_path: Path) -> None:
    md, _ = _page(tmp_path, "given: {Q: [T, D], K: [T, D]}\ndefine: {P: \"softmax(Q @ K.T, 1)\"}\nfind: [dP/dQ]\n")
    assert (r"\frac{\partial P_{pq}}{\partial Q_{ij}} = \delta_{pi} P_{pq} K_{qj} - \sum_{m=1}^{T} \delta_{pi} P_{pq} "
            r"P_{pm} K_{mj}, \\ \text{where } \boldsymbol{P} = \operatorname{softmax}_{\text{rows}}\left("
            r"\boldsymbol{Q} \boldsymbol{K}^{\top}\right)") in md


def test_softmax_and_logsumexp_along_an_axis_follow_numpy() -> None:
    from derivgen.problem.parser import parse_expression

    X = RNG.normal(size=(2, 3))
    for axis in (0, 1):
        np.testing.assert_allclose(evaluate(parse_expression(f"softmax(X, {axis})"), {"X": X}), row_softmax(X, axis))
        np.testing.assert_allclose(evaluate(parse_expression(f"logsumexp(X, {axis})"), {"X": X}),
                                   np.log(np.exp(X).sum(axis=axis)))
