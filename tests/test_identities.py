"""The identities sheet (problems/4-identities) at ``lecture`` detail: each identity derived, not cited.

derivgen/render/identities.py rewrites the lecture steps of these problems into
the lectures' route; ``full`` detail is left as the engine recorded it.  The
new math each route displays is checked numerically here as well.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from derivgen.check.index_values import IndexEvaluator
from derivgen.derivation import Step
from derivgen.derivation.index_form import Idx, IExpr
from derivgen.engine.derive import derive_problem
from derivgen.problem.loader import load_problem
from derivgen.render import identities
from derivgen.render.identities import KIND, lecture_identity_steps
from derivgen.render.narrate import Para, present

SHEET = Path(__file__).resolve().parent.parent / "problems" / "4-identities"


def _load(name: str, detail: str = "lecture"):  # type: ignore[no-untyped-def]
    problem = load_problem(SHEET / f"{name}.yaml")
    problem = dataclasses.replace(problem, options={**problem.options, "detail": detail})
    ((_, derivation),) = derive_problem(problem)
    return problem, derivation


def _text(paras: list[Para]) -> str:
    return "\n".join(p.text + "\n" + "\n".join(p.display) for p in paras)


def solution(name: str, detail: str = "lecture") -> str:
    problem, derivation = _load(name, detail)
    return _text(present(derivation, problem))


def kinds(name: str) -> list[str]:
    problem, derivation = _load(name)
    return [p.kind for p in present(derivation, problem)]


def _order(text: str, *pieces: str) -> None:
    """Every piece occurs in ``text``, in this order."""
    at = -1
    for piece in pieces:
        found = text.find(piece, at + 1)
        assert found > at, f"{piece!r} missing or out of order"
        at = found


# --- what each lecture solution shows ---------------------------------------------------------


def test_599_compares_with_the_transpose_of_df_dx() -> None:
    text = solution("5-099-transpose")
    _order(text, r"\frac{\partial F_{pq}}{\partial X_{ij}} = \sum", "Compare with",
           r"f_{qp} = \sum_{m=1}^{N} X_{qm} B_{mp}",
           r"\frac{\partial f_{qp}}{\partial X_{ij}} = \delta_{qi} B_{jp} = \frac{\partial F_{pq}}{\partial X_{ij}}",
           r"_{qpij}", "this is identity (5.99)")


def test_5101_by_cofactor_expansion_and_adjugate() -> None:
    text = solution("5-101-determinant")
    _order(text, "Laplace expansion", r"\det\left(\boldsymbol{X}\right) = \sum_{k = 1}^{N} X_{ik}\,C_{ik}",
           r"C_{ik} = \left(-1\right)^{i + k}\,M_{ik}", r"\delta_{kj} C_{ik}", "adjugate",
           r"\boldsymbol{X}^{-1} = \frac{1}{\det\left(\boldsymbol{X}\right)} \mathrm{adj}\left(\boldsymbol{X}\right)",
           r"\left[\mathrm{adj}\left(\boldsymbol{X}\right)\right]_{ji}",
           r"\det\left(\boldsymbol{X}\right) \left(\boldsymbol{X}^{-1}\right)_{ji}", r"\operatorname{tr}")
    assert r"\delta_{mi} \delta_{nj} \det" not in text  # no det(X)(X⁻¹)_nm from nowhere inside δ-sums
    assert "by identity (5.101)" not in text


def test_log_det_by_the_chain_rule_and_5101() -> None:
    text = solution("5-101-log-determinant")
    _order(text, r"\log u", "chain rule", r"\frac{1}{\det\left(\boldsymbol{X}\right)}\,\frac{\mathrm{d}}",
           "By identity (5.101)", r"\boldsymbol{X}^{-\top} \in")
    assert "log-determinant rule" not in text
    assert r"\delta" not in text


def test_5102_product_rule_first_then_entries() -> None:
    text = solution("5-102-inverse")
    _order(text, r"\boldsymbol{X}^{-1}\boldsymbol{X} = \boldsymbol{I}", "product rule",
           r"\left(\boldsymbol{X}^{-1} \boldsymbol{X}\right)",  # ∂/∂X (f(X)⁻¹ f(X)) with f(X) = X
           r"\,+\,", "multiply by", r"= -\,\boldsymbol{X}^{-1}\,\frac{\partial \boldsymbol{X}}{\partial \boldsymbol{X}}\,"
           r"\boldsymbol{X}^{-1}", "one entry", r"\delta_{mi}\delta_{nj}",
           r"= -\left(\boldsymbol{X}^{-1}\right)_{pi} \left(\boldsymbol{X}^{-1}\right)_{jq}", "Collect these slices")
    assert kinds("5-102-inverse")[:4] == ["dimension", KIND, KIND, KIND]


def test_5103_follows_from_5102_by_the_chain_rule() -> None:
    text = solution("5-103-inverse-bilinear")
    _order(text, r"a_{m} \left(\boldsymbol{X}^{-1}\right)_{mn} b_{n}", "(5.102)",
           r"\frac{\partial }{\partial X_{ij}}\left(\left(\boldsymbol{X}^{-1}\right)_{mn}\right)",
           r"\left[\boldsymbol{X}^{-\top} \boldsymbol{a}\right]_{i}", "this is identity (5.103)")
    assert "by identity (5.103)" not in text
    assert r"\sum_{r=1}" not in text  # no quadruple sum


def test_5107_reads_the_two_sums_as_rows() -> None:
    text = solution("5-107-quadratic-form")
    _order(text, r"\sum_{j=1}^{N} B_{kj} x_{j} + \sum_{j=1}^{N} x_{j} B_{jk}",
           r"\left[\boldsymbol{B} \boldsymbol{x}\right]_{k}",
           r"\left[\boldsymbol{x}^{\top} \boldsymbol{B}^{\top}\right]_{k}",
           r"\left[\boldsymbol{x}^{\top} \left(\boldsymbol{B} + \boldsymbol{B}^{\top}\right)\right]_{k}")


@pytest.mark.parametrize("name", ["5-108-weighted-residual", "5-108-derivation"])
def test_5108_through_z_and_5107(name: str) -> None:
    text = solution(name)
    _order(text, r"\boldsymbol{z} \mathrel{:=} \boldsymbol{x} - \boldsymbol{A} \boldsymbol{s}",
           "by identity (5.107)", r"\boldsymbol{W}^{\top} = \boldsymbol{W}",
           r"\boldsymbol{z}^{\top} \left(\boldsymbol{W} + \boldsymbol{W}^{\top}\right)",
           r"2 \boldsymbol{z}^{\top} \boldsymbol{W}", r"= -\boldsymbol{A}", r"\left(-\boldsymbol{A}\right)",
           r"-2 \boldsymbol{z}^{\top} \boldsymbol{W} \boldsymbol{A}")
    assert "by identity (5.108)" not in text
    assert r"\sum" not in text  # no quadruple sums


# --- full detail is as the engine recorded it; other problems are untouched ----------------------


@pytest.mark.parametrize("name", sorted(p.stem for p in SHEET.glob("*.yaml")))
def test_full_detail_unchanged(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    problem, derivation = _load(name, "full")
    full = present(derivation, problem)
    assert all(p.kind != KIND for p in full)
    monkeypatch.setattr(identities, "lecture_identity_steps", lambda problem, derivation, steps: steps)
    assert present(derivation, problem) == full


def test_other_problems_pass_through() -> None:
    for name in ("5-104-x-transpose-a", "5-105-a-transpose-x", "5-106-bilinear"):
        problem, derivation = _load(name)
        steps = (Step("dimension"),)
        assert lecture_identity_steps(problem, derivation, steps) is steps


# --- the new math, numerically ----------------------------------------------------------------


RNG = np.random.default_rng(5)
N = 4


def _cofactors(X: np.ndarray) -> np.ndarray:
    n = X.shape[0]
    C = np.empty_like(X)
    for i in range(n):
        for k in range(n):
            minor = np.delete(np.delete(X, i, axis=0), k, axis=1)
            C[i, k] = (-1) ** (i + k) * np.linalg.det(minor)
    return C


def _numeric_gradient(f, X: np.ndarray, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    """∂f/∂X_ij by central differences; f may be array-valued (its axes come first)."""
    out = None
    for idx in np.ndindex(X.shape):
        E = np.zeros_like(X)
        E[idx] = h
        d = (np.asarray(f(X + E)) - np.asarray(f(X - E))) / (2 * h)
        if out is None:
            out = np.zeros(d.shape + X.shape)
        out[(...,) + idx] = d
    return out  # type: ignore[return-value]


def _iexpr(problem_name: str, move: str, rel: int, part: int):  # type: ignore[no-untyped-def]
    """The displayed index expression ``part`` of relation ``rel`` of the step ``move``."""
    problem, derivation = _load(problem_name)
    from derivgen.render.detail import Names, steps_for
    from derivgen.render.narrate import Context, printer_for  # noqa: F401  (the same steps present() shows)
    shown = steps_for(derivation.steps, "lecture", Names(problem, derivation.of))
    steps = lecture_identity_steps(problem, derivation, shown)
    step = next(s for s in steps if s.kind == KIND and s.facts.get("move") == move)
    expr = step.math[rel].parts[part]
    assert isinstance(expr, IExpr)
    return expr


def _ev(expr: IExpr, values: dict, free: str) -> np.ndarray:
    return IndexEvaluator(values, {"N": N}).array(expr, [Idx(c, "N") for c in free])


def test_cofactor_expansion_and_adjugate_numerically() -> None:
    X = RNG.normal(size=(N, N))
    C = _cofactors(X)
    det, inv = np.linalg.det(X), np.linalg.inv(X)
    for i in range(N):  # the Laplace expansion along every row
        assert np.isclose(sum(X[i, k] * C[i, k] for k in range(N)), det)
    assert np.allclose(C, det * inv.T)  # C_ij = [adj X]_ji = det(X) (X⁻¹)_ji
    assert np.allclose(_numeric_gradient(np.linalg.det, X), C, atol=1e-6)  # ∂det/∂X_ij = C_ij
    for i, j in np.ndindex(N, N):  # det(X) tr(X⁻¹ ∂X/∂X_ij) = det(X) (X⁻¹)_ji
        E = np.zeros((N, N))
        E[i, j] = 1
        assert np.isclose(det * np.trace(inv @ E), det * inv[j, i])
    values = {"X": X, "C": C}
    assert np.allclose(_ev(_iexpr("5-101-determinant", "cofactor_partial", 0, 1), values, "ij"), C)
    assert np.allclose(_ev(_iexpr("5-101-determinant", "adjugate", 1, 3), values, "ij"), C)
    assert np.allclose(_ev(_iexpr("5-101-determinant", "det_general", 0, 1), values, "ij"), det * inv.T)


def test_inverse_entries_numerically() -> None:
    X = RNG.normal(size=(N, N)) + N * np.eye(N)
    numeric = _numeric_gradient(np.linalg.inv, X)  # [p, q, i, j]
    for part in (1, 2):  # the double sum with deltas and its contraction
        shown = _ev(_iexpr("5-102-inverse", "inverse_entries", 2, part), {"X": X}, "pqij")
        assert np.allclose(shown, numeric, atol=1e-6)
    unit = _ev(_iexpr("5-102-inverse", "inverse_entries", 1, 1), {}, "mnij")
    assert np.allclose(unit, np.einsum("mi,nj->mnij", np.eye(N), np.eye(N)))


def test_inverse_bilinear_numerically() -> None:
    X = RNG.normal(size=(N, N)) + N * np.eye(N)
    a, b = RNG.normal(size=N), RNG.normal(size=N)
    inv = np.linalg.inv(X)
    numeric = _numeric_gradient(lambda Y: a @ np.linalg.inv(Y) @ b, X)
    shown = _ev(_iexpr("5-103-inverse-bilinear", "inverse_chain", 0, 2), {"X": X, "a": a, "b": b}, "ij")
    assert np.allclose(shown, numeric, atol=1e-6)
    assert np.allclose(-np.outer(inv.T @ a, inv @ b), numeric, atol=1e-6)  # −[X⁻ᵀa]_i [X⁻¹b]_j


def test_quadratic_forms_numerically() -> None:
    x, B = RNG.normal(size=N), RNG.normal(size=(N, N))
    assert np.allclose(B @ x, x @ B.T)  # (Bx)_k = (xᵀBᵀ)_k
    assert np.allclose(B @ x + x @ B, x @ (B + B.T))
    W = B + B.T
    A, s, y = RNG.normal(size=(N, 3)), RNG.normal(size=3), RNG.normal(size=N)
    z = y - A @ s
    assert np.allclose(z @ (W + W.T), 2 * z @ W)  # W symmetric
    numeric = _numeric_gradient(lambda t: (y - A @ t) @ W @ (y - A @ t), s)
    assert np.allclose((2 * z @ W) @ (-A), numeric, atol=1e-6)


def test_transpose_comparison_numerically() -> None:
    X, B = RNG.normal(size=(N, N)), RNG.normal(size=(N, N))
    dF = _numeric_gradient(lambda Y: (Y @ B).T, X)  # [p, q, i, j]
    df = _numeric_gradient(lambda Y: Y @ B, X)  # [q, p, i, j]
    assert np.allclose(dF, df.transpose(1, 0, 2, 3), atol=1e-6)
    shown = _ev(_iexpr("5-099-transpose", "transpose_compare", 1, 1), {"X": X, "B": B}, "qpij")
    assert np.allclose(shown, df, atol=1e-6)


def test_5100_takes_the_derivative_inside_the_trace() -> None:
    text = solution("5-100-trace")
    _order(text, r"\delta_{mi} \delta_{nj} A_{nm} = A_{ji}", "inside",
           r"\operatorname{tr}\left(\boldsymbol{A} \frac{\partial \boldsymbol{X}}{\partial X_{ij}}\right)", "= A_{ji}",
           "this is identity (5.100)")
    A = RNG.normal(size=(N, N))
    for i, j in np.ndindex(N, N):  # tr(A ∂X/∂X_ij) = A_ji
        E = np.zeros((N, N))
        E[i, j] = 1
        assert np.isclose(np.trace(A @ E), A[j, i])
