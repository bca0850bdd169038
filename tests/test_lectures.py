"""Every worked example of the lectures: derivgen reaches the lecture's result with its steps.

Each problem of ``problems/`` is loaded, derived and verified for real; the
assertions are what a lecturer would check against the book.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derivgen.check.verify import verify
from derivgen.derivation import Cases, Space, Step, Under
from derivgen.engine.derive import derive
from derivgen.problem.loader import find_problem_files, load_problem
from derivgen.problem.text import to_text

BANK = Path(__file__).resolve().parent.parent / "problems"


def solve(rel: str) -> dict[str, object]:
    """All derivations of one bank problem, verified, keyed by the find text."""
    problem = load_problem(BANK / rel)
    out = {}
    for f in problem.find:
        out[f.text] = verify(problem, f, derive(problem, f))
    return out


def kinds(d) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.kind for s in d.steps]


def step(d, kind: str) -> Step:  # type: ignore[no-untyped-def]
    return next(s for s in d.steps if s.kind == kind)


def text(e: object) -> str:
    return to_text(e) if e is not None else "None"  # type: ignore[arg-type]


@pytest.mark.parametrize("path", find_problem_files([BANK]), ids=lambda p: p.stem)
def test_every_bank_problem_is_verified_and_starts_with_its_dimension(path: Path) -> None:
    problem = load_problem(path)
    for f in problem.find:
        d = verify(problem, f, derive(problem, f))
        # a second derivative states its own dimension; a Taylor polynomial starts from its definition
        first = "taylor_definition" if f.degree is not None else "second_dimension" if f.first else "dimension"
        assert d.steps[0].kind == first
        assert d.verified is not None and d.verified.max_abs_error < 1e-5


# --- scalar and multivariate (seed 002, first half) -----------------------------------


def test_chain_rule_2x_plus_1() -> None:
    d = solve("1-scalar/chain-rule-2x-plus-1.yaml")["dh/dx"]
    assert text(d.result.closed) == "8 * (2 * x + 1) ** 3"
    chain = next(s for s in d.steps if s.kind == "rule" and s.facts.get("rule") == "chain")
    assert text(chain.facts["inner"]) == "2 * x + 1"


def test_partials_of_x_plus_2y_cubed_squared() -> None:
    r = solve("2-multivariate/partials-x-plus-2y3.yaml")
    assert text(r["df/dx"].result.closed) == "2 * (x + 2 * y ** 3)"
    assert text(r["df/dy"].result.closed) == "12 * y ** 2 * (x + 2 * y ** 3)"


def test_gradient_of_x1_x2_is_a_row_vector() -> None:
    r = solve("2-multivariate/gradient-x1-x2.yaml")
    assert text(r["df/dx[1]"].result.closed) == "2 * x[1] * x[2] + x[2] ** 3"
    assert text(r["df/dx[2]"].result.closed) == "x[1] ** 2 + 3 * x[1] * x[2] ** 2"
    g = r["df/dx"]
    assert g.result.printed == (1, 2) and g.result.shape == (2,)
    assert text(g.result.closed) == "[[2 * x[1] * x[2] + x[2] ** 3, x[1] ** 2 + 3 * x[1] * x[2] ** 2]]"
    assert step(g, "dimension").math[0].parts[1] == Space(((), (2,)), row=True)


def test_chain_rule_along_sin_and_cos() -> None:
    d = solve("2-multivariate/chain-rule-sin-cos.yaml")["df/dt"]
    assert kinds(d)[:2] == ["dimension", "chain_rule"]
    assert step(d, "chain_rule").facts["via"] == ["x1", "x2"]
    assert text(d.result.closed) == "2 * sin(t) * (cos(t) - 1)"


def test_composition_f_of_g_has_shapes_1x2_and_2x1() -> None:
    d = solve("2-multivariate/composition-f-of-g.yaml")["dh/dt"]
    chain = step(d, "chain_rule")
    unders = [f for f in chain.math[-1].parts[1].factors if isinstance(f, Under)]
    assert [u.shape for u in unders] == [(1, 2), (2,)]
    factors = [s for s in d.steps if s.kind == "factor"]
    assert text(factors[0].math[0].parts[1]) == "[[exp(x[1] * x[2] ** 2) * x[2] ** 2, 2 * x[1] * x[2] * exp(x[1] * x[2] ** 2)]]"
    assert text(factors[1].math[0].parts[1]) == "[cos(t) - t * sin(t), sin(t) + t * cos(t)]"


def test_gradient_by_s_and_t() -> None:
    d = solve("2-multivariate/chain-rule-s-t.yaml")["df/d(s, t)"]
    assert d.result.shape == (2,)
    # f = (st)^2 (s + t^2): df/ds = 3s^2t^2 + 2st^4, df/dt = 2s^3t + 4s^2t^3
    assert text(d.result.closed) == "[[3 * s ** 2 * t ** 2 + 2 * s * t ** 4, 2 * s ** 3 * t + 4 * s ** 2 * t ** 3]]"


def test_jacobian_of_concrete_linear_map_is_the_matrix() -> None:
    d = solve("2-multivariate/jacobian-linear-map.yaml")["df/dx"]
    assert text(d.result.closed) == "[[1, 2, 3], [4, 5, 6]]"


# --- vectors and matrices (seeds 000, 001, 002 second half, 003, 004) -------------------------


def test_least_squares_example_5_11() -> None:
    d = solve("3-matrix/least-squares.yaml")["dL/dtheta"]
    assert kinds(d) == ["dimension", "chain_rule", "factor", "factor", "multiply", "substitute"]
    assert step(d, "dimension").math[0].parts[1] == Space(((), ("D",)), row=True)
    unders = [f for f in step(d, "chain_rule").math[-1].parts[1].factors if isinstance(f, Under)]
    assert [u.shape for u in unders] == [(1, "N"), ("N", "D")]
    dl_de, de_dtheta = [s for s in d.steps if s.kind == "factor"]
    assert text(dl_de.math[0].parts[1]) == "2 * e.T"
    assert text(de_dtheta.math[0].parts[1]) == "-Phi"
    assert text(step(d, "multiply").math[0].parts[-1]) == "-2 * e.T @ Phi"
    assert text(d.result.closed) == "-2 * (y - Phi @ theta).T @ Phi"


def test_gradient_of_Ax_by_x_is_A() -> None:
    d = solve("3-matrix/gradient-Ax-by-x.yaml")["df/dx"]
    assert str(d.result.index) == "d f[i] / d x[j] = A[i,j]"
    assert text(d.result.closed) == "A"


def test_gradient_of_Ax_by_A_example_5_12() -> None:
    d = solve("3-matrix/gradient-Ax-by-A.yaml")["df/dA"]
    assert kinds(d) == ["dimension", "index_notation", "partials", "stack", "collate", "explicit"]
    dim = step(d, "dimension")
    assert dim.math[0].parts[1] == Space((("M",), ("M", "N")))
    assert dim.math[1].parts[1] == Space(((1,), ("M", "N")))
    assert str(step(d, "index_notation").math[0].parts[1]) == "sum_{j=1..N} A[i,j]*x[j]"
    assert str(d.result.index) == "d f[i] / d A[k,q] = delta(i,k)*x[q]"
    stack = step(d, "stack")
    assert text(stack.math[0].parts[1]) == "x.T"
    assert stack.math[0].parts[2] == Space(((1,), (1,), ("N",)))
    assert d.result.closed is None and d.result.shape == ("M", "M", "N")
    assert [[[text(c) for c in row] for row in sl] for sl in d.result.explicit] == [
        [["x[1]", "x[2]", "x[3]"], ["0", "0", "0"]],
        [["0", "0", "0"], ["x[1]", "x[2]", "x[3]"]],
    ]


def test_gradient_of_RtR_example_5_13_case_analysis() -> None:
    d = solve("3-matrix/gradient-RtR.yaml")["dK/dR"]
    assert str(step(d, "index_notation").math[0].parts[1]) == "sum_{m=1..M} R[m,p]*R[m,q]"
    assert str(d.result.index) == "d K[p,q] / d R[i,j] = delta(p,j)*R[i,q] + delta(q,j)*R[i,p]"
    cases = step(d, "cases").math[0].parts[1]
    assert isinstance(cases, Cases)
    assert [(str(v) if not hasattr(v, "value") else "0", c) for v, c in cases.cases] == [
        ("R[i,q]", "j = p, p ≠ q"),
        ("R[i,p]", "j = q, p ≠ q"),
        ("2*R[i,q]", "j = p, p = q"),
        ("0", "otherwise"),
    ]


def test_figure_5_7_both_routes() -> None:
    d = solve("3-matrix/figure-5-7.yaml")["dA/dx"]
    assert d.result.shape == (4, 2, 3)
    assert "vec" in kinds(d) and "collate" in kinds(d)


def test_neural_network_layer() -> None:
    r = solve("3-matrix/neural-network-layer.yaml")
    assert text(r["df/dx"].result.closed) == "diag(sigma(A @ x + b) * (1 - sigma(A @ x + b))) @ A"
    assert text(r["df/db"].result.closed) == "diag(sigma(A @ x + b) * (1 - sigma(A @ x + b)))"
    # Through z = Ax + b (the statement names it): the chain rule, with dz/dA a tensor known by its entries.
    assert r["df/dA"].result.closed is None and r["df/dA"].result.index is not None
    assert "chain_rule" in kinds(r["df/dA"])


def test_squared_error_by_A_in_index_notation() -> None:
    d = solve("3-matrix/squared-error-by-A.yaml")["df/dA"]
    assert str(step(d, "multiply").math[0].parts[-1]) == "2*g[i]*x[j]"
    assert text(d.result.closed) == "2 * (A @ x - y) @ x.T"


def test_quadratic_form_through_a_matrix_is_an_index_sum() -> None:
    d = solve("3-matrix/quadratic-form-of-rotation.yaml")["df/dtheta"]
    assert text(d.result.closed) == "-sin(theta) * (x[1] ** 2 + 2 * x[2] ** 2)"


@pytest.mark.parametrize("rel, find, closed, identity", [
    ("4-identities/5-100-trace.yaml", "df/dX", "A.T", "5.100"),
    ("4-identities/5-101-determinant.yaml", "df/dX", "det(X) * inv(X).T", "5.101"),
    ("4-identities/5-101-log-determinant.yaml", "df/dX", "inv(X).T", None),
    ("4-identities/5-103-inverse-bilinear.yaml", "df/dX", "-inv(X).T @ a @ b.T @ inv(X).T", "5.103"),
    ("4-identities/5-104-x-transpose-a.yaml", "df/dx", "a.T", "5.104"),
    ("4-identities/5-105-a-transpose-x.yaml", "df/dx", "a.T", "5.105"),
    ("4-identities/5-106-bilinear.yaml", "df/dX", "a @ b.T", "5.106"),
    ("4-identities/5-107-quadratic-form.yaml", "df/dx", "x.T @ (B + B.T)", "5.107"),
    ("4-identities/5-108-weighted-residual.yaml", "df/ds", "-2 * (x - A @ s).T @ W @ A", "5.108"),
])
def test_identities(rel: str, find: str, closed: str, identity: str | None) -> None:
    d = solve(rel)[find]
    assert text(d.result.closed) == closed
    assert step(d, "closed_form").facts["identity"] == identity


def test_tensor_identities_are_cited_and_5_102_justified() -> None:
    t = solve("4-identities/5-099-transpose.yaml")["dF/dX"]
    assert step(t, "closed_form").facts["identity"] == "5.99"
    assert str(t.result.index) == "d F[p,q] / d X[i,j] = delta(q,i)*B[j,p]"
    inv = solve("4-identities/5-102-inverse.yaml")["dF/dX"]
    assert str(inv.result.index) == "d F[p,q] / d X[i,j] = -inv(X)[p,i]*inv(X)[j,q]"
    assert step(inv, "closed_form").facts["identity"] == "5.102"
    assert step(inv, "justify").facts["identity"] == "5.102"


def test_5_108_derived_through_z_uses_symmetry() -> None:
    d = solve("4-identities/5-108-derivation.yaml")["df/ds"]
    dz = next(s for s in d.steps if s.kind == "factor")
    assert text(dz.math[0].parts[1]) == "2 * z.T @ W"
    assert text(d.result.closed) == "-2 * (x - A @ s).T @ W @ A"
