"""The display objects the engine builds, printed by type in ``render/`` (the engine never prints)."""

from __future__ import annotations

import pytest

from derivgen.derivation import Bracket, Deriv, Dots, Entry, EntryOf, Product, SumEntries, Symmetric
from derivgen.derivation.index_form import Delta, Ent, Idx, IExpr, IndexForm, Term, iexpr_text, prettify
from derivgen.problem.expr import Name, Transpose
from derivgen.render.mathlatex import MathLatex

I, K, Q = Idx("i", "M"), Idx("k", "M"), Idx("q", "N")  # noqa: E741 - the index i, in capitals like K and Q
DELTA_X = IExpr((Term(1, (Delta(I, K), Ent("x", (Q,)))),))


@pytest.mark.parametrize(("obj", "latex"), [
    (Dots(), r"\vdots"),
    (EntryOf(Deriv(Name("K"), Name("R")), ("p", "q", "i", "j")),
     r"\left[\frac{\mathrm{d}K}{\mathrm{d}R}\right]_{pqij}"),
    (SumEntries(("j", "k"), Product((Entry("V", ("j", "k")), Name("t")))), r"\sum_{j,k} V_{jk}\,t"),
    (Bracket(Name("a")), r"\left(a\right)"),
    (DELTA_X, r"\delta_{ik} x_{q}"),
    (IndexForm("f", "A", (I,), (K, Q), DELTA_X), r"\frac{\partial f_{i}}{\partial A_{kq}} = \delta_{ik} x_{q}"),
])
def test_display_objects_print_by_type(obj: object, latex: str) -> None:
    assert MathLatex().print(obj) == latex


def test_index_forms_have_a_text_form_without_latex() -> None:
    form = IndexForm("f", "A", (I,), (K, Q), DELTA_X)
    assert str(form) == "d f[i] / d A[k,q] = delta(i,k)*x[q]"
    assert iexpr_text(DELTA_X) == str(DELTA_X) == "delta(i,k)*x[q]"


def test_prettify_gives_dummies_the_lectures_letters() -> None:
    dummy = Idx("_7", "N")
    x = IExpr((Term(1, (Ent("A", (I, dummy)), Ent("x", (dummy,))), (dummy,)),))
    assert str(prettify(x, {"i"})) == "sum_{j=1..N} A[i,j]*x[j]"


def test_a_symmetric_matrix_is_a_fact_the_sentence_puts_in_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The fact is the engine's; the words and the typeset name (Σ for Sigma, never "Sigma") render's."""
    from derivgen.build.pipeline import build

    assert Symmetric("Sigma").name == "Sigma" and Transpose(Name("W")) != Name("W")
    src = tmp_path / "src"
    src.mkdir()
    (src / "g.yaml").write_text(
        "title: g\ngiven: {x: [D], S: {shape: [D, D], assume: [symmetric, invertible]}, Sigma: "
        "{shape: [D, D], assume: [symmetric, invertible]}}\ndefine: {f: x.T @ inv(Sigma) @ x}\n"
        "find: df/dx\nsizes: {D: 2}\n", encoding="utf-8")
    report = build([src], tmp_path / "out", formats=["md"])
    assert not report.failures, report.failures
    md = (tmp_path / "out" / "src" / "md" / "g.md").read_text(encoding="utf-8")
    assert (r"$\boldsymbol{\Sigma}$ is symmetric, so $\boldsymbol{\Sigma}^{\top} = \boldsymbol{\Sigma}$"
            in md), md
    assert "Sigma is symmetric" not in md
