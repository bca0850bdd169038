"""Exams an LMS grades: an exam of problems written here (not the bank), in three versions, exported
as Moodle XML and a QTI 2.1 package; versions that differ in their results; renaming that never
breaks a problem; distractors that are checked wrong."""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import json
import random
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import fakestages as fake
import numpy as np
import pytest

from derivgen.build.stages import derive_verified, real_stages
from derivgen.check.numeric import concrete_sizes, random_values
from derivgen.errors import ProblemError
from derivgen.exam.choices import choices, form_value
from derivgen.exam.distractors import closed_mutations
from derivgen.exam.examfile import load_exam
from derivgen.exam.papers import make_exam
from derivgen.exam.variants import apply, draw, math_symbols
from derivgen.problem.loader import load_problem
from derivgen.problem.parser import parse_expression

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"

PROBLEMS = {
    # The statement writes p_k for a quantity the file calls s: a label renamed to p would collide.
    "labels.yaml": """\
title: Logistic loss of a layer
source: Tutorial sheet 7, problem 3
statement: |
  The model predicts $p_k = \\sigma(z_k)$ for the labels $y_k \\in \\{0, 1\\}$, $k = 1, \\dots, K$,
  and is trained on $L = -\\sum_k y_k \\log p_k$.
given:
  z: [K]
  y: [K]
define:
  s: sigma(z)
  L: -sum(y * log(s))
find: dL/dz
sizes: {K: 3}
""",
    # A function parameter with the given's name: renaming t must rename the parameter too.
    "curve.yaml": """\
title: A function along a curve
given:
  t: scalar
define:
  f(x): exp(x[1]*x[2]**2)
  g(t): [exp(t), t**3]
  h(t): f(g(t))
find: dh/dt
""",
    "quad.yaml": """\
title: A quadratic form with a linear term
given:
  x: [N]
  W: [N, N]
  c: [N]
define:
  f: x.T @ W @ x + 3 * c.T @ x
find: df/dx
sizes: {N: 3}
""",
    "wave.yaml": """\
title: A damped wave
given:
  x: scalar
define:
  f: 5 * x**2 * sin(x)
find: df/dx
""",
}
EXAM = """\
exam:
  title: Midterm
  course: Calculus for ML
problems:
  - {file: labels.yaml, points: 6}
  - {file: curve.yaml, points: 4}
  - {file: quad.yaml, points: 6}
  - {file: wave.yaml, points: 4}
"""


def write_exam(folder: Path, body: str = EXAM) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in PROBLEMS.items():
        (folder / name).write_text(text)
    (folder / "midterm.yaml").write_text(body)
    return folder / "midterm.yaml"


def no_pdf():  # type: ignore[no-untyped-def, unused-ignore]
    return dataclasses.replace(real_stages(), tex_available=fake.tex_missing)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exam built once, three versions, every format but the PDFs."""
    folder = tmp_path_factory.mktemp("exam")
    make_exam(write_exam(folder), folder / "out", variants=3, seed=5, stages=no_pdf())
    return folder / "out" / "midterm"


# --- Moodle ------------------------------------------------------------------------------------


def moodle_questions(built: Path) -> list[ET.Element]:
    root = ET.parse(built / "moodle.xml").getroot()
    assert root.tag == "quiz"
    return [q for q in root.findall("question") if q.get("type") != "category"]


def test_moodle_has_both_question_types_for_every_problem_and_version(built: Path) -> None:
    questions = moodle_questions(built)
    names = [q.findtext("name/text") for q in questions]
    for version in "ABC":
        for n in range(1, 5):
            mine = [q for q, name in zip(questions, names, strict=True)
                    if name and name.startswith(f"Version {version}, Question {n} (")]
            assert sorted(q.get("type") or "" for q in mine) == ["multichoice", "numerical"], (version, n)
    categories = [q.findtext("category/text") for q in ET.parse(built / "moodle.xml").getroot()
                  if q.get("type") == "category"]
    assert categories == [f"$course$/top/Midterm/Version {v}" for v in "ABC"]


def test_moodle_multichoice_has_four_distinct_options_exactly_one_right(built: Path) -> None:
    for q in moodle_questions(built):
        if q.get("type") != "multichoice":
            continue
        answers = q.findall("answer")
        texts = [a.findtext("text") or "" for a in answers]
        assert len(answers) >= 4 and len(set(texts)) == len(texts)
        assert [a.get("fraction") for a in answers].count("100") == 1
        assert all(a.get("fraction") in ("0", "100") for a in answers)
        assert all(t.startswith("\\(") and t.endswith("\\)") for t in texts)
        assert all(a.findtext("feedback/text") for a in answers)
        assert q.findtext("single") == "true"


def test_moodle_numerical_has_answer_and_tolerance(built: Path) -> None:
    for q in moodle_questions(built):
        if q.get("type") != "numerical":
            continue
        (answer,) = q.findall("answer")
        assert answer.get("fraction") == "100"
        value, tolerance = float(answer.findtext("text") or ""), float(answer.findtext("tolerance") or "")
        assert 0 < tolerance <= max(0.01 * abs(value), 0.001) * 1.01
        text = q.findtext("questiontext/text") or ""
        assert text.startswith("<p>") and "\\(" in text and "$" not in text
        assert f"{value:g}"[:4] in (q.findtext("generalfeedback/text") or "")


def test_numeric_answers_are_the_derivative_at_the_stated_values(built: Path) -> None:
    """The wave's question, read back from the XML: f'(x) at the x the text states."""
    for q in moodle_questions(built):
        name = q.findtext("name/text") or ""
        if q.get("type") != "numerical" or "Question 4" not in name:
            continue
        text = q.findtext("questiontext/text") or ""
        x = float(text.split("at \\(")[1].split("= ")[1].split("\\)")[0])
        key = json.loads((built / "key.json").read_text())
        version = name.split(",")[0].split()[-1]
        power = key["versions"][version]["wave"]["exponents"].get("2", 2)
        c = key["versions"][version]["wave"]["constants"].get("5", 5)
        want = c * (power * x ** (power - 1) * np.sin(x) + x**power * np.cos(x))
        got = float(q.findtext("answer/text") or "")
        assert got == pytest.approx(want, rel=1e-5, abs=1e-9)


# --- QTI -----------------------------------------------------------------------------------------


def test_qti_package_has_an_item_per_question(built: Path) -> None:
    z = zipfile.ZipFile(io.BytesIO((built / "qti.zip").read_bytes()))
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    assert manifest.tag == f"{CP}manifest"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    items = [r for r in resources if r.get("type") == "imsqti_item_xmlv2p1"]
    tests = [r for r in resources if r.get("type") == "imsqti_test_xmlv2p1"]
    assert len(items) == 3 * 4 * 2 and len(tests) == 3
    moodle_count = len(moodle_questions(built))
    assert len(items) == moodle_count
    for r in items:
        href = r.get("href") or ""
        assert [f.get("href") for f in r.findall(f"{CP}file")] == [href]
        item = ET.fromstring(z.read(href))
        assert item.tag == f"{QTI}assessmentItem" and item.get("identifier") == r.get("identifier")
        assert item.get("adaptive") == "false" and item.get("timeDependent") == "false"
        response = item.find(f"{QTI}responseDeclaration")
        assert response is not None and response.get("identifier") == "RESPONSE"
        assert item.find(f"{QTI}outcomeDeclaration[@identifier='SCORE']") is not None
        body = item.find(f"{QTI}itemBody")
        assert body is not None and item.find(f"{QTI}responseProcessing") is not None
        choice = body.find(f"{QTI}choiceInteraction")
        if choice is not None:
            ids = [c.get("identifier") for c in choice.findall(f"{QTI}simpleChoice")]
            right = [v.text for v in response.findall(f"{QTI}correctResponse/{QTI}value")]
            assert len(ids) >= 4 and len(set(ids)) == len(ids) and len(right) == 1 and right[0] in ids
            assert choice.get("maxChoices") == "1" and response.get("baseType") == "identifier"
        else:
            assert body.find(f".//{QTI}textEntryInteraction") is not None
            assert response.get("baseType") == "float"
            equal = item.find(f".//{QTI}equal")
            assert equal is not None and equal.get("toleranceMode") == "absolute"
            assert float((equal.get("tolerance") or "").split()[0]) > 0
    for t in tests:
        test = ET.fromstring(z.read(t.get("href") or ""))
        refs = test.findall(f".//{QTI}assessmentItemRef")
        assert len(refs) == 8 and len(t.findall(f"{CP}dependency")) == 8


# --- versions ------------------------------------------------------------------------------------


def test_versions_differ_in_their_results(built: Path) -> None:
    key = json.loads((built / "key.json").read_text())
    for version in "ABC":
        assert all(entry["differs"] for entry in key["versions"][version].values()), version
    answers: dict[tuple[str, str], list[float]] = {}
    for q in key["questions"]:
        if q["kind"] == "numeric":
            answers.setdefault((q["problem"], q["kind"]), []).append(q["answer"])
    assert all(len(set(a)) == 3 for a in answers.values())
    rights = {(q["problem"], q["version"]): next(o["tex"] for o in q["options"] if o["correct"])
              for q in key["questions"] if q["kind"] == "choice"}
    for problem in ("labels", "curve", "quad", "wave"):
        assert len({rights[(problem, v)] for v in "ABC"}) == 3


def test_anonymous_papers_hide_titles_and_sources(built: Path) -> None:
    for name in ("paper-A.tex", "paper-B.md", "moodle.xml"):
        text = (built / name).read_text()
        assert "Tutorial sheet 7" not in text and "Logistic loss of a layer" not in text, name
    assert "## Question 1: 6 points" in (built / "paper-A.md").read_text()
    assert "Tutorial sheet 7" in (built / "solutions-A.tex").read_text()


def test_statement_symbols_are_never_drawn(tmp_path: Path) -> None:
    """Issue 12: y renamed to p met the statement's p_k and turned cross-entropy into entropy."""
    path = tmp_path / "labels.yaml"
    path.write_text(PROBLEMS["labels.yaml"])
    problem = load_problem(path)
    assert {"p", "k", "y", "z", "K", "L", "sigma"} <= math_symbols(problem)
    for seed in range(60):
        r = draw(problem, random.Random(seed))
        assert not set(r.names.values()) & math_symbols(problem)


def test_a_statement_that_takes_every_letter_keeps_the_name(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("title: Many\nstatement: Let $a, b, c, p, q, r, s, t, u, v, w, x, y, z$ be given.\n"
                    "given: {x: scalar}\ndefine: {f: x**3 + 2*x}\nfind: df/dx\n")
    problem = load_problem(path)
    r = draw(problem, random.Random(0))
    assert r.names == {"x": "x"} and r.constants == {2: r.constants[2]} and r.constants[2] != 2


def test_function_parameters_follow_their_given(tmp_path: Path) -> None:
    """Issue 12: given t and h(t): f(g(t)) failed with "unknown name 't'" once t was renamed."""
    path = tmp_path / "curve.yaml"
    path.write_text(PROBLEMS["curve.yaml"])
    problem = load_problem(path)
    stages = real_stages()
    for seed in range(12):
        renamed = apply(problem, draw(problem, random.Random(seed)))
        new = renamed.given[0].name
        assert renamed.definition("h") is not None and renamed.definition("h").params == (new,)  # type: ignore[union-attr]
        (d,) = derive_verified(stages, renamed)
        assert d.verified is not None and d.wrt == new


def test_vary_alternatives_go_to_different_versions(tmp_path: Path) -> None:
    body = EXAM.replace("  - {file: wave.yaml, points: 4}\n", """\
  - file: wave.yaml
    points: 4
    vary:
      - {}
      - define: {f: "5 * x**2 * cos(x)"}
      - define: {f: "5 * x**2 * tanh(x)"}
""")
    make_exam(write_exam(tmp_path, body), tmp_path / "out", variants=3, seed=5, stages=no_pdf(),
              formats=("md",))
    key = json.loads((tmp_path / "out/midterm/key.json").read_text())
    assert sorted(key["versions"][v]["wave"]["alternative"] for v in "ABC") == [1, 2, 3]
    papers = [(tmp_path / f"out/midterm/paper-{v}.md").read_text() for v in "ABC"]
    assert sum("\\cos" in p for p in papers) == sum("\\tanh" in p for p in papers) == 1


def test_exam_file_errors(tmp_path: Path) -> None:
    body = EXAM + "questions: [numeric, essay]\nformats: [pdf, word]\n" + \
        "anonymous: maybe\n"
    body = body.replace("  - {file: wave.yaml, points: 4}\n",
                        "  - {file: wave.yaml, points: 4, vary: [{define: {f: 'x'}}, {defne: {}}]}\n")
    with pytest.raises(ProblemError) as e:
        load_exam(write_exam(tmp_path, body), "midterm.yaml")
    assert [str(d) for d in e.value.diagnostics] == [
        "midterm.yaml:8:62: problems[4].vary[2]: unknown key 'defne'; expected title, statement, define, "
        "sizes, find, show",
        "midterm.yaml:9:12: questions: unknown essay; choose from numeric, choice, error",
        "midterm.yaml:10:10: formats: unknown word; choose from tex, pdf, md, moodle, qti, html",
        "midterm.yaml:11:12: anonymous must be true or false",
    ]


def test_a_vary_alternative_that_does_not_load_is_reported_at_its_place(tmp_path: Path) -> None:
    body = EXAM.replace("  - {file: wave.yaml, points: 4}\n",
                        "  - {file: wave.yaml, points: 4, vary: [{}, {define: {f: 'x + q'}}]}\n")
    with pytest.raises(ProblemError) as e:
        make_exam(write_exam(tmp_path, body), tmp_path / "out", variants=2, stages=no_pdf())
    (message,) = [str(d) for d in e.value.diagnostics]
    assert message.endswith("midterm.yaml:8:45: problems[4].vary[2]: with this alternative the problem "
                            "does not load: define.f: unknown name 'q' (names: x)")


# --- distractors ---------------------------------------------------------------------------------


def test_distractors_are_the_mistakes_students_make(tmp_path: Path) -> None:
    path = tmp_path / "ls.yaml"
    path.write_text("title: Least squares\ngiven: {theta: [D], Phi: [N, D], y: [N]}\n"
                    "define: {L: norm(y - Phi @ theta)**2}\nfind: dL/dtheta\nsizes: {N: 3, D: 2}\n")
    problem = load_problem(path)
    right = parse_expression("-2 * (y - Phi @ theta).T @ Phi")
    kinds = {m.kind for m in closed_mutations(right, True)}
    assert {"transpose", "order", "factor", "sign", "layout", "chain", "double"} <= kinds
    (d,) = derive_verified(real_stages(), problem)
    made = choices(problem, d, random.Random(3))
    assert sum(o.correct for o in made.options) == 1 and len(made.options) >= 4
    assert len({o.kind for o in made.options}) == len(made.options)  # one mistake each
    # each distractor is wrong at random points, and unlike every other option
    sizes = concrete_sizes(problem)
    point = random_values(problem, sizes, np.random.default_rng(0))
    layout = next(m.expr for m in closed_mutations(right, True) if m.kind == "layout")
    value = form_value(layout, point, sizes)
    assert value is not None and value.shape == (2,)  # a column: the other layout


def test_options_differ_from_each_other_at_random_points(tmp_path: Path) -> None:
    """2x sin(x) and sin(x) 2x are one answer: a mistake that changes nothing is screened out."""
    path = tmp_path / "p.yaml"
    path.write_text("title: P\ngiven: {x: scalar}\ndefine: {f: x**2 * sin(x)}\nfind: df/dx\n")
    problem = load_problem(path)
    (d,) = derive_verified(real_stages(), problem)
    made = choices(problem, d, random.Random(1))
    assert made.options[[o.correct for o in made.options].index(True)].form == d.result.closed
    sizes = concrete_sizes(problem)
    for x in (0.7, -1.3, 2.1):
        values = [form_value(o.form, {"x": np.array(x)}, sizes) for o in made.options]
        floats = sorted(float(v) for v in values if v is not None)
        assert len(floats) == len(made.options)
        assert all(b - a > 1e-6 for a, b in itertools.pairwise(floats))


# --- the command line --------------------------------------------------------------------------


def test_format_chooses_the_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from derivgen.cli import main

    path = write_exam(tmp_path)
    assert main(["exam", str(path), "-o", str(tmp_path / "out"), "--variants", "2", "--format", "moodle,qti"]) == 0
    assert sorted(p.name for p in (tmp_path / "out/midterm").iterdir()) == [
        "key.json", "key.md", "moodle.xml", "qti.zip"]
    assert main(["exam", str(path), "--format", "pdf,word"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "--format: unknown format word; choose from tex, pdf, md, moodle, qti, html")


def test_stress_reports_every_failing_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from derivgen.cli import main

    path = write_exam(tmp_path, EXAM.replace("  - {file: quad.yaml, points: 6}\n", ""))
    assert main(["exam", str(path), "--variants", "3", "--stress", "2", "--seed", "10"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "stress: 2 seeds x 3 versions; all passed"
    (tmp_path / "flat.yaml").write_text("title: Flat\ngiven: {x: scalar, c: scalar}\ndefine: {f: 3 * c}\n"
                                        "find: df/dx\n")
    path.write_text(EXAM + "  - {file: flat.yaml, points: 2}\n")
    assert main(["exam", str(path), "--stress", "2"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "stress: 2 seeds x 2 versions; 2 seeds failed"
    assert re.fullmatch(r"seed 0: .*midterm\.yaml:9:12: version A: df/d[a-z]: only 0 distractors differ from "
                        r"the answer and from each other \(at least 3 are needed\); ask it with "
                        r"questions: \[numeric\] in the exam file", err[0])


# --- find the error ------------------------------------------------------------------------------


def test_a_planted_error_shows_in_one_step_and_changes_its_value(tmp_path: Path) -> None:
    from derivgen.exam.finderror import plant_error
    from derivgen.render.narrate import present

    path = tmp_path / "ls.yaml"
    path.write_text("title: Least squares\ngiven: {theta: [D], Phi: [N, D], y: [N]}\n"
                    "define: {e: y - Phi @ theta, L: e.T @ e}\nfind: dL/dtheta\nsizes: {N: 3, D: 2}\n")
    problem = load_problem(path)
    (d,) = derive_verified(real_stages(), problem)
    original = present(d, problem)
    for seed in range(4):
        planted = plant_error(problem, d, random.Random(seed))
        differ = [i for i, (a, b) in enumerate(zip(original, planted.paras, strict=True)) if a != b]
        assert differ == [planted.step] and planted.wrong != planted.right
        assert planted.right == original[planted.step].display
        sizes = concrete_sizes(problem)
        point = random_values(problem, sizes, np.random.default_rng(seed))
        before = form_value(problem.expand(planted.before), point, sizes)
        after = form_value(problem.expand(planted.after), point, sizes)
        assert before is not None and after is not None and before.size == after.size
        assert float(np.max(np.abs(before - after.reshape(before.shape)))) > 1e-6


def test_find_the_error_questions_in_moodle(tmp_path: Path) -> None:
    body = EXAM.replace("problems:\n", "problems:\n  - {file: ls.yaml, points: 5, questions: [error]}\n")
    path = write_exam(tmp_path, body)
    (tmp_path / "ls.yaml").write_text("title: Least squares\ngiven: {theta: [D], Phi: [N, D], y: [N]}\n"
                                      "define: {e: y - Phi @ theta, L: e.T @ e}\nfind: dL/dtheta\n")
    make_exam(path, tmp_path / "out", variants=2, seed=1, stages=no_pdf(), formats=("moodle",))
    root = ET.parse(tmp_path / "out/midterm/moodle.xml").getroot()
    errors = [q for q in root.findall("question") if "(1, error)" in (q.findtext("name/text") or "")]
    assert len(errors) == 2 and all(q.get("type") == "multichoice" for q in errors)
    for q in errors:
        answers = q.findall("answer")
        right = [a for a in answers if a.get("fraction") == "100"]
        assert len(right) == 1 and all((a.findtext("text") or "").startswith("Step ") for a in answers)
        step = (right[0].findtext("text") or "").split()[1]
        assert (q.findtext("generalfeedback/text") or "").startswith(f"<p>Step {step} is wrong (")
        assert "It should say" in (q.findtext("generalfeedback/text") or "")
    key = json.loads((tmp_path / "out/midterm/key.json").read_text())
    fixes = [q["fix"] for q in key["questions"] if q["kind"] == "error"]
    assert len(fixes) == 2 and all(f.startswith("Step ") for f in fixes)


def test_a_renaming_that_breaks_a_problem_falls_back_to_the_letters_as_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should new letters ever break a problem, that version keeps the letters as written, with a note."""
    import derivgen.exam.papers as papers
    from derivgen.exam.variants import Renaming

    def broken(problem, rng, constants=True, turn=0):  # type: ignore[no-untyped-def, unused-ignore]
        return Renaming(names={"x": "W"}) if problem.id == "quad" else Renaming()

    monkeypatch.setattr(papers, "draw", broken)
    out = make_exam(write_exam(tmp_path), tmp_path / "out", variants=2, stages=no_pdf(), formats=("md",))
    notes = [n for n in out.notes if "keeps the letters as written" in n]
    assert len(notes) == 2 and notes[0].endswith(")") and "midterm.yaml:7:12: note: version A" in notes[0]
    key = json.loads((tmp_path / "out/midterm/key.json").read_text())
    assert key["versions"]["A"]["quad"]["names"] == {}


def test_letters_of_the_prose_are_never_drawn(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: P\nstatement: Here q is the charge and $f = u \\cdot w$.\ngiven: {u: [N], w: [N]}\n"
                    "define: {f: u.T @ w}\nfind: df/du\n")
    problem = load_problem(path)
    assert {"q", "f", "u", "w", "cdot"} <= math_symbols(problem) and "e" not in math_symbols(problem)
    for seed in range(40):
        assert "q" not in draw(problem, random.Random(seed)).names.values()


# --- self-study and the marking scheme -----------------------------------------------------------


def test_study_page_opens_hints_in_the_lectures_order(built: Path) -> None:
    from derivgen.derivation import STEP_KINDS
    from derivgen.exam.keys import STEP_WEIGHTS
    from derivgen.exam.study import HINTS

    assert {k for _, kinds in HINTS for k in kinds} | set(STEP_WEIGHTS) <= set(STEP_KINDS)
    page = (built / "study.html").read_text()
    assert "<h2>Question 3: A quadratic form with a linear term (6 points)</h2>" in page
    quad = page[page.index("Question 3"):page.index("Question 4")]
    summaries = re.findall(r"<summary>(.*?)</summary>", quad)
    assert summaries == ["Hint 1: the dimension of the derivative", "Hint 2: the index form",
                         "Hint 3: which Kronecker δ survives", "Worked solution"]
    assert quad.index('class="solution"') > quad.rindex('class="hint"')
    assert "katex.render" in page and "<script src=" not in page  # one offline page


def test_marking_scheme_gives_each_step_its_points(built: Path) -> None:
    key = json.loads((built / "key.json").read_text())
    points = [6, 4, 6, 4]
    for scheme, total in zip(key["marking"], points, strict=True):
        assert sum(m["points"] for m in scheme) == pytest.approx(total)
        assert scheme[0]["step"] == "dimension of the derivative" and scheme[-1]["step"] == "result"
        assert all(m["points"] > 0 for m in scheme)
    md = (built / "key.md").read_text()
    assert "### Question 3 (quad)" in md and "| — | index notation |" in md


def test_lms_questions_hold_what_the_paper_holds(built: Path) -> None:
    """Each version's Moodle and QTI questions state the problem as that version's paper does."""
    questions = moodle_questions(built)
    z = zipfile.ZipFile(io.BytesIO((built / "qti.zip").read_bytes()))
    for version in "ABC":
        paper = (built / f"paper-{version}.md").read_text()
        for n in range(1, 5):
            section = paper.split(f"## Question {n}:")[1].split("## Question")[0]
            maths = re.findall(r"\$([^$]+)\$", section.split("Find")[0])
            assert maths
            text = next(q.findtext("questiontext/text") or "" for q in questions
                        if (q.findtext("name/text") or "").startswith(f"Version {version}, Question {n} ("))
            item = "".join(ET.fromstring(z.read(f"items/{version}-{n}-numeric.xml")).itertext())
            for tex in maths:
                assert f"\\({tex}\\)" in html.unescape(text) and f"\\({tex}\\)" in item, (version, n, tex)


def test_a_named_exam_shows_titles_and_sources(tmp_path: Path) -> None:
    path = write_exam(tmp_path, EXAM + "anonymous: false\n")
    make_exam(path, tmp_path / "out", variants=1, stages=no_pdf(), formats=("tex", "md", "moodle"))
    paper_md = (tmp_path / "out/midterm/paper.md").read_text()
    assert "## Question 1: Logistic loss of a layer (6 points)" in paper_md
    assert "Tutorial sheet 7" in (tmp_path / "out/midterm/paper.tex").read_text()
    names = [q.findtext("name/text") for q in ET.parse(tmp_path / "out/midterm/moodle.xml").getroot()]
    assert "Logistic loss of a layer (1, numeric)" in names


def test_points_come_from_the_problem_file_when_the_exam_gives_none(tmp_path: Path) -> None:
    write_exam(tmp_path, EXAM.replace("{file: wave.yaml, points: 4}", "wave.yaml"))
    (tmp_path / "wave.yaml").write_text(PROBLEMS["wave.yaml"] + "points: 7\n")
    exam = load_exam(tmp_path / "midterm.yaml", "midterm.yaml")
    assert [p.points for p in exam.problems] == [6, 4, 6, 7]
    (tmp_path / "wave.yaml").write_text(PROBLEMS["wave.yaml"])
    with pytest.raises(ProblemError) as e:
        load_exam(tmp_path / "midterm.yaml", "midterm.yaml")
    assert [str(d) for d in e.value.diagnostics] == [
        "midterm.yaml:8:5: problems[4] needs points, here or as points: in the problem file"]
