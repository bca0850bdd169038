"""``derivgen exam``: exam papers, solution sheets, LMS questions and a key, in several versions.

The exam file is read by :mod:`.examfile`.  Output, in ``OUT/<exam name>/``,
as its ``formats`` (or ``--format``) ask: ``paper.tex/.pdf``,
``solutions.tex/.pdf``, ``paper.md`` and ``solutions.md``; with ``--variants N``
one set per version, ``paper-A.tex`` ... ``solutions-C.pdf``; ``moodle.xml``
and ``qti.zip`` with the questions of every version (:mod:`.questions`);
``study.html`` for self-study; and ``key.json`` / ``key.md`` (:mod:`.keys`).
Every version is derived and verified like any problem; nothing is written
unless all of them are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from derivgen.build import atomic
from derivgen.build.gather import display_path
from derivgen.build.stages import Stages, at_detail, derive_verified, real_stages
from derivgen.build.typeset import Document, pdf_skipped, typeset_all
from derivgen.errors import DerivgenError, Diagnostic, ProblemError, RenderError, UsageError
from derivgen.exam.choices import random_points
from derivgen.exam.examfile import Exam, ExamProblem, load_exam
from derivgen.exam.keys import key_data, key_json, key_md, marking_scheme
from derivgen.exam.questions import Question, questions_for
from derivgen.exam.variants import Renaming, apply, draw, rename_expr
from derivgen.exam.vary import alternatives, choose
from derivgen.problem.text import to_text

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_VARIANTS = len(LETTERS)
#: Attempts at drawing a version that differs from the ones before.
DRAW_ATTEMPTS = 20
#: Seeds of the points at which versions' results are compared.
FINGERPRINT_SEEDS = (20261201, 1, 2, 3, 4)
#: Formats that need the LMS questions.
QUESTION_FORMATS = ("moodle", "qti")


@dataclass
class ExamOutput:
    """What ``make_exam`` wrote."""

    files: list[str] = field(default_factory=list)
    """Written files, relative paths inside the output folder."""
    notes: list[str] = field(default_factory=list)
    """One-line remarks (PDF skipped ...)."""


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
    """The problems before renaming (the ``vary`` alternative this version takes, else as written)."""
    alternatives: list[int] = field(default_factory=list)
    """Per problem, which ``vary`` alternative (0-based; 0 without ``vary``)."""
    derivations: list[list[Any]] = field(default_factory=list)
    """Per problem, its verified derivations."""
    differs: list[bool] = field(default_factory=list)
    """Per problem, whether its results differ from every other version's beyond the letters."""
    questions: list[Question] = field(default_factory=list)
    """The LMS questions of this version."""
    notes: list[str] = field(default_factory=list)
    """Remarks for the user (a problem that kept its letters)."""


def make_exam(path: Path, out: Path, variants: int = 1, seed: int = 0, templates: Path | None = None,
              stages: Stages | None = None, detail: str | None = None,
              formats: tuple[str, ...] | None = None) -> ExamOutput:
    """Write every version's papers, solutions, LMS questions and key, after all of them are verified.

    The problems go through the build's own stages (load, derive, verify) and
    the papers through its typesetting (:func:`derivgen.build.typeset.typeset_all`).
    """
    if variants > MAX_VARIANTS:
        raise UsageError(f"--variants: at most {MAX_VARIANTS} versions")
    stages = stages or real_stages()
    exam = load_exam(path, display_path(path))
    formats = formats or exam.formats
    versions = prepare_versions(exam, variants, seed, stages, detail)
    output = ExamOutput(notes=[note for v in versions for note in v.notes])
    if any(f in formats for f in QUESTION_FORMATS):
        output.notes += make_questions(exam, versions, seed)
    files = _render(exam, versions, variants, seed, templates, formats)
    if "pdf" in formats:
        files.update(_typeset(files, out, stages, output, exam))
    if "tex" not in formats:
        files = {k: v for k, v in files.items() if not k.endswith(".tex")}
    output.notes += same_results_notes(exam, versions)
    for rel in sorted(files):
        atomic.write_if_changed(atomic.safe_target(out, f"{exam.name}/{rel}"), files[rel])
        output.files.append(f"{exam.name}/{rel}")
    return output


def prepare_versions(exam: Exam, variants: int, seed: int, stages: Stages,
                     detail: str | None = None) -> list[Version]:
    """Load every problem (and its ``vary`` alternatives), draw the versions, derive and verify them."""
    choices = _load_problems(exam, stages)
    choices = [[at_detail(p, detail) for p in alts] for alts in choices]  # --detail wins
    versions = draw_versions(choices, variants, seed)
    stages.prepare()
    for version in versions:
        derive_version(version, exam, stages)
    mark_differences(versions)
    return versions


def _load_problems(exam: Exam, stages: Stages) -> list[list[Any]]:
    problems, diagnostics = [], []
    for n, item in enumerate(exam.problems, 1):
        try:
            problems.append(alternatives(item, n, stages))
        except ProblemError as e:
            diagnostics += e.diagnostics
    if diagnostics:
        raise ProblemError(diagnostics)
    return problems


def draw_versions(choices: list[list[Any]], variants: int, seed: int) -> list[Version]:
    """The versions: the problems as written for one; N distinct redrawn versions for several.

    ``choices`` holds, per problem, its ``vary`` alternatives (just the problem when it has none).
    """
    if variants == 1:
        firsts = [alts[0] for alts in choices]
        return [Version("", [Renaming() for _ in firsts], list(firsts), list(firsts), [0] * len(firsts))]
    picks = choose([len(alts) for alts in choices], variants, seed)
    versions: list[Version] = []
    seen: set[str] = set()
    offset = random.Random(f"derivgen-turn:{seed}").randrange(60)
    for n in range(variants):
        bases = [alts[k] for alts, k in zip(choices, picks[n], strict=True)]
        for attempt in range(DRAW_ATTEMPTS):
            rng = random.Random(f"derivgen-exam:{seed}:{n}:{attempt}")
            renamings = [draw(p, rng, turn=offset + n) for p in bases]
            fingerprint = repr([(r.as_json(), k) for r, k in zip(renamings, picks[n], strict=True)])
            if fingerprint not in seen or attempt == DRAW_ATTEMPTS - 1:
                break
        seen.add(fingerprint)
        renamed = [apply(p, r) for p, r in zip(bases, renamings, strict=True)]
        versions.append(Version(LETTERS[n], renamings, renamed, bases, list(picks[n])))
    return versions


def derive_version(version: Version, exam: Exam, stages: Stages) -> None:
    """Derive and verify every problem.

    Redrawn numbers that break a problem (a singular matrix, a check that cannot tell) are put
    back; should the new letters still fail, the problem keeps its letters as written in this
    version, with a note (renaming never breaks a problem).  A problem that fails as written is
    an error at its entry.
    """
    diagnostics: list[Diagnostic] = []
    for n in range(len(version.problems)):
        tries: list[Renaming] = []
        for r in (version.renamings[n], version.renamings[n].letters_only(), Renaming()):
            if r not in tries:
                tries.append(r)
        error: DerivgenError | None = None
        for k, renaming in enumerate(tries):
            problem = version.problems[n] if k == 0 else apply(version.originals[n], renaming)
            try:
                derived = derive_verified(stages, problem)
            except DerivgenError as e:
                error = e
                continue
            if renaming.is_identity() and not version.renamings[n].is_identity() and version.label:
                version.notes.append(f"{exam.problems[n].location}: note: version {version.label} keeps the "
                                     f"letters as written (renamed, the problem failed: {error})")
            version.renamings[n], version.problems[n] = renaming, problem
            version.derivations.append(derived)
            break
        else:
            assert error is not None
            diagnostics.append(_diagnostic(exam.problems[n], version, error))
    if diagnostics:
        raise ProblemError(diagnostics)


def _diagnostic(item: ExamProblem, version: Version, error: DerivgenError) -> Diagnostic:
    label = f"version {version.label}: " if version.label else ""
    return Diagnostic(item.location, f"{label}{error}")


# --- versions that differ ------------------------------------------------------------------------


def result_fingerprint(version: Version, n: int) -> str:
    """Problem ``n``'s results at one fixed point (the same numbers for the same variables in every
    version, whatever their letters) with its sizes: equal fingerprints mean two versions differ
    only in their letters."""
    import numpy as np

    from derivgen.check.numeric import concrete_sizes
    from derivgen.check.verify import evaluate_result

    problem = version.problems[n]
    sizes = concrete_sizes(problem)
    results: list[object] = []
    for seed in FINGERPRINT_SEEDS:  # a problem defined on a narrow domain may need a few tries
        try:
            (values,) = random_points(problem, sizes, np.random.default_rng(seed), 1)
            for d in version.derivations[n]:
                first = next(iter(evaluate_result(problem, d, values, sizes).values()), np.zeros(0))
                results.append(np.round(first, 8).tolist())
            break
        except DerivgenError:
            results = []
    else:  # no point found: the results as written in the letters of the file
        back = Renaming({v: k for k, v in version.renamings[n].names.items()},
                        {v: k for k, v in version.renamings[n].dims.items()})
        results = [to_text(rename_expr(d.result.closed, back, set())) if d.result.closed is not None
                   else f"{version.label}{n}" for d in version.derivations[n]]
    return repr((results, sorted(sizes.values()), version.alternatives[n]))


def mark_differences(versions: list[Version]) -> None:
    """Set each version's ``differs``: its results are unlike every other version's."""
    for v in versions:
        v.differs = [all(result_fingerprint(v, n) != result_fingerprint(w, n) for w in versions if w is not v)
                     for n in range(len(v.problems))]


def same_results_notes(exam: Exam, versions: list[Version]) -> list[str]:
    """One note per problem whose versions differ only in letters (values still differ in the LMS)."""
    if len(versions) < 2:
        return []
    return [f"{item.location}: note: some versions of this problem differ only in their letters; redrawn "
            "constants need an integer coefficient, redrawn sizes a size the text does not state, "
            "or give the problem a vary: block"
            for n, item in enumerate(exam.problems) if not all(v.differs[n] for v in versions)]


def make_questions(exam: Exam, versions: list[Version], seed: int) -> list[str]:
    """The LMS questions of every version; a problem none can be made for is an error at its entry.

    Returns notes: the find-the-error questions that could not be made (they are left out).
    """
    notes: list[str] = []
    diagnostics: list[Diagnostic] = []
    taken: dict[tuple[int, int], set[float]] = {}  # every version's numeric answers differ
    for v in versions:
        for n, (item, problem, ds) in enumerate(zip(exam.problems, v.problems, v.derivations,
                                                    strict=True), 1):
            title = f"Question {n}" if exam.anonymous else problem.title
            kinds = item.questions or exam.questions
            try:
                v.questions += questions_for(v.label, n, problem, ds, item.points, kinds, title, f"{seed}",
                                             taken, notes)
            except DerivgenError as e:
                diagnostics.append(_diagnostic(item, v, e))
    if diagnostics:
        raise ProblemError(diagnostics)
    return [f"note: {n}" for n in dict.fromkeys(notes)]


# --- rendering and writing ----------------------------------------------------------------------


def _render(exam: Exam, versions: list[Version], variants: int, seed: int, templates: Path | None,
            formats: tuple[str, ...]) -> dict[str, bytes]:
    from derivgen.exam.moodle import moodle_xml
    from derivgen.exam.qti import qti_package

    files: dict[str, bytes] = {}
    for v in versions:
        files.update(_papers(exam, v, templates, formats))
    title = exam.meta.get("title", exam.name)
    questions = [q for v in versions for q in v.questions]
    if "moodle" in formats:
        files["moodle.xml"] = moodle_xml(title, questions)
    if "qti" in formats:
        files["qti.zip"] = qti_package(title, questions)
    if "html" in formats:
        from derivgen.exam.study import study_html

        files["study.html"] = study_html(exam, versions[0].problems, versions[0].derivations).encode()
    if variants > 1 or questions:
        first = versions[0]
        schemes = [marking_scheme(p, ds, item.points)
                   for p, ds, item in zip(first.problems, first.derivations, exam.problems, strict=True)]
        data = key_data(title, seed, versions, schemes, questions)
        files["key.json"] = key_json(data).encode()
        files["key.md"] = key_md(data, first.originals).encode()
    return files


def _papers(exam: Exam, v: Version, templates: Path | None, formats: tuple[str, ...]) -> dict[str, bytes]:
    """The paper and the solutions of one version, as LaTeX and Markdown (points in both)."""
    from derivgen.render.latex import render_exam_tex
    from derivgen.render.markdown import render_sheet_md

    files: dict[str, bytes] = {}
    suffix = f"-{v.label}" if v.label else ""
    meta = {**exam.meta, "variant": v.label}
    points = [p.points for p in exam.problems]
    title = exam.meta.get("title", exam.name) + (f", version {v.label}" if v.label else "")
    for name, solutions in (("paper", False), ("solutions", True)):
        shown = v.problems if solutions or not exam.anonymous else [_anonymous(p) for p in v.problems]
        items = list(zip(shown, v.derivations, points, strict=True))
        if "tex" in formats or "pdf" in formats:
            tex = render_exam_tex(meta, items, solutions, exam.space, templates)
            files[f"{name}{suffix}.tex"] = tex.encode()
        if "md" in formats:
            headed = [(replace(p, title=_md_title(p, pts, exam.anonymous and not solutions)), ds)
                      for p, ds, pts in items]
            md = render_sheet_md(title, headed, solutions, "standard", templates, label="Question")
            files[f"{name}{suffix}.md"] = md.encode()
    return files


def _anonymous(problem: Any) -> Any:
    """The problem as an anonymous paper prints it: no title, no source."""
    return replace(problem, title="", source=None)


def _md_title(problem: Any, points: float, anonymous: bool) -> str:
    unit = "point" if points == 1 else "points"
    return f"{points:g} {unit}" if anonymous else f"{problem.title} ({points:g} {unit})"


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
