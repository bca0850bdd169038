"""Exams: the exam file's errors, renaming in expressions and in statement math, reproducible verified variants."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from pathlib import Path

import fakestages as fake
import pytest

from derivgen.build.stages import real_stages
from derivgen.errors import ProblemError
from derivgen.exam.examfile import load_exam
from derivgen.exam.papers import derive_version, draw_versions, make_exam
from derivgen.exam.variants import Renaming, apply, draw, rename_math, rename_text
from derivgen.problem.loader import load_problem
from derivgen.problem.text import to_text

ROOT = Path(__file__).resolve().parent.parent
BANK = ["3-matrix/least-squares.yaml", "1-scalar/chain-rule-2x-plus-1.yaml", "3-matrix/gradient-Ax-by-x.yaml"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)


def exam_file(tmp: Path, body: str | None = None) -> Path:
    (tmp / "problems").mkdir(exist_ok=True)
    for rel in BANK:
        shutil.copy(ROOT / "problems" / rel, tmp / "problems" / Path(rel).name)
    path = tmp / "midterm.yaml"
    path.write_text(body or (
        "exam:\n  title: Midterm\n  course: MML\n  date: 1 Dec 2026\n  instructions: Answer all questions.\n"
        "problems:\n"
        "  - {file: problems/least-squares.yaml, points: 10}\n"
        "  - {file: problems/chain-rule-2x-plus-1.yaml, points: 4}\n"
        "  - {file: problems/gradient-Ax-by-x.yaml, points: 6}\n"
        "space: true\n"))
    return path


def no_pdf():  # type: ignore[no-untyped-def]
    return dataclasses.replace(real_stages(), tex_available=fake.tex_missing)


def read_all(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- the exam file ------------------------------------------------------------------------------


def test_exam_file_errors_have_positions(tmp_path: Path) -> None:
    path = exam_file(tmp_path, "exam:\n  titel: Midterm\nproblems:\n  - {file: nope.yaml, points: 3}\n"
                               "  - {file: problems/least-squares.yaml, points: many}\nspace: maybe\n")
    with pytest.raises(ProblemError) as e:
        load_exam(path, "midterm.yaml")
    assert [str(d) for d in e.value.diagnostics] == [
        "midterm.yaml:2:3: exam: unknown key 'titel'; expected title, course, date, instructions",
        "midterm.yaml:2:3: exam: a title is required",
        "midterm.yaml:4:12: problems[1].file: no such file nope.yaml",
        "midterm.yaml:5:49: problems[2].points must be a non-negative number",
        "midterm.yaml:6:8: space must be true or false",
    ]


def test_exam_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = exam_file(tmp_path, "exam: [unclosed\n")
    with pytest.raises(ProblemError, match=r"^midterm.yaml:2:1: not valid YAML"):
        load_exam(path, "midterm.yaml")


# --- renaming -------------------------------------------------------------------------------------


R = Renaming(names={"x": "z", "A": "B", "theta": "phi"}, dims={"N": "P", "M": "Q"}, constants={2: 3})


@pytest.mark.parametrize("tex, expected", [
    (r"\boldsymbol{x} \in \mathbb{R}^N", r"\boldsymbol{z} \in \mathbb{R}^P"),
    (r"\boldsymbol{A}\boldsymbol{x}", r"\boldsymbol{B}\boldsymbol{z}"),
    (r"Ax + 2", r"Bz + 3"),
    (r"\theta_2 + x^2 + \mathbb{R}^{M\times N}", r"\phi_2 + z^2 + \mathbb{R}^{Q\times P}"),
    (r"\boldsymbol{\theta} \exp(x)", r"\boldsymbol{\phi} \exp(z)"),
    (r"\text{for all x} \mathrm{d}x \operatorname{tr}(A)", r"\text{for all x} \mathrm{d}z \operatorname{tr}(B)"),
    (r"\frac{\partial f}{\partial x} 12 x_{2}", r"\frac{\partial f}{\partial z} 12 z_{2}"),
    (r"\Theta \thetax", r"\Theta \thetax"),
])
def test_rename_math_whole_tokens(tex: str, expected: str) -> None:
    assert rename_math(tex, R) == expected


def test_rename_text_touches_only_math() -> None:
    text = "Let x be a vector: $\\boldsymbol{x} \\in \\mathbb{R}^N$ and $$A x = 2$$ as in 2 examples."
    assert rename_text(text, R) == ("Let x be a vector: $\\boldsymbol{z} \\in \\mathbb{R}^P$ and "
                                    "$$B z = 3$$ as in 2 examples.")


def test_apply_renames_every_expression() -> None:
    problem = load_problem(ROOT / "problems/3-matrix/least-squares.yaml")
    r = Renaming({"theta": "omega", "Phi": "Psi", "y": "t"}, {"N": "K", "D": "M"}, {})
    p = apply(problem, r)
    assert [(v.name, v.shape) for v in p.given] == [("omega", ("M",)), ("Psi", ("K", "M")), ("t", ("K",))]
    assert to_text(p.definition("e").expr) == "t - Psi @ omega"
    assert [f.text for f in p.find] == ["dL/domega"]
    assert dict(p.sizes) == {"K": 3, "M": 2}
    assert "\\boldsymbol{\\Psi} \\in \\mathbb{R}^{K\\times M}" in p.statement


def test_draw_avoids_clashes_and_keeps_kinds() -> None:
    problem = load_problem(ROOT / "problems/3-matrix/least-squares.yaml")
    for seed in range(30):
        r = draw(problem, random.Random(seed))
        new = list(r.names.values()) + list(r.dims.values())
        assert len(set(new)) == len(new)
        assert not set(new) & {"e", "L", "norm", "T", "d", "R"}
        assert r.names["y"].islower() and len(r.names["y"]) == 1
        assert r.names["Phi"][0].isupper() and len(r.names["Phi"]) > 1


def test_constants_redrawn_only_as_coefficients() -> None:
    problem = load_problem(ROOT / "problems/1-scalar/chain-rule-2x-plus-1.yaml")
    r = draw(problem, random.Random(1))
    assert list(r.constants) == [2] and r.constants[2] != 2
    p = apply(problem, r)
    power = r.exponents.get(4, 4)  # the statement writes 4 only as a power: it is redrawn too
    assert to_text(p.definition("h").expr) == f"({r.constants[2]} * {r.names['x']} + 1) ** {power}"
    assert f"^{power}" in (p.statement or "")


# --- exams ------------------------------------------------------------------------------------------


def test_three_variants_are_reproducible_and_differ(tmp_path: Path) -> None:
    path = exam_file(tmp_path)
    make_exam(path, tmp_path / "a", variants=3, seed=7, stages=no_pdf())
    make_exam(path, tmp_path / "b", variants=3, seed=7, stages=no_pdf())
    make_exam(path, tmp_path / "c", variants=3, seed=8, stages=no_pdf())
    a, b, c = (read_all(tmp_path / x / "midterm") for x in "abc")
    assert sorted(a) == sorted(
        [f"{kind}-{v}.{ext}" for kind in ("paper", "solutions") for v in "ABC" for ext in ("md", "tex")]
        + ["key.json", "key.md", "moodle.xml", "qti.zip", "study.html"])
    assert a == b
    assert a != c
    assert len({a["paper-A.tex"], a["paper-B.tex"], a["paper-C.tex"]}) == 3
    key = json.loads(a["key.json"])
    versions = key["versions"]
    assert sorted(versions) == ["A", "B", "C"] and key["seed"] == 7
    assert len({json.dumps(versions[v], sort_keys=True) for v in "ABC"}) == 3
    for v in "ABC":
        ls = versions[v]["least-squares"]
        assert set(ls["names"]) == {"theta", "Phi", "y"} and set(ls["dims"]) == {"N", "D"}
        assert versions[v]["chain-rule-2x-plus-1"]["constants"]["2"] != 2
        new_theta = ls["names"]["theta"]
        assert f"\\boldsymbol{{\\{new_theta}}}" in a[f"paper-{v}.tex"].decode()


def test_every_variant_is_derived_and_verified(tmp_path: Path) -> None:
    exam = load_exam(exam_file(tmp_path))
    stages = real_stages()
    problems = [stages.load(p.path, p.path.name) for p in exam.problems]
    versions = draw_versions([[p] for p in problems], 3, seed=3)
    for version in versions:
        derive_version(version, exam, stages)
        assert len(version.derivations) == 3
        assert all(d.verified is not None for ds in version.derivations for d in ds)
        assert [ds[0].wrt for ds in version.derivations] == [
            r.names.get(w, w) for r, w in zip(version.renamings, ("theta", "x", "x"), strict=True)]


def test_single_version_keeps_the_problems_as_written(tmp_path: Path) -> None:
    out = make_exam(exam_file(tmp_path), tmp_path / "out", stages=no_pdf())
    assert out.notes == ["PDF skipped: no PDF: latexmk not found; install TeX Live"]
    assert sorted(out.files) == ["midterm/key.json", "midterm/key.md", "midterm/moodle.xml",
                                 "midterm/paper.md", "midterm/paper.tex", "midterm/qti.zip",
                                 "midterm/solutions.md", "midterm/solutions.tex", "midterm/study.html"]
    paper = (tmp_path / "out/midterm/paper.tex").read_text()
    assert "\\boldsymbol{\\Phi}" in paper and "(2x + 1)^4" in paper


@pytest.mark.needs_tex
def test_exam_pdfs(tmp_path: Path) -> None:
    if real_stages().tex_available():
        pytest.skip("TeX is not installed")
    out = make_exam(exam_file(tmp_path), tmp_path / "out")
    assert "midterm/paper.pdf" in out.files and "midterm/solutions.pdf" in out.files
    assert (tmp_path / "out/midterm/paper.pdf").read_bytes().startswith(b"%PDF")


def test_exponents_follow_in_the_statement_subscripts_never() -> None:
    problem = load_problem(ROOT / "problems/2-multivariate/chain-rule-s-t.yaml")
    r = draw(problem, random.Random(0), turn=1)
    assert set(r.exponents) == {2} and r.exponents[2] != 2
    k = r.exponents[2]
    p = apply(problem, r)
    assert f"x_1^{k} x_2" in (p.statement or "") and "x_1^2" not in (p.statement or "")
    assert to_text(p.definition("f").expr) == f"x[1] ** {k} * x[2]"
