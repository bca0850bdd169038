"""One statement, one label and number, and Find lines only where needed, in every format.

The end-to-end part builds a small bank (figure 5.7, identity 5.104 without a
statement, a two-part problem) with every format and reads each output; the
rest checks :mod:`derivgen.render.statement`, the ``show:`` key and the
``label`` / ``numbering`` settings on their own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from derivgen.build.config import Config, load_config
from derivgen.build.pipeline import build
from derivgen.build.typeset import tex_available
from derivgen.errors import ProblemError
from derivgen.problem.loader import load_problem
from derivgen.render.statement import asks, mentions, statement_asks, statement_markdown

BANK = Path(__file__).resolve().parent.parent / "problems"
FILES = {
    "1-first": ["3-matrix/figure-5-7.yaml", "4-identities/5-104-x-transpose-a.yaml"],
    "2-second": ["3-matrix/two-layer-network.yaml", "4-identities/5-100-trace.yaml"],
}
NEEDS_TEX = pytest.mark.skipif(
    tex_available() is not None or shutil.which("pdftotext") is None, reason="needs TeX and pdftotext")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("bank")
    for sheet, files in FILES.items():
        (src / sheet).mkdir()
        for f in files:
            shutil.copy(BANK / f, src / sheet / Path(f).name)
    (src / "derivgen.yaml").write_text('numbering: "{sheet}."\n')
    formats = ["md", "json", "tex", "html"] + (["pdf"] if tex_available() is None else [])
    dest = tmp_path_factory.mktemp("out")
    report = build([src], dest, formats=formats, jobs=1, use_cache=False)
    assert report.ok, report.failures
    return dest


def outputs(out: Path, sheet: str, pid: str) -> dict[str, str]:
    """The Markdown page, the JSON, the per-problem LaTeX and the sheet's HTML and handout TeX."""
    return {
        "md": (out / sheet / "md" / f"{pid}.md").read_text(),
        "json": (out / "json" / f"{pid}.json").read_text(),
        "tex": (out / sheet / "tex" / f"{pid}.tex").read_text(),
        "html": (out / sheet / f"{sheet}.html").read_text(),
        "handout": (out / sheet / "handout.tex").read_text(),
    }


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def block(text: str, start: str, end: str | None) -> str:
    """The part of ``text`` from ``start`` up to ``end`` (or the end)."""
    i = text.index(start)
    j = text.index(end, i) if end else len(text)
    return text[i:j]


# --- A: the same statement everywhere --------------------------------------------------------


@pytest.mark.parametrize(("sheet", "pid", "words"), [
    ("1-first", "figure-5-7", ["be the matrix below", r"\begin{bmatrix}x_{1} x_{2} & x_{3}^{2}"]),
    ("1-first", "5-104-x-transpose-a", ["Given $\\boldsymbol{x} \\in \\mathbb{R}^{N}$",
                                        r"let $f = \boldsymbol{x}^{\top} \boldsymbol{a}$."]),
    ("2-second", "two-layer-network", ["A two-layer network computes"]),
])
def test_every_format_carries_the_statement(out: Path, sheet: str, pid: str, words: list[str]) -> None:
    files = outputs(out, sheet, pid)
    statement = json.loads(files["json"])["statement"]
    for word in words:
        assert word in statement
        for fmt in ("md", "tex", "handout"):
            assert word.replace("$", "") in files[fmt].replace("$", ""), (fmt, word)
        html = files["html"].replace("&amp;", "&")
        for piece in re.split(r"\$", word):  # the HTML holds each piece of math in its own element
            assert piece.strip() in html, ("html", piece)


def test_shown_matrix_is_displayed_under_the_statement(out: Path) -> None:
    md = outputs(out, "1-first", "figure-5-7")["md"]
    statement = block(md, "Let $", "## Solution")
    assert "$$\n\\boldsymbol{A}(\\boldsymbol{x}) = \\begin{bmatrix}" in statement


@NEEDS_TEX
@pytest.mark.needs_tex
def test_handout_pdf_shows_the_matrix_entries(out: Path) -> None:
    text = pdf_text(out / "1-first" / "handout.pdf")
    first = block(text, "Problem 1.2", None)
    assert "the matrix below" in first
    for entry in ("sin", "exp", "cos", "A(x) ="):
        assert entry in first, entry


# --- B: Find lines -----------------------------------------------------------------------------


def test_no_find_line_when_the_statement_asks(out: Path) -> None:
    files = outputs(out, "1-first", "figure-5-7")
    assert "Find" not in files["md"] and "Find" not in files["tex"]
    assert "Find" not in block(files["handout"], "Problem~1.2", None)
    assert json.loads(files["json"])["derivatives"][0]["ask"] == ""
    assert "Find" not in block(files["html"], "<h2>Problem 1.2", "</body>")


def test_find_line_without_a_statement(out: Path) -> None:
    files = outputs(out, "1-first", "5-104-x-transpose-a")
    ask = r"Find $\frac{\mathrm{d}f}{\mathrm{d}\boldsymbol{x}}$."
    assert ask in files["md"] and ask in files["tex"] and ask in files["handout"]
    assert json.loads(files["json"])["derivatives"][0]["ask"] == ask
    assert '<p class="ask">Find <span class="math inline">' in block(files["html"], "<h2>Problem 1.1", "<h2>Problem 1.2")


def test_parts_keep_their_labels(out: Path) -> None:
    files = outputs(out, "2-second", "two-layer-network")
    doc = json.loads(files["json"])
    assert [d["part"] for d in doc["derivatives"]] == ["a", "b"]
    assert [d["ask"] for d in doc["derivatives"]] == [
        r"$\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{b}_{2}}$", r"$\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{x}}$"]
    assert "## Part (a)" in files["md"] and "## Part (b)" in files["md"] and "Find" not in files["md"]
    assert r"(a)~$\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{b}_{2}}$\quad (b)~" in files["handout"]


def problem(name: str, **changes: object):  # type: ignore[no-untyped-def]
    p = load_problem(BANK / name)
    return replace(p, **changes) if changes else p


def test_statement_without_a_request_gets_a_find_line() -> None:
    p = problem("3-matrix/least-squares.yaml")
    p = replace(p, statement=p.statement.replace("Compute $\\partial L/\\partial\\boldsymbol{\\theta}$ "
                                                 "with the chain rule.", "").strip())
    [ask] = asks(p)
    assert ask.text == r"Find $\frac{\mathrm{d}L}{\mathrm{d}\boldsymbol{\theta}}$."


def test_a_define_the_statement_never_names_is_written_out() -> None:
    p = problem("4-identities/5-100-trace.yaml", statement="Let $\\boldsymbol{A}, \\boldsymbol{X} \\in "
                "\\mathbb{R}^{N\\times N}$ and consider $\\operatorname{tr}(\\boldsymbol{A}\\boldsymbol{X})$.")
    [ask] = asks(p)
    assert "f" not in re.sub(r"\\[a-z]+|\{[a-z]+\}", "", ask.text.split("derivative of")[1])
    assert ask.text.startswith("Find the derivative of $")
    assert ask.text.endswith(r"with respect to $\boldsymbol{X}$.")


def test_bank_statements_that_ask_get_no_find_line() -> None:
    for name in ("4-identities/5-099-transpose.yaml", "4-identities/5-102-inverse.yaml",
                 "4-identities/5-108-derivation.yaml", "3-matrix/least-squares.yaml",
                 "3-matrix/figure-5-7.yaml", "1-scalar/product-rule.yaml"):
        assert [a.text for a in asks(problem(name))] == [""], name


def test_the_request_test() -> None:
    p = problem("3-matrix/two-layer-network.yaml")
    from derivgen.problem.expr import Name

    says = "Compute the gradient of $L$ with respect to $\\boldsymbol{W}_1$."
    assert statement_asks(says, p, "L", (Name("W1"),))
    assert not statement_asks(says, p, "L", (Name("x"),))  # x is never written
    assert not statement_asks("The loss $L$ depends on $\\boldsymbol{W}_1$.", p, "L", (Name("W1"),))
    assert mentions("$\\boldsymbol W_{1}$", r"\boldsymbol{W}_{1}")
    assert not mentions("$\\boldsymbol{W}_1$", r"\boldsymbol{W}")  # W is not W_1
    assert not mentions("$\\mathbb{R}^N$", "R")


# --- C: one label and number ---------------------------------------------------------------------


def test_same_label_and_number_in_every_format(out: Path) -> None:
    files = outputs(out, "2-second", "5-100-trace")
    doc = json.loads(files["json"])
    assert (doc["label"], doc["number"]) == ("Problem", "2.1")
    assert files["md"].count("# Problem 2.1:") == 1
    assert r"\dgexampleheading{Problem~2.1 {(}" in files["tex"] and r"Problem~2.1 {(}" in files["handout"]
    assert "<h2>Problem 2.1: " in files["html"]
    assert "Example" not in files["md"] + files["tex"] + files["handout"] + files["html"]
    index = json.loads((out / "index.json").read_text())
    assert [p["number"] for s in index["sheets"] for p in s["problems"]] == ["1.1", "1.2", "2.1", "2.2"]


@NEEDS_TEX
@pytest.mark.needs_tex
def test_pdf_uses_the_label(out: Path) -> None:
    text = pdf_text(out / "2-second" / "solutions.pdf")
    assert "Problem 2.1" in text and "Problem 2.2" in text and "Example" not in text


def test_label_and_sheet_numbering_settings(tmp_path: Path) -> None:
    (tmp_path / "derivgen.yaml").write_text('label: Exercise\nnumbering: "{sheet}."\nsheets: [b, a]\n')
    config = load_config(tmp_path / "derivgen.yaml")
    assert config.label == "Exercise"
    assert config.number(3, config.sheet_position("a", ["a", "b"])) == "2.3"  # the order of `sheets:`
    assert Config().label == "Problem" and Config().number(4) == "4"
    assert Config(numbering="5.").number(1, 3) == "5.1"
    assert Config(numbering="{sheet}.").number(2, Config().sheet_position("w2", ["w1", "w2"])) == "2.2"


# --- the show: key -------------------------------------------------------------------------------


def test_show_must_name_a_define(tmp_path: Path) -> None:
    text = (BANK / "3-matrix/figure-5-7.yaml").read_text().replace("show: [A]", "show: [A, B]")
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ProblemError, match=r"show\[2\]: 'B' is not a define \(defines: A\)"):
        load_problem(tmp_path / "p.yaml")


def test_show_without_a_statement_adds_nothing() -> None:
    p = problem("4-identities/5-104-x-transpose-a.yaml")
    shown = replace(p, options={**p.options, "show": ("f",)})
    assert statement_markdown(shown) == statement_markdown(p)
    assert "$$" not in statement_markdown(p)  # one sentence: "Given x and a, let f = xᵀa."
