"""The lint over build outputs: each check on small crafted outputs, then the whole bank."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from derivgen.build.typeset import tex_available
from derivgen.lint import (
    Finding,
    find_line_symbols,
    lint_outputs,
    log_findings,
    main,
    problem_files_in,
    solution_sentences,
    symbols,
    typeset_log,
)

ROOT = Path(__file__).resolve().parents[1]
NEEDS_TEX = pytest.mark.skipif(
    tex_available() is not None or shutil.which("pdftotext") is None,
    reason="TeX Live (latexmk) and poppler-utils are needed",
)

STATEMENT = (
    "In the linear model $\\boldsymbol{y} = \\boldsymbol{\\Phi}\\boldsymbol{\\theta}$, let\n"
    "$L(\\boldsymbol{\\theta}) = \\lVert\\boldsymbol{y} - \\boldsymbol{\\Phi}\\boldsymbol{\\theta}\\rVert^2$.\n"
)
PROBLEM_YAML = f"""title: Least squares
source: MML Example 5.11
statement: |
{''.join('  ' + line + chr(10) for line in STATEMENT.splitlines())}given:
  theta: [D]
  Phi: [N, D]
  y: [N]
define:
  L: norm(y - Phi @ theta)**2
find:
  - dL/dtheta
"""
FIND = "Find $\\frac{\\mathrm{d}L}{\\mathrm{d}\\boldsymbol{\\theta}}$."
SOLUTION_MD = """Start with the dimension of the result. The derivative is a row vector.

$$
\\frac{\\mathrm{d}L}{\\mathrm{d}\\boldsymbol{\\theta}} = \\underbrace{\\left(-2 \\boldsymbol{e}^{\\top}\\right)}_{1\\times N}\\,\\underbrace{\\boldsymbol{\\Phi}}_{N\\times D}
$$

Checked against central finite differences at 3 random points.
"""
TEX_PREAMBLE = (
    "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
    "\\newcommand{\\dgexampleheading}[1]{\\par\\textbf{#1}\\par}\\newcommand{\\dgsource}[1]{\\par\\emph{#1}\\par}\n"
    "\\begin{document}\n"
)


def md_page(statement: str = STATEMENT, find: str = FIND, solution: str = SOLUTION_MD) -> str:
    return (f"---\ntitle: 'Least squares'\n---\n\n# Problem 5.1: Least squares\n\n*Source: MML Example 5.11*\n\n"
            f"{statement}\n{find}\n\n## Solution\n\n{solution}")


def tex_doc(statement: str = STATEMENT, body: str = "") -> str:
    return (f"{TEX_PREAMBLE}\\dgexampleheading{{Example~5.1 {{(}}Least squares{{)}}}}\n"
            f"\\dgsource{{MML Example 5.11}}\n{statement}\n{FIND}\n{body}\n\\end{{document}}\n")


def html_page(statement: str = STATEMENT, body: str = "") -> str:
    return ("<!DOCTYPE html><html><head><style>a::after{content:'?'}</style>"
            "<script>var x = a ? b : c;</script></head><body>\n"
            '<section class="problem">\n<h2>Problem 1: Least squares</h2>\n'
            '<p class="source">Source: MML Example 5.11</p>\n'
            f'<div class="statement"><p>{statement.replace("&", "&amp;").replace("<", "&lt;")}</p>\n</div>\n'
            f'<p class="ask">{FIND}</p>\n<h3>Solution</h3>\n{body}\n</section>\n</body></html>\n')


def make_build(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A tiny good build: one sheet ``week1`` with one problem ``ls``, in every format but PDF."""
    problems = tmp_path / "problems"
    (problems / "week1").mkdir(parents=True)
    src = problems / "week1" / "ls.yaml"
    src.write_text(PROBLEM_YAML, encoding="utf-8")
    out = tmp_path / "out"
    for d in ("week1/md", "week1/tex", "json"):
        (out / d).mkdir(parents=True)
    index = {"sheets": [{"name": "week1", "title": "Week 1", "problems": [
        {"id": "ls", "title": "Least squares", "number": "5.1", "file": str(src),
         "outputs": {"json": "json/ls.json", "md": "week1/md/ls.md", "tex": "week1/tex/ls.tex"}}]}],
        "failures": []}
    (out / "index.json").write_text(json.dumps(index))
    (out / "week1/md/ls.md").write_text(md_page(), encoding="utf-8")
    (out / "week1/tex/ls.tex").write_text(tex_doc(), encoding="utf-8")
    (out / "week1/handout.tex").write_text(tex_doc(), encoding="utf-8")
    (out / "week1/solutions.tex").write_text(tex_doc(body="\\[ \\underbrace{\\left(-2\\right)}_{1} \\]"),
                                             encoding="utf-8")
    (out / "week1/week1.html").write_text(html_page(), encoding="utf-8")
    (out / "json/ls.json").write_text(json.dumps({
        "id": "ls", "title": "Least squares", "source": "MML Example 5.11",
        "derivatives": [{"of": "L", "wrt": "theta", "result": {"latex": "-2 \\boldsymbol{e}^{\\top}"},
                         "steps": [{"text": "Start with the dimension.", "latex": "x"}]}]}))
    return out, [src]


def lint(out: Path, files: list[Path], **kw: object) -> list[Finding]:
    return lint_outputs(out, files, typeset=False, **kw)  # type: ignore[arg-type]


def checks(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.file.name, f.check, f.problem) for f in findings]


# --- a good build -------------------------------------------------------------------------------


def test_a_good_build_has_no_findings(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    assert lint(out, files) == []


def test_finding_prints_as_file_check_message(tmp_path: Path) -> None:
    f = Finding(tmp_path / "week1" / "handout.tex", "ls", "question-mark", "a '?'")
    assert str(f) == f"{tmp_path}/week1/handout.tex: question-mark: a '?' [ls]"
    g = Finding(tmp_path / "md" / "ls.md", "ls", "question-mark", "a '?'")
    assert str(g) == f"{tmp_path}/md/ls.md: question-mark: a '?'"


# --- 1. question marks --------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["week1/md/ls.md", "week1/tex/ls.tex", "week1/handout.tex",
                                 "week1/solutions.tex", "week1/week1.html"])
def test_a_question_mark_the_source_lacks_is_found_in_every_format(tmp_path: Path, rel: str) -> None:
    out, files = make_build(tmp_path)
    path = out / rel
    path.write_text(path.read_text().replace("Least squares", "Least squares h = f?g", 1))
    findings = lint(out, files)
    assert [(f.file, f.check, f.problem) for f in findings] == [(path, "question-mark", "ls")]
    assert "a '?' that the problem's source does not have" in findings[0].message
    assert "f?g" in findings[0].message


def test_a_question_mark_in_json_strings(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    data = json.loads((out / "json/ls.json").read_text())
    data["title"] = "Identity: the gradient of x?a"
    (out / "json/ls.json").write_text(json.dumps(data))
    findings = lint(out, files)
    assert checks(findings) == [("ls.json", "question-mark", "ls")]
    assert "x?a" in findings[0].message


def test_question_marks_on_one_line_are_one_finding_with_a_count_and_line(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    md.write_text(md.read_text().replace("*Source: MML Example 5.11*", "*Source: d/dA ?Ax ? y??*"))
    findings = lint(out, files)
    assert len(findings) == 1
    assert findings[0].message == (
        "4 '?' that the problem's source does not have, Markdown line 7: *Source: d/dA ?Ax ? y??*")


def test_a_question_mark_the_source_has_is_fine(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    src = files[0]
    src.write_text(src.read_text().replace("title: Least squares", "title: Why least squares?"))
    for rel in ("week1/md/ls.md", "week1/tex/ls.tex", "week1/week1.html"):
        path = out / rel
        path.write_text(path.read_text().replace("Least squares", "Why least squares?", 1))
    assert lint(out, files) == []


def test_question_marks_in_scripts_and_styles_of_html_are_not_text(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    assert "a ? b" in (out / "week1/week1.html").read_text()
    assert lint(out, files) == []


# --- 2. signed factors under a brace ------------------------------------------------------------


@pytest.mark.parametrize("body", [r"-\boldsymbol{\Phi}", r" -\sin\left(t\right)", r"{+2 x}", r"\,-A"])
def test_a_signed_factor_first_under_a_brace_is_found(tmp_path: Path, body: str) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    md.write_text(md.read_text().replace(r"\underbrace{\boldsymbol{\Phi}}", r"\underbrace{" + body + "}"))
    findings = lint(out, files)
    assert checks(findings) == [("ls.md", "signed-underbrace", "ls")]
    assert findings[0].message.startswith("a signed factor first under a brace, not in parentheses: ")
    assert findings[0].message.endswith("\\underbrace{" + body + "}")


def test_signed_factors_in_tex_html_and_json_are_found(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    for rel in ("week1/solutions.tex", "week1/week1.html"):
        path = out / rel
        path.write_text(path.read_text().replace("<h3>Solution</h3>", r"\(\underbrace{-A}_{N}\)")
                        .replace(r"\underbrace{\left(-2\right)}", r"\underbrace{-2}"))
    data = json.loads((out / "json/ls.json").read_text())
    data["derivatives"][0]["steps"][0]["latex"] = r"\underbrace{-\boldsymbol{\Phi}}_{N\times D}"
    (out / "json/ls.json").write_text(json.dumps(data))
    assert sorted(checks(lint(out, files))) == [
        ("ls.json", "signed-underbrace", "ls"),
        ("solutions.tex", "signed-underbrace", "ls"),
        ("week1.html", "signed-underbrace", "ls"),
    ]


@pytest.mark.parametrize("body", [r"\left(-\boldsymbol{\Phi}\right)", r"(-A)", r"2 - x", r"\frac{-1}{2}"])
def test_a_wrapped_or_unsigned_factor_under_a_brace_is_fine(tmp_path: Path, body: str) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    md.write_text(md.read_text().replace(r"\underbrace{\boldsymbol{\Phi}}", r"\underbrace{" + body + "}"))
    assert lint(out, files) == []


# --- 3 and 7. TeX's log -------------------------------------------------------------------------


LOG = """This is pdfTeX, Version 3.141592653-2.6-1.40.25
Overfull \\hbox (133.4pt too wide) detected at line 5
[]\\OT1/cmr/m/n/10 x
Overfull \\hbox (4.2pt too wide) in paragraph at lines 3--4
Underfull \\hbox (badness 10000) in paragraph at lines 3--4
./solutions.tex:4: Double superscript.
l.4 $x^2^
         3$
! Emergency stop.
"""


def test_log_findings_overfull_beyond_the_limit_and_errors(tmp_path: Path) -> None:
    tex = tmp_path / "solutions.tex"
    source = "\\documentclass{article}\n\\begin{document}\nsome text\n$x^2^3$\n\\[ a+b+c \\]\n"
    findings = log_findings(tex, LOG, source)
    assert [(f.check, f.message) for f in findings] == [
        ("overfull-box", "Overfull \\hbox (133.4pt too wide, more than 10pt) detected at line 5: \\[ a+b+c \\]"),
        ("tex-error", "TeX error at line 4: Double superscript.: $x^2^3$"),
        ("tex-error", "TeX error: Emergency stop."),
    ]


def test_log_findings_of_a_clean_log(tmp_path: Path) -> None:
    log = "This is pdfTeX\nOverfull \\hbox (9.9pt too wide) in paragraph at lines 3--4\nOutput written\n"
    assert log_findings(tmp_path / "a.tex", log, "") == []


@NEEDS_TEX
@pytest.mark.needs_tex
def test_typesetting_a_sheet_finds_overfull_boxes_errors_and_pdf_question_marks(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    wide = "\\[ " + " + ".join(f"x_{{{i}}}" for i in range(80)) + " \\]"
    (out / "week1/solutions.tex").write_text(tex_doc(body=f"{wide}\n\n$x^2^3$\n"))
    (out / "week1/handout.tex").write_text(tex_doc().replace("Least squares", "Least squares h = f?g", 1))
    subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-no-shell-escape", "-quiet", "handout.tex"],
                   cwd=out / "week1", capture_output=True, timeout=120)
    assert (out / "week1/handout.pdf").exists()
    findings = lint_outputs(out, files, typeset=True)
    got = {(f.file.name, f.check, f.problem) for f in findings}
    assert ("solutions.tex", "overfull-box", "ls") in got
    assert ("solutions.tex", "tex-error", "ls") in got
    assert ("handout.pdf", "question-mark", "ls") in got
    assert any(f.check == "tex-error" and "Double superscript" in f.message for f in findings)
    assert "Overfull" in typeset_log(out / "week1/solutions.tex")


# --- 4. repeated sentences ----------------------------------------------------------------------


def test_a_sentence_repeated_more_than_three_times_is_found(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    step = "- By the sum rule, differentiate each term on its own and add. Now the factor $x_{%d}$.\n"
    md.write_text(md.read_text() + "".join(step % i for i in range(4)))
    findings = lint(out, files)
    assert [(f.check, f.message) for f in findings] == [
        ("repeated-sentence", "a sentence is written 4 times in one solution (at most 3): "
                              "'by the sum rule, differentiate each term on its own and add.'"),
        ("repeated-sentence", "a sentence is written 4 times in one solution (at most 3): 'now the factor $ .'"),
    ]


def test_three_repeats_and_repeats_outside_the_solution_are_fine(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    sentence = "A constant factor stays in front of the derivative.\n\n"
    text = md.read_text().replace("## Solution", sentence * 4 + "## Solution")
    md.write_text(text + sentence * 3)
    assert lint(out, files) == []


def test_solution_sentences_strip_math() -> None:
    md = "Differentiate $f$ with respect to $x$. Then:\n\n$$\na = b. c = d. e = f. g = h.\n$$\n\n- The result is $2x$.\n"
    assert solution_sentences(md) == ["differentiate $ with respect to $ .", "the result is $ ."]


# --- 5. symbols of Find lines -------------------------------------------------------------------


def test_symbols_of_find_lines_and_statements() -> None:
    assert find_line_symbols(r"Find $\frac{\mathrm{d}f}{\mathrm{d}(s, t)}$.") == ["f", "s", "t"]
    assert find_line_symbols(r"Find $\frac{\partial L}{\partial \boldsymbol{b}_{2}}$.") == ["L", "b_2"]
    assert symbols(r"\partial\boldsymbol{X} \in \mathbb{R}^{N\times N}, \boldsymbol{b}_2") == {"X", "N", "b_2"}


def test_a_find_line_naming_a_symbol_the_statement_lacks_is_found(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    md = out / "week1/md/ls.md"
    md.write_text(md.read_text().replace(FIND, r"Find $\frac{\mathrm{d}\boldsymbol{F}}{\mathrm{d}\boldsymbol{X}}$."))
    findings = lint(out, files)
    assert checks(findings) == [("ls.md", "find-symbol", "ls")]
    assert findings[0].message.startswith(
        r"'Find $\frac{\mathrm{d}\boldsymbol{F}}{\mathrm{d}\boldsymbol{X}}$.' names F, X, "
        "which the statement's math does not introduce (its symbols: ")


def test_a_find_line_without_any_statement_is_found(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    src = files[0]
    src.write_text(PROBLEM_YAML.split("statement:")[0] + "given:" + PROBLEM_YAML.split("given:")[1])
    md = out / "week1/md/ls.md"
    md.write_text(md_page(statement=""))
    findings = lint(out, files)
    assert [(f.check, f.message) for f in findings] == [
        ("find-symbol", "'" + FIND + "' names L, \\theta, which the statement's math does not introduce "
                                     "(its symbols: none)")]


def test_a_statement_written_by_derivgen_on_the_page_introduces_symbols(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    src = files[0]
    src.write_text(PROBLEM_YAML.split("statement:")[0] + "given:" + PROBLEM_YAML.split("given:")[1])
    md = out / "week1/md/ls.md"
    md.write_text(md_page(statement="Let $L = \\lVert \\boldsymbol{\\theta} \\rVert^2$.\n"))
    assert lint(out, files) == []


# --- 6. the statement in every format -----------------------------------------------------------


@pytest.mark.parametrize("rel, where", [
    ("week1/md/ls.md", "Markdown page"),
    ("week1/tex/ls.tex", "LaTeX document"),
    ("week1/handout.tex", "sheet's handout.tex (its example)"),
    ("week1/solutions.tex", "sheet's solutions.tex (its example)"),
    ("week1/week1.html", "sheet's HTML page"),
])
def test_a_statement_missing_from_a_format_is_found(tmp_path: Path, rel: str, where: str) -> None:
    out, files = make_build(tmp_path)
    path = out / rel
    text = path.read_text()
    path.write_text(text.replace("In the linear model", "In a model"))
    findings = [f for f in lint(out, files) if f.check == "missing-statement"]
    assert [(f.file, f.problem, f.message) for f in findings] == [
        (path, "ls", f"the statement is missing from the {where}: it stops matching after 'In', before 'the'")]
    path.write_text(text.replace(STATEMENT, ""))
    findings = [f for f in lint(out, files) if f.check == "missing-statement"]
    assert [f.message for f in findings] == [f"the statement is missing from the {where}: none of it is there"]


def test_the_statement_may_be_escaped_and_marked_up(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    src = files[0]
    src.write_text(src.read_text().replace("In the linear model", "In the **linear** model (100% <easy> & fun)"))
    tex = "In the \\textbf{linear} model (100\\% \\textless{}easy\\textgreater{} \\& fun)"
    for rel, new in [("week1/tex/ls.tex", tex), ("week1/handout.tex", tex), ("week1/solutions.tex", tex),
                     ("week1/md/ls.md", "In the **linear** model (100% <easy> & fun)"),
                     ("week1/week1.html", "In the <strong>linear</strong> model (100% &lt;easy&gt; &amp; fun)")]:
        path = out / rel
        path.write_text(path.read_text().replace("In the linear model", new))
    assert lint(out, files) == []


def test_the_statement_in_json_is_checked_once_json_carries_it(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    assert lint(out, files, json_statement_required=True)[0].message == 'the JSON has no "statement"'
    data = json.loads((out / "json/ls.json").read_text())
    data["statement"] = STATEMENT
    (out / "json/ls.json").write_text(json.dumps(data))
    assert lint(out, files, json_statement_required=True) == []
    data["statement"] = "Something else."
    (out / "json/ls.json").write_text(json.dumps(data))
    assert checks(lint(out, files)) == [("ls.json", "missing-statement", "ls")]


def test_once_one_json_carries_a_statement_every_json_must(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    other = files[0].with_name("other.yaml")
    other.write_text(PROBLEM_YAML)
    index = json.loads((out / "index.json").read_text())
    index["sheets"][0]["problems"].append({"id": "other", "number": "5.2", "file": str(other), "outputs": {}})
    (out / "index.json").write_text(json.dumps(index))
    (out / "week1/md/other.md").write_text(md_page())
    (out / "week1/tex/other.tex").write_text(tex_doc())
    data = json.loads((out / "json/ls.json").read_text())
    (out / "json/other.json").write_text(json.dumps(data))
    data["statement"] = STATEMENT
    (out / "json/ls.json").write_text(json.dumps(data))
    got = [(f.file.name, f.check, f.problem, f.message) for f in lint(out, files + [other])
           if f.file.name.endswith(".json")]
    assert got == [("other.json", "missing-statement", "other", 'the JSON has no "statement"')]


def test_missing_outputs_and_failures(tmp_path: Path) -> None:
    out, files = make_build(tmp_path)
    (out / "week1/md/ls.md").unlink()
    got = checks(lint(out, files))
    assert ("ls.md", "missing-output", "ls") in got and ("ls.md", "missing-statement", "ls") in got
    index = json.loads((out / "index.json").read_text())
    index["sheets"][0]["problems"] = []
    index["failures"] = [{"file": str(files[0]), "id": "ls", "errors": ["ls.yaml:5:10: define.L: bad"]}]
    (out / "index.json").write_text(json.dumps(index))
    findings = [f for f in lint(out, files) if f.check == "build-failure"]
    assert [f.message for f in findings] == ["the problem failed to build: ls.yaml:5:10: define.L: bad"]


# --- by hand ------------------------------------------------------------------------------------


@pytest.mark.needs_tex  # the lint typesets the sheets when TeX is installed
def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _files = make_build(tmp_path)
    assert main([str(out), str(tmp_path / "problems")]) == 0
    md = out / "week1/md/ls.md"
    md.write_text(md.read_text().replace("Least squares", "Least squares f?g", 1))
    assert main([str(out), str(tmp_path / "problems")]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{md}: question-mark: a '?' that the problem's source does not have, "
                       "Markdown line 2: title: 'Least squares f?g'"]
    assert main([]) == 2


def test_problem_files_in_skips_the_config(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ("derivgen.yaml", "a/p.yaml", "a/q.yml"):
        (tmp_path / name).write_text("x: 1\n")
    assert problem_files_in(tmp_path) == [tmp_path / "a/p.yaml", tmp_path / "a/q.yml"]


# --- the whole bank -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("bank-out")
    files = problem_files_in(ROOT / "problems")
    run = subprocess.run([sys.executable, "-m", "derivgen", "build", str(ROOT / "problems"), "-o", str(out),
                          "--no-cache", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    return out, files


@NEEDS_TEX
@pytest.mark.needs_tex
@pytest.mark.slow
def test_the_bank_is_clean(bank: tuple[Path, list[Path]]) -> None:
    out, files = bank
    findings = lint_outputs(out, files)
    assert findings == [], "\n".join(map(str, findings))


@NEEDS_TEX
@pytest.mark.needs_tex
@pytest.mark.slow
def test_problems_no_one_here_wrote_are_clean(tmp_path: Path) -> None:
    """Unicode in every text field, inverse-transposes, a long neural-network result, latex: names."""
    src = tmp_path / "sheet"
    src.mkdir()
    for folder in ("outsiders", "typesetting"):
        for f in (ROOT / "tests" / "fixtures" / folder).glob("*.yaml"):
            (src / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "derivgen", "build", str(src), "-o", str(out), "--no-cache", "--quiet"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    findings = lint_outputs(out, problem_files_in(src))
    assert findings == [], "\n".join(map(str, findings))
