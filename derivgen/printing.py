"""Printers for expressions: the expression language (re-readable) and LaTeX.

Brackets are decided in one place, by the precedence table, as SymPy's
printers do.  The LaTeX printer follows the book's notation: vectors and
matrices bold, ``^\\top`` for transposes, ``\\odot`` for elementwise products.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fractions import Fraction

from .expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose

# Higher binds tighter.
PREC = {"+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "neg": 30, "^": 40, "atom": 50}


def prec(e: Expr) -> int:
    if isinstance(e, BinOp):
        return PREC[e.op]
    if isinstance(e, Neg):
        return PREC["neg"]
    if isinstance(e, Num) and (_is_negative(e.value) or isinstance(e.value, Fraction)):
        return PREC["neg"] if _is_negative(e.value) else PREC["/"]
    return PREC["atom"]


def _is_negative(v: object) -> bool:
    return isinstance(v, (int, float, Fraction)) and v < 0


def _fmt_float(v: float) -> str:
    s = repr(v)
    return s[:-2] if s.endswith(".0") else s


# --- the expression language --------------------------------------------------


def to_text(e: Expr) -> str:
    """The expression in derivgen's own language, parseable again."""
    if isinstance(e, Num):
        v = e.value
        if isinstance(v, Fraction):
            return f"{v.numerator}/{v.denominator}"
        return _fmt_float(v) if isinstance(v, float) else str(v)
    if isinstance(e, Name):
        return e.id
    if isinstance(e, Neg):
        return "-" + _wrap_text(e.arg, PREC["neg"], strict=True)
    if isinstance(e, Transpose):
        return _wrap_text(e.arg, PREC["atom"], strict=False) + ".T"
    if isinstance(e, Index):
        return _wrap_text(e.base, PREC["atom"], strict=False) + "[" + ", ".join(map(str, e.indices)) + "]"
    if isinstance(e, Call):
        return f"{e.func}(" + ", ".join(to_text(a) for a in e.args) + ")"
    if isinstance(e, ListLit):
        return "[" + ", ".join(to_text(a) for a in e.items) + "]"
    if isinstance(e, BinOp):
        p = PREC[e.op]
        op = "**" if e.op == "^" else e.op
        if e.op == "^":  # right-associative
            left = _wrap_text(e.left, p, strict=True)
            right = _wrap_text(e.right, p, strict=False)
        else:
            left = _wrap_text(e.left, p, strict=False)
            right = _wrap_text(e.right, p, strict=True)
        return f"{left} {op} {right}"
    raise TypeError(f"cannot print {type(e).__name__}")


def _wrap_text(e: Expr, p: int, strict: bool) -> str:
    s = to_text(e)
    q = prec(e)
    if q < p or (strict and q == p):
        return f"({s})"
    return s


# --- LaTeX ---------------------------------------------------------------------

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega",
}

FUNC_LATEX = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\log",
    "tanh": r"\tanh", "sigma": r"\sigma", "det": r"\det", "tr": r"\operatorname{tr}",
    "sum": r"\operatorname{sum}", "diag": r"\operatorname{diag}",
}


def subscripted(letter: str, sub: str) -> str:
    """``A_{ij}``; a letter that has a subscript already gets brackets: ``(W_{2})_{ij}``."""
    if "_" in letter or "^" in letter:
        letter = r"\left(" + letter + r"\right)"
    return f"{letter}_{{{sub}}}"


def name_latex(name: str, bold: bool = False) -> str:
    """Typeset a variable name: Greek letters, ``x1`` and ``x_1`` as ``x_{1}``."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    base, sub = (m.group(1), m.group(2)) if m else (name, "")
    if "_" in base:
        base, _, extra = base.partition("_")
        sub = extra + sub
    if base in GREEK:
        core = "\\" + base
    elif len(base) == 1:
        core = base
    else:
        core = r"\mathrm{" + base + "}"
    if bold:
        core = r"\boldsymbol{" + core + "}"
    return core + (f"_{{{sub}}}" if sub else "")


class LatexPrinter:
    """Expression to LaTeX in the lectures' notation.

    ``symbols`` maps names to their LaTeX (bold for vectors and matrices);
    ``is_array`` tells whether a sub-expression is a vector or matrix, so an
    elementwise product prints as ``\\odot`` and a scalar multiple as
    juxtaposition.
    """

    def __init__(
        self,
        symbols: Mapping[str, str] | None = None,
        is_array: Callable[[Expr], bool] | None = None,
    ) -> None:
        self.symbols = dict(symbols or {})
        self.is_array = is_array or (lambda e: False)

    def __call__(self, e: Expr) -> str:
        return self.print(e)

    def print(self, e: Expr) -> str:
        method = getattr(self, "_print_" + type(e).__name__)
        return method(e)

    def wrap(self, e: Expr, p: int, strict: bool = False) -> str:
        s = self.print(e)
        q = prec(e)
        if q < p or (strict and q == p):
            return rf"\left({s}\right)"
        return s

    def _print_Num(self, e: Num) -> str:
        v = e.value
        if isinstance(v, Fraction):
            sign = "-" if v < 0 else ""
            return rf"{sign}\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        return _fmt_float(v) if isinstance(v, float) else str(v)

    def _print_Name(self, e: Name) -> str:
        return self.symbols.get(e.id) or name_latex(e.id)

    def _print_Neg(self, e: Neg) -> str:
        return "-" + self.wrap(e.arg, PREC["neg"], strict=True)

    def _print_Transpose(self, e: Transpose) -> str:
        inner = self.wrap(e.arg, PREC["atom"])
        if inner.endswith("}") and "^" in inner and not inner.startswith(r"\left("):
            inner = r"\left(" + inner + r"\right)"  # (X^{-1})^T, never X^{-1}^T
        return inner + r"^{\top}"

    def _print_Index(self, e: Index) -> str:
        base = e.base
        if isinstance(base, Name):
            letter = name_latex(base.id)
        else:
            letter = r"\left[" + self.print(base) + r"\right]"
        sub = "".join(str(i) for i in e.indices) if all(i < 10 for i in e.indices) else ",".join(map(str, e.indices))
        if "_" in letter:  # x_1 indexed: keep readable
            letter = r"\left(" + letter + r"\right)"
        return f"{letter}_{{{sub}}}"

    def _print_ListLit(self, e: ListLit) -> str:
        if all(isinstance(r, ListLit) for r in e.items):
            rows = [" & ".join(self.print(c) for c in r.items) for r in e.items]  # type: ignore[attr-defined]
        else:
            rows = [self.print(c) for c in e.items]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    def _print_Call(self, e: Call) -> str:
        f, args = e.func, e.args
        if f == "inv":
            return self.wrap(args[0], PREC["atom"]) + "^{-1}"
        if f == "norm":
            return r"\left\lVert " + self.print(args[0]) + r" \right\rVert"
        if f == "sqrt":
            return r"\sqrt{" + self.print(args[0]) + "}"
        if f == "eye":
            return r"\boldsymbol{I}"
        if f == "dsigma":
            return r"\sigma'\left(" + self.print(args[0]) + r"\right)"
        head = FUNC_LATEX.get(f) or self.symbols.get(f) or name_latex(f)
        return head + r"\left(" + ", ".join(self.print(a) for a in args) + r"\right)"

    def _print_BinOp(self, e: BinOp) -> str:
        op, a, b = e.op, e.left, e.right
        if op == "/":
            return r"\frac{" + self.print(a) + "}{" + self.print(b) + "}"
        if op == "^":
            if isinstance(a, Call) and a.func in ("sin", "cos", "tan", "tanh") and b == Num(2):
                return FUNC_LATEX[a.func] + "^{2}" + r"\left(" + self.print(a.args[0]) + r"\right)"
            base = self.wrap(a, PREC["atom"], strict=True) if not isinstance(a, Call) or a.func in (
                "inv", "norm", "sqrt") else self.wrap(a, PREC["atom"])
            if isinstance(a, Call) and a.func in ("inv",):
                base = r"\left(" + self.print(a) + r"\right)"
            return base + "^{" + self.print(b) + "}"
        p = PREC[op]
        left = self.wrap(a, p)
        right = self.wrap(b, p, strict=True)
        if op in "+-":
            if op == "+" and right.startswith("-"):
                return f"{left} - {right[1:]}"
            return f"{left} {op} {right}"
        if op == "*" and self.is_array(a) and self.is_array(b):
            return rf"{left} \odot {right}"
        if isinstance(b, Num) or (left[-1:].isdigit() and right[:1].isdigit()):
            return rf"{left} \cdot {right}"
        return f"{left} {right}"
