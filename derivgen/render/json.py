"""The JSON result of a problem, as the problem-format contract specifies.

Fields of the contract: ``id title source derivatives[of wrt shape result{expr
latex index} steps[kind text latex] verified{method sizes max_abs_error}]``.
derivgen adds (never removes): ``label`` and ``number`` (the heading every
format prints, ``Problem 3.1``; ``number`` is null outside a build),
``statement`` (the Markdown statement every format prints, see
:mod:`.statement`), a derivative's ``part`` (``a``, ``b``, ... or null) and
``ask`` (its Find line, empty when the statement asks), ``printed_shape``,
``method``, a step's ``depth``, and ``verified.points``.  Output is stable: keys in the contract's
order, two-space indentation, UTF-8 kept as is.
"""

from __future__ import annotations

import json

from derivgen.derivation import Derivation
from derivgen.problem.model import Problem
from derivgen.problem.text import to_text
from derivgen.render.narrate import present, present_result, verification_text
from derivgen.render.statement import Ask, asks, statement_markdown

#: What a problem is called unless ``label:`` in derivgen.yaml says otherwise.
DEFAULT_LABEL = "Problem"


def render_problem_json(problem: Problem, derivations: list[Derivation], number: str | None = None,
                        label: str = DEFAULT_LABEL) -> str:
    """``json/<id>.json`` for one problem; raises RenderError for an unverified derivation."""
    doc = {
        "id": problem.id,
        "title": problem.title,
        "source": problem.source,
        "label": label,
        "number": number,
        "statement": statement_markdown(problem),
        "derivatives": [
            derivative_json(problem, d, a, derivations[:i])
            for i, (d, a) in enumerate(zip(derivations, asks(problem, derivations), strict=True))
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def derivative_json(problem: Problem, d: Derivation, ask: Ask | None = None,
                    earlier: list[Derivation] | None = None) -> dict[str, object]:
    verification_text(d)  # refuses a derivation that was never checked
    assert d.verified is not None
    if ask is None:
        ask = asks(problem, [d])[0]
    return {
        "of": d.of,
        "wrt": d.wrt,
        "part": ask.label,
        "ask": ask.text,
        "shape": list(d.result.shape),
        "printed_shape": list(d.result.printed),
        "method": d.method,
        "result": result_json(problem, d),
        "steps": [
            {"kind": p.kind, "text": p.text, "latex": "\n".join(p.display), "depth": p.depth}
            for p in present(d, problem, earlier or ())
        ],
        "verified": {
            "method": d.verified.method,
            "sizes": dict(d.verified.sizes),
            "max_abs_error": d.verified.max_abs_error,
            "points": d.verified.points,
        },
    }


def result_json(problem: Problem, d: Derivation) -> dict[str, object]:
    """``expr`` when there is a closed form, ``index`` when there is an index form, always ``latex``."""
    out: dict[str, object] = {}
    if d.result.closed is not None:
        out["expr"] = to_text(d.result.closed)
    out["latex"] = present_result(d, problem)
    if d.result.index is not None:
        out["index"] = index_text(d.result.index)
    return out


def index_text(index: object) -> str:
    """The index form in text: its ``to_text()`` if it has one, else ``str()``."""
    to_text_method = getattr(index, "to_text", None)
    return str(to_text_method()) if callable(to_text_method) else str(index)
