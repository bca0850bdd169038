"""``derivgen exam EXAM.yaml --stress N``: draw N seeds and report every version that fails.

Like R/exams' ``stresstest_exercise``: for seeds ``seed, seed+1, ...``, the
versions are drawn, derived and verified, and their LMS questions made, as
``derivgen exam`` would; nothing is written.  A seed fails when a version
cannot be derived, verified or asked (the message says which problem and
why), or when two versions give a problem the same results and the same
numeric answers (they would differ only in their letters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from derivgen.build.gather import display_path
from derivgen.build.stages import Stages, real_stages
from derivgen.errors import DerivgenError
from derivgen.exam.examfile import load_exam
from derivgen.exam.papers import Version, make_questions, prepare_versions


@dataclass
class StressReport:
    """What the stress test found."""

    seeds: int = 0
    """Seeds tried."""
    failures: list[tuple[int, str]] = field(default_factory=list)
    """(seed, message) for each failure."""
    alike: dict[str, int] = field(default_factory=dict)
    """Problem id -> in how many seeds two versions differed only in letters (values differ)."""


def stress(path: Path, seeds: int, variants: int, seed: int = 0, stages: Stages | None = None,
           progress: Callable[[int, int], None] | None = None) -> StressReport:
    """Try ``seeds`` seeds from ``seed`` on; every failure reported, none stops the others."""
    stages = stages or real_stages()
    exam = load_exam(path, display_path(path))
    report = StressReport()
    for s in range(seed, seed + seeds):
        report.seeds += 1
        try:
            versions = prepare_versions(exam, max(variants, 2), s, stages)
            make_questions(exam, versions, s)
        except DerivgenError as e:
            report.failures += [(s, line) for line in str(e).splitlines()]
            continue
        for n, item in enumerate(exam.problems):
            pid = versions[0].problems[n].id
            if not all(v.differs[n] for v in versions):
                report.alike[pid] = report.alike.get(pid, 0) + 1
            same = _same_answers(versions, n + 1)
            if same:
                report.failures.append((s, f"{item.location}: versions {same} ask the same questions "
                                           "with the same answers"))
        if progress is not None:
            progress(report.seeds, seeds)
    return report


def _same_answers(versions: list[Version], number: int) -> str:
    """``A and B`` when two versions' numeric answers for problem ``number`` are all equal, else empty."""
    answers = {v.label: tuple(q.answer for q in v.questions if q.number == number and q.kind == "numeric")
               for v in versions}
    labels = list(answers)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if answers[a] and answers[a] == answers[b]:
                return f"{a} and {b}"
    return ""


def stress_text(report: StressReport, variants: int) -> list[str]:
    """The report as lines for the terminal: failures first, then one summary line."""
    lines = [f"seed {s}: {message}" for s, message in report.failures]
    for pid, count in report.alike.items():
        lines.append(f"note: {pid}: in {count} of {report.seeds} seeds some versions differ only in letters "
                     "and values (no constant, size or vary: alternative to redraw)")
    failed = len({s for s, _ in report.failures})
    lines.append(f"stress: {report.seeds} seeds x {max(variants, 2)} versions; "
                 + (f"{failed} seed{'s' if failed != 1 else ''} failed" if failed else "all passed"))
    return lines
