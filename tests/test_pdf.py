"""PDFs through latexmk: content via pdftotext, injection attempts, overrides, errors."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest_render import chain_polynomial, f_equals_Ax, k_equals_RtR, least_squares

from derivgen.build.typeset import compile_pdf, tex_available, tex_error_excerpt, tex_to_pdf
from derivgen.derivation import Derivation
from derivgen.errors import RenderError
from derivgen.problem.model import Problem
from derivgen.render.latex import render_exam_tex, render_sheet_tex

pytestmark = [pytest.mark.needs_tex, pytest.mark.skipif(
    tex_available() is not None or shutil.which("pdftotext") is None,
    reason="TeX Live (latexmk) and poppler-utils are needed",
)]

META = {"course": "Mathematics for Machine Learning", "author": "Staff", "date": "Week 5", "prefix": "5."}
PWNED = Path("/tmp/pwned")


def pdf_text(tex: str, where: Path, name: str = "doc") -> str:
    src = where / f"{name}.tex"
    src.write_text(tex)
    pdf = compile_pdf(src)
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def squash(text: str) -> str:
    """pdftotext output without spaces and line breaks (math is spaced unpredictably)."""
    return "".join(text.split())


def sheet_items() -> list[tuple[Problem, list[Derivation]]]:
    return [least_squares(), f_equals_Ax(), k_equals_RtR(), chain_polynomial()]


def test_solution_sheet_holds_the_lecture_text(tmp_path: Path) -> None:
    text = pdf_text(render_sheet_tex("Vector Calculus", sheet_items(), True, META, None), tmp_path)
    flat = squash(text)
    assert "Vector Calculus: Worked Solutions" in text
    assert "Problem 5.1 (Gradient of a least-squares loss)" in text
    assert "Problem 5.3 (Gradient of a Gram matrix)" in text
    assert "First, the dimension" in text
    assert "∈R1×D" in flat  # the dimension statement
    assert "1×NN×D" in flat  # shapes under the chain-rule factors
    assert "=−2(y−Φθ)⊤Φ∈R1×D" in flat  # the boxed result
    assert "otherwise" in text and "Checked against central finite differences" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tex-")]  # temp dir removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf", "doc.tex"]  # no aux files


def test_handout_has_no_solutions(tmp_path: Path) -> None:
    text = pdf_text(render_sheet_tex("Sheet 5", sheet_items(), False, META, None), tmp_path)
    assert "Problem 5.2" in text and "Consider the linear model" in text
    assert "First, the dimension" not in text and "Checked against" not in text


@pytest.mark.slow
def test_exam_and_its_solutions(tmp_path: Path) -> None:
    items = [(p, ds, pts) for (p, ds), pts in zip(sheet_items(), (8, 6, 4, 2), strict=True)]
    meta = {"title": "Midterm", "course": "MML", "date": "2024", "variant": "A",
            "instructions": "Answer **all** questions."}
    student = pdf_text(render_exam_tex(meta, items, False, True, None), tmp_path, "exam")
    assert "Midterm" in student and "Variant A" in student and "(8 points)" in student
    assert "Total" in student and "20" in student  # the grade table
    assert "First, the dimension" not in student
    key = pdf_text(render_exam_tex(meta, items, True, False, None), tmp_path, "key")
    assert "Solution." in key and "First, the dimension" in key


def evil_problem() -> tuple[Problem, list[Derivation]]:
    problem, ds = least_squares()
    theta = dataclasses.replace(problem.given[0], latex=r"\input{/etc/passwd}")
    statement = "\n\n".join([
        r"T1 \input{/etc/passwd}", r"T2 \write18{touch /tmp/pwned}",
        r"T3 \immediate\write18{touch /tmp/pwned}",
        r"T4 \openout5=/tmp/pwned", r"T5 \catcode`\^^M=13", r"T6 ^^5cinput{/etc/passwd}",
        r"M1 $\input{/etc/passwd}$", r"M2 $\immediate\write18{touch /tmp/pwned}$",
        r"M3 $x^^5cinput{/etc/passwd}$", r"M4 $\text{\input{/etc/passwd}}$", r"M5 $\csname input\endcsname$",
    ])
    evil = dataclasses.replace(
        problem, title=r"\input{/etc/passwd}", source=r"\def\x{\write18{touch /tmp/pwned}}",
        statement=statement, given=(theta,) + problem.given[1:],
    )
    return evil, ds


def test_injection_is_shown_not_run(tmp_path: Path) -> None:
    PWNED.unlink(missing_ok=True)
    text = pdf_text(render_sheet_tex("Sheet", [evil_problem()], True, META, None), tmp_path)
    flat = squash(text)
    assert not PWNED.exists()
    assert "root:" not in text  # /etc/passwd was not read
    for shown in (r"T1\input{/etc/passwd}", r"T2\write18{touch/tmp/pwned}",
                  r"T3\immediate\write18{touch/tmp/pwned}", r"T4\openout5=/tmp/pwned",
                  r"T5\catcode", r"\^^M=13", r"T6^^5cinput{/etc/passwd}",
                  r"M1\input{/etc/passwd}", r"M2\immediate\write18{touch/tmp/pwned}",
                  r"^^5cinput", r"M4\input{/etc/passwd}", r"\csname", r"\def\x{\write18{touch/tmp/pwned}}"):
        assert shown in flat, shown
    assert "Problem 5.1 (\\input{/etc/passwd})" in text


def test_user_template_override_reaches_the_pdf(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "_example.tex.j2").write_text(
        "\\section*{Custom ((( ex.number ))): ((( ex.title )))}\nOVERRIDDEN-BY-USER\n"
    )
    text = pdf_text(render_sheet_tex("Sheet", [least_squares()], False, META, user), tmp_path)
    assert "Custom 5.1: Gradient of a least-squares loss" in text
    assert "OVERRIDDEN-BY-USER" in text


def test_tex_error_reports_file_line_and_message(tmp_path: Path) -> None:
    src = tmp_path / "broken.tex"
    src.write_text("\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedmacro\n\\end{document}\n")
    with pytest.raises(RenderError) as err:
        compile_pdf(src)
    message = str(err.value)
    assert "broken.tex:4: Undefined control sequence." in message
    assert "\\undefinedmacro" in message
    assert not (tmp_path / "broken.pdf").exists()


def test_previous_pdf_survives_a_failed_build(tmp_path: Path) -> None:
    src = tmp_path / "doc.tex"
    src.write_text("\\documentclass{article}\n\\begin{document}\nold\n\\end{document}\n")
    pdf = compile_pdf(src)
    before = pdf.read_bytes()
    src.write_text("\\documentclass{article}\n\\begin{document}\n\\oops\n\\end{document}\n")
    with pytest.raises(RenderError):
        compile_pdf(src)
    assert pdf.read_bytes() == before


def test_tex_to_pdf_writes_only_the_pdf(tmp_path: Path) -> None:
    pdf = tex_to_pdf("\\documentclass{article}\n\\begin{document}\nhello\n\\end{document}\n", tmp_path / "a.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and [p.name for p in tmp_path.iterdir()] == ["a.pdf"]


@pytest.mark.slow
def test_timeout_is_a_render_error(tmp_path: Path) -> None:
    src = tmp_path / "loop.tex"
    src.write_text("\\documentclass{article}\n\\begin{document}\n\\def\\a{\\a}\\a\n\\end{document}\n")
    with pytest.raises(RenderError, match="did not finish within 2 s"):
        compile_pdf(src, timeout=2)


def test_error_excerpt_without_file_line() -> None:
    log = "(./a.tex\n! Missing $ inserted.\n<inserted text>\n    $\nl.7 x^\n            2\n\nHere is how"
    assert tex_error_excerpt(log, "a.tex").startswith("a.tex:7: Missing $ inserted.")


def test_tex_available_explains_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = tex_available()
    assert reason is not None and reason.startswith("no PDF: latexmk not found; install TeX Live")
