"""What a build reports: counters, timings, notes and every failure with its error lines.

``build`` and ``check`` return a :class:`BuildReport`; only the CLI prints it
and turns it into an exit code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from derivgen.errors import DerivgenError, ProblemError


@dataclass
class Failure:
    """A problem (or sheet) that could not be built, with every error."""

    file: str
    """The problem file as shown to the user (or the sheet folder)."""
    id: str | None
    """The problem id, when loading got that far."""
    errors: list[str]
    """``FILE:LINE:COL: message`` lines, or plain messages."""
    internal: str | None = None
    """The traceback of an unexpected exception (shown with ``--debug``)."""
    partial: bool = False
    """Only some of the problem's finds failed: its pages hold the others."""


@dataclass
class BuildReport:
    """What happened: counters, per-stage timings in seconds, failures and notes."""

    problems: int = 0
    """Problem files found."""
    built: int = 0
    """Problems derived, verified and rendered in this run."""
    cached: int = 0
    """Problems taken from the cache unchanged."""
    sheets_typeset: int = 0
    """Sheets whose PDFs were typeset in this run."""
    sheets_cached: int = 0
    """Sheets taken from the cache."""
    written: int = 0
    """Output files written (changed or new)."""
    unchanged: int = 0
    """Output files already up to date."""
    removed: int = 0
    """Outdated output files removed (their problem file was deleted or renamed, or its id changed)."""
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Seconds per stage: load, derive, verify, render, tex, write, total.

    derive, verify and render are summed over the workers."""
    failures: list[Failure] = field(default_factory=list)
    """Everything that failed, in file order."""
    notes: list[str] = field(default_factory=list)
    """One-line remarks (PDF skipped because TeX is missing...)."""
    out_dir: Path | None = None
    """Where the outputs went."""

    @property
    def ok(self) -> bool:
        return not self.failures


def error_lines(error: DerivgenError, display: str) -> list[str]:
    """A failure's error lines: every diagnostic, or the message with the file shown in front."""
    if isinstance(error, ProblemError):
        return [str(d) for d in error.diagnostics]
    text = str(error)
    return [line if line.startswith(display) else f"{display}: {line}" for line in text.splitlines()[:1]] + \
        text.splitlines()[1:]
