"""The command line: parse arguments, call the build, check, eval or exam, turn errors into exit codes.

``build`` is :mod:`derivgen.build.pipeline`, ``check`` and ``eval`` :mod:`derivgen.build.commands`,
``exam`` :mod:`derivgen.exam.papers`.

Exit codes: 0 everything built, 1 a problem (or sheet) failed or the paths hold no
problem file, 2 the command line is wrong.  Every error a user can cause prints as ``FILE:LINE:COL:
message`` on stderr; only an unexpected internal error mentions a traceback,
and prints it only with ``--debug``.

This module imports nothing heavy at the top: ``derivgen --help`` never loads
SymPy, NumPy or Jinja.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from derivgen import __version__
from derivgen.errors import DerivgenError, ProblemError, UsageError

if TYPE_CHECKING:
    from derivgen.build.report import BuildReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ISSUES = "https://github.com/derivgen/derivgen/issues"
FORMATS = "md,json,tex,pdf,html"

DESCRIPTION = """\
Worked, verified solutions for vector and matrix calculus problems,
in the style of "Mathematics for Machine Learning", chapter 5."""

EPILOG = """\
examples:
  derivgen build problems/                  every format into out/
  derivgen build problems/ -o site/ --format md,json --flavour hugo
  derivgen check problems/                  derive and verify, write nothing
  derivgen eval problems/3-matrix/least-squares.yaml --find dL/dtheta --at values.json
  derivgen exam midterm.yaml --variants 3 --seed 2026    (an exam file: see the README)
  derivgen new problems/3-matrix/my-gradient.yaml --kind matrix
  derivgen schema > problem.schema.json     (for editors; --for config: derivgen.yaml)
  derivgen serve problems/                  preview at http://127.0.0.1:8000/, rebuilt on every change

exit codes: 0 ok, 1 a problem failed (or no problem file was found), 2 usage error"""


class _Parser(argparse.ArgumentParser):
    """argparse with our exit code for usage errors (2) and no traceback."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


if TYPE_CHECKING:
    #: What ``add_subparsers`` returns: where each command adds its parser.
    Commands = argparse._SubParsersAction[_Parser]


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derivgen", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"derivgen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _build_parser(commands)
    _check_parser(commands)
    _eval_parser(commands)
    _exam_parser(commands)
    _new_parser(commands)
    _schema_parser(commands)
    _watch_parsers(commands)
    return parser


def _build_parser(commands: Commands) -> None:
    p = commands.add_parser(
        "build", help="derive, verify and write worked solutions",
        description=("Derive, verify and write worked solutions for every problem under PATHS. "
                     "Pages that an earlier build wrote for problem files since deleted or renamed "
                     "are removed (see out/.manifest.json); nothing else in OUT is touched."),
        epilog="example:\n  derivgen build problems/ -o out/ --format md,pdf --jobs 4",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATHS", help="problem files or folders of them")
    p.add_argument("-o", "--out", default="out", metavar="DIR", help="output folder (default: out)")
    p.add_argument("--format", dest="formats", metavar="LIST",
                   help=f"comma-separated output formats (default: {FORMATS}, or derivgen.yaml's; "
                        "also py: NumPy code with a gradient check, out/SHEET/py/ID.py)")
    _jobs(p)
    p.add_argument("--templates", metavar="DIR", help="your templates, looked up before the built-in ones")
    p.add_argument("--flavour", choices=("standard", "myst", "hugo", "jekyll"), default="standard",
                   help="Markdown for a site generator: standard (MkDocs, Quarto, Jupyter Book), myst "
                        "(Sphinx + myst-parser), hugo (Goldmark passthrough), jekyll (kramdown); "
                        "default: standard; see docs/sites.md")
    _detail(p)
    p.add_argument("--layout", choices=("numerator", "denominator"), default=None,
                   help="the layout of every derivative: numerator (the lectures': the gradient of a scalar "
                        "by a vector is a row) or denominator (the Matrix Cookbook's and CS229's: the "
                        "transpose); default: each problem's layout:, else derivgen.yaml's, else numerator")
    p.add_argument("--no-cache", action="store_true", help="derive and render everything again")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default: OUT/.cache)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def _detail(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detail", choices=("answer", "lecture", "full"), default=None,
                   help="how much of each derivation to show, for every problem: answer (dimension, "
                        "result, check), lecture (the lectures' steps; the default) or full (every rule "
                        "applied); default: each problem's detail:, else derivgen.yaml's, else lecture")


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="worker processes (default: all cores)")


def _check_parser(commands: Commands) -> None:
    p = commands.add_parser("check", help="load, derive and verify; write nothing",
                            description="Load, derive and verify every problem; list every error.")
    p.add_argument("paths", nargs="+", metavar="PATHS", help="problem files or folders of them")
    _jobs(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def _eval_parser(commands: Commands) -> None:
    p = commands.add_parser(
        "eval", help="evaluate a derived gradient at given values",
        description="Evaluate the derived result (not a numeric derivative) at the values and print it "
                    "as a JSON nested list, of's shape then wrt's.",
        epilog="example:\n  derivgen eval problems/ls.yaml --find dL/dtheta --at values.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="a problem file")
    p.add_argument("--find", required=True, metavar="dX/dY",
                   help="the derivative, e.g. dL/dtheta; a second derivative, d2f/dx2 (the Hessian) or "
                        "d2f/dxdy (d/dx of df/dy: of's shape, then y's, then x's); or a Taylor polynomial, "
                        "'taylor(f, x, 0, 4)' (its value at the values)")
    p.add_argument("--at", required=True, metavar="VALUES.json", help="values of the given variables")
    p.add_argument("--layout", choices=("numerator", "denominator"), default="numerator",
                   help="numerator (the default, whatever the problem's layout:): of's shape then wrt's; "
                        "denominator: wrt's shape then of's (the transpose)")


def _exam_parser(commands: Commands) -> None:
    p = commands.add_parser(
        "exam", help="write an exam: papers, solutions, LMS questions and a key",
        description="Write the exam paper(s) and matching solution sheet(s) of an exam file, its "
                    "questions for an LMS (Moodle XML, QTI 2.1), a self-study page and a key "
                    "(docs/exams.md).",
        epilog="example:\n  derivgen exam midterm.yaml -o out/ --variants 3 --seed 7",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exam_file", metavar="EXAM.yaml", help="the exam file")
    p.add_argument("-o", "--out", default="out", metavar="DIR", help="output folder (default: out)")
    p.add_argument("--variants", type=_positive_int, default=1, metavar="N",
                   help="versions with renamed variables, redrawn numbers and vary: alternatives "
                        "(default: 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the variants (default: 0)")
    p.add_argument("--templates", metavar="DIR", help="your templates, looked up before the built-in ones")
    p.add_argument("--format", dest="formats", metavar="LIST",
                   help="what to write, from tex,pdf,md,moodle,qti,html (default: the exam file's "
                        "formats:, else all)")
    p.add_argument("--stress", type=_positive_int, metavar="N",
                   help="draw N seeds from --seed on, derive, verify and ask every version, report "
                        "failures; write nothing")
    _detail(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def _new_parser(commands: Commands) -> None:
    p = commands.add_parser(
        "new", help="write a commented problem file to start from",
        description="Write a commented problem file that builds as it is, with the modeline that "
                    "makes editors check it against derivgen's JSON Schema. Never overwrites a file.",
        epilog="example:\n  derivgen new problems/3-matrix/my-gradient.yaml --kind matrix",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="PATH", help="the new file (.yaml); its name is the problem's id")
    p.add_argument("--kind", choices=("scalar", "matrix", "exam"), default="scalar",
                   help="scalar (one variable, the chain rule), matrix (a gradient by a vector) or "
                        "exam (a matrix question with points); default: scalar")
    p.add_argument("--schema", metavar="URL", help="what the modeline names (default: the schema "
                                                   "derivgen ships, relative to the new file)")


def _schema_parser(commands: Commands) -> None:
    p = commands.add_parser(
        "schema", help="print the JSON Schema of problem files or derivgen.yaml",
        description="Print a JSON Schema (draft 2020-12) for editors and other programs.",
        epilog="example:\n  derivgen schema > problem.schema.json\n  derivgen schema --for config",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--for", dest="which", choices=("problem", "config"), default="problem",
                   help="problem (a problem file, the default) or config (derivgen.yaml)")


def _watch_parsers(commands: Commands) -> None:
    for name, what, example in (
            ("watch", "build, then build again on every change",
             "derivgen watch problems/ -o out/ --format md,html"),
            ("serve", "preview the HTML on localhost, rebuilt and reloaded on every change",
             "derivgen serve problems/ --port 8000")):
        p = commands.add_parser(
            name, help=what,
            description=(f"{what[0].upper()}{what[1:]} to a problem file, derivgen.yaml or a template "
                         "(incremental: only what changed is built again). Ctrl-C stops it (exit code 0)."),
            epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("paths", nargs="+", metavar="PATHS", help="problem files or folders of them")
        p.add_argument("-o", "--out", default="out", metavar="DIR", help="output folder (default: out)")
        default = "html (always added)" if name == "serve" else f"{FORMATS}, or derivgen.yaml's"
        p.add_argument("--format", dest="formats", metavar="LIST",
                       help=f"comma-separated output formats (default: {default})")
        _jobs(p)
        p.add_argument("--templates", metavar="DIR",
                       help="your templates, looked up before the built-in ones (watched too)")
        p.add_argument("--flavour", choices=("standard", "myst", "hugo", "jekyll"), default="standard",
                       help="Markdown for a site generator (default: standard; see docs/sites.md)")
        _detail(p)
        if name == "serve":
            p.add_argument("--port", type=int, default=8000, metavar="N",
                           help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# --- commands --------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from derivgen.build.config import parse_formats
    from derivgen.build.pipeline import build
    from derivgen.build.progress import progress_for

    formats = _formats(args.formats, parse_formats)
    report = build(args.paths, Path(args.out), formats, args.jobs,
                   Path(args.templates) if args.templates else None, args.flavour,
                   use_cache=not args.no_cache, progress=progress_for(args.quiet),
                   cache_dir=Path(args.cache_dir) if args.cache_dir else None, detail=args.detail,
                   layout=args.layout)
    done = f"wrote {report.out_dir}/"  # printed through escape.terminal by _finish
    if report.removed:
        done += f", removed {report.removed} outdated file{'s' if report.removed != 1 else ''}"
    return _finish(report, args, done)


def _formats(text: str | None, parse: Callable[[str], tuple[str, ...]]) -> tuple[str, ...] | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as e:
        raise UsageError(f"--format: {e}") from None


def cmd_check(args: argparse.Namespace) -> int:
    from derivgen.build.commands import check
    from derivgen.build.progress import progress_for

    report = check(args.paths, args.jobs, progress_for(args.quiet))
    return _finish(report, args, "all problems derived and verified")


def _finish(report: BuildReport, args: argparse.Namespace, done: str) -> int:
    """Notes, then every failure's errors, then one summary line; the exit code."""
    from derivgen.render.escape import terminal

    err = sys.stderr
    if not args.quiet:
        for note in report.notes:
            print(terminal(note), file=err)
    for failure in report.failures:
        for line in failure.errors:
            print(terminal(line), file=err)
        if failure.internal and args.debug:
            print(terminal(failure.internal, keep_newlines=True), file=err)
    if any(f.internal for f in report.failures) and not args.debug:
        print(_internal_hint(), file=err)
    if not report.problems and not report.failures:
        named = " ".join(str(p) for p in args.paths)
        print(terminal(f"derivgen: no problem files in {named} (a problem is a .yaml or .yml file; "
                       "derivgen.yaml, exam files and files in hidden folders are skipped)"), file=err)
        return EXIT_FAILED
    if report.failures:
        good = report.built + report.cached
        partly = sum(f.partial for f in report.failures)
        some = f" ({partly} of them only in part: their other finds derive)" if partly else ""
        print(f"derivgen: {len(report.failures)} failed{some}; {good} of {report.problems} problems built",
              file=err)
        return EXIT_FAILED
    if not args.quiet:
        print(terminal(f"{report.problems} problems ({report.built} built, {report.cached} cached); {done}"),
              file=err)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from derivgen.build.commands import evaluate

    result = evaluate(Path(args.file), args.find, Path(args.at), args.layout)
    print(json.dumps(result))
    return EXIT_OK


def cmd_exam(args: argparse.Namespace) -> int:
    from derivgen.exam.examfile import parse_formats
    from derivgen.exam.papers import make_exam
    from derivgen.render.escape import terminal

    if args.stress:
        return _stress(args)
    written = make_exam(Path(args.exam_file), Path(args.out), args.variants, args.seed,
                        Path(args.templates) if args.templates else None, detail=args.detail,
                        formats=_formats(args.formats, parse_formats))

    for note in written.notes:
        print(terminal(note), file=sys.stderr)
    if not args.quiet:
        for path in written.files:
            print(terminal(str(path)))
    return EXIT_OK


def _stress(args: argparse.Namespace) -> int:
    from derivgen.exam.stress import stress, stress_text
    from derivgen.render.escape import terminal

    report = stress(Path(args.exam_file), args.stress, args.variants, args.seed)
    for line in stress_text(report, args.variants):
        print(terminal(line), file=sys.stderr)
    return EXIT_FAILED if report.failures else EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from derivgen.authoring.new import new_problem
    from derivgen.render.escape import terminal

    print(terminal(str(new_problem(Path(args.path), args.kind, args.schema))))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from derivgen.authoring.schema import schema_text

    sys.stdout.write(schema_text(args.which))
    return EXIT_OK


def _watch_of(args: argparse.Namespace, must: tuple[str, ...] = ()) -> Any:
    from derivgen.authoring.live import Watch
    from derivgen.build.config import parse_formats

    formats = _formats(args.formats, parse_formats)
    if must:
        formats = tuple(dict.fromkeys([*(formats or ()), *must]))
    return Watch(tuple(Path(p) for p in args.paths), Path(args.out), formats, args.jobs, args.flavour,
                 args.detail, Path(args.templates) if args.templates else None)


def cmd_watch(args: argparse.Namespace) -> int:
    from derivgen.authoring.live import watch

    try:
        watch(_watch_of(args))
    except KeyboardInterrupt:
        print("derivgen: stopped watching", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from derivgen.authoring.serve import serve

    try:
        serve(_watch_of(args, must=("html",)), args.port)
    except KeyboardInterrupt:
        print("derivgen: stopped serving", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"build": cmd_build, "check": cmd_check, "eval": cmd_eval, "exam": cmd_exam, "new": cmd_new,
            "schema": cmd_schema, "watch": cmd_watch, "serve": cmd_serve}


# --- the entry point ------------------------------------------------------------------------------


def _interrupted(e: KeyboardInterrupt) -> str:
    """One line after Ctrl-C: what was kept, and that the next build goes on from there."""
    kept = getattr(e, "kept", 0)
    if not kept:
        return "derivgen: interrupted"
    return (f"derivgen: interrupted; kept {kept} finished problem{'s' if kept != 1 else ''} (written and "
            "cached): the next build goes on from there")


def _internal_hint() -> str:
    return f"(run again with --debug for the traceback, and please report it at {ISSUES})"


def print_error(error: DerivgenError, stream: TextIO) -> None:
    """Every diagnostic on its own line: ``FILE:LINE:COL: message``, control characters shown escaped."""
    from derivgen.render.escape import terminal

    if isinstance(error, ProblemError):
        for d in error.diagnostics:
            print(terminal(str(d)), file=stream)
    else:
        text = f"derivgen: {error}" if isinstance(error, UsageError) else str(error)
        print(terminal(text, keep_newlines=True), file=stream)


def _math_note() -> None:
    """One line when statement math was checked without Node (so without KaTeX)."""
    from derivgen.problem.katex import fallback_note

    note = fallback_note()
    if note:
        print(note, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run derivgen; returns the exit code (the console script exits with it)."""
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as e:
        print_error(e, sys.stderr)
        return EXIT_USAGE
    except DerivgenError as e:
        print_error(e, sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as e:
        print(_interrupted(e), file=sys.stderr)
        return 130
    except Exception as e:  # never a bare traceback unless asked for
        if args.debug or os.environ.get("DERIVGEN_DEBUG"):
            raise
        from derivgen.render.escape import terminal

        print(terminal(f"derivgen: internal error: {type(e).__name__}: {e}"), file=sys.stderr)
        print(_internal_hint(), file=sys.stderr)
        return EXIT_FAILED
    finally:
        _math_note()


if __name__ == "__main__":
    sys.exit(main())
