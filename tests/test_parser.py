"""The expression parser: precedence, literals, offsets and every rejection, word for word."""

from __future__ import annotations

import time

import pytest

from derivgen.errors import ExpressionError
from derivgen.limits import MAX_EXPRESSION_CHARS, MAX_NESTING_DEPTH
from derivgen.problem.expr import BinOp, Call, Index, ListLit, Name, Neg, Num, Transpose
from derivgen.problem.parser import parse_expression, parse_find
from derivgen.problem.text import to_text

x, y, z, A = Name("x"), Name("y"), Name("z"), Name("A")


def rejects(text: str) -> tuple[str, int]:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    return info.value.message, info.value.offset


# --- precedence and associativity -------------------------------------------------


@pytest.mark.parametrize(
    "text, tree",
    [
        ("x + y * z", BinOp("+", x, BinOp("*", y, z))),
        ("x - y - z", BinOp("-", BinOp("-", x, y), z)),
        ("x / y / z", BinOp("/", BinOp("/", x, y), z)),
        ("x ** y ** z", BinOp("^", x, BinOp("^", y, z))),
        ("x ^ y ^ z", BinOp("^", x, BinOp("^", y, z))),
        ("-x**2", Neg(BinOp("^", x, Num(2)))),
        ("-x ^ 2", Neg(BinOp("^", x, Num(2)))),
        ("x**-1", BinOp("^", x, Num(-1))),
        ("-x * y", BinOp("*", Neg(x), y)),
        ("+x", x),
        ("A @ x * y", BinOp("*", BinOp("@", A, x), y)),
        ("x * A @ y", BinOp("@", BinOp("*", x, A), y)),
        ("x + A @ y", BinOp("+", x, BinOp("@", A, y))),
        ("(x + y) * z", BinOp("*", BinOp("+", x, y), z)),
        ("-x.T", Neg(Transpose(x))),
        ("x.T.T", Transpose(Transpose(x))),
        ("x.T @ A @ x", BinOp("@", BinOp("@", Transpose(x), A), x)),
        ("x[1] * x[2]**2", BinOp("*", Index(x, (1,)), BinOp("^", Index(x, (2,)), Num(2)))),
        ("A[1, 2]", Index(A, (1, 2))),
        ("(A @ x)[2]", Index(BinOp("@", A, x), (2,))),
        ("exp(x[1] * x[2])", Call("exp", (BinOp("*", Index(x, (1,)), Index(x, (2,))),))),
        ("f(x, y)", Call("f", (x, y))),
        ("f()", Call("f", ())),
        ("[x, y]", ListLit((x, y))),
        ("[[x, y], [z, x]]", ListLit((ListLit((x, y)), ListLit((z, x))))),
        ("[t*cos(t), t*sin(t)]", ListLit((BinOp("*", Name("t"), Call("cos", (Name("t"),))),
                                          BinOp("*", Name("t"), Call("sin", (Name("t"),)))))),
    ],
)
def test_structure(text: str, tree: object) -> None:
    assert parse_expression(text) == tree


def test_numbers_keep_their_kind() -> None:
    assert parse_expression("3") == Num(3) and isinstance(parse_expression("3").value, int)
    assert isinstance(parse_expression("2.5").value, float)
    assert parse_expression("1e-3") == Num(0.001)
    assert parse_expression(".5") == Num(0.5)
    assert parse_expression("-2") == Num(-2)
    assert parse_expression("-2**2") == Neg(BinOp("^", Num(2), Num(2)))


def test_offsets_are_where_nodes_start() -> None:
    e = parse_expression("y - Phi @ theta")
    assert isinstance(e, BinOp) and isinstance(e.right, BinOp)
    assert (e.offset, e.right.offset, e.right.right.offset) == (0, 4, 10)  # type: ignore[attr-defined]
    assert parse_expression("x", start=7).offset == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["-2 * (y - Phi @ theta).T @ Phi", "x.T @ A @ x", "-x ** 2", "(-x) ** 2",
                                  "a - (b - c)", "a ** b ** c", "(a ** b) ** c", "[[a, b], [c, d]]",
                                  "exp(x[1] * x[2] ** 2)", "inv(A).T @ x", "1 / (1 + exp(-x))"])
def test_printed_text_parses_back_to_the_same_tree(text: str) -> None:
    tree = parse_expression(text)
    assert parse_expression(to_text(tree)) == tree


# --- rejections -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message, offset",
    [
        ("x[0]", "indices count from 1, so x[0] does not exist", 1),
        ("A[0, 1]", "indices count from 1, so A[0, 1] does not exist", 1),
        ("x[-1]", "an index must be a whole number from 1 up, such as x[2] or A[1, 2]", 2),
        ("x[i]", "an index must be a whole number from 1 up, such as x[2] or A[1, 2]", 2),
        ("x[1.5]", "an index must be a whole number from 1 up, such as x[2] or A[1, 2]", 2),
        ("x[]", "an index is missing: write x[1] or A[1, 2]", 2),
        ("x.y", "only .T (transpose) may follow a '.'", 1),
        ("x.T.H", "only .T (transpose) may follow a '.'", 3),
        ("x.__class__", "'__class__' is not a valid name (names may not start with '__')", 2),
        ("__import__('os').system('x')", "'__import__' is not a valid name (names may not start with '__')", 0),
        ("exp('x')", "strings are not part of the expression language", 4),
        ('"x"', "strings are not part of the expression language", 0),
        ("lambda t: t", "'lambda' is not part of the expression language (define a function instead: f(x): ...)", 0),
        ("[t for t in x]", "'for' is not part of the expression language (no comprehensions: write each entry out)", 3),
        ("x if y else z", "'if' is not part of the expression language (no conditional expressions)", 2),
        ("x[1:2]", "':' is not part of the expression language", 3),
        ("x = 1", "'=' is not part of the expression language", 2),
        ("x == 1", "'==' is not part of the expression language", 2),
        ("2x", "write 2*x for a product", 0),
        ("2 x", "write 2*x for a product", 2),
        ("x y", "write x*y for a product", 2),
        ("2 (x + 1)", "write 2*(...) for a product", 2),
        ("(x + 1)(y)", "write (...)*(...) for a product", 7),
        (")", "unexpected ')'", 0),
        ("x)", "unexpected ')'", 1),
        ("(x", "'(' is never closed", 0),
        ("f(x, [y, z)", "unexpected ')'", 10),
        ("[x, y", "'[' is never closed", 0),
        ("(x]", "unexpected ']'", 2),
        ("x +", "unexpected end of expression", 3),
        ("x * * y", "unexpected '*'", 4),
        ("x, y", "unexpected ','", 1),
        ("f(x,)", "unexpected ')'", 4),
        ("", "empty expression", 0),
        ("   ", "empty expression", 0),
        ("x $ y", "unexpected character '$'", 2),
        ("θ + 1", "unexpected character 'θ' (names use the letters A-Z and a-z, digits and '_')", 0),
        ("a \\cdot b", "unexpected character '\\' (write the expression language, not LaTeX)", 2),
        ("x\x00", "unexpected character 'U+0000'", 1),
        ("None", "'None' is not part of the expression language", 0),
    ],
)
def test_rejections(text: str, message: str, offset: int) -> None:
    assert rejects(text) == (message, offset)


def test_too_long() -> None:
    text = "+".join(["x"] * (MAX_EXPRESSION_CHARS // 2 + 1))
    assert rejects(text)[0] == f"expression too long ({len(text)} characters; the limit is {MAX_EXPRESSION_CHARS})"


DEEP = f"expression nested too deeply (more than {MAX_NESTING_DEPTH} levels)"


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "x" + ")" * 10_000,
        "-" * 10_000 + "x",
        "[" * 10_000 + "]" * 10_000,
        "f(" * 10_000 + "x" + ")" * 10_000,
        "(" * 10_000,
        "- + " * 5_000 + "x",
        "2**" * 200 + "2",
        "x" + ".T" * 200,
        "+".join(["x"] * 200),
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    started = time.perf_counter()
    assert rejects(text)[0] == DEEP
    assert time.perf_counter() - started < 1.0


def test_nesting_up_to_the_limit_is_fine() -> None:
    n = MAX_NESTING_DEPTH - 1
    assert parse_expression("(" * n + "x" + ")" * n) == x
    assert parse_expression("-" * (MAX_NESTING_DEPTH - 2) + "x") is not None


# --- find entries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, of, wrt",
    [
        ("dL/dtheta", "L", (Name("theta"),)),
        ("df/dx[2]", "f", (Index(x, (2,)),)),
        ("dK/dR[1, 2]", "K", (Index(Name("R"), (1, 2)),)),
        ("df/d(s, t)", "f", (Name("s"), Name("t"))),
        (" df / d( s , x[1] ) ", "f", (Name("s"), Index(x, (1,)))),
        ("dd/dd", "d", (Name("d"),)),
    ],
)
def test_find(text: str, of: str, wrt: tuple[object, ...]) -> None:
    assert parse_find(text) == (of, wrt)


def test_find_offsets_point_at_the_variable() -> None:
    _, (theta,) = parse_find("dL/dtheta")
    _, (s, t) = parse_find("df/d(s, t)")
    assert (theta.offset, s.offset, t.offset) == (4, 5, 8)  # type: ignore[attr-defined]


FORM = "write a derivative as d<of>/d<wrt>, e.g. dL/dtheta, df/dx[2] or df/d(s, t)"


@pytest.mark.parametrize(
    "text, message, offset",
    [
        ("dL", FORM, 0),
        ("L/dx", FORM, 0),
        ("dL/x", FORM, 0),
        ("dL/d", FORM, 0),
        ("df/d()", FORM, 3),
        ("dL/dx.T", "differentiate by a variable or a component, such as x or x[2]", 4),
        ("df/d(x + 1)", "differentiate by a variable or a component, such as x or x[2]", 5),
        ("dL/dx[0]", "indices count from 1, so x[0] does not exist", 5),
    ],
)
def test_find_rejections(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_find(text)
    assert (info.value.message, info.value.offset) == (message, offset)
