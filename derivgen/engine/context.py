"""What every derivation route needs to know about the problem it works in."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

from derivgen.derivation import Explicit, Step
from derivgen.derivation.index_form import IndexForm
from derivgen.problem.expr import Call, Expr, Index, ListLit, Name, Num, Shape, children, names_in
from derivgen.problem.model import Problem
from derivgen.problem.shapes import ShapeEnv, infer

#: Step kinds shown by default; ``steps:`` in a problem file narrows this.
ALL_STEPS = frozenset({
    "dimension", "index", "partials", "cases", "stack", "collate", "explicit", "vec", "chain", "closed",
    "justify",
})
#: Shown unless the problem asks otherwise: identities are justified, and
#: Figure 5.7's second route taken, only on request (``steps:`` or ``method: vec``).
DEFAULT_STEPS = ALL_STEPS - {"justify", "vec"}

T = TypeVar("T")


@dataclass(frozen=True)
class Ctx:
    """The problem, plus intermediates treated as variables inside a chain rule."""

    problem: Problem
    """The problem being solved."""
    shapes: Mapping[str, Shape]
    """Shapes of every name in scope (givens, plain defines, chain intermediates)."""
    want: frozenset[str] = ALL_STEPS
    """Which optional steps to show."""
    method: str = "auto"
    """The problem's ``method`` option."""
    intermediates: Mapping[str, Expr] = field(default_factory=dict)
    """Chain-rule intermediates in scope: name -> defining expression."""
    memo: dict[Hashable, object] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Work already done in this context (expansions, shapes, derivatives), each done once."""

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, worked out the first time ``key`` is asked for in this context only.

        A context's problem, shapes and intermediates never change, so neither
        does anything computed from them.  A failure is not remembered: it is
        raised again, the same way, the next time.
        """
        key = exact_key(key)
        try:
            # One key is always worked out by the same computation, so its value has that type.
            return cast(T, self.memo[key])
        except KeyError:
            value = self.memo[key] = compute()
            return value

    @staticmethod
    def of(problem: Problem) -> Ctx:
        """The problem's context: the same one for every ``find`` of the problem last asked for."""
        last = _LAST
        if last and last[0] is problem:
            return last[1]
        ctx = Ctx._new(problem)
        _LAST[:] = [problem, ctx]
        return ctx

    @staticmethod
    def _new(problem: Problem) -> Ctx:
        env = problem.shape_env()
        want = DEFAULT_STEPS
        steps = problem.options.get("steps")
        if isinstance(steps, (list, tuple)):
            want = frozenset(str(s) for s in steps) | {"dimension"}
        method = str(problem.options.get("method", "auto"))
        if method == "vec":
            want = want | {"vec"}
        return Ctx(problem, dict(env.shapes), want, method)

    @property
    def env(self) -> ShapeEnv:
        return ShapeEnv(self.shapes, self.problem.sizes)

    def shape(self, e: Expr) -> Shape:
        return self.once(("shape", e), lambda: infer(self.problem_expand_calls(e), self.env))

    def with_var(self, name: str, shape: Shape, definition: Expr) -> Ctx:
        """The inner context with ``name`` a variable; the same one each time it is asked for."""
        return self.once(("with_var", name, tuple(shape), definition),
                         lambda: self._with_var(name, shape, definition))

    def _with_var(self, name: str, shape: Shape, definition: Expr) -> Ctx:
        shapes = dict(self.shapes)
        shapes[name] = shape
        inter = dict(self.intermediates)
        inter[name] = definition
        return replace(self, shapes=shapes, intermediates=inter)

    @property
    def assume(self) -> dict[str, frozenset[str]]:
        """The givens' assumptions, and ``simplex`` for an intermediate p = softmax(·) (1ᵀp = 1)."""
        out = {v.name: v.assume for v in self.problem.given}
        for name, d in self.intermediates.items():
            if isinstance(d, Call) and d.func == "softmax":
                out[name] = out.get(name, frozenset()) | {"simplex", "softmax"}
        return out

    def names(self) -> set[str]:
        return set(self.shapes) | {d.name for d in self.problem.define}

    # --- dependencies ------------------------------------------------------------

    def defines_in(self, e: Expr) -> list[str]:
        """Plain defines (not in-scope variables) that e refers to, in order."""
        out = []
        for n in _names_ordered(e):
            d = self.problem.definition(n)
            if d is not None and not d.params and n not in self.intermediates and n not in out:
                out.append(n)
        return out

    def depends(self, e: Expr, wrt: str) -> bool:
        """Does e depend on the variable wrt (through defines, calls, intermediates)?"""
        return wrt in names_in(self.full_expand(e))

    def full_expand(self, e: Expr) -> Expr:
        """e in the given variables only (defines, calls and intermediates inlined)."""
        return self.once(("full_expand", e), lambda: self._full_expand(e))

    def _full_expand(self, e: Expr) -> Expr:
        from derivgen.problem.expr import substitute

        for _ in range(32):
            e2 = self.problem.expand(substitute(e, dict(self.intermediates)))
            if e2 == e:
                break
            e = e2
        return e

    def problem_expand_calls(self, e: Expr) -> Expr:
        """Inline user calls and plain defines, but keep chain intermediates as variables."""
        return self.once(("expand_calls", e), lambda: self._expand_calls(e))

    def _expand_calls(self, e: Expr) -> Expr:
        from derivgen.problem.expr import map_children, substitute

        if isinstance(e, Name):
            d = self.problem.definition(e.id)
            if d is None or d.params or e.id in self.intermediates:
                return e
            return self.problem_expand_calls(d.expr)
        if isinstance(e, Call) and self.problem.definition(e.func) is not None:
            d = self.problem.definition(e.func)
            assert d is not None
            args = {p: self.problem_expand_calls(a) for p, a in zip(d.params, e.args, strict=True)}
            body = self.problem_expand_calls(_shield(d.expr, d.params))
            return substitute(body, {"\0" + p: a for p, a in args.items()})
        if isinstance(e, Index):
            return Index(self.problem_expand_calls(e.base), e.indices)
        return map_children(e, self.problem_expand_calls)


#: The problem last given to :meth:`Ctx.of` and its context, so that the finds of
#: one problem share their work (one slot: a problem's finds are derived together).
_LAST: list = []


def exact_key(key: Hashable) -> Hashable:
    """``key``, told apart from keys Python counts equal to it.

    Trees compare by value, and ``2 == 2.0 == Fraction(2)``: a key holding a
    number that is not an ``int`` carries the type of every number as well, so
    ``x ^ 2`` and ``x ^ 2.0`` are not taken for each other.
    """
    kinds: list[type] = []
    stack: list[object] = [key]
    while stack:
        x = stack.pop()
        if isinstance(x, Num):
            kinds.append(type(x.value))
        elif isinstance(x, Expr):
            stack.extend(children(x))
        elif isinstance(x, tuple):
            stack.extend(x)
    return key if all(k is int for k in kinds) else (key, tuple(kinds))


def _shield(e: Expr, params: tuple[str, ...]) -> Expr:
    """Rename parameters so expanding defines cannot capture them."""
    from derivgen.problem.expr import substitute

    return substitute(e, {p: Name("\0" + p) for p in params})


def _names_ordered(e: Expr) -> list[str]:
    out: list[str] = []

    def walk(n: Expr) -> None:
        if isinstance(n, Name) and n.id not in out:
            out.append(n.id)
        for c in children(n):
            walk(c)

    walk(e)
    return out


def has_literal(e: Expr) -> bool:
    if isinstance(e, ListLit):
        return True
    return any(has_literal(c) for c in children(e))


def has_literal_in(e: Expr, wrt: str) -> bool:
    """Whether a literal array in ``e`` varies with ``wrt`` (``[t*cos(t), t*sin(t)]`` by t).

    A literal that does not (``[1, 1, 1].T @ v``, ``[[a, b], [c, d]] @ x`` by x) is a constant
    like any given matrix: the index and closed-form routes take it."""
    if isinstance(e, ListLit):
        return wrt in names_in(e)
    return any(has_literal_in(c, wrt) for c in children(e))


def uses_components(e: Expr, name: str) -> bool:
    if isinstance(e, Index) and isinstance(e.base, Name) and e.base.id == name:
        return True
    return any(uses_components(c, name) for c in children(e))


@dataclass
class Part:
    """A derivative worked out by one route, in the variables of its context."""

    steps: list[Step]
    """The worked steps (dimension excluded: the caller states it)."""
    closed: Expr | None = None
    """Closed form in lecture layout, or None."""
    index: IndexForm | None = None
    """Entry formula, when the index route ran."""
    explicit: Explicit | None = None
    """Nested tuples of scalar expressions in array layout, for concrete arrays."""


#: How a route derives a part it needs (a chain-rule factor, a whole gradient):
#: ``derive_part(ctx, of, expr, wrt, wrt_shape)``, that is :func:`derivgen.engine.derive.derive_part`,
#: passed in so that the routes do not import the module that chooses between them.
DerivePart = Callable[[Ctx, str, Expr, tuple[Expr, ...], Shape], Part]
