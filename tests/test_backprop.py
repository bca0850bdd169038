"""``method: backprop``: the forward and backward tables of MML Example 5.14 against NumPy.

The expected numbers are computed here from the formulas of the example written
again in NumPy (forward values) and by central differences of f as a function of
each intermediate variable (adjoints), so derivgen's evaluator is not behind them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from derivgen.check.verify import verify
from derivgen.derivation import Table
from derivgen.engine.derive import derive
from derivgen.errors import DerivationError, ProblemError
from derivgen.problem.expr import Name, Num
from derivgen.problem.loader import load_problem
from derivgen.render.graph import layout
from derivgen.render.html import render_sheet_html
from derivgen.render.latex import render_problem_tex
from derivgen.render.markdown import render_problem_md

SHEET = Path(__file__).resolve().parent.parent / "problems" / "6-routes"


def table_of(step_kind: str, name: str = "backprop-example-5-14") -> tuple[object, Table]:
    problem = load_problem(SHEET / f"{name}.yaml")
    d = derive(problem, problem.find[0])
    step = next(s for s in d.steps if s.kind == step_kind)
    table = step.math[0].parts[0]
    assert isinstance(table, Table)
    return d, table


def column(table: Table, key: str) -> dict[str, float]:
    out = {}
    for row in table.rows:
        head, value = row[0], row[-1]
        assert isinstance(value, Num)
        name = head.id if isinstance(head, Name) else head.wrt.id  # type: ignore[union-attr]
        out[name] = float(value.value)
    return out


def derivative(g, at: float, h: float = 1e-6) -> float:  # type: ignore[no-untyped-def]
    return (g(at + h) - g(at - h)) / (2 * h)


X = 1.0
A = X**2
B = np.exp(A)
C = A + B


def test_the_forward_pass_of_example_5_14() -> None:
    _, table = table_of("forward")
    expected = {"a": A, "b": B, "c": C, "d": np.sqrt(C), "e": np.cos(C), "f": np.sqrt(C) + np.cos(C)}
    got = column(table, "value")
    assert list(got) == list(expected)  # the intermediate variables in order (x = 1 is in the sentence)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-3)


def test_the_backward_pass_of_example_5_14() -> None:
    _, table = table_of("backward")
    expected = {
        "f": 1.0,
        "e": 1.0,
        "d": 1.0,
        "c": derivative(lambda c: np.sqrt(c) + np.cos(c), C),
        "b": derivative(lambda b: np.sqrt(A + b) + np.cos(A + b), B),
        "a": derivative(lambda a: np.sqrt(a + np.exp(a)) + np.cos(a + np.exp(a)), A),
        "x": derivative(lambda x: np.sqrt(x**2 + np.exp(x**2)) + np.cos(x**2 + np.exp(x**2)), X),
    }
    got = column(table, "adjoint")
    assert list(got) == list(expected)  # from the output back to the input
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-3), name


def test_the_adjoint_of_the_input_is_the_symbolic_derivative_there() -> None:
    d, _ = table_of("backward")
    link = d.steps[-1]
    assert link.kind == "link"
    assert link.facts["adjoint"] == pytest.approx(
        derivative(lambda x: np.sqrt(x**2 + np.exp(x**2)) + np.cos(x**2 + np.exp(x**2)), X), rel=1e-7)
    problem = load_problem(SHEET / "backprop-example-5-14.yaml")
    assert verify(problem, problem.find[0], d).verified is not None  # the closed form, at random points


def test_only_the_edges_on_a_path_from_the_input_are_differentiated() -> None:
    _, table = table_of("local", "backprop-logistic-neuron")
    edges = table.rows[0][1:]  # one column per edge: the derivative, its formula, its value
    assert [(e.of.id, e.wrt.id) for e in edges] == [("z", "w"), ("p", "z"), ("L", "p")]  # type: ignore[union-attr]
    assert [float(v.value) for v in table.rows[2][1:]] == [2.0, 0.25, -2.0]  # type: ignore[union-attr]
    _, backward = table_of("backward", "backprop-logistic-neuron")
    sigma = 1 / (1 + np.exp(-(0.5 * 2 - 1)))
    assert column(backward, "adjoint")["w"] == pytest.approx(2 * (sigma - 1))


def test_the_page_shows_the_graph_as_a_parents_column() -> None:
    problem = load_problem(SHEET / "backprop-example-5-14.yaml")
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    page = render_problem_md(problem, [d])
    assert r"\begin{matrix}\text{node} & \text{parents} & \text{definition} & \text{value} \\ \hline" in page
    assert r"c & (a, b) & a + b & 3.718" in page
    assert "The backward pass: the adjoint of a node" in page


def test_the_graph_is_drawn_in_the_pdf_and_in_html() -> None:
    problem = load_problem(SHEET / "backprop-example-5-14.yaml")
    d = verify(problem, problem.find[0], derive(problem, problem.find[0]))
    tex = render_problem_tex(problem, [d], True, "1", None)
    picture = tex[tex.index(r"\begin{picture}"):tex.index(r"\end{picture}")]
    assert picture.count(r"\circle{20}") == 7  # x and a to f
    assert picture.count(r"\qbezier") == 3 * 8  # eight edges, each a curve and an arrowhead of two strokes
    page = render_sheet_html("Backprop", [(problem, [d])], assets="inline")
    drawing = page[page.index("<svg class=\"graph\""):page.index("</svg>", page.index("<svg class=\"graph\""))]
    assert drawing.count("<circle") == 7 and drawing.count("<path") == 8


def test_the_layout_puts_every_node_right_of_its_parents() -> None:
    nodes = ["x", "a", "b", "c", "d", "e", "f"]
    parents = {"a": ["x"], "b": ["a"], "c": ["a", "b"], "d": ["c"], "e": ["c"], "f": ["d", "e"]}
    at = layout(nodes, parents).at
    assert all(at[p][0] < at[c][0] for c, ps in parents.items() for p in ps)
    assert at["d"][0] == at["e"][0] and at["d"][1] != at["e"][1]  # one layer, one above the other


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text("title: t\n" + body, encoding="utf-8")
    return path


def test_without_numbers_the_route_says_what_to_add(tmp_path: Path) -> None:
    problem = load_problem(write(tmp_path, "given: {x: scalar}\ndefine: {f: sin(x)}\nfind: [df/dx]\n"
                                           "method: backprop\n"))
    with pytest.raises(DerivationError, match=r"method: backprop needs a number for x: add values: \{x: 1.5\}"):
        derive(problem, problem.find[0])


def test_arrays_are_refused(tmp_path: Path) -> None:
    problem = load_problem(write(tmp_path, "given: {x: scalar, a: [N]}\ndefine: {v: x * a, f: v.T @ v}\n"
                                           "find: [df/dx]\nmethod: backprop\nvalues: {x: 1}\n"))
    with pytest.raises(DerivationError, match="method: backprop takes scalar defines; v is an array"):
        derive(problem, problem.find[0])


def test_values_name_scalar_givens_and_hold_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "given: {x: scalar, a: [N]}\ndefine: {f: x}\nfind: [df/dx]\n"
                           "values: {x: one, a: 2, z: 3}\n")
    with pytest.raises(ProblemError) as e:
        load_problem(path, display_path="p.yaml")
    assert str(e.value).splitlines() == [
        "p.yaml:5:13: values.x: expected a number, e.g. x: 1.5",
        "p.yaml:5:18: values.a: a is not a scalar given (scalar givens: x)",
        "p.yaml:5:24: values.z: z is not a scalar given (scalar givens: x)",
    ]


def test_a_rule_under_a_heading_passes_the_tex_whitelist_only_inside_a_table() -> None:
    from derivgen.render.texmath import sanitize_math

    assert sanitize_math(r"\begin{matrix}a \\ \hline b\end{matrix}") == r"\begin{matrix}a \\ \hline  b\end{matrix}"
    assert sanitize_math(r"\hline x") == r"\text{\textbackslash{}hline} x"  # shown, never run
