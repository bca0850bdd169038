"""The LaTeX printer for expressions, in the book's notation.

Vectors and matrices bold, ``^\\top`` for transposes, ``\\odot`` for elementwise
products; brackets decided by the precedence table of :mod:`derivgen.problem.text`,
as SymPy's printers decide them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fractions import Fraction

from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.text import PREC, fmt_float, prec

# --- LaTeX ---------------------------------------------------------------------

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega",
}

#: The LaTeX head of each built-in function written as head(argument), from its table row.
FUNC_LATEX = {fn.name: fn.latex for fn in FUNCTIONS.values() if fn.latex is not None}


def subscripted(letter: str, sub: str) -> str:
    """``A_{ij}``; a letter that has a subscript already gets brackets: ``(W_{2})_{ij}``."""
    if "_" in letter or "^" in letter:
        letter = r"\left(" + letter + r"\right)"
    return f"{letter}_{{{sub}}}"


def name_latex(name: str, bold: bool = False) -> str:
    """Typeset a variable name: Greek letters, ``x1`` and ``x_1`` as ``x_{1}``,
    ``y_hat`` as ``y_{\\mathrm{hat}}``.

    Whatever follows the first ``_`` is the subscript: digits and one or two
    letters (indices: ``A_kq``) as they are, longer words upright (``\\mathrm``), Greek names as Greek
    letters, several parts separated by commas (``W_out_2`` -> ``W_{\\mathrm{out},2}``).
    """
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    base, subs = (m.group(1), [m.group(2)]) if m else (name, [])
    if "_" in base.strip("_"):
        lead = len(base) - len(base.lstrip("_"))
        head, _, extra = base[lead:].partition("_")
        base = base[:lead] + head
        subs = [p for p in extra.split("_") if p] + subs
    core = _word_latex(base)
    if bold:
        core = r"\boldsymbol{" + core + "}"
    sub = ",".join(_sub_latex(p) for p in subs)
    return core + (f"_{{{sub}}}" if sub else "")


def _word_latex(word: str) -> str:
    if word in GREEK:
        return "\\" + word
    if len(word) == 1:
        return word
    return r"\mathrm{" + word.replace("_", r"\_") + "}"


def _sub_latex(part: str) -> str:
    if part.isdigit() or part in GREEK:
        return _word_latex(part)
    if len(part) <= 2 and part.isalpha():  # indices: A_kq is A_{kq}
        return part
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", part)  # out2 -> out,2
    if m:
        return _word_latex(m.group(1)) + "," + m.group(2)
    return _word_latex(part)


def trailing_script(tex: str) -> str | None:
    """``^`` or ``_`` if ``tex`` ends with a superscript or subscript at its top level, else None.

    ``X^{-1}`` and ``x^{2}`` end with ``^``, ``x_{1}`` with ``_``, ``x'`` with
    ``^`` (a prime is a superscript); ``\\left(X^{-1}\\right)`` ends with a delimiter.
    """
    t = tex.rstrip()
    if t.endswith("'"):
        return "^"
    if t.endswith("}"):
        depth, j = 0, len(t) - 1
        while j >= 0:
            if t[j] == "}" and (j == 0 or t[j - 1] != "\\"):
                depth += 1
            elif t[j] == "{" and (j == 0 or t[j - 1] != "\\"):
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        before = t[:j].rstrip()
        return before[-1] if before[-1:] in ("^", "_") else None
    if len(t) >= 2 and t[-2] in "^_":  # x^2
        return t[-2]
    return None


def superscript(base: str, sup: str) -> str:
    """``base^{sup}``, with the base bracketed when it already ends in a superscript.

    ``X^{-1}`` then ``^{\\top}`` is ``X^{-\\top}`` (inverse and transpose
    commute); any other stacked superscript brackets its base, so TeX never
    sees a double superscript: ``\\left(\\boldsymbol{x}^{\\top}\\right)^{2}``.
    """
    if trailing_script(base) == "^":
        for first, second in (("^{-1}", r"\top"), (r"^{\top}", "-1")):
            if base.endswith(first) and sup == second:
                return base[: -len(first)] + r"^{-\top}"
        base = r"\left(" + base + r"\right)"
    return base + "^{" + sup + "}"


def signed(tex: str) -> bool:
    """Does this LaTeX start with a sign (so, as a factor, it needs brackets)?"""
    return tex.lstrip().startswith(("-", "+"))


def digit_first(tex: str) -> bool:
    """Does this LaTeX start with a numeral (so, after a factor, it needs ``\\cdot``)?"""
    t = tex.lstrip()
    while t.startswith("{"):
        t = t[1:].lstrip()
    for frac in (r"\frac{", r"\dfrac{", r"\tfrac{"):  # \frac{1}{2}, not \frac{\partial f}{...}
        if t.startswith(frac):
            t = t[len(frac):]
            break
    return t[:1].isdigit() or (t[:1] == "." and t[1:2].isdigit())


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
        return fmt_float(v) if isinstance(v, float) else str(v)

    def _print_Name(self, e: Name) -> str:
        return self.symbols.get(e.id) or name_latex(e.id)

    def _print_Neg(self, e: Neg) -> str:
        return "-" + self.wrap(e.arg, PREC["neg"], strict=True)

    def _print_Transpose(self, e: Transpose) -> str:
        return superscript(self.wrap(e.arg, PREC["atom"]), r"\top")  # X^{-\top}, never X^{-1}^{\top}

    def _print_Index(self, e: Index) -> str:
        base = e.base
        if isinstance(base, Name):
            letter = self.entry_letter(base.id)
        elif isinstance(base, Call) and base.func == "inv":
            letter = self.print(base)  # (X^{-1})_{12}, as the index notation writes it
        else:
            letter = r"\left[" + self.print(base) + r"\right]"
        digits = all(i < 10 for i in e.indices)
        sub = "".join(str(i) for i in e.indices) if digits else ",".join(map(str, e.indices))
        return subscripted(letter, sub)  # x_1 indexed: (x_{1})_{2}, readable

    def entry_letter(self, name: str) -> str:
        """The plain letter for an entry of ``name`` (``x`` in ``x_{2}``)."""
        return name_latex(name)

    def _print_ListLit(self, e: ListLit) -> str:
        row_lists = [r for r in e.items if isinstance(r, ListLit)]
        if len(row_lists) == len(e.items):
            rows = [" & ".join(self.print(c) for c in r.items) for r in row_lists]
        else:
            rows = [self.print(c) for c in e.items]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    def _print_Call(self, e: Call) -> str:
        f, args = e.func, e.args
        if f == "inv":
            return superscript(self.wrap(args[0], PREC["atom"]), "-1")
        if f == "norm":
            return r"\left\lVert " + self.print(args[0]) + r" \right\rVert"
        if f == "sqrt":
            return r"\sqrt{" + self.print(args[0]) + "}"
        if f == "abs":
            return r"\left\lvert " + self.print(args[0]) + r" \right\rvert"
        if f == "log1p":
            return r"\log\left(1 + " + self.print(args[0]) + r"\right)"
        if f == "sum" and len(args) == 2:  # NumPy's axis: 0 sums each column (Xᵀ1), 1 each row (X1)
            arg = self.wrap(args[0], PREC["atom"])
            return (arg + r"^\top" if args[1] == Num(0) else arg) + r" \boldsymbol{1}"
        if f in ("softmax", "logsumexp") and len(args) == 2:  # of each row (axis 1) or column (axis 0)
            along = r"\text{rows}" if args[1] == Num(1) else r"\text{cols}"
            return FUNC_LATEX[f] + "_{" + along + r"}\left(" + self.print(args[0]) + r"\right)"
        if f == "eye":
            return r"\boldsymbol{I}"
        if f in ("ones", "zeros"):  # the vector of ones (zeros), as MML writes it
            return r"\boldsymbol{1}" if f == "ones" else r"\boldsymbol{0}"
        if f == "vec":  # a matrix flattened into a vector: MML writes Ã
            return r"\tilde{" + self.print(args[0]) + "}"
        head = FUNC_LATEX.get(f) or self.symbols.get(f) or name_latex(f)
        return head + r"\left(" + ", ".join(self.print(a) for a in args) + r"\right)"

    def _print_BinOp(self, e: BinOp) -> str:
        op, a, b = e.op, e.left, e.right
        if op == "/":
            return r"\frac{" + self.print(a) + "}{" + self.print(b) + "}"
        if op == "^":
            squared_head = isinstance(a, Call) and a.func in FUNCTIONS and FUNCTIONS[a.func].square_on_head
            if isinstance(a, Call) and squared_head and b == Num(2):
                return FUNC_LATEX[a.func] + "^{2}" + r"\left(" + self.print(a.args[0]) + r"\right)"
            base = self.wrap(a, PREC["atom"], strict=True) if not isinstance(a, Call) or a.func in (
                "inv", "norm", "sqrt") else self.wrap(a, PREC["atom"])
            if isinstance(a, Call) and a.func in ("inv",):
                base = r"\left(" + self.print(a) + r"\right)"
            return superscript(base, self.print(b))
        p = PREC[op]
        left = self.wrap(a, p)
        right = self.wrap(b, p, strict=True)
        if op in "+-":
            if op == "+" and right.startswith("-"):
                return f"{left} - {right[1:]}"
            if op == "-" and signed(right):  # a - (-b), never a - -b
                right = r"\left(" + right + r"\right)"
            return f"{left} {op} {right}"
        return self.product(left, right, elementwise=op == "*" and self.is_array(a) and self.is_array(b),
                            dot=isinstance(b, Num))

    @staticmethod
    def product(left: str, right: str, elementwise: bool = False, dot: bool = False) -> str:
        """Two printed factors side by side.

        A signed factor after another is bracketed (``2 \\left(-\\Phi\\right)``,
        never ``2 -\\Phi``, which reads as a subtraction); a factor that starts
        with a numeral is joined with ``\\cdot`` (``4 u^{3} \\cdot 2``, never ``4 u^{3} 2``).
        """
        if signed(right):
            right = r"\left(" + right + r"\right)"
        if elementwise:
            return rf"{left} \odot {right}"
        if dot or digit_first(right):
            return rf"{left} \cdot {right}"
        return f"{left} {right}"
