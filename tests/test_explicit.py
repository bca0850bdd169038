"""Explicit derivatives: Jacobians of literal vector fields, and Figure 5.7 both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivgen.derivation import Block, Deriv, Entry, Relation, Space, Tuple
from derivgen.engine.explicit import array_by_vector, jacobian
from derivgen.problem.expr import BinOp, Call, Expr, Index, Name, Neg, Num, add, call, mul, pow_, sub
from derivgen.problem.text import to_text

x, s, t = Name("x"), Name("s"), Name("t")
x1, x2, x3 = (Index(x, (k,)) for k in (1, 2, 3))


def value(e: Expr, point: dict[Expr, float]) -> float:
    """A plain float evaluator, independent of the engine and of SymPy."""
    if isinstance(e, Num):
        return float(e.value)
    if isinstance(e, (Name, Index)):
        return point[e]
    if isinstance(e, Neg):
        return -value(e.arg, point)
    if isinstance(e, Call):
        funcs = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log, "sqrt": math.sqrt}
        return funcs[e.func](value(e.args[0], point))
    assert isinstance(e, BinOp)
    a, b = value(e.left, point), value(e.right, point)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.nan, "^": a**b}[e.op]


# --- Jacobians ----------------------------------------------------------------------------------


def test_jacobian_of_Ax_with_concrete_entries_is_A() -> None:
    A = [[Num(1), Num(-2), Num(3)], [Num(4), Num(0), Num(5)]]
    f = [add(add(mul(a[0], x1), mul(a[1], x2)), mul(a[2], x3)) for a in A]
    j = jacobian(f, "f", (x1, x2, x3), "x")
    assert j.shape == (2, 3)
    assert j.entries == tuple(tuple(r) for r in A)


def test_jacobian_of_Ax_with_symbolic_entries_is_A() -> None:
    names = [[Name(f"a{i}{k}") for k in (1, 2)] for i in (1, 2)]
    f = [add(mul(a[0], x1), mul(a[1], x2)) for a in names]
    assert jacobian(f, "f", (x1, x2), "x").entries == tuple(tuple(r) for r in names)


def test_jacobian_steps_group_per_entry_then_collect() -> None:
    f = [mul(x1, x2), call("sin", x1)]
    j = jacobian(f, "f", (x1, x2), "x")
    assert [st.kind for st in j.steps] == ["partials", "partials", "gradient"]
    first = j.steps[0]
    assert first.facts == {"by": "x", "entry": "1"}
    f1 = Entry("f", ("1",))
    assert first.math == (
        Relation((f1, f[0])),
        Relation((Deriv(f1, x1, True), x2)),
        Relation((Deriv(f1, x2, True), x1)),
    )
    assert all(sub_step.kind == "rule" for sub_step in first.substeps)
    collect, rule = j.steps[-1].math
    assert j.steps[-1].facts == {"kind": "jacobian"}
    assert collect.parts[0] == Deriv(Name("f"), x)
    assert collect.parts[2] == Block(((x2, x1), (call("cos", x1), Num(0))))
    assert collect.parts[3] == Space(((2, 2),))
    assert rule == Relation((Entry("J", ("i", "j")), Deriv(Entry("f", ("i",)), Entry("x", ("j",)), True)))


def test_jacobian_by_two_scalars_s_t() -> None:
    f = [mul(s, t), add(pow_(s, Num(2)), t)]
    j = jacobian(f, "x", (s, t), "(s, t)")
    assert [[to_text(e) for e in row] for row in j.entries] == [["t", "s"], ["2 * s", "1"]]
    assert j.steps[-1].math[0].parts[0] == Deriv(Name("x"), Tuple((s, t)))


# --- Figure 5.7: dA/dx for A ∈ R^{4×2}, x ∈ R^3 -------------------------------------------------

A_OF_X = (
    (mul(x1, x2), call("sin", x3)),
    (pow_(x1, Num(2)), Num(5)),
    (call("exp", mul(x2, x3)), sub(x1, x3)),
    (mul(Num(3), x2), mul(x1, mul(x2, x3))),
)


def finite_differences(point: np.ndarray) -> np.ndarray:
    h = 1e-6
    out = np.zeros((4, 2, 3))
    for k in range(3):
        up, down = point.copy(), point.copy()
        up[k] += h
        down[k] -= h
        for p in range(4):
            for q in range(2):
                entry = A_OF_X[p][q]
                above = value(entry, {x1: up[0], x2: up[1], x3: up[2]})
                below = value(entry, {x1: down[0], x2: down[1], x3: down[2]})
                out[p, q, k] = (above - below) / (2 * h)
    return out


def test_figure_5_7_both_routes_agree_and_match_finite_differences() -> None:
    both = array_by_vector(A_OF_X, "A", (x1, x2, x3), "x")
    partials = array_by_vector(A_OF_X, "A", (x1, x2, x3), "x", routes=("partials",))
    vec = array_by_vector(A_OF_X, "A", (x1, x2, x3), "x", routes=("vec",))
    assert both.shape == (4, 2, 3)
    assert both.entries == partials.entries == vec.entries
    rng = np.random.default_rng(7)
    for _ in range(3):
        point = rng.uniform(0.3, 1.2, size=3)
        values = {x1: point[0], x2: point[1], x3: point[2]}
        got = np.array([[[value(e, values) for e in cell] for cell in row] for row in both.entries])
        np.testing.assert_allclose(got, finite_differences(point), rtol=1e-6, atol=1e-6)


def test_figure_5_7_entry_layout_is_p_q_k() -> None:
    d = array_by_vector(A_OF_X, "A", (x1, x2, x3), "x")
    assert d.entries[0][0] == (x2, x1, Num(0))  # ∂(x1 x2)/∂x_k
    assert d.entries[0][1] == (Num(0), Num(0), call("cos", x3))
    assert d.entries[3][0] == (Num(0), Num(3), Num(0))


def test_figure_5_7_steps_partials_collate_vec() -> None:
    d = array_by_vector(A_OF_X, "A", (x1, x2, x3), "x")
    assert [st.kind for st in d.steps] == ["partials", "partials", "partials", "collate", "vec"]
    assert d.steps[0].facts == {"by": "x[1]"}
    first_slice = d.steps[0].math[0]
    assert first_slice.parts[0] == Deriv(Name("A"), x1, True)
    assert first_slice.parts[2] == Space(((4, 2),))
    collate = d.steps[3].math[0]
    assert collate.parts[0] == Deriv(Name("A"), x)
    assert collate.parts[-1] == Space(((4, 2, 3),))
    flatten, gradient, reshape = d.steps[4].math
    assert d.steps[4].facts == {"stacking": "columns", "flat_size": 8}
    assert flatten.parts[1] == Block(tuple(
        (Entry("A", (str(p), str(q))),) for q in (1, 2) for p in (1, 2, 3, 4)
    ))
    assert gradient.parts[-1] == Space(((8, 3),))
    assert len(gradient.parts[1].rows) == 8
    assert reshape.parts[-1] == Space(((4, 2, 3),))


def test_unknown_route_is_refused() -> None:
    from derivgen.errors import DerivationError

    with pytest.raises(DerivationError) as err:
        array_by_vector(A_OF_X, "A", (x1,), "x", routes=("flatten",))
    assert str(err.value) == "the routes are 'partials' and 'vec', not flatten"
