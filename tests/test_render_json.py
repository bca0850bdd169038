"""JSON results: the contract's fields, stable output, and no unchecked result."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest_render import ALL, f_equals_Ax, least_squares
from golden_util import check_golden

from derivgen.errors import RenderError
from derivgen.render.json import render_problem_json


@pytest.mark.parametrize("name", sorted(ALL))
def test_json_matches_golden(name: str) -> None:
    problem, derivations = ALL[name]()
    check_golden(f"{name}.json", render_problem_json(problem, derivations))


def test_contract_fields_for_least_squares() -> None:
    doc = json.loads(render_problem_json(*least_squares()))
    assert list(doc) == ["id", "title", "source", "label", "number", "statement", "derivatives"]
    assert (doc["id"], doc["source"]) == ("least-squares", "MML Example 5.11")
    [d] = doc["derivatives"]
    assert (d["of"], d["wrt"], d["shape"], d["printed_shape"]) == ("L", "theta", ["D"], [1, "D"])
    assert d["result"]["expr"] == "-(2 * (y - Phi @ theta).T @ Phi)"  # to_text of the closed form
    assert d["result"]["latex"].startswith(r"-2 \left(\boldsymbol{y}")
    assert "index" not in d["result"]
    # At the default (lecture) detail: the rewrite ‖e‖² = eᵀe leads its factor, e stays a name.
    assert [s["kind"] for s in d["steps"]] == ["dimension", "chain_rule", "factor", "factor", "multiply"]
    problem, derivations = least_squares()
    full = json.loads(render_problem_json(dataclasses.replace(problem, options={"detail": "full"}), derivations))
    assert [s["kind"] for s in full["derivatives"][0]["steps"]] == [
        "dimension", "chain_rule", "factor", "rewrite", "factor", "multiply", "substitute"]
    assert all(set(s) >= {"kind", "text", "latex"} for s in d["steps"])
    assert d["verified"] == {"method": "finite differences", "sizes": {"N": 3, "D": 2}, "max_abs_error": 1.2e-10, "points": 3}


def test_index_result_has_text_form_and_no_expr() -> None:
    doc = json.loads(render_problem_json(*f_equals_Ax()))
    [d] = doc["derivatives"]
    assert d["shape"] == ["M", "M", "N"]
    assert d["result"]["index"] == "df[i]/dA[k, q] = delta(i, k) * x[q]"
    assert "expr" not in d["result"]


def test_output_is_stable_and_keeps_unicode() -> None:
    problem, derivations = f_equals_Ax()
    first = render_problem_json(problem, derivations)
    assert first == render_problem_json(problem, derivations)
    assert "≠" not in first  # LaTeX, not the raw index text, reaches the steps
    assert r"k \\neq i" in first


def test_unverified_derivation_is_refused() -> None:
    problem, [d] = least_squares()
    with pytest.raises(RenderError, match="has not been verified"):
        render_problem_json(problem, [dataclasses.replace(d, verified=None)])
