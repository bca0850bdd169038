"""``derivgen watch``: build, then again whenever a problem file, ``derivgen.yaml`` or a template changes.

Each rebuild is an ordinary incremental build (the cache in ``out/.cache``
skips every unchanged problem), so after an edit only that problem is derived
again.  One line per build says what happened; a failed problem prints its
errors as ``FILE:LINE:COL: message`` and the watch goes on.  The files are
watched with ``watchfiles`` (inotify, FSEvents or polling, as the system has).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from derivgen.build.pipeline import build
from derivgen.build.progress import Silent
from derivgen.build.report import BuildReport
from derivgen.errors import DerivgenError, ProblemError, UsageError
from derivgen.render.escape import terminal

#: What a change must touch to start a build (besides files in the templates folder).
WATCHED_SUFFIXES = (".yaml", ".yml")
#: Milliseconds watchfiles waits for more changes before it reports them (an editor saves in steps).
DEBOUNCE_MS = 200


@dataclass(frozen=True)
class Watch:
    """What to build on every change: the options of ``derivgen build``."""

    paths: tuple[Path, ...]
    out: Path
    formats: tuple[str, ...] | None = None
    jobs: int | None = None
    flavour: str = "standard"
    detail: str | None = None
    templates: Path | None = None


def build_once(w: Watch, stream: TextIO = sys.stderr) -> BuildReport | None:
    """One incremental build, reported in a line (and the errors); None if the build could not start."""
    t0 = time.monotonic()
    try:
        report = build(list(w.paths), w.out, w.formats, w.jobs, w.templates, w.flavour,
                       progress=Silent(), detail=w.detail)
    except ProblemError as e:  # derivgen.yaml or a path: say so, and keep watching
        for d in e.diagnostics:
            print(terminal(str(d)), file=stream)
        return None
    except DerivgenError as e:
        print(terminal(f"derivgen: {e}"), file=stream)
        return None
    for failure in report.failures:
        for line in failure.errors:
            print(terminal(line), file=stream)
    seconds = time.monotonic() - t0
    state = f"{len(report.failures)} failed" if report.failures else "ok"
    print(terminal(f"{time.strftime('%H:%M:%S')} built in {seconds:.1f} s: {report.problems} problems "
                   f"({report.built} built, {report.cached} cached), {state}"), file=stream)
    stream.flush()
    return report


def changed_sources(changes: Iterable[tuple[object, str]], w: Watch) -> list[Path]:
    """The changed files that a build reads: problem files, ``derivgen.yaml``, templates; not the output."""
    out = w.out.resolve()
    templates = w.templates.resolve() if w.templates else None
    found = []
    for _, name in changes:
        path = Path(name).resolve()
        if path == out or out in path.parents:
            continue
        if path.suffix in WATCHED_SUFFIXES or (templates is not None and templates in path.parents):
            found.append(path)
    return found


def watch(w: Watch, on_build: Callable[[BuildReport | None], None] = lambda r: None,
          stop: threading.Event | None = None, stream: TextIO = sys.stderr) -> None:
    """Build now and after every change until ``stop`` is set (or Ctrl-C, which is raised)."""
    import watchfiles

    missing = [p for p in w.paths if not p.exists()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder")
    on_build(build_once(w, stream))
    roots = [str(p) for p in w.paths] + ([str(w.templates)] if w.templates else [])
    print(terminal(f"watching {', '.join(roots)} for changes (Ctrl-C to stop)"), file=stream)
    for changes in watchfiles.watch(*roots, debounce=DEBOUNCE_MS, stop_event=stop, raise_interrupt=True):
        paths = changed_sources(changes, w)
        if paths:
            print(terminal(f"changed: {', '.join(sorted({p.name for p in paths}))}"), file=stream)
            on_build(build_once(w, stream))
