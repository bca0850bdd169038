"""Markdown worked solutions for course sites: MkDocs (Material + arithmatex), Jupyter Book, Quarto.

The same file renders unchanged on all three: math is ``$...$`` inline and
``$$`` on lines of their own with blank lines around, multi-line chains use
``aligned``, headings hold no math, and front matter is YAML with single-quoted
strings.  Flavours ``hugo`` and ``jekyll`` additionally escape the inside of
every formula for a CommonMark parser that does not know about math (see
:mod:`derivgen.render.mdmath`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import jinja2

from derivgen.derivation import Derivation
from derivgen.errors import RenderError
from derivgen.problem.model import Problem
from derivgen.render.mdmath import escape_math_commonmark, map_math, user_markdown
from derivgen.render.narrate import present, present_answer, verification_text
from derivgen.render.statement import Ask, asks, statement_markdown
from derivgen.render.templating import make_env

FLAVOURS = ("standard", "hugo", "jekyll")
#: Spaces per nesting level of substeps (a list item's continuation in Python-Markdown needs 4).
INDENT = 4
#: What a problem is called in headings unless ``label:`` in derivgen.yaml says otherwise.
DEFAULT_LABEL = "Problem"


def render_problem_md(
    problem: Problem,
    derivations: list[Derivation],
    flavour: str = "standard",
    user_templates: Path | None = None,
    number: str | None = None,
    label: str = DEFAULT_LABEL,
) -> str:
    """One problem as a Markdown page with front matter, statement and worked solution."""
    env = _env(user_templates)
    view = problem_view(problem, derivations, _math_fn(flavour), solutions=True, number=number, label=label)
    return _tidy(env.get_template("problem.md.j2").render(problem=view, title=problem.title, tags=list(problem.tags)))


def render_sheet_md(
    title: str,
    items: list[tuple[Problem, list[Derivation]]],
    solutions: bool,
    flavour: str = "standard",
    user_templates: Path | None = None,
    numbers: list[str] | None = None,
    label: str = DEFAULT_LABEL,
) -> str:
    """A sheet of problems, numbered ``numbers`` (default 1, 2, ...), with or without the worked solutions."""
    env = _env(user_templates)
    fn = _math_fn(flavour)
    if numbers is None or len(numbers) != len(items):
        numbers = [str(i) for i in range(1, len(items) + 1)]
    views = [problem_view(p, ds, fn, solutions, number=n, label=label) for (p, ds), n in zip(items, numbers, strict=True)]
    tags = sorted({t for p, _ in items for t in p.tags})
    return _tidy(env.get_template("sheet.md.j2").render(
        title=title, heading=user_markdown(title, fn), problems=views, tags=tags, solutions=solutions
    ))


def _env(user_templates: Path | None) -> jinja2.Environment:
    env = make_env("md", user_templates)
    env.filters["yaml_quote"] = yaml_quote
    return env


def _math_fn(flavour: str) -> Callable[[str], str]:
    if flavour not in FLAVOURS:
        raise RenderError(f"unknown Markdown flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    return (lambda tex: tex) if flavour == "standard" else escape_math_commonmark


def yaml_quote(text: str) -> str:
    """A YAML single-quoted scalar: backslashes stay literal, ``'`` is doubled."""
    return "'" + str(text).replace("'", "''").replace("\n", " ") + "'"


# --- the view handed to the templates ------------------------------------------------


def problem_view(
    problem: Problem,
    derivations: list[Derivation],
    math: Callable[[str], str],
    solutions: bool,
    number: str | None,
    label: str = DEFAULT_LABEL,
) -> dict[str, object]:
    """Everything a template shows for one problem, math already in LaTeX.

    The statement and the Find lines are those of :mod:`.statement`, the same in every format.
    """
    plain_title = "$" not in problem.title
    title = user_markdown(problem.title, math)
    heading = title if plain_title else label
    if number is not None:
        heading = f"{label} {number}" + (f": {title}" if plain_title else "")
    statement = statement_markdown(problem)
    return {
        "heading": heading,
        "label": label,
        "number": number,
        "title_para": None if plain_title else title,
        "source": user_markdown(problem.source, math) if problem.source else problem.source,
        "statement": user_markdown(statement, math).strip() if statement else None,
        "parts": [
            part_view(problem, d, math, solutions, ask, derivations[:i])
            for i, (d, ask) in enumerate(zip(derivations, asks(problem, derivations), strict=True))
        ],
    }


def part_view(
    problem: Problem, d: Derivation, math: Callable[[str], str], solutions: bool, ask: Ask,
    earlier: list[Derivation] | None = None,
) -> dict[str, object]:
    """One derivative asked for: the question (may be empty), the steps, the answer and its check."""
    view: dict[str, object] = {"label": ask.label, "ask": map_math(ask.text, math), "steps": [],
                               "answer": None, "check": None}
    if not solutions:
        return view
    view["steps"] = [
        {
            "lead": " " * (INDENT * (p.depth - 1)) + "- " if p.depth else "",
            "indent": " " * (INDENT * p.depth),
            "text": map_math(p.text, math),
            "display": [math(tex) for tex in p.display],
            "depth": p.depth,
            "kind": p.kind,
        }
        for p in present(d, problem, earlier or ())
    ]
    view["answer"] = math(present_answer(d, problem))
    view["check"] = verification_text(d)
    return view


def _tidy(text: str) -> str:
    """No trailing spaces, no runs of blank lines, one final newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
