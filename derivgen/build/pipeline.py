"""``build``: where the stages meet.  It reads as the pipeline::

    find files -> config -> load every problem -> sheets and cache keys
      -> derive + verify + render the changed problems (in parallel)
      -> render and typeset the changed sheets -> write everything, atomically

Everything is gathered in memory (PDFs are typeset in a scratch folder)
before the first output file is written.  One bad problem never spoils the
build: it is listed in the report with its errors, every other problem is
still built, and the bad problem's earlier output is left untouched.

Each step lives in its own module (:mod:`.gather`, :mod:`.stages`,
:mod:`.workers`, :mod:`.typeset`, :mod:`.index`, :mod:`.write`, :mod:`.cache`);
this module only calls them in order and keeps the :class:`~.report.BuildReport`.
"""

from __future__ import annotations

import time
import traceback
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from derivgen.build.cache import Cache, ProblemEntry, context_key, open_cache, problem_key, sheet_key
from derivgen.build.config import Config
from derivgen.build.defaults import size_warning
from derivgen.build.gather import (
    Item,
    Sheet,
    builtin_templates,
    check_roots,
    display_path,
    gather,
    group_sheets,
    read_config,
    render_options,
)
from derivgen.build.index import index_files
from derivgen.build.progress import Progress, Silent
from derivgen.build.report import BuildReport, Failure, error_lines
from derivgen.build.stages import RenderOptions, Stages, real_stages
from derivgen.build.typeset import Document, pdf_skipped, typeset_all
from derivgen.build.workers import Outcome, Task, process_all
from derivgen.build.write import collect_outputs, prepare_out, write_outputs
from derivgen.errors import DerivgenError, Diagnostic, Interrupted, Location, ProblemError
from derivgen.problem.yamlsource import read_bytes


def build(
    paths: Sequence[Path | str],
    out_dir: Path | str = "out",
    formats: Iterable[str] | None = None,
    jobs: int | None = None,
    templates_dir: Path | None = None,
    flavour: str = "standard",
    use_cache: bool = True,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
    stages: Stages | None = None,
    detail: str | None = None,
    layout: str | None = None,
) -> BuildReport:
    """Build every problem under ``paths`` into ``out_dir``; see the module docstring."""
    t_start = time.perf_counter()
    stages, progress = stages or real_stages(), progress or Silent()
    report = BuildReport(out_dir=Path(out_dir))
    out = Path(out_dir)
    roots = check_roots(paths)
    prepare_out(out)  # writable, and no temporary files of a killed build left in it
    config = read_config(roots)
    opts = replace(render_options(config, formats, templates_dir, flavour), detail=detail,
                   default_detail=config.detail, layout=layout, default_layout=config.layout)
    items = gather(roots, config, stages, report)
    cache = open_cache(out, Path(cache_dir) if cache_dir else None, use_cache, report.notes)
    context = context_key([opts.templates, builtin_templates()], opts.formats, flavour,
                          config.fingerprint() + f"/detail={detail}"
                          + (f"/layout={layout}" if layout else ""))
    contents = reuse_cached(items, cache, context, report)
    try:
        load_all(items, stages, report, progress, contents)
        derive_all([i for i in items if pending(i)], stages, opts, jobs, report, progress)
        sheets = group_sheets(items, config)
        sheet_files = render_sheets(sheets, cache, context, stages, opts, out, jobs, report, progress)
    except KeyboardInterrupt:  # Ctrl-C: keep what is finished, then stop
        progress.finish()
        raise Interrupted(keep_finished(out, items, cache, report)) from None
    write_all(out, items, sheets, sheet_files, config, report, flavour)
    store(cache, items, sheets, sheet_files)
    cache.prune()
    report.timings["total"] = time.perf_counter() - t_start
    return report


# --- load -------------------------------------------------------------------------------------------


def reuse_cached(items: list[Item], cache: Cache, context: str, report: BuildReport) -> dict[str, bytes]:
    """Fill in problem, derivations and rendered files of every file whose key the cache knows.

    Each file is read once, here: the key is the hash of those bytes (and the file's place), and
    the loader parses the same bytes (returned by display path), so a file edited during the build
    can never be stored under the key of its other content.  An unchanged file is not loaded again.
    """
    t0 = time.perf_counter()
    contents: dict[str, bytes] = {}
    for item in items:
        try:
            data = read_bytes(item.path, item.display)
        except DerivgenError:
            continue  # unreadable or too large: the loader reports it
        contents[item.display] = data
        item.key = problem_key(context, data, item.display, item.number)
        entry = cache.get_problem(item.key)
        if entry is not None:
            item.problem, item.derivations = entry.problem, entry.derivations
            item.files = {k: v.decode("utf-8") for k, v in entry.files.items()}
            report.cached += 1
    report.timings["cache"] += time.perf_counter() - t0
    return contents


def load_all(items: list[Item], stages: Stages, report: BuildReport, progress: Progress,
             contents: dict[str, bytes] | None = None) -> None:
    """Load every item not taken from the cache; a file that fails is listed with all its errors."""
    t0 = time.perf_counter()
    progress.start("load", len(items))
    for item in items:
        if item.problem is not None:  # from the cache: the file is unchanged
            progress.advance()
            continue
        try:
            data = (contents or {}).get(item.display)
            item.problem = stages.load(item.path, item.display, data)
            _check_id(item)
            report.notes.extend(w for w in [size_warning(item.problem, item.display)] if w)
        except DerivgenError as e:
            _fail(item, error_lines(e, item.display), report)
        except Exception as e:  # an internal error in the loader spoils one problem only
            _fail(item, [f"{item.display}: internal error: {e}"], report, traceback.format_exc())
        progress.advance()
    _reject_duplicate_ids(items, report)
    progress.finish()
    report.timings["load"] += time.perf_counter() - t0


def _check_id(item: Item) -> None:
    assert item.problem is not None
    pid = str(item.problem.id)
    if not pid or "/" in pid or "\\" in pid or pid.startswith(".") or ".." in pid:
        loc = Location(item.display, 1, 1)
        message = f"id '{pid}' cannot name an output file (no '/', '\\' or leading '.')"
        raise ProblemError([Diagnostic(loc, message)])


def _reject_duplicate_ids(items: list[Item], report: BuildReport) -> None:
    by_id: dict[str, list[Item]] = defaultdict(list)  # ids equal but for case or Unicode form collide
    for item in items:  # on the file systems of macOS and Windows, so they count as duplicates
        if item.failure is None and item.problem is not None:
            by_id[unicodedata.normalize("NFKC", item.problem.id).casefold()].append(item)
    for group in by_id.values():
        if len(group) < 2:
            continue
        for item in group:
            assert item.problem is not None
            others = ", ".join(o.display for o in group if o is not item)
            same = all(o.problem is not None and o.problem.id == item.problem.id for o in group)
            why = "" if same else " (ids that differ only in case or Unicode form name the same file)"
            message = f"duplicate id '{item.problem.id}': also the id of {others}{why}"
            _fail(item, [f"{item.display}:1:1: {message}"], report)


def _fail(item: Item, errors: list[str], report: BuildReport, internal: str | None = None) -> None:
    pid = getattr(item.problem, "id", None)
    item.failure = Failure(item.display, pid, errors, internal)
    report.failures.append(item.failure)


# --- derive, verify and render per problem (in worker processes) -----------------------------------


def pending(item: Item) -> bool:
    """Loaded, not failed, not yet derived (nor taken from the cache)."""
    return item.failure is None and item.derivations is None


def derive_all(items: list[Item], stages: Stages, opts: RenderOptions, jobs: int | None,
               report: BuildReport, progress: Progress) -> None:
    """Derive, verify and render every item in parallel; each keeps its outcome or its failure."""
    if not items:
        return
    t0 = time.perf_counter()
    progress.start("derive", len(items))
    try:
        outcomes: list[Outcome | None] = list(process_all([_task(i) for i in items], stages, opts, jobs,
                                                          progress))
    except Interrupted as stop:  # the problems finished before Ctrl-C keep their outcomes
        _take_outcomes(items, stop.partial or [], report)
        raise
    _take_outcomes(items, outcomes, report)
    progress.finish()
    report.timings["parallel"] += time.perf_counter() - t0


def _take_outcomes(items: list[Item], outcomes: list[Outcome | None], report: BuildReport) -> None:
    """Each item's derivations and files, or its failure; an item without an outcome stays pending."""
    for item, outcome in zip(items, outcomes, strict=False):
        if outcome is None:
            continue
        for stage, seconds in outcome.timings.items():
            report.timings[stage] += seconds
        if outcome.derivations is None:
            _fail(item, outcome.errors, report, outcome.internal)
        else:
            item.derivations, item.files = outcome.derivations, outcome.files
            item.fresh = not outcome.errors  # a problem with a failed find is built again next time
            report.built += 1
            if outcome.errors:  # some finds failed: their errors are listed, the pages hold the others
                pid = getattr(item.problem, "id", None)
                report.failures.append(Failure(item.display, pid, outcome.errors, partial=True))


def _task(item: Item) -> Task:
    assert item.problem is not None  # pending: loaded
    return Task(item.problem, item.display, item.number)


# --- sheets: render, typeset -----------------------------------------------------------------------


def render_sheets(sheets: list[Sheet], cache: Cache, context: str, stages: Stages, opts: RenderOptions,
                  out: Path, jobs: int | None, report: BuildReport,
                  progress: Progress) -> dict[str, dict[str, bytes]]:
    """Sheet-level files (TeX, PDF, HTML) by sheet name; from the cache when no problem changed."""
    wants_pdf = "pdf" in opts.formats and _pdf_possible(stages, report)
    result: dict[str, dict[str, bytes]] = {}
    to_typeset: list[tuple[Sheet, dict[str, bytes]]] = []
    for sheet in sheets:
        if not sheet.good or not (set(opts.formats) & {"tex", "pdf", "html"}):
            continue
        sheet.key = sheet_key(context + ("+pdf" if wants_pdf else ""), sheet.name,
                              [i.key for i in sheet.good])
        cached = cache.get_sheet(sheet.key)
        if cached is not None:
            result[sheet.name] = cached
            report.sheets_cached += 1
            continue
        files = _render_one_sheet(sheet, stages, opts, report)
        if files is not None:
            result[sheet.name] = files
            sheet.fresh = True
            if wants_pdf:
                to_typeset.append((sheet, files))
    _typeset(to_typeset, stages, out, jobs, report, progress)
    if "tex" not in opts.formats:  # the .tex was only the way to the PDF
        for files in result.values():
            for name in [n for n in files if n.endswith(".tex")]:
                del files[name]
    return result


def _pdf_possible(stages: Stages, report: BuildReport) -> bool:
    note = pdf_skipped(stages.tex_available)
    if note:
        report.notes.append(note)
    return note is None


def _render_one_sheet(sheet: Sheet, stages: Stages, opts: RenderOptions,
                      report: BuildReport) -> dict[str, bytes] | None:
    t0 = time.perf_counter()
    items = [(i.problem, i.derivations) for i in sheet.good]
    # The sheet templates read meta["numbers"] as a list, beside the other entries' text.
    numbers = {"numbers": [i.number for i in sheet.good]}
    opts = replace(opts, meta={**opts.meta, **numbers})  # type: ignore[dict-item]
    try:
        texts = stages.render_sheet(sheet.title, items, opts)
    except DerivgenError as e:
        report.failures.append(Failure(sheet.name, None, [f"{sheet.name}: {e}"]))
        return None
    finally:
        report.timings["render"] += time.perf_counter() - t0
    return {name: text.encode("utf-8") for name, text in texts.items()}


def _typeset(sheets: list[tuple[Sheet, dict[str, bytes]]], stages: Stages, out: Path, jobs: int | None,
             report: BuildReport, progress: Progress) -> None:
    """Handout and solutions PDFs of each sheet, added to its files; a sheet TeX failed on is not cached."""
    docs = [(sheet, files, name) for sheet, files in sheets for name in ("handout", "solutions")
            if f"{name}.tex" in files]
    if not docs:
        return
    t0 = time.perf_counter()
    documents = [Document(name, files[f"{name}.tex"], display_path(out / sheet.files(f"{name}.tex")),
                          tuple(i.display for i in sheet.good)) for sheet, files, name in docs]
    typeset = typeset_all(documents, stages.compile_pdf, out, jobs, progress)
    warnings: list[str] = []
    for (sheet, files, name), done in zip(docs, typeset, strict=True):
        if done.pdf is None:
            sheet.fresh = False  # incomplete: not cached, tried again next build
            report.failures.append(Failure(display_path(out / sheet.files(f"{name}.tex")), None, done.errors))
        else:
            files[f"{name}.pdf"] = done.pdf
            warnings += done.warnings
    report.notes += sorted(warnings)  # not failures: the exit code stays 0
    report.sheets_typeset = len({id(s) for s, _, _ in docs})
    report.timings["tex"] += time.perf_counter() - t0


# --- write, remember -------------------------------------------------------------------------------


def write_all(out: Path, items: list[Item], sheets: list[Sheet], sheet_files: dict[str, dict[str, bytes]],
              config: Config, report: BuildReport, flavour: str = "standard") -> None:
    """Write every output atomically; a failed problem's (or failed sheet's) old files stay as they were."""
    t0 = time.perf_counter()
    outputs, owners = collect_outputs(out, items, sheets, sheet_files, report)
    write_outputs(out, outputs, owners, report, lambda: index_files(sheets, report, config, flavour))
    report.timings["write"] += time.perf_counter() - t0


def keep_finished(out: Path, items: list[Item], cache: Cache, report: BuildReport) -> int:
    """After Ctrl-C: write and cache the problems finished so far; how many have their pages.

    Nothing else is touched: no sheet is made, the index and the files of unfinished
    problems stay as the last build left them, and no file is removed.
    """
    done = [i for i in items if i.failure is None and i.derivations is not None]
    outputs, owners = collect_outputs(out, done, [], {}, report)
    write_outputs(out, outputs, owners, report)
    store(cache, done, [], {})
    return len(done)


def store(cache: Cache, items: list[Item], sheets: list[Sheet],
          sheet_files: dict[str, dict[str, bytes]]) -> None:
    """Remember every problem and complete sheet built in this run."""
    for item in items:
        if item.fresh and item.failure is None and item.key:
            files = {k: v.encode("utf-8") for k, v in item.files.items()}
            cache.put_problem(item.key, ProblemEntry(item.problem, item.derivations or [], files))
    for sheet in sheets:
        if sheet.fresh and sheet.name in sheet_files:
            cache.put_sheet(sheet.key, sheet_files[sheet.name])
