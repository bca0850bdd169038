"""The command line: parse arguments, call the build, check, eval or exam, turn errors into exit codes.

``build`` is :mod:`derivgen.build.pipeline`, ``check`` and ``eval`` :mod:`derivgen.build.commands`,
``exam`` :mod:`derivgen.exam.papers`.

Exit codes: 0 everything built, 1 a problem (or sheet) failed, 2 the command
line is wrong.  Every error a user can cause prints as ``FILE:LINE:COL:
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
from typing import TYPE_CHECKING, NoReturn, TextIO

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

exit codes: 0 ok, 1 a problem failed, 2 usage error"""


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
                   help=f"comma-separated output formats (default: {FORMATS}, or derivgen.yaml's)")
    _jobs(p)
    p.add_argument("--templates", metavar="DIR", help="your templates, looked up before the built-in ones")
    p.add_argument("--flavour", choices=("standard", "hugo", "jekyll"), default="standard",
                   help="Markdown flavour (default: standard)")
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
        "exam", help="write an exam paper and its solutions",
        description="Write the exam paper(s) and matching solution sheet(s) of an exam file.",
        epilog="example:\n  derivgen exam midterm.yaml -o out/ --variants 3 --seed 7",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exam_file", metavar="EXAM.yaml", help="the exam file")
    p.add_argument("-o", "--out", default="out", metavar="DIR", help="output folder (default: out)")
    p.add_argument("--variants", type=_positive_int, default=1, metavar="N",
                   help="versions with renamed variables and redrawn constants (default: 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the variants (default: 0)")
    p.add_argument("--templates", metavar="DIR", help="your templates, looked up before the built-in ones")
    _detail(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


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
    if report.failures:
        good = report.built + report.cached
        print(f"derivgen: {len(report.failures)} failed; {good} of {report.problems} problems built",
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
    from derivgen.exam.papers import make_exam

    written = make_exam(Path(args.exam_file), Path(args.out), args.variants, args.seed,
                        Path(args.templates) if args.templates else None, detail=args.detail)
    from derivgen.render.escape import terminal

    for note in written.notes:
        print(terminal(note), file=sys.stderr)
    if not args.quiet:
        for path in written.files:
            print(terminal(str(path)))
    return EXIT_OK


COMMANDS = {"build": cmd_build, "check": cmd_check, "eval": cmd_eval, "exam": cmd_exam}


# --- the entry point ------------------------------------------------------------------------------


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
    except KeyboardInterrupt:
        print("derivgen: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a bare traceback unless asked for
        if args.debug or os.environ.get("DERIVGEN_DEBUG"):
            raise
        from derivgen.render.escape import terminal

        print(terminal(f"derivgen: internal error: {type(e).__name__}: {e}"), file=sys.stderr)
        print(_internal_hint(), file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
