"""Typesetting never changes the mathematics (issue 9, item 1).

What a reader sees: the LaTeX the printers and the escaping write, and, where
TeX is installed, the text of the built PDF (``pdftotext``).

1. Unicode in user text reaches the PDF as the right symbol, never ``?``.
2. A signed factor in a product (or under a brace) is bracketed.
3. A factor that starts with a numeral is joined with ``\\cdot``.
4. Stacked superscripts compose: no "Double superscript" in any document.
5. ``latex:`` names are used in every step, also for defines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derivgen import cli
from derivgen.derivation import Product, Text, Under
from derivgen.derivation.index_form import Ent, Idx, IExpr, Size, Term
from derivgen.errors import ProblemError
from derivgen.problem.expr import BinOp, Call, Index, Name, Neg, Num, Transpose
from derivgen.problem.loader import load_problem
from derivgen.render.index_latex import iexpr_latex
from derivgen.render.mathlatex import MathLatex
from derivgen.render.notation import entry_letters, symbols_for
from derivgen.render.printing import LatexPrinter, name_latex
from derivgen.render.texescape import escape_line, escape_plain, escape_text, escape_with_math
from derivgen.render.texmath import no_double_script, sanitize_math

FIXTURES = Path(__file__).parent / "fixtures" / "typesetting"
BANK = Path(__file__).parent.parent / "problems"
NEEDS_TEX = pytest.mark.skipif(
    not (shutil.which("latexmk") and shutil.which("pdftotext")),
    reason="TeX Live (latexmk) and poppler-utils (pdftotext) are needed",
)

X, A, B = Name("X"), Name("A"), Name("B")
BOLD = {n: rf"\boldsymbol{{{n}}}" for n in ("X", "A", "B", "x", "e", "Phi", "a", "b")}
BOLD["Phi"] = r"\boldsymbol{\Phi}"


def mm(a, b):  # type: ignore[no-untyped-def]
    return BinOp("@", a, b)


def inv(a):  # type: ignore[no-untyped-def]
    return Call("inv", (a,))


def printer() -> MathLatex:
    return MathLatex(BOLD)


def double_script(tex: str) -> bool:
    """Would TeX stop at a double superscript or subscript in this math?"""
    return no_double_script(tex) != tex


# --- 1. Unicode in user text ---------------------------------------------------------------


@pytest.mark.parametrize("raw, tex", [
    ("(5.108) z = x − As", r"(5.108) z = x \ensuremath{-} As"),
    ("Gradient of a composition h = f∘g", r"Gradient of a composition h = f\ensuremath{\circ}g"),
    ("the gradient of xᵀa", r"the gradient of x\ensuremath{^{\top}}a"),
    ("Wᵀ = W", r"W\ensuremath{^{\top}} = W"),
    ("f(X)⁻¹f(X) = I", r"f(X)\ensuremath{^{-1}}f(X) = I"),
    ("X⁻ᵀ", r"X\ensuremath{^{-\top}}"),
    ("x₁ + x²", r"x\ensuremath{_{1}} + x\ensuremath{^{2}}"),
    ("‖Ax − y‖²", r"\ensuremath{\Vert}Ax \ensuremath{-} y\ensuremath{\Vert}\ensuremath{^{2}}"),
    ("a ≠ b ≤ c ≥ d", r"a \ensuremath{\neq} b \ensuremath{\leq} c \ensuremath{\geq} d"),
    ("2 × 3 · 4", r"2 \ensuremath{\times} 3 \ensuremath{\cdot} 4"),
    ("θ ∈ ℝ, ∂L/∂θ, ∇f, ∑", r"\ensuremath{\theta} \ensuremath{\in} \ensuremath{\mathbb{R}}, "
     r"\ensuremath{\partial}L/\ensuremath{\partial}\ensuremath{\theta}, \ensuremath{\nabla}f, \ensuremath{\sum}"),
    ("§ 5.5 — see – ‘a’ “b” …", r"\S{} 5.5 --- see -- `a' ``b'' \ldots{}"),
    ("café, naïve, Łódź, ß", "café, naïve, Łódź, ß"),
    ("cafe\u0301", "café"),  # a combining accent becomes the precomposed letter
])
def test_unicode_text_becomes_tex(raw: str, tex: str) -> None:
    assert escape_line(raw) == tex


def test_no_character_becomes_a_question_mark() -> None:
    text = ("−∘ᵀ⁻¹²³₀₁₂ αβγδεζηθικλμνξπρστυφχψω ΓΔΘΛΞΠΣΥΦΨΩ ≠≤≥×·∈∉∂∇∑∏∫√∞≈≡→⇒↦ℝℕℤ"
            "§—–‘’“”…€£©®™° àéîõüçñÅØæœŁłŠšŽžĆćČčĘęŃńŚśŹźŻż ☃😀\u2603")
    for render in (escape_plain, escape_line, escape_text, escape_with_math):
        assert "?" not in render(text)
    assert "?" not in sanitize_math(text)


def test_an_unmapped_character_is_shown_as_its_code_point() -> None:
    assert escape_plain("snow ☃") == r"snow \textbf{[U+2603]}"
    assert escape_plain("😀") == r"\textbf{[U+1F600]}"
    assert sanitize_math("x ☃ y") == r"x \text{\textbf{[U+2603]}} y"


def test_control_characters_are_dropped_and_spaces_kept() -> None:
    assert escape_plain("a\x07b\u200bc") == "abc"
    assert escape_plain("a\u00a0b\u2009c") == r"a~b\,c"


def test_unicode_in_math_maps_to_math_commands() -> None:
    assert sanitize_math("Wᵀ = W") == r"W^{\top} = W"
    assert sanitize_math("A⁻¹ − B") == r"A^{-1} - B"
    assert sanitize_math("X⁻ᵀ") == r"X^{-\top}"
    assert sanitize_math("xᵢ ≤ x²") == r"x_{i} \leq x^{2}"
    assert sanitize_math("f∘g") == r"f\circ g"
    assert sanitize_math("θ∈ℝ") == r"\theta\in \mathbb{R}"
    assert sanitize_math(r"\text{café – ok}") == r"\text{café -- ok}"


def test_steps_text_with_unicode() -> None:
    assert escape_with_math("W is symmetric, so Wᵀ = W; and $Wᵀ = W$") == (
        r"W is symmetric, so W\ensuremath{^{\top}} = W; and $W^{\top} = W$")


# --- 2. signed factors are bracketed ------------------------------------------------------------


def test_signed_factor_under_a_brace_is_bracketed() -> None:
    two_e = BinOp("*", Num(2), Transpose(Name("e")))
    tex = printer().print(Product((Under(two_e, (1, "N")), Under(Neg(Name("Phi")), ("N", "D")))))
    assert tex == (r"\underbrace{2 \boldsymbol{e}^{\top}}_{1\times N}\,"
                   r"\underbrace{\left(-\boldsymbol{\Phi}\right)}_{N\times D}")


def test_signed_factor_in_a_product_is_bracketed() -> None:
    p = printer()
    minus_sin = Neg(Call("sin", (Name("t"),)))
    assert p.print(Product((Num(2), minus_sin))) == r"2\,\left(-\sin\left(t\right)\right)"
    assert p.print(Product((Under(Num(2), ()), Under(minus_sin, ())))) == (
        r"\underbrace{2}_{1}\,\underbrace{\left(-\sin\left(t\right)\right)}_{1}")
    assert p.print(BinOp("*", Num(2), minus_sin)) == r"2 \left(-\sin\left(t\right)\right)"
    assert p.print(BinOp("*", Name("c"), Num(-3))) == r"c \cdot \left(-3\right)"
    assert p.print(BinOp("-", Name("c"), Num(-3))) == r"c - \left(-3\right)"
    assert p.print(mm(Transpose(Name("e")), Neg(Name("Phi")))) == (
        r"\boldsymbol{e}^{\top} \left(-\boldsymbol{\Phi}\right)")


def test_a_leading_sign_and_operators_in_a_product() -> None:
    p = printer()
    inv_x = inv(X)
    # the justification of (5.102): a leading minus is the product's sign, not a factor
    assert p.print(Product((Text("−"), inv_x, X))) == r"-\,\boldsymbol{X}^{-1}\,\boldsymbol{X}"
    assert p.print(Product((X, Text("+"), Neg(X)))) == r"\boldsymbol{X}\,+\,\left(-\boldsymbol{X}\right)"
    # a sum as a factor is bracketed
    assert p.print(Product((Name("u"), BinOp("+", Name("t"), Num(1))))) == r"u\,\left(t + 1\right)"


def test_bank_chain_rule_sin_cos_has_no_bare_signed_factor(tmp_path: Path) -> None:
    tex = _build(tmp_path, BANK / "2-multivariate" / "chain-rule-sin-cos.yaml", "tex")
    math = _math_of(tex)
    assert not re.search(r"\\,\s*-", math)  # "2 \, -sin t" reads as a subtraction
    assert r"\underbrace{-" not in math
    assert not re.search(r"\\,\s*\d", math)


# --- 3. a numeral after a factor gets \cdot --------------------------------------------------


def test_numeral_after_a_factor_is_dotted() -> None:
    p = printer()
    u = Name("u")
    four_u3 = BinOp("*", Num(4), BinOp("^", u, Num(3)))
    assert p.print(Product((four_u3, Num(2)))) == r"4 u^{3} \cdot 2"
    two_u = BinOp("*", Num(2), u)
    six_y2 = BinOp("*", Num(6), BinOp("^", Name("y"), Num(2)))
    assert p.print(Product((two_u, six_y2))) == r"2 u \cdot 6 y^{2}"
    assert p.print(BinOp("*", two_u, six_y2)) == r"2 u \left(6 y^{2}\right)"  # bracketed: unambiguous
    assert LatexPrinter().print(BinOp("*", BinOp("*", Num(2), Name("x")), Num(6))) == r"2 x \cdot 6"
    assert p.print(Product((Under(two_u, ()), Under(Num(2), ())))) == (
        r"\underbrace{2 u}_{1} \cdot \underbrace{2}_{1}")
    # a numeral in front stays juxtaposed: 2u, 2 e^T
    assert p.print(two_u) == "2 u"


def test_index_notation_dots_a_numeral_factor() -> None:
    t = Term(2, (Ent("x", (Idx("i", "N"),)), Size(3)), ())
    assert iexpr_latex(IExpr((t,)), printer()) == r"2 x_{i} \cdot 3"


# --- 4. stacked superscripts compose --------------------------------------------------------------


@pytest.mark.parametrize("expr, tex", [
    (Transpose(inv(X)), r"\boldsymbol{X}^{-\top}"),
    (inv(Transpose(X)), r"\boldsymbol{X}^{-\top}"),
    (Transpose(inv(mm(mm(A, X), B))),
     r"\left(\boldsymbol{A} \boldsymbol{X} \boldsymbol{B}\right)^{-\top}"),
    (Transpose(Transpose(X)), r"\left(\boldsymbol{X}^{\top}\right)^{\top}"),
    (inv(inv(X)), r"\left(\boldsymbol{X}^{-1}\right)^{-1}"),
    (BinOp("^", Transpose(Name("x")), Num(2)), r"\left(\boldsymbol{x}^{\top}\right)^{2}"),
    (Transpose(BinOp("^", Name("x"), Num(2))), r"\left(\boldsymbol{x}^{2}\right)^{\top}"),
    (BinOp("^", inv(X), Num(2)), r"\left(\boldsymbol{X}^{-1}\right)^{2}"),
    (Transpose(inv(Transpose(X))), r"\left(\boldsymbol{X}^{-\top}\right)^{\top}"),
])
def test_stacked_superscripts(expr, tex) -> None:  # type: ignore[no-untyped-def]
    out = printer().print(expr)
    assert out == tex
    assert not double_script(out)


def test_a_latex_override_with_a_superscript_is_bracketed() -> None:
    p = MathLatex({"x": r"\boldsymbol{x}^{(i)}"})
    assert p.print(Transpose(Name("x"))) == r"\left(\boldsymbol{x}^{(i)}\right)^{\top}"
    assert p.print(BinOp("^", Name("x"), Num(2))) == r"\left(\boldsymbol{x}^{(i)}\right)^{2}"


def test_index_notation_uses_the_override_and_never_stacks_superscripts() -> None:
    from derivgen.derivation.index_form import Pw

    p = MathLatex({}, None, {"x": r"x^{(i)}", "lam": r"\lambda"})
    entry = IExpr((Term(1, (Ent("x", (Idx("j", "N"),)),), ()),))
    out = iexpr_latex(IExpr((Term(1, (Pw(entry, 2),), ()),)), p)
    assert out == r"\left(x^{(i)}\right)_{j}^{2}" and not double_script(out)
    assert iexpr_latex(IExpr((Term(3, (Ent("lam", ()),), ()),)), p) == r"3 \lambda"


def test_user_math_never_has_a_double_superscript() -> None:
    assert sanitize_math("X^{-1}^{T}") == "X^{-1}{}^{T}"
    assert sanitize_math("x^2'") == "x^2{}'"
    assert sanitize_math("a_1_2") == "a_1{}_2"
    assert sanitize_math(r"\sum_{i=1}^{N} x_{i}^{2} + x''") == r"\sum_{i=1}^{N} x_{i}^{2} + x''"


@NEEDS_TEX
@pytest.mark.needs_tex
def test_det_of_a_product_and_inverse_transposes_build_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.main(["build", str(FIXTURES / "inverse-transpose.yaml"), "-o", str(out), "--format", "tex,pdf",
                     "--no-cache", "--quiet", "--detail", "full"]) == 0
    (tex_file,) = out.rglob("inverse-transpose.tex")
    tex = tex_file.read_text()
    assert r"\left(\boldsymbol{A} \boldsymbol{X} \boldsymbol{B}\right)^{-\top}" in tex
    assert r"\boldsymbol{a}^{\top} \boldsymbol{X}^{-\top} \boldsymbol{b}" in tex
    assert not double_script(tex)
    text = _pdftotext(next(out.rglob("solutions.pdf")))
    assert "−⊤" in text  # X^{-T} in the PDF


# --- 5. latex: names in every step ------------------------------------------------------------------


def test_names_with_underscores_are_subscripts() -> None:
    assert name_latex("y_hat") == r"y_{\mathrm{hat}}"
    assert name_latex("y_hat", bold=True) == r"\boldsymbol{y}_{\mathrm{hat}}"
    assert name_latex("x_1") == "x_{1}" and name_latex("W2") == "W_{2}"
    assert name_latex("A_kq") == "A_{kq}"
    assert name_latex("W_out2") == r"W_{\mathrm{out},2}"
    assert name_latex("sigma_x") == r"\sigma_{x}"
    assert name_latex("x_theta") == r"x_{\theta}"
    assert name_latex("loss") == r"\mathrm{loss}"


def test_define_takes_latex() -> None:
    problem = load_problem(FIXTURES / "latex-names.yaml")
    z = problem.definition("z")
    assert z is not None and z.latex == r"\boldsymbol{\zeta}"
    symbols = symbols_for(problem)
    assert symbols["z"] == r"\boldsymbol{\zeta}" and symbols["lam"] == r"\lambda"
    assert symbols["y_hat"] == r"y_{\mathrm{hat}}"
    letters = entry_letters(problem)
    assert letters["z"] == r"\zeta" and letters["lam"] == r"\lambda" and letters["w"] == r"\omega"


@pytest.mark.parametrize("value, message", [
    ("{expr: 'W2 @ x', latex: '\\zeta', colour: red}", "define.z: unknown key 'colour' (known keys: expr, latex)"),
    ("{latex: '\\zeta'}", "define.z: missing 'expr'"),
    ("{expr: 'W2 @ x', latex: [a]}", "define.z.latex: expected text"),
])
def test_define_long_form_errors(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"title: t\ngiven:\n  x: [N]\n  W2: [N, N]\ndefine:\n  z: {value}\nfind: dz/dx\n")
    with pytest.raises(ProblemError) as err:
        load_problem(path)
    assert message in str(err.value)


def test_latex_names_in_every_step(tmp_path: Path) -> None:
    tex = _build(tmp_path, FIXTURES / "latex-names.yaml", "tex")
    math = _math_of(tex)
    assert r"y_{\mathrm{hat}} = \sum_{j=1}^{N} \lambda \omega_{j} x_{j}" in math  # index notation
    assert r"\frac{\partial y_{\mathrm{hat}}}{\partial \lambda}" in math
    assert r"\frac{\mathrm{d}y_{\mathrm{hat}}}{\mathrm{d}\omega_{2}}" in math  # by a component
    assert r"\zeta_{i} = \sum_{j=1}^{N} \left(W_{2}\right)_{ij} x_{j}" in math
    assert r"\boldsymbol{\zeta} \mathrel{:=} \boldsymbol{W}_{2} \boldsymbol{x}" in math
    assert not re.search(r"\blam\b", math)
    assert r"\mathrm{dy}" not in tex and "hat/" not in tex
    assert not re.search(r"(?<![\\a-z])z_\{", math)  # the define's entries are zeta's
    assert not re.search(r"(?<![\\a-z])w_\{", math)  # and w's are omega's


def test_a_component_uses_the_override() -> None:
    p = MathLatex({"theta": r"\boldsymbol{\vartheta}"}, None, {"theta": r"\vartheta"})
    assert p.print(Index(Name("theta"), (2,))) == r"\vartheta_{2}"
    assert p.print(Index(Name("x_1"), (2,))) == r"\left(x_{1}\right)_{2}"


def test_latex_names_in_markdown(tmp_path: Path) -> None:
    md = _build(tmp_path, FIXTURES / "latex-names.yaml", "md")
    assert r"\lambda \omega_{j} x_{j}" in md and r"\zeta_{i}" in md
    assert not re.search(r"\blam\b", _math_of(md))


# --- the PDF as a reader sees it ---------------------------------------------------------------------


@NEEDS_TEX
@pytest.mark.needs_tex
def test_unicode_reaches_the_pdf(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.main(["build", str(FIXTURES), "-o", str(out), "--format", "tex,pdf", "--no-cache", "--quiet",
                     "--detail", "full"]) == 0
    text = _pdftotext(next(out.rglob("solutions.pdf")))
    line = next(ln for ln in text.splitlines() if "Unicode in user text" in ln)
    assert "f◦g" in line and "x⊤ a" in line and "“quotes”" in line and "café" in line and "—" in line
    assert "(5.108) z = x − As; § 5.5, f(X)−1 f(X) = I; naïve [U+2603]" in text
    assert "W⊤ = W" in text and "λ ≥ 0" in text and "a ̸= b" in text  # pdftotext writes ≠ as a slashed =
    assert "?" not in text
    assert "λ" in text and "lam" not in text.replace("Unicode", "")


def test_bank_titles_and_sources_are_not_question_marks(tmp_path: Path) -> None:
    for name in ("4-identities/5-108-derivation.yaml", "2-multivariate/composition-f-of-g.yaml",
                 "4-identities/5-102-inverse.yaml", "3-matrix/squared-error-by-A.yaml"):
        tex = _build(tmp_path / name.replace("/", "-"), BANK / name, "tex")
        head = tex[tex.index(r"\begin{document}"):]
        assert "?" not in head.split(r"\end{document}")[0], name
    tex = _build(tmp_path / "x", BANK / "4-identities/5-108-derivation.yaml", "tex")
    assert r"z = x \ensuremath{-} As" in tex


# --- helpers ---------------------------------------------------------------------------------------


def _build(tmp_path: Path, problem: Path, fmt: str) -> str:
    out = tmp_path / "out"
    code = cli.main(["build", str(problem), "-o", str(out), "--format", fmt, "--no-cache", "--quiet",
                     "--detail", "full"])
    assert code == 0
    suffix = {"tex": ".tex", "md": ".md"}[fmt]
    files = [p for p in out.rglob("*" + suffix) if p.stem == problem.stem]
    assert files, list(out.rglob("*"))
    return files[0].read_text()


def _math_of(doc: str) -> str:
    """The math of a document: every ``$...$``, ``\\[...\\]`` and ``$$...$$`` span, joined."""
    spans = re.findall(r"\\\[(.*?)\\\]|\$\$(.*?)\$\$|\$(.*?)\$", doc, re.S)
    return "\n".join("".join(s) for s in spans)


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
