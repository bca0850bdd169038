"""``derivgen check`` and ``derivgen eval``: the build's stages, with nothing written.

``check`` runs the pipeline's first half (gather, load, derive, verify) on
every problem and lists every error; ``evaluate`` derives and verifies one
``find`` and evaluates the result at given values.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from derivgen.build.gather import check_roots, display_path, gather, read_config
from derivgen.build.pipeline import derive_all, load_all, pending
from derivgen.build.progress import Progress, Silent
from derivgen.build.report import BuildReport
from derivgen.build.stages import RenderOptions, Stages, real_stages
from derivgen.errors import DerivgenError, ExpressionError, UsageError
from derivgen.problem.model import Find, Problem


def check(paths: Sequence[Path | str], jobs: int | None = None, progress: Progress | None = None,
          stages: Stages | None = None) -> BuildReport:
    """Load, derive and verify every problem under ``paths``; write nothing, list every error."""
    t_start = time.perf_counter()
    stages, progress = stages or real_stages(), progress or Silent()
    report = BuildReport()
    roots = check_roots(paths)
    config = read_config(roots)
    items = gather(roots, config, stages, report)
    load_all(items, stages, report, progress)
    opts = RenderOptions((), default_layout=config.layout)
    derive_all([i for i in items if pending(i)], stages, opts, jobs, report, progress)
    report.timings["total"] = time.perf_counter() - t_start
    return report


def evaluate(path: Path, find_text: str, values_path: Path, layout: str = "numerator") -> object:
    """The derived (and verified) result of ``find_text`` at the values, as a JSON nested list.

    The closed form is preferred, then the index form, then the explicit array;
    the layout is of's shape then wrt's (numerator layout, whatever the problem's
    ``layout:``), or wrt's shape then of's with ``layout="denominator"``.
    """
    from derivgen.check.values import load_values, to_json_array
    from derivgen.check.verify import evaluate_result, verify
    from derivgen.engine.derive import derive
    from derivgen.problem.loader import load_problem

    for given in (path, values_path):
        if not Path(given).is_file():
            raise UsageError(f"{given}: no such file")
    problem = load_problem(path, display_path=display_path(path))
    find = find_in(problem, find_text)
    derivation = verify(problem, find, derive(problem, find))
    values, sizes = load_values(values_path, problem)
    results = evaluate_result(problem, derivation, values, sizes)
    for form in ("closed", "index", "explicit"):
        if results.get(form) is not None:
            value = results[form]
            if layout == "denominator":
                from derivgen.check.layout import to_denominator_array

                value = to_denominator_array(value, len(derivation.of_shape))
            return to_json_array(value)
    raise DerivgenError(f"{display_path(path)}: {find_text}: "
                        "the derivation has no form that can be evaluated")


def find_in(problem: Problem, text: str) -> Find:
    """The problem's own ``find`` entry written like ``text``, else ``text`` parsed as a new one."""
    from derivgen.problem.expr import Name
    from derivgen.problem.parser import parse_find
    from derivgen.problem.second import is_second, parse_second, resolve
    from derivgen.problem.taylor import is_taylor, parse_taylor

    wanted = "".join(text.split())
    for find in problem.find:
        if "".join(find.text.split()) == wanted:
            return find
    try:
        if is_taylor(text):  # taylor(f, x, 0, 4): the polynomial's value at the given values
            of, names, at, degree = parse_taylor(text)
            return Find(text, of, names, at=at, degree=degree)
        if is_second(text):  # d2f/dxdy
            of, candidates = parse_second(text)
            outer, inner = resolve(text, candidates, [v.name for v in problem.given])
            return Find(text, of, (Name(outer),), first=(Name(inner),))
        of, wrt = parse_find(text)
    except ExpressionError as e:
        raise UsageError(f"--find {text}: column {e.offset + 1}: {e.message}") from e
    return Find(text, of, wrt)
