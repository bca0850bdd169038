"""Markdown output: golden files, and the rules that keep it portable across site generators."""

from __future__ import annotations

import dataclasses
import re

import pytest
from conftest_render import ALL, least_squares
from golden_util import check_golden

from derivgen.errors import RenderError
from derivgen.render.markdown import render_problem_md, render_sheet_md
from derivgen.render.mdmath import escape_math_commonmark


@pytest.mark.parametrize("name", sorted(ALL))
def test_problem_matches_golden(name: str) -> None:
    problem, derivations = ALL[name]()
    check_golden(f"{name}.md", render_problem_md(problem, derivations))


def test_sheet_matches_golden() -> None:
    items = [ALL[n]() for n in sorted(ALL)]
    check_golden("sheet.md", render_sheet_md("Vector calculus: worked examples", items, solutions=True))
    check_golden("sheet-questions.md", render_sheet_md("Vector calculus: questions", items, solutions=False))


def test_hugo_flavour_matches_golden() -> None:
    problem, derivations = ALL["f-ax"]()
    check_golden("f-ax.hugo.md", render_problem_md(problem, derivations, flavour="hugo"))


@pytest.mark.parametrize("name", sorted(ALL))
def test_portable_markdown(name: str) -> None:
    problem, derivations = ALL[name]()
    md = render_problem_md(problem, derivations)
    lines = md.splitlines()
    opening = True
    for i, line in enumerate(lines):
        if line.strip() == "$$":
            # a display opens after a blank line and closes before one
            neighbour = lines[i - 1] if opening else lines[i + 1]
            assert neighbour.strip() == "", (i, line)
            opening = not opening
        if line.startswith("#"):
            assert "$" not in line, line
    assert r"\begin{align}" not in md and r"\coloneqq" not in md
    assert md.startswith("---\ntitle: '")


def test_substeps_are_indented_list_items() -> None:
    problem, derivations = ALL["chain-poly"]()
    problem = dataclasses.replace(problem, options={"detail": "full"})  # lecture folds the rules
    md = render_problem_md(problem, derivations)
    assert "\n- By the power rule" in md
    assert "\n    $$\n    \\frac{\\mathrm{d}}{\\mathrm{d}u}\\left(u^{4}\\right) = 4 u^{3}\n    $$\n" in md


def test_questions_only_sheet_has_no_solution() -> None:
    md = render_sheet_md("Questions", [least_squares()], solutions=False)
    assert "Solution" not in md and "Checked" not in md
    # The statement ends "Find its gradient.": it asks, so no second Find line (tests/test_statements.py).
    assert "Find its gradient." in md and "Find $" not in md


def test_unknown_flavour_is_refused() -> None:
    problem, derivations = least_squares()
    with pytest.raises(RenderError, match="unknown Markdown flavour 'wiki'"):
        render_problem_md(problem, derivations, flavour="wiki")


def test_commonmark_escaping_survives_a_markdown_parser() -> None:
    from markdown_it import MarkdownIt

    tex = r"A_{k \neq i,:} \, x^{*} \begin{bmatrix}a \\ b\end{bmatrix} \{1\}"
    escaped = escape_math_commonmark(tex)
    html = MarkdownIt("commonmark").render(escaped)
    assert re.sub(r"^<p>|</p>\n$", "", html) == tex.replace("<", "&lt;")


def test_user_templates_come_first_and_are_strict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import jinja2

    from derivgen.render.templating import BUILTIN_TEMPLATES, make_env

    assert (BUILTIN_TEMPLATES / "problem_body.md.j2").is_file()
    (tmp_path / "problem_body.md.j2").write_text("custom {{ problem.heading }}\n", encoding="utf-8")
    problem, derivations = least_squares()
    md = render_problem_md(problem, derivations, user_templates=tmp_path)
    assert "custom Gradient of a least-squares loss" in md and "Solution" not in md
    with pytest.raises(jinja2.UndefinedError):
        make_env("md", None).from_string("{{ missing }}").render()
    tex = make_env("tex", None).from_string(r"((* if x *))\textbf{((( x )))}((* endif *))((= note =)){% raw %}")
    assert tex.render(x="a") == r"\textbf{a}{% raw %}"
