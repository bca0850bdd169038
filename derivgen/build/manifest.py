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
PDFs when a build asks only for Markdown.  Removal goes through
:func:`atomic.safe_target`, so it never reaches outside the output folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from derivgen.build import atomic

MANIFEST_NAME = ".manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    owner: str
    """Absolute path of the problem file, or of the sheet's folder."""
    kind: str
    """``md``, ``json``, ``tex`` for a problem's file; ``sheet:<name>`` for a sheet's
    (``sheet:solutions.pdf``)."""


def load(out: Path) -> dict[str, Entry]:
    """The manifest of the last build into ``out`` (empty if none or unreadable)."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        return {rel: Entry(str(v["owner"]), str(v["kind"])) for rel, v in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save(out: Path, files: dict[str, Entry]) -> None:
    data = {"format": FORMAT,
            "files": {rel: {"owner": e.owner, "kind": e.kind} for rel, e in sorted(files.items())}}
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


def remove(out: Path, files: list[str]) -> int:
    """Delete ``files`` (relative to ``out``) and the folders they leave empty; how many went."""
    removed = 0
    base = out.resolve()
    for rel in files:
        try:
            target = atomic.safe_target(out, rel)
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
