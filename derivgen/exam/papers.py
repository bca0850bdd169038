"""``derivgen exam``: exam papers and their solution sheets, optionally in several variants.

An exam file (read with YAML's safe composer; errors at ``FILE:LINE:COL``)::

    exam:
      title: Midterm
      course: Mathematics for Machine Learning
      date: 2026-12-01
      instructions: Answer all questions. Show your working.
    problems:
      - {file: ../problems/week1/least-squares.yaml, points: 10}
      - {file: ../problems/week2/linear-map.yaml, points: 6}
    space: true            # room for answers under each question

Output, in ``OUT/<exam name>/``: ``paper.tex/.pdf``, ``solutions.tex/.pdf``,
``paper.md`` and ``solutions.md``; with ``--variants N`` one set per version,
``paper-A.tex`` ... ``solutions-C.pdf``, and ``key.json`` / ``key.md`` saying
which letters and constants each version uses.  Every version is derived
and verified like any problem; nothing is written unless all of them are.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from derivgen.build import atomic
from derivgen.build.gather import display_path
from derivgen.build.stages import Stages, at_detail, derive_verified, real_stages
from derivgen.build.typeset import Document, pdf_skipped, typeset_all
from derivgen.errors import DerivgenError, Diagnostic, ProblemError, RenderError, UsageError
from derivgen.exam.variants import Renaming, apply, draw
from derivgen.problem.yamlnodes import Diagnostics, at, compose_file, mapping_items, scalar_text

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_VARIANTS = len(LETTERS)
_META_KEYS = ("title", "course", "date", "instructions")
#: Attempts at drawing a version that differs from the ones before.
DRAW_ATTEMPTS = 20
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


@dataclass
class ExamOutput:
    """What ``make_exam`` wrote."""

    files: list[str] = field(default_factory=list)
    """Written files, relative paths inside the output folder."""
    notes: list[str] = field(default_factory=list)
    """One-line remarks (PDF skipped ...)."""


# --- reading the exam file ---------------------------------------------------------------------


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
    space = False
    for key, knode, vnode in mapping_items(root):
        if key == "exam":
            meta = _meta(vnode, diags)
        elif key == "problems":
            problems = _problems(vnode, Path(path).parent, diags)
        elif key == "space":
            space = _bool(vnode, diags)
        else:
            diags.add(knode, f"unknown key '{key}'; expected exam, problems or space")
    if not problems and not diags.items:
        diags.add(root, "the exam lists no problems")
    diags.raise_if_any()
    return Exam(meta, tuple(problems), space, Path(path).stem)


def _meta(node: yaml.Node, diags: Diagnostics) -> dict[str, str]:
    if not isinstance(node, yaml.MappingNode):
        diags.add(node, "exam must be a mapping: title, course, date, instructions")
        return {}
    meta: dict[str, str] = {}
    for key, knode, vnode in mapping_items(node):
        text = scalar_text(vnode)
        if key not in _META_KEYS:
            diags.add(knode, f"exam: unknown key '{key}'; expected {', '.join(_META_KEYS)}")
        elif text is None:
            diags.add(vnode, f"exam.{key} must be text")
        else:
            meta[key] = text
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
    if not isinstance(node, yaml.MappingNode):
        diags.add(node, f"problems[{n}] must be a mapping {{file: ..., points: ...}}")
        return None
    fields = {key: (knode, vnode) for key, knode, vnode in mapping_items(node)}
    for key, (knode, _) in fields.items():
        if key not in ("file", "points"):
            diags.add(knode, f"problems[{n}]: unknown key '{key}'; expected file and points")
    if "file" not in fields or "points" not in fields:
        diags.add(node, f"problems[{n}] needs both file and points")
        return None
    file_node, points_node = fields["file"][1], fields["points"][1]
    path = folder / (scalar_text(file_node) or "")
    if not path.is_file():
        diags.add(file_node, f"problems[{n}].file: no such file {scalar_text(file_node)}")
        return None
    try:
        points = float(scalar_text(points_node) or "")
    except ValueError:
        points = -1.0
    if points < 0 or math.isnan(points):
        diags.add(points_node, f"problems[{n}].points must be a non-negative number")
        return None
    if points > MAX_POINTS:
        diags.add(points_node, f"problems[{n}].points must be at most {MAX_POINTS} (not {points:g})")
        return None
    return ExamProblem(path, points, at(diags.display, file_node))


def _bool(node: yaml.Node, diags: Diagnostics) -> bool:
    text = (scalar_text(node) or "").lower()
    if text not in ("true", "false", "yes", "no"):
        diags.add(node, "space must be true or false")
    return text in ("true", "yes")


# --- making the versions ----------------------------------------------------------------------


@dataclass
class Version:
    """One version of the exam: its label, problems (renamed) and their verified derivations."""

    label: str
    """``A``, ``B``, ... (empty for a single version)."""
    renamings: list[Renaming]
    """Per problem, what changed."""
    problems: list[Any]
    """The problems as this version prints them."""
    originals: list[Any]
    """The problems as written."""
    derivations: list[list[Any]] = field(default_factory=list)
    """Per problem, its verified derivations."""


def make_exam(path: Path, out: Path, variants: int = 1, seed: int = 0, templates: Path | None = None,
              stages: Stages | None = None, detail: str | None = None) -> ExamOutput:
    """Write every version's paper and solutions (and the key), after all of them are verified.

    The problems go through the build's own stages (load, derive, verify) and
    the papers through its typesetting (:func:`derivgen.build.typeset.typeset_all`).
    """
    if variants > MAX_VARIANTS:
        raise UsageError(f"--variants: at most {MAX_VARIANTS} versions")
    stages = stages or real_stages()
    exam = load_exam(path, display_path(path))
    originals = [at_detail(p, detail) for p in _load_problems(exam, stages)]  # --detail wins
    versions = draw_versions(originals, variants, seed)
    stages.prepare()
    for version in versions:
        _derive_version(version, exam, stages)
    files = _render(exam, versions, variants, seed, templates)
    output = ExamOutput()
    folder = f"{exam.name}"
    files.update(_typeset(files, out, stages, output, exam))
    for rel in sorted(files):
        atomic.write_if_changed(atomic.safe_target(out, f"{folder}/{rel}"), files[rel])
        output.files.append(f"{folder}/{rel}")
    return output


def _load_problems(exam: Exam, stages: Stages) -> list[Any]:
    problems, diagnostics = [], []
    for item in exam.problems:
        try:
            problems.append(stages.load(item.path, display_path(item.path)))
        except ProblemError as e:
            diagnostics += e.diagnostics
    if diagnostics:
        raise ProblemError(diagnostics)
    return problems


def draw_versions(problems: list[Any], variants: int, seed: int) -> list[Version]:
    """The versions: the problems as written for one; N distinct redrawn versions for several."""
    if variants == 1:
        return [Version("", [Renaming() for _ in problems], list(problems), list(problems))]
    versions: list[Version] = []
    seen: set[str] = set()
    for n in range(variants):
        for attempt in range(DRAW_ATTEMPTS):
            rng = random.Random(f"derivgen-exam:{seed}:{n}:{attempt}")
            renamings = [draw(p, rng) for p in problems]
            fingerprint = json.dumps([r.as_json() for r in renamings], sort_keys=True)
            if fingerprint not in seen or attempt == DRAW_ATTEMPTS - 1:
                break
        seen.add(fingerprint)
        renamed = [apply(p, r) for p, r in zip(problems, renamings, strict=True)]
        versions.append(Version(LETTERS[n], renamings, renamed, list(problems)))
    return versions


def _derive_version(version: Version, exam: Exam, stages: Stages) -> None:
    """Derive and verify every problem; a redrawn constant that breaks a problem is put back."""
    diagnostics: list[Diagnostic] = []
    for n, problem in enumerate(version.problems):
        try:
            version.derivations.append(derive_verified(stages, problem))
        except DerivgenError as first:
            retry = _without_constants(version, n)
            if retry is None:
                diagnostics.append(_diagnostic(exam.problems[n], version, first))
                continue
            try:
                version.derivations.append(derive_verified(stages, version.problems[n]))
            except DerivgenError as e:
                diagnostics.append(_diagnostic(exam.problems[n], version, e))
    if diagnostics:
        raise ProblemError(diagnostics)


def _without_constants(version: Version, n: int) -> Any:
    """Put the constants of problem ``n`` back as written (keeping the new names); None if none changed."""
    r = version.renamings[n]
    if not r.constants:
        return None
    version.renamings[n] = Renaming(r.names, r.dims, {})
    version.problems[n] = apply(version.originals[n], version.renamings[n])
    return version.problems[n]


def _diagnostic(item: ExamProblem, version: Version, error: DerivgenError) -> Diagnostic:
    label = f"version {version.label}: " if version.label else ""
    return Diagnostic(item.location, f"{label}{error}")


# --- rendering and writing ----------------------------------------------------------------------


def _render(exam: Exam, versions: list[Version], variants: int, seed: int,
            templates: Path | None) -> dict[str, bytes]:
    from derivgen.render.latex import render_exam_tex
    from derivgen.render.markdown import render_sheet_md

    files: dict[str, bytes] = {}
    points = [p.points for p in exam.problems]
    for v in versions:
        suffix = f"-{v.label}" if v.label else ""
        meta = {**exam.meta, "variant": v.label}
        items = list(zip(v.problems, v.derivations, points, strict=True))
        title = exam.meta.get("title", exam.name) + (f", version {v.label}" if v.label else "")
        for name, solutions in (("paper", False), ("solutions", True)):
            tex = render_exam_tex(meta, items, solutions, exam.space, templates)
            files[f"{name}{suffix}.tex"] = tex.encode()
            md = render_sheet_md(title, [(p, ds) for p, ds, _ in items], solutions, "standard", templates)
            files[f"{name}{suffix}.md"] = md.encode()
    if variants > 1:
        files["key.json"] = key_json(exam, versions, seed).encode()
        files["key.md"] = key_md(exam, versions, seed).encode()
    return files


def key_json(exam: Exam, versions: list[Version], seed: int) -> str:
    """Which version is which: label -> problem id -> renamings."""
    data = {"exam": exam.meta.get("title", exam.name), "seed": seed,
            "versions": {v.label: {p.id: r.as_json() for p, r in zip(v.problems, v.renamings, strict=True)}
                         for v in versions}}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def key_md(exam: Exam, versions: list[Version], seed: int) -> str:
    """The same key as a table for the lecturer."""
    lines = [f"# {exam.meta.get('title', exam.name)}: versions (seed {seed})", "",
             "| version | problem | names | dimensions | constants |", "|---|---|---|---|---|"]
    for v in versions:
        for p, r in zip(v.problems, v.renamings, strict=True):
            lines.append(f"| {v.label} | {p.id} | {_pairs(r.names)} | {_pairs(r.dims)} "
                         f"| {_pairs(r.constants)} |")
    return "\n".join(lines) + "\n"


def _pairs(mapping: dict[Any, Any]) -> str:
    return ", ".join(f"{k} → {v}" for k, v in mapping.items()) or "—"


def _typeset(files: dict[str, bytes], out: Path, stages: Stages, output: ExamOutput,
             exam: Exam) -> dict[str, bytes]:
    """PDFs of every .tex, typeset as the build typesets sheets; one note if TeX is missing,
    one warning per overfull box (charged to the question's problem file)."""
    note = pdf_skipped(stages.tex_available)
    if note:
        output.notes.append(note)
        return {}
    names = sorted(n for n in files if n.endswith(".tex"))
    problems = tuple(display_path(p.path) for p in exam.problems)
    docs = [Document(name[:-4], files[name], display_path(out / exam.name / name), problems)
            for name in names]
    done = typeset_all(docs, stages.compile_pdf, out)
    for result in done:
        if result.pdf is None:  # nothing is written unless every paper is made
            raise RenderError("\n".join(result.errors))
    for result in done:
        output.notes.extend(result.warnings)  # not failures: the exit code stays 0
    return {doc.name + ".pdf": result.pdf
            for doc, result in zip(docs, done, strict=True) if result.pdf is not None}
