"""The stage seam: what ``build``, ``check`` and ``exam`` call, one typed Protocol per stage.

:class:`Stages` bundles one function per stage (find files, load, derive,
verify, render a problem, render a sheet, typeset, ...).  Each field is typed
by a Protocol below, whose docstring names the real implementation, so a
reader (or an IDE) can follow ``stages.load`` to :func:`load_stage` and on to
:func:`derivgen.problem.loader.load_problem`.  The functions are module-level
so that a worker process receives them by reference, and tests swap in small
fakes (``tests/fakestages.py``) with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from derivgen.build.typeset import compile_pdf, tex_available
from derivgen.errors import DerivgenError, Diagnostic, ProblemError

if TYPE_CHECKING:
    from derivgen.derivation import Derivation
    from derivgen.problem.model import Find, Problem


@dataclass(frozen=True)
class RenderOptions:
    """How per-problem and sheet outputs are rendered."""

    formats: tuple[str, ...]
    """Output formats, a subset of :data:`derivgen.build.config.ALL_FORMATS`."""
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
    layout: str | None = None
    """Layout from the command line (wins over the problem's own), else None."""
    default_layout: str | None = None
    """Layout from ``derivgen.yaml`` for problems that choose none."""


# --- one Protocol per stage -----------------------------------------------------------------------


class FindFiles(Protocol):
    """The problem files named or under the given folders (real: :func:`find_files_stage`)."""

    def __call__(self, paths: list[Path], /) -> list[Path]: ...


class Load(Protocol):
    """One problem file read and checked; ``display`` is its path as shown (real: :func:`load_stage`).

    With ``data``, those bytes are the file's content (already read and hashed by the build)."""

    def __call__(self, path: Path, display: str, data: bytes | None = None, /) -> Problem: ...


class Derive(Protocol):
    """Every ``find`` of a problem with its unverified derivation (real: :func:`derive_stage`)."""

    def __call__(self, problem: Problem, /) -> list[tuple[Find, Derivation]]: ...


class Verify(Protocol):
    """The derivation, checked numerically (real: :func:`verify_stage`)."""

    def __call__(self, problem: Problem, find: Find, derivation: Derivation, /) -> Derivation: ...


class RenderProblem(Protocol):
    """Per-problem files by format: ``md``, ``json``, ``tex`` (real: :func:`render_problem_stage`)."""

    def __call__(self, problem: Problem, derivations: list[Derivation], number: str,
                 opts: RenderOptions, /) -> dict[str, str]: ...


class RenderSheet(Protocol):
    """Sheet files by name: ``handout.tex``, ``solutions.tex``, ``sheet.html``.

    Real: :func:`render_sheet_stage`."""

    def __call__(self, title: str, items: list[Any], opts: RenderOptions, /) -> dict[str, str]: ...


class CompilePdf(Protocol):
    """The PDF typeset beside a ``.tex``, TeX's log beside it (real: :func:`compile_pdf_stage`)."""

    def __call__(self, tex: Path, timeout: float, /) -> Path: ...


class TexAvailable(Protocol):
    """None when TeX can run, else a one-line reason (real: :func:`derivgen.build.typeset.tex_available`)."""

    def __call__(self) -> str | None: ...


class Prepare(Protocol):
    """Work done once in the parent before the workers start (real: :func:`prepare_stage`)."""

    def __call__(self) -> None: ...


@dataclass(frozen=True)
class Stages:
    """The functions ``build``, ``check`` and ``exam`` call; module-level so they pickle by reference."""

    find_files: FindFiles
    load: Load
    derive: Derive
    verify: Verify
    render_problem: RenderProblem
    render_sheet: RenderSheet
    compile_pdf: CompilePdf
    tex_available: TexAvailable
    prepare: Prepare


def real_stages() -> Stages:
    """The real pipeline."""
    return Stages(find_files_stage, load_stage, derive_stage, verify_stage, render_problem_stage,
                  render_sheet_stage, compile_pdf_stage, tex_available, prepare_stage)


def derive_verified(stages: Stages, problem: Problem) -> list[Derivation]:
    """Every ``find`` of ``problem`` derived and verified, in order."""
    return [stages.verify(problem, find, d) for find, d in stages.derive(problem)]


def at_detail(problem: Problem, detail: str | None, default: str | None = None) -> Problem:
    """The problem at the detail level its solutions are written at: ``detail``, its own, ``default``."""
    level = detail or problem.options.get("detail") or default
    if level is None or level == problem.options.get("detail"):
        return problem
    return replace(problem, options={**problem.options, "detail": level})


def with_layout(problem: Problem, opts: RenderOptions) -> Problem:
    """The problem in the layout its derivatives are written in: command line, file, derivgen.yaml."""
    if opts.layout is None and opts.default_layout is None:
        return problem  # nothing to choose (and a test's stand-in problem need not have options)
    level = opts.layout or problem.options.get("layout") or opts.default_layout
    if level is None or level == problem.options.get("layout"):
        return problem
    return replace(problem, options={**problem.options, "layout": level})


def with_detail(problem: Problem, opts: RenderOptions) -> Problem:
    """The problem with the detail level its solutions are written at: command line, file, derivgen.yaml."""
    return at_detail(problem, opts.detail, opts.default_detail)


# --- the real stages ----------------------------------------------------------------------------


def find_files_stage(paths: list[Path]) -> list[Path]:
    from derivgen.problem.loader import find_problem_files

    return find_problem_files(paths)


def load_stage(path: Path, display: str, data: bytes | None = None) -> Problem:
    from derivgen.problem.loader import load_problem

    return load_problem(path, display_path=display, data=data)


def derive_stage(problem: Problem) -> list[tuple[Find, Derivation]]:
    from derivgen.engine.derive import derive

    return [(f, _at_find(f, partial(derive, problem, f))) for f in problem.find]


def verify_stage(problem: Problem, find: Find, derivation: Derivation) -> Derivation:
    from derivgen.check.verify import verify

    return _at_find(find, lambda: verify(problem, find, derivation))


def _at_find(find: Find, work: Callable[[], Any]) -> Any:
    """Run one find's work; an error in it is reported at the find's line and column."""
    try:
        return work()
    except ProblemError:
        raise
    except DerivgenError as e:
        message = str(e).removeprefix(f"{find.text}: ").removeprefix(f"d{find.of}/d{find.wrt_text}: ")
        raise ProblemError([Diagnostic(find.location, f"find '{find.text}': {message}")]) from e


def render_problem_stage(problem: Problem, derivations: list[Derivation], number: str,
                         opts: RenderOptions) -> dict[str, str]:
    """Per-problem files by format: Markdown page, JSON, LaTeX document, NumPy code."""
    problem = with_detail(problem, opts)
    out: dict[str, str] = {}
    if "md" in opts.formats:
        from derivgen.render.markdown import render_problem_md

        out["md"] = render_problem_md(problem, derivations, opts.flavour, opts.templates, number,
                                      _label(opts))
    if "json" in opts.formats:
        from derivgen.render.json import render_problem_json

        out["json"] = render_problem_json(problem, derivations, number, _label(opts))
    if "tex" in opts.formats:
        from derivgen.render.latex import render_problem_tex

        out["tex"] = render_problem_tex(problem, derivations, True, number, opts.templates, _label(opts))
    if "py" in opts.formats:
        from derivgen.render.python import render_problem_py

        out["py"] = render_problem_py(problem, derivations, number, _label(opts))
    return out


def _label(opts: RenderOptions) -> str:
    """What every format calls a problem (``label:`` in derivgen.yaml)."""
    return opts.meta.get("label") or "Problem"


def render_sheet_stage(title: str, items: list[Any], opts: RenderOptions) -> dict[str, str]:
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


def compile_pdf_stage(tex: Path, timeout: float) -> Path:
    """The PDF beside ``tex``, and TeX's log beside it (read by :func:`.typeset.typeset_all`)."""
    return compile_pdf(tex, timeout, keep_log=True)


def prepare_stage() -> None:
    """Import the engine, SymPy, NumPy and the renderers once in the parent.

    Forked workers then share them instead of each importing them again
    (about a second per worker, more than many a problem takes).
    """
    import importlib

    for module in ("derivgen.engine.derive", "derivgen.engine.scalar.symbolic", "derivgen.check.verify",
                   "derivgen.check.numeric", "derivgen.render.markdown", "derivgen.render.latex",
                   "derivgen.render.json", "derivgen.render.html"):
        importlib.import_module(module)
