"""The logistic function σ as a SymPy function (SymPy has none of its own).

Imported only where SymPy is used: the row ``sigma`` of
:data:`derivgen.problem.functions.FUNCTIONS` names it as its SymPy form.
"""

from __future__ import annotations

from typing import Any

import sympy


class sigma(sympy.Function):  # lower case: printed as σ, as in the lectures
    """The logistic function 1 / (1 + exp(-z)), with σ' = σ(1 − σ)."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        return (1 / (1 + sympy.exp(-self.args[0])))._eval_evalf(prec)
