"""The expression language's own printer: an expression as text that parses again.

Brackets are decided in one place, by the precedence table :data:`PREC` (the
renderers' LaTeX printer, ``render/printing.py``, uses the same table).
"""

from __future__ import annotations

from fractions import Fraction

from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose

# Higher binds tighter.
PREC = {"+": 10, "-": 10, "*": 20, "/": 20, "@": 20, "neg": 30, "^": 40, "atom": 50}


def prec(e: Expr) -> int:
    """The precedence of an expression's outermost operation (atoms bind tightest)."""
    if isinstance(e, BinOp):
        return PREC[e.op]
    if isinstance(e, Neg):
        return PREC["neg"]
    if isinstance(e, Num) and (is_negative(e.value) or isinstance(e.value, Fraction)):
        return PREC["neg"] if is_negative(e.value) else PREC["/"]
    return PREC["atom"]


def is_negative(v: object) -> bool:
    """A number below zero."""
    return isinstance(v, (int, float, Fraction)) and v < 0


def fmt_float(v: float) -> str:
    """A float as the language writes it: ``2.0`` is ``2``."""
    s = repr(v)
    return s[:-2] if s.endswith(".0") else s


# --- the expression language --------------------------------------------------


def to_text(e: Expr) -> str:
    """The expression in derivgen's own language, parseable again."""
    if isinstance(e, Num):
        v = e.value
        if isinstance(v, Fraction):
            return f"{v.numerator}/{v.denominator}"
        return fmt_float(v) if isinstance(v, float) else str(v)
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
