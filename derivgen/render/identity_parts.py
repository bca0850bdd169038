"""Which problems derive which identity, and the small pieces their derivations are built from
(see :mod:`derivgen.render.identities`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeGuard, TypeVar

from derivgen.derivation import Deriv, Step, Text
from derivgen.problem.expr import BinOp, Call, Dim, Expr, Name, Transpose
from derivgen.problem.model import Problem

Steps = tuple[Step, ...]
T = TypeVar("T")


# --- which problems -----------------------------------------------------------------


def derives(problem: Problem, number: str) -> bool:
    """Whether the problem's title names identity ``number`` (as ``Context.derives_identity``)."""
    return f"({number})" in (problem.title or "")


def is_name(e: Expr, name: str) -> TypeGuard[Name]:
    return isinstance(e, Name) and e.id == name


def is_call(e: Expr, func: str) -> TypeGuard[Call]:
    return isinstance(e, Call) and e.func == func and len(e.args) == 1


def m_transpose(problem: Problem, body: Expr, wrt: str) -> bool:
    return (derives(problem, "5.99") and isinstance(body, Transpose) and isinstance(body.arg, BinOp)
            and body.arg.op == "@" and is_name(body.arg.left, wrt) and isinstance(body.arg.right, Name))


def m_det(problem: Problem, body: Expr, wrt: str) -> bool:
    return derives(problem, "5.101") and is_call(body, "det") and is_name(body.args[0], wrt)


def m_log_det(problem: Problem, body: Expr, wrt: str) -> bool:
    return is_call(body, "log") and is_call(body.args[0], "det") and is_name(body.args[0].args[0], wrt)


def m_inverse(problem: Problem, body: Expr, wrt: str) -> bool:
    return derives(problem, "5.102") and is_call(body, "inv") and is_name(body.args[0], wrt)


def bilinear_inverse(body: Expr, wrt: str) -> tuple[str, str] | None:
    """``(a, b)`` for ``aᵀ X⁻¹ b``."""
    if (isinstance(body, BinOp) and body.op == "@" and isinstance(body.right, Name)
            and isinstance(body.left, BinOp) and body.left.op == "@"
            and isinstance(body.left.left, Transpose) and isinstance(body.left.left.arg, Name)
            and is_call(body.left.right, "inv") and is_name(body.left.right.args[0], wrt)):
        return body.left.left.arg.id, body.right.id
    return None


def m_inverse_bilinear(problem: Problem, body: Expr, wrt: str) -> bool:
    return derives(problem, "5.103") and bilinear_inverse(body, wrt) is not None


def quadratic(body: Expr) -> tuple[Expr, str] | None:
    """``(x, B)`` for ``xᵀ B x``: the vector (any expression) and the matrix's name."""
    if (isinstance(body, BinOp) and body.op == "@" and isinstance(body.left, BinOp) and body.left.op == "@"
            and isinstance(body.left.left, Transpose) and isinstance(body.left.right, Name)
            and body.left.left.arg == body.right):
        return body.right, body.left.right.id
    return None


def m_quadratic(problem: Problem, body: Expr, wrt: str) -> bool:
    q = quadratic(body)
    return derives(problem, "5.107") and q is not None and is_name(q[0], wrt)


def m_weighted(problem: Problem, body: Expr, wrt: str) -> bool:
    return derives(problem, "5.108") and quadratic(body) is not None


# --- small builders --------------------------------------------------------------------


def minus() -> Text:
    return Text("−")


def plus() -> Text:
    return Text("+")


def inverse_of(x: Expr) -> Expr:
    return Call("inv", (x,))


def det_of(x: Expr) -> Expr:
    return Call("det", (x,))


def shown(d: Deriv) -> Expr:
    """A derivative symbol inside an expression that is only displayed (``tr(A ∂X/∂X_ij)``).

    The printer typesets it like any factor; nothing evaluates or differentiates these lines.
    """
    return d  # type: ignore[return-value]  # a display object where the Expr tree expects an Expr


def argument(e: Expr) -> Expr:
    """The argument of a one-argument call (``ValueError``, so the steps are left as they are, if not)."""
    if not isinstance(e, Call) or len(e.args) != 1:
        raise ValueError(e)
    return e.args[0]


def name_of(e: Expr) -> str:
    if not isinstance(e, Name):
        raise ValueError(e)
    return e.id


def factors_of(e: Expr) -> tuple[Expr, Expr]:
    """The two sides of a matrix product ``left @ right``."""
    if not isinstance(e, BinOp) or e.op != "@":
        raise ValueError(e)
    return e.left, e.right


def dim_of(problem: Problem, name: str, axis: int) -> Dim:
    var = problem.var(name)
    if var is None or len(var.shape) <= axis:
        raise LookupError(name)
    return var.shape[axis]


def matched(found: T | None) -> T:
    """What a matcher found (``ValueError``, so the steps are left as they are, if nothing)."""
    if found is None:
        raise ValueError("the problem does not have the expected form")
    return found


def find_step(steps: Steps, kind: str) -> Step:
    for s in steps:
        if s.kind == kind:
            return s
    raise LookupError(kind)


def letters(problem: Problem, *avoid: str) -> Callable[[str], str]:
    """The first of the given index letters that names no variable of the problem."""
    names = {v.name for v in problem.given} | {d.name for d in problem.define}

    def pick(candidates: str) -> str:
        for c in candidates:
            if c not in names and c not in avoid:
                return c
        raise LookupError("no free index letter")

    return pick
