"""``--format py``: every generated file runs its own gradient check, and the check can fail.

Each file is run as a lecturer would run it, ``python <id>.py`` in a
subprocess; a derivative edited to be wrong must make it exit 1.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from derivgen.build.config import Config
from derivgen.build.gather import render_options
from derivgen.build.pipeline import build
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.parser import parse_expression as parse_expr
from derivgen.problem.shapes import ShapeEnv
from derivgen.render.pycode import HELPERS, NUMPY, Printer

ROOT = Path(__file__).parent.parent
PROBLEMS = ROOT / "problems"


def _build(src: list[Path], out: Path) -> list[Path]:
    report = build([str(p) for p in src], out, formats=("py",), jobs=1, use_cache=False)
    assert not report.failures, [f.errors for f in report.failures]
    return sorted(out.rglob("py/*.py"))


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, path.name], cwd=path.parent, capture_output=True, text=True,
                          timeout=120)


def _copy_problem(tmp_path: Path, name: str, text: str) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / name).write_text(text, encoding="utf-8")
    return src


def test_least_squares_checks_itself_and_a_wrong_gradient_fails(tmp_path: Path) -> None:
    [path] = _build([PROBLEMS / "3-matrix" / "least-squares.yaml"], tmp_path / "out")
    assert path.relative_to(tmp_path / "out").as_posix() == "3-matrix/py/least-squares.py"
    code = path.read_text(encoding="utf-8")
    assert "def e(theta, Phi, y):" in code and "def dL_dtheta(theta, Phi, y):" in code
    assert "    return -2 * (y - Phi @ theta).T @ Phi\n" in code
    run = _run(path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("dL/dtheta agrees with finite differences at 3 random points")

    path.write_text(code.replace("return -2 * (y - Phi", "return -1.9 * (y - Phi"), encoding="utf-8")
    run = _run(path)
    assert run.returncode == 1
    assert run.stdout.startswith("dL/dtheta DISAGREES with finite differences")


def test_default_formats_leave_py_out() -> None:
    assert "py" not in render_options(Config(), None, None, "standard").formats


@pytest.mark.slow  # the matrix sheet built, then nine files run, each in its own Python
def test_every_file_of_the_matrix_sheet_passes_its_check(tmp_path: Path) -> None:
    files = _build([PROBLEMS / "3-matrix"], tmp_path / "out")
    assert len(files) == len(list((PROBLEMS / "3-matrix").glob("*.yaml")))
    for path in files:
        run = _run(path)
        assert run.returncode == 0, f"{path.name}\n{run.stdout}{run.stderr}"
        assert "DISAGREES" not in run.stdout and "agrees with" in run.stdout, run.stdout
    # a wrong index formula (the loops of dK/dR) is caught too
    rtr = next(p for p in files if p.name == "gradient-RtR.py")
    code = rtr.read_text(encoding="utf-8")
    assert "(p == j) * R[i, q]" in code
    rtr.write_text(code.replace("(p == j) * R[i, q]", "(p == i) * R[i, q]"), encoding="utf-8")
    assert _run(rtr).returncode == 1


@pytest.mark.slow  # the whole bank: 33 files, each run in its own Python
def test_every_file_of_the_bank_passes_its_check(tmp_path: Path) -> None:
    files = _build([PROBLEMS], tmp_path / "out")
    assert len(files) == len([p for p in PROBLEMS.rglob("*.yaml") if p.name != "derivgen.yaml"])
    for path in files:
        run = _run(path)
        assert run.returncode == 0, f"{path.name}\n{run.stdout}{run.stderr}"


def test_names_python_uses_get_an_underscore(tmp_path: Path) -> None:
    src = _copy_problem(tmp_path, "names.yaml", (
        "title: Names Python knows\ngiven:\n  np: [N]\n  range: [N]\n"
        "define:\n  sys: np.T @ range\nfind: dsys/dnp\nsizes: {N: 3}\n"))
    [path] = _build([src], tmp_path / "out")
    code = path.read_text(encoding="utf-8")
    assert "def sys_(np_, range_):" in code and "def dsys_dnp(np_, range_):" in code
    assert _run(path).returncode == 0


def test_the_title_stays_text(tmp_path: Path) -> None:
    title = 'Evil """; import os; os.system("touch pwned") # $\\boldsymbol{x}$ \\ \u2028 "'
    src = _copy_problem(tmp_path, "evil.yaml", (
        f"title: '{title}'\nsource: \"a\\nb\\\\\"\ngiven:\n  x: [N]\ndefine:\n  f: x.T @ x\n"
        "find: df/dx\nsizes: {N: 2}\n"))
    [path] = _build([src], tmp_path / "out")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    assert doc.splitlines()[0] == "Problem 1: Evil '''; import os; os.system('touch pwned') # $\\boldsymbol{x}$ \\ '"
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert sorted(a.name for n in imports for a in n.names) == ["numpy", "sys"]
    run = _run(path)
    assert run.returncode == 0 and not (path.parent / "pwned").exists()


def test_every_function_of_the_language_has_a_numpy_spelling() -> None:
    assert set(FUNCTIONS) <= set(NUMPY)


@pytest.mark.parametrize("name", sorted(HELPERS))
def test_the_helpers_compute_what_derivgen_computes(name: str) -> None:
    namespace: dict[str, object] = {"np": np}
    exec(HELPERS[name], namespace)  # derivgen's own source text, the same the files carry
    z = np.array([-3.0, -0.5, 0.25, 2.0])
    assert np.allclose(namespace[name](z), FUNCTIONS[name].numpy(z))  # type: ignore[operator]


def test_a_column_times_a_row_is_an_outer_product() -> None:
    env = ShapeEnv({"a": ("N",), "b": ("M",), "A": ("N", "N")}, {})
    printer = Printer(env, lambda n: n, {})
    assert printer(parse_expr("a @ b.T")) == "np.outer(a, b)"
    assert printer(parse_expr("-inv(A).T @ a @ b.T")) == "np.outer(-np.linalg.inv(A).T @ a, b)"
    assert printer(parse_expr("a.T @ A @ a")) == "a.T @ A @ a"
    assert printer(parse_expr("x[1] * A[2, 1]")) == "x[0] * A[1, 0]"


def test_long_lines_break_before_an_operator_and_mean_the_same() -> None:
    from derivgen.render.pycode import wrap_code

    code = " + ".join(f"np.sin(x[{i}]) * (x[{i}] - 2 * y[{i}])" for i in range(6)) + " @ A"
    lines = wrap_code("    ", "return ", code)
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert lines[0].startswith("    return (np.sin(x[0])") and lines[-1].endswith(" @ A)")
    joined = " ".join(line.strip() for line in lines).removeprefix("return ")
    assert joined == f"({code})"


def test_second_derivatives_and_taylor_are_named_not_mislabelled(tmp_path: Path) -> None:
    """A Hessian written as 'df/dx' and checked as a gradient would fail its own check (or pass a
    wrong one): second derivatives and Taylor polynomials are left out, and the docstring says so."""
    src = _copy_problem(tmp_path, "h.yaml", "title: h\ngiven: {x: [N], A: [N, N]}\n"
                        "define: {f: x.T @ A @ x}\nfind: [df/dx, d2f/dx2]\nsizes: {N: 3}\n")
    _copy_problem(tmp_path, "t.yaml", "title: t\ngiven: {x: scalar, y: scalar}\n"
                  "define: {f: x**2 * y + y**3}\nfind: 'taylor(f, [x, y], [1, 2], 2)'\n")
    paths = _build([src], tmp_path / "out")
    h, t = (next(p for p in paths if p.stem == s) for s in ("h", "t"))
    code = h.read_text(encoding="utf-8")
    assert "def df_dx(x, A):" in code and code.count("def df_dx") == 1
    assert "Not written as code here (see the worked solution): d2f/dx2;" in code
    run = _run(h)
    assert run.returncode == 0 and run.stdout.startswith("df/dx agrees"), run.stdout + run.stderr
    assert "taylor(f, [x, y], [1, 2], 2)" in t.read_text(encoding="utf-8")
    run = _run(t)
    assert run.returncode == 0 and "no first derivative to check here" in run.stdout, run.stdout + run.stderr
