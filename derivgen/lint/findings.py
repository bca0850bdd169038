"""What the lint reports, and the problems and sheets of a build it reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: Overfull boxes at most this wide (pt) are tolerated.
OVERFULL_LIMIT_PT = 10.0
#: A sentence may appear this many times in one solution, not more.
MAX_REPEATS = 3
#: Seconds allowed to typeset one sheet.
TEX_TIMEOUT = 180

CHECKS = (
    "question-mark", "signed-underbrace", "overfull-box", "tex-error", "repeated-sentence",
    "find-symbol", "missing-statement", "missing-output", "build-failure",
)


@dataclass(frozen=True)


class Finding:
    """One defect: the output file, the problem (None: the whole file), the check, what is wrong."""

    file: Path
    problem: str | None
    check: str
    message: str

    def __str__(self) -> str:
        where = f" [{self.problem}]" if self.problem and self.problem not in self.file.name else ""
        return f"{self.file}: {self.check}: {self.message}{where}"


@dataclass
class BuiltProblem:
    """A problem of the build: its file, id, YAML text, statement, and where its outputs are."""

    file: Path
    id: str
    yaml_text: str
    statement: str
    sheet: str | None = None
    number: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class BuiltSheet:
    """A sheet of the build and its problems, in order."""

    name: str
    problems: list[BuiltProblem] = field(default_factory=list)


def split_at(text: str, heading: str,
             problems: list[BuiltProblem]) -> list[tuple[BuiltProblem | None, str, int]]:
    """The text before the first heading (problem None), then one chunk per problem in order.

    Each chunk comes with the number of the line it starts on (1-based).
    """
    starts = [m.start() for m in re.finditer(heading, text)]
    chunks: list[tuple[BuiltProblem | None, str, int]] = []
    bounds = [0] + starts + [len(text)]
    for k in range(len(bounds) - 1):
        p = None if k == 0 else (problems[k - 1] if k - 1 < len(problems) else None)
        a, b = bounds[k], bounds[k + 1]
        chunks.append((p, text[a:b], text.count("\n", 0, a) + 1))
    return chunks


def problem_at_line(chunks: list[tuple[BuiltProblem | None, str, int]], line: int) -> BuiltProblem | None:
    owner = None
    for p, _, start in chunks:
        if start <= line:
            owner = p
    return owner
