"""``build``: where the stages meet.  It reads as the pipeline::

    find files -> config -> load every problem -> sheets and cache keys
      -> derive + verify + render the changed problems (in parallel)
      -> render and typeset the changed sheets -> write everything, atomically

Everything is gathered in memory (PDFs are typeset in a scratch folder)
before the first output file is written.  One bad problem never spoils the
build: it is listed in the report with its errors, every other problem is
still built, and the bad problem's earlier output is left untouched.

The stages themselves are reached through :class:`Stages`, plain module-level
functions, so that tests can swap in small fakes and a worker process can
receive them by reference.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import re
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from derivgen.build import atomic, manifest
from derivgen.build.cache import Cache, ProblemEntry, context_key, problem_key, sheet_key
from derivgen.build.config import ALL_FORMATS, CONFIG_NAME, Config, find_config, load_config
from derivgen.errors import DerivgenError, Diagnostic, LimitError, Location, ProblemError, UsageError
from derivgen.limits import MAX_SECONDS_PER_PROBLEM
from derivgen.build.progress import Progress, Silent

#: Seconds TeX may take for one document.
TEX_TIMEOUT = 120.0
#: Per-problem outputs: format -> path template (``{sheet}`` and ``{id}`` filled in).
PROBLEM_PATHS = {
    "md": "{sheet}/md/{id}.md",
    "json": "json/{id}.json",  # the spec's contract: out/json/<id>.json, ids unique in a build
    "tex": "{sheet}/tex/{id}.tex",
}


# --- the stages, swappable --------------------------------------------------------------


@dataclass(frozen=True)
class RenderOptions:
    """How per-problem and sheet outputs are rendered."""

    formats: tuple[str, ...]
    """Output formats, a subset of :data:`ALL_FORMATS`."""
    flavour: str = "standard"
    """Markdown flavour: ``standard``, ``hugo`` or ``jekyll``."""
    templates: Path | None = None
    """The user's template folder, looked up before the built-in one."""
    meta: dict[str, str] = field(default_factory=dict)
    """Course, author, date and numbering prefix for documents."""
    detail: str | None = None
    """Detail level from the command line (wins over the problem's own), else None."""
    default_detail: str | None = None
    """Detail level from ``derivgen.yaml`` for problems that choose none."""


@dataclass(frozen=True)
class Stages:
    """The functions ``build`` calls; module-level so they pickle by reference."""

    find_files: Callable[[list[Path]], list[Path]]
    load: Callable[[Path, str], Any]
    derive: Callable[[Any], list]
    verify: Callable[[Any, Any, Any], Any]
    render_problem: Callable[[Any, list, str, RenderOptions], dict[str, str]]
    render_sheet: Callable[[str, list, RenderOptions], dict[str, str]]
    compile_pdf: Callable[[Path, float], Path]
    tex_available: Callable[[], str | None]
    prepare: Callable[[], None]


def _find_files(paths: list[Path]) -> list[Path]:
    from derivgen.problem.loader import find_problem_files

    return find_problem_files(paths)


def _load(path: Path, display: str) -> Any:
    from derivgen.problem.loader import load_problem

    return load_problem(path, display_path=display)


def _derive(problem: Any) -> list:
    from derivgen.engine.derive import derive

    return [(f, _at_find(f, lambda f=f: derive(problem, f))) for f in problem.find]


def _verify(problem: Any, find: Any, derivation: Any) -> Any:
    from derivgen.check.verify import verify

    return _at_find(find, lambda: verify(problem, find, derivation))


def _at_find(find: Any, work: Callable[[], Any]) -> Any:
    """Run one find's work; an error in it is reported at the find's line and column."""
    try:
        return work()
    except ProblemError:
        raise
    except DerivgenError as e:
        message = str(e).removeprefix(f"{find.text}: ").removeprefix(f"d{find.of}/d{find.wrt_text}: ")
        raise ProblemError([Diagnostic(find.location, f"find '{find.text}': {message}")]) from e


def with_detail(problem: Any, opts: RenderOptions) -> Any:
    """The problem with the detail level its solutions are written at: command line, file, derivgen.yaml."""
    level = opts.detail or problem.options.get("detail") or opts.default_detail
    if level is None or level == problem.options.get("detail"):
        return problem
    return replace(problem, options={**problem.options, "detail": level})


def _render_problem(problem: Any, derivations: list, number: str, opts: RenderOptions) -> dict[str, str]:
    """Per-problem files by format: Markdown page, JSON, LaTeX document."""
    problem = with_detail(problem, opts)
    out: dict[str, str] = {}
    if "md" in opts.formats:
        from derivgen.render.markdown import render_problem_md

        out["md"] = render_problem_md(problem, derivations, opts.flavour, opts.templates, number, _label(opts))
    if "json" in opts.formats:
        from derivgen.render.json import render_problem_json

        out["json"] = render_problem_json(problem, derivations, number, _label(opts))
    if "tex" in opts.formats:
        from derivgen.render.latex import render_problem_tex

        out["tex"] = render_problem_tex(problem, derivations, True, number, opts.templates, _label(opts))
    return out


def _label(opts: RenderOptions) -> str:
    """What every format calls a problem (``label:`` in derivgen.yaml)."""
    return opts.meta.get("label") or "Problem"


def _render_sheet(title: str, items: list, opts: RenderOptions) -> dict[str, str]:
    """Sheet files by name: ``handout.tex``, ``solutions.tex`` (also for PDF) and ``sheet.html``."""
    items = [(with_detail(item[0], opts),) + tuple(item[1:]) for item in items]
    out: dict[str, str] = {}
    if "tex" in opts.formats or "pdf" in opts.formats:
        from derivgen.render.latex import render_sheet_tex

        for name, solutions in (("handout", False), ("solutions", True)):
            out[f"{name}.tex"] = render_sheet_tex(title, items, solutions, opts.meta, opts.templates)
    if "html" in opts.formats:
        from derivgen.render.html import render_sheet_html

        numbers = opts.meta.get("numbers")
        out["sheet.html"] = render_sheet_html(title, items, True, opts.templates,
                                              numbers=list(numbers) if numbers else None, label=_label(opts))
    return out


def _compile_pdf(tex: Path, timeout: float) -> Path:
    """The PDF beside ``tex``, and TeX's log beside it (read by :func:`typeset_warnings`)."""
    from derivgen.build.typeset import compile_pdf

    return compile_pdf(tex, timeout, keep_log=True)


def _tex_available() -> str | None:
    from derivgen.build.typeset import tex_available

    return tex_available()


def _prepare() -> None:
    """Import the engine, SymPy, NumPy and the renderers once in the parent.

    Forked workers then share them instead of each importing them again
    (about a second per worker, more than many a problem takes).
    """
    import importlib

    for module in ("derivgen.engine.derive", "derivgen.engine.scalar.symbolic", "derivgen.check.verify",
                   "derivgen.check.numeric", "derivgen.render.markdown", "derivgen.render.latex",
                   "derivgen.render.json", "derivgen.render.html"):
        importlib.import_module(module)


def real_stages() -> Stages:
    """The real pipeline."""
    return Stages(_find_files, _load, _derive, _verify, _render_problem, _render_sheet,
                  _compile_pdf, _tex_available, _prepare)


# --- what a build reports -------------------------------------------------------------------


@dataclass
class Failure:
    """A problem (or sheet) that could not be built, with every error."""

    file: str
    """The problem file as shown to the user (or the sheet folder)."""
    id: str | None
    """The problem id, when loading got that far."""
    errors: list[str]
    """``FILE:LINE:COL: message`` lines, or plain messages."""
    internal: str | None = None
    """The traceback of an unexpected exception (shown with ``--debug``)."""


@dataclass
class BuildReport:
    """What happened: counters, per-stage timings in seconds, failures and notes."""

    problems: int = 0
    """Problem files found."""
    built: int = 0
    """Problems derived, verified and rendered in this run."""
    cached: int = 0
    """Problems taken from the cache unchanged."""
    sheets_typeset: int = 0
    """Sheets whose PDFs were typeset in this run."""
    sheets_cached: int = 0
    """Sheets taken from the cache."""
    written: int = 0
    """Output files written (changed or new)."""
    unchanged: int = 0
    """Output files already up to date."""
    removed: int = 0
    """Outdated output files removed (their problem file was deleted or renamed, or its id changed)."""
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Seconds per stage: load, derive, verify, render, tex, write, total (derive/verify/render summed over workers)."""
    failures: list[Failure] = field(default_factory=list)
    """Everything that failed, in file order."""
    notes: list[str] = field(default_factory=list)
    """One-line remarks (PDF skipped because TeX is missing...)."""
    out_dir: Path | None = None
    """Where the outputs went."""

    @property
    def ok(self) -> bool:
        return not self.failures


# --- the pipeline ------------------------------------------------------------------------------


@dataclass
class Item:
    """One problem file on its way through the build."""

    path: Path
    display: str
    sheet: str
    number: str
    problem: Any = None
    key: str = ""
    derivations: list | None = None
    files: dict[str, str] = field(default_factory=dict)
    failure: Failure | None = None
    fresh: bool = False


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
) -> BuildReport:
    """Build every problem under ``paths`` into ``out_dir``; see the module docstring."""
    t_start = time.perf_counter()
    stages, progress = stages or real_stages(), progress or Silent()
    report = BuildReport(out_dir=Path(out_dir))
    out = Path(out_dir)
    roots = _roots(paths)
    config = _config(roots)
    opts = replace(_render_options(config, formats, templates_dir, flavour), detail=detail,
                   default_detail=config.detail)
    items = _gather(roots, config, stages, report)
    cache = Cache(Path(cache_dir) if cache_dir else out / ".cache", enabled=use_cache)
    context = context_key([opts.templates, _builtin_templates()], opts.formats, flavour,
                          config.fingerprint() + f"/detail={detail}")
    _reuse_cached(items, cache, context, report)
    _load_all(items, stages, report, progress)
    _derive_all([i for i in items if _pending(i)], stages, opts, jobs, report, progress)
    sheets = _sheets(items, config)
    sheet_files = _render_sheets(sheets, cache, context, stages, opts, out, jobs, report, progress)
    _write_all(out, items, sheets, sheet_files, config, report)
    _store(cache, items, sheets, sheet_files)
    cache.prune()
    report.timings["total"] = time.perf_counter() - t_start
    return report


def _roots(paths: Sequence[Path | str]) -> list[Path]:
    if not paths:
        raise UsageError("no problem files or folders given")
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise UsageError(f"{root}: no such file or folder")
    return roots


def _config(roots: list[Path]) -> Config:
    path = find_config(roots[0])
    return load_config(path, _display(path)) if path else Config()


def _render_options(config: Config, formats: Iterable[str] | None, templates: Path | None,
                    flavour: str) -> RenderOptions:
    chosen = tuple(formats) if formats is not None else (config.formats or ALL_FORMATS)
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown:
        raise UsageError(f"unknown format '{unknown[0]}' (choose from {', '.join(ALL_FORMATS)})")
    folder = Path(templates).resolve() if templates else config.templates
    if folder is not None and not folder.is_dir():
        raise UsageError(f"{templates}: no such templates folder")
    meta = {**config.meta(), "prefix": config.numbering, "label": config.label}
    return RenderOptions(tuple(f for f in ALL_FORMATS if f in chosen), flavour, folder, meta)


def _builtin_templates() -> Path:
    return Path(__file__).resolve().parent.parent / "templates"


def _display(path: Path) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    rel = os.path.relpath(Path(path).resolve(), Path.cwd())
    return str(path) if rel.startswith("..") else rel


def sheet_name(path: Path, root: Path) -> str:
    """The sheet of a problem file: its folder relative to the root; the root's own name at the top."""
    base = root if root.is_dir() else root.parent
    rel = path.parent.resolve().relative_to(base.resolve())
    return rel.as_posix() if rel.parts else base.resolve().name


def _gather(roots: list[Path], config: Config, stages: Stages, report: BuildReport) -> list[Item]:
    """Every problem file with its sheet and number (numbers count failed files too, so they stay put)."""
    seen: dict[Path, Item] = {}
    for root in roots:
        for path in stages.find_files([root]):
            if path.resolve() not in seen and path.name != CONFIG_NAME:
                seen[path.resolve()] = Item(path, _display(path), sheet_name(path, root), "")
    items = sorted(seen.values(), key=lambda i: (i.sheet, i.path.name, i.display))
    if config.sheets is not None:
        items = [i for i in items if i.sheet in config.sheets]
    position: dict[str, int] = defaultdict(int)
    names = [i.sheet for i in items]
    for item in items:
        position[item.sheet] += 1
        item.number = config.number(position[item.sheet], config.sheet_position(item.sheet, names))
    report.problems = len(items)
    return items


def _load_all(items: list[Item], stages: Stages, report: BuildReport, progress: Progress) -> None:
    t0 = time.perf_counter()
    progress.start("load", len(items))
    for item in items:
        if item.problem is not None:  # from the cache: the file is unchanged
            progress.advance()
            continue
        try:
            item.problem = stages.load(item.path, item.display)
            _check_id(item)
        except DerivgenError as e:
            _fail(item, _messages(e, item.display), report)
        except Exception as e:  # an internal error in the loader spoils one problem only
            _fail(item, [f"{item.display}: internal error: {e}"], report, traceback.format_exc())
        progress.advance()
    _reject_duplicate_ids(items, report)
    progress.finish()
    report.timings["load"] += time.perf_counter() - t0


def _check_id(item: Item) -> None:
    pid = str(item.problem.id)
    if not pid or "/" in pid or "\\" in pid or pid.startswith(".") or ".." in pid:
        loc = Location(item.display, 1, 1)
        raise ProblemError([Diagnostic(loc, f"id '{pid}' cannot name an output file (no '/', '\\' or leading '.')")])


def _reject_duplicate_ids(items: list[Item], report: BuildReport) -> None:
    by_id: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.failure is None:
            by_id[item.problem.id].append(item)
    for pid, group in by_id.items():
        if len(group) < 2:
            continue
        for item in group:
            others = ", ".join(o.display for o in group if o is not item)
            _fail(item, [f"{item.display}:1:1: duplicate id '{pid}': also the id of {others}"], report)


def _messages(error: DerivgenError, display: str) -> list[str]:
    if isinstance(error, ProblemError):
        return [str(d) for d in error.diagnostics]
    text = str(error)
    return [line if line.startswith(display) else f"{display}: {line}" for line in text.splitlines()[:1]] + \
        text.splitlines()[1:]


def _fail(item: Item, errors: list[str], report: BuildReport, internal: str | None = None) -> None:
    pid = getattr(item.problem, "id", None)
    item.failure = Failure(item.display, pid, errors, internal)
    report.failures.append(item.failure)


def _pending(item: Item) -> bool:
    return item.failure is None and item.derivations is None


def _reuse_cached(items: list[Item], cache: Cache, context: str, report: BuildReport) -> None:
    """Fill in problem, derivations and rendered files of every file whose key the cache knows.

    The key needs only the file's bytes and place, so an unchanged file is not even loaded again.
    """
    t0 = time.perf_counter()
    for item in items:
        try:
            data = item.path.read_bytes()
        except OSError:
            continue  # the loader reports it
        item.key = problem_key(context, data, item.display, item.number)
        entry = cache.get_problem(item.key)
        if entry is not None:
            item.problem, item.derivations = entry.problem, entry.derivations
            item.files = {k: v.decode("utf-8") for k, v in entry.files.items()}
            report.cached += 1
    report.timings["cache"] += time.perf_counter() - t0


# --- derive, verify and render per problem (in worker processes) -----------------------------


@dataclass
class Outcome:
    """What a worker sends back for one problem: plain, picklable data."""

    derivations: list | None
    files: dict[str, str]
    errors: list[str]
    timings: dict[str, float]
    internal: str | None = None


def process_problem(problem: Any, display: str, number: str, stages: Stages,
                    opts: RenderOptions) -> Outcome:
    """Derive every find, verify each result, render the per-problem files."""
    timings: dict[str, float] = {}
    try:
        with time_limit(MAX_SECONDS_PER_PROBLEM):
            return _process(problem, display, number, stages, opts, timings)
    except DerivgenError as e:
        return Outcome(None, {}, _messages(e, display), timings)
    except Exception as e:  # one problem's internal error must not stop the others
        return Outcome(None, {}, [f"{display}: internal error: {type(e).__name__}: {e}"], timings,
                       traceback.format_exc())


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop one problem's work after ``seconds`` (where signals can be used: the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise LimitError(f"derive, check and render took longer than derivgen's limit of {seconds:g} s per problem")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _process(problem: Any, display: str, number: str, stages: Stages, opts: RenderOptions,
             timings: dict[str, float]) -> Outcome:
    t0 = time.perf_counter()
    pairs = stages.derive(problem)
    t1 = time.perf_counter()
    derivations = [stages.verify(problem, find, d) for find, d in pairs]
    t2 = time.perf_counter()
    files = stages.render_problem(problem, derivations, number, opts)
    t3 = time.perf_counter()
    timings.update(derive=t1 - t0, verify=t2 - t1, render=t3 - t2)
    return Outcome(derivations, files, [], timings)


def _derive_all(items: list[Item], stages: Stages, opts: RenderOptions, jobs: int | None,
                report: BuildReport, progress: Progress) -> None:
    if not items:
        return
    t0 = time.perf_counter()
    progress.start("derive", len(items))
    workers = min(jobs or os.cpu_count() or 1, len(items))
    outcomes = (_in_pool(items, stages, opts, workers, progress) if workers > 1
                else _in_process(items, stages, opts, progress))
    for item, outcome in zip(items, outcomes):
        for stage, seconds in outcome.timings.items():
            report.timings[stage] += seconds
        if outcome.derivations is None:
            _fail(item, outcome.errors, report, outcome.internal)
        else:
            item.derivations, item.files = outcome.derivations, outcome.files
            item.fresh = True
            report.built += 1
    progress.finish()
    report.timings["parallel"] += time.perf_counter() - t0


def _in_process(items: list[Item], stages: Stages, opts: RenderOptions, progress: Progress) -> list[Outcome]:
    stages.prepare()
    outcomes = []
    for item in items:
        outcomes.append(process_problem(item.problem, item.display, item.number, stages, opts))
        progress.advance()
    return outcomes


def _in_pool(items: list[Item], stages: Stages, opts: RenderOptions, workers: int,
             progress: Progress) -> list[Outcome]:
    """Outcomes in the items' order, whatever order the workers finish in."""
    import multiprocessing

    stages.prepare()  # imported before forking: workers start warm
    gc.freeze()  # the workers' collector then leaves the shared pages alone (no copy-on-write storm)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    outcomes: list[Outcome | None] = [None] * len(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(process_problem, i.problem, i.display, i.number, stages, opts): n
                   for n, i in enumerate(items)}
        for future in as_completed(futures):
            outcomes[futures[future]] = _result(future, items[futures[future]])
            progress.advance()
    gc.unfreeze()
    return [o for o in outcomes if o is not None]


def _result(future: Any, item: Item) -> Outcome:
    try:
        return future.result()
    except Exception as e:  # a worker died (killed, out of memory) or the result did not pickle
        return Outcome(None, {}, [f"{item.display}: internal error in a worker: {type(e).__name__}: {e}"], {},
                       traceback.format_exc())


# --- sheets ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The problems of one folder, in file order."""

    name: str
    title: str
    items: list[Item]
    key: str = ""
    fresh: bool = False

    @property
    def good(self) -> list[Item]:
        return [i for i in self.items if i.failure is None and i.derivations is not None]

    @property
    def failed(self) -> bool:
        return any(i.failure is not None for i in self.items)

    def files(self, name: str) -> str:
        """Path of a sheet-level file in out/ (``sheet.html`` is named after the sheet)."""
        if name == "sheet.html":
            name = f"{Path(self.name).name}.html"
        return f"{self.name}/{name}"


def _sheets(items: list[Item], config: Config) -> list[Sheet]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.sheet].append(item)
    return [Sheet(name, _sheet_title(name, config, len(grouped)), group) for name, group in grouped.items()]


def _sheet_title(name: str, config: Config, count: int) -> str:
    if config.sheets and config.sheets.get(name):
        return config.sheets[name]
    if config.title and count == 1:
        return config.title
    return name


def _render_sheets(sheets: list[Sheet], cache: Cache, context: str, stages: Stages, opts: RenderOptions,
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
    _typeset(to_typeset, stages, opts, out, jobs, report, progress)
    if "tex" not in opts.formats:  # the .tex was only the way to the PDF
        for files in result.values():
            for name in [n for n in files if n.endswith(".tex")]:
                del files[name]
    return result


def _pdf_possible(stages: Stages, report: BuildReport) -> bool:
    reason = stages.tex_available()
    if reason:
        report.notes.append(f"PDF skipped: {reason}")
    return reason is None


def _render_one_sheet(sheet: Sheet, stages: Stages, opts: RenderOptions,
                      report: BuildReport) -> dict[str, bytes] | None:
    t0 = time.perf_counter()
    items = [(i.problem, i.derivations) for i in sheet.good]
    opts = replace(opts, meta={**opts.meta, "numbers": [i.number for i in sheet.good]})  # type: ignore[dict-item]
    try:
        texts = stages.render_sheet(sheet.title, items, opts)
    except DerivgenError as e:
        report.failures.append(Failure(sheet.name, None, [f"{sheet.name}: {e}"]))
        return None
    finally:
        report.timings["render"] += time.perf_counter() - t0
    return {name: text.encode("utf-8") for name, text in texts.items()}


def _typeset(sheets: list[tuple[Sheet, dict[str, bytes]]], stages: Stages, opts: RenderOptions,
             out: Path, jobs: int | None, report: BuildReport, progress: Progress) -> None:
    """Typeset handout and solutions of each sheet in a scratch folder inside out/, in parallel."""
    docs = [(sheet, files, name) for sheet, files in sheets for name in ("handout", "solutions")
            if f"{name}.tex" in files]
    if not docs:
        return
    t0 = time.perf_counter()
    progress.start("pdf", len(docs))
    out.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".derivgen-tex-", dir=out) as scratch, \
            ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        futures = {pool.submit(_typeset_one, Path(scratch) / f"{n}", files[f"{name}.tex"], name, stages): (
            sheet, files, name) for n, (sheet, files, name) in enumerate(docs)}
        for future in as_completed(futures):
            sheet, files, name = futures[future]
            try:
                files[f"{name}.pdf"], log = future.result()
                warnings += typeset_warnings(log, files[f"{name}.tex"], [i.display for i in sheet.good],
                                             _display(out / sheet.files(f"{name}.tex")), f"the {name} PDF")
            except DerivgenError as e:
                sheet.fresh = False  # incomplete: not cached, tried again next build
                shown = _display(out / sheet.files(f"{name}.tex"))
                lines = [_unscratch(line, scratch, f"{name}.tex", shown) for line in str(e).splitlines()]
                report.failures.append(Failure(shown, None, lines))
            progress.advance()
    report.notes += sorted(warnings)  # not failures: the exit code stays 0
    report.sheets_typeset = len({id(s) for s, _, _ in docs})
    progress.finish()
    report.timings["tex"] += time.perf_counter() - t0


def _unscratch(line: str, scratch: str, tex_name: str, shown: str) -> str:
    """A TeX message with the scratch copy's path replaced by the path of the .tex in out/."""
    line = re.sub(re.escape(scratch) + r"/\d+/" + re.escape(tex_name), shown, line)
    return re.sub(r"^(\./)?" + re.escape(tex_name) + ":", shown + ":", line)


def _typeset_one(folder: Path, tex: bytes, name: str, stages: Stages) -> tuple[bytes, str]:
    """The PDF's bytes and TeX's log ("" when the stage kept none)."""
    folder.mkdir()
    tex_path = folder / f"{name}.tex"
    tex_path.write_bytes(tex)
    pdf = Path(stages.compile_pdf(tex_path, TEX_TIMEOUT)).read_bytes()
    log = tex_path.with_suffix(".log")
    return pdf, log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def typeset_warnings(log: str, tex: bytes, problems: list[str], document: str, what: str) -> list[str]:
    """One ``FILE: warning: overfull line (...) in WHAT`` per overfull box of the log, FILE the problem's."""
    if not log:
        return []
    from derivgen.build.typeset import overfull_warnings

    return overfull_warnings(log, tex.decode("utf-8", errors="replace"), problems, document, what)


# --- writing -------------------------------------------------------------------------------------


def _write_all(out: Path, items: list[Item], sheets: list[Sheet], sheet_files: dict[str, dict[str, bytes]],
               config: Config, report: BuildReport) -> None:
    """Write every output atomically; a failed problem's (or failed sheet's) old files stay as they were."""
    t0 = time.perf_counter()
    outputs: dict[str, bytes] = {}
    owners: dict[str, manifest.Entry] = {}
    for item in items:
        if item.failure is None and item.derivations is not None:
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
    outputs["index.json"] = index_json(sheets, report).encode("utf-8")
    outputs["index.md"] = index_md(sheets, report, config).encode("utf-8")
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
    report.timings["write"] += time.perf_counter() - t0


def problem_path(fmt: str, sheet: str, problem_id: str) -> str:
    """Where a per-problem output goes, relative to out/."""
    return PROBLEM_PATHS[fmt].format(sheet=sheet, id=problem_id)


def _outputs_of(item: Item) -> dict[str, str]:
    return {fmt: problem_path(fmt, item.sheet, item.problem.id) for fmt in sorted(item.files)}


def index_json(sheets: list[Sheet], report: BuildReport) -> str:
    """``out/index.json``: sheets with their problems and files, and the failures."""
    import json

    data = {
        "sheets": [{
            "name": s.name, "title": s.title,
            "problems": [{"id": i.problem.id, "title": i.problem.title, "number": i.number,
                          "file": i.display, "outputs": _outputs_of(i)} for i in s.good],
        } for s in sheets],
        "failures": [{"file": f.file, "id": f.id, "errors": f.errors} for f in report.failures],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _md_text(text: str) -> str:
    from derivgen.render.mdmath import user_markdown

    return user_markdown(text, lambda tex: tex)


def index_md(sheets: list[Sheet], report: BuildReport, config: Config) -> str:
    """``out/index.md``: the same, for people."""
    lines = [f"# {_md_text(config.title or 'Problems')}", ""]
    for s in sheets:
        lines += [f"## {_md_text(s.title)}", ""]
        for i in s.good:
            link = _outputs_of(i).get("md")
            name = _md_text(i.problem.title)
            title = f"[{name}]({link})" if link else name
            lines.append(f"- {i.number} {title} (`{i.problem.id}`)")
        lines.append("")
    if report.failures:
        lines += ["## Failures", ""]
        for f in report.failures:
            lines.append(f"- `{f.file}`")
            lines += [f"    - `{e}`" for e in f.errors]
        lines.append("")
    return "\n".join(lines)


def _store(cache: Cache, items: list[Item], sheets: list[Sheet], sheet_files: dict[str, dict[str, bytes]]) -> None:
    """Remember every problem and complete sheet built in this run."""
    for item in items:
        if item.fresh and item.failure is None and item.key:
            files = {k: v.encode("utf-8") for k, v in item.files.items()}
            cache.put_problem(item.key, ProblemEntry(item.problem, item.derivations or [], files))
    for sheet in sheets:
        if sheet.fresh and sheet.name in sheet_files:
            cache.put_sheet(sheet.key, sheet_files[sheet.name])


# --- check and eval: the same stages, nothing written ----------------------------------------------


def check(paths: Sequence[Path | str], jobs: int | None = None, progress: Progress | None = None,
          stages: Stages | None = None) -> BuildReport:
    """Load, derive and verify every problem under ``paths``; write nothing, list every error."""
    t_start = time.perf_counter()
    stages, progress = stages or real_stages(), progress or Silent()
    report = BuildReport()
    roots = _roots(paths)
    items = _gather(roots, _config(roots), stages, report)
    _load_all(items, stages, report, progress)
    _derive_all([i for i in items if _pending(i)], stages, RenderOptions(()), jobs, report, progress)
    report.timings["total"] = time.perf_counter() - t_start
    return report


def evaluate(path: Path, find_text: str, values_path: Path) -> object:
    """The derived (and verified) result of ``find_text`` at the values, as a JSON nested list.

    The closed form is preferred, then the index form, then the explicit array;
    the layout is of's shape then wrt's.
    """
    from derivgen.engine.derive import derive
    from derivgen.problem.loader import load_problem
    from derivgen.check.values import load_values, to_json_array
    from derivgen.check.verify import evaluate_result, verify

    for given in (path, values_path):
        if not Path(given).is_file():
            raise UsageError(f"{given}: no such file")
    problem = load_problem(path, display_path=_display(path))
    find = find_in(problem, find_text)
    derivation = verify(problem, find, derive(problem, find))
    values, sizes = load_values(values_path, problem)
    results = evaluate_result(problem, derivation, values, sizes)
    for form in ("closed", "index", "explicit"):
        if results.get(form) is not None:
            return to_json_array(results[form])
    raise DerivgenError(f"{_display(path)}: {find_text}: the derivation has no form that can be evaluated")


def find_in(problem: Any, text: str) -> Any:
    """The problem's own ``find`` entry written like ``text``, else ``text`` parsed as a new one."""
    from derivgen.errors import ExpressionError
    from derivgen.problem.parser import parse_find
    from derivgen.problem.model import Find

    wanted = "".join(text.split())
    for find in problem.find:
        if "".join(find.text.split()) == wanted:
            return find
    try:
        of, wrt = parse_find(text)
    except ExpressionError as e:
        raise UsageError(f"--find {text}: column {e.offset + 1}: {e.message}") from e
    return Find(text, of, wrt)
