"""Exam variants: the same problem with other letters and other constants, drawn from a seed.

A :class:`Renaming` maps given variables to fresh names of the same kind (a
lowercase letter to a lowercase letter, a capital to a capital, a Greek name
to a Greek name, so vectors stay lowercase and matrices capital), symbolic
dimensions to other capitals, and integer coefficients to other integers.
Fresh names never clash with any name, dimension, parameter or built-in
function of the problem.  :func:`apply` rewrites every expression of the
problem (given, define, find, sizes) and the ``$...$`` math of its title and
statement, token by token: ``\\boldsymbol{x}`` becomes ``\\boldsymbol{z}``,
``\\theta`` becomes ``\\phi``, and the arguments of ``\\mathbb``, ``\\mathrm``,
``\\text`` and ``\\operatorname`` are never touched.

A constant is redrawn only where that is safe: a positive integer (2 or more)
that the problem uses only as a coefficient -- never as an exponent, an index
or a size -- so the statement's numbers can follow it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TypeVar, overload

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
    names_in,
)
from derivgen.problem.functions import BUILTINS
from derivgen.problem.model import Problem

LOWER = tuple("abcpqrstuvwxyz")
UPPER = tuple("ABCFGHKLPQRSUVWXYZ")
DIMS = tuple("DKLMNPQS")  # not R: it would read as the reals in \mathbb{R}^{R}
GREEK_LOWER = ("alpha", "beta", "gamma", "eta", "theta", "kappa", "mu", "nu", "xi", "rho", "tau",
               "phi", "psi", "omega", "zeta")
GREEK_UPPER = ("Gamma", "Theta", "Lambda", "Xi", "Phi", "Psi", "Omega")
#: Letters with a fixed meaning in the lectures' notation: never renamed, never drawn.
FIXED = frozenset("deijklnoIOTE") | frozenset({"sigma", "pi", "lambda", "epsilon", "delta"})
#: Constants are redrawn among these.
CONSTANTS = (2, 3, 4, 5, 6, 7)

T = TypeVar("T", str, int)
#: Commands whose argument is text, not variables.
TEXT_COMMANDS = ("mathbb", "mathrm", "text", "operatorname", "mathcal", "begin", "end", "textrm", "textbf")


@dataclass(frozen=True)
class Renaming:
    """How one problem changes in one variant."""

    names: dict[str, str] = field(default_factory=dict)
    """Given variable -> new name."""
    dims: dict[str, str] = field(default_factory=dict)
    """Symbolic dimension -> new dimension."""
    constants: dict[int, int] = field(default_factory=dict)
    """Integer coefficient -> new value."""

    def is_identity(self) -> bool:
        return all(k == v for m in (self.names, self.dims, self.constants) for k, v in m.items())

    def as_json(self) -> dict[str, dict[str, object]]:
        return {"names": dict(self.names), "dims": dict(self.dims),
                "constants": {str(k): v for k, v in self.constants.items()}}


# --- drawing a renaming ------------------------------------------------------------------------


def draw(problem: Problem, rng: random.Random, constants: bool = True) -> Renaming:
    """A renaming of ``problem`` drawn from ``rng``; with ``constants=False`` numbers stay."""
    taken = set(used_names(problem)) | set(BUILTINS) | FIXED
    names: dict[str, str] = {}
    for var in problem.given:
        pool = _pool_of(var.name)
        if pool is not None:
            names[var.name] = _pick(rng, pool, taken)
    dims = {d: _pick(rng, DIMS, taken) for d in dimensions(problem)}
    values = {c: _pick(rng, CONSTANTS, {c}) for c in redrawable_constants(problem)} if constants else {}
    return Renaming(names, dims, values)


def _pool_of(name: str) -> tuple[str, ...] | None:
    """Names of the same kind as ``name``; None for names that are never renamed."""
    if name in FIXED:
        return None
    if len(name) == 1 and name.isascii() and name.isalpha():
        return LOWER if name.islower() else UPPER
    for pool in (GREEK_LOWER, GREEK_UPPER):
        if name in pool:
            return pool
    return None


def _pick(rng: random.Random, pool: tuple[T, ...], taken: set[T]) -> T:
    choices = [c for c in pool if c not in taken]
    if not choices:
        raise ValueError("no fresh name left to draw")
    choice = rng.choice(sorted(choices, key=str))
    if isinstance(choice, str):
        taken.add(choice)
    return choice


def used_names(problem: Problem) -> list[str]:
    """Every name and dimension the problem uses anywhere."""
    found: list[str] = [v.name for v in problem.given] + list(dimensions(problem))
    for d in problem.define:
        found += [d.name, *d.params, *names_in(d.expr)]
    return found


def dimensions(problem: Problem) -> list[str]:
    """Symbolic dimensions in file order."""
    shapes = [v.shape for v in problem.given] + [d.shape for d in problem.define if d.shape]
    found: list[str] = []
    for shape in shapes:
        found += [d for d in shape if isinstance(d, str) and d not in found]
    return found + [k for k in problem.sizes if k not in found]


def redrawable_constants(problem: Problem) -> list[int]:
    """Integer coefficients (2 or more) used nowhere else: not as exponents, indices or sizes."""
    coefficients: list[int] = []
    elsewhere: set[int] = {v for v in problem.sizes.values()}
    for var in problem.given:
        elsewhere |= {d for d in var.shape if isinstance(d, int)}
    for d in problem.define:
        _classify(d.expr, coefficients, elsewhere, exponent=False)
    for f in problem.find:
        for w in f.wrt:
            _classify(w, [], elsewhere, exponent=False)
    return sorted({c for c in coefficients if c not in elsewhere})


def _classify(e: Expr, coefficients: list[int], elsewhere: set[int], exponent: bool) -> None:
    if isinstance(e, Num):
        v = e.value
        if isinstance(v, int) and not isinstance(v, bool) and v >= 2 and not exponent:
            coefficients.append(v)
        elif isinstance(v, (int, Fraction)) or (isinstance(v, float) and v.is_integer()):
            elsewhere.add(int(v) if not isinstance(v, Fraction) or v.denominator == 1 else -1)
        return
    if isinstance(e, Index):
        elsewhere.update(e.indices)
        _classify(e.base, coefficients, elsewhere, exponent)
        return
    if isinstance(e, BinOp) and e.op == "^":
        _classify(e.left, coefficients, elsewhere, exponent)
        _classify(e.right, coefficients, elsewhere, True)
        return
    for child in _children(e):
        _classify(child, coefficients, elsewhere, exponent)


def _children(e: Expr) -> tuple[Expr, ...]:
    return children(e)


# --- applying it ---------------------------------------------------------------------------------


def apply(problem: Problem, r: Renaming) -> Problem:
    """The problem with the renaming applied everywhere (a new, frozen Problem)."""
    from derivgen.problem.text import to_text

    given = tuple(replace(v, name=r.names.get(v.name, v.name), shape=_shape(v.shape, r),
                          latex=rename_math(v.latex, r) if v.latex else v.latex) for v in problem.given)
    define = tuple(replace(d, expr=rename_expr(d.expr, r, set(d.params)),
                           shape=_shape(d.shape, r) if d.shape is not None else None)
                   for d in problem.define)
    finds = []
    for f in problem.find:
        of = r.names.get(f.of, f.of)
        wrt = tuple(rename_expr(w, r, set()) for w in f.wrt)
        wrt_text = to_text(wrt[0]) if len(wrt) == 1 else "(" + ", ".join(to_text(w) for w in wrt) + ")"
        first = tuple(rename_expr(w, r, set()) for w in f.first)
        text = f"d2{of}/d{wrt_text} d{to_text(first[0])}" if first else f"d{of}/d{wrt_text}"
        if f.degree is not None:  # taylor(f, [x, y], [1, 2], 2)
            names, at = (", ".join(to_text(w) for w in items) for items in (wrt, f.at))
            text = f"taylor({of}, [{names}], [{at}], {f.degree})" if len(wrt) > 1 else \
                f"taylor({of}, {names}, {at}, {f.degree})"
        finds.append(replace(f, text=text, of=of, wrt=wrt, first=first))
    sizes = {r.dims.get(k, k): v for k, v in problem.sizes.items()}
    return replace(problem, title=rename_text(problem.title, r), statement=rename_text(problem.statement, r),
                   given=given, define=define, find=tuple(finds), sizes=sizes)


def _shape(shape: Shape, r: Renaming) -> Shape:
    return tuple(r.dims.get(d, d) if isinstance(d, str) else d for d in shape)


def rename_expr(e: Expr, r: Renaming, bound: set[str]) -> Expr:
    """Names (except a function's own parameters) renamed and coefficients redrawn."""
    if isinstance(e, Name):
        return e if e.id in bound else Name(r.names.get(e.id) or r.dims.get(e.id) or e.id, e.offset)
    if isinstance(e, Num):
        v = e.value
        return Num(r.constants.get(v, v), e.offset) if type(v) is int else e
    if isinstance(e, BinOp):
        # an exponent keeps its numbers: only coefficients are redrawn
        right_r = Renaming(r.names, r.dims, {}) if e.op == "^" else r
        return BinOp(e.op, rename_expr(e.left, r, bound), rename_expr(e.right, right_r, bound), e.offset)
    if isinstance(e, Neg):
        return Neg(rename_expr(e.arg, r, bound), e.offset)
    if isinstance(e, Transpose):
        return Transpose(rename_expr(e.arg, r, bound), e.offset)
    if isinstance(e, Call):
        return Call(e.func, tuple(rename_expr(a, r, bound) for a in e.args), e.offset)
    if isinstance(e, Index):
        return Index(rename_expr(e.base, r, bound), e.indices, e.offset)
    if isinstance(e, ListLit):
        return ListLit(tuple(rename_expr(a, r, bound) for a in e.items), e.offset)
    return e


# --- the statement's math ------------------------------------------------------------------------

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)
_TOKEN = re.compile(r"\\([A-Za-z]+)\s*(\{[^{}]*\})?|\\.|([A-Za-z])|(\d+(?:\.\d+)?)")


@overload
def rename_text(text: str, r: Renaming) -> str: ...
@overload
def rename_text(text: None, r: Renaming) -> None: ...
def rename_text(text: str | None, r: Renaming) -> str | None:
    """Markdown with the renaming applied inside every ``$...$`` and ``$$...$$``; prose untouched."""
    if not text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return "$$" + rename_math(m.group(1), r) + "$$"
        return "$" + rename_math(m.group(2), r) + "$"

    return _MATH.sub(one, text)


def rename_math(tex: str, r: Renaming) -> str:
    """TeX math with whole tokens renamed: single letters, Greek commands, whole numbers.

    Numbers right after ``_`` or ``^`` (subscripts, powers) are left alone.
    """
    letters = {**r.dims, **r.names}
    numbers = {str(k): str(v) for k, v in r.constants.items()}

    def one(m: re.Match[str]) -> str:
        command, argument, letter, number = m.group(1), m.group(2), m.group(3), m.group(4)
        whole = m.group(0)
        if command is not None:
            if command in TEXT_COMMANDS:
                return whole
            head = "\\" + letters.get(command, command)
            if argument is None:
                return head + whole[1 + len(command):]
            between = whole[1 + len(command):-len(argument)]
            return head + between + "{" + rename_math(argument[1:-1], r) + "}"
        if letter is not None:
            return letters.get(letter, letter)
        if number is not None and not _after_script(m.string, m.start()):
            return numbers.get(number, number)
        return whole

    return _TOKEN.sub(one, tex)


def _after_script(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return before.endswith(("_", "^", "_{", "^{"))
