"""The logistic function σ as a SymPy function (SymPy has none of its own).

With it the other functions SymPy should keep as written, each with its derivative: relu (whose
derivative is the step function), step, the absolute value (whose derivative is sign), sign,
softplus (whose derivative is σ) and log1p.

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


class _Named(sympy.Function):
    """A function SymPy keeps as it is written, with its value from a SymPy expression."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        return self.value(self.args[0])._eval_evalf(prec)


class relu(_Named):
    """max(z, 0), with relu' = step (undefined at 0)."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.Max(z, 0)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return step(self.args[0])


class step(_Named):
    """The Heaviside step function: 1 for z > 0, 0 for z < 0; derivative 0 away from 0."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.Heaviside(z, 0)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.Integer(0)


class absolute(_Named):
    """|z|, with |z|' = sign(z) (undefined at 0)."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.Abs(z)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sign(self.args[0])


class sign(_Named):
    """The sign function: 1 for z > 0, −1 for z < 0; derivative 0 away from 0."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.sign(z)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.Integer(0)


class softplus(_Named):
    """log(1 + exp(z)), with softplus' = σ."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.log(1 + sympy.exp(z))

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sigma(self.args[0])


class log1p(_Named):
    """log(1 + z), with log1p' = 1 / (1 + z)."""

    @classmethod
    def value(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.log(1 + z)

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return 1 / (1 + self.args[0])
