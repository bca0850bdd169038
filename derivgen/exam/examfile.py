"""The exam file: what an exam holds, which question types and outputs it asks for.

Read with YAML's safe composer; every mistake is reported at once, each at
``FILE:LINE:COL`` (see ``docs/exams.md`` for the format)::

    exam: {title: Midterm, course: MML, date: 1 December 2026, instructions: ...}
    problems:
      - {file: ../problems/least-squares.yaml, points: 10}
      - file: ../problems/sigmoid.yaml
        points: 6
        questions: [numeric]          # this problem's question types (default: the exam's)
        vary:                         # one alternative per version (see docs/exams.md)
          - {}
          - define: {f: "tanh(3*x - 1)"}
            statement: For $f(x) = \\tanh(3x - 1)$, find $\\mathrm{d}f/\\mathrm{d}x$.
    space: true                       # room for answers on the papers
    anonymous: true                   # papers and LMS questions without titles and sources (default)
    questions: [numeric, choice]      # question types for Moodle and QTI (the default; also error)
    formats: [pdf, md, moodle, qti, html]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from derivgen.errors import Location, ProblemError
from derivgen.problem.mathcheck import math_diagnostics
from derivgen.problem.yamlnodes import Diagnostics, at, compose_file, mapping_items, scalar_text

META_KEYS = ("title", "course", "date", "instructions")
TOP_KEYS = ("exam", "problems", "space", "anonymous", "questions", "formats")
ENTRY_KEYS = ("file", "points", "questions", "vary")
#: Question types (see :mod:`.questions`).
QUESTION_KINDS = ("numeric", "choice", "error")
#: The question types made when the exam file names none.
DEFAULT_QUESTIONS = ("numeric", "choice")
#: What ``derivgen exam`` can write; ``tex`` is always written with ``pdf``.
FORMATS = ("tex", "pdf", "md", "moodle", "qti", "html")
DEFAULT_FORMATS = FORMATS
#: What a ``vary`` alternative may replace in the problem file.
VARY_KEYS = ("title", "statement", "define", "sizes", "find", "show")
#: Most points one exam problem may be worth (points must be finite: no nan, no 1e400).
MAX_POINTS = 10_000


@dataclass(frozen=True)
class ExamProblem:
    """One question: a problem file and its points."""

    path: Path
    """The problem file, resolved against the exam file's folder."""
    points: float
    """Marks for the question."""
    location: Any = None
    """Where the entry is written in the exam file."""
    questions: tuple[str, ...] | None = None
    """Question types for this problem; None: the exam's."""
    vary: tuple[dict[str, Any], ...] = ()
    """Alternatives, each a mapping of problem-file keys to replace; empty: none."""
    vary_locations: tuple[Location, ...] = ()
    """Where each alternative is written."""


@dataclass(frozen=True)
class Exam:
    """A checked exam file."""

    meta: dict[str, str]
    """title, course, date, instructions."""
    problems: tuple[ExamProblem, ...]
    """The questions in order."""
    space: bool
    """Leave room for answers on the paper."""
    name: str
    """The exam file's stem: the output folder's name."""
    anonymous: bool = True
    """Hide problem titles and sources on papers and in LMS questions."""
    questions: tuple[str, ...] = DEFAULT_QUESTIONS
    """Question types made for Moodle and QTI."""
    formats: tuple[str, ...] = field(default=DEFAULT_FORMATS)
    """What to write."""


def load_exam(path: Path, display: str | None = None) -> Exam:
    """Read and check an exam file; every mistake reported at once."""
    display = display or str(path)
    root = compose_file(path, display)
    diags = Diagnostics(display)
    if not isinstance(root, yaml.MappingNode):
        diags.add(root, "an exam file must be a mapping with the keys exam, problems and space")
        raise ProblemError(diags.items)
    meta: dict[str, str] = {}
    problems: list[ExamProblem] = []
    flags = {"space": False, "anonymous": True}
    kinds: tuple[str, ...] = DEFAULT_QUESTIONS
    formats: tuple[str, ...] = DEFAULT_FORMATS
    for key, knode, vnode in mapping_items(root):
        if key == "exam":
            meta = _meta(vnode, diags)
        elif key == "problems":
            problems = _problems(vnode, Path(path).parent, diags)
        elif key in flags:
            flags[key] = _bool(vnode, diags, key)
        elif key == "questions":
            kinds = _words(vnode, diags, "questions", QUESTION_KINDS)
        elif key == "formats":
            formats = _words(vnode, diags, "formats", FORMATS)
        else:
            diags.add(knode, f"unknown key '{key}'; expected {', '.join(TOP_KEYS)}")
    if not problems and not diags.items:
        diags.add(root, "the exam lists no problems")
    diags.raise_if_any()
    return Exam(meta, tuple(problems), flags["space"], Path(path).stem, flags["anonymous"], kinds, formats)


def parse_formats(text: str) -> tuple[str, ...]:
    """``--format pdf,moodle`` as a tuple; ValueError naming the unknown ones."""
    found = tuple(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))
    unknown = [w for w in found if w not in FORMATS]
    if unknown or not found:
        raise ValueError(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return found


def _meta(node: yaml.Node, diags: Diagnostics) -> dict[str, str]:
    if not isinstance(node, yaml.MappingNode):
        diags.add(node, "exam must be a mapping: title, course, date, instructions")
        return {}
    meta: dict[str, str] = {}
    for key, knode, vnode in mapping_items(node):
        text = scalar_text(vnode)
        if key not in META_KEYS:
            diags.add(knode, f"exam: unknown key '{key}'; expected {', '.join(META_KEYS)}")
        elif text is None:
            diags.add(vnode, f"exam.{key} must be text")
        else:
            meta[key] = text
    texts = [(f"exam.{key}", vnode) for key, _, vnode in mapping_items(node) if key in META_KEYS]
    diags.items += math_diagnostics(diags.display, texts)  # broken $...$ in the title, instructions
    if "title" not in meta:
        diags.add(node, "exam: a title is required")
    return meta


def _problems(node: yaml.Node, folder: Path, diags: Diagnostics) -> list[ExamProblem]:
    if not isinstance(node, yaml.SequenceNode):
        diags.add(node, "problems must be a list of {file: ..., points: ...}")
        return []
    found = []
    for n, item in enumerate(node.value, 1):
        entry = _problem(item, folder, diags, n)
        if entry is not None:
            found.append(entry)
    return found


def _problem(node: yaml.Node, folder: Path, diags: Diagnostics, n: int) -> ExamProblem | None:
    if isinstance(node, yaml.ScalarNode) and scalar_text(node):  # "- sigmoid.yaml": its own points
        node = yaml.MappingNode("tag:yaml.org,2002:map", [(yaml.ScalarNode("tag:yaml.org,2002:str", "file",
                                node.start_mark, node.end_mark), node)], node.start_mark, node.end_mark)
    if not isinstance(node, yaml.MappingNode):
        diags.add(node, f"problems[{n}] must be a mapping {{file: ..., points: ...}} or a file name")
        return None
    fields = {key: (knode, vnode) for key, knode, vnode in mapping_items(node)}
    for key, (knode, _) in fields.items():
        if key not in ENTRY_KEYS:
            diags.add(knode, f"problems[{n}]: unknown key '{key}'; expected {', '.join(ENTRY_KEYS)}")
    if "file" not in fields:
        diags.add(node, f"problems[{n}] needs a file")
        return None
    file_node = fields["file"][1]
    path = folder / (scalar_text(file_node) or "")
    if not path.is_file():
        diags.add(file_node, f"problems[{n}].file: no such file {scalar_text(file_node)}")
        return None
    points_node = fields["points"][1] if "points" in fields else _problem_points(path)
    if points_node is None:
        diags.add(node, f"problems[{n}] needs points, here or as points: in the problem file")
        return None
    points = _points(points_node, diags, n)
    kinds = _words(fields["questions"][1], diags, f"problems[{n}].questions", QUESTION_KINDS) \
        if "questions" in fields else None
    vary = _vary(fields["vary"][1], diags, n) if "vary" in fields else ()
    if points is None:
        return None
    return ExamProblem(path, points, at(diags.display, file_node), kinds,
                       tuple(v for v, _ in vary), tuple(loc for _, loc in vary))


def _problem_points(path: Path) -> yaml.Node | None:
    """The problem file's own ``points:`` (its value node), if it has one; the loader reports
    anything else wrong with the file."""
    try:
        root = compose_file(path, str(path))
    except ProblemError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    return next((v for key, _, v in mapping_items(root) if key == "points"), None)


def _points(node: yaml.Node, diags: Diagnostics, n: int) -> float | None:
    try:
        points = float(scalar_text(node) or "")
    except ValueError:
        points = -1.0
    if points < 0 or math.isnan(points):
        diags.add(node, f"problems[{n}].points must be a non-negative number")
        return None
    if points > MAX_POINTS:
        diags.add(node, f"problems[{n}].points must be at most {MAX_POINTS} (not {points:g})")
        return None
    return points


def _vary(node: yaml.Node, diags: Diagnostics, n: int) -> list[tuple[dict[str, Any], Location]]:
    """The alternatives as plain data (strings, numbers, lists, mappings), each with its place."""
    where = f"problems[{n}].vary"
    if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
        diags.add(node, f"{where} must be a list of at least two alternatives "
                        "(each a mapping such as {define: {f: 'tanh(x)'}}; {} keeps the problem as written)")
        return []
    found = []
    for k, item in enumerate(node.value, 1):
        if not isinstance(item, yaml.MappingNode):
            diags.add(item, f"{where}[{k}] must be a mapping of {', '.join(VARY_KEYS)}")
            continue
        for key, knode, _ in mapping_items(item):
            if key not in VARY_KEYS:
                diags.add(knode, f"{where}[{k}]: unknown key '{key}'; expected {', '.join(VARY_KEYS)}")
        found.append((_plain(item), at(diags.display, item)))
    return found


def _plain(node: yaml.Node) -> Any:
    """A node as plain data, through the safe constructor (no tags beyond YAML's own)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _words(node: yaml.Node, diags: Diagnostics, key: str, known: tuple[str, ...]) -> tuple[str, ...]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    words = [scalar_text(i) for i in items]
    bad = [w for w in words if w not in known]
    if bad or not words:
        diags.add(node, f"{key}: unknown {', '.join(str(w) for w in bad) or '(empty)'}; "
                        f"choose from {', '.join(known)}")
        return known
    return tuple(dict.fromkeys(w for w in words if w is not None))


def _bool(node: yaml.Node, diags: Diagnostics, key: str) -> bool:
    text = (scalar_text(node) or "").lower()
    if text not in ("true", "false", "yes", "no"):
        diags.add(node, f"{key} must be true or false")
    return text in ("true", "yes")
