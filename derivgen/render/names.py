"""The problem's own names in a worked solution.

The lectures write a solution in the names the problem introduced: ``e`` for
``y − Φθ``, ``h`` for ``σ(W₁x + b₁)``, the statement's ``f`` and ``g`` of
``g(f(x))``, and ``∂f/∂x`` for the outer function of ``h = f∘g``.  This module
finds those names and writes steps in them (presentation only).
"""

from __future__ import annotations

import re
from dataclasses import replace

from derivgen.derivation import (
    Block,
    Cases,
    Column,
    Deriv,
    Derivation,
    Entry,
    Math,
    MatrixDots,
    Product,
    Relation,
    Space,
    Step,
    Under,
)
from derivgen.derivation.index_form import Ent, Idx, IExpr
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    ListLit,
    Name,
    Num,
    Transpose,
    children,
    map_children,
    names_in,
)
from derivgen.problem.model import Problem

# --- the problem's intermediates, kept as names --------------------------------------


class Names:
    """The problem's defined intermediates (``e := y − Φθ``), to write expressions in them."""

    def __init__(self, problem: Problem, differentiated: str | None = None) -> None:
        # The function being differentiated is not written in terms of itself.
        self.table: list[tuple[Expr, Name]] = [
            (d.expr, Name(d.name)) for d in problem.define
            if not d.params and d.shape is not None and not isinstance(d.expr, (Name, Num, ListLit))
            and (d.name != differentiated or named_function(d.expr))
            and (_size(d.expr) >= 4 or named_function(d.expr))
        ]
        # p = softmax(z), z = Wx: the result holds softmax(Wx), which is p too
        plain = {d.name: d.expr for d in problem.define if not d.params}
        self.table += [(full, n) for body, n in list(self.table) if named_function(body)
                       and (full := _expanded(body, plain)) != body]
        self.bodies: dict[str, Expr] = {}
        for body, n in self.table:
            self.bodies.setdefault(n.id, body)
        self.defined = {d.name for d in problem.define}
        self.order = list(dict.fromkeys(n.id for _, n in self.table))

    def fold(self, e: Expr) -> Expr:
        """``e`` with every occurrence of an intermediate's definition replaced by its name."""
        for _ in range(len(self.table) + 1):
            new = e
            for body, name in self.table:
                new = _replace(new, body, name)
            if new == e:
                return e
            e = new
        return e

    def used(self, e: Expr) -> list[str]:
        """The intermediates ``e`` refers to, with those their definitions refer to, in file order."""
        found: set[str] = set()
        todo = [n for n in names_in(e) if n in self.bodies]
        while todo:
            n = todo.pop()
            if n not in found:
                found.add(n)
                todo.extend(m for m in names_in(self.bodies[n]) if m in self.bodies)
        return [n for n in self.order if n in found]

    def fold_step(self, step: Step) -> Step:
        math = tuple(rel if self._defines(rel) else self.fold_relation(rel) for rel in step.math)
        return replace(step, math=math, substeps=tuple(self.fold_step(s) for s in step.substeps))

    def _defines(self, rel: Relation) -> bool:
        head = rel.parts[0] if rel.parts else None
        named = isinstance(head, Name) and head.id in self.bodies
        return named and bool(rel.ops) and rel.ops[0] in (":=", "=")

    def fold_relation(self, rel: Relation) -> Relation:
        if len(rel.parts) > 2 and rel.ops[-1] in ("∈", "in") and _scalar_space(rel.parts[-1]):
            rel = Relation(rel.parts[:-1], rel.ops[:-1])  # "∈ ℝ" after a scalar says nothing new
        return Relation(tuple(self.fold_math(p) for p in rel.parts), rel.ops)

    def fold_math(self, obj: Math) -> Math:
        if isinstance(obj, Expr):
            return self.fold(obj)
        if isinstance(obj, Deriv):
            return Deriv(self.fold_math(obj.of), obj.wrt, obj.partial)
        if isinstance(obj, Under):
            if all(d == 1 for d in obj.shape):  # no brace with "1" under a scalar
                return self.fold_math(obj.body)
            return Under(self.fold_math(obj.body), obj.shape)
        if isinstance(obj, Product):
            return Product(tuple(self.fold_math(f) for f in obj.factors))
        if isinstance(obj, Block):
            return Block(tuple(tuple(self.fold_math(c) for c in row) for row in obj.rows))
        if isinstance(obj, Cases):
            return Cases(tuple((self.fold_math(v), c) for v, c in obj.cases))
        return obj


def named_function(e: Expr) -> bool:
    """``p = softmax(z)``: short, but the lectures write the result in p (∂p/∂z = diag(p) − ppᵀ)."""
    return isinstance(e, Call) and e.func in ("softmax", "logsumexp")


def _scalar_space(obj: object) -> bool:
    return isinstance(obj, Space) and not any(g for g in obj.groups)


def _size(e: Expr) -> int:
    """Nodes in an expression: an intermediate worth a name is more than ``cos t``."""
    return 1 + sum(_size(c) for c in children(e))


def _expanded(e: Expr, plain: dict[str, Expr], depth: int = 0) -> Expr:
    """``e`` with every defined name replaced by its definition, all the way down to the givens."""
    if isinstance(e, Name) and e.id in plain and depth < 50:
        return _expanded(plain[e.id], plain, depth + 1)
    return map_children(e, lambda c: _expanded(c, plain, depth))


def _replace(e: Expr, body: Expr, name: Name) -> Expr:
    if e == body:
        return name
    return map_children(e, lambda c: _replace(c, body, name))


_COMPOSITION = re.compile(r"\b([a-zA-Z])\s*\(\s*([a-zA-Z])\s*\(\s*([a-zA-Z])\s*\)\s*\)")


def composition_letters(problem: Problem, wrt: str) -> tuple[str, str] | None:
    """The statement's names for a composition ``g(f(x))`` in ``wrt``, if it writes one and they are free."""
    taken = {v.name for v in problem.given} | {d.name for d in problem.define}
    for m in _COMPOSITION.finditer(problem.statement or ""):
        outer, inner, var = m.groups()
        if var == wrt and outer != inner and not {outer, inner} & taken:
            return outer, inner
    return None


def outer_function(problem: Problem, of: str) -> tuple[str, str] | None:
    """For ``h(t): f(g(t))``: ``("f", "x")``, the outer function and the parameter the chain rule names.

    The lecture writes the factor as ∂f/∂x, the outer function's own name, not ∂h/∂x.
    """
    d = problem.definition(of)
    if d is None or not isinstance(d.expr, Call):
        return None
    outer = problem.definition(d.expr.func)
    if outer is None or len(outer.params) != 1 or not isinstance(d.expr.args[0], Call):
        return None
    return outer.name, outer.params[0]


def rename_outer(steps: tuple[Step, ...], of: str, outer: tuple[str, str]) -> tuple[Step, ...]:
    """∂h/∂x written ∂f/∂x (and ∂h/∂x_k as ∂f/∂x_k) throughout, for ``h = f(g(t))`` through ``x``."""
    name, param = outer

    def fix(obj: Math) -> Math:
        if isinstance(obj, Deriv) and obj.of == Name(of) and _about(obj.wrt, param):
            return Deriv(Name(name), obj.wrt, obj.partial)
        if isinstance(obj, (Under,)):
            return Under(fix(obj.body), obj.shape)
        if isinstance(obj, Product):
            return Product(tuple(fix(f) for f in obj.factors))
        if isinstance(obj, Block):
            return Block(tuple(tuple(fix(c) for c in row) for row in obj.rows))
        return obj

    def fix_relation(rel: Relation) -> Relation:
        return Relation(tuple(fix(p) for p in rel.parts), rel.ops)

    def step_fix(step: Step) -> Step:
        facts = dict(step.facts)
        symbol = facts.get("symbol")
        if isinstance(symbol, Deriv):
            facts["symbol"] = fix(symbol)
        return replace(step, math=tuple(fix_relation(r) for r in step.math), facts=facts,
                       substeps=tuple(step_fix(s) for s in step.substeps))

    return tuple(step_fix(s) for s in steps)


def _about(wrt: object, param: str) -> bool:
    return wrt == Name(param) or (isinstance(wrt, Index) and wrt.base == Name(param))


# --- names the lectures introduce ----------------------------------------------------------------


def gram_columns(problem: Problem, derivation: Derivation, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """K = RᵀR entry by entry as MML 5.13 writes it: K_pq = r_pᵀ r_q = Σ_m R_mp R_mq, r_i column i of R."""
    d = problem.definition(derivation.of)
    body = d.expr if d is not None else None
    if not (isinstance(body, BinOp) and body.op == "@" and isinstance(body.left, Transpose)
            and isinstance(body.left.arg, Name) and body.left.arg == body.right):
        return steps
    matrix = body.left.arg.id
    out = []
    for step in steps:
        rel = step.math[0] if step.kind == "index_notation" and len(step.math) == 1 else None
        if rel is not None and isinstance(rel.parts[0], Entry) and len(rel.parts[0].indices) == 2:
            p, q = rel.parts[0].indices
            columns = Product((Column(matrix, p, transposed=True), Column(matrix, q)))
            step = replace(step, math=(Relation((rel.parts[0], columns, *rel.parts[1:])),),
                           facts={**step.facts, "columns": matrix})
        out.append(step)
    return tuple(out)


def entries_matrix(problem: Problem, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """∂f_i/∂x_j = A_ij collected as MML Example 5.9 writes it: [A_11 ⋯ A_1N; ⋮; A_M1 ⋯ A_MN] = A."""
    partial = next((s for s in steps if s.kind == "partials" and s.math), None)
    collate = next((n for n, s in enumerate(steps)
                    if s.kind == "collate" and s.facts.get("layout") == "stack"), None)
    if partial is None or collate is None:
        return steps
    entry = _single_entry(partial.math[-1].parts[-1])
    rel = steps[collate].math[0] if steps[collate].math else None
    if entry is None or rel is None or len(rel.parts) != 3:
        return steps
    name, (rows, cols) = entry
    var = problem.var(name)
    if var is None or len(var.shape) != 2 or (str(var.shape[0]), str(var.shape[1])) != (rows, cols):
        return steps
    corner = {"h": MatrixDots("h"), "v": MatrixDots("v"), "d": MatrixDots("d")}
    block = Block((
        (Entry(name, ("1", "1")), corner["h"], Entry(name, ("1", cols))),
        (corner["v"], corner["d"], corner["v"]),
        (Entry(name, (rows, "1")), corner["h"], Entry(name, (rows, cols))),
    ))
    new = Relation((rel.parts[0], rel.parts[1], block, Name(name), rel.parts[2]), ("=", "=", "=", "∈"))
    rest = tuple(s for s in steps[collate + 1:] if s.kind != "closed_form")  # "= A" says it
    return steps[:collate] + (replace(steps[collate], math=(new,)),) + rest


def _single_entry(x: object) -> tuple[str, tuple[str, str]] | None:
    """``A_ij`` as (A, (M, N)) when an index expression is exactly one entry of a matrix by its two
    free indices, in order."""
    if not isinstance(x, IExpr) or len(x.terms) != 1:
        return None
    term = x.terms[0]
    if term.coeff != 1 or term.sums or len(term.factors) != 1 or not isinstance(term.factors[0], Ent):
        return None
    ent = term.factors[0]
    if len(ent.idx) != 2 or not all(isinstance(i, Idx) for i in ent.idx):
        return None
    return ent.name, (str(ent.idx[0].dim), str(ent.idx[1].dim))  # type: ignore[union-attr]
