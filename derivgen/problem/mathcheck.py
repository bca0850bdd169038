"""Statement math checked when a problem loads: every formula an author wrote, parsed with KaTeX.

The texts with math are the title, the source and the statement (Markdown with
``$...$`` and ``$$...$$``) and the ``latex:`` of each given and define (one
formula, without delimiters); an exam file's title and instructions go through
:func:`math_diagnostics`.  Their formulas are found by
:mod:`derivgen.problem.mathtext`, then parsed, all formulas of a file in one
batch, by KaTeX in the build's one Node process (:mod:`derivgen.problem.katex`)
with ``throwOnError`` and strict mode, so that what would show as red source
on a course site, or be silently repaired by TeX, is an error at the
offending character: ``FILE:LINE:COL: statement: unbalanced brace: ...``.

Without Node the same errors are found by :func:`~derivgen.problem.mathtext.structure_slips`
(braces, ``&``, ``\\left``/``\\right``, environments, and macros against the
list of commands KaTeX's script names); the command line then prints
:func:`~derivgen.problem.katex.fallback_note`.  ``DERIVGEN_MATH_CHECK=off`` skips the
check (a bank being migrated; the renderers' own escaping tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

from yaml.nodes import MappingNode, Node, ScalarNode

from derivgen.errors import Diagnostic
from derivgen.problem.katex import KATEX_JS, Verdict, known_commands, node_program, parse_formulas
from derivgen.problem.mathtext import Formula, Slip, find_math, structure_slips, unknown_macro
from derivgen.problem.yamlsource import Report, Source, scalar_value

#: Top-level keys whose text is Markdown with math.
MARKDOWN_KEYS = ("title", "source", "statement")
#: Verdicts already given in this process, by (TeX, display): a formula is parsed once.
_MEMO: dict[tuple[str, bool], Verdict | None] = {}
_MEMO_LIMIT = 20000


@dataclass(frozen=True)
class _Text:
    """An author's text with math, and where it stands in the file."""

    node: ScalarNode
    path: str
    """The key path for messages (``statement``, ``given.W.latex``)."""
    markdown: bool
    """Markdown with ``$`` math; else one formula without delimiters (``latex:``)."""


def check_off() -> bool:
    """``DERIVGEN_MATH_CHECK=off`` (or 0, no, false)."""
    return os.environ.get("DERIVGEN_MATH_CHECK", "").strip().lower() in ("off", "0", "no", "false")


def check_mode() -> str:
    """How formulas are checked in this process: ``katex``, ``python`` (no Node) or ``off``."""
    if check_off():
        return "off"
    return "katex" if node_program() is not None and KATEX_JS.is_file() else "python"


def check_math(report: Report, top: Mapping[str, Node]) -> None:
    """Report every broken formula of a problem file's texts (``top``: its top-level value nodes)."""
    _check(report, _texts(top))


def math_diagnostics(display: str, texts: list[tuple[str, Node]]) -> list[Diagnostic]:
    """The same check for other files' texts (an exam's ``instructions``): ``(key path, node)`` each."""
    scalars = [(path, node) for path, node in texts if _is_text(node)]
    if not scalars:
        return []
    buffer = getattr(scalars[0][1].start_mark, "buffer", None) or ""
    report = Report(Source(display, buffer.rstrip("\0")))
    _check(report, [_Text(node, path, True) for path, node in scalars if _is_text(node)])
    return report.diagnostics


def _check(report: Report, texts: list[_Text]) -> None:
    if check_off():
        return
    pending: list[tuple[_Text, Formula]] = []
    for text in texts:
        value = str(text.node.value)
        if text.markdown:
            formulas, slips = find_math(value)
            for wrong in slips:
                _error(report, text, wrong.offset, wrong.message)
        else:
            formulas = [Formula(value, 0, False)] if value.strip() else []
        pending += [(text, f) for f in formulas]
    for (text, formula), slip in zip(pending, _judge([f for _, f in pending]), strict=True):
        if slip is not None:
            _error(report, text, formula.start + slip.offset, slip.message)


def _texts(top: Mapping[str, Node]) -> list[_Text]:
    out = []
    for key in MARKDOWN_KEYS:
        node = top.get(key)
        if _is_text(node):
            out.append(_Text(node, key, True))
    for section in ("given", "define"):
        entries = top.get(section)
        for key, value in entries.value if isinstance(entries, MappingNode) else []:
            if not isinstance(value, MappingNode):
                continue
            for inner_key, inner in value.value:
                if getattr(inner_key, "value", None) == "latex" and _is_text(inner):
                    out.append(_Text(inner, f"{section}.{key.value}.latex", False))
    return out


def _is_text(node: Node | None) -> TypeGuard[ScalarNode]:
    return isinstance(node, ScalarNode) and isinstance(scalar_value(node), str)


def _error(report: Report, text: _Text, offset: int, message: str) -> None:
    report.error(report.source.at_offset(text.node, offset), f"{text.path}: {message}")


# --- judging the formulas ------------------------------------------------------------------------


def _judge(formulas: list[Formula]) -> list[Slip | None]:
    """The first thing wrong with each formula (offset into its TeX), or None."""
    keys = [(f.tex, f.display) for f in formulas]
    new = list(dict.fromkeys(k for k in keys if k not in _MEMO))
    verdicts = parse_formulas(new)
    if verdicts is None:  # no Node: derivgen's own reading, macros against KaTeX's list
        known = known_commands()
        return [next(iter(structure_slips(tex, known)), None) for tex, _ in keys]
    if len(_MEMO) + len(new) > _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO.update(zip(new, verdicts, strict=True))
    return [_explain(tex, _MEMO[(tex, display)]) for tex, display in keys]


def _explain(tex: str, verdict: Verdict | None) -> Slip | None:
    """KaTeX's objection in derivgen's words, at the character that causes it."""
    if verdict is None:
        return None
    message = verdict.message
    at = verdict.position if verdict.position is not None else 0
    structural = structure_slips(tex)
    if structural and (verdict.position is None or structural[0].offset <= at):
        return structural[0]  # KaTeX says where it gave up; the cause (an unclosed '{') may be earlier
    if message.startswith("Undefined control sequence: "):
        name = message.removeprefix("Undefined control sequence: ").lstrip("\\")
        return Slip(at, unknown_macro(name, known_commands()))
    strict = "LaTeX-incompatible input and strict mode is set to 'error': "
    if message.startswith(strict):
        return Slip(at, f"not LaTeX (KaTeX's strict mode): {message.removeprefix(strict)}")
    return Slip(at, f"KaTeX cannot read this formula: {message}")
