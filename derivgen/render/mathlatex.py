"""LaTeX for everything a Step displays: expressions and the display objects.

:class:`MathLatex` extends the expression printer with ``Deriv``, ``Entry``,
``Space``, ``Under`` ... and ``Relation``.  Only LaTeX that both KaTeX and
MathJax accept is written (``aligned``, never ``align``; ``\\mathrel{:=}``,
never ``\\coloneqq``), so one string serves Markdown, HTML and PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from derivgen.derivation import (
    DIFFERENTIAL,
    Binomial,
    Block,
    Bracket,
    Cases,
    Column,
    Deriv,
    Differential,
    Dots,
    Entry,
    EntryOf,
    Limit,
    MatrixDots,
    Nabla,
    NthDeriv,
    Partial,
    Plus,
    Product,
    Relation,
    SecondDeriv,
    Space,
    SumEntries,
    SumOver,
    Table,
    Text,
    Transposed,
    Tuple,
    Under,
    Vanishing,
)
from derivgen.derivation.index_form import IExpr, IndexForm
from derivgen.errors import RenderError
from derivgen.problem.expr import BinOp, Call, Dim, Expr, Index, Name, Neg, Num, Shape, Transpose
from derivgen.render.index_latex import iexpr_latex
from derivgen.render.printing import (
    PREC,
    LatexPrinter,
    digit_first,
    name_latex,
    signed,
    subscripted,
    superscript,
)

#: Relation symbols of a displayed chain.
REL_LATEX = {
    "=": "=", "∈": r"\in", "in": r"\in", "⇒": r"\Rightarrow", "=>": r"\Rightarrow",
    ":=": r"\mathrel{:=}", "≔": r"\mathrel{:=}", "≈": r"\approx", "≠": r"\neq",
}

#: Symbols allowed in index text (``k≠i``) and case conditions.
INDEX_SYMBOLS = {"≠": r" \neq ", "≤": r" \leq ", "≥": r" \geq ", "<": " < ", ">": " > ", "=": " = "}

#: Characters that must be escaped inside ``\text{...}``.
TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
    "#": r"\#", "_": r"\_", "%": r"\%", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}

#: A ``Text`` that is only an operator is typeset as math (``\text{−}`` would be a hyphen).
TEXT_OPERATORS = {"+": "+", "−": "-", "-": "-", "±": r"\pm", "×": r"\times", "·": r"\cdot", "=": "="}

#: A displayed chain longer than this (in LaTeX characters) is broken into aligned lines.
LONG_CHAIN = 110


def text_latex(text: str) -> str:
    """``\\text{...}`` with TeX's special characters escaped."""
    return r"\text{" + "".join(TEXT_ESCAPES.get(c, c) for c in text) + "}"


def index_latex(text: str) -> str:
    """Index text as math: ``k≠i`` -> ``k \\neq i``, ``j = p, p ≠ q`` -> ``j = p,\\ p \\neq q``."""
    out = "".join(INDEX_SYMBOLS.get(c, c) for c in text.replace(" ", ""))
    return out.replace(",", r",\ ").strip()


def dim_latex(d: Dim) -> str:
    return str(d) if isinstance(d, int) else name_latex(d)


def dims_latex(shape: Shape) -> str:
    """``M\\times N`` for a shape; ``1`` for a scalar."""
    return r"\times ".join(dim_latex(d) for d in shape) if shape else "1"


class MathLatex(LatexPrinter):
    """The expression printer plus the display objects of :mod:`derivgen.derivation`."""

    def __init__(
        self,
        symbols: Mapping[str, str] | None = None,
        is_array: Callable[[Expr], bool] | None = None,
        letters: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(symbols, is_array)
        self.letters = dict(letters or {})
        """Name -> its plain letter for entries (``A`` in ``A_{kq}``)."""
        self.slashed = False
        """Derivatives written ∂f/∂c on one line (inside a table)."""

    def entry_letter(self, name: str) -> str:
        return self.letters.get(name) or name_latex(name)

    def print(self, e: object) -> str:
        method = getattr(self, "_print_" + type(e).__name__, None)
        if method is not None:
            return method(e)
        raise RenderError(f"cannot typeset a {type(e).__name__}")

    # --- relations ---------------------------------------------------------------

    def relation(self, rel: Relation) -> str:
        """The chain on one line: ``a = b \\in \\mathbb{R}^{...}``."""
        return self._joined(*self._chain(rel))

    def _joined(self, first: str, rest: list[tuple[str, str]]) -> str:
        return first + "".join(f" {self.rel_op(op)} {text}" for op, text in rest)

    def _chain(self, rel: Relation) -> tuple[str, list[tuple[str, str]]]:
        """The printed parts, without a ``= b`` that repeats the part before it as printed
        (a tidying that changed nothing a reader can see: ``a = b = b``)."""
        first = self.print(rel.parts[0])
        rest: list[tuple[str, str]] = []
        for op, part in zip(rel.ops, rel.parts[1:], strict=False):
            text = self.print(part)
            if op == "=" and text == (rest[-1][1] if rest else first):
                continue
            rest.append((op, text))
        return first, rest

    def display(self, rel: Relation) -> str:
        """A displayed chain; long chains of ``=`` become ``aligned`` lines, one per ``=``."""
        first, rest = self._chain(rel)  # the parts printed once, for the one line and the aligned lines
        one_line = self._joined(first, rest)
        if len(one_line) <= LONG_CHAIN or sum(op in ("=", "⇒", "=>") for op, _ in rest) < 2:
            return one_line
        lines = [first]
        for i, (op, text) in enumerate(rest):
            piece = f"{self.rel_op(op)} {text}"
            if op in ("=", "⇒", "=>") and i > 0:
                lines.append("&" + piece)
            elif i == 0:
                lines[0] += " &" + piece
            else:
                lines[-1] += " " + piece
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    @staticmethod
    def rel_op(op: str) -> str:
        return REL_LATEX.get(op.strip()) or r"\mathrel{" + text_latex(op) + "}"

    def _print_Relation(self, rel: Relation) -> str:
        return self.relation(rel)

    # --- display objects -----------------------------------------------------------

    def _print_Deriv(self, d: Deriv) -> str:
        sym = r"\partial " if d.partial else r"\mathrm{d}"
        wrt = self.print(d.wrt)
        if self.slashed and isinstance(d.of, Name):  # in a table: one line
            return rf"{sym}{self.print(d.of)}/{sym}{wrt}"
        if isinstance(d.of, (Name, Entry, Index)) or (isinstance(d.of, Call) and d.of.func == "vec"):
            return rf"\frac{{{sym}{self.print(d.of)}}}{{{sym}{wrt}}}"
        return rf"\frac{{{sym}}}{{{sym}{wrt}}}\left({self.print(d.of)}\right)"

    def _print_Table(self, t: Table) -> str:
        """A table as a matrix with a ruled heading; derivatives in it written ∂f/∂c, on one line."""
        head = " & ".join(text_latex(h) for h in t.header)
        self.slashed = True
        try:
            rows = [" & ".join(self.print(c) for c in row) for row in t.rows]
        finally:
            self.slashed = False
        # matrix, not array: the environment takes no column specification (see render/texmath.py)
        ruled = head + r" \\ \hline " if t.header else ""
        return r"\begin{matrix}" + ruled + r" \\ ".join(rows) + r"\end{matrix}"

    def _print_Plus(self, p: Plus) -> str:
        return " + ".join(self.print(t) for t in p.terms)

    def _print_Name(self, e: Name) -> str:
        if e.id.startswith(DIFFERENTIAL):  # dX, the differential of X (method: differentials)
            return r"\mathrm{d}" + self.print(Name(e.id[len(DIFFERENTIAL):]))
        return super()._print_Name(e)

    def _print_Differential(self, d: Differential) -> str:
        if isinstance(d.body, Name):
            return r"\mathrm{d}" + self.print(d.body)
        return r"\mathrm{d}\left(" + self.print(d.body) + r"\right)"

    def _print_Nabla(self, n: Nabla) -> str:
        return r"\nabla_{" + self.print(n.wrt) + "} " + self.factor(n.of)

    def _print_Transposed(self, t: Transposed) -> str:
        return r"\left(" + self.print(t.body) + r"\right)^{\top}"

    def _print_SecondDeriv(self, d: SecondDeriv) -> str:
        """``∂²f/∂x∂y`` (∂/∂x of ∂f/∂y); ``∂²f/∂x²`` by one scalar twice; ``∂²f/∂x∂x`` by a vector."""
        sym = r"\partial " if d.partial else r"\mathrm{d}"
        first, second = self.print(d.first), self.print(d.second)
        array = isinstance(d.first, Expr) and self.is_array(d.first)
        twice = d.first == d.second and not array
        den = rf"{sym}{second}^{{2}}" if twice else rf"{sym}{second}\,{sym}{first}"
        return rf"\frac{{{sym}^{{2}}{self.print(d.of)}}}{{{den}}}"

    def _print_Partial(self, d: Partial) -> str:
        """``∂³f/∂x²∂y``: the variables in the order written, repeats as powers."""
        groups: list[tuple[str, int]] = []
        for b in reversed(d.by):
            tex = self.print(b)
            if groups and groups[-1][0] == tex:
                groups[-1] = (tex, groups[-1][1] + 1)
            else:
                groups.append((tex, 1))
        den = r"\,".join(rf"\partial {t}" + (f"^{{{n}}}" if n > 1 else "") for t, n in groups)
        return rf"\frac{{\partial^{{{len(d.by)}}} {self.print(d.of)}}}{{{den}}}"

    def _print_NthDeriv(self, d: NthDeriv) -> str:
        """``f(x_0)``, then primes up to the third derivative, then ``f^{(4)}(x_0)``, as MML writes them."""
        name = self.print(Name(d.of))
        primes = "^{" + r"\prime" * d.order + "}"
        marks = "" if d.order == 0 else primes if d.order <= 3 else f"^{{({d.order})}}"
        return rf"{name}{marks}\left({self.print(d.at)}\right)"

    def _print_Entry(self, e: Entry) -> str:
        letter = self.letters.get(e.name) or name_latex(e.name)
        idx = [index_latex(i) for i in e.indices]
        compact = all(len(i) == 1 and i != ":" for i in e.indices)
        sub = "".join(idx) if compact else ",".join(idx)
        return subscripted(letter, sub)

    def _print_tuple(self, t: tuple) -> str:
        """An explicit array in array layout: nested brackets, outermost index first."""
        if t and isinstance(t[0], tuple):
            rows = (tuple(row) if isinstance(row, tuple) and row and isinstance(row[0], tuple) else (row,)
                    for row in t)
            return self.print(Block(tuple(rows)))
        return self.print(Block((tuple(t),)))

    def _print_Tuple(self, t: Tuple) -> str:
        if len(t.items) == 1:
            return self.print(t.items[0])
        return "(" + ", ".join(self.print(i) for i in t.items) + ")"

    def _print_Space(self, s: Space) -> str:
        if len(s.groups) == 2 and len(s.groups[0]) == 1 and not s.groups[1]:
            # A vector by a scalar is a column: R^{2×1}, as the lectures write dx/dt.
            return r"\mathbb{R}^{" + dim_latex(s.groups[0][0]) + r"\times 1}"
        groups = [g for g in s.groups if g]
        if not groups:
            return r"\mathbb{R}"
        if s.row and len(groups) == 1 and len(groups[0]) == 1:
            return r"\mathbb{R}^{1\times " + dim_latex(groups[0][0]) + "}"
        if len(groups) == 1 or len(groups[-1]) < 2:
            # By a vector the dimensions simply line up (R^{4×2×3}); by a matrix the groups
            # are kept apart, as the lectures write R^{M×(M×N)} and R^{(N×N)×(M×N)}.
            return r"\mathbb{R}^{" + r"\times ".join(dims_latex(g) for g in groups) + "}"
        parts = [dims_latex(g) if len(g) == 1 else "(" + dims_latex(g) + ")" for g in groups]
        return r"\mathbb{R}^{" + r"\times ".join(parts) + "}"

    def _print_Under(self, u: Under) -> str:
        body = self.factor(u.body)
        if signed(body):  # \underbrace{\left(-\Phi\right)}_{N\times D}, never a bare -\Phi
            body = r"\left(" + body + r"\right)"
        dims = dims_latex(u.shape) + (r"\times 1" if len(u.shape) == 1 else "")  # a column: N×1
        return r"\underbrace{" + body + "}_{" + dims + "}"

    def _print_Product(self, p: Product) -> str:
        """Factors side by side (``\\,``).

        A signed factor after another goes in brackets, a numeral after ``\\cdot``; in a table,
        where derivatives are written on one line, every factor after ``\\cdot``.
        """
        if self.slashed:
            return r" \cdot ".join(self.factor(f) for f in p.factors)
        out = ""
        after_factor = False
        for f in p.factors:
            if _is_operator(f):
                out += (r"\," if out else "") + self.print(f)
                after_factor = False
                continue
            tex = self.factor(f)
            if signed(tex) and (after_factor or out):
                tex = r"\left(" + tex + r"\right)"
            lead = self.factor(f.body) if isinstance(f, Under) else tex
            if after_factor and digit_first(lead):
                out += r" \cdot " + tex
            else:
                out += (r"\," if out else "") + tex
            after_factor = True
        return out

    def factor(self, f: object) -> str:
        """A factor of a product: an expression of lower precedence (a sum) in brackets."""
        if isinstance(f, Expr):
            return self.wrap(f, PREC["*"])
        return self.print(f)

    def _print_Block(self, b: Block) -> str:
        rows = [" & ".join(self.print(c) for c in row) for row in b.rows]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    def _print_Cases(self, c: Cases) -> str:
        lines = [f"{self.print(value)} & {self.condition(cond)}" for value, cond in c.cases]
        return r"\begin{cases}" + r" \\ ".join(lines) + r"\end{cases}"

    @staticmethod
    def condition(cond: str) -> str:
        if cond.strip() in ("", "otherwise", "else"):
            return r"\text{otherwise}"
        return r"\text{if } " + index_latex(cond)

    def _print_Text(self, t: Text) -> str:
        op = TEXT_OPERATORS.get(t.text.strip())
        return op if op is not None else text_latex(t.text)

    # --- the limit of the difference quotient (method: definition) -----------------------

    def _print_Limit(self, lim: Limit) -> str:
        body = self.print(lim.body)
        if isinstance(lim.body, BinOp) and lim.body.op in "+-":
            # \left( would stretch over a brace written under a term
            tall = isinstance(lim.body.right, Vanishing) or isinstance(lim.body.left, Vanishing)
            body = (r"\Bigl(" + body + r"\Bigr)") if tall else (r"\left(" + body + r"\right)")
        return r"\lim_{" + self.print(lim.var) + r" \to " + self.print(lim.to) + "} " + body

    def _print_Binomial(self, b: Binomial) -> str:
        return r"\binom{" + self.print(b.n) + "}{" + self.print(b.k) + "}"

    def _print_SumOver(self, s: SumOver) -> str:
        return (r"\sum_{" + self.print(s.index) + " = " + self.print(s.lower) + "}^{" + self.print(s.upper)
                + "} " + self.print(s.body))

    # --- index notation ------------------------------------------------------------------

    def _print_IExpr(self, x: IExpr) -> str:
        return iexpr_latex(x, self)

    def _print_IndexForm(self, f: IndexForm) -> str:
        return self.print(f.lhs()) + " = " + iexpr_latex(f.expr, self)

    def _print_SumEntries(self, s: SumEntries) -> str:
        return r"\sum_{" + ",".join(s.indices) + "} " + self.print(s.body)

    def _print_EntryOf(self, e: EntryOf) -> str:
        return r"\left[" + self.print(e.body) + r"\right]_{" + "".join(e.indices) + "}"

    def _print_Bracket(self, b: Bracket) -> str:
        return r"\left(" + self.print(b.body) + r"\right)"

    def _print_Dots(self, d: Dots) -> str:
        return r"\vdots"

    def _print_MatrixDots(self, d: MatrixDots) -> str:
        return {"h": r"\cdots", "v": r"\vdots", "d": r"\ddots"}.get(d.direction, r"\cdots")

    def _print_Column(self, c: Column) -> str:
        letter = self.letters.get(c.matrix) or name_latex(c.matrix)
        column = r"\boldsymbol{" + letter.lower() + "}_{" + c.index + "}"
        return column + (r"^{\top}" if c.transposed else "")

    def _print_Vanishing(self, v: Vanishing) -> str:
        h = self.print(v.var)
        return r"\underbrace{" + self.print(v.body) + r"}_{\to 0 \text{ as } " + h + r" \to 0}"

    def _print_Transpose(self, e: Transpose) -> str:
        if isinstance(e.arg, Num) and e.arg.value == 0:  # the zero row 0ᵀ of a stack
            return r"\boldsymbol{0}^{\top}"
        return super()._print_Transpose(e)

    # --- brackets the lecture notation does without (or needs) ----------------------

    def _print_BinOp(self, e: BinOp) -> str:
        if e.op == "*" and isinstance(e.left, Num) and e.left.value == 0:  # a zero array, written 0 * X
            return r"\boldsymbol{0}"
        if e.op == "^" and _plain_base(e.left):  # x^{2}, not (x)^{2}
            return superscript(self.print(e.left), self.print(e.right))
        return super()._print_BinOp(e)  # 2e^T (-Phi): a signed factor is bracketed there

    def _print_Neg(self, e: Neg) -> str:
        if isinstance(e.arg, BinOp) and e.arg.op in ("*", "@"):
            inner = self.print(e.arg)
            if not inner.startswith("-"):
                return "-" + inner  # -2 e^T Phi: the sign belongs to the whole product
        return super()._print_Neg(e)


def _is_operator(f: object) -> bool:
    return isinstance(f, Text) and f.text.strip() in TEXT_OPERATORS


def _plain_base(e: Expr) -> bool:
    """A base that takes an exponent without brackets: a name or a non-negative whole number."""
    if isinstance(e, Num):
        return isinstance(e.value, int) and e.value >= 0
    if isinstance(e, Call) and e.func in ("norm", "det"):
        return True  # ‖e‖², det(X)²: their own delimiters bracket them
    if isinstance(e, Index) and isinstance(e.base, Name) and "_" not in name_latex(e.base.id):
        return True  # x_{3}^{2}
    return isinstance(e, Name)
