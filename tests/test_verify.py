"""The numeric check (derivgen.check.verify) and values for ``derivgen eval`` (derivgen.check.values)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from derivgen.check.values import load_values, to_json_array
from derivgen.check.verify import evaluate_result, point_seed, verify
from derivgen.derivation import Derivation, Result
from derivgen.derivation.index_form import Delta, Ent, Idx, IExpr, IndexForm, Term
from derivgen.errors import UsageError, VerificationError
from derivgen.problem.expr import Shape
from derivgen.problem.model import Definition, Find, Problem, Var
from derivgen.problem.parser import parse_expression as E
from derivgen.problem.shapes import printed_shape


def problem(given: dict[str, Shape], define: dict[str, str], sizes: dict[str, int] | None = None,
            assume: dict[str, set[str]] | None = None, pid: str = "p") -> Problem:
    vars_ = tuple(Var(n, s, frozenset((assume or {}).get(n, set()))) for n, s in given.items())
    defs = tuple(Definition(n, (), E(t), None) for n, t in define.items())
    return Problem(id=pid, title="t", path=Path(f"{pid}.yaml"), given=vars_, define=defs, sizes=sizes or {})


def find(of: str, *wrt: str) -> Find:
    text = wrt[0] if len(wrt) == 1 else "(" + ", ".join(wrt) + ")"
    return Find(f"d{of}/d{text}", of, tuple(E(w) for w in wrt))


I, K, Q, J = Idx("i", "M"), Idx("k", "M"), Idx("q", "N"), Idx("j", "N")  # noqa: E741 - the index i, like K, Q, J
KN = Idx("k", "N")


def x_B(transpose: bool = False) -> Term:
    """Σ_j x_j B_jk (or B_kj): one term of the index form of xᵀB by x_k."""
    return Term(1, (Ent("x", (J,)), Ent("B", (KN, J) if transpose else (J, KN))), (J,))


def derivation(f: Find, of_shape: Shape, wrt_shape: Shape, closed: str | None = None,
               index: object = None, explicit: object = None) -> Derivation:
    result = Result(shape=of_shape + wrt_shape, printed=printed_shape(of_shape, wrt_shape),
                    closed=E(closed) if closed else None, index=index, explicit=explicit)
    return Derivation(of=f.of, wrt=f.wrt_text, of_shape=of_shape, wrt_shape=wrt_shape, steps=(), result=result)


QUAD = problem({"x": ("N",), "B": ("N", "N")}, {"f": "x.T @ B @ x"})
DF_DX = find("f", "x")
NUM = r"-?[0-9.e+-]+"


def test_a_right_closed_form_is_verified() -> None:
    d = verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",), "x.T @ (B + B.T)"))
    assert d.verified is not None
    assert d.verified.method == "finite differences"
    assert d.verified.sizes == {"N": 3} and d.verified.points == 3
    assert d.verified.max_abs_error < 1e-6


def test_a_wrong_closed_form_is_rejected_with_the_entry_and_values() -> None:
    with pytest.raises(VerificationError) as e:
        verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",), "x.T @ B"))
    assert re.fullmatch(
        rf"p: df/dx: the closed form x\.T @ B disagrees with finite differences at entry \(\d\), "
        rf"∂f/∂x\[\d\]: derived {NUM}, numeric {NUM} \(point 1 of 3, sizes N=3\)", str(e.value))


BILINEAR = problem({"a": ("M",), "X": ("M", "N"), "b": ("N",)}, {"f": "a.T @ X @ b"})
DF_DX_MAT = find("f", "X")


def test_the_outer_product_passes_and_a_factor_off_fails() -> None:
    assert verify(BILINEAR, DF_DX_MAT, derivation(DF_DX_MAT, (), ("M", "N"), "a @ b.T")).verified
    with pytest.raises(VerificationError, match=r"the closed form 2 \* a @ b\.T disagrees .* at entry \(1, 1\), ∂f/∂X\[1, 1\]"):
        verify(BILINEAR, DF_DX_MAT, derivation(DF_DX_MAT, (), ("M", "N"), "2 * a @ b.T"))


def test_a_transposed_result_fails_by_shape_and_when_square_by_value() -> None:
    with pytest.raises(VerificationError) as e:
        verify(BILINEAR, DF_DX_MAT, derivation(DF_DX_MAT, (), ("M", "N"), "b @ a.T"))
    assert str(e.value) == "p: df/dX: the closed form b @ a.T has shape 2×3, but the result is printed as M×N (3×2 here)"
    square = problem({"a": ("N",), "X": ("N", "N"), "b": ("N",)}, {"f": "a.T @ X @ b"})
    with pytest.raises(VerificationError, match=r"the closed form b @ a\.T disagrees with finite differences"):
        verify(square, DF_DX_MAT, derivation(DF_DX_MAT, (), ("N", "N"), "b @ a.T"))


def test_a_column_where_the_lectures_print_a_row_is_rejected() -> None:
    with pytest.raises(VerificationError) as e:
        verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",), "(B + B.T) @ x"))
    assert str(e.value) == "p: df/dx: the closed form (B + B.T) @ x has shape 3, but the result is printed as 1×N (1×3 here)"


def test_log_det_needs_a_point_with_positive_determinant() -> None:
    p = problem({"X": ("N", "N")}, {"f": "log(det(X))"})
    f = find("f", "X")
    assert verify(p, f, derivation(f, (), ("N", "N"), "inv(X).T")).verified
    with pytest.raises(VerificationError, match="disagrees"):
        verify(p, f, derivation(f, (), ("N", "N"), "inv(X)"))


def test_sqrt_and_log_of_unconstrained_vectors_are_checked_where_defined() -> None:
    p = problem({"x": ("N",)}, {"f": "sum(sqrt(x)) + sum(log(x))"})
    f = find("f", "x")
    assert verify(p, f, derivation(f, (), ("N",), "(1 / (2 * sqrt(x)) + 1 / x).T")).verified


TENSOR = problem({"A": ("M", "N"), "x": ("N",)}, {"f": "A @ x"})
DF_DA = find("f", "A")


def test_index_forms_of_tensors_are_checked() -> None:
    delta_x = Term(1, (Delta(I, K), Ent("x", (Q,))))
    right = IndexForm("f", "A", (I,), (K, Q), IExpr((delta_x,)))
    d = verify(TENSOR, DF_DA, derivation(DF_DA, ("M",), ("M", "N"), index=right))
    assert d.verified and d.verified.sizes == {"M": 3, "N": 2}
    wrong = IndexForm("f", "A", (I,), (K, Q), IExpr((delta_x, Term(Fraction(1, 1000)))))
    with pytest.raises(VerificationError, match=r"p: df/dA: the index form disagrees with finite differences "
                                                r"at entry \(1, 1, 1\), ∂f\[1\]/∂A\[1, 1\]: derived"):
        verify(TENSOR, DF_DA, derivation(DF_DA, ("M",), ("M", "N"), index=wrong))


def test_every_form_is_checked_not_only_the_first() -> None:
    good = "x.T @ (B + B.T)"
    bad_index = IndexForm("f", "x", (), (KN,), IExpr((x_B(),)))
    with pytest.raises(VerificationError, match="the index form disagrees"):
        verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",), good, index=bad_index))


def test_explicit_arrays_are_checked_entry_by_entry() -> None:
    p = problem({"x": (2,)}, {"f": "[x[1] ** 2, x[1] * x[2]]"})
    f = find("f", "x")
    right = ((E("2 * x[1]"), E("0")), (E("x[2]"), E("x[1]")))
    assert verify(p, f, derivation(f, (2,), (2,), explicit=right)).verified
    swapped = ((E("2 * x[1]"), E("0")), (E("x[1]"), E("x[2]")))
    with pytest.raises(VerificationError, match=r"the explicit array disagrees .* at entry \(2, 1\), ∂f\[2\]/∂x\[1\]"):
        verify(p, f, derivation(f, (2,), (2,), explicit=swapped))


def test_components_and_tuples_of_scalars_are_checked() -> None:
    p = problem({"x": ("N",), "s": (), "t": ()}, {"f": "exp(x[1] * x[2] ** 2)", "g": "s * t ** 2"})
    fx2 = find("f", "x[2]")
    assert verify(p, fx2, derivation(fx2, (), (), "2 * x[1] * x[2] * f".replace("f", "exp(x[1] * x[2] ** 2)"))).verified
    fst = find("g", "s", "t")
    assert verify(p, fst, derivation(fst, (), (2,), "[[t ** 2, 2 * s * t]]")).verified
    with pytest.raises(VerificationError, match=r"p: dg/d\(s, t\): .* at entry \(2\), ∂g/∂t: derived"):
        verify(p, fst, derivation(fst, (), (2,), "[[t ** 2, s * t]]"))


def test_a_result_without_any_form_is_not_published() -> None:
    with pytest.raises(VerificationError) as e:
        verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",)))
    assert str(e.value) == ("p: df/dx: the result has no closed form, index form or explicit array, so it "
                            "cannot be checked, and an unchecked result is not published")


def test_the_check_is_reproducible_and_seeded_per_problem_and_find() -> None:
    d = derivation(DF_DX, (), ("N",), "x.T @ (B + B.T)")
    assert verify(QUAD, DF_DX, d).verified == verify(QUAD, DF_DX, d).verified
    assert point_seed(QUAD, DF_DX) == point_seed(QUAD, DF_DX)
    assert point_seed(QUAD, DF_DX) != point_seed(QUAD, find("f", "B"))
    other = problem({"x": ("N",), "B": ("N", "N")}, {"f": "x.T @ B @ x"}, pid="q")
    assert point_seed(QUAD, DF_DX) != point_seed(other, DF_DX)


def test_evaluate_result_gives_every_form_in_array_layout() -> None:
    index = IndexForm("f", "x", (), (KN,), IExpr((x_B(), x_B(transpose=True))))
    d = derivation(DF_DX, (), ("N",), "x.T @ (B + B.T)", index=index)
    values = {"x": np.array([1.0, 2.0]), "B": np.array([[1.0, 2.0], [3.0, 4.0]])}
    forms = evaluate_result(QUAD, d, values, {"N": 2})
    assert set(forms) == {"closed", "index"}
    np.testing.assert_allclose(forms["closed"], [12.0, 21.0])  # printed 1×2, array layout (2,)
    np.testing.assert_allclose(forms["index"], [12.0, 21.0])


# --- values for derivgen eval -------------------------------------------------------------------


EVAL = problem({"A": ("M", "N"), "x": ("N",), "r": (1, "N"), "t": (), "W": (2, "M")}, {"f": "A @ x"})


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "at.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


GOOD = {"A": [[1, 2, 3], [4, 5, 6]], "x": [1, 0, -1], "r": [[1, 1, 1]], "t": 0.5, "W": [[1, 2], [3, 4]]}


def test_values_and_sizes_are_read_from_json(tmp_path: Path) -> None:
    values, sizes = load_values(write(tmp_path, GOOD), EVAL)
    assert sizes == {"M": 2, "N": 3}
    assert values["x"].shape == (3,) and values["r"].shape == (1, 3) and values["t"].shape == ()
    assert values["A"].dtype == np.float64


def test_every_mistake_in_a_values_file_is_listed(tmp_path: Path) -> None:
    bad = {**GOOD, "x": [1, 2, 3, 4], "r": [1, 1, 1], "t": [0.5], "W": [[1, 2, 3]], "z": 1}
    del bad["A"]
    path = write(tmp_path, bad)
    with pytest.raises(UsageError) as e:
        load_values(path, EVAL)
    assert str(e.value).splitlines() == [
        f"{path}: 'z' is not a given of p",
        f"{path}: no value for 'A'",
        f"{path}: 'r' (1×N) must be a row vector (a list of one row)",
        f"{path}: 't' (scalar) must be a scalar (a number)",
        f"{path}: 'W' has 1 row, but its shape 2×M needs 2",
    ]


def test_conflicting_sizes_name_both_arrays(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "x": [1, 2, 3, 4]})
    with pytest.raises(UsageError) as e:
        load_values(path, EVAL)
    assert str(e.value) == f"{path}: N is 3 from A but 4 from x"


@pytest.mark.parametrize("value, message", [
    ([[1, 2], [3]], "the rows of 'A' have different lengths"),
    ([[1, "2", 3], [4, 5, 6]], "'A' (M×N) must be a matrix (a list of rows)"),
    ([[True, 2, 3], [4, 5, 6]], "'A' (M×N) must be a matrix (a list of rows)"),
    ([1, 2, 3], "'A' (M×N) must be a matrix (a list of rows)"),
])
def test_malformed_arrays(tmp_path: Path, value: object, message: str) -> None:
    path = write(tmp_path, {**GOOD, "A": value})
    with pytest.raises(UsageError) as e:
        load_values(path, EVAL)
    assert str(e.value) == f"{path}: {message}"


def test_files_that_are_not_values(tmp_path: Path) -> None:
    path = tmp_path / "at.json"
    path.write_text('{"A": [[1, 2]],\n "x": [1, NaN]}', encoding="utf-8")
    with pytest.raises(UsageError, match=re.escape(f"{path}: NaN is not a number derivgen can evaluate at")):
        load_values(path, EVAL)
    path.write_text('{"A": [[1, 2]],\n "x": [1, }', encoding="utf-8")
    with pytest.raises(UsageError) as e:
        load_values(path, EVAL)
    assert str(e.value) == f"{path}:2:11: not valid JSON: Expecting value"
    with pytest.raises(UsageError, match="must be a JSON object mapping each given name to its value"):
        load_values(write(tmp_path, [1, 2]), EVAL)
    with pytest.raises(UsageError, match=re.escape(f"{tmp_path / 'none.json'}: cannot read the values file: No such file")):
        load_values(tmp_path / "none.json", EVAL)


def test_results_become_nested_lists_and_undefined_values_are_refused() -> None:
    assert to_json_array(np.asarray(2.5)) == 2.5
    assert to_json_array(np.array([[1, 2]])) == [[1.0, 2.0]]
    assert json.dumps(to_json_array(np.arange(8.0).reshape(2, 2, 2)))
    with pytest.raises(UsageError, match="the derivative is not defined at these values"):
        to_json_array(np.array([1.0, np.nan]))


def test_eval_reads_the_derived_result_at_the_given_values(tmp_path: Path) -> None:
    values, sizes = load_values(write(tmp_path, GOOD), EVAL)
    f = find("f", "x")
    forms = evaluate_result(EVAL, derivation(f, ("M",), ("N",), "A"), values, sizes)
    assert to_json_array(forms["closed"]) == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_a_row_vector_with_two_rows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "r": [[1, 1, 1], [2, 2, 2]]})
    with pytest.raises(UsageError) as e:
        load_values(path, EVAL)
    assert str(e.value) == f"{path}: 'r' has 2 rows, but its shape 1×N needs 1"


def test_eval_at_other_sizes_leaves_out_an_explicit_array_written_for_the_problems_sizes() -> None:
    p = problem({"y": ("K",), "x": ()}, {"f": "x * sum(y)"}, sizes={"K": 3})
    f = find("f", "x")
    d = derivation(f, (), (), "sum(y)", explicit=E("y[1] + y[2] + y[3]"))
    assert verify(p, f, d).verified
    at_3 = evaluate_result(p, d, {"y": np.ones(3), "x": 2.0}, {"K": 3})
    assert set(at_3) == {"closed", "explicit"} and float(at_3["explicit"]) == 3.0
    at_4 = evaluate_result(p, d, {"y": np.ones(4), "x": 2.0}, {"K": 4})
    assert set(at_4) == {"closed"} and float(at_4["closed"]) == 4.0


# --- a check that can tell right from wrong -----------------------------------------------------


def check_file(tmp_path: Path, name: str, body: str) -> tuple[int, str]:
    """``derivgen check`` on one problem file written here: exit code and stderr."""
    import contextlib
    import io
    import os

    from derivgen import cli

    (tmp_path / "problems").mkdir(exist_ok=True)
    (tmp_path / "problems" / f"{name}.yaml").write_text(body, encoding="utf-8")
    err = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["check", f"problems/{name}.yaml"])
    finally:
        os.chdir(cwd)
    return code, err.getvalue()


def scalar_problem(f: str) -> str:
    return f"title: t\ngiven:\n  x: scalar\ndefine:\n  f: {f}\nfind:\n  - df/dx\n"


def test_a_tiny_constant_cannot_be_checked_and_is_not_published(tmp_path: Path) -> None:
    code, err = check_file(tmp_path, "tiny", scalar_problem("1e-320*x**2"))
    assert code != 0
    assert re.search(r"problems/tiny\.yaml:7:5: find 'df/dx': the numeric check cannot tell a right result "
                     r"from a wrong one, so it is not published as verified: f is so small \(about .*e-32\d\) "
                     r"that its changes underflow.* Rescale the problem's constants", err), err


def test_a_function_saturated_everywhere_cannot_be_checked(tmp_path: Path) -> None:
    code, err = check_file(tmp_path, "flat", scalar_problem("tanh(x**2 + 50)"))
    assert code != 0
    assert "problems/flat.yaml:7:5: find 'df/dx': the numeric check cannot tell" in err
    assert "f does not change when x does" in err and "saturates, scale its argument" in err


def test_a_saturating_function_is_checked_where_it_varies() -> None:
    p = problem({"x": ()}, {"f": "tanh(1000000 * x)"})
    f = find("f", "x")
    right = "1000000 * (1 - tanh(1000000 * x) ** 2)"
    d = verify(p, f, derivation(f, (), (), right))
    method = d.verified.method if d.verified else ""
    assert re.fullmatch(r"central finite differences with every variable scaled by 1e-0[4-7] \(where f varies\)",
                        method)
    # and there it is a real check: off by 0.1 % (or a missing factor) fails
    with pytest.raises(VerificationError, match=r"disagrees .*every variable scaled by 1e-0\d"):
        verify(p, f, derivation(f, (), (), "1.001 * " + right))
    with pytest.raises(VerificationError, match="disagrees"):
        verify(p, f, derivation(f, (), (), "1 - tanh(1000000 * x) ** 2"))


def test_before_the_check_could_tell_a_wrong_saturated_derivative_passed() -> None:
    """The wrong result below would pass at points of size one; the check refuses to call it verified."""
    p = problem({"x": ()}, {"f": "tanh(x ** 2 + 50)"})
    f = find("f", "x")
    with pytest.raises(VerificationError, match="cannot tell a right result from a wrong one"):
        verify(p, f, derivation(f, (), (), "7 * x * (1 - tanh(x ** 2 + 50) ** 2)"))


def test_small_but_resolvable_values_are_checked_relatively() -> None:
    p = problem({"x": ("N",)}, {"f": "1e-20 * x.T @ x"})
    f = find("f", "x")
    assert verify(p, f, derivation(f, (), ("N",), "2e-20 * x.T")).verified
    with pytest.raises(VerificationError, match="disagrees"):  # once, below 1e-5, anything passed
        verify(p, f, derivation(f, (), ("N",), "2.0001e-20 * x.T"))


def test_a_derivative_that_is_zero_because_f_does_not_use_x_is_verified() -> None:
    p = problem({"x": ("N",), "y": ()}, {"f": "sin(y)"}, sizes={"N": 2})
    f = find("f", "x")
    d = verify(p, f, derivation(f, (), ("N",), "0 * x.T"))
    assert d.verified is not None and d.verified.method == "finite differences"
    assert d.verified.max_abs_error == 0.0
    with pytest.raises(VerificationError, match="disagrees"):
        verify(p, f, derivation(f, (), ("N",), "1e-9 * x.T"))


def test_a_normal_problem_is_verified_as_before(tmp_path: Path) -> None:
    code, err = check_file(tmp_path, "sigmoid", scalar_problem("sigma(3*x - 1)"))
    assert code == 0, err
    d = verify(QUAD, DF_DX, derivation(DF_DX, (), ("N",), "x.T @ (B + B.T)"))
    assert d.verified is not None and d.verified.method == "finite differences" and d.verified.points == 3


def test_a_derivation_wrong_by_a_small_relative_amount_is_caught(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """The real engine's result for f = x·exp(x), patched to be off by 0.01 %, fails the check."""
    from dataclasses import replace as dc_replace

    from derivgen.build import stages
    from derivgen.problem.expr import BinOp, Num

    real = stages.derive_stage

    def off(p: Problem) -> list[tuple[Find, Derivation]]:
        out = []
        for f, d in real(p):
            closed = d.result.closed
            assert closed is not None
            wrong = dc_replace(d.result, closed=BinOp("*", Num(Fraction(10001, 10000)), closed),
                               index=None, explicit=None, display=None)
            out.append((f, dc_replace(d, result=wrong)))
        return out

    monkeypatch.setattr(stages, "derive_stage", off)
    code, err = check_file(tmp_path, "xexp", scalar_problem("x * exp(x)"))
    assert code != 0
    assert "problems/xexp.yaml:7:5: find 'df/dx':" in err and "disagrees with finite differences" in err


def test_a_derivative_zero_as_written_verifies_and_one_zero_only_in_floating_point_does_not() -> None:
    """L = x - x: the engine's zero array agrees with exactly-zero differences (a course may set it);
    a made-up nonzero formula for the same problem is still caught by the same check."""
    from derivgen.engine.derive import derive

    problem = Problem(id="zero", title="t", path=Path("zero.yaml"), given=(Var("x", ("N",)),),
                      define=(Definition("L", (), E("x - x"), ("N",)),),
                      find=(Find("dL/dx", "L", (E("x"),)),), sizes={"N": 3})
    [find] = problem.find
    assert verify(problem, find, derive(problem, find)).verified is not None
    wrong = Derivation("L", "x", ("N",), ("N",), (), Result(("N", "N"), ("N", "N"), closed=E("1e-9 * eye(N)")))
    with pytest.raises(VerificationError):
        verify(problem, find, wrong)
