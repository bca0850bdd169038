"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each write goes to a temporary file in the target's own directory (so the
final ``os.replace`` is a rename within one file system), is flushed and
fsynced, and then replaces the target.  On any failure the temporary file is
removed and the old target is left as it was.

:func:`safe_target` keeps every write inside the output folder: a path that
resolves outside it (``..``, an absolute id, a symlink pointing away) is
refused before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from derivgen.errors import DerivgenError

#: Prefix of temporary files, so leftovers of a killed process are easy to spot.
TEMP_PREFIX = ".derivgen-tmp-"


class UnsafePathError(DerivgenError):
    """A write would land outside the output folder."""


def safe_target(root: Path, relative: str | Path) -> Path:
    """``root / relative``, refusing anything that resolves outside ``root``."""
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise UnsafePathError(f"refusing to write {relative}: not inside {root}")
    base = Path(root).resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise UnsafePathError(f"refusing to write {relative}: it resolves outside {root}")
    return target


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically unless ``path`` already holds exactly ``data``; True if written.

    Skipping identical files keeps warm rebuilds cheap (no fsync) and leaves
    modification times alone, so tools watching ``out/`` see only real changes.
    """
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes(path, data)
    return True


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
