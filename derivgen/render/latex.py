"""LaTeX documents: one problem, a handout or solution sheet, an exam.

The worked solution comes from :mod:`derivgen.render.narrate` (sentences with inline
math and displayed equations); this module only turns it into plain view
objects of safe LaTeX strings and hands them to the ``*.tex.j2`` templates.
Everything that came from a problem file passes :mod:`.texescape` (text) or
:func:`.texmath.sanitize_math` (math, including ``latex:`` overrides that
reach the printer), so a problem file can never run a TeX command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from derivgen.derivation import Derivation
from derivgen.errors import RenderError
from derivgen.problem.model import Problem
from derivgen.render.narrate import (
    Para,
    derivative_symbol,
    present,
    present_answer,
    printer_for,
    verification_text,
)
from derivgen.render.statement import PART_LETTERS, asks, statement_markdown
from derivgen.render.templating import make_env
from derivgen.render.texescape import escape_line, escape_text, escape_with_math
from derivgen.render.texmath import sanitize_math

#: What a problem is called in headings unless ``label:`` in derivgen.yaml says otherwise.
DEFAULT_LABEL = "Problem"


@dataclass(frozen=True)
class StepView:
    """One step: a sentence, its displayed equations, its substeps."""

    text: str
    """The sentence(s), safe LaTeX with inline math."""
    displays: tuple[str, ...]
    """Displayed equations, safe LaTeX without delimiters."""
    substeps: tuple[StepView, ...]
    """Nested steps, shown indented."""
    figure: str = ""
    """A drawing after the sentence (the computation graph of ``method: backprop``), safe LaTeX."""


@dataclass(frozen=True)
class SolutionView:
    """The worked solution of one ``find`` entry."""

    heading: str
    """``(a) dL/dθ`` when a problem asks for several derivatives, else empty."""
    steps: tuple[StepView, ...]
    """The steps in order."""
    answer: str
    """The result as a displayed relation (boxed by the template)."""
    check: str
    """One sentence on the numeric check."""


@dataclass(frozen=True)
class ExampleView:
    """One problem as the templates see it: every string is safe LaTeX."""

    number: str
    """``3.1``; empty for an unnumbered problem."""
    title: str
    """The problem's title."""
    source: str
    """The attribution, or empty."""
    statement: str
    """The statement (Markdown turned to LaTeX), or empty."""
    task: str
    """What to find, when the statement does not already ask it (see :mod:`.statement`); may be empty."""
    solutions: tuple[SolutionView, ...]
    """One per derivation; empty on a handout."""
    points: object = None
    """Points of an exam question."""
    label: str = DEFAULT_LABEL
    """What the heading calls the problem: ``Problem`` (``label:`` in derivgen.yaml)."""
    space: str = ""
    """Height of the answer box on an exam without solutions."""


# --- views -------------------------------------------------------------------------


#: How deep substeps nest in LaTeX: TeX allows six nested lists in all, and an exam's question
#: list holds the solution; deeper steps (``full`` detail of a long scalar chain) stay at this depth.
MAX_TEX_DEPTH = 4


def step_views(paras: Sequence[Para]) -> tuple[StepView, ...]:
    """The flat, depth-tagged paragraphs of narrate as a tree of steps."""
    flat = [replace(p, depth=min(p.depth, MAX_TEX_DEPTH)) for p in paras]
    views, _ = _children(flat, 0, 0)
    return views


def _children(paras: list[Para], i: int, depth: int) -> tuple[tuple[StepView, ...], int]:
    out: list[StepView] = []
    while i < len(paras) and paras[i].depth >= depth:
        p = paras[i]
        subs, i = _children(paras, i + 1, p.depth + 1)
        text = escape_with_math(p.text)
        out.append(StepView(text, tuple(sanitize_math(d) for d in p.display), subs))
    return tuple(out), i


def solution_view(derivation: Derivation, problem: Problem, part: int | None,
                  earlier: Sequence[Derivation] | None = None) -> SolutionView:
    """The worked solution of one derivation; ``part`` letters it when there are several."""
    heading = ""
    if part is not None:
        heading = f"({PART_LETTERS[part % 26]}) $" + sanitize_math(_deriv_tex(derivation, problem)) + "$"
    return SolutionView(
        heading=heading,
        steps=with_graph(present(derivation, problem, earlier or ()), derivation, problem),
        answer=sanitize_math(present_answer(derivation, problem)),
        check=escape_with_math(verification_text(derivation)),
    )


def with_graph(paras: Sequence[Para], derivation: Derivation, problem: Problem) -> tuple[StepView, ...]:
    """The steps, with the computation graph of ``method: backprop`` drawn under its step (:mod:`.graph`)."""
    from derivgen.problem.expr import Name
    from derivgen.render.graph import graph_of, picture

    views = step_views(paras)
    graph = next((s for s in derivation.steps if s.kind == "graph"), None)
    top = [p.kind for p in paras if p.depth == 0]
    if graph is None or "graph" not in top:
        return views
    nodes, parents = graph_of(graph.facts)
    printer = printer_for(problem)
    drawing = picture(nodes, parents, lambda n: sanitize_math(printer.print(Name(n))))
    at = top.index("graph")
    return tuple(replace(v, figure=drawing) if i == at else v for i, v in enumerate(views))


def _deriv_tex(derivation: Derivation, problem: Problem) -> str:
    return derivative_symbol(derivation, problem)


def example_view(
    problem: Problem, derivations: Sequence[Derivation], solutions: bool, number: str | None,
    label: str = DEFAULT_LABEL,
) -> ExampleView:
    """A problem with (on a solution sheet) its worked solutions, as safe LaTeX."""
    several = len(derivations) > 1
    sols = tuple(
        solution_view(d, problem, i if several else None, derivations[:i]) for i, d in enumerate(derivations)
    ) if solutions else ()
    return ExampleView(
        number=escape_line(number or ""),
        title=escape_line(problem.title),
        source=escape_line(problem.source or ""),
        statement=escape_text(statement_markdown(problem)),
        task=task_tex(problem, derivations),
        solutions=sols,
        label=escape_line(label),
    )


# --- what is asked -------------------------------------------------------------------


def task_tex(problem: Problem, derivations: Sequence[Derivation]) -> str:
    """The Find line(s) of :func:`.statement.asks`: empty, ``Find $...$.``, or ``(a)~... \\quad (b)~...``."""
    items = asks(problem, derivations)
    if len(items) == 1:
        return escape_with_math(items[0].text)
    return r"\quad ".join(f"({a.label})~" + escape_with_math(a.text) for a in items)


# --- documents -------------------------------------------------------------------------


def render_problem_tex(
    problem: Problem,
    derivations: Sequence[Derivation],
    solutions: bool,
    number: str | None,
    user_templates: Path | None,
    label: str = DEFAULT_LABEL,
) -> str:
    """One problem as a complete LaTeX document (``problem.tex.j2``)."""
    env = make_env("tex", user_templates)
    example = example_view(problem, derivations, solutions, number, label)
    return env.get_template("problem.tex.j2").render(example=example, solutions=solutions)


def render_sheet_tex(
    title: str,
    items: Sequence[tuple[Problem, Sequence[Derivation]]],
    solutions: bool,
    meta: Mapping[str, object],
    user_templates: Path | None,
) -> str:
    """A handout (statements only) or, with ``solutions``, a solution sheet (``sheet.tex.j2``).

    ``meta`` may hold ``course``, ``author``, ``date``, ``label`` (what a
    problem is called, default ``Problem``), ``numbers`` (the printed number of
    each item) or else ``prefix`` (``"5."`` numbers the problems 5.1, 5.2, ...;
    default: 1, 2, ...).
    """
    label = str(meta.get("label") or DEFAULT_LABEL)
    numbers = sheet_numbers(meta, len(items))
    examples = [example_view(p, ds, solutions, n, label) for (p, ds), n in zip(items, numbers, strict=True)]
    env = make_env("tex", user_templates)
    return env.get_template("sheet.tex.j2").render(
        meta=_meta(meta, title), examples=examples, solutions=solutions
    )


def sheet_numbers(meta: Mapping[str, object], count: int) -> list[str]:
    """The printed numbers of a sheet's problems: ``meta["numbers"]``, else prefix + 1, 2, ..."""
    numbers = meta.get("numbers")
    if isinstance(numbers, (list, tuple)) and len(numbers) == count:
        return [str(n) for n in numbers]
    prefix = str(meta.get("prefix", "") or "")
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def _meta(meta: Mapping[str, object], title: str) -> dict[str, str]:
    out = {k: escape_line(str(meta.get(k) or "")) for k in ("course", "author", "date")}
    out["title"] = escape_line(title)
    return out


def render_exam_tex(
    exam_meta: Mapping[str, object],
    items: Sequence[tuple[Problem, Sequence[Derivation], object]],
    solutions: bool,
    with_space: bool,
    user_templates: Path | None,
) -> str:
    """An exam in the ``exam`` class (``exam.tex.j2``).

    ``exam_meta`` may hold ``title``, ``course``, ``date``, ``variant`` and
    ``instructions`` (Markdown).  ``items`` are (problem, derivations, points).
    With ``solutions`` the worked solutions are printed (``\\printanswers``);
    otherwise, with ``with_space``, an empty box follows each question.
    """
    questions = [_question(p, ds, pts, solutions, with_space) for p, ds, pts in items]
    exam = {k: escape_line(str(exam_meta.get(k) or "")) for k in ("title", "course", "date", "variant")}
    exam["instructions"] = escape_text(str(exam_meta.get("instructions") or ""))
    env = make_env("tex", user_templates)
    return env.get_template("exam.tex.j2").render(exam=exam, questions=questions, solutions=solutions)


def _question(
    problem: Problem, derivations: Sequence[Derivation], points: object,
    solutions: bool, with_space: bool,
) -> ExampleView:
    view = example_view(problem, derivations, solutions, None)
    space = answer_space(derivations) if with_space and not solutions else ""
    return replace(view, points=_points(points), space=space)


def _points(points: object) -> str:
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise RenderError(f"exam points must be a non-negative number, not {points!r}")
    return f"{points:g}"


def answer_space(derivations: Sequence[Derivation]) -> str:
    """Room for a handwritten answer: grows with the number of steps, at most most of a page."""
    steps = sum(_count_steps(d.steps) for d in derivations)
    return f"{min(18.0, 3.0 + 1.2 * steps):.1f}cm"


def _count_steps(steps: Sequence[object]) -> int:
    return sum(1 + _count_steps(getattr(s, "substeps", ())) for s in steps)
