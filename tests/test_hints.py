"""Errors that suggest the fix: did you mean, what exists, e.T for e^T, a build that matches nothing.

Every message is asserted word for word, with its FILE:LINE:COL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derivgen.cli import main
from derivgen.errors import ProblemError
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.loader import load_problem
from derivgen.problem.suggest import nearest

ALL_FUNCTIONS = ", ".join(FUNCTIONS)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemError) as info:
        load_problem(path, display_path="problems/p.yaml")
    return [str(d) for d in info.value.diagnostics]


TYPOS = """\
title: typos
given:
  x: [N]
  theta: [N]
define:
  e: x - thetta
  f: sigmoid(x)
  g: e^T @ e
  h: (x - theta)^T @ x
  q(u): u.T @ u
  k: qq(x) + frobnicate(x)
find:
  - dk/dx
  - dx/dthta
  - dL/dx
"""


def test_every_error_of_a_file_suggests_its_fix(tmp_path: Path) -> None:
    assert errors_of(tmp_path, TYPOS) == [
        "problems/p.yaml:6:10: define.e: unknown name 'thetta': did you mean theta? (names: x, theta, N)",
        f"problems/p.yaml:7:6: define.f: unknown function 'sigmoid': did you mean sigma? (functions: {ALL_FUNCTIONS})",
        "problems/p.yaml:8:8: define.g: write e.T for the transpose ('^' is a power, so ^T raises to a power T)",
        "problems/p.yaml:9:18: define.h: write (x - theta).T for the transpose ('^' is a power, so ^T raises to a "
        "power T)",
        f"problems/p.yaml:11:6: define.k: unknown function 'qq': did you mean q? (functions: {ALL_FUNCTIONS}; "
        "defined: q)",
        f"problems/p.yaml:11:14: define.k: unknown function 'frobnicate' (functions: {ALL_FUNCTIONS}; defined: q)",
        "problems/p.yaml:14:9: find[2]: 'dx/dthta': thta is not a given variable: did you mean theta? "
        "(given: x, theta)",
        "problems/p.yaml:15:6: find[3]: 'dL/dx': L is not a given or defined quantity (given: x, theta; "
        "defined: q)",
    ]


def test_an_unknown_name_without_a_near_one_lists_the_names(tmp_path: Path) -> None:
    text = "title: t\ngiven:\n  x: [N]\n  a: []\ndefine:\n  L: x.T @ w\nfind:\n  - dL/dx\n"
    assert errors_of(tmp_path, text) == [
        "problems/p.yaml:6:12: define.L: unknown name 'w' (names: x, a, N)",
    ]


def test_a_misspelt_define_in_find_is_suggested(tmp_path: Path) -> None:
    text = "title: t\ngiven:\n  x: [N]\ndefine:\n  loss: x.T @ x\nfind:\n  - dlos/dx\n"
    assert errors_of(tmp_path, text) == [
        "problems/p.yaml:7:6: find[1]: 'dlos/dx': los is not a given or defined quantity: did you mean loss? "
        "(given: x; defined: loss)",
    ]


def test_the_function_list_is_the_table() -> None:
    """A function added to problem/functions.py is listed and suggested without touching suggest.py."""
    from derivgen.problem.suggest import unknown_function

    assert unknown_function("tanhh") == f"unknown function 'tanhh': did you mean tanh? (functions: {ALL_FUNCTIONS})"
    assert nearest("sgima", FUNCTIONS) == "sigma"
    assert nearest("THETA", ["theta", "x"]) == "theta"
    assert nearest("zzz", ["theta", "x"]) is None


def test_a_power_named_T_still_works_when_T_is_a_given(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: t\ngiven:\n  x: []\n  T: []\ndefine:\n  f: x^T\nfind: df/dx\n", encoding="utf-8")
    assert load_problem(path).define[0].name == "f"


@pytest.mark.parametrize("command", ["build", "check"])
def test_paths_that_match_no_problem_exit_1_and_say_so(tmp_path: Path, command: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)
    (empty / ".hidden" / "p.yaml").write_text("title: t\ngiven: {x: []}\nfind: dx/dx\n", encoding="utf-8")
    (empty / "notes.txt").write_text("not a problem", encoding="utf-8")
    extra = ["--out", str(tmp_path / "out")] if command == "build" else []
    assert main([command, str(empty), *extra]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"derivgen: no problem files in {empty} (a problem is a .yaml or .yml file; derivgen.yaml, exam files "
        "and files in hidden folders are skipped)")


DEFINITION_ONLY = """\
title: from the definition
given:
  x: scalar
define:
  f: x**3
  g: sin(x) * x
  h: exp(x)
  k: cos(x)
find:
  - df/dx
  - dg/dx
  - dh/dx
  - dk/dx
method: definition
"""


def _refused(line: int, name: str, written: str) -> str:
    return (f"{{src}}:{line}:5: find 'd{name}/dx': method: definition supports x**n (n a natural number: a scalar "
            "given such as n, or a whole number), polynomials in x (sums of c*x**k with constant c and whole "
            f"k >= 0), exp(x) and 1/x; {name} = {written} is none of these (use method: auto for the "
            "differentiation rules)")


def test_a_problem_whose_finds_partly_fail_reports_each_and_writes_the_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "sheet" / "defs.yaml"
    src.parent.mkdir()
    src.write_text(DEFINITION_ONLY, encoding="utf-8")
    out = tmp_path / "out"
    expected = [_refused(11, "g", "sin(x) * x").format(src=src), _refused(13, "k", "cos(x)").format(src=src),
                "derivgen: 1 failed (1 of them only in part: their other finds derive); 1 of 1 problems built"]
    for _ in range(2):  # the second build reports them again: a partly failed problem is not cached
        assert main(["build", str(src.parent), "--out", str(out), "--format", "md,json"]) == 1
        assert capsys.readouterr().err.splitlines() == expected
    page = (out / "sheet" / "md" / "defs.md").read_text(encoding="utf-8")
    assert "## Part (a)" in page and "## Part (b)" in page and "## Part (c)" not in page
    assert r"\frac{\mathrm{d}f}{\mathrm{d}x}" in page and r"\frac{\mathrm{d}h}{\mathrm{d}x}" in page
    assert r"\frac{\mathrm{d}g}{\mathrm{d}x}" not in page
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["failures"] == [{"file": str(src), "id": "defs", "errors": expected[:2]}]


@pytest.mark.parametrize("sizes, find, expected", [
    ("", "df/dA", "{src}:3:3: warning: no size given for M, N, so the numeric check picked M = 3, N = 2 and the "
                  "solution shows no explicit array; add sizes: {{M: 3, N: 2}} to choose them"),
    ("sizes: {N: 4}\n", "dL/dx", "{src}:3:3: warning: no size given for M, so the numeric check picked M = 3; "
                                 "add sizes: {{M: 3}} to choose them"),
    ("sizes: {M: 2, N: 4}\n", "df/dA", None),
    ("sizes: {}\n", "df/dA", None),  # left to the check on purpose
])
def test_sizes_the_check_picks_are_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str], sizes: str,
                                             find: str, expected: str | None) -> None:
    src = tmp_path / "p.yaml"
    src.write_text("title: t\ngiven:\n  A: [M, N]\n  x: [N]\ndefine:\n  f: A @ x\n  L: f.T @ f\n"
                   f"{sizes}find: {find}\n", encoding="utf-8")
    assert main(["check", str(src)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[:-1] == ([expected.format(src=src)] if expected else [])
    assert main(["check", "--quiet", str(src)]) == 0
    assert capsys.readouterr().err == ""


def test_one_entry_of_a_result_in_find_says_how_to_ask_for_it(tmp_path: Path) -> None:
    text = ("title: t\ngiven:\n  X: {shape: [N, N], assume: [invertible]}\ndefine:\n  F: inv(X)\nfind:\n"
            "  - dF[2, 3]/dX\n")
    assert errors_of(tmp_path, text) == [
        "problems/p.yaml:7:7: find[1]: 'dF[2, 3]/dX': to differentiate one entry of F, define it "
        "(F_23: F[2, 3]) and ask for dF_23/dX",
    ]
