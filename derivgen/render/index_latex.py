"""Typesetting index expressions in LaTeX: ``\\sum_{j=1}^{N} A_{ij} x_{j}``.

The engine has already given dummy indices the lectures' letters
(:func:`derivgen.derivation.index_form.prettify`); the plain text of JSON's
``result.index`` is :func:`derivgen.derivation.index_form.iexpr_text`.
"""

from __future__ import annotations

from fractions import Fraction

from derivgen.derivation.index_form import Delta, Ent, Factor, Fn, IExpr, IndexLike, Opaque, Pw, Size, Term
from derivgen.problem.expr import Call
from derivgen.render.printing import (
    FUNC_LATEX,
    LatexPrinter,
    digit_first,
    name_latex,
    subscripted,
    superscript,
)

# --- LaTeX --------------------------------------------------------------------------


def _idx_latex(idx: tuple[IndexLike, ...]) -> str:
    parts = [str(i) if isinstance(i, int) else i.name for i in idx]
    if all(len(p) == 1 for p in parts):
        return "".join(parts)
    return ",".join(parts)


def _coeff_latex(c: object) -> str:
    if isinstance(c, Fraction):
        if c.denominator == 1:
            return str(c.numerator)
        return rf"\frac{{{c.numerator}}}{{{c.denominator}}}"
    if isinstance(c, float):
        return f"{c:g}"
    return str(c)


def iexpr_latex(x: IExpr, printer: LatexPrinter) -> str:
    if not x.terms:
        return "0"
    out = ""
    for n, t in enumerate(x.terms):
        body = _term_latex(t, printer)
        neg = t.coeff < 0
        if n == 0:
            out = ("-" if neg else "") + body
        else:
            out += (" - " if neg else " + ") + body
    return out


def _term_latex(t: Term, printer: LatexPrinter) -> str:
    c = abs(t.coeff)
    factors = [_factor_latex(f, printer) for f in t.factors]
    if c != 1 or not factors:
        factors.insert(0, _coeff_latex(c))
    sums = "".join(rf"\sum_{{{s.name}=1}}^{{{_dim_latex(s.dim)}}} " for s in t.sums)
    out = factors[0]
    for f in factors[1:]:
        out += (r" \cdot " if digit_first(f) else " ") + f  # 2 \cdot 3, never 2 3
    return sums + out


def ent_latex(name: str, idx: tuple[IndexLike, ...], printer: LatexPrinter) -> str:
    """An entry ``A_{ij}`` in the problem's own letters (a ``latex:`` override, else the name's)."""
    letters = getattr(printer, "letters", None) or {}
    letter = letters.get(name) or name_latex(name)
    return subscripted(letter, _idx_latex(idx)) if idx else letter


def _dim_latex(d: object) -> str:
    return str(d) if isinstance(d, int) else name_latex(str(d))


def _factor_latex(f: Factor, printer: LatexPrinter) -> str:
    if isinstance(f, Ent):
        return ent_latex(f.name, f.idx, printer)
    if isinstance(f, Delta):
        return rf"\delta_{{{_idx_latex((f.a, f.b))}}}"
    if isinstance(f, Size):
        return _dim_latex(f.dim)
    if isinstance(f, Opaque):
        inner = printer.print(Call(f.kind, (f.arg,)))
        if f.kind == "det":
            return inner
        return rf"\left({inner}\right)_{{{_idx_latex(f.idx)}}}"
    if isinstance(f, Fn):
        arg = iexpr_latex(f.arg, printer)
        if f.func == "sqrt":
            return rf"\sqrt{{{arg}}}"
        if f.func == "abs":
            return rf"\left\lvert {arg} \right\rvert"
        if f.func == "log1p":
            return rf"\log\left(1 + {arg}\right)"
        head = FUNC_LATEX[f.func]
        return rf"{head}\left({arg}\right)"
    assert isinstance(f, Pw)
    base = iexpr_latex(f.base, printer)
    simple = len(f.base.terms) == 1 and f.base.terms[0].coeff == 1 and not f.base.terms[0].sums and len(
        f.base.terms[0].factors) == 1 and isinstance(f.base.terms[0].factors[0], Ent)
    if not simple:
        base = rf"\left({base}\right)"
    return superscript(base, _coeff_latex(f.exp))
