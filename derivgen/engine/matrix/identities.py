"""Which identity of MML section 5.5, (5.99)–(5.108), a whole expression is.

Matching is by structure, after ``‖e‖²`` is read as ``eᵀe`` and a product is
flattened (``(aᵀX)b`` and ``aᵀ(Xb)`` are the same chain).  (5.102), the
derivative of ``f(X)⁻¹``, is tensor-valued and left to the index engine.
"""

from __future__ import annotations

from collections.abc import Mapping

from derivgen.engine.matrix.normal_form import exponent
from derivgen.problem.expr import BinOp, Call, Expr, Name, Transpose, names_in
from derivgen.problem.shapes import ShapeEnv, infer


def identity_for(
    expr: Expr, wrt: str, env: ShapeEnv, assume: Mapping[str, frozenset[str]] = {}
) -> str | None:
    """The identity number (``"5.107"``) the whole of ``expr`` matches, or None."""
    if wrt not in names_in(expr):
        return None
    e = norm_squared_as_inner(expr)
    parts = flatten(e) if not infer(e, env) else [e]
    vector = len(env.shapes.get(wrt, ())) == 1
    if len(parts) == 2 and vector:
        found = _linear(parts, wrt, env)
    elif len(parts) == 3:
        found = _bilinear(parts, wrt, env, vector) or _weighted(parts, wrt, env, assume, vector)
    else:
        found = None
    return found or _outer(e)


def norm_squared_as_inner(e: Expr) -> Expr:
    """``norm(e)^2`` as ``e.T @ e`` (the rewriting step the lectures do first)."""
    if (isinstance(e, BinOp) and e.op == "^" and isinstance(e.left, Call) and e.left.func == "norm"
            and exponent(e.right) == 2):
        u = e.left.args[0]
        return BinOp("@", Transpose(u), u)
    return e


def flatten(e: Expr) -> list[Expr]:
    """The factors of a product ``A @ B @ C``, however bracketed."""
    if isinstance(e, BinOp) and e.op == "@":
        return flatten(e.left) + flatten(e.right)
    return [e]


def _const(e: Expr, wrt: str) -> bool:
    return wrt not in names_in(e)


def _is(e: Expr, wrt: str) -> bool:
    return isinstance(e, Name) and e.id == wrt


def _linear(parts: list[Expr], wrt: str, env: ShapeEnv) -> str | None:
    p, q = parts
    if isinstance(p, Transpose) and _is(p.arg, wrt) and _const(q, wrt) and len(infer(q, env)) == 1:
        return "5.104"
    if _is(q, wrt) and _const(p, wrt):
        return "5.105"
    return None


def _bilinear(parts: list[Expr], wrt: str, env: ShapeEnv, vector: bool) -> str | None:
    p, m, q = parts
    if not vector and _const(p, wrt) and _const(q, wrt):
        if _is(m, wrt):
            return "5.106"
        if isinstance(m, Call) and m.func == "inv" and _is(m.args[0], wrt):
            return "5.103"
    if vector and isinstance(p, Transpose) and _is(p.arg, wrt) and _is(q, wrt) and _const(m, wrt):
        return "5.107"
    return None


def _weighted(
    parts: list[Expr], wrt: str, env: ShapeEnv, assume: Mapping[str, frozenset[str]], vector: bool
) -> str | None:
    """(5.108): ``(x - A s)ᵀ W (x - A s)`` by ``s`` with ``W`` symmetric."""
    p, w, q = parts
    if not (vector and isinstance(p, Transpose) and p.arg == q and isinstance(w, Name)):
        return None
    if "symmetric" not in assume.get(w.id, frozenset()) or not _const(w, wrt):
        return None
    if isinstance(q, BinOp) and q.op == "-" and _const(q.left, wrt):
        r = q.right
        linear = isinstance(r, BinOp) and r.op == "@" and _const(r.left, wrt) and _is(r.right, wrt)
        return "5.108" if linear else None
    return None


def _outer(e: Expr) -> str | None:
    """(5.99)–(5.101): the transpose, trace or determinant of a function of the variable."""
    if isinstance(e, Transpose):
        return "5.99"
    if isinstance(e, Call) and e.func == "tr":
        return "5.100"
    if isinstance(e, Call) and e.func == "det":
        return "5.101"
    return None
