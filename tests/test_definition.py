"""``method: definition``: the derivative from the limit of the difference quotient (lecture 5.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from derivgen import cli
from derivgen.check.verify import verify
from derivgen.derivation import Binomial, Derivation, Limit, SumOver, Vanishing
from derivgen.engine.derive import derive
from derivgen.engine.scalar.symbolic import equal_scalar
from derivgen.problem.expr import BinOp, Name, Num
from derivgen.problem.loader import load_problem
from derivgen.problem.model import Problem
from derivgen.problem.parser import parse_expression
from derivgen.render.narrate import present

BANK = Path(__file__).resolve().parent.parent / "problems"


def load(tmp_path: Path, body: str, name: str = "p.yaml") -> Problem:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return load_problem(path)


def derived(problem: Problem, index: int = 0) -> Derivation:
    find = problem.find[index]
    return verify(problem, find, derive(problem, find))


def walk(obj: object) -> list[object]:
    """Every math object inside a relation's parts (display objects and expressions)."""
    out = [obj]
    if isinstance(obj, (Limit, Vanishing, SumOver)):
        out += walk(obj.body)
    elif isinstance(obj, BinOp):
        out += walk(obj.left) + walk(obj.right)
    return out


def objects(step: object) -> list[object]:
    return [o for rel in step.math for part in rel.parts for o in walk(part)]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def lecture() -> tuple[Problem, Derivation]:
    problem = load_problem(BANK / "1-scalar" / "power-from-definition.yaml")
    return problem, derived(problem)


def test_steps_in_the_lectures_order(lecture: tuple[Problem, Derivation]) -> None:
    _, d = lecture
    assert d.method == "definition"
    assert [s.kind for s in d.steps] == ["dimension", "difference_quotient"] + ["limit"] * 5
    assert [s.facts["stage"] for s in d.steps[2:]] == ["expand", "cancel", "divide", "vanish", "evaluate"]


def test_difference_quotient_then_binomial_sum(lecture: tuple[Problem, Derivation]) -> None:
    _, d = lecture
    x, n, h = Name("x"), Name("n"), Name("h")
    dq = d.steps[1]
    (rel,) = dq.math
    assert rel.ops == (":=", "=")
    assert rel.parts[2] == Limit(h, BinOp("/", BinOp("-", BinOp("^", BinOp("+", x, h), n), BinOp("^", x, n)), h))
    expand = d.steps[2]
    sums = [o for o in objects(expand) if isinstance(o, SumOver)]
    assert [(s.lower, s.upper) for s in sums] == [(Num(0), n)]
    assert Binomial(n, Name("i")) in objects(expand)


def test_cancellation_starts_the_sum_at_one(lecture: tuple[Problem, Derivation]) -> None:
    _, d = lecture
    cancel = d.steps[3]
    first, _rest = cancel.math
    assert first.parts[0] == BinOp("^", Name("x"), Name("n"))  # x^n = C(n,0) x^{n-0} h^0
    assert Binomial(Name("n"), Num(0)) in walk(first.parts[1])
    assert [s.lower for s in objects(cancel) if isinstance(s, SumOver)] == [Num(1)]
    divide = d.steps[4]
    (s,) = [o for o in objects(divide) if isinstance(o, SumOver)]
    assert BinOp("^", Name("h"), BinOp("-", Name("i"), Num(1))) in walk(s.body)
    vanish = d.steps[5]
    gone = [o for o in objects(vanish) if isinstance(o, Vanishing)]
    assert len(gone) == 1 and isinstance(gone[0].body, SumOver) and gone[0].body.lower == Num(2)


def test_result_is_n_x_to_the_n_minus_1_and_verified(lecture: tuple[Problem, Derivation]) -> None:
    problem, d = lecture
    assert d.result.closed is not None
    assert equal_scalar(d.result.closed, parse_expression("n * x**(n - 1)"))
    assert d.verified is not None and d.verified.max_abs_error < 1e-6
    text = " ".join(p.text + " ".join(p.display) for p in present(d, problem))
    assert r"\sum_{i = 0}^{n} \binom{n}{i} x^{n - i} h^{i}" in text
    assert "binomial theorem" in text and "natural number" in text
    assert r"\underbrace" in text and "n x^{n - 1}" in text


POLY = """\
title: from the definition
given:
  x: scalar
  a: scalar
define:
  f: x**2 + 3*x
  g: a*x**3 - x/2 + 7
  p: x**5
  e: exp(x)
  r: 1/x
find:
  - df/dx
  - dg/dx
  - dp/dx
  - de/dx
  - dr/dx
method: definition
"""


@pytest.mark.parametrize("index, expected", [
    (0, "2*x + 3"), (1, "3*a*x**2 - 1/2"), (2, "5*x**4"), (3, "exp(x)"), (4, "-1/x**2"),
])
def test_polynomials_and_standard_functions(tmp_path: Path, index: int, expected: str) -> None:
    problem = load(tmp_path, POLY)
    d = derived(problem, index)
    assert d.verified is not None
    assert d.result.closed is not None and equal_scalar(d.result.closed, parse_expression(expected))
    assert d.steps[1].kind == "difference_quotient"
    assert all(s.kind == "limit" for s in d.steps[2:])


def test_polynomial_written_out(tmp_path: Path) -> None:
    problem = load(tmp_path, POLY)
    d = derived(problem, 0)
    assert [s.facts["stage"] for s in d.steps[2:]] == ["expand", "cancel", "divide", "vanish", "evaluate"]
    text = "\n".join(p.text + "\n" + "\n".join(p.display) for p in present(d, problem))
    assert r"x^{2} + 2 x h + h^{2} + 3 x + 3 h - \left(x^{2} + 3 x\right)" in text
    assert r"\frac{2 x h + 3 h + h^{2}}{h}" in text
    assert r"\left(2 x + 3 + h\right)" in text


def test_refusal_names_what_is_supported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("title: bad\ngiven:\n  x: scalar\ndefine:\n  f: sin(x)*x\nfind:\n  - df/dx\n"
                    "method: definition\n", encoding="utf-8")
    assert cli.main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "method: definition" in ln)
    assert line.startswith(f"{path}:7:5: find 'df/dx': ")
    for supported in ("x**n", "polynomials", "exp(x)", "1/x"):
        assert supported in line
    assert "sin(x) * x is none of these" in line


def test_definition_is_a_known_method(tmp_path: Path) -> None:
    problem = load(tmp_path, "title: t\ngiven:\n  x: scalar\nfind: dx/dx\nmethod: definition\n")
    assert problem.options["method"] == "definition"
