"""The documented limits hold, and errors of a find point at the find."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from derivgen.build.workers import time_limit
from derivgen.errors import LimitError, ProblemError
from derivgen.problem.loader import load_problem


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(body, encoding="utf-8")
    return p


def test_a_huge_constant_exponent_is_refused_before_anything_computes_it(tmp_path: Path) -> None:
    p = write(tmp_path, "title: t\ngiven: {a: []}\ndefine:\n  L: a ** 99999999999 ** 99999999999\nfind: [dL/da]\n")
    with pytest.raises(ProblemError) as e:
        load_problem(p)
    assert str(e.value) == f"{p}:4:26: define.L: the exponent is larger than derivgen's limit of 1000"


def test_an_exponent_within_the_limit_loads(tmp_path: Path) -> None:
    p = write(tmp_path, "title: t\ngiven: {a: []}\ndefine:\n  L: a ** 1000\nfind: [dL/da]\n")
    assert load_problem(p).find[0].text == "dL/da"


def test_eye_above_the_dimension_limit(tmp_path: Path) -> None:
    p = write(tmp_path, "title: t\ngiven: {a: []}\ndefine:\n  L: a * tr(eye(65))\nfind: [dL/da]\n")
    with pytest.raises(ProblemError) as e:
        load_problem(p)
    assert str(e.value) == f"{p}:4:13: define.L: eye(65) is larger than derivgen's limit of 64 for a dimension"


def test_time_limit_stops_long_work() -> None:
    start = time.perf_counter()
    with pytest.raises(LimitError, match=r"longer than derivgen's limit of 0\.2 s per problem"), time_limit(0.2):
        while True:
            sum(range(1000))
    assert time.perf_counter() - start < 2


def test_a_derivation_error_is_reported_at_its_find(tmp_path: Path) -> None:
    from derivgen.cli import main

    p = write(tmp_path, "title: t\ngiven: {A: [M, N], x: [N]}\ndefine:\n  L: A[1, 1] * x[1]\nfind:\n  - dL/dx\n")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["check", "--quiet", str(p)])  # --quiet: without the warning about sizes
    assert code == 1
    assert err.getvalue().splitlines()[0] == (
        f"{p}:6:5: find 'dL/dx': x is used by components or with literals, so it needs a concrete size (add it to sizes)"
    )
