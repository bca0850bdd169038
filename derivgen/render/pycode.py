"""Expressions of the language as plain NumPy source, for ``--format py`` (:mod:`.python`).

A vector is a 1-D array ``(N,)`` and a matrix a 2-D array, as in
:mod:`derivgen.problem.evaluate`; a transposed vector stays 1-D (NumPy's
``x @ A`` and ``A @ x`` need no row or column), so ``x.T @ A @ x`` is written
as it reads and comes out a scalar.  The one product whose meaning 1-D arrays
lose, a column times a row (``a @ b.T``), is written ``np.outer(a, b)``.
Indices count from 0 in Python: ``x[1]`` is ``x[0]``.  Brackets follow the
language's own precedence table (:data:`derivgen.problem.text.PREC`), which
agrees with Python's.

Built-in functions are spelt by :data:`NUMPY` (``np.exp``, ``np.linalg.inv``);
a few (``sigma``, ``softmax``) are small functions written into the file
(:data:`HELPERS`).  An index formula (``∂K_pq/∂R_ij = δ_pj R_iq + δ_qj R_ip``)
becomes the entry of nested loops (:func:`index_entry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from derivgen.derivation.index_form import Delta, Ent, Factor, Fn, IExpr, IndexLike, Opaque, Pw, Size
from derivgen.errors import DerivgenError, RenderError
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose
from derivgen.problem.shapes import ShapeEnv, infer
from derivgen.problem.text import PREC, prec

#: How each built-in function of the language is written in NumPy.
NUMPY = {
    "sin": "np.sin", "cos": "np.cos", "tan": "np.tan", "exp": "np.exp", "log": "np.log",
    "sqrt": "np.sqrt", "tanh": "np.tanh", "log1p": "np.log1p", "abs": "np.abs", "sign": "np.sign",
    "inv": "np.linalg.inv", "det": "np.linalg.det", "tr": "np.trace", "norm": "np.linalg.norm",
    "sum": "np.sum", "diag": "np.diag", "eye": "np.eye", "ones": "np.ones", "zeros": "np.zeros",
    "sigma": "sigma", "softplus": "softplus", "relu": "relu", "step": "step", "softmax": "softmax",
    "logsumexp": "logsumexp",
}

#: The functions a generated file defines itself, when it uses them: NumPy has none of these names.
HELPERS = {
    "sigma": ('def sigma(z):\n    """The logistic function 1 / (1 + exp(-z)), entry by entry."""\n'
              "    return 1 / (1 + np.exp(-z))\n"),
    "softplus": ('def softplus(z):\n    """log(1 + exp(z)), entry by entry, without overflow."""\n'
                 "    return np.logaddexp(0, z)\n"),
    "relu": 'def relu(z):\n    """max(z, 0), entry by entry."""\n    return np.maximum(z, 0)\n',
    "step": ('def step(z):\n    """1 where z > 0, else 0: the derivative of relu."""\n'
             "    return np.where(z > 0, 1.0, 0.0)\n"),
    "softmax": ('def softmax(z, axis=None):\n'
                '    """exp(z) / sum(exp(z)) over all entries, or along an axis as NumPy counts them\n'
                '    (softmax(S, 1): each row), shifted by the largest entry."""\n'
                "    e = np.exp(z - np.max(z, axis=axis, keepdims=True))\n"
                "    return e / np.sum(e, axis=axis, keepdims=True)\n"),
    "logsumexp": ('def logsumexp(z, axis=None):\n'
                  '    """log(sum(exp(z))) over all entries, or along an axis (logsumexp(Z, 1): each row),\n'
                  '    without overflow."""\n'
                  "    m = np.max(z, axis=axis, keepdims=True)\n"
                  "    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))\n"
                  "    return np.squeeze(out) if axis is None else np.squeeze(out, axis=axis)\n"),
}


@dataclass
class Printer:
    """Writes expressions as NumPy inside one generated function."""

    env: ShapeEnv
    """Shapes of the givens and plain defines (to find a column times a row)."""
    name: Callable[[str], str]
    """The Python spelling of a given, define or size (``np`` -> ``np_``)."""
    calls: Mapping[str, tuple[str, ...]]
    """A define's arguments by define name: what ``e`` in ``norm(e)`` is called with."""
    local: frozenset[str] = frozenset()
    """Names that are the function's own parameters (of a define with parameters)."""
    used: set[str] = field(default_factory=set)
    """Built-in functions written so far (their helpers go into the file)."""

    def __call__(self, e: Expr) -> str:
        return self.expr(e)

    def expr(self, e: Expr) -> str:
        if isinstance(e, Num):
            return _number(e.value)
        if isinstance(e, Name):
            return self.name_of(e.id)
        if isinstance(e, Neg):
            return "-" + self.wrap(e.arg, PREC["neg"], strict=True)
        if isinstance(e, Transpose):
            return self.wrap(e.arg, PREC["atom"], strict=False) + ".T"
        if isinstance(e, Index):
            inner = ", ".join(str(i - 1) for i in e.indices)
            return self.wrap(e.base, PREC["atom"], strict=False) + f"[{inner}]"
        if isinstance(e, Call):
            return self.call(e)
        if isinstance(e, ListLit):
            return "np.array(" + self.list_items(e) + ")"
        if isinstance(e, BinOp):
            return self.binop(e)
        raise RenderError(f"--format py cannot write {type(e).__name__}")

    def name_of(self, ident: str) -> str:
        if ident in self.local or ident not in self.calls:
            return self.name(ident)
        return f"{self.name(ident)}({', '.join(self.name(a) for a in self.calls[ident])})"

    def list_items(self, e: ListLit) -> str:
        return "[" + ", ".join(self.list_items(i) if isinstance(i, ListLit) else self.expr(i)
                               for i in e.items) + "]"

    def call(self, e: Call) -> str:
        if e.func in self.calls:  # a define with parameters: its own arguments, then the givens it uses
            own = [self.expr(a) for a in e.args]
            extra = self.calls[e.func][len(own):]
            return f"{self.name(e.func)}({', '.join(own + [self.name(a) for a in extra])})"
        spelling = NUMPY.get(e.func)
        if spelling is None:
            raise RenderError(f"--format py: no NumPy spelling for the function '{e.func}' yet")
        self.used.add(e.func)
        if e.func in ("eye", "ones", "zeros"):
            return f"{spelling}({self.expr(e.args[0])})"
        args = [self.expr(a) for a in e.args]
        if e.func == "sum" and len(args) == 2:
            return f"np.sum({args[0]}, axis={args[1]})"
        return f"{spelling}({', '.join(args)})"

    def binop(self, e: BinOp) -> str:
        p = PREC[e.op]
        if e.op == "@" and self.column_times_row(e):
            right = e.right.arg if isinstance(e.right, Transpose) else e.right
            return f"np.outer({self.expr(e.left)}, {self.expr(right)})"
        op = "**" if e.op == "^" else e.op
        if e.op == "^":  # right-associative
            return f"{self.wrap(e.left, p, strict=True)} {op} {self.wrap(e.right, p, strict=False)}"
        return f"{self.wrap(e.left, p, strict=False)} {op} {self.wrap(e.right, p, strict=True)}"

    def column_times_row(self, e: BinOp) -> bool:
        """``a @ b.T`` with a column and a row: an outer product, which 1-D arrays cannot spell with @."""
        try:
            left, right = infer(e.left, self.env), infer(e.right, self.env)
        except DerivgenError:
            return False  # inside a define with parameters: shapes known only at each call
        return len(left) == 1 and len(right) == 2 and self.env.same(right[0], 1)

    def wrap(self, e: Expr, p: int, strict: bool) -> str:
        text = self.expr(e)
        if isinstance(e, BinOp) and e.op == "@" and self.column_times_row(e):
            return text  # np.outer(...) is an atom
        q = prec(e)
        return f"({text})" if q < p or (strict and q == p) else text


def _number(v: object) -> str:
    if isinstance(v, Fraction):
        return f"({v.numerator} / {v.denominator})" if v.denominator != 1 else str(v.numerator)
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --- index formulas: the entry of a loop ---------------------------------------------------------


@dataclass
class IndexWriter:
    """Writes an index formula's terms as a Python expression for one entry."""

    printer: Printer
    """For the matrices inside ``inv(...)`` and ``det(...)``."""
    hoisted: dict[tuple[str, Expr], str] = field(default_factory=dict)
    """``inv(X)`` and ``det(X)`` computed once before the loops, by (kind, matrix): the local name."""

    def iexpr(self, x: IExpr) -> str:
        if not x.terms:
            return "0.0"
        return " ".join(self.terms(x))

    def terms(self, x: IExpr) -> list[str]:
        """Each term with its sign: ``["(i == k) * x[q]", "- x[i]"]`` (the first sign only if -)."""
        if not x.terms:
            return ["0.0"]
        parts = []
        for t in x.terms:
            factors = [self.factor(f) for f in t.factors]
            coeff = abs(t.coeff)
            if coeff != 1 or not factors:
                factors.insert(0, _number(coeff))
            body = " * ".join(factors)
            for s in reversed(t.sums):
                body = f"sum({body} for {s.name} in range({self.dim(s.dim)}))"
            parts.append(("-" if t.coeff < 0 else "+", body))
        first = ("-" if parts[0][0] == "-" else "") + parts[0][1]
        return [first] + [f"{sign} {body}" for sign, body in parts[1:]]

    def factor(self, f: Factor) -> str:
        if isinstance(f, Ent):
            return self.printer.name(f.name) + (f"[{_indices(f.idx)}]" if f.idx else "")
        if isinstance(f, Delta):
            return f"({_index(f.a)} == {_index(f.b)})"
        if isinstance(f, Size):
            return self.dim(f.dim)
        if isinstance(f, Fn):
            self.printer.used.add(f.func)
            return f"{NUMPY.get(f.func, f.func)}({self.iexpr(f.arg)})"
        if isinstance(f, Pw):
            return f"({self.iexpr(f.base)}) ** {_number(f.exp)}"
        assert isinstance(f, Opaque)
        local = self.hoisted.setdefault((f.kind, f.arg), f"{f.kind}_{len(self.hoisted) + 1}")
        return local + (f"[{_indices(f.idx)}]" if f.idx else "")

    def dim(self, d: object) -> str:
        return self.printer.name(d) if isinstance(d, str) else str(d)

    def hoisted_lines(self) -> list[str]:
        """``inv_1 = np.linalg.inv(X)``: each matrix function the formula reads, computed once."""
        return [f"{local} = {NUMPY[kind]}({self.printer.expr(arg)})"
                for (kind, arg), local in self.hoisted.items()]


def _index(i: IndexLike) -> str:
    return str(i - 1) if isinstance(i, int) else i.name


def _indices(idx: tuple[IndexLike, ...]) -> str:
    return ", ".join(_index(i) for i in idx)


# --- long lines ----------------------------------------------------------------------------------

_BREAKS = (" + ", " - ", " @ ", " * ")


def wrap_code(indent: str, head: str, code: str, width: int = 100) -> list[str]:
    """``indent + head + code`` as lines of at most ``width`` where it can be, broken before an
    operator outside brackets (``code`` then goes in brackets of its own)."""
    if len(indent + head + code) <= width:
        return [indent + head + code]
    pieces = _split_outside_brackets(code)
    if len(pieces) == 1:
        return [indent + head + code]
    pad = " " * len(indent + head + "(")
    lines, line = [], indent + head + "(" + pieces[0]
    for piece in pieces[1:]:
        if len(line + piece) > width - 1:
            lines.append(line.rstrip())
            line = pad + piece.lstrip()
        else:
            line += piece
    return lines + [line + ")"]


def _split_outside_brackets(code: str) -> list[str]:
    """``code`` cut before each operator of :data:`_BREAKS` that stands outside every bracket."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(code):
        c = code[i]
        depth += c in "([{"
        depth -= c in ")]}"
        if depth == 0 and i > start and any(code.startswith(b, i) for b in _BREAKS):
            pieces.append(code[start:i])
            start = i
            i += 2
            continue
        i += 1
    return pieces + [code[start:]]
