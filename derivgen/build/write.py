"""Writing a build's outputs: where each file goes, atomic writes, the manifest, outdated files.

Only files whose bytes changed are written (:mod:`.atomic`), each under a
temporary name renamed into place.  The manifest (:mod:`.manifest`) records
which problem file owns each output, so that the outputs of a deleted or
renamed problem are removed; a failed problem's (or sheet's) earlier output
is left as it was.
"""

from __future__ import annotations

from pathlib import Path

from derivgen.build import atomic, manifest
from derivgen.build.gather import Item, Sheet
from derivgen.build.report import BuildReport

#: Per-problem outputs: format -> path template (``{sheet}`` and ``{id}`` filled in).
PROBLEM_PATHS = {
    "md": "{sheet}/md/{id}.md",
    "json": "json/{id}.json",  # the spec's contract: out/json/<id>.json, ids unique in a build
    "tex": "{sheet}/tex/{id}.tex",
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
) -> tuple[dict[str, bytes], dict[str, manifest.Entry]]:
    """Every output's bytes and owner by path in out/; a failed sheet keeps its last complete files."""
    outputs: dict[str, bytes] = {}
    owners: dict[str, manifest.Entry] = {}
    for item in items:
        if item.failure is None and item.derivations is not None:
            assert item.problem is not None
            for fmt, text in item.files.items():
                rel = problem_path(fmt, item.sheet, item.problem.id)
                outputs[rel] = text.encode("utf-8")
                owners[rel] = manifest.Entry(str(item.path.resolve()), fmt)
    for sheet in sheets:
        for name, data in sheet_files.get(sheet.name, {}).items():
            path = sheet.files(name)
            if sheet.failed and atomic.safe_target(out, path).exists():
                continue  # keep the last complete sheet rather than one missing a problem
            outputs[path] = data
            owners[path] = manifest.Entry(str(sheet.items[0].path.parent.resolve()), f"sheet:{name}")
    return outputs, owners


def write_outputs(out: Path, outputs: dict[str, bytes], owners: dict[str, manifest.Entry],
                  report: BuildReport) -> None:
    """Write every changed output atomically, remove the outdated ones, update the manifest."""
    previous = manifest.load(out)
    for rel in sorted(outputs):
        target = atomic.safe_target(out, rel)
        if atomic.write_if_changed(target, outputs[rel]):
            report.written += 1
        else:
            report.unchanged += 1
    stale = manifest.outdated(previous, owners, {(e.owner, e.kind) for e in owners.values()})
    report.removed = manifest.remove(out, stale)
    kept = {rel: e for rel, e in previous.items() if rel not in owners and rel not in stale}
    manifest.save(out, {**kept, **owners})
