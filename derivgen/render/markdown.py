"""Markdown worked solutions for course sites: MkDocs (Material + arithmatex), Jupyter Book, Quarto.

The same file renders unchanged on all three: math is ``$...$`` inline and
``$$`` on lines of their own with blank lines around, multi-line chains use
``aligned``, headings hold no math, and front matter is YAML with single-quoted
strings.  The flavours ``myst`` (Sphinx), ``hugo`` and ``jekyll`` change only
the inline delimiters, the heading and the links (see :mod:`.flavours`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import jinja2

from derivgen.derivation import Derivation
from derivgen.problem.model import Problem
from derivgen.render.escape import front_matter, math_text, one_line
from derivgen.render.flavours import FLAVOURS as FLAVOUR_TABLE
from derivgen.render.flavours import Flavour, flavour, inline_math, weight
from derivgen.render.mdmath import map_math, user_markdown
from derivgen.render.narrate import present, present_answer, verification_text
from derivgen.render.statement import Ask, asks, statement_markdown
from derivgen.render.templating import make_env

FLAVOURS = tuple(FLAVOUR_TABLE)
#: Spaces per nesting level of substeps (a list item's continuation in Python-Markdown needs 4).
INDENT = 4
#: What a problem is called in headings unless ``label:`` in derivgen.yaml says otherwise.
DEFAULT_LABEL = "Problem"


class ParagraphView(TypedDict):
    """One paragraph of a worked solution, as the Markdown and HTML templates show it."""

    lead: str
    """The list marker, indented by depth (empty at the top level)."""
    indent: str
    """The indentation of the paragraph's displays."""
    text: str
    """The sentence, math in the flavour's delimiters."""
    display: list[str]
    """The displayed equations, in LaTeX."""
    depth: int
    """Nesting: 0 for a top-level step."""
    kind: str
    """The step kind it presents."""


class PartView(TypedDict):
    """One derivative asked for."""

    label: str | None
    """``(a)``, ``(b)`` ... when a problem asks several."""
    ask: str
    """The question (may be empty)."""
    steps: list[ParagraphView]
    """The worked solution (empty on an exercise sheet)."""
    answer: str | None
    """The result in LaTeX."""
    check: str | None
    """The sentence saying how it was checked."""


class ProblemView(TypedDict):
    """Everything a template shows for one problem."""

    heading: str
    label: str
    number: str | None
    title_para: str | None
    """The title again as a paragraph, when it holds math (the heading then is the label)."""
    source: str | None
    statement: str | None
    parts: list[PartView]


def render_problem_md(
    problem: Problem,
    derivations: list[Derivation],
    flavour: str = "standard",
    user_templates: Path | None = None,
    number: str | None = None,
    label: str = DEFAULT_LABEL,
) -> str:
    """One problem as a Markdown page with front matter, statement and worked solution."""
    fl = _flavour(flavour)
    env = _env(user_templates)
    view = problem_view(problem, derivations, math_text, solutions=True, number=number, label=label)
    template = env.get_template("problem.md.j2")
    page = template.render(problem=view, title=_page_title(problem, number, label, fl),
                           tags=list(problem.tags), body_heading=fl.heading_in_body,
                           weight=None if fl.heading_in_body else weight(number))
    return _flavoured(_tidy(page), fl)


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
    fl = _flavour(flavour)
    env = _env(user_templates)
    fn = math_text
    if numbers is None or len(numbers) != len(items):
        numbers = [str(i) for i in range(1, len(items) + 1)]
    views = [problem_view(p, ds, fn, solutions, number=n, label=label)
             for (p, ds), n in zip(items, numbers, strict=True)]
    tags = sorted({t for p, _ in items for t in p.tags})
    return _flavoured(_tidy(env.get_template("sheet.md.j2").render(
        title=title, heading=user_markdown(one_line(title), fn), problems=views, tags=tags,
        solutions=solutions, body_heading=fl.heading_in_body, weight=None,
    )), fl)


def _env(user_templates: Path | None) -> jinja2.Environment:
    env = make_env("md", user_templates)
    env.filters["yaml_quote"] = yaml_quote
    return env


def _flavour(name: str) -> Flavour:
    return flavour(name)


def _page_title(problem: Problem, number: str | None, label: str, fl: Flavour) -> str:
    """The front matter's title: the problem's, or the heading where the theme shows it as one.

    A title with math goes under the heading as in every flavour: front matter shows no math.
    """
    if fl.heading_in_body:
        return problem.title
    named = f"{one_line(label)} {one_line(number)}" if number is not None else ""
    if "$" in problem.title:
        return named or one_line(label)
    return f"{named}: {one_line(problem.title)}" if named else one_line(problem.title)


def _flavoured(page: str, fl: Flavour) -> str:
    """The page with inline math in the flavour's delimiters (the front matter untouched)."""
    head, sep, body = page.partition("\n---\n") if page.startswith("---\n") else ("", "", page)
    return head + sep + inline_math(body, fl)


#: Front matter values: YAML single-quoted, one line, no HTML (see :func:`.escape.front_matter`).
yaml_quote = front_matter


# --- the view handed to the templates ------------------------------------------------


def problem_view(
    problem: Problem,
    derivations: list[Derivation],
    math: Callable[[str], str],
    solutions: bool,
    number: str | None,
    label: str = DEFAULT_LABEL,
) -> ProblemView:
    """Everything a template shows for one problem, math already in LaTeX.

    The statement and the Find lines are those of :mod:`.statement`, the same in every format.
    """
    plain_title = "$" not in problem.title
    title = user_markdown(one_line(problem.title), math)
    label = user_markdown(one_line(label), math)
    heading = title if plain_title else label
    if number is not None:
        heading = f"{label} {user_markdown(one_line(number), math)}" + (f": {title}" if plain_title else "")
    statement = statement_markdown(problem)
    return {
        "heading": heading,
        "label": label,
        "number": number,
        "title_para": None if plain_title else title,
        "source": user_markdown(one_line(problem.source), math) if problem.source else problem.source,
        "statement": user_markdown(statement, math).strip() if statement else None,
        "parts": [
            part_view(problem, d, math, solutions, ask, derivations[:i])
            for i, (d, ask) in enumerate(zip(derivations, asks(problem, derivations), strict=True))
        ],
    }


def part_view(
    problem: Problem, d: Derivation, math: Callable[[str], str], solutions: bool, ask: Ask,
    earlier: list[Derivation] | None = None,
) -> PartView:
    """One derivative asked for: the question (may be empty), the steps, the answer and its check."""
    view: PartView = {"label": ask.label, "ask": map_math(ask.text, math), "steps": [],
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
