"""Which files in the output folder derivgen wrote, and for which source, so outdated ones can go.

A course site is built from ``out/``: when a problem file is deleted or
renamed, or a problem's ``id`` changes, the pages derivgen wrote for it must
not stay there to be published.  ``out/.manifest.json`` records, for
every file a build wrote or kept, its *owner* (the problem file, or the
folder of a sheet) and its kind (``md``, ``json``, ``tex`` or a sheet file).
At the end of a build a recorded file is outdated, and removed, when

- its owner no longer exists (the problem file or the sheet's folder is gone,
  or the folder holds no problem files any more), or
- its owner was built successfully in this run, in this file's format, and
  wrote its output elsewhere (the ``id`` or the sheet changed).

Nothing else is ever removed: not files derivgen did not write, not the
earlier output of a problem that failed (it stays, as documented), not the
PDFs when a build asks only for Markdown.  Each entry records the SHA-256 of
the bytes derivgen wrote, and a file is removed only while it still holds
exactly those bytes: a forged or stale manifest cannot delete a hand-written
or hand-edited file.  Removal goes through :func:`atomic.safe_target`, so it
never reaches outside the output folder nor through a symlink in it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from derivgen.build import atomic

MANIFEST_NAME = ".manifest.json"
FORMAT = 2
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Entry:
    owner: str
    """Absolute path of the problem file, or of the sheet's folder."""
    kind: str
    """``md``, ``json``, ``tex`` for a problem's file; ``sheet:<name>`` for a sheet's
    (``sheet:solutions.pdf``)."""
    sha256: str = ""
    """Hex SHA-256 of the bytes written; a file whose bytes differ is never removed."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(out: Path) -> dict[str, Entry]:
    """The manifest of the last build into ``out`` (empty if none or unreadable)."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        entries = {rel: Entry(str(v["owner"]), str(v["kind"]), str(v["sha256"]))
                   for rel, v in data["files"].items()}
        return {rel: e for rel, e in entries.items() if isinstance(rel, str) and _SHA256.fullmatch(e.sha256)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save(out: Path, files: dict[str, Entry]) -> None:
    data = {"format": FORMAT,
            "files": {rel: {"owner": e.owner, "kind": e.kind, "sha256": e.sha256}
                      for rel, e in sorted(files.items()) if e.sha256}}
    atomic.write_if_changed(atomic.safe_target(out, MANIFEST_NAME),
                            (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def owner_gone(owner: str) -> bool:
    """The problem file is gone, or the sheet's folder is gone or holds no problem files."""
    path = Path(owner)
    if path.is_dir():
        return not any(p.name != "derivgen.yaml" for p in (*path.glob("*.yaml"), *path.glob("*.yml")))
    return not path.exists()


def outdated(
    previous: dict[str, Entry], current: dict[str, Entry], rebuilt: set[tuple[str, str]]
) -> list[str]:
    """Files of the last build that no source claims any more.

    ``current`` holds what this build wrote or kept; ``rebuilt`` the
    ``(owner, kind)`` pairs this build produced in full.
    """
    return sorted(rel for rel, e in previous.items()
                  if rel not in current and ((e.owner, e.kind) in rebuilt or owner_gone(e.owner)))


def remove(out: Path, files: dict[str, Entry]) -> int:
    """Delete ``files`` (relative to ``out``) that still hold the bytes recorded, and the folders
    they leave empty; how many went."""
    removed = 0
    base = out.resolve()
    for rel, entry in sorted(files.items()):
        try:
            target = atomic.safe_target(out, rel)
            if not target.is_file() or target.stat().st_size > 1 << 30 or \
                    digest(target.read_bytes()) != entry.sha256:
                continue  # not the file derivgen wrote: changed by hand, or the manifest is wrong
            target.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except (OSError, atomic.UnsafePathError):
            continue
        folder = target.parent
        while folder != base and base in folder.parents:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                break
            folder = folder.parent
    return removed
