"""Reading the ``find`` section: which derivatives a problem asks for.

Each entry reads ``d<of>/d<wrt>``.  ``of`` is a given, a plain define, or a
function define whose parameters are all givens (that function of those
givens).  ``wrt`` is a given, a component ``x[2]`` or a tuple of scalars
``d(s, t)``.  A ``wrt`` that ``of`` does not depend on is fine: its
derivative is zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from yaml.nodes import Node, ScalarNode, SequenceNode

from derivgen.errors import ExpressionError
from derivgen.limits import MAX_ARRAY_ENTRIES, MAX_FINDS
from derivgen.problem.defines import expansion_too_large
from derivgen.problem.expr import Call, Expr, Index, Name, Shape
from derivgen.problem.model import Find, Var
from derivgen.problem.parser import parse_find
from derivgen.problem.scope import Growth, Scope
from derivgen.problem.second import is_second, parse_second, resolve
from derivgen.problem.shapes import ShapeEnv, derivative_shape, fmt_shape, infer
from derivgen.problem.suggest import nearest
from derivgen.problem.taylor import check_taylor, is_taylor, parse_taylor
from derivgen.problem.text import to_text
from derivgen.problem.yamlsource import Report, Spans


def read_finds(report: Report, node: Node | None, scope: Scope, growth: Growth,
               given: list[Var]) -> list[Find]:
    """Every find entry that checks out; the others are reported."""
    if node is None or (isinstance(node, ScalarNode) and not node.value):
        report.error(node, "find: missing (list the derivatives to derive, e.g. find: [dL/dtheta])")
        return []
    items = node.value if isinstance(node, SequenceNode) else [node]
    if len(items) > MAX_FINDS:
        report.error(node, f"find: more than {MAX_FINDS} entries (the limit)")
        return []
    checker = _FindChecker(report, scope, growth, {v.name: v.shape for v in given})
    out: list[Find] = []
    first: dict[tuple[str, tuple[Expr, ...], tuple[Expr, ...], tuple[Expr, ...], int | None], int] = {}
    for i, item in enumerate(items, 1):
        find = checker.check(item, f"find[{i}]")
        if find is None:
            continue
        key = (find.of, find.wrt, find.first, find.at, find.degree)
        if key in first:
            report.error(item, f"find[{i}]: '{find.text}' is listed twice (first as find[{first[key]}])")
        else:
            first[key] = i
            out.append(find)
    return out


class _FindChecker:
    def __init__(self, report: Report, scope: Scope, growth: Growth, given: dict[str, Shape]) -> None:
        self.report = report
        self.scope = scope
        self.growth = growth
        self.given = given
        self.given_list = ", ".join(given) or "none"

    def check(self, item: Node, path: str) -> Find | None:
        text = self.report.text(item, path, required=True)
        if text is None:
            return None
        spans = Spans(((0, len(text), item),), item)
        first: tuple[Expr, ...] = ()
        try:
            if is_taylor(text):
                return self.taylor(item, text)
            if is_second(text):
                of, wrt, first = self.second(text)
            else:
                of, wrt = parse_find(text)
            of_shape = self.of_shape(of)
            wrt_shape = self.wrt_shape(wrt)
            if first and of_shape is not None:
                of_shape = derivative_shape(of_shape, self.wrt_shape(first))
        except ExpressionError as err:
            self.report.expression_error(spans, ExpressionError(f"'{text}': {err.message}", err.offset), path)
            return None
        if of_shape is None:  # ``of`` had an error of its own, already reported
            return None
        entries = _entries(derivative_shape(of_shape, wrt_shape), self.scope.sizes)
        if entries is not None and entries > MAX_ARRAY_ENTRIES:
            self.report.error(item, f"{path}: '{text}': the derivative has {entries} entries at these sizes, "
                                    f"more than the limit of {MAX_ARRAY_ENTRIES}")
            return None
        return Find(text, of, wrt, self.report.source.at(item), first)

    def taylor(self, item: Node, text: str) -> Find | None:
        """``taylor(f, x, 1, 4)``: a scalar expanded in scalar givens (errors raised, for :meth:`check`)."""
        of, wrt, at, degree = parse_taylor(text)
        of_shape = self.of_shape(of)
        if of_shape is None:  # ``of`` had an error of its own, already reported
            return None
        check_taylor(of_shape, wrt, at, self.given, self.scope.sizes)
        return Find(text, of, wrt, self.report.source.at(item), at=at, degree=degree)

    def second(self, text: str) -> tuple[str, tuple[Expr, ...], tuple[Expr, ...]]:
        """``d2f/dxdy``: the quantity, the variable of the second derivative (x), of the first (y)."""
        of, candidates = parse_second(text)
        outer, inner = resolve(text, candidates, self.given)
        return of, (Name(outer),), (Name(inner),)

    def of_shape(self, of: str) -> Shape | None:
        """The shape of the differentiated quantity; None when its define had an error."""
        if of in self.scope.shapes:
            return self.scope.shapes[of]
        if of in self.scope.broken:
            return None
        fn = self.scope.functions.get(of)
        if fn is None:
            defined = [n for n in self.scope.shapes if n not in self.given] + list(self.scope.functions)
            listed = f"given: {self.given_list}" + (f"; defined: {', '.join(defined)}" if defined else "")
            guess = nearest(of, [*self.given, *defined])
            hint = f": did you mean {guess}?" if guess is not None else ""
            raise ExpressionError(f"{of} is not a given or defined quantity{hint} ({listed})", 1)
        missing = [p for p in fn.params if p not in self.given]
        if missing:
            raise ExpressionError(f"{of} is a function of {', '.join(fn.params)}, and {missing[0]} is not a "
                                  f"given variable (given: {self.given_list})", 1)
        call = Call(of, tuple(Name(p) for p in fn.params), offset=1)
        too_large = expansion_too_large(of, self.growth.of(call))
        if too_large is not None:
            raise ExpressionError(too_large, 1)
        return self.scope.call_shape(call, tuple(self.given[p] for p in fn.params))

    def wrt_shape(self, wrt: tuple[Expr, ...]) -> Shape:
        env = ShapeEnv(self.given, self.scope.sizes)
        shapes = []
        for w in wrt:
            base = _variable(w)
            if base.id not in self.given:
                guess = nearest(base.id, self.given)
                hint = f": did you mean {guess}?" if guess is not None else ""
                raise ExpressionError(
                    f"{base.id} is not a given variable{hint} (given: {self.given_list})", base.offset)
            shapes.append(infer(w, env))
        if len(wrt) == 1:
            return shapes[0]
        return _tuple_shape(wrt, shapes)


def _variable(w: Expr) -> Name:
    """The variable of a wrt entry: ``x`` for ``x`` and for ``x[2]``."""
    base = w.base if isinstance(w, Index) else w
    assert isinstance(base, Name), "parse_find returns names and components only"
    return base


def _tuple_shape(wrt: tuple[Expr, ...], shapes: list[Shape]) -> Shape:
    written = ", ".join(to_text(w) for w in wrt)
    for i, (w, s) in enumerate(zip(wrt, shapes, strict=True)):
        offset = _variable(w).offset
        if s:
            raise ExpressionError(
                f"d({written}) needs scalar entries, but {to_text(w)} is {fmt_shape(s)}", offset)
        if w in wrt[:i]:
            raise ExpressionError(f"{to_text(w)} appears twice in d({written})", offset)
    return (len(wrt),)


def _entries(shape: Shape, sizes: Mapping[str, int]) -> int | None:
    """Number of entries of an array of this shape, if every dimension is known."""
    values = [d if isinstance(d, int) else sizes.get(d) for d in shape]
    known = [v for v in values if v is not None]
    return math.prod(known) if len(known) == len(values) else None
