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
from derivgen.render.taylor import is_taylor

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
        **higher_order_json(d),
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
        out["index"] = second_index_text(d) or index_text(d.result.index)
    return out


def higher_order_json(d: Derivation) -> dict[str, object]:
    """``first_wrt`` for a second derivative d2f/dxdy (y; ``wrt`` is x); ``taylor`` for a Taylor one."""
    if d.first is not None:
        return {"first_wrt": d.first.wrt}
    if is_taylor(d) and d.steps:
        facts = d.steps[0].facts
        at = facts.get("at")
        names = facts.get("wrt")
        return {"taylor": {"degree": facts.get("degree"),
                           "wrt": list(names) if isinstance(names, (list, tuple)) else [],
                           "at": [to_text(a) for a in at] if isinstance(at, (list, tuple)) else []}}
    return {}


def second_index_text(d: Derivation) -> str | None:
    """``d2 f / d x[l] d x[k] = ...``: the entry formula of a second derivative, in text."""
    from derivgen.derivation.index_form import IndexForm, iexpr_text

    form = d.result.index
    if d.first is None or not isinstance(form, IndexForm):
        return None
    n_of = len(form.out_idx) - len(d.first.wrt_shape)

    def part(name: str, idx: tuple) -> str:
        return f"{name}[{','.join(i.name for i in idx)}]" if idx else name

    of, first = part(d.of, form.out_idx[:n_of]), part(d.first.wrt, form.out_idx[n_of:])
    return f"d2 {of} / d {part(form.wrt, form.wrt_idx)} d {first} = {iexpr_text(form.expr)}"


def index_text(index: object) -> str:
    """The index form in text: its ``to_text()`` if it has one, else ``str()``."""
    to_text_method = getattr(index, "to_text", None)
    return str(to_text_method()) if callable(to_text_method) else str(index)
