"""Self-study HTML (``study.html``): every question with progressive hints, the worked solution last.

Each part opens, one ``<details>`` at a time, the hints the lectures would give
in order, taken from the derivation's own steps: the dimension of the
derivative first, then the index form, then which Kronecker δ survives (the
partial derivatives, the cases) or the chain rule with its factors; the whole
worked solution and the verified result come last.  One offline page, KaTeX
inside, as derivgen's other HTML.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from derivgen.derivation import Derivation
from derivgen.problem.model import Problem
from derivgen.render.html import MAX_EXPAND, html_view, inline_katex
from derivgen.render.templating import make_env

#: The hints in the order they open: a name and the step kinds that give it.
HINTS = (
    ("the dimension of the derivative", ("dimension",)),
    ("the index form", ("index_notation",)),
    ("which Kronecker δ survives", ("partials", "cases", "stack", "collate")),
    ("the chain rule", ("chain_rule",)),
)


def hints(steps: list[Any]) -> list[dict[str, Any]]:
    """The part's hints from its top-level steps, in :data:`HINTS` order; a hint with no step is left out."""
    found = []
    for name, kinds in HINTS:
        chosen = [s for s in steps if s["depth"] == 0 and s["kind"] in kinds]
        if chosen:
            found.append({"name": name, "steps": chosen})
    return found


def study_html(exam: Any, problems: list[Problem], derivations: list[list[Derivation]]) -> str:
    """The page for the problems as written (or the first version's)."""
    views = []
    for n, (p, ds, item) in enumerate(zip(problems, derivations, exam.problems, strict=True), 1):
        view: Any = html_view(p, ds, solutions=True, number=str(n), label="Question")
        unit = "point" if item.points == 1 else "points"
        view["heading"] = f"{view['heading']} ({item.points:g} {unit})"
        for part in view["parts"]:
            part["hints"] = hints(part["steps"])
        views.append(view)
    options = Markup(f"maxExpand: {MAX_EXPAND}, throwOnError: false")
    katex = {"inline": True, "options": options, **inline_katex()}
    title = exam.meta.get("title", exam.name) + ": self-study"
    return make_env("html").get_template("study.html.j2").render(title=title, problems=views, katex=katex)
