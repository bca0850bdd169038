"""The loader: every key, the lecture examples, every error at once, positions, hostile files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from derivgen.errors import ProblemError
from derivgen.limits import MAX_FILE_BYTES, MAX_FINDS, MAX_YAML_NODES
from derivgen.problem.expr import BinOp, Call, Index, ListLit, Name, Num, Transpose
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.loader import find_problem_files, load_problem

BAD = Path(__file__).parent / "fixtures" / "bad"


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(path: Path) -> list[str]:
    started = time.perf_counter()
    with pytest.raises(ProblemError) as info:
        load_problem(path, display_path=f"problems/{path.name}")
    assert time.perf_counter() - started < 2.0
    return [str(d) for d in info.value.diagnostics]


def errors_of(tmp_path: Path, text: str) -> list[str]:
    return errors(write(tmp_path, text))


LEAST_SQUARES = """\
title: Gradient of a least-squares loss
source: MML Example 5.11
tags: [chain-rule, least-squares]
statement: |
  Consider the linear model $y = \\Phi\\theta$.
given:
  theta: [D]
  Phi: [N, D]
  y: [N]
define:
  e: y - Phi @ theta
  L: e.T @ e
find:
  - dL/dtheta
sizes: {N: 3, D: 2}
"""


# --- good files -----------------------------------------------------------------------


def test_least_squares(tmp_path: Path) -> None:
    path = write(tmp_path, LEAST_SQUARES, "least-squares.yaml")
    p = load_problem(path)
    assert (p.id, p.title, p.source, p.tags, p.path) == (
        "least-squares", "Gradient of a least-squares loss", "MML Example 5.11", ("chain-rule", "least-squares"), path)
    assert p.statement == "Consider the linear model $y = \\Phi\\theta$.\n"
    assert [(v.name, v.shape) for v in p.given] == [("theta", ("D",)), ("Phi", ("N", "D")), ("y", ("N",))]
    e, L = p.define
    assert (e.name, e.params, e.shape) == ("e", (), ("N",))
    assert e.expr == BinOp("-", Name("y"), BinOp("@", Name("Phi"), Name("theta")))
    assert (L.shape, L.expr) == ((), BinOp("@", Transpose(Name("e")), Name("e")))
    (find,) = p.find
    assert (find.text, find.of, find.wrt) == ("dL/dtheta", "L", (Name("theta"),))
    assert (str(find.location), str(e.location)) == (f"{path}:14:5", f"{path}:11:3")
    assert dict(p.sizes) == {"N": 3, "D": 2} and dict(p.options) == {}


def test_composition_h_equals_f_of_g(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, """\
title: h = f o g
given:
  t: []
define:
  f(x): exp(x[1]*x[2]**2)
  g(t): "[t*cos(t), t*sin(t)]"
  h(t): f(g(t))
find: dh/dt
"""))
    f, g, h = p.define
    assert (f.params, f.shape, g.params, h.params) == (("x",), None, ("t",), ("t",))
    assert g.expr == ListLit((BinOp("*", Name("t"), Call("cos", (Name("t"),))),
                              BinOp("*", Name("t"), Call("sin", (Name("t"),)))))
    assert h.expr == Call("f", (Call("g", (Name("t"),)),))
    assert [(x.of, x.wrt) for x in p.find] == [("h", (Name("t"),))]
    expanded = p.expand(Name("h"))
    assert isinstance(expanded, Call) and expanded.func == "exp"


def test_every_key_and_option(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, """\
title: Every key
id: every-key_1.0
source: lecture 5
tags: [a, b]
statement: Some *Markdown*.
given:
  x: [N]
  A: [M, N]
  s: []
  t: scalar
  W: {shape: [N, N], assume: [symmetric, invertible], latex: '\\mathbf{W}'}
  P: {shape: [2, 2], assume: positive}
  r: [1, N]
define:
  c: 2
  v: [exp(s), s**3]
  w:
    - sin(t)
    - t * s
  M: [[1, s], [t, 2]]
  lit: "[[s, t], [t, s]]"
  q: x.T @ W @ x + c * s
find:
  - dq/dx
  - dq/dx[2]
  - dv/d(s, t)
  - dq/dW
steps: [dimension, index, partials, cases, stack, collate, explicit, vec, chain, closed, justify]
method: index
points: 2.5
"""))
    assert (p.id, p.tags, p.statement) == ("every-key_1.0", ("a", "b"), "Some *Markdown*.")
    shapes = {v.name: v.shape for v in p.given}
    assert shapes == {"x": ("N",), "A": ("M", "N"), "s": (), "t": (), "W": ("N", "N"), "P": (2, 2), "r": (1, "N")}
    W = p.var("W")
    assert W is not None and W.assume == frozenset({"symmetric", "invertible"}) and W.latex == "\\mathbf{W}"
    assert {d.name: d.shape for d in p.define} == {"c": (), "v": (2,), "w": (2,), "M": (2, 2), "lit": (2, 2), "q": ()}
    assert p.body("c") == Num(2)
    assert p.body("M") == ListLit((ListLit((Num(1), Name("s"))), ListLit((Name("t"), Num(2)))))
    assert [x.wrt for x in p.find][1:3] == [(Index(Name("x"), (2,)),), (Name("s"), Name("t"))]
    assert p.options["method"] == "index" and p.options["points"] == 2.5
    assert p.options["steps"] == ("dimension", "index", "partials", "cases", "stack", "collate", "explicit",
                                  "vec", "chain", "closed", "justify")


def test_function_of_givens_may_be_found_and_independent_wrt_is_allowed(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, """\
title: f(x) of a given x
given:
  x: [2]
  y: []
define:
  f(x): exp(x[1] * x[2])
find: [df/dx, df/dy]
"""))
    assert [(f.of, f.wrt) for f in p.find] == [("f", (Name("x"),)), ("f", (Name("y"),))]


def test_eye_takes_a_dimension_of_a_given(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, "title: t\ngiven:\n  A: [N, N]\ndefine:\n  B: A + eye(N)\nfind: dB/dA\n"))
    assert p.define[0].shape == ("N", "N")


def test_sizes_unify_dimensions(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, "title: t\ngiven:\n  A: [M, N]\n  x: [3]\ndefine:\n  f: A @ x\n"
                                     "find: df/dx\nsizes: {N: 3}\n"))
    assert p.define[0].shape == ("M",)


# --- every error at once, with its place ---------------------------------------------------


def test_every_error_of_a_file_at_once() -> None:
    assert errors(BAD / "many_errors.yaml") == [
        "problems/many_errors.yaml:2:1: unknown key 'colour' (known keys: title, id, source, tags, statement, "
        "given, define, find, sizes, steps, method, points, show, detail, layout, values)",
        "problems/many_errors.yaml:6:31: given.W: 'symmetric' needs a square matrix, but W is M×N",
        "problems/many_errors.yaml:7:7: given.V: a dimension is a positive whole number or a name such as N, not 0",
        "problems/many_errors.yaml:9:6: define.f: cannot multiply A (M×N) by x (M)",
        "problems/many_errors.yaml:10:6: define.g: unknown name 'z' (names: A, x, W, M, N)",
        "problems/many_errors.yaml:13:11: define.k: unknown name 'q' (names: A, x, W, M, N)",
        "problems/many_errors.yaml:14:11: define.m: strings are not part of the expression language",
        "problems/many_errors.yaml:15:3: define.A: A is already a given variable; choose another name",
        "problems/many_errors.yaml:17:6: define.p: h takes 1 argument, not 2",
        "problems/many_errors.yaml:18:6: define.r: calling h(x): cannot multiply A (M×N) by u (M)",
        "problems/many_errors.yaml:20:9: find[1]: 'df/dz': z is not a given variable (given: A, x, W)",
        "problems/many_errors.yaml:21:9: find[2]: 'dx/dx[1, 2]': x (M) is a vector: it takes 1 index(es), not 2",
        "problems/many_errors.yaml:22:9: sizes.Q: Q is no dimension of any given (dimensions: M, N)",
        "problems/many_errors.yaml:22:18: sizes.M: 100 is larger than the limit of 64",
        "problems/many_errors.yaml:23:9: method: unknown method 'fastest' (known: auto, scalar, index, explicit, "
        "vec, closed, definition, differentials, backprop)",
    ]


HEAD = "title: t\ngiven:\n  A: [M, N]\n  x: [M]\n  t: []\ndefine:\n"


@pytest.mark.parametrize(
    "define, expected",
    [
        ("  f: 2 * A @ x\n", "7:6: define.f: cannot multiply 2 * A (M×N) by x (M)"),
        ("  f: x + (A @ x)\n", "7:11: define.f: cannot multiply A (M×N) by x (M)"),
        ("  f: 'x + A @ x'\n", "7:11: define.f: cannot multiply A (M×N) by x (M)"),
        ("  f: 'it''s + A @ x'\n", "7:9: define.f: strings are not part of the expression language"),
        ("  f: \"x + \\u00e9 + A @ x\"\n", "7:11: define.f: unexpected character 'é' (names use the letters A-Z and "
                                            "a-z, digits and '_')"),
        ("  f: |\n    x +\n       A @ x\n", "9:8: define.f: cannot multiply A (M×N) by x (M)"),
        ("  f: >\n    x +\n    A @ x\n", "9:5: define.f: cannot multiply A (M×N) by x (M)"),
        ("  f: x + t +\n    A @ x\n", "8:5: define.f: cannot multiply A (M×N) by x (M)"),
        ("  f:\n    - t\n    - zz + t\n", "9:7: define.f: unknown name 'zz' (names: A, x, t, M, N)"),
        ("  f: [t, 1, t ** ]\n", "7:17: define.f: unexpected end of expression"),
        ("  f: t + unknown(t)\n", "7:10: define.f: unknown function 'unknown' (functions: " + ", ".join(FUNCTIONS) + ")"),
        ("  f: t + e\n  e: t\n", "7:10: define.f: e is used before its definition (line 8); define it above"),
        ("  f: f + t\n", "7:3: define.f: f is defined in terms of itself"),
        ("  exp: t\n", "7:3: define.exp: exp is a built-in function; choose another name"),
        ("  f: t\n  f(u): u\n", "8:3: define.f: f is defined twice (first at line 7)"),
        ("  f: t\n  f: t\n", "8:3: define: duplicate key 'f' (first at line 7)"),
        ("  f(u, u): u\n", "7:3: define.f: a parameter is listed twice"),
        ("  f(1): t\n", "7:3: define: 'f(1)' is not a name or a function head such as f(x) or f(x, y)"),
        ("  f: true\n", "7:6: define.f: expected an expression, not true"),
        ("  f:\n", "7:5: define.f: expected an expression, not nothing"),
        ("  f: {a: 1}\n", "7:6: define.f: expected an expression, not a mapping (quote a value that holds ': ')"),
        ("  f: .inf\n", "7:6: define.f: expected a finite number, not .inf"),
        ("  f: [[t, [t]]]\n", "7:11: define.f: a list entry must be an expression, or a row [a, b] of a matrix"),
        ("  f: [[t, t], [t]]\n", "7:6: define.f: the rows of a matrix literal must all have the same length"),
        ("  lambda: t\n", "7:3: define.lambda: 'lambda' cannot be a name (it is reserved); e.g. write lam with "
                          "latex: '\\lambda'"),
        ("  f: x[3] + t\n", "7:6: define.f: index 3 is out of range for x (M) (indices count from 1)"),
    ],
)
def test_define_errors_point_into_the_file(tmp_path: Path, define: str, expected: str) -> None:
    text = HEAD + define + "find: dx/dx\n" + ("sizes: {M: 2}\n" if "x[3]" in define else "")
    found = errors_of(tmp_path, text)
    assert found == ["problems/p.yaml:" + expected]


@pytest.mark.parametrize(
    "given, expected",
    [
        ("  x: [N, N, N]\n", "3:6: given.x: a shape has at most 2 dimensions (scalar, vector, matrix), not 3"),
        ("  x: [100]\n", "3:7: given.x: dimension 100 is larger than the limit of 64"),
        ("  x: [-1]\n", "3:7: given.x: a dimension is a positive whole number or a name such as N, not -1"),
        ("  x: vector\n", "3:6: given.x: expected a shape: [] or scalar, [N] for a vector, [M, N] for a matrix"),
        ("  x: {shape: [N], colour: red}\n", "3:19: given.x: unknown key 'colour' (known keys: shape, assume, latex, gradient)"),
        ("  x: {assume: [positive]}\n", "3:6: given.x: missing 'shape', e.g. {shape: [N, N], assume: [symmetric]}"),
        ("  x: {shape: [N], assume: [sparse]}\n",
         "3:28: given.x: unknown assumption 'sparse' (known: symmetric, invertible, positive, simplex)"),
        ("  x: {shape: [N], assume: invertible}\n", "3:27: given.x: 'invertible' needs a square matrix, but x is N"),
        ("  exp: [N]\n", "3:3: given.exp: exp is a built-in function; choose another name"),
    ],
)
def test_given_errors(tmp_path: Path, given: str, expected: str) -> None:
    found = errors_of(tmp_path, "title: t\ngiven:\n" + given + "find: dx/dx\n")
    assert found[0] == "problems/p.yaml:" + expected
    assert found[1:] in ([], ["problems/p.yaml:4:8: find[1]: 'dx/dx': x is not a given or defined quantity (given: none)"])


@pytest.mark.parametrize(
    "find, expected",
    [
        ("find: dL/dz\n", "6:11: find[1]: 'dL/dz': z is not a given variable (given: x, s)"),
        ("find: dQ/dx\n", "6:8: find[1]: 'dQ/dx': Q is not a given or defined quantity (given: x, s; defined: L, f)"),
        ("find: df/ds\n", "6:8: find[1]: 'df/ds': f is a function of u, and u is not a given variable (given: x, s)"),
        ("find: dL/d(x, s)\n", "6:12: find[1]: 'dL/d(x, s)': d(x, s) needs scalar entries, but x is N"),
        ("find: dL/dx[0]\n", "6:12: find[1]: 'dL/dx[0]': indices count from 1, so x[0] does not exist"),
        ("find: L\n", "6:7: find[1]: 'L': write a derivative as d<of>/d<wrt>, e.g. dL/dtheta, df/dx[2] or "
                      "df/d(s, t)"),
        ("find: [dL/dx, dL/dx]\n", "6:15: find[2]: 'dL/dx' is listed twice (first as find[1])"),
        ("title2: x\n", "6:1: unknown key 'title2' (known keys: title, id, source, tags, statement, given, define, "
                        "find, sizes, steps, method, points, show, detail, layout, values)"),
    ],
)
def test_find_errors(tmp_path: Path, find: str, expected: str) -> None:
    head = "title: t\ngiven: {x: [N], s: []}\ndefine:\n  L: x.T @ x + s\n  f(u): u * 2\n"
    found = errors_of(tmp_path, head + find)
    if find.startswith("title2"):
        assert found[-1] == "problems/p.yaml:" + expected
    else:
        assert found == ["problems/p.yaml:" + expected]


def test_missing_title_and_find(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "given:\n  x: [N]\n") == [
        "problems/p.yaml: title: missing (every problem needs a title)",
        "problems/p.yaml: find: missing (list the derivatives to derive, e.g. find: [dL/dtheta])",
    ]


def test_option_errors(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "title: t\ngiven: {x: []}\nfind: dx/dx\nsteps: [dimension, magic]\n"
                               "points: -1\nid: a/b\ntags: chain\n") == [
        "problems/p.yaml:4:20: steps[2]: unknown step 'magic' (known: dimension, index, partials, cases, stack, "
        "collate, explicit, vec, chain, closed, justify)",
        "problems/p.yaml:5:9: points: expected a positive number",
        "problems/p.yaml:6:5: id: 'a/b' may hold only letters, digits, '-', '_' and '.'",
        "problems/p.yaml:7:7: tags: expected a list, e.g. [chain-rule, least-squares]",
    ]


def test_limits_on_finds_and_entries(tmp_path: Path) -> None:
    finds = "".join(f"  - dx/dx[{i}]\n" for i in range(1, MAX_FINDS + 2))
    assert errors_of(tmp_path, f"title: t\ngiven: {{x: [30]}}\nfind:\n{finds}") == [
        f"problems/p.yaml:4:3: find: more than {MAX_FINDS} entries (the limit)"]
    assert errors_of(tmp_path, "title: t\ngiven: {R: [M, N]}\ndefine:\n  K: R.T @ R\nfind: dK/dR\n"
                               "sizes: {M: 20, N: 20}\n") == [
        "problems/p.yaml:5:7: find[1]: 'dK/dR': the derivative has 160000 entries at these sizes, "
        "more than the limit of 10000"]


def test_exponential_defines_are_refused_without_expanding(tmp_path: Path) -> None:
    lines = "".join(f"  a{i}: a{i - 1} * a{i - 1}\n" for i in range(1, 60))
    found = errors_of(tmp_path, f"title: t\ngiven: {{x: []}}\ndefine:\n  a0: x\n{lines}find: da59/dx\n")
    assert found == ["problems/p.yaml:18:3: define.a14: written out in the given variables, a14 has more than "
                     "20000 nodes (the limit)"]
    funcs = "".join(f"  f{i}(u): f{i - 1}(f{i - 1}(u))\n" for i in range(1, 60))
    found = errors_of(tmp_path, f"title: t\ngiven: {{u: []}}\ndefine:\n  f0(u): u * u\n{funcs}find: df59/du\n")
    assert found == ["problems/p.yaml:64:8: find[1]: 'df59/du': written out in the given variables, f59 has more "
                     "than 20000 nodes (the limit)"]
    funcs = "".join(f"  f{i}(u): f{i - 1}(u) + 1\n" for i in range(1, 40))
    found = errors_of(tmp_path, f"title: t\ngiven: {{u: []}}\ndefine:\n  f0(u): sin(u)\n{funcs}find: df39/du\n")
    assert found == ["problems/p.yaml:44:8: find[1]: 'df39/du': written out in the given variables, f39 is nested "
                     "more than 64 levels deep, each define counting as a level (the limit)"]


def test_a_long_chain_of_defines_still_expands(tmp_path: Path) -> None:
    lines = "".join(f"  a{i}: a{i - 1}\n" for i in range(1, 64))
    p = load_problem(write(tmp_path, f"title: t\ngiven: {{x: []}}\ndefine:\n  a0: x\n{lines}find: da63/dx\n"))
    assert p.expand(Name("a63")) == Name("x")


# --- YAML syntax and hostile files ------------------------------------------------------------

FIXTURES = {
    "python_tag.yaml": "2:8: YAML tags such as '!!python/object/apply:os.system' are not allowed",
    "local_tag.yaml": "3:6: YAML tags such as '!shape' are not allowed",
    "billion_laughs.yaml": "2:4: YAML anchors and aliases (&name, *name) are not allowed: write each value out",
    "alias_only.yaml": "3:6: YAML anchors and aliases (&name, *name) are not allowed: write each value out",
    "binary.yaml": " not a UTF-8 text file",
    "latin1.yaml": " not a UTF-8 text file",
    "empty.yaml": " the file is empty; a problem needs at least a title and a find",
    "only_comments.yaml": " the file holds only comments; a problem needs a title and a find",
    "top_level_list.yaml": "1:1: the top level must be a mapping of keys such as title:, given:, find:",
    "top_level_text.yaml": "1:1: the top level must be a mapping of keys such as title:, given:, find:",
    "control_character.yaml": "1:15: the file holds a control character (#x7) that YAML does not allow",
    "two_documents.yaml": "2:1: a problem file holds one YAML document, but a second one starts here",
    "tab.yaml": "3:1: not valid YAML: a tab character: YAML indents with spaces only; replace the tab by spaces",
    "colon_in_value.yaml": "1:18: not valid YAML: a ':' followed by a space inside a plain value; quote the value: "
                           "write title: \"Chain rule: an example\"",
    "unclosed_quote.yaml": "1:8: not valid YAML: this quoted value is never closed: add the matching quote",
    "bad_indentation.yaml": "4:4: not valid YAML: the indentation does not line up: the keys of one mapping must "
                            "start in the same column",
    "flow_list_brackets.yaml": "5:13: not valid YAML: a word that starts with '*' or '&' is YAML syntax (an alias "
                               "or anchor); a value that starts with '[' must be quoted: write g: "
                               "\"[x[1]*x[2], x[2]]\"",
    "flow_list_commas.yaml": "5:10: define.g: '(' is never closed; a value that starts with '[' must be quoted: "
                             "write g: \"[t*f(t, t), t]\"",
    "find_flow_list.yaml": "4:7: not valid YAML: YAML cannot read this list; write find as a block list, "
                           "one '- entry' a line, or quote each entry",
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_bad_fixture(name: str) -> None:
    assert errors(BAD / name) == [f"problems/{name}:{FIXTURES[name]}"]


def test_flow_list_of_plain_items_is_a_vector(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, "title: t\ngiven: {t: []}\ndefine:\n  g: [t*cos(t), t*sin(t)]\nfind: dg/dt\n"))
    assert p.define[0].shape == (2,)


def test_hostile_expressions_are_names_and_syntax_errors() -> None:
    assert errors(BAD / "hostile_expressions.yaml") == [
        "problems/hostile_expressions.yaml:5:6: define.a: '__import__' is not a valid name (names may not start "
        "with '__')",
        "problems/hostile_expressions.yaml:6:8: define.b: '__class__' is not a valid name (names may not start "
        "with '__')",
        "problems/hostile_expressions.yaml:7:8: define.c: 'lambda' is not part of the expression language (define "
        "a function instead: f(x): ...)",
        "problems/hostile_expressions.yaml:8:10: define.d: 'for' is not part of the expression language (no "
        "comprehensions: write each entry out)",
        "problems/hostile_expressions.yaml:9:12: define.e: strings are not part of the expression language",
    ]


def test_too_large_file(tmp_path: Path) -> None:
    path = write(tmp_path, "title: t\n" + "#" * MAX_FILE_BYTES + "\n")
    assert errors(path) == [f"problems/p.yaml: the file is larger than the limit of {MAX_FILE_BYTES} bytes"]


def test_too_many_nodes(tmp_path: Path) -> None:
    given = "".join(f"  x{i}: []\n" for i in range(MAX_YAML_NODES))
    found = errors_of(tmp_path, f"title: t\ngiven:\n{given}find: dx0/dx0\n")
    assert found == [f"problems/p.yaml:1000:9: the file has more than {MAX_YAML_NODES} YAML values (the limit)"]


def test_a_deep_expression_in_a_file(tmp_path: Path) -> None:
    found = errors_of(tmp_path, "title: t\ngiven: {x: []}\ndefine:\n  f: " + "(" * 500 + "x" + ")" * 500 +
                      "\nfind: df/dx\n")
    assert found == ["problems/p.yaml:4:70: define.f: expression nested too deeply (more than 64 levels)"]


# --- finding problem files ----------------------------------------------------------------------


def test_find_problem_files(tmp_path: Path) -> None:
    for name in ["b/2.yaml", "b/1.yml", "a.yaml", "derivgen.yaml", "exam.yaml", "notes.txt", ".hidden/x.yaml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("exam: midterm\n" if name == "exam.yaml" else "title: t\n")
    extra = write(tmp_path, "title: t\n", "z.yaml")
    found = find_problem_files([tmp_path, extra])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.yaml", "b/1.yml", "b/2.yaml", "z.yaml"]
