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
import shutil
import tempfile
from pathlib import Path

from derivgen.errors import DerivgenError

#: Prefix of temporary files, so leftovers of a killed process are easy to spot.
TEMP_PREFIX = ".derivgen-tmp-"


class UnsafePathError(DerivgenError):
    """A write would land outside the output folder."""


def safe_target(root: Path, relative: str | Path) -> Path:
    """``root / relative``, refusing anything that resolves outside ``root`` or passes a symlink in it.

    ``root`` itself may be a symlink (``out -> /var/www/site``); a symlink *inside* it is never
    followed: derivgen writes and removes only plain files and folders of its own output folder.
    """
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise UnsafePathError(f"refusing to write {relative}: not inside {root}")
    base = Path(root).resolve()
    step = base
    for part in rel.parts:
        step = step / part
        if step.is_symlink():
            shown = Path(root) / step.relative_to(base)
            raise UnsafePathError(f"refusing to write {Path(root) / rel}: {shown} is a symbolic link "
                                  "(derivgen follows no links inside its output folder)")
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise UnsafePathError(f"refusing to write {relative}: it resolves outside {root}")
    return target


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=path.parent)
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


#: Prefixes of what a build leaves in the output folder while it runs: temporary files of
#: atomic writes and the TeX scratch folder, each followed by the process id and ``-``.
LEFTOVER_PREFIXES = (TEMP_PREFIX, ".derivgen-tex-")


def remove_leftovers(root: Path) -> int:
    """Remove temporary files and folders that a killed build left in ``root``; how many went.

    Only names derivgen makes (:data:`LEFTOVER_PREFIXES`) whose process is gone: a build
    running at the same time into the same folder keeps its own.  Links are not followed.
    """
    removed = 0
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if not name.startswith(LEFTOVER_PREFIXES) or path.is_symlink() or _owner_alive(name):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)
            else:
                _remove_quietly(str(path))
            removed += 1
    return removed


def _owner_alive(name: str) -> bool:
    prefix = next(p for p in LEFTOVER_PREFIXES if name.startswith(p))
    pid_text = name[len(prefix):].split("-", 1)[0]
    if not pid_text.isdigit():
        return False  # from a derivgen that did not name its process: its build is long over
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
