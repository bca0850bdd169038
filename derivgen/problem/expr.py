"""The expression tree: what a problem file's formulas become after parsing.

Nodes are frozen dataclasses, hashable and comparable by value.  ``offset``
(where the node starts in its source text) is kept for error messages only and
takes no part in equality, so two parses of ``A @ x`` compare equal.

Shapes follow the lectures: ``()`` is a scalar, ``(N,)`` a column vector,
``(1, N)`` a row vector, ``(M, N)`` a matrix.  A dimension is a positive
``int`` or a symbolic name such as ``"N"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeAlias

Dim: TypeAlias = int | str
Shape = tuple[Dim, ...]


@dataclass(frozen=True)
class Expr:
    """Base of all expression nodes."""


@dataclass(frozen=True)
class Num(Expr):
    """A numeric constant."""

    value: int | Fraction | float
    """The number; integers and fractions stay exact."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class Name(Expr):
    """A reference to a given variable, a defined quantity or a parameter."""

    id: str
    """The name as written."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class Neg(Expr):
    """Unary minus."""

    arg: Expr
    """The negated operand."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class BinOp(Expr):
    """A binary operation: ``+ - * / ^ @`` (``**`` is parsed as ``^``)."""

    op: str
    """One of ``+ - * / ^ @``."""
    left: Expr
    """Left operand."""
    right: Expr
    """Right operand."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class Transpose(Expr):
    """``X.T``."""

    arg: Expr
    """The transposed operand."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class Call(Expr):
    """A function applied to arguments: a built-in or a user function."""

    func: str
    """Function name, e.g. ``exp``, ``inv`` or a name from ``define``."""
    args: tuple[Expr, ...]
    """The arguments."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class Index(Expr):
    """A component ``x[i]`` or ``A[i, j]``, counted from 1."""

    base: Expr
    """The indexed vector or matrix."""
    indices: tuple[int, ...]
    """1-based constant indices."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


@dataclass(frozen=True)
class ListLit(Expr):
    """A vector literal ``[a, b]`` (items scalar) or matrix literal ``[[a, b], [c, d]]``."""

    items: tuple[Expr, ...]
    """Entries of a vector, or rows (themselves ``ListLit``) of a matrix."""
    offset: int = field(default=0, compare=False, repr=False)
    """Where the node starts in its source text (for errors only)."""


# --- small constructors used throughout the engine --------------------------

ZERO = Num(0)
ONE = Num(1)


def num(v: int | Fraction | float) -> Num:
    """A constant, with fractions that are whole numbers made ``int``."""
    if isinstance(v, Fraction) and v.denominator == 1:
        v = int(v.numerator)
    return Num(v)


def add(a: Expr, b: Expr) -> Expr:
    return BinOp("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    return BinOp("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    return BinOp("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    return BinOp("/", a, b)


def pow_(a: Expr, b: Expr) -> Expr:
    return BinOp("^", a, b)


def matmul(a: Expr, b: Expr) -> Expr:
    return BinOp("@", a, b)


def call(func: str, *args: Expr) -> Expr:
    return Call(func, tuple(args))


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(e, (Neg, Transpose)):
        return (e.arg,)
    if isinstance(e, BinOp):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Index):
        return (e.base,)
    if isinstance(e, ListLit):
        return e.items
    return ()


def names_in(e: Expr) -> set[str]:
    """Every name the expression refers to (not function names)."""
    out: set[str] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            out.add(node.id)
        stack.extend(children(node))
    return out


def substitute(e: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace names by expressions (used to expand ``define`` entries)."""
    if isinstance(e, Name):
        return mapping.get(e.id, e)
    if isinstance(e, Num):
        return e
    if isinstance(e, Neg):
        return Neg(substitute(e.arg, mapping))
    if isinstance(e, Transpose):
        return Transpose(substitute(e.arg, mapping))
    if isinstance(e, BinOp):
        return BinOp(e.op, substitute(e.left, mapping), substitute(e.right, mapping))
    if isinstance(e, Call):
        return Call(e.func, tuple(substitute(a, mapping) for a in e.args))
    if isinstance(e, Index):
        return Index(substitute(e.base, mapping), e.indices)
    if isinstance(e, ListLit):
        return ListLit(tuple(substitute(a, mapping) for a in e.items))
    raise TypeError(f"unknown node {type(e).__name__}")


def map_children(e: Expr, f: Callable[[Expr], Expr]) -> Expr:
    """The node with ``f`` applied to each direct sub-expression (the node itself if none changed)."""
    if isinstance(e, (Neg, Transpose)):
        arg = f(e.arg)
        return e if arg is e.arg else type(e)(arg)
    if isinstance(e, BinOp):
        left, right = f(e.left), f(e.right)
        return e if left is e.left and right is e.right else BinOp(e.op, left, right)
    if isinstance(e, Call):
        args = tuple(f(a) for a in e.args)
        return e if all(a is b for a, b in zip(args, e.args, strict=True)) else Call(e.func, args)
    if isinstance(e, Index):
        base = f(e.base)
        return e if base is e.base else Index(base, e.indices)
    if isinstance(e, ListLit):
        items = tuple(f(a) for a in e.items)
        return e if all(a is b for a, b in zip(items, e.items, strict=True)) else ListLit(items)
    return e


def depth(e: Expr) -> int:
    """Nesting depth of the tree (iterative, safe for deep trees)."""
    best = 0
    stack = [(e, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in children(node))
    return best
