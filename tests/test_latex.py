"""LaTeX rendering without TeX: escaping of user text and math, and the documents' source."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest_render import ALL, chain_polynomial, f_equals_Ax, least_squares

from derivgen.errors import RenderError
from derivgen.render.latex import render_exam_tex, render_problem_tex, render_sheet_tex, step_views
from derivgen.render.texescape import escape_inline, escape_plain, escape_text, escape_with_math
from derivgen.render.texmath import sanitize_math

META = {"course": "Mathematics for Machine Learning", "author": "Staff", "date": "Week 5", "prefix": "5."}

# --- text ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw, tex", [
    (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    ("100% & #1 ~ _x_", r"100\% \& \#1 \textasciitilde{} \_x\_"),
    ("^^5cinput", r"\textasciicircum{}\textasciicircum{}5cinput"),
    ("a < b > c | d", r"a \textless{} b \textgreater{} c \textbar{} d"),
    ("θ ∈ ℝ", r"\ensuremath{\theta} \ensuremath{\in} \ensuremath{\mathbb{R}}"),
])
def test_plain_text_specials_are_shown(raw: str, tex: str) -> None:
    assert escape_plain(raw) == tex


def test_text_commands_never_survive() -> None:
    for attack in (r"\write18{touch /tmp/pwned}", r"\immediate\write18{x}", r"\openout1=x",
                   r"\catcode`\^^M=13", r"\def\x{y}", r"\csname input\endcsname"):
        out = escape_text(attack)
        assert "\\" + attack[1:3] not in out.replace(r"\textbackslash{}", "")


def test_markdown_becomes_latex() -> None:
    tex = escape_text("Some **bold**, *italic* and `code_1`.\n\nNext paragraph.\n\n- one $x$\n- two")
    assert r"{\bfseries bold}" in tex and r"{\itshape italic\/}" in tex
    assert r"\texttt{code\_1}" in tex
    assert "\n\nNext paragraph." in tex
    assert "\\begin{itemize}\n  \\item one $x$\n  \\item two\n\\end{itemize}" in tex


def test_unpaired_markers_and_dollars_are_text() -> None:
    assert escape_inline("2 * 3 costs $5") == r"2 * 3 costs \$5"
    assert escape_inline("a **b") == r"a **b"


def test_math_is_kept_in_inline_and_display() -> None:
    tex = escape_text(r"Let $\boldsymbol{x} \in \mathbb{R}^{N}$ and $$\frac{\partial f}{\partial x}$$")
    assert r"$\boldsymbol{x} \in \mathbb{R}^{N}$" in tex
    assert r"\[ \frac{\partial f}{\partial x} \]" in tex


# --- math ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw, tex", [
    (r"\input{/etc/passwd}", r"\text{\textbackslash{}input\{/etc/passwd\}}"),
    (r"\write18{touch /tmp/pwned}", r"\text{\textbackslash{}write18\{touch /tmp/pwned\}}"),
    (r"\begin{array}{c@{\input x}}",
     r"\text{\textbackslash{}begin\{array\}\{c@\{\textbackslash{}input x\}\}}"),
    ("^^5c", r"\text{\textasciicircum{}}\text{\textasciicircum{}}5c"),
    (r"\text{\input x}", r"\text{\textbackslash{}input x}"),
    ("a & b \\\\ c % d # e", r"a \& b \quad  c \% d \# e"),
    ("}{", r"\}{}"),
    (r"\begin{bmatrix} a & b \\ c & d", r"\begin{bmatrix} a & b \\ c & d\end{bmatrix}"),
    (r"\left\lVert x \right\rVert", r"\left\lVert x \right\rVert"),
    (r"\left\input x \right)", r"\left.\text{\textbackslash{}input} x \right)"),
])
def test_math_whitelist(raw: str, tex: str) -> None:
    assert sanitize_math(raw) == tex


def test_math_output_never_holds_a_double_caret() -> None:
    assert "^^" not in sanitize_math("x^{}^^^^5c^^")


def test_narration_math_passes_whitelist_unchanged_in_meaning() -> None:
    """derivgen's own LaTeX uses only whitelisted commands: nothing is shown as text."""
    for make in ALL.values():
        problem, derivations = make()
        tex = render_sheet_tex("All", [(problem, derivations)], True, META, None)
        assert r"\textbackslash" not in tex, make.__name__


def test_sentences_escape_text_outside_math() -> None:
    assert escape_with_math(r"costs 100% of $\frac{a}{b}$ & more") == r"costs 100\% of $\frac{a}{b}$ \& more"


# --- documents ------------------------------------------------------------------------


def test_problem_document_is_standalone() -> None:
    problem, derivations = least_squares()
    tex = render_problem_tex(problem, derivations, True, "5.1", None)
    assert tex.startswith(r"\documentclass")
    assert tex.rstrip().endswith(r"\end{document}")
    assert r"Problem~5.1 {(}Gradient of a least-squares loss{)}" in tex
    assert r"\underbrace{" in tex and r"}_{1\times N}" in tex
    assert r"\dgresult{" in tex


def test_handout_has_statements_but_no_solutions() -> None:
    items = [least_squares(), f_equals_Ax()]
    tex = render_sheet_tex("Sheet 5", items, False, META, None)
    assert "Problem~5.2" in tex and "Consider the linear model" in tex
    assert r"\dgresult{" not in tex and "Start with the dimension" not in tex


def test_substeps_nest_under_their_step() -> None:
    from derivgen.render.narrate import present

    problem, (d,) = chain_polynomial()
    problem = dataclasses.replace(problem, options={"detail": "full"})  # lecture folds the substeps
    views = step_views(present(d, problem))
    assert [len(v.substeps) for v in views] == [0, 2, 0]


def test_exam_uses_exam_class_conventions() -> None:
    items = [(p, ds, pts) for (p, ds), pts in zip([least_squares(), f_equals_Ax()], (6, 4), strict=True)]
    meta = {"title": "Midterm", "course": "MML", "date": "2024", "variant": "B", "instructions": "No notes."}
    student = render_exam_tex(meta, items, solutions=False, with_space=True, user_templates=None)
    assert r"\documentclass[11pt,addpoints]{exam}" in student
    assert r"\question[6]" in student and r"\question[4]" in student
    assert r"\gradetable[h][questions]" in student and r"\makeemptybox{" in student
    assert "Start with the dimension" not in student  # no answers in the student's source
    key = render_exam_tex(meta, items, solutions=True, with_space=True, user_templates=None)
    assert "answers]{exam}" in key and r"\begin{solution}" in key and r"\makeemptybox" not in key


def test_exam_points_must_be_numbers() -> None:
    problem, ds = least_squares()
    with pytest.raises(RenderError, match="points"):
        render_exam_tex({}, [(problem, ds, "ten")], False, False, None)


def test_user_template_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "_example.tex.j2").write_text("USER-EXAMPLE ((( ex.number ))) ((( ex.title )))\n")
    tex = render_sheet_tex("S", [least_squares()], False, META, tmp_path)
    assert "USER-EXAMPLE 5.1 Gradient of a least-squares loss" in tex
    assert r"\documentclass" in tex  # the other templates are still the built-in ones


def test_user_text_is_escaped_everywhere() -> None:
    problem, ds = least_squares()
    evil = dataclasses.replace(problem, title=r"\input{/etc/passwd}", source=r"\def\x{1}",
                               statement=r"$\input{/etc/passwd}$ \write18{x}")
    tex = render_problem_tex(evil, ds, True, None, None)
    body = tex[tex.index(r"\begin{document}"):]
    for cmd in (r"\input", r"\write18", r"\def"):
        assert cmd not in body


def test_substeps_nest_no_deeper_than_tex_allows() -> None:
    """A long scalar chain at ``full`` detail nests eight deep; TeX stops at six lists ("Too deeply
    nested", the whole sheet's PDF lost), so steps below the fourth level stay at the fourth, in order."""
    from derivgen.render.latex import MAX_TEX_DEPTH
    from derivgen.render.narrate import Para

    views = step_views([Para(f"step {d}.", (), d, "rule") for d in range(9)])

    def depth_and_texts(vs, d=0):  # type: ignore[no-untyped-def]
        for v in vs:
            yield d, v.text
            yield from depth_and_texts(v.substeps, d + 1)

    seen = list(depth_and_texts(views))
    assert [t for _, t in seen] == [f"step {d}." for d in range(9)]
    assert max(d for d, _ in seen) == MAX_TEX_DEPTH == 4
