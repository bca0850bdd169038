"""Sentences and display LaTeX: per step kind, the display objects, and the refusal to show unchecked results."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest_render import ALL, Tex, chain_polynomial, f_equals_Ax, least_squares

from derivgen.derivation import Block, Cases, Deriv, Entry, Product, Relation, Space, Step, Text, Tuple, Under
from derivgen.errors import RenderError
from derivgen.problem.expr import BinOp, Name, Num, Transpose
from derivgen.problem.model import Problem, Var
from derivgen.render.mathlatex import MathLatex
from derivgen.render.narrate import (
    Para,
    present,
    present_answer,
    present_result,
    printer_for,
    verification_text,
)
from derivgen.render.notation import is_array_fn, symbols_for


def printer() -> MathLatex:
    return printer_for(least_squares()[0])


def test_symbols_bold_arrays_plain_scalars_and_overrides() -> None:
    p = Problem(id="p", title="t", path=Path("p.yaml"),
                given=(Var("theta", ("D",)), Var("Phi", ("N", "D")), Var("t", ()), Var("A", (2, 2), latex=r"\mathbf{A}")))
    assert symbols_for(p) == {"theta": r"\boldsymbol{\theta}", "Phi": r"\boldsymbol{\Phi}", "t": "t", "A": r"\mathbf{A}"}
    is_array = is_array_fn(p)
    assert is_array(BinOp("@", Name("Phi"), Name("theta"))) and not is_array(Name("t"))
    assert not is_array(Name("unknown")) and not is_array(BinOp("@", Name("theta"), Name("theta")))


@pytest.mark.parametrize(("obj", "latex"), [
    (Deriv(Name("L"), Name("theta")), r"\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{\theta}}"),
    (Deriv(Entry("f", ("i",)), Entry("A", ("k", "q")), True), r"\frac{\partial f_{i}}{\partial A_{kq}}"),
    (Deriv(Name("f"), Tuple((Name("s"), Name("t")))), r"\frac{\mathrm{d}f}{\mathrm{d}(s, t)}"),
    (Entry("A", ("i", ":")), "A_{i,:}"),
    (Entry("A", ("k≠i", ":")), r"A_{k \neq i,:}"),
    (Entry("Phi", ("n", "d")), r"\Phi_{nd}"),
    (Space((("M",), ("M", "N"))), r"\mathbb{R}^{M\times (M\times N)}"),
    (Space(((), ("D",)), row=True), r"\mathbb{R}^{1\times D}"),
    (Space(((), ("M", "N"))), r"\mathbb{R}^{M\times N}"),
    (Space(((), ())), r"\mathbb{R}"),
    (Under(Name("x"), (1, "N")), r"\underbrace{x}_{1\times N}"),
    (Product((Name("a"), Name("b"))), r"a\,b"),
    (Block(((Num(1), Num(0)), (Num(0), Num(1)))), r"\begin{bmatrix}1 & 0 \\ 0 & 1\end{bmatrix}"),
    (Cases(((Num(1), "j = p, p ≠ q"), (Num(0), "otherwise"))),
     r"\begin{cases}1 & \text{if } j = p,\ p \neq q \\ 0 & \text{otherwise}\end{cases}"),
    (Text("where x_1 = t & 50%"), r"\text{where x\_1 = t \& 50\%}"),
    (Relation((Name("u"), Name("v")), (":=",)), r"u \mathrel{:=} v"),
    (Relation((Name("a"), Name("b"), Name("c")), ("=", "∈")), r"a = b \in c"),
    (Relation((Name("a"), Name("b")), ("⇒",)), r"a \Rightarrow b"),
    (Tex(r"\delta_{ik} x_{q}"), r"\delta_{ik} x_{q}"),
    (Transpose(Num(0)), r"\boldsymbol{0}^{\top}"),
    (BinOp("^", Name("u"), Num(4)), "u^{4}"),
])
def test_display_objects(obj: object, latex: str) -> None:
    assert printer().print(obj) == latex


def test_unknown_object_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="cannot typeset a dict"):
        printer().print({})


def test_long_chain_becomes_aligned() -> None:
    long, other = Tex("x" * 60), Tex("y" * 60)
    out = printer().display(Relation((Name("a"), long, other, Name("c")), ("=", "=", "∈")))
    assert out == r"\begin{aligned}a &= " + "x" * 60 + r" \\ &= " + "y" * 60 + r" \in c\end{aligned}"


def test_a_part_that_repeats_the_one_before_it_is_printed_once() -> None:
    """∂L/∂p = (1 − y)/(1 − p) − y/p = (1 − y)/(1 − p) − y/p: a tidying a reader cannot see."""
    long = Tex("x" * 60)
    assert printer().display(Relation((Name("a"), long, long, Name("c")), ("=", "=", "∈"))) == \
        "a = " + "x" * 60 + r" \in c"
    assert printer().print(Relation((Name("a"), Name("b"), Name("b")), ("=", "="))) == "a = b"
    assert printer().print(Relation((Name("a"), Name("a")), ("⇒",))) == r"a \Rightarrow a"


def test_present_gives_one_para_per_step_with_nested_depths() -> None:
    problem, [d] = chain_polynomial()
    problem = dataclasses.replace(problem, options={"detail": "full"})
    paras = present(d, problem)
    assert [(p.kind, p.depth) for p in paras] == [("dimension", 0), ("rule", 0), ("rule", 1), ("rule", 1), ("substitute", 0)]
    assert paras[1].text == ("By the chain rule with $u = 2 x + 1$: differentiate $u^{4}$ with respect to $u$, "
                             "then multiply by the derivative of $u$.")
    assert all(isinstance(p, Para) and p.display for p in paras)


def test_dimension_sentences_name_the_kind_of_result() -> None:
    for make, word in ((least_squares, "a row vector"), (f_equals_Ax, "a tensor of order 3"), (chain_polynomial, "a scalar")):
        problem, [d] = make()
        assert word in present(d, problem)[0].text
    problem, [d] = f_equals_Ax()
    assert present(d, problem)[0].text.endswith("(the output's dimensions, then the input's).")


@pytest.mark.parametrize(("step", "words"), [
    (Step("closed_form", facts={"identity": "5.106"}), "In matrix form, by identity (5.106):"),
    (Step("closed_form", facts={"rules": ["product", "transpose"]}), "using the product rule:"),
    (Step("closed_form", facts={"rules": ["sum", "transpose"]}), "using the sum and transpose rules"),
    (Step("index_notation", facts={"ranges": [("i", "M")]}), r"for $i = 1, \ldots, M$."),
    (Step("partials", facts={"by": "A_kq"}), "with respect to $A_{kq}$"),
    (Step("stack", facts={"entry": "i"}), "output entry $f_{i}$"),
    (Step("explicit", facts={"sizes": {"M": 2, "N": 3}}), "$M = 2$ and $N = 3$"),
    (Step("rule", facts={"rule": "quotient"}), "quotient rule"),
    (Step("rule", facts={"rule": "brand_new"}), "By the brand new rule:"),
    (Step("teleport", facts={"weird": object()}), "Next, the teleport step:"),
    (Step("chain_rule", facts={"via": ["e"]}), r"through $\boldsymbol{e}$"),
    (Step("substitute", facts={"names": ["e"]}), r"Replace $\boldsymbol{e}$ by its definition"),
    (Step("gradient", facts={"kind": "jacobian"}), "Jacobian matrix"),
])
def test_sentences_per_kind(step: Step, words: str) -> None:
    problem, [d] = f_equals_Ax() if step.kind in ("stack", "partials") else least_squares()
    problem = dataclasses.replace(problem, options={"detail": "full"})
    d = dataclasses.replace(d, steps=(step,))
    assert words in present(d, problem)[0].text


def test_result_and_answer() -> None:
    problem, [d] = least_squares()
    assert present_result(d, problem) == r"-2 \left(\boldsymbol{y} - \boldsymbol{\Phi} \boldsymbol{\theta}\right)^{\top} \boldsymbol{\Phi}"
    assert present_answer(d, problem).endswith(r"\in \mathbb{R}^{1\times D}")
    problem, [d] = f_equals_Ax()
    assert present_result(d, problem) == r"\frac{\partial f_{i}}{\partial A_{kq}} = \delta_{ik} x_{q}"


def test_verification_text_and_refusal() -> None:
    _problem, [d] = least_squares()
    assert verification_text(d) == ("Checked against central finite differences at 3 random points "
                                    "(N = 3, D = 2): largest difference 1.2e-10.")
    with pytest.raises(RenderError, match="has not been verified"):
        verification_text(dataclasses.replace(d, verified=None))


@pytest.mark.parametrize("level", ["answer", "lecture", "full"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_every_fixture_reads_as_a_solution_at_every_level(name: str, level: str) -> None:
    """What a reader would see: the solution opens by saying what the derivative is, ``answer`` shows only
    that, the other levels show the steps, and no paragraph leaks Python or unbalanced math."""
    problem, derivations = ALL[name]()
    problem = dataclasses.replace(problem, options={"detail": level})
    for d in derivations:
        paras = present(d, problem)
        assert paras[0].text.startswith("First, the dimension: the "), paras[0].text
        assert (len(paras) == 1) == (level == "answer"), [p.kind for p in paras]
        for p in paras:
            assert p.text and p.text.count("$") % 2 == 0, p.text
            assert not re.search(r"\bNone\b|object at 0x|\{'|\[\]|\(\)", p.text), p.text
            for tex in p.display:
                assert tex.strip() and tex.count("{") == tex.count("}"), tex
                assert tex.count(r"\left") == tex.count(r"\right"), tex
