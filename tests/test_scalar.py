"""The scalar engine: each rule, the lectures' results, the step tree, and errors."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
import sympy

from derivgen.derivation import Block, Deriv, Product, Relation, Space, Step
from derivgen.engine.scalar.rules import differentiate, partials_and_gradient
from derivgen.engine.scalar.symbolic import equal_scalar, from_sympy, sigma, simplify_scalar, to_sympy
from derivgen.errors import DerivationError
from derivgen.problem.expr import (
    ONE,
    BinOp,
    Call,
    Expr,
    Index,
    Name,
    Neg,
    Num,
    add,
    call,
    div,
    matmul,
    mul,
    pow_,
    sub,
)
from derivgen.problem.text import to_text

x, y, t = Name("x"), Name("y"), Name("t")
x1, x2 = Index(x, (1,)), Index(x, (2,))


def n(v: int | Fraction) -> Num:
    return Num(v)


def rules_in(steps: tuple[Step, ...]) -> list[str]:
    """Every rule name in a step tree, depth first."""
    out: list[str] = []
    for s in steps:
        if s.kind == "rule":
            out.append(str(s.facts["rule"]))
        out += rules_in(s.substeps)
    return out


def reference(e: Expr, wrt: Expr) -> sympy.Expr:
    """SymPy's own derivative, an independent check of the rules."""
    return sympy.diff(to_sympy(e), to_sympy(wrt))


def agrees(result: Expr, ref: sympy.Expr) -> bool:
    return equal_scalar(result, from_sympy(sympy.expand(ref)) if ref != 0 else Num(0))


# --- every rule ------------------------------------------------------------------------------

RULE_CASES = [
    ("sum", add(pow_(x, n(2)), mul(n(3), x))),
    ("difference", sub(pow_(x, n(3)), x)),
    ("constant_multiple", mul(n(5), pow_(x, n(2)))),
    ("constant_multiple", div(pow_(x, n(2)), n(7))),
    ("product", mul(pow_(x, n(2)), call("sin", x))),
    ("quotient", div(x, add(x, ONE))),
    ("power", pow_(x, n(4))),
    ("power", pow_(x, n(-2))),
    ("power", pow_(x, n(Fraction(1, 2)))),
    ("general_power", pow_(n(2), x)),
    ("general_power", pow_(x, x)),
    ("exp", call("exp", x)),
    ("log", call("log", x)),
    ("sin", call("sin", x)),
    ("cos", call("cos", x)),
    ("tan", call("tan", x)),
    ("sqrt", call("sqrt", x)),
    ("tanh", call("tanh", x)),
    ("sigma", call("sigma", x)),
    ("negation", Neg(pow_(x, n(3)))),
]


@pytest.mark.parametrize("rule, e", RULE_CASES, ids=[f"{r}:{to_text(e)}" for r, e in RULE_CASES])
def test_each_rule_is_named_and_correct(rule: str, e: Expr) -> None:
    d = differentiate(e, x)
    assert rule in rules_in(d.steps)
    assert agrees(d.result, reference(e, x))
    assert equal_scalar(d.raw, d.result)


@pytest.mark.parametrize("func", ["exp", "log", "sin", "cos", "tan", "sqrt", "tanh", "sigma"])
def test_chain_rule_through_each_function(func: str) -> None:
    e = call(func, add(pow_(x, n(2)), ONE))
    d = differentiate(e, x)
    top = d.steps[0]
    assert top.facts["rule"] == "chain"
    assert top.facts["inner"] == add(pow_(x, n(2)), ONE)
    assert top.facts["outer"] == call(func, Name("u"))
    assert rules_in(top.substeps)[0] == func  # g'(u) first, then u'(x)
    assert agrees(d.result, reference(e, x))


def test_power_rule_exponents_negative_and_fractional() -> None:
    assert differentiate(pow_(x, n(-2)), x).raw == mul(n(-2), pow_(x, n(-3)))
    half = differentiate(pow_(x, n(Fraction(1, 2))), x)
    assert half.raw == mul(n(Fraction(1, 2)), pow_(x, n(Fraction(-1, 2))))
    assert half.result == half.raw  # (1/2) x^(-1/2) is already as short as it gets


def test_sigma_derivative_is_sigma_times_one_minus_sigma() -> None:
    d = differentiate(call("sigma", x), x)
    assert d.result == mul(call("sigma", x), sub(ONE, call("sigma", x)))
    assert sympy.diff(sigma(sympy.Symbol("z")), sympy.Symbol("z")) == sigma(sympy.Symbol("z")) * (
        1 - sigma(sympy.Symbol("z"))
    )


def test_component_rules_and_partial_symbols() -> None:
    d = differentiate(mul(x1, x2), x2)
    assert d.result == x1
    first = d.steps[0].math[0].parts[0]
    assert first == Deriv(mul(x1, x2), x2, True)
    assert differentiate(x2, x1).result == Num(0)
    assert differentiate(x2, x1).steps[0].facts == {"rule": "component"}


# --- the lectures' examples ---------------------------------------------------------------


def test_chain_rule_example_2x_plus_1_to_the_4() -> None:
    e = pow_(add(mul(n(2), x), ONE), n(4))
    d = differentiate(e, x)
    assert to_text(d.raw) == "4 * (2 * x + 1) ** 3 * 2"
    assert to_text(d.result) == "8 * (2 * x + 1) ** 3"


def test_chain_rule_step_tree_for_2x_plus_1_to_the_4() -> None:
    inner = add(mul(n(2), x), ONE)
    d = differentiate(pow_(inner, n(4)), x)
    chain, tidy = d.steps
    u = Name("u")
    assert chain.kind == "rule"
    assert chain.facts == {"rule": "chain", "inner_name": "u", "inner": inner, "outer": pow_(u, n(4))}
    assert chain.math == (
        Relation((
            Deriv(pow_(inner, n(4)), x),
            Product((Deriv(pow_(u, n(4)), u), Deriv(u, x))),
            Product((mul(n(4), pow_(u, n(3))), n(2))),
            mul(mul(n(4), pow_(inner, n(3))), n(2)),
        )),
    )
    outer_step, inner_step = chain.substeps
    assert outer_step.facts == {"rule": "power"}
    assert outer_step.math[0].parts == (Deriv(pow_(u, n(4)), u), mul(n(4), pow_(u, n(3))))
    assert inner_step.facts == {"rule": "sum"}
    assert inner_step.math[0].parts[-1] == n(2)
    assert tidy == Step("simplify", (Relation((d.raw, d.result)),))


def test_partials_of_x_plus_2y_cubed_squared() -> None:
    e = pow_(add(x, mul(n(2), pow_(y, n(3)))), n(2))
    assert to_text(differentiate(e, x, partial=True).result) == "2 * (x + 2 * y ** 3)"
    assert to_text(differentiate(e, y, partial=True).result) == "12 * y ** 2 * (x + 2 * y ** 3)"


def test_df_dt_with_x1_sin_t_and_x2_cos_t() -> None:
    e = add(pow_(call("sin", t), n(2)), mul(n(2), call("cos", t)))  # x1^2 + 2 x2 with x1 = sin t, x2 = cos t
    assert to_text(differentiate(e, t).result) == "2 * sin(t) * (cos(t) - 1)"


def test_gradient_of_x1_squared_x2_plus_x1_x2_cubed() -> None:
    e = add(mul(pow_(x1, n(2)), x2), mul(x1, pow_(x2, n(3))))
    g = partials_and_gradient(e, (x1, x2), of=Name("f"))
    assert [to_text(r) for r in g.results] == ["2 * x[1] * x[2] + x[2] ** 3", "x[1] ** 2 + 3 * x[1] * x[2] ** 2"]
    assert [s.kind for s in g.steps] == ["partials", "partials", "gradient"]
    assert g.steps[0].facts == {"by": "x[1]"}
    last = g.steps[-1]
    assert last.facts == {"kind": "gradient"}
    f = Name("f")
    assert last.math[0] == Relation(
        (Deriv(f, x), Block(((Deriv(f, x1, True), Deriv(f, x2, True)),)), Block((g.results,)),
         Space(((2,),), row=True)),
        ("=", "=", "∈"),
    )


def test_parsed_lecture_expression_if_parser_available() -> None:
    parser = pytest.importorskip("derivgen.problem.parser")
    e = parser.parse_expression("(2*x + 1)^4")
    assert to_text(differentiate(e, x).result) == "8 * (2 * x + 1) ** 3"


# --- steps: trivial ones are not recorded, results match the steps -------------------------


def test_trivial_derivatives_get_no_step_of_their_own() -> None:
    d = differentiate(add(x, n(5)), x)
    assert [s.kind for s in d.steps] == ["rule"]
    assert d.steps[0].facts == {"rule": "sum"} and d.steps[0].substeps == ()
    assert differentiate(n(5), x).steps == (Step("rule", (Relation((Deriv(n(5), x), n(0))),), {"rule": "constant"}),)
    assert differentiate(x, x).steps[0].facts == {"rule": "variable"}


def test_no_simplify_step_when_already_tidy() -> None:
    d = differentiate(call("sin", x), x)
    assert [s.kind for s in d.steps] == ["rule"]
    assert d.raw == d.result == call("cos", x)


def _random_expr(rng: random.Random, depth: int) -> Expr:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([x, x, y, n(rng.randint(1, 4)), n(Fraction(1, 2))])
    kind = rng.choice(["+", "-", "*", "/", "^", "f", "neg"])
    if kind == "f":
        return call(rng.choice(["sin", "cos", "exp", "log", "sqrt", "tanh", "sigma", "tan"]), _random_expr(rng, depth - 1))
    if kind == "neg":
        return Neg(_random_expr(rng, depth - 1))
    if kind == "^":
        return pow_(_random_expr(rng, depth - 1), rng.choice([n(2), n(3), n(-1), n(Fraction(1, 2))]))
    return BinOp(kind, _random_expr(rng, depth - 1), _random_expr(rng, depth - 1))


def _value(e: sympy.Expr, point: dict[sympy.Symbol, float]) -> float | None:
    v = e.evalf(subs=point)
    return float(v) if v.is_real and v.is_finite else None


@pytest.mark.parametrize("seed", range(60))
def test_raw_and_tidy_results_agree_with_sympy_on_random_expressions(seed: int) -> None:
    rng = random.Random(seed)
    e = _random_expr(rng, 3)
    d = differentiate(e, x)
    assert equal_scalar(d.raw, d.result)
    ref = reference(e, x)
    sx, sy = sympy.Symbol("x"), sympy.Symbol("y")
    for _ in range(3):
        point = {sx: rng.uniform(0.3, 1.3), sy: rng.uniform(0.3, 1.3)}
        want = _value(ref, point)
        got = _value(to_sympy(d.result), point)
        if want is not None and got is not None:
            assert math.isclose(want, got, rel_tol=1e-8, abs_tol=1e-8), (to_text(e), to_text(d.result))
    last = d.steps[-1]
    if last.kind == "simplify":  # raw = [the numerator multiplied out =] tidy
        [rel] = last.math
        assert rel.parts[0] == d.raw and rel.parts[-1] == d.result and len(rel.parts) in (2, 3)
    else:
        assert d.raw == d.result and last.math[0].parts[-1] == d.raw


# --- where no rule applies: said plainly ------------------------------------------------------


@pytest.mark.parametrize(
    "e, wrt, message",
    [
        (matmul(Name("A"), x), t, "no scalar differentiation rule covers 'A @ x': it is a matrix product"),
        (call("det", Name("A")), t,
         "no scalar differentiation rule covers 'det(A)': 'det' is not one of the scalar functions "
         "sin, cos, tan, exp, log, sqrt, tanh, sigma, softplus, log1p, relu, abs, step, sign"),
        (mul(call("f", x), n(2)), x,
         "no scalar differentiation rule covers 'f(x)': 'f' is not one of the scalar functions "
         "sin, cos, tan, exp, log, sqrt, tanh, sigma, softplus, log1p, relu, abs, step, sign"),
        (add(x, x1), x1, "no scalar differentiation rule covers 'x': 'x' is a vector; write its components, such as x[1]"),
        (Call("sin", (x, y)), x, "no scalar differentiation rule covers 'sin(x, y)': 'sin' takes one argument"),
    ],
)
def test_no_rule_applies_message(e: Expr, wrt: Expr, message: str) -> None:
    with pytest.raises(DerivationError) as err:
        differentiate(e, wrt)
    assert str(err.value) == message


def test_differentiating_by_a_non_scalar_is_refused() -> None:
    with pytest.raises(DerivationError) as err:
        differentiate(x, add(x, y))
    assert str(err.value) == "can only differentiate by a scalar name or a component such as x[1], not 'x + y'"


# --- conversion to and from SymPy ----------------------------------------------------------------


def test_round_trip_keeps_components_and_functions() -> None:
    e = mul(call("sigma", x1), call("exp", div(x2, n(3))))
    back = from_sympy(to_sympy(e))
    assert equal_scalar(back, e)
    assert {node for node in (x1, x2)} <= {Index(x, (1,)), Index(x, (2,))}
    assert "x[1]" in to_text(back) and "sigma" in to_text(back)


def test_from_sympy_writes_subtraction_and_division() -> None:
    s, c = sympy.sin(sympy.Symbol("t")), sympy.cos(sympy.Symbol("t"))
    assert to_text(from_sympy(2 * s * c - 2 * s)) == "2 * sin(t) * cos(t) - 2 * sin(t)"
    assert to_text(from_sympy(-3 / sympy.Symbol("x") ** 2)) == "-3 / x ** 2"
    assert from_sympy(sympy.Rational(3, 4)) == Num(Fraction(3, 4))


def test_simplify_scalar_reaches_the_lectures_forms() -> None:
    raw = mul(mul(n(2), add(x, mul(n(2), pow_(y, n(3))))), mul(n(6), pow_(y, n(2))))
    assert to_text(simplify_scalar(raw)) == "12 * y ** 2 * (x + 2 * y ** 3)"
    raw = add(mul(mul(n(2), call("sin", t)), call("cos", t)), mul(n(-2), call("sin", t)))
    assert to_text(simplify_scalar(raw)) == "2 * sin(t) * (cos(t) - 1)"
