"""The differential of an expression, one rule per node kind (the rules of matrix differentials).

``d`` returns the differential as an expression in which the differential of a
varying name ``x`` is the name ``differential_name(x)`` (printed ``dx``), or
None when the expression does not vary.  Every rule it applies is recorded, with
the node and the result, so that the route can show it as a step:

| node | rule | differential |
|---|---|---|
| ``A + B``, ``A - B``, ``-A`` | ``sum`` | ``dA + dB`` ... |
| ``A @ B``, ``a * B`` | ``product`` (both vary) or ``linear`` (one does) | ``dA B + A dB`` |
| ``a / c`` | ``linear``; ``quotient`` when ``c`` varies (scalars) | ``(da c − a dc)/c²`` |
| ``Aᵀ`` | ``transpose`` | ``(dA)ᵀ`` |
| ``inv(A)`` | ``inverse`` | ``−A⁻¹ dA A⁻¹`` |
| ``det(A)`` | ``determinant`` | ``det(A) tr(A⁻¹ dA)`` |
| ``log(det(A))`` | ``log_determinant`` | ``tr(A⁻¹ dA)`` |
| ``tr(A)`` | ``trace`` | ``tr(dA)`` |
| ``norm(u)**2`` | ``norm_squared`` | ``2 uᵀ du`` |
| ``norm(u)`` | ``norm`` | ``uᵀ du / ‖u‖`` |
| ``u**n`` (scalar ``u``, constant ``n``) | ``power`` | ``n u^(n−1) du`` |
| ``log u``, ``exp u``, ``sin u`` ... (scalar ``u``) | ``log``, ``chain`` | ``f'(u) du`` |

Anything else (elementwise functions of arrays, ``sum``, ``diag``, components)
is refused with a :class:`~derivgen.errors.DerivationError` that says what
the route supports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from derivgen.derivation import differential_name
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Name, Neg, Num, Shape, Transpose

SUPPORTED = ("sums, products (@ and *), quotients by a scalar, transposes, inv, det, log det, tr, norm, "
             "norm**2, and scalar functions (log, exp, sin, cos, sqrt, tanh, sigma, powers) of scalars")


@dataclass(frozen=True)
class Applied:
    """One rule applied: ``d(node) = result``."""

    rule: str
    """The rule's name (see the module's table)."""
    node: Expr
    """The expression differentiated."""
    result: Expr
    """Its differential, in the differentials of its parts."""


def _scalar_derivative(func: str, u: Expr) -> Expr | None:
    """f'(u) for the scalar functions the route takes."""
    table: dict[str, Callable[[Expr], Expr]] = {
        "exp": lambda a: Call("exp", (a,)),
        "sin": lambda a: Call("cos", (a,)),
        "cos": lambda a: Neg(Call("sin", (a,))),
        "sqrt": lambda a: BinOp("/", Num(1), BinOp("*", Num(2), Call("sqrt", (a,)))),
        "tanh": lambda a: BinOp("-", Num(1), BinOp("^", Call("tanh", (a,)), Num(2))),
        "sigma": lambda a: BinOp("*", Call("sigma", (a,)), BinOp("-", Num(1), Call("sigma", (a,)))),
    }
    fn = table.get(func)
    return fn(u) if fn else None


class Differentiator:
    """``d(e)`` for the expressions of one problem; ``applied`` lists the rules used, in order."""

    def __init__(self, varies: Callable[[str], bool], shape: Callable[[Expr], Shape]) -> None:
        self.varies = varies
        self.shape = shape
        self.applied: list[Applied] = []

    def d(self, e: Expr) -> Expr | None:
        """The differential of ``e``, or None when ``e`` does not vary."""
        return self._d(e)

    def _record(self, rule: str, node: Expr, result: Expr) -> Expr:
        self.applied.append(Applied(rule, node, result))
        return result

    def _d(self, e: Expr) -> Expr | None:
        if isinstance(e, Num):
            return None
        if isinstance(e, Name):
            return differential_name(e.id) if self.varies(e.id) else None
        if isinstance(e, Neg):
            da = self.d(e.arg)
            return None if da is None else Neg(da)
        if isinstance(e, Transpose):
            da = self.d(e.arg)
            return None if da is None else self._record("transpose", e, Transpose(da))
        if isinstance(e, BinOp):
            return self._binop(e)
        if isinstance(e, Call):
            return self._call(e)
        raise self._refuse(e)

    def _binop(self, e: BinOp) -> Expr | None:
        if e.op == "^":
            return self._power(e)
        da, db = self.d(e.left), self.d(e.right)
        if da is None and db is None:
            return None
        if e.op in ("+", "-"):
            if da is None:
                return db if e.op == "+" else Neg(db) if db is not None else None
            return da if db is None else BinOp(e.op, da, db)
        if e.op in ("@", "*"):
            left = BinOp(e.op, da, e.right) if da is not None else None
            right = BinOp(e.op, e.left, db) if db is not None else None
            if left is not None and right is not None:
                return self._record("product", e, BinOp("+", left, right))
            result = left if left is not None else right
            assert result is not None
            return self._record("linear", e, result)
        if e.op == "/":
            if db is None and da is not None:
                return self._record("linear", e, BinOp("/", da, e.right))
            if self.shape(e.left) or self.shape(e.right):
                raise self._refuse(e)
            assert db is not None
            num = BinOp("-", BinOp("*", da, e.right) if da is not None else Num(0), BinOp("*", e.left, db))
            return self._record("quotient", e, BinOp("/", num, BinOp("^", e.right, Num(2))))
        raise self._refuse(e)

    def _power(self, e: BinOp) -> Expr | None:
        if self.d(e.right) is not None or not isinstance(e.right, Num):
            raise self._refuse(e)
        base = e.left
        if isinstance(base, Call) and base.func == "norm" and e.right == Num(2):
            du = self.d(base.args[0])
            if du is None:
                return None
            twice = BinOp("*", Num(2), Transpose(base.args[0]))
            return self._record("norm_squared", e, BinOp("@", twice, du))
        du = self.d(base)
        if du is None:
            return None
        if self.shape(base):
            raise self._refuse(e)
        n = e.right.value
        lower = BinOp("^", base, Num(n - 1)) if n != 2 else base
        return self._record("power", e, BinOp("*", BinOp("*", Num(n), lower), du))

    def _call(self, e: Call) -> Expr | None:
        if len(e.args) != 1:
            raise self._refuse(e)
        a = e.args[0]
        if e.func == "log" and isinstance(a, Call) and a.func == "det":
            dA = self.d(a.args[0])
            if dA is None:
                return None
            trace = Call("tr", (BinOp("@", Call("inv", (a.args[0],)), dA),))
            return self._record("log_determinant", e, trace)
        da = self.d(a)
        if da is None:
            return None
        if e.func == "tr":
            return self._record("trace", e, Call("tr", (da,)))
        if e.func == "inv":
            return self._record("inverse", e, Neg(BinOp("@", BinOp("@", e, da), e)))
        if e.func == "det":
            trace = Call("tr", (BinOp("@", Call("inv", (a,)), da),))
            return self._record("determinant", e, BinOp("*", e, trace))
        if e.func == "norm":
            return self._record("norm", e, BinOp("/", BinOp("@", Transpose(a), da), e))
        if self.shape(a):
            raise self._refuse(e)
        if e.func == "log":
            return self._record("log", e, BinOp("/", da, a))
        outer = _scalar_derivative(e.func, a)
        if outer is None:
            raise self._refuse(e)
        return self._record("chain", e, BinOp("*", outer, da))

    def _refuse(self, e: Expr) -> DerivationError:
        from derivgen.problem.text import to_text

        return DerivationError(f"method: differentials supports {SUPPORTED}; {to_text(e)} is none of these "
                               "(use method: auto)")
