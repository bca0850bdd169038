"""The smaller findings of the second round of attacks (issue 15): each ends in a page or a plain message.

A statement that opens with ``[`` typesets; a number too large for a float is a
load error at its place; a values file nested thousands deep is a plain error;
a problem file linked from outside the folder is never read; HTML in the
numbering is escaped once in derivgen's own HTML.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = """title: {title}
statement: |
  {statement}
given:
  x: scalar
define:
  f: {body}
find:
  - df/dx
"""


def derivgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "derivgen", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def write(folder: Path, name: str, title: str = "t", statement: str = "Compute $df/dx$.",
          body: str = "sin(x)**2") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(PROBLEM.format(title=title, statement=statement, body=body))
    return path


@pytest.mark.needs_tex
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="needs TeX")
def test_a_statement_opening_with_a_bracket_typesets(tmp_path: Path) -> None:
    """``[Hint] ...`` right after a heading is text, not the optional argument of \\nopagebreak."""
    write(tmp_path / "bank", "hint.yaml", statement="[Hint] Use the chain rule. Compute $df/dx$.")
    run = derivgen("build", "bank", "-o", "out", "--format", "pdf", "--no-cache", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "out/bank/handout.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "[Hint] Use the chain rule." in text


def test_a_number_too_large_for_a_float_is_a_load_error(tmp_path: Path) -> None:
    write(tmp_path, "big.yaml", body="1e309 * x")
    run = derivgen("check", "big.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert "big.yaml:7:6: define.f: the number 1e309 is too large to compute with" in run.stderr
    assert "internal error" not in run.stderr


def test_a_values_file_nested_thousands_deep_is_a_plain_error(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml")
    (tmp_path / "deep.json").write_text('{"x": ' + "[" * 5000 + "]" * 5000 + "}")
    run = derivgen("eval", "p.yaml", "--find", "df/dx", "--at", "deep.json", cwd=tmp_path)
    assert run.returncode == 2
    assert "deep.json: the values are nested too deeply" in run.stderr
    assert "internal error" not in run.stderr


def test_a_problem_file_linked_from_outside_the_folder_is_never_read(tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere", "secret.yaml", title="SECRET-TITLE")
    write(tmp_path / "bank", "ok.yaml")
    (tmp_path / "bank" / "link.yaml").symlink_to(secret)
    run = derivgen("build", "bank", "-o", "out", "--format", "md", "--no-cache", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "1 problems" in run.stderr
    written = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.md"))
    assert "SECRET-TITLE" not in written


def test_html_in_the_numbering_is_escaped_once_in_derivgens_html(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    write(bank, "a.yaml", title="First")
    (bank / "derivgen.yaml").write_text('numbering: "<img src=x onerror=alert(1)>."\n')
    run = derivgen("build", "bank", "-o", "out", "--format", "html", "--no-cache", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "out/bank/bank.html").read_text()
    assert "<h2>Problem &lt;img src=x onerror=alert(1)&gt;.1: First</h2>" in page
    assert "<img src=x" not in page and "&amp;lt;" not in page
