"""The build cache: content-addressed, so an unchanged problem is neither derived nor rendered again.

A problem's key is the SHA-256 of everything that decides its output: the
problem file's bytes, its place (path shown in messages, number in the
sheet), and the build's *context* -- derivgen's version and the hash of its
own source, the templates in use, the formats, the flavour and the settings
of ``derivgen.yaml``.  Under that key the cache keeps the verified
derivations and the rendered per-problem files.

A sheet's key is the hash of its problems' keys (in order) and the context;
under it the cache keeps the sheet-level files (handout and solutions TeX and
PDF, HTML), so a PDF is typeset again only when one of its problems changed.

Entries live in ``out/.cache/`` (or ``--cache-dir``), one file each, written
atomically.  An entry that cannot be read back -- truncated, from another
version, not ours -- counts as a miss and is rebuilt; it never stops a build.
Entries are pickles written by derivgen itself: the cache folder is trusted
like the output folder it sits in.

The cache does not grow without bound: every entry used by a build has its
time stamp refreshed, and at the end of a build :meth:`Cache.prune` removes
entries that no build has used for :data:`MAX_AGE_DAYS` days (edited problems,
older derivgen versions), so builds of parts of a bank into one folder keep
each other's entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derivgen import __version__
from derivgen.build.atomic import write_bytes

#: Bumped whenever the layout of an entry changes.
ENTRY_FORMAT = 1
CACHE_DIR_NAME = ".cache"
#: An entry no build has used for this many days is removed by :meth:`Cache.prune`.
MAX_AGE_DAYS = 14
_PACKAGE = Path(__file__).resolve().parent.parent  # all of derivgen's source


@dataclass
class ProblemEntry:
    """What the cache keeps for one problem."""

    problem: Any
    """The loaded ``Problem`` (an unchanged file is not loaded again)."""
    derivations: list
    """The verified ``(Find, Derivation)`` pairs, for the sheet renderers."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Rendered per-problem files, by path relative to the sheet folder (``md/<id>.md``)."""


def digest(parts: Iterable[bytes | str]) -> str:
    """SHA-256 of the parts, each length-prefixed so that no two lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def tree_hash(folders: Iterable[Path | None], suffixes: tuple[str, ...] = ()) -> str:
    """Hash of every file's relative path and bytes under the folders (missing ones skipped)."""
    parts: list[bytes | str] = []
    for folder in folders:
        if folder is None or not Path(folder).is_dir():
            parts.append("-")
            continue
        for f in sorted(Path(folder).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and (not suffixes or f.suffix in suffixes):
                parts += [f.relative_to(folder).as_posix(), f.read_bytes()]
    return digest(parts)


def code_fingerprint() -> str:
    """derivgen's version plus a hash of its own source, so a changed engine invalidates the cache."""
    return digest([__version__, tree_hash([_PACKAGE], (".py",))])


def context_key(template_dirs: Iterable[Path | None], formats: Iterable[str], flavour: str,
                config_fingerprint: str) -> str:
    """The part of every key shared by a whole build."""
    return digest([code_fingerprint(), tree_hash(template_dirs), ",".join(formats), flavour,
                   config_fingerprint])


def problem_key(context: str, file_bytes: bytes, display_path: str, number: str) -> str:
    """The key of one problem in its place in the build."""
    return digest([context, file_bytes, display_path, number])


def sheet_key(context: str, name: str, problem_keys: Iterable[str]) -> str:
    """The key of a sheet: its problems' keys, in order, and the context."""
    return digest([context, name, *problem_keys])


class Cache:
    """A folder of cache entries; with ``enabled=False`` every lookup misses and nothing is stored."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.used: set[Path] = set()

    def get_problem(self, key: str) -> ProblemEntry | None:
        entry = self._read("problems", key)
        return entry if isinstance(entry, ProblemEntry) and isinstance(entry.files, dict) else None

    def put_problem(self, key: str, entry: ProblemEntry) -> None:
        self._write("problems", key, entry)

    def get_sheet(self, key: str) -> dict[str, bytes] | None:
        files = self._read("sheets", key)
        if isinstance(files, dict) and all(isinstance(v, bytes) for v in files.values()):
            return files
        return None

    def put_sheet(self, key: str, files: Mapping[str, bytes]) -> None:
        self._write("sheets", key, dict(files))

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.pickle"

    def _read(self, kind: str, key: str) -> object | None:
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            stored = pickle.loads(data)
            if stored["format"] == ENTRY_FORMAT and stored["key"] == key:
                self._touch(path)
                return stored["value"]
        except Exception:  # a corrupt entry is a miss, whatever went wrong
            pass
        return None

    def _write(self, kind: str, key: str, value: object) -> None:
        if not self.enabled:
            return
        data = pickle.dumps({"format": ENTRY_FORMAT, "key": key, "value": value},
                            protocol=pickle.HIGHEST_PROTOCOL)
        try:
            write_bytes(self._path(kind, key), data)
            self.used.add(self._path(kind, key))
        except OSError:
            pass  # a cache that cannot be written only costs time next build

    def _touch(self, path: Path) -> None:
        self.used.add(path)
        with contextlib.suppress(OSError):
            os.utime(path)

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries unused by this build and by any build of the last ``max_age_days``; how many."""
        if not self.enabled or not self.root.is_dir():
            return 0
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        for kind in ("problems", "sheets"):
            for path in (self.root / kind).glob("*/*.pickle"):
                try:
                    if path not in self.used and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    pass
        return removed
