"""Writing a build's outputs: where each file goes, atomic writes, the manifest, outdated files.

Only files whose bytes changed are written (:mod:`.atomic`), each under a
temporary name renamed into place.  The manifest (:mod:`.manifest`) records
which problem file owns each output, so that the outputs of a deleted or
renamed problem are removed; a failed problem's (or sheet's) earlier output
is left as it was.
"""

from __future__ import annotations

import errno
import os
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from derivgen.build import atomic, manifest
from derivgen.build.gather import Item, Sheet, display_path
from derivgen.build.report import BuildReport, Failure
from derivgen.errors import DerivgenError

#: Per-problem outputs: format -> path template (``{sheet}`` and ``{id}`` filled in).
PROBLEM_PATHS = {
    "md": "{sheet}/md/{id}.md",
    "json": "json/{id}.json",  # the spec's contract: out/json/<id>.json, ids unique in a build
    "tex": "{sheet}/tex/{id}.tex",
    "py": "{sheet}/py/{id}.py",
}


def problem_path(fmt: str, sheet: str, problem_id: str) -> str:
    """Where a per-problem output goes, relative to out/."""
    return PROBLEM_PATHS[fmt].format(sheet=sheet, id=problem_id)


def outputs_of(item: Item) -> dict[str, str]:
    """A built problem's output files by format, relative to out/."""
    assert item.problem is not None
    return {fmt: problem_path(fmt, item.sheet, item.problem.id) for fmt in sorted(item.files)}


def collect_outputs(
    out: Path, items: list[Item], sheets: list[Sheet], sheet_files: dict[str, dict[str, bytes]],
    report: BuildReport | None = None,
) -> tuple[dict[str, bytes], dict[str, manifest.Entry]]:
    """Every output's bytes and owner by path in out/; a failed sheet keeps its last complete files.

    Two sources that would write the same file (a problem ``handout`` beside a sheet folder
    ``tex``; names equal but for case or Unicode normalisation) both fail, with a message naming
    the other, and write none of their files: neither silently overwrites the other.
    """
    found: list[tuple[str, bytes, manifest.Entry, str]] = []  # path, bytes, owner, source as shown
    for item in items:
        if item.failure is None and item.derivations is not None:
            assert item.problem is not None
            for fmt, text in item.files.items():
                data = text.encode("utf-8")
                entry = manifest.Entry(str(item.path.resolve()), fmt, manifest.digest(data))
                found.append((problem_path(fmt, item.sheet, item.problem.id), data, entry, item.display))
    for sheet in sheets:
        for name, data in sheet_files.get(sheet.name, {}).items():
            path = sheet.files(name)
            try:
                if sheet.failed and atomic.safe_target(out, path).exists():
                    continue  # keep the last complete sheet rather than one missing a problem
            except atomic.UnsafePathError:
                pass  # refused when written, with its message
            owner = str(sheet.items[0].path.parent.resolve())
            entry = manifest.Entry(owner, f"sheet:{name}", manifest.digest(data))
            found.append((path, data, entry, f"sheet {sheet.name}"))
    bad = _collisions(found, items, report)
    outputs = {rel: data for rel, data, _, source in found if source not in bad}
    owners = {rel: entry for rel, _, entry, source in found if source not in bad}
    return outputs, owners


def _file_key(rel: str) -> str:
    """The name a case-insensitive, normalising file system (macOS, Windows) sees."""
    return unicodedata.normalize("NFC", rel).casefold()


def _collisions(found: list[tuple[str, bytes, manifest.Entry, str]], items: list[Item],
                report: BuildReport | None) -> set[str]:
    """The sources (as shown) two of which would write one file, or a file where another needs a folder."""
    claims: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rel, _, _, source in found:
        claims[_file_key(rel)].append((rel, source))
    for rel, _, _, source in found:
        for parent in list(PurePosixPath(rel).parents)[:-1]:
            if _file_key(parent.as_posix()) in claims:
                claims[_file_key(parent.as_posix())].append((rel, source))
    by_display = {i.display: i for i in items}
    bad: set[str] = set()
    for group in claims.values():
        sources = sorted({source for _, source in group})
        if len(group) < 2:
            continue
        for rel, source in sorted(set(group)):
            others = ", ".join(s for s in sources if s != source) or "another of its own outputs"
            message = f"{source}: its output {rel} would overwrite (or sit in) the output of {others}; " \
                      "rename the id or the folder"
            bad.add(source)
            if report is None:
                continue
            item = by_display.get(source)
            if item is None:
                report.failures.append(Failure(source, None, [message]))
            elif item.failure is None:
                item.failure = Failure(item.display, getattr(item.problem, "id", None), [message])
                report.failures.append(item.failure)
    return bad


def write_outputs(out: Path, outputs: dict[str, bytes], owners: dict[str, manifest.Entry],
                  report: BuildReport, index: Callable[[], dict[str, bytes]] | None = None) -> None:
    """Write every changed output atomically, then the index, remove the outdated ones, save the manifest.

    A file that cannot be written (a symlink in the way, a read-only folder, a full disk, a name
    too long) is listed among the failures and the rest are still written; the index is made
    last, so it lists those failures too.
    """
    previous = manifest.load(out)
    written = _write_each(out, outputs, owners, report)
    if index is not None:
        extra = index()
        written.update(_write_each(out, extra, {}, report))
    owners = {rel: e for rel, e in owners.items() if rel in written}
    stale = manifest.outdated(previous, owners, {(e.owner, e.kind) for e in owners.values()})
    report.removed = manifest.remove(out, {rel: previous[rel] for rel in stale})
    kept = {rel: e for rel, e in previous.items() if rel not in owners and rel not in stale}
    try:
        manifest.save(out, {**kept, **owners})
    except (OSError, atomic.UnsafePathError) as e:
        report.failures.append(Failure(_shown(out, manifest.MANIFEST_NAME), None,
                                       [_write_error(out, manifest.MANIFEST_NAME, e)]))


def _write_each(out: Path, outputs: dict[str, bytes], owners: dict[str, manifest.Entry],
                report: BuildReport) -> set[str]:
    """Write each file; the paths written or already up to date."""
    done: set[str] = set()
    for rel in sorted(outputs):
        try:
            target = atomic.safe_target(out, rel)
            if atomic.write_if_changed(target, outputs[rel]):
                report.written += 1
            else:
                report.unchanged += 1
            done.add(rel)
        except (OSError, atomic.UnsafePathError) as e:
            report.failures.append(Failure(_shown(out, rel), None, [_write_error(out, rel, e)]))
    return done


def _shown(out: Path, rel: str) -> str:
    return display_path(out / rel)


def _write_error(out: Path, rel: str, e: Exception) -> str:
    if isinstance(e, atomic.UnsafePathError):
        return f"{_shown(out, rel)}: {e}; the file was not written"
    assert isinstance(e, OSError)
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.ENAMETOOLONG: "the file name is too long for the file system (shorten the id)",
           errno.EACCES: "permission denied", errno.EPERM: "permission denied",
           errno.EROFS: "the file system is read-only"}.get(e.errno or 0, e.strerror or str(e))
    return f"{_shown(out, rel)}: cannot write the file: {why}"


def prepare_out(out: Path) -> None:
    """Make sure the output folder can be written, and clear what a killed build left in it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = atomic.safe_target(out, f"{atomic.TEMP_PREFIX}{os.getpid()}-probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        why = e.strerror or str(e)
        raise DerivgenError(f"{out}: cannot write into the output folder ({why}); "
                         "choose another folder with -o") from e
    atomic.remove_leftovers(out)
