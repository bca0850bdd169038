"""The one exception tree of derivgen.

Every error a user can cause is a :class:`DerivgenError`; only the CLI turns
these into messages and exit codes.  Errors that point into a problem file
carry a :class:`Location` so they print as ``FILE:LINE:COL: message``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a file, counted from 1 as editors show it."""

    file: str
    """Path of the file as the user named it."""
    line: int
    """Line number, from 1."""
    col: int
    """Column number, from 1."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One thing wrong with an input, with where it is."""

    location: Location | None
    """Where the problem is; None when it concerns no particular place."""
    message: str
    """What is wrong, in plain words."""

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class DerivgenError(Exception):
    """Base of every error derivgen reports to a user."""


class UsageError(DerivgenError):
    """The command line itself is wrong (exit code 2)."""


class ProblemError(DerivgenError):
    """One or more things are wrong with a problem file; all are listed."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ExpressionError(DerivgenError):
    """A syntax or shape error inside one expression string.

    ``offset`` is the 0-based character offset inside the expression text, so
    the loader can turn it into a line and column of the YAML file.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        self.message = message
        self.offset = offset
        super().__init__(message)


class DerivationError(DerivgenError):
    """No rule applies, or a derivation cannot be carried out."""


class VerificationError(DerivgenError):
    """A derived result disagrees with finite differences: never published."""


class LimitError(DerivgenError):
    """A documented limit (array size, depth, time) was exceeded."""


class RenderError(DerivgenError):
    """Rendering or typesetting failed (for example TeX reported an error)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a build: what was finished before it is kept (written and cached).

    Not a :class:`DerivgenError`: nothing is wrong with the input.  The workers
    raise it with the outcomes they have (``partial``, None where a problem was
    not finished); the build raises it again with ``kept``, the problems whose
    pages it wrote, for the CLI's message (exit code 130).
    """

    def __init__(self, kept: int = 0, partial: list | None = None) -> None:
        super().__init__(kept)
        self.kept = kept
        """How many problems' pages were written (built in this run or taken from the cache)."""
        self.partial = partial
        """Per task, its outcome or None (raised by the workers only)."""
