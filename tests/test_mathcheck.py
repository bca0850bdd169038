"""Statement math checked when a problem loads: broken formulas are errors at FILE:LINE:COL.

The five kinds of broken math a course site would show as red source (or TeX
would silently repair) are refused by ``derivgen check`` word for word, with
KaTeX run by Node and with the Python fallback when there is no Node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from derivgen.errors import ProblemError
from derivgen.problem.katex import known_commands, preamble_macros
from derivgen.problem.loader import load_problem
from derivgen.problem.mathtext import find_math, structure_slips

ROOT = Path(__file__).parent.parent
HAS_NODE = shutil.which("node") is not None or shutil.which("nodejs") is not None
GIVEN = "given:\n  x: [N]\ndefine:\n  f: x.T @ x\nfind: df/dx\n"

#: One file per kind of broken math, and the one line derivgen must print for it.
BROKEN = {
    "brace.yaml": (
        "title: Unbalanced brace\nstatement: |\n"
        "  Let $\\boldsymbol{x} \\in \\mathbb{R}^{N$ and find the gradient of $f$.\n",
        "src/brace.yaml:3:38: statement: unbalanced brace: this '{' is never closed (add '}', or write \\{ "
        "for a brace)"),
    "ampersand.yaml": (
        'title: An ampersand in inline math\nsource: "MML, $a & b$"\n',
        "src/ampersand.yaml:2:18: source: '&' outside an environment: align inside \\begin{aligned} ... "
        "\\end{aligned} (or a matrix, cases), or write \\& for an ampersand"),
    "macro.yaml": (
        "title: An unknown macro\nstatement: Find the gradient of $f = \\bfx^\\top \\bfx$.\n",
        "src/macro.yaml:2:38: statement: unknown macro \\bfx (did you mean \\bf?): KaTeX (and so a course "
        "site) does not know it"),
    "dollar.yaml": (
        "title: Gradient of $f(\\boldsymbol{x})\n",
        "src/dollar.yaml:1:20: title: unclosed '$': the formula never ends (close it with '$' right after "
        "its last character, or write \\$ for a dollar sign)"),
    "left.yaml": (
        "title: A left without right\nstatement: >\n  Find the gradient of\n"
        "  $f = \\left( \\boldsymbol{x}^\\top \\boldsymbol{x}$.\n",
        "src/left.yaml:4:8: statement: '\\left(' without a matching '\\right': add \\right and its delimiter "
        "(\\right. for none), or drop \\left"),
}
WARNING = ("derivgen: warning: statement math checked without KaTeX (Node.js turned off by DERIVGEN_NODE): "
           "braces, $, \\left/\\right and & are checked, macros only against KaTeX's list; install Node.js "
           "(apt-get install nodejs) for the full check")


def _check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    src.mkdir()
    for name, (head, _) in BROKEN.items():
        (src / name).write_text(head + GIVEN, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "derivgen", "check", "-j", "1", "src"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **env))


def _expected(*extra: str) -> list[str]:
    located = sorted(line for _, line in BROKEN.values())
    return [*located, "derivgen: 5 failed; 0 of 5 problems built", *extra]


@pytest.mark.skipif(not HAS_NODE, reason="needs Node.js to run KaTeX")
def test_broken_math_fails_at_its_place_with_katex(tmp_path: Path) -> None:
    run = _check(tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == _expected()


def test_broken_math_fails_at_its_place_without_node(tmp_path: Path) -> None:
    run = _check(tmp_path, DERIVGEN_NODE="none")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == _expected(WARNING)


def test_a_program_that_is_no_node_falls_back_with_the_warning(tmp_path: Path) -> None:
    run = _check(tmp_path, DERIVGEN_NODE=sys.executable)  # Python, handed KaTeX's script: fails to load it
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[:6] == _expected()
    assert run.stderr.splitlines()[6].startswith(
        "derivgen: warning: statement math checked without KaTeX (Node could not run KaTeX (")


def _load(tmp_path: Path, head: str) -> ProblemError | None:
    path = tmp_path / "p.yaml"
    path.write_text(head + GIVEN, encoding="utf-8")
    try:
        load_problem(path, display_path="p.yaml")
    except ProblemError as e:
        return e
    return None


def _messages(tmp_path: Path, head: str) -> list[str]:
    error = _load(tmp_path, head)
    return [str(d) for d in error.diagnostics] if error else []


def test_the_bank_loads_without_a_math_error() -> None:
    for path in sorted((ROOT / "problems").rglob("*.yaml")):
        if path.name != "derivgen.yaml":
            load_problem(path)  # raises ProblemError on a broken formula


def test_good_math_passes(tmp_path: Path) -> None:
    head = ("title: Gradient of $f(\\boldsymbol{x}) = \\lVert \\boldsymbol{x} \\rVert^2$ and \\$5\n"
            "statement: |\n"
            "  Code `$x` is no math. For $\\boldsymbol{x}\\in\\mathbb{R}^N$ let\n"
            "  $$\\begin{aligned} f &= \\boldsymbol{x}^\\top\\boldsymbol{x} \\\\ &= \\sum_i x_i^2\n"
            "  \\end{aligned}$$\n"
            "  with $\\left( \\frac{a}{b} \\right)$ and $‖x‖ = Wᵀ$.\n")
    assert _messages(tmp_path, head) == []


def test_math_in_quoted_and_folded_values_points_at_the_character(tmp_path: Path) -> None:
    head = 'title: "A \\"quoted\\" title, $x & y$"\nstatement: >-\n  Folded\n  text $\\frac{a}{b$.\n'
    assert [m.split(": ")[0] for m in _messages(tmp_path, head)] == ["p.yaml:1:32", "p.yaml:4:17"]


def test_latex_of_a_given_is_one_formula(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: t\ngiven:\n  W: {shape: [N, N], latex: '\\mathbf{W'}\nfind: dW/dW\n")
    with pytest.raises(ProblemError) as e:
        load_problem(path, display_path="p.yaml")
    assert str(e.value.diagnostics[0]).startswith("p.yaml:3:37: given.W.latex: unbalanced brace")


@pytest.mark.skipif(not HAS_NODE, reason="needs Node.js to run KaTeX")
def test_katex_finds_what_the_structure_cannot(tmp_path: Path) -> None:
    assert _messages(tmp_path, "title: $x_$\n") == [
        "p.yaml:1:10: title: KaTeX cannot read this formula: Expected group after '_'"]


@pytest.mark.skipif(not HAS_NODE, reason="needs Node.js to run KaTeX")
def test_derivgen_preamble_macros_are_accepted(tmp_path: Path) -> None:
    assert "\\dgcheck" in preamble_macros()
    assert _messages(tmp_path, "title: $\\dgcheck{x} \\dgend$\n") == []


def test_exam_instructions_are_checked_too(tmp_path: Path) -> None:
    from derivgen.exam.examfile import load_exam

    exam = tmp_path / "mid.yaml"
    exam.write_text("exam:\n  title: Midterm on $\\nabla f$\n  instructions: |\n    Answer all.\n"
                    "    Write $\\frac{\\partial f}{\\partial x$ for it.\n"
                    f"problems:\n  - {{file: {ROOT / 'problems/3-matrix/least-squares.yaml'}, points: 10}}\n")
    with pytest.raises(ProblemError) as e:
        load_exam(exam, "mid.yaml")
    assert [str(d) for d in e.value.diagnostics] == [
        "mid.yaml:5:29: exam.instructions: unbalanced brace: this '{' is never closed (add '}', or write "
        "\\{ for a brace)"]


def test_the_check_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVGEN_MATH_CHECK", "off")
    assert _load(tmp_path, "title: $\\frac{a}{b$\n") is None


# --- finding the formulas, and the fallback's reading of one --------------------------------------


@pytest.mark.parametrize(("text", "formulas", "slips"), [
    ("a $x$ and $$y$$", [("x", 3, False), ("y", 12, True)], []),
    ("`$x` and \\$5", [], []),
    ("$5 and $10", [], [0, 7]),
    ("$ x$", [], [0]),
    ("$$ a\n\n b $$", [], [0, 9]),
    ("$x\n y$", [("x\n y", 1, False)], []),
    ("price $x$5", [], [6, 8]),
])
def test_find_math(text: str, formulas: list[tuple[str, int, bool]], slips: list[int]) -> None:
    found, wrong = find_math(text)
    assert [(f.tex, f.start, f.display) for f in found] == formulas
    assert [s.offset for s in wrong] == slips


@pytest.mark.parametrize(("tex", "offset", "start"), [
    ("\\frac{a}{b", 8, "unbalanced brace: this '{'"),
    ("a}", 1, "unbalanced brace: this '}'"),
    ("a & b", 2, "'&' outside an environment"),
    ("\\left( x", 0, "'\\left(' without a matching '\\right'"),
    ("x \\right)", 2, "'\\right)' with no '\\left'"),
    ("{\\left( x} \\right)", 1, "'\\left(' without"),
    ("\\begin{aligned} a", 0, "\\begin{aligned} is never ended"),
    ("\\alpah", 0, "unknown macro \\alpah (did you mean \\alpha?)"),
])
def test_structure_slips(tex: str, offset: int, start: str) -> None:
    slips = structure_slips(tex, known_commands())
    assert [(s.offset, s.message[:len(start)]) for s in slips] == [(offset, start)]


@pytest.mark.parametrize("tex", [
    "\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}", "\\{ x \\} \\& \\%", "\\left. x \\right|",
    "\\def\\v{x}\\v", "\\boldsymbol{\\theta}^\\top \\mathbf{A}",
])
def test_structure_accepts(tex: str) -> None:
    assert structure_slips(tex, known_commands()) == []


def test_a_problem_cached_without_the_check_is_checked_once_it_can_be(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "brace.yaml").write_text(BROKEN["brace.yaml"][0] + GIVEN, encoding="utf-8")

    def build(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "derivgen", "build", "src", "-o", "out", "--format", "json",
                               "-j", "1", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONPATH=str(ROOT), **env))

    assert build(DERIVGEN_MATH_CHECK="off").returncode == 0
    again = build()
    assert again.returncode == 1 and "src/brace.yaml:3:38: statement: unbalanced brace" in again.stderr
