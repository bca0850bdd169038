"""The key: what each version changed, the answers of its LMS questions, and a marking scheme.

The marking scheme is written from the derivation's own steps as the
solution sheet shows them (dimension, index form, partial derivatives, chain
rule, closed form, ...): each step is worth points by its kind
(:data:`STEP_WEIGHTS`), the result too, and the points of a part add up to its
share of the problem's points (rounded to halves; the result takes the rest).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from derivgen.derivation import Derivation
from derivgen.exam.questions import Question
from derivgen.problem.model import Problem
from derivgen.render.narrate import present

#: Points of a step by its kind, relative to each other; kinds not named are worth 1.
STEP_WEIGHTS = {"dimension": 1, "index_notation": 2, "partials": 2, "chain_rule": 2, "factor": 2,
                "closed_form": 2, "explicit": 2, "gradient": 1, "multiply": 1, "difference_quotient": 2,
                "limit": 1}
#: The result's weight.
RESULT_WEIGHT = 2
#: What a marker looks for, by step kind.
STEP_NAMES = {
    "dimension": "dimension of the derivative", "index_notation": "index notation",
    "partials": "partial derivatives", "rewrite": "the function rewritten",
    "derive_identity": "identity derived",
    "cases": "cases of the indices", "stack": "partials stacked", "collate": "entries collected",
    "explicit": "explicit array", "vec": "vectorised Jacobian", "chain_rule": "chain rule with shapes",
    "factor": "a chain-rule factor", "multiply": "factors multiplied", "rule": "differentiation rule",
    "gradient": "partials collected", "closed_form": "closed matrix form", "justify": "identity justified",
    "simplify": "simplification", "substitute": "definitions substituted",
    "difference_quotient": "difference quotient", "limit": "limit taken",
}


@dataclass(frozen=True)
class Mark:
    """One line of the marking scheme."""

    part: str
    """The part's label (``a``, ...), empty for a problem with one part."""
    step: str
    """What the marker looks for."""
    detail: str
    """The step as the solution sheet states it (its first sentence, math as ``$...$``)."""
    points: float
    """Its points."""


def marking_scheme(problem: Problem, derivations: Sequence[Derivation], points: float) -> list[Mark]:
    """Points per step for every part, the parts sharing the problem's points evenly."""
    marks: list[Mark] = []
    several = len(derivations) > 1
    for j, d in enumerate(derivations):
        part = "abcdefghijklmnopqrstuvwxyz"[j] if several else ""
        steps = [p for p in present(d, problem, derivations[:j]) if p.depth == 0]
        weights = [STEP_WEIGHTS.get(p.kind, 1) for p in steps] + [RESULT_WEIGHT]
        share = points / len(derivations)
        each = shares(share, weights)
        for p, pts in zip(steps, each, strict=False):
            name = STEP_NAMES.get(p.kind, p.kind.replace("_", " "))
            marks.append(Mark(part, name, _first_sentence(p.text), pts))
        marks.append(Mark(part, "result", "the verified result", each[-1]))
    return marks


def shares(total: float, weights: list[int]) -> list[float]:
    """``total`` split by ``weights`` in halves (quarters when halves are too coarse), every share
    at least one unit, the last taking what rounding leaves; exact shares when even quarters
    cannot give every step one."""
    for unit in (0.5, 0.25):
        units = int(total / unit + 1e-9)
        if units >= len(weights):
            break
    else:
        return [round(total * w / sum(weights), 4) for w in weights]
    ideal = [units * w / sum(weights) for w in weights]
    got = [max(1, int(x)) for x in ideal]
    while sum(got) < units:  # the largest shortfalls first
        got[max(range(len(got)), key=lambda i: ideal[i] - got[i])] += 1
    while sum(got) > units:
        got[min((i for i in range(len(got)) if got[i] > 1), key=lambda i: ideal[i] - got[i])] -= 1
    out = [g * unit for g in got]
    out[-1] = round(total - sum(out[:-1]), 4)
    return out


def _first_sentence(text: str) -> str:
    """Up to the first full stop outside math, at most about 120 characters."""
    depth, out = False, []
    for ch in text:
        out.append(ch)
        if ch == "$":
            depth = not depth
        if ch == "." and not depth and len(out) > 20:
            break
    sentence = "".join(out).strip().replace("\n", " ")
    return sentence if len(sentence) <= 160 or sentence.count("$") % 2 else sentence[:157] + "..."


# --- the key -------------------------------------------------------------------------------------


def key_data(title: str, seed: int, versions: Sequence[Any], schemes: list[list[Mark]],
             questions: Sequence[Question]) -> dict[str, Any]:
    """Everything the key says, as JSON-ready data."""
    data: dict[str, Any] = {"exam": title, "seed": seed, "versions": {}}
    for v in versions:
        entry: dict[str, Any] = {}
        for n, (p, r) in enumerate(zip(v.problems, v.renamings, strict=True)):
            entry[p.id] = {**r.as_json(), "alternative": v.alternatives[n] + 1,
                           "differs": v.differs[n]}
        data["versions"][v.label or "-"] = entry
    data["marking"] = [[{"part": m.part, "step": m.step, "detail": m.detail, "points": m.points} for m in s]
                       for s in schemes]
    data["questions"] = [_question_key(q) for q in questions]
    return data


def _question_key(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"name": q.name, "version": q.version, "problem": q.problem_id, "kind": q.kind,
                           "points": q.points}
    if q.kind == "numeric":
        out.update(answer=q.answer, tolerance=q.tolerance)
    else:
        out.update(right="abcdefghijklmnopqrstuvwxyz"[next(i for i, o in enumerate(q.options) if o.correct)],
                   options=[{"tex": o.tex, "correct": o.correct, "mistake": o.kind} for o in q.options])
    if q.kind == "error":
        out["fix"] = q.solution.replace("\n", " ")
    return out


def key_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def key_md(data: dict[str, Any], problems: Sequence[Problem]) -> str:
    """The key as tables for the lecturer: versions, marking scheme, LMS answers."""
    lines = [f"# {data['exam']}: key (seed {data['seed']})", "", "## Versions", "",
             "| version | problem | names | dimensions | constants | exponents | sizes | alternative "
             "| results |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, entries in data["versions"].items():
        for pid, e in entries.items():
            lines.append(f"| {label} | {pid} | {_pairs(e['names'])} | {_pairs(e['dims'])} | "
                         f"{_pairs(e['constants'])} | {_pairs(e['exponents'])} | {_pairs(e['sizes'])} | "
                         f"{e['alternative']} | "
                         f"{'differ' if e['differs'] else 'same up to letters'} |")
    lines += ["", "## Marking scheme", ""]
    for n, (p, scheme) in enumerate(zip(problems, data["marking"], strict=True), 1):
        lines += [f"### Question {n} ({p.id})", "", "| part | step | what the solution says | points |",
                  "|---|---|---|---|"]
        lines += [f"| {m['part'] or '—'} | {m['step']} | {_cell(m['detail'])} | {m['points']:g} |"
                  for m in scheme]
        lines.append("")
    if data["questions"]:
        lines += ["## LMS questions", "", "| question | problem | kind | answer | points |",
                  "|---|---|---|---|---|"]
        for q in data["questions"]:
            answer = (f"{q['answer']:.6g} ± {q['tolerance']:g}" if q["kind"] == "numeric"
                      else _cell(q["fix"]) if q["kind"] == "error"
                      else f"option ({q['right']}) of {len(q['options'])}")
            lines.append(f"| {q['name']} | {q['problem']} | {q['kind']} | {answer} | {q['points']:g} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _pairs(mapping: dict[Any, Any]) -> str:
    return ", ".join(f"{k} → {v}" for k, v in mapping.items() if str(k) != str(v)) or "—"
