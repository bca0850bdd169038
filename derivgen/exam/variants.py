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
#: Sizes of symbolic dimensions are redrawn among these (small: a paper shows the arrays).
SIZES = (2, 3, 4, 5)
#: Whole exponents are redrawn among these.
EXPONENTS = (2, 3, 4, 5)

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
    sizes: dict[str, int] = field(default_factory=dict)
    """Symbolic dimension (its name as written) -> new concrete size."""
    exponents: dict[int, int] = field(default_factory=dict)
    """Integer exponent -> new value (only where the problem's text never writes the number)."""

    def is_identity(self) -> bool:
        return all(k == v for m in (self.names, self.dims, self.constants, self.sizes, self.exponents)
                   for k, v in m.items())

    def as_json(self) -> dict[str, dict[str, object]]:
        return {"names": dict(self.names), "dims": dict(self.dims),
                "constants": {str(k): v for k, v in self.constants.items()}, "sizes": dict(self.sizes),
                "exponents": {str(k): v for k, v in self.exponents.items()}}

    def letters_only(self) -> Renaming:
        """The same names and dimensions with the numbers (constants, sizes) as written."""
        return Renaming(self.names, self.dims)


# --- drawing a renaming ------------------------------------------------------------------------


def draw(problem: Problem, rng: random.Random, constants: bool = True, turn: int = 0) -> Renaming:
    """A renaming of ``problem`` drawn from ``rng``; with ``constants=False`` numbers stay.

    ``turn`` counts the versions (from an offset the seed draws): sizes, constants and exponents
    are taken in turn from their pools, so that versions get different ones while there are enough.

    A fresh name is none the problem uses anywhere: not a given, define, function parameter or
    dimension, and no symbol written in the math of its title, statement or ``latex:`` overrides
    (a label renamed to ``p`` would otherwise meet the statement's ``p_k``).
    """
    taken = set(used_names(problem)) | math_symbols(problem) | set(BUILTINS) | FIXED
    names: dict[str, str] = {}
    for var in problem.given:
        pool = _pool_of(var.name)
        if pool is not None:
            names[var.name] = _pick(rng, pool, taken, keep=var.name)
    dims = {d: _pick(rng, DIMS, taken, keep=d) for d in dimensions(problem)}
    values = {c: _in_turn(CONSTANTS, c, turn) for c in redrawable_constants(problem)} if constants else {}
    if not constants:
        return Renaming(names, dims)
    powers = {k: _in_turn(EXPONENTS, k, turn) for k in redrawable_exponents(problem)}
    return Renaming(names, dims, values, _draw_sizes(problem, turn), powers)


def _in_turn(pool: tuple[int, ...], old: int, turn: int) -> int:
    """Another number than ``old`` from ``pool``, taken in turn: consecutive versions differ."""
    others = [n for n in pool if n != old]
    return others[(turn + old) % len(others)]


def redrawable_exponents(problem: Problem) -> list[int]:
    """Whole exponents from 2 to 5 that the math of the title and statement writes only as powers
    (``x^2``), if at all.

    The statement's powers follow them (``x^2`` becomes ``x^3``); a number the math writes
    anywhere else (a coefficient), a size or a number in a shape stays as it is.  Subscripts
    (the 2 of ``x_2^2``) and prose never change, and their numbers (a section number in the
    source) are not the formula's.
    """
    maths = [m.group(1) or m.group(2)
             for t in (problem.title, problem.statement or "") for m in _MATH.finditer(t)]
    elsewhere = {int(m.group(1)) for tex in maths for m in re.finditer(r"(\d+)", tex)
                 if not _after_script(tex, m.start())}
    elsewhere |= set(problem.sizes.values())  # R^3 would follow a redrawn x**3; an index is no power
    elsewhere |= {d for v in problem.given for d in v.shape if isinstance(d, int)}
    found: set[int] = set()
    exprs = [d.expr for d in problem.define]
    while exprs:
        e = exprs.pop()
        if isinstance(e, BinOp) and e.op == "^" and isinstance(e.right, Num) and type(e.right.value) is int:
            found.add(e.right.value)
        exprs.extend(children(e))
    return sorted(k for k in found if k in EXPONENTS and k not in elsewhere)


def _after_power(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return before.endswith(("^", "^{")) and not text[start:].lstrip("0123456789").startswith((".", ","))


def _draw_sizes(problem: Problem, turn: int) -> dict[str, int]:
    """New sizes for the dimensions whose size the problem's text never states.

    Every symbolic dimension of a given counts, with the size the check would use when the file
    gives none.  Equal sizes stay equal and different ones different (a square matrix stays
    square); a size that some shape writes as a number, or that the title or statement writes,
    stays as it is, and so does every size other sizes are drawn around.
    """
    from derivgen.check.numeric import concrete_sizes

    dims = {d for v in problem.given for d in v.shape if isinstance(d, str)}
    current = {d: n for d, n in concrete_sizes(problem).items() if d in dims}
    fixed = {d for v in problem.given for d in v.shape if isinstance(d, int)}
    fixed |= {d for df in problem.define if df.shape for d in df.shape if isinstance(d, int)}
    written = {int(n) for n in re.findall(r"\d+", (problem.title or "") + (problem.statement or ""))}
    olds = sorted({n for n in current.values() if n not in fixed | written and 2 <= n <= max(SIZES)})
    kept = set(current.values()) - set(olds)
    floor = max([2, *_indices(problem)])
    pool = [n for n in SIZES if n >= floor and n not in kept]
    if not olds or len(pool) < len(olds):
        return {}
    shift = (turn + 1) % len(pool)
    news = (pool[shift:] + pool[:shift])[:len(olds)]
    mapping = dict(zip(olds, news, strict=True))
    return {d: mapping[n] for d, n in current.items()
            if n in mapping and (mapping[n] != n or d not in problem.sizes)}


def _indices(problem: Problem) -> set[int]:
    """Every constant index the problem writes (``x[3]`` needs a size of at least 3)."""
    found: set[int] = set()
    exprs = [d.expr for d in problem.define] + [w for f in problem.find for w in f.wrt]
    while exprs:
        e = exprs.pop()
        if isinstance(e, Index):
            found.update(e.indices)
        exprs.extend(children(e))
    return found


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


def _pick(rng: random.Random, pool: tuple[T, ...], taken: set[T], keep: T | None = None) -> T:
    """A fresh member of ``pool``; ``keep`` (the name as written) when none is left."""
    choices = [c for c in pool if c not in taken]
    if not choices:
        if keep is None:
            raise ValueError("no fresh value left to draw")
        return keep
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


def math_symbols(problem: Problem) -> set[str]:
    """Every symbol the problem's text writes: each letter and command name in its math (title,
    statement, source, ``latex:``), and each letter standing alone in its prose ("where p is")."""
    texts = [problem.title, problem.statement or "", problem.source or ""]
    texts += [v.latex for v in problem.given if v.latex] + [d.latex for d in problem.define if d.latex]
    found: set[str] = set()
    for text in texts[:3]:
        for m in _MATH.finditer(text):
            _symbols(m.group(1) if m.group(1) is not None else m.group(2), found)
        found.update(re.findall(r"(?<![\\\w])[A-Za-z](?![\w])", _MATH.sub(" ", text)))
    for text in texts[3:]:  # latex: overrides are math without dollars
        _symbols(text, found)
    return found


def _symbols(tex: str, found: set[str]) -> None:
    for m in _TOKEN.finditer(tex):
        if m.group(1) is not None:
            found.add(m.group(1))
            if m.group(2) is not None and m.group(1) not in TEXT_COMMANDS:
                _symbols(m.group(2)[1:-1], found)
        elif m.group(3) is not None:
            found.add(m.group(3))


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
    # A function's parameters are renamed with the givens: ``h(t): f(g(t))`` with ``given: t``
    # stays the function of the given (``find: dh/dt``), and fresh names never meet a parameter.
    define = tuple(replace(d, params=tuple(r.names.get(q, q) for q in d.params),
                           expr=rename_expr(d.expr, r, set()),
                           shape=_shape(d.shape, r) if d.shape is not None else None,
                           latex=rename_math(d.latex, r) if d.latex else d.latex)
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
    sizes = {r.dims.get(k, k): r.sizes.get(k, v) for k, v in problem.sizes.items()}
    sizes.update({r.dims.get(k, k): v for k, v in r.sizes.items()})  # sizes the file left to the check
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
        if e.op == "^" and isinstance(e.right, Num) and type(e.right.value) is int:
            power = Num(r.exponents.get(e.right.value, e.right.value), e.right.offset)
            return BinOp(e.op, rename_expr(e.left, r, bound), power, e.offset)
        right_r = Renaming(r.names, r.dims) if e.op == "^" else r  # other exponents keep their numbers
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

    Numbers right after ``_`` (subscripts) are left alone; a number right after ``^`` is a power
    and follows the redrawn exponents (:func:`redrawable_exponents` redraws only those the text
    writes as powers alone).
    """
    letters = {**r.dims, **r.names}
    numbers = {str(k): str(v) for k, v in r.constants.items()}
    powers = {str(k): str(v) for k, v in r.exponents.items()}

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
        if number is not None and _after_power(m.string, m.start()):
            return powers.get(number, number)
        if number is not None and not _after_script(m.string, m.start()):
            return numbers.get(number, number)
        return whole

    return _TOKEN.sub(one, tex)


def _after_script(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return before.endswith(("_", "^", "_{", "^{"))
