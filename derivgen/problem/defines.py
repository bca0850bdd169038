"""Reading the ``define`` section: names, functions and expressions, checked in file order.

A value is an expression in the language (``y - Phi @ theta``, or a literal
``"[t*cos(t), t*sin(t)]"``), a number, or a YAML list of scalar expressions
(vector) or of rows (matrix).  Each plain define gets its shape in the scope
of the givens and the defines above it; a function define is checked at each
of its calls, with the shapes of the arguments.
"""

from __future__ import annotations

import keyword
import math
import re

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from derivgen.errors import ExpressionError
from derivgen.limits import MAX_EXPANDED_DEPTH, MAX_EXPANDED_NODES
from derivgen.problem.expr import Call, Expr, ListLit, Num, children, names_in
from derivgen.problem.functions import BUILTINS
from derivgen.problem.model import Definition
from derivgen.problem.parser import parse_expression
from derivgen.problem.scope import Function, Growth, Scope, Size
from derivgen.problem.yamlsource import Report, Source, Spans, scalar_value

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*")
Head = tuple[str, tuple[str, ...]]


def bad_name(name: str) -> str | None:
    """Why ``name`` cannot name a variable or define, or None if it can."""
    if not NAME.fullmatch(name) or name.startswith("__"):
        return f"'{name}' is not a valid name (letters, digits and '_', not starting with a digit or '__')"
    if keyword.iskeyword(name):
        return f"'{name}' cannot be a name (it is reserved); e.g. write lam with latex: '\\lambda'"
    if name in BUILTINS:
        return f"{name} is a built-in function; choose another name"
    return None


def expansion_too_large(name: str, size: Size) -> str | None:
    """Why ``name`` is too large once every define is written out, or None if it is not."""
    if size.nodes > MAX_EXPANDED_NODES:
        return (f"written out in the given variables, {name} has more than {MAX_EXPANDED_NODES} nodes "
                "(the limit)")
    if size.depth > MAX_EXPANDED_DEPTH:
        return (f"written out in the given variables, {name} is nested more than {MAX_EXPANDED_DEPTH} levels "
                f"deep, each define counting as a level (the limit)")
    return None


def read_defines(report: Report, node: Node | None, scope: Scope, growth: Growth) -> list[Definition]:
    """Every define that checks out, in order; the others are reported and marked broken in ``scope``."""
    entries = []
    for key, (key_node, value_node) in report.mapping(node, "define").items():
        head = _head(report, key, key_node)
        if head is not None:
            entries.append((head, key_node, value_node))
            scope.later.setdefault(head[0], key_node.start_mark.line + 1)
    out: list[Definition] = []
    seen: dict[str, int] = {}
    for (name, params), key_node, value_node in entries:
        scope.later.pop(name, None)
        ok = _head_is_free(report, (name, params), key_node, scope, seen)
        definition = _one_define(report, (name, params), key_node, value_node, scope, growth) if ok else None
        if definition is None:
            scope.broken.add(name)
        else:
            out.append(definition)
    return out


def _head(report: Report, key: str, key_node: Node) -> Head | None:
    m = _HEAD.fullmatch(key)
    params = tuple(p.strip() for p in m.group(2).split(",")) if m and m.group(2) is not None else ()
    if m is None or not all(NAME.fullmatch(p) for p in params):
        report.error(key_node, f"define: '{key}' is not a name or a function head such as f(x) or f(x, y)")
        return None
    return m.group(1), params


def _head_is_free(report: Report, head: Head, key_node: Node, scope: Scope, seen: dict[str, int]) -> bool:
    name, params = head
    problems = []
    if name in seen:
        problems.append(f"{name} is defined twice (first at line {seen[name]})")
    elif name in scope.shapes:
        problems.append(f"{name} is already a given variable; choose another name")
    elif (bad := bad_name(name)) is not None:
        problems.append(bad)
    seen.setdefault(name, key_node.start_mark.line + 1)
    for p in params:
        if (bad := bad_name(p)) is not None:
            problems.append(f"parameter {bad}")
        elif p in seen or p in scope.functions:
            problems.append(f"parameter {p} is already defined above")
    if len(set(params)) != len(params):
        problems.append("a parameter is listed twice")
    for problem in problems:
        report.error(key_node, f"define.{name}: {problem}")
    return not problems


def _one_define(report: Report, head: Head, key_node: Node, value_node: Node, scope: Scope,
                growth: Growth) -> Definition | None:
    name, params = head
    path = f"define.{name}"
    expr_node, latex = _long_form(report, value_node, path)
    if expr_node is None:
        return None
    parsed = read_expression(report, expr_node, path, str(key_node.value))
    if parsed is None:
        return None
    expr, spans = parsed
    if name in names_in(expr) or _calls(expr, name):
        report.error(key_node, f"{path}: {name} is defined in terms of itself")
        return None
    errors, uses_broken = scope.name_errors(expr, params)
    for err in errors:
        report.expression_error(spans, err, path)
    if errors or uses_broken:
        return None
    size = growth.add(name, params, expr)
    location = report.source.at(key_node)
    if params:
        scope.functions[name] = Function(name, params, expr, dict(scope.shapes))
        return Definition(name, params, expr, None, location, latex=latex)
    if (too_large := expansion_too_large(name, size)) is not None:
        report.error(key_node, f"{path}: {too_large}")
        return None
    try:
        shape = scope.shape(expr)
    except ExpressionError as err:
        report.expression_error(spans, err, path)
        return None
    scope.shapes[name] = shape
    return Definition(name, params, expr, shape, location, latex=latex)


#: Keys of a define's long form, ``y_hat: {expr: w.T @ x, latex: '\\hat{y}'}``.
LONG_FORM_KEYS = ("expr", "latex")


def _long_form(report: Report, node: Node, path: str) -> tuple[Node | None, str | None]:
    """The expression's node and the ``latex:`` override of a define (None, None after an error)."""
    if not isinstance(node, MappingNode) or not any(
            isinstance(k, ScalarNode) and k.value in LONG_FORM_KEYS for k, _ in node.value):
        return node, None  # not the long form: read_expression says why a mapping is no expression
    entries = report.mapping(node, path)
    ok = True
    for key, (key_node, _) in entries.items():
        if key not in LONG_FORM_KEYS:
            report.error(key_node, f"{path}: unknown key '{key}' (known keys: {', '.join(LONG_FORM_KEYS)})")
            ok = False
    if "expr" not in entries:
        report.error(node, f"{path}: missing 'expr', e.g. {{expr: w.T @ x, latex: '\\hat{{y}}'}}")
        return None, None
    latex = report.text(entries["latex"][1], f"{path}.latex") if "latex" in entries else None
    return (entries["expr"][1] if ok else None), latex


def _calls(e: Expr, func: str) -> bool:
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Call) and node.func == func:
            return True
        stack.extend(children(node))
    return False


# --- a YAML value as an expression, remembering where each character came from ---------


class _NotExpression(Exception):
    """A YAML value that cannot be an expression at all (a mapping, true, an empty value)."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def read_expression(report: Report, node: Node, path: str, key: str) -> tuple[Expr, Spans] | None:
    """The value as an expression, or None after reporting why it is not one."""
    pieces: list[tuple[int, int, Node]] = []
    try:
        expr = _piece(node, 0, pieces, level=0)
    except ExpressionError as err:
        message = err.message
        if isinstance(node, SequenceNode) and node.flow_style:
            message += _flow_list_hint(report.source, node, key)
        report.expression_error(Spans(tuple(pieces), node), ExpressionError(message, err.offset), path)
        return None
    except _NotExpression as err:
        report.error(err.node, f"{path}: {err.message}")
        return None
    return expr, Spans(tuple(pieces), node)


def _piece(node: Node, start: int, pieces: list[tuple[int, int, Node]], level: int) -> Expr:
    """Parse one YAML value at virtual offset ``start``; a list becomes a ``ListLit``.

    Each scalar's text gets its own range of offsets (ranges two apart), so an
    error's offset tells which scalar, and where in it, the error is.
    ``level`` is 0 for the value itself, 1 inside its list, 2 inside a row.
    """
    if isinstance(node, SequenceNode):
        return _list_piece(node, start, pieces, level)
    if not isinstance(node, ScalarNode):
        raise _NotExpression(node, "expected an expression, not a mapping (quote a value that holds ': ')")
    value = scalar_value(node)
    pieces.append((start, start + len(str(node.value)), node))
    if isinstance(value, bool) or value is None:
        raise _NotExpression(node, f"expected an expression, not {node.value or 'nothing'}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise _NotExpression(node, f"expected a finite number, not {node.value}")
        return Num(value, offset=start)
    return parse_expression(str(value), start=start)


def _list_piece(node: SequenceNode, start: int, pieces: list[tuple[int, int, Node]], level: int) -> Expr:
    if level > 1:
        raise _NotExpression(node, "a list entry must be an expression, or a row [a, b] of a matrix")
    pieces.append((start, start, node))
    items, at = [], start + 2
    for item in node.value:
        items.append(_piece(item, at, pieces, level + 1))
        at = pieces[-1][1] + 2
    return ListLit(tuple(items), offset=start)


def _flow_list_hint(source: Source, node: SequenceNode, key: str) -> str:
    raw = source.text[node.start_mark.index : node.end_mark.index]
    if "\n" in raw or '"' in raw or not any(c in raw[1:-1] for c in "()[]"):
        return ""  # only brackets inside the items suggest that YAML split an expression
    return f"; a value that starts with '[' must be quoted: write {key}: \"{raw}\""
