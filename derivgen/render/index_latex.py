"""Typesetting index expressions (LaTeX for the documents, text for JSON).

Dummy indices get the lectures' letters here (``j`` first, then ``m, n, r``
...), never letters that are free in the same formula or that name a variable.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from derivgen.problem.expr import Call
from derivgen.render.printing import digit_first, name_latex, subscripted, superscript
from derivgen.derivation.index_form import (
    Delta,
    Ent,
    Factor,
    Fn,
    IExpr,
    Idx,
    IndexLike,
    Opaque,
    Pw,
    Size,
    Term,
    free_indices,
    subst_index,
)

DUMMY_POOL = ("j", "m", "n", "r", "s", "t", "u", "v", "w", "l", "g", "h")


def prettify(x: IExpr, reserved: set[str]) -> IExpr:
    """Rename internal dummies (``_7``) to readable letters, scope by scope."""
    taken = reserved | {i.name for i in free_indices(x)}
    return IExpr(tuple(_pretty_term(t, taken) for t in x.terms))


def _pretty_term(t: Term, taken: set[str]) -> Term:
    used = set(taken)
    body = IExpr((replace(t, sums=()),))
    new_sums = []
    for s in t.sums:
        if not s.name.startswith("_"):
            new_sums.append(s)
            used.add(s.name)
            continue
        letter = next((c for c in DUMMY_POOL if c not in used), f"j{len(used)}")
        used.add(letter)
        new = Idx(letter, s.dim)
        body = subst_index(body, s, new)
        new_sums.append(new)
    inner = body.terms[0]
    factors = tuple(_pretty_factor(f, used) for f in inner.factors)
    return Term(t.coeff, factors, tuple(new_sums))


def _pretty_factor(f: Factor, used: set[str]) -> Factor:
    if isinstance(f, Fn):
        return Fn(f.func, prettify(f.arg, used))
    if isinstance(f, Pw):
        return Pw(prettify(f.base, used), f.exp)
    return f


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


def iexpr_latex(x: IExpr, printer: object) -> str:
    if not x.terms:
        return "0"
    out = ""
    for n, t in enumerate(x.terms):
        body = _term_latex(t, printer)
        neg = t.coeff < 0  # type: ignore[operator]
        if n == 0:
            out = ("-" if neg else "") + body
        else:
            out += (" - " if neg else " + ") + body
    return out


def _term_latex(t: Term, printer: object) -> str:
    c = abs(t.coeff)  # type: ignore[arg-type]
    factors = [_factor_latex(f, printer) for f in t.factors]
    if c != 1 or not factors:
        factors.insert(0, _coeff_latex(c))
    sums = "".join(rf"\sum_{{{s.name}=1}}^{{{_dim_latex(s.dim)}}} " for s in t.sums)
    out = factors[0]
    for f in factors[1:]:
        out += (r" \cdot " if digit_first(f) else " ") + f  # 2 \cdot 3, never 2 3
    return sums + out


def ent_latex(name: str, idx: tuple[IndexLike, ...], printer: object) -> str:
    """An entry ``A_{ij}`` in the problem's own letters (a ``latex:`` override, else the name's)."""
    letters = getattr(printer, "letters", None) or {}
    letter = letters.get(name) or name_latex(name)
    return subscripted(letter, _idx_latex(idx)) if idx else letter


def _dim_latex(d: object) -> str:
    return str(d) if isinstance(d, int) else name_latex(str(d))


def _factor_latex(f: Factor, printer: object) -> str:
    if isinstance(f, Ent):
        return ent_latex(f.name, f.idx, printer)
    if isinstance(f, Delta):
        return rf"\delta_{{{_idx_latex((f.a, f.b))}}}"
    if isinstance(f, Size):
        return _dim_latex(f.dim)
    if isinstance(f, Opaque):
        inner = printer.print(Call(f.kind, (f.arg,)))  # type: ignore[attr-defined]
        if f.kind == "det":
            return inner
        return rf"\left({inner}\right)_{{{_idx_latex(f.idx)}}}"
    if isinstance(f, Fn):
        arg = iexpr_latex(f.arg, printer)
        if f.func == "sqrt":
            return rf"\sqrt{{{arg}}}"
        head = {"sigma": r"\sigma", "exp": r"\exp", "log": r"\log"}.get(f.func, "\\" + f.func)
        return rf"{head}\left({arg}\right)"
    assert isinstance(f, Pw)
    base = iexpr_latex(f.base, printer)
    simple = len(f.base.terms) == 1 and f.base.terms[0].coeff == 1 and not f.base.terms[0].sums and len(
        f.base.terms[0].factors) == 1 and isinstance(f.base.terms[0].factors[0], Ent)
    if not simple:
        base = rf"\left({base}\right)"
    return superscript(base, _coeff_latex(f.exp))


# --- plain text (JSON's result.index) -------------------------------------------------


def iexpr_text(x: IExpr) -> str:
    if not x.terms:
        return "0"
    parts = []
    for n, t in enumerate(x.terms):
        c = t.coeff
        fs = [_factor_text(f) for f in t.factors]
        mag = abs(c)  # type: ignore[arg-type]
        if mag != 1 or not fs:
            fs.insert(0, str(mag))
        body = "*".join(fs)
        for s in reversed(t.sums):
            body = f"sum_{{{s.name}=1..{s.dim}}} {body}"
        sign = "-" if c < 0 else "+"  # type: ignore[operator]
        parts.append((sign, body))
    text = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, body in parts[1:]:
        text += f" {sign} {body}"
    return text


def _ix(idx: tuple[IndexLike, ...]) -> str:
    return ",".join(str(i) if isinstance(i, int) else i.name for i in idx)


def _factor_text(f: Factor) -> str:
    if isinstance(f, Ent):
        return f"{f.name}[{_ix(f.idx)}]" if f.idx else f.name
    if isinstance(f, Delta):
        return f"delta({_ix((f.a, f.b))})"
    if isinstance(f, Size):
        return str(f.dim)
    if isinstance(f, Opaque):
        from derivgen.problem.text import to_text

        inner = f"{f.kind}({to_text(f.arg)})"
        return f"{inner}[{_ix(f.idx)}]" if f.idx else inner
    if isinstance(f, Fn):
        return f"{f.func}({iexpr_text(f.arg)})"
    assert isinstance(f, Pw)
    return f"({iexpr_text(f.base)})**{f.exp}"


