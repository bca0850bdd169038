"""The table of built-in functions: complete rows, derivative rules that agree with
finite differences and with SymPy, and a parser that knows exactly the table's names."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

from derivgen.engine.scalar.symbolic import to_sympy
from derivgen.problem.defines import bad_name
from derivgen.problem.evaluate import evaluate
from derivgen.problem.expr import Name
from derivgen.problem.functions import BUILTINS, ELEMENTWISE, FUNCTIONS, Function
from derivgen.problem.logistic import sigma
from derivgen.problem.parser import parse_expression
from derivgen.problem.scope import Scope

ELEMENTWISE_ROWS = [f for f in FUNCTIONS.values() if f.elementwise]
Z = Name("z")


@pytest.mark.parametrize("fn", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_every_row_has_every_field(fn: Function) -> None:
    assert FUNCTIONS[fn.name] is fn
    assert fn.arity == 1 and fn.kind in ("elementwise", "array", "size")
    assert fn.takes and fn.words and fn.note
    assert callable(fn.shape) and callable(fn.numpy)
    assert fn.latex is None or fn.latex.startswith("\\")
    if fn.elementwise:
        assert fn.derivative is not None and fn.sympy is not None and fn.domain is not None
        low, high = fn.domain
        assert low < high
    else:
        assert fn.derivative is None and fn.sympy is None and fn.domain is None
    for f in dataclasses.fields(fn):
        assert f.name in ("derivative", "sympy", "latex", "domain", "numpy_axis") or getattr(fn, f.name) is not None
    assert fn.axis == (fn.numpy_axis is not None)  # sum, softmax and logsumexp take an axis


@pytest.mark.parametrize("fn", ELEMENTWISE_ROWS, ids=ELEMENTWISE)
def test_derivative_rule_matches_finite_differences(fn: Function) -> None:
    rng = np.random.default_rng(5)
    z = rng.uniform(*fn.domain, size=40)  # type: ignore[misc]
    h = 1e-6
    numeric = (np.asarray(fn.numpy(z + h)) - np.asarray(fn.numpy(z - h))) / (2 * h)
    assert fn.derivative is not None
    for rule in (fn.derivative(Z), fn.array_derivative(Z)):
        np.testing.assert_allclose(evaluate(rule, {"z": z}), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", ELEMENTWISE_ROWS, ids=ELEMENTWISE)
def test_derivative_rule_matches_sympy(fn: Function) -> None:
    z = sympy.Symbol("z")
    assert fn.derivative is not None and fn.sympy is not None
    difference = sympy.diff(fn.sympy(z), z) - to_sympy(fn.derivative(Z))
    assert sympy.simplify(difference.replace(sigma, lambda a: 1 / (1 + sympy.exp(-a)))) == 0


@pytest.mark.parametrize("fn", ELEMENTWISE_ROWS, ids=ELEMENTWISE)
def test_numpy_form_matches_sympy(fn: Function) -> None:
    z = sympy.Symbol("z")
    assert fn.sympy is not None
    points = np.linspace(*fn.domain, 7)  # type: ignore[misc]
    want = [float(fn.sympy(z).subs(z, p).evalf()) for p in points]
    np.testing.assert_allclose(fn.numpy(points), want, rtol=1e-12)


def _errors(text: str) -> list[str]:
    scope = Scope(shapes={"x": (3,), "X": (3, 3)}, sizes={}, dims=frozenset({"N"}))
    errors, _ = scope.name_errors(parse_expression(text))
    return [e.message for e in errors]


def test_the_parser_knows_exactly_the_tables_names() -> None:
    assert frozenset(FUNCTIONS) == BUILTINS
    for name, fn in FUNCTIONS.items():
        arg = "N" if fn.kind == "size" else ("X" if fn.takes == "a square matrix" else "x")
        assert _errors(f"{name}({arg})") == []
        assert _errors(name) == [f"{name} is a function: call it, e.g. {name}(x)"]
        assert bad_name(name) == f"{name} is a built-in function; choose another name"
    for name in ("softmax", "logsumexp", "relu", "abs", "softplus", "log1p"):  # the functions courses use
        assert name in FUNCTIONS
    for name in ("dsigma", "gelu", "softmin", "heaviside"):
        assert [e.startswith(f"unknown function '{name}'") for e in _errors(f"{name}(x)")] == [True]
        assert bad_name(name) is None
