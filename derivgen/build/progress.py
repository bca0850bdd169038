"""A progress bar on stderr, for builds that take more than a moment.

Silent when stderr is not a terminal (CI logs, pipes) or when asked to be
quiet, and it appears only once a stage has run for :data:`DELAY` seconds, so
a quick warm rebuild prints nothing at all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

#: Seconds before the bar first appears.
DELAY = 0.5
WIDTH = 30


class Progress(Protocol):
    """What ``build`` reports to: a stage starts with a total, then advances."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def finish(self) -> None: ...


class Silent:
    """Reports nothing."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class Bar:
    """``derive   [#########.........]  12/40`` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.stage, self.total, self.done = "", 0, 0
        self.started = 0.0
        self.shown = False

    def start(self, stage: str, total: int) -> None:
        self.finish()
        self.stage, self.total, self.done = stage, total, 0
        self.started = self.clock()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.shown or self.clock() - self.started >= DELAY:
            self._draw()

    def finish(self) -> None:
        if self.shown:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
        self.shown = False

    def _draw(self) -> None:
        filled = WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\r{self.stage:<8} [{bar}] {self.done:>4}/{self.total}")
        self.stream.flush()
        self.shown = True


def progress_for(quiet: bool, stream: TextIO | None = None) -> Progress:
    """A bar on ``stream`` (stderr) when it is a terminal and not quiet, else silence."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return Silent()
    return Bar(stream)
