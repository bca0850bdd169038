"""Detail levels: what a worked solution shows at ``answer``, ``lecture`` (the default) and ``full``.

Each test derives a bank problem with the real engine and reads the paragraphs
every renderer lays out (``narrate.present``), as a lecturer reads the page.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derivgen.engine.derive import derive_problem
from derivgen.errors import ProblemError
from derivgen.problem.loader import load_problem
from derivgen.problem.model import Problem
from derivgen.render.narrate import Para, present, present_answer

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems"


def solved(rel: str, detail: str | None = None) -> tuple[Problem, list]:
    problem = load_problem(BANK / rel)
    if detail is not None:
        problem = dataclasses.replace(problem, options={**problem.options, "detail": detail})
    return problem, [d for _, d in derive_problem(problem)]


def text(paras: list[Para]) -> str:
    return "\n".join(p.text + "\n" + "\n".join(p.display) for p in paras)


def test_lecture_is_the_default() -> None:
    problem, [d] = solved("1-scalar/chain-rule-2x-plus-1.yaml")
    assert "detail" not in problem.options
    assert present(d, problem) == present(d, dataclasses.replace(problem, options={"detail": "lecture"}))


def test_chain_rule_in_the_lectures_order_with_the_statements_names() -> None:
    """h = g(f(x)): f and g first, their derivatives, then h' = g'(f) f' (ANU slides)."""
    problem, [d] = solved("1-scalar/chain-rule-2x-plus-1.yaml")
    paras = present(d, problem)
    shown = text(paras)
    naming = shown.index(r"f\left(x\right) = 2 x + 1")
    factors = shown.index(r"\frac{\mathrm{d}g}{\mathrm{d}f} = 4 f^{3}")
    product = shown.index(r"\frac{\mathrm{d}h}{\mathrm{d}x} &= \frac{\mathrm{d}g}{\mathrm{d}f}")
    assert naming < factors < product
    assert r"g\left(f\right) = f^{4}" in shown
    assert "8 \\left(2 x + 1\\right)^{3}" in paras[-1].display[0]  # the tidy form ends the product line
    assert "constant factor" not in shown and "Tidy" not in shown
    assert len(paras) == 4  # dimension, naming, the two derivatives, the product


def test_full_keeps_every_rule_and_answer_keeps_only_the_dimension() -> None:
    problem, [d] = solved("2-multivariate/jacobian-linear-map.yaml", "full")
    full = present(d, problem)
    assert sum("By the sum rule" in p.text for p in full) >= 6
    assert any(p.depth == 2 for p in full)
    problem, [d] = solved("2-multivariate/jacobian-linear-map.yaml", "lecture")
    lecture = present(d, problem)
    assert not any("By the sum rule" in p.text for p in lecture)
    assert all(p.depth <= 1 for p in lecture) and len(lecture) < len(full) / 3
    problem, [d] = solved("2-multivariate/jacobian-linear-map.yaml", "answer")
    assert [p.kind for p in present(d, problem)] == ["dimension"]


def test_every_level_shows_the_same_result() -> None:
    answers = set()
    for detail in ("answer", "lecture", "full"):
        problem, [d] = solved("3-matrix/least-squares.yaml", detail)
        answers.add(present_answer(d, problem))
    assert len(answers) == 1


def test_least_squares_reads_like_example_5_11() -> None:
    """Dimension, chain rule, ∂L/∂e = 2eᵀ from ‖e‖² = eᵀe, ∂e/∂θ = −Φ, the product: no index work."""
    problem, [d] = solved("3-matrix/least-squares.yaml")
    paras = present(d, problem)
    assert [p.kind for p in paras] == ["dimension", "chain_rule", "factor", "factor", "multiply"]
    shown = text(paras)
    assert r"\sum" not in shown and "Kronecker" not in shown
    assert shown.index(r"= \boldsymbol{e}^{\top} \boldsymbol{e}") < shown.index(r"= 2 \boldsymbol{e}^{\top}")
    assert "a squared norm is an inner product, so by the quadratic-form rule" in paras[2].text
    assert r"= -\boldsymbol{\Phi} \in \mathbb{R}^{N\times D}" in shown
    assert paras[-1].display[0].endswith(r"-2 \boldsymbol{e}^{\top} \boldsymbol{\Phi}\end{aligned}")


def test_a_later_part_quotes_the_earlier_parts() -> None:
    """MML Example 5.7: part (c) collects the partials of (a) and (b) instead of deriving them again."""
    problem, ds = solved("2-multivariate/gradient-x1-x2.yaml")
    paras = present(ds[2], problem)
    assert [p.text for p in paras if p.text.startswith("From part")] == ["From part (a):", "From part (b):"]
    assert not any("rule" in p.text for p in paras)


def test_figure_5_7_route_b_reuses_route_a() -> None:
    problem, [d] = solved("3-matrix/figure-5-7.yaml")
    lecture = present(d, problem)
    problem, [d] = solved("3-matrix/figure-5-7.yaml", "full")
    full = present(d, problem)
    vec = next(p for p in lecture if p.kind == "vec")
    assert "found above" in vec.text and r"\tilde{\boldsymbol{A}}" in vec.display[0]
    assert sum(p.kind == "partials" for p in lecture) == 3  # one slice per x_k, none re-derived
    assert sum(p.kind == "partials" for p in full) == 3 + 8
    assert not any(r"\mathbb{R}^{(4\times 2)\times 3}" in "".join(p.display) for p in lecture)


def test_concepts_are_explained_once_per_solution() -> None:
    problem, [d] = solved("3-matrix/gradient-RtR.yaml")
    shown = text(present(d, problem))
    assert shown.count("A Kronecker delta is 1") <= 1


def test_intermediates_stay_names_and_long_answers_say_what_they_stand_for() -> None:
    problem, ds = solved("3-matrix/two-layer-network.yaml")
    answer = present_answer(ds[1], problem)
    assert r"\operatorname{diag}\left(\boldsymbol{h} \odot \left(1 - \boldsymbol{h}\right)\right)" in answer
    assert re.search(r"\\text\{where \} \\boldsymbol\{h\} = \\sigma", answer)
    assert answer.count(r"\sigma") == 1


def test_partial_derivative_symbol_where_the_lecture_writes_one() -> None:
    problem, [dx, _] = solved("2-multivariate/partials-x-plus-2y3.yaml")
    assert r"\frac{\partial f}{\partial x}" in present(dx, problem)[0].text
    problem, [d] = solved("1-scalar/product-rule.yaml")
    assert r"\frac{\mathrm{d}f}{\mathrm{d}x}" in present(d, problem)[0].text


def test_detail_in_the_problem_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("title: t\ngiven:\n  x: scalar\ndefine:\n  f: x**2\nfind:\n  - df/dx\ndetail: lectures\n")
    with pytest.raises(ProblemError, match=r"8:9: detail: unknown level 'lectures' \(known: answer, lecture, full\)"):
        load_problem(bad)


@pytest.mark.slow
def test_detail_from_the_command_line_and_derivgen_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "p.yaml").write_text((BANK / "2-multivariate/jacobian-linear-map.yaml").read_text())

    def build(*extra: str) -> str:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        subprocess.run([sys.executable, "-m", "derivgen", "build", str(folder), "-o", str(out), "--format", "md",
                        "--no-cache", "-q", *extra], check=True)
        return next(out.rglob("*.md")).read_text() if not (out / "index.md").exists() else \
            next(p for p in out.rglob("*.md") if p.name != "index.md").read_text()

    lecture = build()
    full = build("--detail", "full")
    assert "By the sum rule" in full and "By the sum rule" not in lecture
    (folder / "derivgen.yaml").write_text("detail: full\n")
    assert "By the sum rule" in build()
    assert "By the sum rule" not in build("--detail", "lecture")


def test_a_networks_gradient_is_one_chain_rule_of_all_its_factors() -> None:
    """dL/dx = ∂L/∂z ∂z/∂h ∂h/∂x (MML 5.6's backpropagation order), not a chain rule inside a factor."""
    problem, ds = solved("3-matrix/two-layer-network.yaml")
    paras = present(ds[1], problem, ds[:1])
    assert [p.depth for p in paras] == [0] * len(paras)  # nothing nested
    chain = next(p for p in paras if p.kind == "chain_rule")
    assert "through $\\boldsymbol{z}$ and $\\boldsymbol{h}$" in chain.text
    assert chain.display[0].count(r"\underbrace") == 3
    factors = [p.text for p in paras if p.kind == "factor"]
    assert len(factors) == 3 and "found in part (a)" in factors[0]  # ∂L/∂z is quoted, not derived again
    product = next(p for p in paras if p.kind == "multiply")
    assert product.display[0].count(r"\underbrace") == 3 and "aligned" not in product.display[0]


def test_cancelling_terms_are_written_out_before_the_tidy_result() -> None:
    """d/dθ xᵀA(θ)x: the entries of the sum, where x₁x₂ cos θ and x₂x₁ cos θ cancel, then −sin θ (x₁² + 2x₂²)."""
    problem, [d] = solved("3-matrix/quadratic-form-of-rotation.yaml")
    product = next(p for p in present(d, problem) if p.kind == "multiply").display[0]
    written = r"x_{1} x_{2} \left(-\cos\left(\theta\right)\right) + x_{2} x_{1} \cos\left(\theta\right)"
    assert written in product
    assert product.index(written) < product.index(r"-\sin\left(\theta\right) \left(x_{1}^{2} + 2 x_{2}^{2}\right)")


def test_the_quotient_rule_shows_where_the_square_comes_from() -> None:
    problem, [d] = solved("1-scalar/quotient-rule.yaml")
    line = present(d, problem)[-1].display[0]
    assert line.index(r"\left(x^{2} - 2 x + 1\right)") < line.index(r"\left(x - 1\right)^{2}")


def test_a_constant_result_is_named_and_repeated_entries_are_not_introduced_again() -> None:
    """Example 5.9 with numbers: the Jacobian of Ax is A; f₂'s row follows "in the same way"."""
    problem, [d] = solved("2-multivariate/jacobian-linear-map.yaml")
    assert present_answer(d, problem).endswith(r"= \boldsymbol{A} \in \mathbb{R}^{2\times 3}")
    texts = [p.text for p in present(d, problem) if p.kind == "partials"]
    assert texts == ["Differentiate each entry with respect to $\\boldsymbol{x}$, by the sum rule.",
                     "The next entry in the same way:"]


def test_the_lectures_pictures_of_a_gram_matrix_and_of_a_linear_maps_jacobian() -> None:
    """MML 5.13: K_pq = r_pᵀ r_q = Σ_m R_mp R_mq; MML 5.9: the Jacobian's entries A_ij make up A."""
    problem, [d] = solved("3-matrix/gradient-RtR.yaml")
    index = next(p for p in present(d, problem) if p.kind == "index_notation")
    assert r"K_{pq} = \boldsymbol{r}_{p}^{\top}\,\boldsymbol{r}_{q} = \sum_{m=1}^{M} R_{mp} R_{mq}" in index.display[0]
    assert "dot product of two columns" in index.text
    problem, [d] = solved("3-matrix/gradient-Ax-by-x.yaml")
    paras = present(d, problem)
    collect = next(p for p in paras if p.kind == "collate").display[0]
    assert r"A_{11} & \cdots & A_{1N}" in collect and collect.endswith(r"&= \boldsymbol{A} \in \mathbb{R}^{M\times N}\end{aligned}")
    assert paras[-1].kind == "collate"  # no "in matrix form" after it: "= A" says it
