"""A progress bar on stderr, for builds that take more than a moment.

Silent when stderr is not a terminal (CI logs, pipes) or when asked to be
quiet, and it appears only once a stage has run for :data:`DELAY` seconds, so
a quick warm rebuild prints nothing at all.  Each stage shows the time it has
taken and, once a few items are done, about how long it has left:

    derive   [#########.....................]    9/30  0:12, about 0:28 left
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

#: Seconds before the bar first appears.
DELAY = 0.5
WIDTH = 30
#: Seconds a stage runs, and items it finishes, before the estimate of the time left is shown.
ESTIMATE_AFTER = (2.0, 2)


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
        self.width = 0

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
            self.width = 0
            self.stream.flush()
        self.shown = False

    def _draw(self) -> None:
        filled = WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (WIDTH - filled)
        line = f"\r{self.stage:<8} [{bar}] {self.done:>4}/{self.total}  {self._times()}"
        self.stream.write(line + " " * max(0, self.width - len(line)))  # no rest of a longer line
        self.width = len(line)
        self.stream.flush()
        self.shown = True

    def _times(self) -> str:
        """``0:12``, then ``0:12, about 0:28 left`` from the pace so far."""
        elapsed = self.clock() - self.started
        text = clock_time(elapsed)
        seconds, items = ESTIMATE_AFTER
        if elapsed >= seconds and self.done >= items and self.done < self.total:
            text += f", about {clock_time(elapsed / self.done * (self.total - self.done))} left"
        return text


def clock_time(seconds: float) -> str:
    """``75.3`` -> ``1:15``; ``3725`` -> ``1:02:05``."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_for(quiet: bool, stream: TextIO | None = None) -> Progress:
    """A bar on ``stream`` (stderr) when it is a terminal and not quiet, else silence."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return Silent()
    return Bar(stream)
