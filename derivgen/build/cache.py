"""The build cache: content-addressed, so an unchanged problem is neither derived nor rendered again.

A problem's key is the SHA-256 of everything that decides its output: the
problem file's bytes (read once: the bytes hashed are the bytes the loader
parses), its place (path shown in messages, number in the sheet), and the
build's *context* -- derivgen's version and the hash of its own source, the
templates in use, the formats, the flavour and the settings of
``derivgen.yaml``.  Under that key the cache keeps the loaded problem, its
verified derivations and the rendered per-problem files.

A sheet's key is the hash of its problems' keys (in order) and the context;
under it the cache keeps the sheet-level files (handout and solutions TeX and
PDF, HTML), so a PDF is typeset again only when one of its problems changed.

**An entry is data, never code.**  Each is one file
``<kind>/<key[:2]>/<key>.json``: a header line, then the payload, both JSON::

    {"derivgen-cache": 2, "kind": "problem", "key": "<key>", "sha256": "<checksum>"}
    {"files": {"md": "...", ...}, "problem": {...}, "derivations": [...]}

The payload of a problem holds its rendered files as text and the problem and
derivations in the plain form of :mod:`.entrydata` (allow-listed types only);
a sheet's payload holds its files, each ``{"text": ...}`` or ``{"base64": ...}``
(PDFs).  The checksum is the SHA-256 of the format, kind, key and payload
bytes.  An entry is used only when the header names this format, kind and key,
the checksum matches and the payload reads back as the allowed types; anything
else -- truncated, edited, from another version, an old pickle, not ours --
is a miss and is rebuilt, never published and never run.

The cache folder is ``out/.cache`` unless ``--cache-dir`` names another.  The
default folder must be a real folder inside ``out/``: if it is a symbolic
link, or resolves outside ``out/``, :func:`open_cache` refuses it (the build
goes on without a cache and says why).  Entries are written (atomically) and
read only inside the cache folder, and :meth:`Cache.prune` removes only files
named like entries (``<64 hex digits>.json``, or ``.pickle`` from format 1).

The cache does not grow without bound: every entry used by a build has its
time stamp refreshed, and at the end of a build :meth:`Cache.prune` removes
entries that no build has used for :data:`MAX_AGE_DAYS` days (edited problems,
older derivgen versions), so builds of parts of a bank into one folder keep
each other's entries.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derivgen import __version__
from derivgen.build.atomic import write_bytes
from derivgen.build.entrydata import from_data, to_data

#: Bumped whenever the layout of an entry changes (1: pickles; 2: JSON with a checksum).
ENTRY_FORMAT = 2
CACHE_DIR_NAME = ".cache"
#: An entry no build has used for this many days is removed by :meth:`Cache.prune`.
MAX_AGE_DAYS = 14
#: An entry file larger than this is not read (a miss).
MAX_ENTRY_BYTES = 256 * 1024 * 1024
KINDS = ("problems", "sheets")
#: What an entry file is named: its key (and, for format 1, the pickle suffix pruning still removes).
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.(json|pickle)")
_PACKAGE = Path(__file__).resolve().parent.parent  # all of derivgen's source


@dataclass
class ProblemEntry:
    """What the cache keeps for one problem."""

    problem: Any
    """The loaded ``Problem`` (an unchanged file is not loaded again)."""
    derivations: list
    """The verified derivations, for the sheet renderers."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Rendered per-problem files, by format (``md``, ``json``, ``tex``)."""


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
    """derivgen's version plus a hash of its own source, so a changed engine invalidates the cache;
    also the KaTeX that checks statement math and how it is checked (a problem loaded with the
    check off, or without Node, is loaded again once the check can run)."""
    from derivgen.problem.mathcheck import check_mode

    return digest([__version__, tree_hash([_PACKAGE], (".py", ".js")), check_mode()])


def context_key(template_dirs: Iterable[Path | None], formats: Iterable[str], flavour: str,
                config_fingerprint: str) -> str:
    """The part of every key shared by a whole build."""
    return digest([code_fingerprint(), tree_hash(template_dirs), ",".join(formats), flavour,
                   config_fingerprint])


def problem_key(context: str, file_bytes: bytes, display_path: str, number: str) -> str:
    """The key of one problem in its place in the build: ``file_bytes`` are the bytes that are loaded."""
    return digest([context, file_bytes, display_path, number])


def sheet_key(context: str, name: str, problem_keys: Iterable[str]) -> str:
    """The key of a sheet: its problems' keys, in order, and the context."""
    return digest([context, name, *problem_keys])


def checksum(kind: str, key: str, payload: bytes) -> str:
    """What an entry's header must say for its payload to be used."""
    return digest([str(ENTRY_FORMAT), kind, key, payload])


def open_cache(out: Path, cache_dir: Path | None, enabled: bool, notes: list[str]) -> Cache:
    """The build's cache: ``cache_dir`` as given, else ``out/.cache`` if that is safe to use.

    ``out/.cache`` is refused -- the build runs without a cache, and a note says why -- when it
    is a symbolic link or resolves outside ``out``: derivgen would read, write and prune there.
    """
    if cache_dir is not None or not enabled:
        return Cache(Path(cache_dir) if cache_dir else Path(out) / CACHE_DIR_NAME, enabled=enabled)
    root = Path(out) / CACHE_DIR_NAME
    problem = unsafe_default(Path(out), root)
    if problem:
        notes.append(f"derivgen: not using the cache {root}: {problem}; remove it (derivgen makes "
                     "a new one), or name a cache folder with --cache-dir")
        return Cache(root, enabled=False)
    return Cache(root, confine=Path(out))


def unsafe_default(out: Path, root: Path) -> str | None:
    """Why ``root`` (``out/.cache``) must not be used, or None."""
    if root.is_symlink():
        return f"it is a symbolic link (to {os.readlink(root)})"
    if root.exists():
        if not root.is_dir():
            return "it is not a folder"
        base, real = out.resolve(), root.resolve()
        if base not in real.parents:
            return f"it resolves outside {out} (to {real})"
    return None


class Cache:
    """A folder of cache entries; with ``enabled=False`` every lookup misses and nothing is stored."""

    def __init__(self, root: Path, enabled: bool = True, confine: Path | None = None) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.confine = confine
        """For the default cache, the output folder: the cache must stay a real folder inside it."""
        self.used: set[Path] = set()

    # --- problems and sheets ---------------------------------------------------------------------

    def get_problem(self, key: str) -> ProblemEntry | None:
        payload = self._read("problems", key)
        try:
            files = payload["files"]
            if not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())):
                return None
            problem, derivations = from_data(payload["problem"]), from_data(payload["derivations"])
        except Exception:  # wrong shape or a type not allowed: a miss
            return None
        if not isinstance(derivations, list):
            return None
        return ProblemEntry(problem, derivations, {k: v.encode("utf-8") for k, v in files.items()})

    def put_problem(self, key: str, entry: ProblemEntry) -> None:
        if not self.enabled:
            return
        try:
            payload = {"files": {k: v.decode("utf-8") for k, v in entry.files.items()},
                       "problem": to_data(entry.problem), "derivations": to_data(entry.derivations)}
        except (TypeError, ValueError, RecursionError):
            return  # something the entry format cannot hold: not cached, built again next time
        self._write("problems", key, payload)

    def get_sheet(self, key: str) -> dict[str, bytes] | None:
        payload = self._read("sheets", key)
        try:
            return {name: _file_bytes(spec) for name, spec in payload["files"].items()}
        except Exception:
            return None

    def put_sheet(self, key: str, files: Mapping[str, bytes]) -> None:
        if self.enabled:
            self._write("sheets", key, {"files": {name: _file_spec(data) for name, data in files.items()}})

    # --- entries ---------------------------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        if kind not in KINDS or not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / kind / key[:2] / f"{key}.json"

    def _inside(self, path: Path) -> bool:
        """The entry's folder is really inside the cache folder, and the entry is not a link."""
        try:
            if self.confine is not None and unsafe_default(self.confine, self.root):
                return False
            base = self.root.resolve()
            return base in path.parent.resolve().parents and not path.is_symlink()
        except (OSError, RuntimeError):
            return False

    def _read(self, kind: str, key: str) -> Any:
        """The payload of a valid entry, else None."""
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            if not self._inside(path):
                return None
            with path.open("rb") as handle:
                data = handle.read(MAX_ENTRY_BYTES + 1)
            if len(data) > MAX_ENTRY_BYTES:
                return None
            header_line, _, payload = data.partition(b"\n")
            header = json.loads(header_line)
            if header != {"derivgen-cache": ENTRY_FORMAT, "kind": kind, "key": key,
                          "sha256": checksum(kind, key, payload)}:
                return None  # another format, kind or key, or a payload changed since it was written
            value = json.loads(payload)
        except Exception:  # unreadable or not ours: a miss, whatever went wrong
            return None
        self._touch(path)
        return value

    def _write(self, kind: str, key: str, value: object) -> None:
        path = self._path(kind, key)
        try:
            payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                 allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            return
        header = {"derivgen-cache": ENTRY_FORMAT, "kind": kind, "key": key,
                  "sha256": checksum(kind, key, payload)}
        data = json.dumps(header).encode("utf-8") + b"\n" + payload
        try:
            if not self._inside(path):
                return  # a link inside the cache folder points away: write nothing there
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._inside(path):
                return  # a link inside the cache folder points away: write nothing there
            write_bytes(path, data)
            self.used.add(path)
        except OSError:
            pass  # a cache that cannot be written only costs time next build

    def _touch(self, path: Path) -> None:
        self.used.add(path)
        with contextlib.suppress(OSError):
            os.utime(path)

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries unused by this build and by any build of the last ``max_age_days``; how many.

        Only regular files named like entries, in a shard folder inside the cache folder, are removed.
        """
        if not self.enabled or not self.root.is_dir():
            return 0
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        for kind in KINDS:
            for path in (self.root / kind).glob("*/*"):
                try:
                    if (path in self.used or not _ENTRY_NAME.fullmatch(path.name)
                            or path.parent.name != path.name[:2] or not self._inside(path)
                            or not path.is_file()):
                        continue
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    pass
        return removed


def _file_spec(data: bytes) -> dict[str, str]:
    """A file in a sheet entry: its text when it is UTF-8 (TeX, HTML), else base64 (PDF)."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _file_bytes(spec: object) -> bytes:
    if isinstance(spec, dict) and len(spec) == 1:
        if isinstance(spec.get("text"), str):
            return spec["text"].encode("utf-8")
        if isinstance(spec.get("base64"), str):
            return base64.b64decode(spec["base64"], validate=True)
    raise ValueError("not a cached file")
