"""The command line: exit codes, messages word for word, a fast --help, eval's output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from derivgen import cli

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def derivgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "derivgen", *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=600)


@pytest.fixture
def small_bank(tmp_path: Path) -> Path:
    src = tmp_path / "problems" / "week1"
    src.mkdir(parents=True)
    for rel in ("3-matrix/least-squares.yaml", "1-scalar/product-rule.yaml"):
        shutil.copy(ROOT / "problems" / rel, src)
    return tmp_path / "problems"


# --- help and imports -----------------------------------------------------------------------------


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = ("import sys, time\nt = time.perf_counter()\nfrom derivgen.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy', 'jinja2', 'yaml'})\n"
            "print(heavy, time.perf_counter() - t, file=sys.stderr)")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    heavy, seconds = proc.stderr.split("] ")
    assert heavy == "[" and float(seconds) < 0.5
    assert "derivgen build problems/" in proc.stdout and "exit codes: 0 ok" in proc.stdout


def test_import_derivgen_is_light() -> None:
    code = "import sys, derivgen, derivgen.cli\nprint(sorted(m for m in sys.modules if m.startswith(('sympy', 'numpy'))))"
    assert subprocess.run([PY, "-c", code], capture_output=True, text=True).stdout == "[]\n"


def test_python_dash_m_help() -> None:
    t0 = time.perf_counter()
    proc = derivgen("--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: derivgen")
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("command", ["build", "check", "eval", "exam"])
def test_every_command_has_help(command: str) -> None:
    proc = derivgen(command, "--help")
    assert proc.returncode == 0 and f"usage: derivgen {command}" in proc.stdout


# --- usage errors: exit 2, word for word ---------------------------------------------------------------


@pytest.mark.parametrize("args, last_line", [
    ([], "derivgen: error: the following arguments are required: COMMAND"),
    (["build"], "derivgen build: error: the following arguments are required: PATHS"),
    (["build", "p", "--jobs", "0"], "derivgen build: error: argument -j/--jobs: must be at least 1, not 0"),
    (["build", "p", "--jobs", "two"], "derivgen build: error: argument -j/--jobs: 'two' is not a whole number"),
    (["build", "p", "--flavour", "rst"],
     "derivgen build: error: argument --flavour: invalid choice: 'rst' (choose from 'standard', 'myst', 'hugo', 'jekyll')"),
    (["eval", "f.yaml", "--at", "v.json"], "derivgen eval: error: the following arguments are required: --find"),
    (["frobnicate"],
     "derivgen: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'build', 'check', 'eval', 'exam', 'new', 'schema', 'watch', 'serve')"),
])
def test_usage_errors(capsys, args: list[str], last_line: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as e:
        cli.main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: derivgen") and err.splitlines()[-1] == last_line


def test_usage_errors_found_after_parsing(tmp_path: Path, small_bank: Path) -> None:
    proc = derivgen("build", str(small_bank), "--format", "md,docx", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2, "derivgen: --format: unknown format 'docx' (choose from md, json, tex, pdf, html, py)\n")
    proc = derivgen("build", "nowhere", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "derivgen: nowhere: no such file or folder\n")
    proc = derivgen("build", str(small_bank), "--templates", "nope", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "derivgen: nope: no such templates folder\n")


# --- build and check ------------------------------------------------------------------------------------


def test_build_ok_then_one_bad_problem(tmp_path: Path, small_bank: Path) -> None:
    proc = derivgen("build", "problems", "--format", "md,json", "-j", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "2 problems (2 built, 0 cached); wrote out/\n"
    assert (tmp_path / "out/week1/md/least-squares.md").exists()
    assert (tmp_path / "out/json/product-rule.json").exists()
    (small_bank / "week1/broken.yaml").write_text("title: Broken\ngiven:\n  x: [N]\ndefine:\n  f: x @ y\nfind:\n  - df/dx\n")
    proc = derivgen("build", "problems", "--format", "md,json", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("problems/week1/broken.yaml:5:")
    assert lines[-1] == "derivgen: 1 failed; 2 of 3 problems built"
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "out/week1/md/least-squares.md").exists()


def test_check_lists_every_error_and_writes_nothing(tmp_path: Path, small_bank: Path) -> None:
    (small_bank / "week1/a.yaml").write_text("title: A\ngiven:\n  x: [N]\nfind:\n  - dq/dx\n")
    (small_bank / "week1/b.yaml").write_text("title: B\ngiven: {x: [N]\n")
    before = sorted(tmp_path.rglob("*"))
    proc = derivgen("check", "problems", cwd=tmp_path)
    assert proc.returncode == 1
    files = [line.split(":")[0] for line in proc.stderr.splitlines()[:-1] if line.startswith("problems/")]
    assert sorted(set(files)) == ["problems/week1/a.yaml", "problems/week1/b.yaml"]
    assert sorted(tmp_path.rglob("*")) == before
    (small_bank / "week1/a.yaml").unlink()
    (small_bank / "week1/b.yaml").unlink()
    proc = derivgen("check", "problems", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "2 problems (2 built, 0 cached); all problems derived and verified\n")


def test_internal_error_without_and_with_debug(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(args):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.COMMANDS, "build", boom)
    assert cli.main(["build", "x"]) == 1
    err = capsys.readouterr().err
    assert err == ("derivgen: internal error: RuntimeError: boom\n"
                   f"(run again with --debug for the traceback, and please report it at {cli.ISSUES})\n")
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "build", "x"])


# --- eval ------------------------------------------------------------------------------------------------


def test_eval_prints_the_derived_gradient(tmp_path: Path) -> None:
    theta, phi, y = [1.0, -2.0], [[1.0, 2.0], [0.5, -1.0], [3.0, 1.0]], [1.0, 0.0, 2.0]
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"theta": theta, "Phi": phi, "y": y}))
    proc = derivgen("eval", str(ROOT / "problems/3-matrix/least-squares.yaml"), "--find", "dL/dtheta",
                    "--at", str(values))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    P, t, yy = np.array(phi), np.array(theta), np.array(y)
    assert np.allclose(got, -2 * (yy - P @ t) @ P) and np.shape(got) == (2,)


def test_eval_array_layout_of_vector_by_matrix(tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"A": [[1, 2, 3], [4, 5, 6]], "x": [1, 0, -1]}))
    proc = derivgen("eval", str(ROOT / "problems/3-matrix/gradient-Ax-by-A.yaml"), "--find", "df/dA",
                    "--at", str(values))
    assert proc.returncode == 0, proc.stderr
    got = np.array(json.loads(proc.stdout))
    expected = np.einsum("ik,q->ikq", np.eye(2), np.array([1, 0, -1]))
    assert got.shape == (2, 2, 3) and np.allclose(got, expected)


def test_eval_errors(tmp_path: Path) -> None:
    proc = derivgen("eval", "missing.yaml", "--find", "df/dx", "--at", "v.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "derivgen: missing.yaml: no such file\n")
    values = tmp_path / "v.json"
    values.write_text("{}")
    proc = derivgen("eval", str(ROOT / "problems/3-matrix/least-squares.yaml"), "--find", "dL/", "--at",
                    str(values))
    assert proc.returncode == 2 and proc.stderr.startswith("derivgen: --find dL/: column")


def test_exam_command(tmp_path: Path) -> None:
    shutil.copy(ROOT / "problems/1-scalar/product-rule.yaml", tmp_path)
    (tmp_path / "quiz.yaml").write_text("exam: {title: Quiz}\nproblems:\n  - {file: product-rule.yaml, points: 5}\n")
    env = {**os.environ, "PATH": "/nonexistent"}  # no TeX: quick, and the note is tested
    proc = subprocess.run([PY, "-m", "derivgen", "exam", "quiz.yaml", "--variants", "2", "--seed", "1"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("PDF skipped: no PDF: latexmk not found")
    assert "quiz/key.json" in proc.stdout.split() and (tmp_path / "out/quiz/paper-B.tex").exists()
