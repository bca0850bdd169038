"""Layout of the PDFs: no overfull boxes, no overprinted headers, no heading alone at a page's foot.

The whole-bank tests typeset every sheet and an exam (about half a minute); they and every
test that runs TeX are skipped when TeX Live or poppler-utils is missing.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from derivgen.build.pipeline import build
from derivgen.build.stages import real_stages
from derivgen.build.typeset import (
    PROBLEM_MARKER,
    Overfull,
    compile_pdf,
    overfull_boxes,
    overfull_warnings,
    problem_at_line,
    tex_available,
    typeset_warnings,
)
from derivgen.cli import main
from derivgen.exam.papers import make_exam

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems"

needs_tex = pytest.mark.skipif(
    tex_available() is not None or shutil.which("pdftotext") is None,
    reason="TeX Live (latexmk) and poppler-utils are needed",
)

#: No box in any PDF may stick out further than this (points).
LIMIT_PT = 10.0

LONG_RESULT = """\
title: A very long result
given:
  x: scalar
define:
  f: sin(x) * cos(x) * exp(x) * tanh(x) * sigma(x) * log(x**2 + 1) * sqrt(x**2 + 3) * (x**3 + 2*x + 7)
find:
  - df/dx
"""

LONG_SUMS = """\
title: A long sum of index sums
given:
  x: [N]
  s: [M]
  A: [N, M]
  W: [N, N]
  B: [N, N]
define:
  r: x - A @ s
  f: r.T @ W @ r + r.T @ B @ r + (x - A @ s).T @ (W + B) @ (x + A @ s)
find:
  - df/ds
sizes: {N: 3, M: 2}
"""

UNBREAKABLE = """\
title: Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
given:
  x: scalar
define:
  f: x**2
find:
  - df/dx
"""

# --- recording the logs of every typeset document -----------------------------------------------

_LOCK = threading.Lock()
_BOXES: list[tuple[str, Overfull]] = []
_LOGS: list[str] = []
_SCALED: list[str] = []


def _compile_and_record(tex: Path, timeout: float) -> Path:
    """The real compile stage, keeping the log and recording its overfull boxes (any size)."""
    pdf = compile_pdf(tex, timeout, keep_log=True)
    log = tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    with _LOCK:
        _LOGS.append(tex.name)
        _SCALED.extend(tex.name for line in log.splitlines() if "display scaled down" in line)
        _BOXES.extend((tex.name, box) for box in overfull_boxes(log, fuzz=0.0, page_fuzz=0.0))
    return pdf


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, Overfull]]]:
    _BOXES.clear()
    _LOGS.clear()
    _SCALED.clear()
    yield _BOXES
    _BOXES.clear()
    _LOGS.clear()
    _SCALED.clear()


def recording_stages():
    return dataclasses.replace(real_stages(), compile_pdf=_compile_and_record)


def too_wide(boxes: list[tuple[str, Overfull]]) -> list[str]:
    return [f"{name}: {box.describe()} at line {box.line}" for name, box in boxes if box.points > LIMIT_PT]


def overfull_notes(notes: list[str], limit: float = LIMIT_PT) -> list[str]:
    """The overfull-box warnings among the notes, those over ``limit`` points."""
    return [n for n in notes if "warning: overfull" in n and float(re.search(r"\(([\d.]+)pt", n).group(1)) > limit]


# --- what a page shows ---------------------------------------------------------------------------


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]


_HEADING = re.compile(r"^(Problem|Example) \d|^\([a-z]\) |^Solution\.$|^\d+\. \(\d+ points?\)")


def headings_at_page_foot(pdf: Path) -> list[str]:
    """Pages whose last line of text (above the page number) is a heading or a question's first line,
    at the foot of the page: a question whose answer box (no text) fills the page below it is kept
    with its box, not stranded."""
    found = []
    bottoms = _text_bottoms(pdf)
    for number, text in enumerate(page_texts(pdf), start=1):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        lines = [ln for ln in lines if not re.fullmatch(r"(Page )?\d+( of \d+)?", ln)]
        # A line that ends with the end-of-problem mark (♢) closes its problem: nothing is stranded.
        if lines and _HEADING.search(lines[-1]) and not lines[-1].endswith("\u2662") \
                and bottoms[number - 1] > 0.7:
            found.append(f"{pdf.name} page {number}: {lines[-1]}")
    return found


def _text_bottoms(pdf: Path) -> list[float]:
    """For each page, how far down (0 top, 1 bottom) its last line of text ends, page number aside."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for page in html.split("<page ")[1:]:
        height = float(re.search(r'height="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        words = re.findall(r'yMax="([\d.]+)">([^<]*)</word>', page)
        ys = [float(y) for y, w in words if not re.fullmatch(r"Page|\d+|of", w)]
        out.append(max(ys, default=0.0) / height)
    return out


def overprinted_words(pdf: Path, top: float = 90.0) -> list[str]:
    """Words in the top ``top`` points of a page (header, first lines) whose boxes overlap."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
        words = [w for w in words if w[1] < top]
        for i, (x0, y0, x1, y1, w) in enumerate(words):
            for (u0, v0, u1, v1, v) in words[i + 1:]:
                if min(x1, u1) - max(x0, u0) > 1.0 and min(y1, v1) - max(y0, v0) > 1.0:
                    found.append(f"{pdf.name} page {number}: {w!r} over {v!r}")
    return found


# --- the warnings, fed a log -------------------------------------------------------------------------

LOG = r"""This is pdfTeX, Version 3.141592653-2.6-1.40.24
Overfull \hbox (133.4pt too wide) in paragraph at lines 12--14
[]\OT1/cmr/m/n/10.95 x
Overfull \hbox (0.6pt too wide) in paragraph at lines 13--13
Overfull \hbox (55.71643pt too wide) detected at line 21
Overfull \vbox (12.0pt too high) has occurred while \output is active
Overfull \hbox (20.0pt too wide) in alignment at lines 3--5
Underfull \hbox (badness 10000) in paragraph at lines 7--7
"""

TEX = "\n".join(
    ["\\documentclass{article}", "\\begin{document}", "title", "", "",
     "", "", "", "", PROBLEM_MARKER + "1"]          # line 10
    + ["first"] * 9                                 # lines 11-19
    + [PROBLEM_MARKER + "2", "second", "\\end{document}"]  # lines 20-22
)


def test_the_log_is_read_for_overfull_boxes() -> None:
    boxes = overfull_boxes(LOG)
    assert [(b.kind, b.points, b.line) for b in boxes] == [
        ("h", 133.4, 12), ("h", 55.71643, 21), ("v", 12.0, None), ("h", 20.0, 3)]
    assert len(overfull_boxes(LOG, fuzz=0.0)) == 5  # the 0.6pt line too
    assert len(overfull_boxes(LOG, page_fuzz=20.0)) == 3  # not the page 12pt too high
    assert boxes[0].describe() == "overfull line (133.4pt too wide)"
    assert boxes[2].describe() == "overfull page (12.0pt too high)"


def test_a_line_belongs_to_the_problem_whose_marker_is_above_it() -> None:
    assert problem_at_line(TEX, 3) is None
    assert problem_at_line(TEX, 10) == 1 and problem_at_line(TEX, 19) == 1
    assert problem_at_line(TEX, 21) == 2
    assert problem_at_line(TEX, None) is None


def test_warnings_name_the_problem_file() -> None:
    problems = ["problems/3-matrix/two-layer-network.yaml", "problems/4-identities/5-108-weighted-residual.yaml"]
    lines = overfull_warnings(LOG, TEX, problems, "out/3-matrix/solutions.tex", "the solutions PDF")
    assert lines == [
        "problems/3-matrix/two-layer-network.yaml: warning: overfull line (133.4pt too wide) in the solutions PDF",
        "problems/4-identities/5-108-weighted-residual.yaml: warning: overfull line (55.7pt too wide) "
        "in the solutions PDF",
        "out/3-matrix/solutions.tex: warning: overfull page (12.0pt too high) in the solutions PDF",
        "out/3-matrix/solutions.tex: warning: overfull line (20.0pt too wide) in the solutions PDF",
    ]
    assert typeset_warnings("", TEX.encode(), problems, "x.tex", "the PDF") == []  # no log kept (fake stages)


# --- real documents ---------------------------------------------------------------------------------


@needs_tex
@pytest.mark.needs_tex
@pytest.mark.slow
def test_the_bank_has_no_overfull_box_and_no_stranded_heading(tmp_path: Path, recorded: list) -> None:
    out = tmp_path / "out"
    report = build([BANK], out, formats=["pdf"], use_cache=False, stages=recording_stages())
    assert not report.failures, report.failures
    pdfs = sorted(out.rglob("*.pdf"))
    assert len(pdfs) >= 8 and len(_LOGS) == len(pdfs)  # every log was read
    assert too_wide(recorded) == []
    assert overfull_notes(report.notes) == []
    for pdf in pdfs:
        assert headings_at_page_foot(pdf) == []
        assert overprinted_words(pdf) == []


@needs_tex
@pytest.mark.needs_tex
@pytest.mark.slow
def test_an_exam_has_no_overfull_box_overprinted_header_or_stranded_question(tmp_path: Path,
                                                                               recorded: list) -> None:
    files = ["3-matrix/least-squares.yaml", "3-matrix/two-layer-network.yaml", "1-scalar/chain-rule-2x-plus-1.yaml",
             "4-identities/5-108-weighted-residual.yaml", "2-multivariate/chain-rule-s-t.yaml",
             "3-matrix/gradient-RtR.yaml"]
    exam = tmp_path / "midterm.yaml"
    exam.write_text(
        "exam:\n  title: Midterm\n  course: Mathematics for Machine Learning, chapter 5\n"
        "  date: 1 December 2026\n  instructions: Answer all questions.\nproblems:\n"
        + "".join(f"  - {{file: {BANK / f}, points: 6}}\n" for f in files) + "space: true\n")
    output = make_exam(exam, tmp_path / "out", variants=2, seed=1, stages=recording_stages())
    pdfs = sorted((tmp_path / "out" / "midterm").glob("*.pdf"))
    assert len(pdfs) == 4 and len(_LOGS) == 4
    assert too_wide(recorded) == []
    assert overfull_notes(output.notes) == []
    for pdf in pdfs:
        assert headings_at_page_foot(pdf) == []
        assert overprinted_words(pdf) == []
    # On the paper every question shares its page with its answer box: no page holds only a box.
    for text in page_texts(tmp_path / "out" / "midterm" / "paper-A.pdf")[1:]:
        body = [ln for ln in text.splitlines()[3:] if ln.strip() and not re.search(r"Page \d+ of \d+", ln)]
        assert body, "a page with an answer box and no question"


@needs_tex
@pytest.mark.needs_tex
@pytest.mark.slow
def test_a_very_long_result_stays_on_the_page(tmp_path: Path, recorded: list) -> None:
    sheet = tmp_path / "long"
    sheet.mkdir()
    (sheet / "long-result.yaml").write_text(LONG_RESULT)
    (sheet / "long-sums.yaml").write_text(LONG_SUMS)
    out = tmp_path / "out"
    report = build([sheet], out, formats=["pdf", "tex"], use_cache=False, stages=recording_stages())
    assert not report.failures, report.failures
    assert too_wide(recorded) == []
    assert overfull_notes(report.notes) == []
    text = "".join(page_texts(out / "long" / "solutions.pdf"))
    assert "Checked against central finite differences" in text
    assert "\\dgresult{" in (out / "long" / "solutions.tex").read_text()
    assert _SCALED == []  # every long display was broken into lines, none shrunk to fit


@pytest.mark.needs_tex
def test_a_display_too_wide_to_break_is_scaled_to_the_line(tmp_path: Path) -> None:
    if tex_available() is not None:
        pytest.skip("TeX Live (latexmk) is needed")
    from derivgen.render.templating import make_env

    preamble = make_env("tex").get_template("_preamble.tex.j2").render()
    wide = r"\left(" + r"\mathrm{x}" * 300 + r"\right)"  # one atom: no place to break
    tex = (r"\documentclass{article}" + "\n" + preamble + "\n\\begin{document}\n"
           + r"Text. \[ " + wide + r" \]" + "\n" + r"\dgresult{" + wide + "}{checked}\n\\end{document}\n")
    (tmp_path / "wide.tex").write_text(tex)
    compile_pdf(tmp_path / "wide.tex", keep_log=True)
    log = (tmp_path / "wide.log").read_text(errors="replace")
    assert [b for b in overfull_boxes(log) if b.points > LIMIT_PT] == []
    assert log.count("display scaled down") == 2


@needs_tex
@pytest.mark.needs_tex
@pytest.mark.slow
def test_a_long_heading_is_reported_with_the_problem_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "unbreakable.yaml").write_text(UNBREAKABLE)
    (sheet / "fine.yaml").write_text(LONG_RESULT)
    code = main(["build", str(sheet), "-o", str(tmp_path / "out"), "--format", "pdf", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 0  # a warning, not a failure
    warnings = [ln for ln in err.splitlines() if "warning: overfull" in ln]
    assert warnings, err
    assert all(ln.startswith(f"{sheet / 'unbreakable.yaml'}: warning: overfull line (") for ln in warnings), warnings
    assert any(ln.endswith("pt too wide) in the solutions PDF") for ln in warnings)
    assert any(ln.endswith("pt too wide) in the handout PDF") for ln in warnings)


@needs_tex
@pytest.mark.needs_tex
@pytest.mark.slow
def test_a_long_header_wraps_instead_of_overprinting(tmp_path: Path) -> None:
    config = ("course: Mathematics for Machine Learning, chapter 5, with a very long course name indeed\n"
              "title: A sheet whose title is much too long to share one line with the course name\n")
    sheet = tmp_path / "bank"
    (sheet / "s").mkdir(parents=True)
    (sheet / "derivgen.yaml").write_text(config)
    (sheet / "s" / "long-result.yaml").write_text(LONG_RESULT)
    (sheet / "s" / "unbreakable.yaml").write_text(LONG_RESULT.replace("A very long result", "Again"))
    out = tmp_path / "out"
    report = build([sheet], out, formats=["pdf"], use_cache=False)
    assert not report.failures, report.failures
    pdf = out / "solutions.pdf" if (out / "solutions.pdf").exists() else next(out.rglob("solutions.pdf"))
    assert len(page_texts(pdf)) >= 2
    assert overprinted_words(pdf) == []
