"""What a problem's expressions may refer to, while its ``define`` entries are checked in order.

A :class:`Scope` holds the givens, the plain defines read so far (with their
shapes) and the user functions.  It answers three questions about an
expression: do its names and calls make sense here (:meth:`Scope.name_errors`),
what is its shape (:meth:`Scope.shape`, which checks every call of a user
function with the shapes of its arguments), and how large it becomes once
every define is written out (:class:`Growth`, so that a file cannot ask for
an exponentially large expansion).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from derivgen.errors import ExpressionError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    ListLit,
    Name,
    Neg,
    Num,
    Shape,
    Transpose,
    children,
)
from derivgen.problem.functions import FUNCTIONS, takes_size
from derivgen.problem.shapes import ShapeEnv, infer
from derivgen.problem.suggest import caret_transposes, unknown_function, unknown_name
from derivgen.problem.text import to_text


@dataclass(frozen=True)
class Function:
    """A user function from ``define``, e.g. ``f(x): exp(x[1]*x[2]**2)``."""

    name: str
    """The function's name."""
    params: tuple[str, ...]
    """Parameter names, in order."""
    body: Expr
    """The right-hand side."""
    visible: Mapping[str, Shape]
    """Shapes of the givens and plain defines written above it (its body may use them)."""


@dataclass
class Scope:
    """Names known while the defines are read, top to bottom."""

    shapes: dict[str, Shape]
    """Givens, then each plain define once it has checked out."""
    sizes: Mapping[str, int]
    """Concrete sizes, used to unify dimensions."""
    dims: frozenset[str]
    """Symbolic dimensions of the givens (what ``eye(N)`` may name)."""
    later: dict[str, int] = field(default_factory=dict)
    """Defines not reached yet, with their line, for 'used before its definition'."""
    functions: dict[str, Function] = field(default_factory=dict)
    """User functions read so far."""
    broken: set[str] = field(default_factory=set)
    """Defines that had an error: whatever uses them is not checked again."""
    _calls: dict[tuple[str, tuple[Shape, ...]], Shape | str] = field(default_factory=dict)

    # --- names -----------------------------------------------------------------

    def name_errors(self, e: Expr, params: tuple[str, ...] = ()) -> tuple[list[ExpressionError], bool]:
        """Errors about names and calls in ``e``, and whether it uses a define that had an error."""
        errors: list[ExpressionError] = []
        uses_broken = False
        carets = caret_transposes(e)
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, Name):
                problem = self._name_problem(node.id, params)
                if problem is not None and problem != "broken" and node.offset in carets:
                    problem = carets[node.offset]  # e^T: the transpose is e.T
            elif isinstance(node, Call):
                problem = self._call_problem(node, params)
                if not takes_size(node):
                    stack.extend(node.args)
            else:
                problem = None
                stack.extend(children(node))
            if problem == "broken":
                uses_broken = True
            elif problem is not None:
                errors.append(ExpressionError(problem, getattr(node, "offset", 0)))
        return sorted(errors, key=lambda x: x.offset), uses_broken

    def _name_problem(self, name: str, params: tuple[str, ...]) -> str | None:
        if name in params or name in self.shapes or name in self.dims:  # a size is a number: x / N
            return None
        if name in self.functions or name in FUNCTIONS:
            example = ", ".join(self.functions[name].params) if name in self.functions else "x"
            return f"{name} is a function: call it, e.g. {name}({example})"
        return self._missing(name, "name", params)

    def _missing(self, name: str, what: str, params: tuple[str, ...]) -> str:
        if name in self.broken:
            return "broken"
        if name in self.later:
            return f"{name} is used before its definition (line {self.later[name]}); define it above"
        if what == "function":
            return unknown_function(name, self.functions)
        return unknown_name(name, [*params, *self.shapes, *sorted(self.dims)])

    def _call_problem(self, call: Call, params: tuple[str, ...]) -> str | None:
        f, n = call.func, len(call.args)
        if f in self.functions or f in FUNCTIONS:
            arity = len(self.functions[f].params) if f in self.functions else FUNCTIONS[f].arity
            if f not in self.functions and FUNCTIONS[f].axis and n == 2:
                return None  # sum(X, axis): the axis is checked with the shapes
            if n != arity:
                return f"{f} takes {arity} argument{'s' if arity != 1 else ''}, not {n}"
            return self._eye_problem(call) if takes_size(call) else None
        if f in params or f in self.shapes:
            return f"{f} is a variable, not a function (write {f}*(...) for a product)"
        return self._missing(f, "function", params)

    def _eye_problem(self, call: Call) -> str | None:
        arg = call.args[0]
        if isinstance(arg, Num) and isinstance(arg.value, int) and arg.value > 0:
            return None
        if isinstance(arg, Name) and arg.id in self.dims:
            return None
        dims = ", ".join(sorted(self.dims)) or "none"
        return f"{call.func} takes a size: a positive whole number or a dimension name (dimensions: {dims})"

    # --- shapes ----------------------------------------------------------------

    def shape(self, e: Expr, params: Mapping[str, Shape] | None = None) -> Shape:
        """The shape of ``e``, calls of user functions checked with their arguments' shapes."""
        env = ShapeEnv({**self.numbers(), **self.shapes, **(params or {})}, self.sizes)
        return infer(self._resolve(e, env), env)

    def numbers(self) -> dict[str, Shape]:
        """The size names, each usable as a number (``x / N``): scalars."""
        return {d: () for d in self.dims}

    def _resolve(self, e: Expr, env: ShapeEnv) -> Expr:
        """``e`` with each user call replaced by a name standing for its result,
        whose shape goes into ``env``."""
        if isinstance(e, Call) and e.func in self.functions:
            args = tuple(self._resolve(a, env) for a in e.args)
            shape = self.call_shape(e, tuple(infer(a, env) for a in args))
            result = Name(to_text(e), offset=e.offset)
            env.shapes[result.id] = shape
            return result
        return _mapchildren(e, lambda c: self._resolve(c, env))

    def call_shape(self, call: Call, arg_shapes: tuple[Shape, ...]) -> Shape:
        """Shape of a user function's result for these argument shapes (remembered per shapes)."""
        key = (call.func, arg_shapes)
        if key not in self._calls:
            fn = self.functions[call.func]
            env = ShapeEnv({**self.numbers(), **fn.visible, **dict(zip(fn.params, arg_shapes, strict=True))},
                           self.sizes)
            try:
                self._calls[key] = infer(self._resolve(fn.body, env), env)
            except ExpressionError as err:
                self._calls[key] = err.message
        found = self._calls[key]
        if isinstance(found, str):
            raise ExpressionError(f"calling {to_text(call)}: {found}", call.offset)
        return found


def _mapchildren(e: Expr, f: Callable[[Expr], Expr]) -> Expr:
    """``e`` with ``f`` applied to each direct child; offsets kept."""
    if isinstance(e, (Neg, Transpose)):
        return replace(e, arg=f(e.arg))
    if isinstance(e, BinOp):
        return replace(e, left=f(e.left), right=f(e.right))
    if isinstance(e, Call):
        return replace(e, args=tuple(f(a) for a in e.args))
    if isinstance(e, Index):
        return replace(e, base=f(e.base))
    if isinstance(e, ListLit):
        return replace(e, items=tuple(f(a) for a in e.items))
    return e


# --- how large an expression becomes with every define written out ---------------


@dataclass(frozen=True)
class Size:
    """Nodes and depth of an expansion, as functions of the expansions of some parameters.

    nodes = ``nodes`` + sum of ``per_param_nodes[p]`` × nodes(arg p);
    depth = max(``depth``, max of ``per_param_depth[p]`` + depth(arg p)).
    Both are capped at ``cap``, which is enough to tell that a limit is exceeded.  Each
    define written out counts as one more level, so the depth also bounds how many
    definitions :meth:`Problem.expand` passes through.
    """

    nodes: int
    """Nodes that do not come from a parameter."""
    depth: int
    """Depth reached without a parameter."""
    per_param_nodes: Mapping[str, int] = field(default_factory=dict)
    """How many copies of each parameter's argument the expansion holds."""
    per_param_depth: Mapping[str, int] = field(default_factory=dict)
    """How deep each parameter's argument sits."""


class Growth:
    """Sizes of the defines' expansions, computed once per define, never by expanding."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.defines: dict[str, Size] = {}
        self.params: dict[str, tuple[str, ...]] = {}

    def add(self, name: str, params: tuple[str, ...], body: Expr) -> Size:
        size = self.of(body, params)
        self.defines[name] = size
        self.params[name] = params
        return size

    def of(self, e: Expr, params: tuple[str, ...] = ()) -> Size:
        if isinstance(e, Name) and e.id in params:
            return Size(0, 0, {e.id: 1}, {e.id: 0})
        if isinstance(e, Name) and e.id in self.defines and not self.params[e.id]:
            d = self.defines[e.id]
            return Size(d.nodes, d.depth + 1)  # writing a define out is one more level
        if isinstance(e, Call) and e.func in self.defines:
            args = [self.of(a, params) for a in e.args]
            return self._apply(self.defines[e.func], self.params[e.func], args)
        parts = [self.of(c, params) for c in children(e)]
        return self._combine(Size(1, 1), parts, depth_step=1)

    def _apply(self, fn: Size, names: tuple[str, ...], args: list[Size]) -> Size:
        """The size of a call: the body with each parameter replaced by its argument, one level deeper."""
        out = Size(fn.nodes, fn.depth + 1)
        for p, arg in zip(names, args, strict=True):
            copies = fn.per_param_nodes.get(p, 0)
            lift = fn.per_param_depth[p] + 1 if p in fn.per_param_depth else None
            scaled = Size(
                copies * arg.nodes,
                lift + arg.depth if lift is not None else 0,
                {q: copies * k for q, k in arg.per_param_nodes.items()},
                {q: lift + d for q, d in arg.per_param_depth.items()} if lift is not None else {},
            )
            out = self._combine(out, [scaled], depth_step=0)
        return out

    def _combine(self, base: Size, parts: list[Size], depth_step: int) -> Size:
        nodes, depth = base.nodes, base.depth
        per_nodes: dict[str, int] = dict(base.per_param_nodes)
        per_depth: dict[str, int] = dict(base.per_param_depth)
        for part in parts:
            nodes += part.nodes
            depth = max(depth, part.depth + depth_step)
            for p, k in part.per_param_nodes.items():
                per_nodes[p] = min(self.cap, per_nodes.get(p, 0) + k)
            for p, d in part.per_param_depth.items():
                per_depth[p] = min(self.cap, max(per_depth.get(p, 0), d + depth_step))
        return Size(min(self.cap, nodes), min(self.cap, depth), per_nodes, per_depth)
