"""Sentences for Taylor polynomials (MML Definition 5.3, Examples 5.3, 5.4) and the multivariate expansion
(Definition 5.7, Example 5.15).

Registered when :mod:`derivgen.render.taylor` is imported (it takes :func:`taylor_call` from here).
"""

from __future__ import annotations

from collections.abc import Sequence

from derivgen.problem.expr import Call, Expr, Name
from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, fact, fact_items, says


def taylor_call(degree: object, names: object) -> Expr:
    """``T_k(x, y)`` for a degree and the variables' names."""
    listed = [str(n) for n in names] if isinstance(names, Sequence) and not isinstance(names, str) else [
        str(names)]
    return Call(f"T_{degree}", tuple(Name(n) for n in listed))


def _point(facts: Facts, ctx: Context) -> str:
    """``x_0 = 1`` or ``(x_0, y_0) = (1, 2)``, inline."""
    names = [str(n) for n in fact_items(facts, "wrt")]
    at = [ctx.printer.print(a) for a in fact_items(facts, "at")]
    zero = [ctx.printer.print(Name(n)) + "_0" for n in names]
    if len(names) == len(at) == 1:
        return f"${zero[0]} = {at[0]}$"
    if len(names) == 1:  # a vector: its entries
        return f"${zero[0]} = \\begin{{bmatrix}}{' & '.join(at)}\\end{{bmatrix}}^\\top$"
    return f"$({', '.join(zero)}) = ({', '.join(at)})$"


@says("taylor_definition")
def _taylor_definition(facts: Facts, ctx: Context) -> str:
    names = [str(n) for n in fact_items(facts, "wrt")]
    k, of = fact(facts, "degree"), ctx.printer.print(Name(str(fact(facts, "of"))))
    poly = ctx.printer.print(taylor_call(k, names))
    if len(names) == len(list(fact_items(facts, "at"))) == 1:
        x = ctx.printer.print(Name(names[0]))
        return (f"The Taylor polynomial of degree {k} of ${of}$ at {_point(facts, ctx)} is "
                f"${poly} = \\sum_{{j=0}}^{{{k}}} \\frac{{{of}^{{(j)}}({x}_0)}}{{j!}} ({x} - {x}_0)^j$ "
                f"(MML Definition 5.3): it needs the derivatives of ${of}$ up to order {k} at the point.")
    delta, x0 = r"\boldsymbol{\delta}", r"\boldsymbol{x}_0"
    lead = (f"The Taylor expansion of ${of}$ at {_point(facts, ctx)}, with ${delta}$ the step from the point "
            "(MML Definition 5.7), is, to ")
    first = f"{of}({x0}) + \\nabla {of}({x0})\\,{delta}"
    second = f"{first} + \\tfrac{{1}}{{2}} {delta}^\\top \\boldsymbol{{H}}({x0})\\,{delta}"
    if k == 0:
        return lead + f"zeroth order, ${poly} = {of}({x0})$: it needs ${of}$ there."
    if k == 1:
        return lead + (f"first order (the linearization), ${poly} = {first}$: it needs ${of}$ and its "
                       "gradient there.")
    if k == 2:
        return lead + (f"second order, ${poly} = {second}$: it needs ${of}$, its gradient and its Hessian "
                       "there.")
    return lead + (f"order {k}, ${poly} = {second} + \\ldots$, each order $m$ adding "
                   f"$\\frac{{1}}{{m!}} D^m {of}({x0})\\,{delta}^m$: it needs the partial derivatives of "
                   f"${of}$ up to order {k} there.")


@says("taylor_higher")
def _taylor_higher(facts: Facts, ctx: Context) -> str:
    order = fact(facts, "order")
    return (f"The partial derivatives of order {order} and their values at the point (the order of "
            "differentiation does not matter):")


@says("taylor_derivatives")
def _taylor_derivatives(facts: Facts, ctx: Context) -> str:
    of = ctx.tex(str(fact(facts, "of")))
    return f"Differentiate {of} again and again, and evaluate each derivative at the point:"


@says("taylor_value")
def _taylor_value(facts: Facts, ctx: Context) -> str:
    return f"The value of {ctx.tex(str(fact(facts, 'of')))} at the point:"


@says("taylor_gradient")
def _taylor_gradient(facts: Facts, ctx: Context) -> str:
    return "The first partial derivatives and their values at the point, collected into the gradient (a row):"


@says("taylor_hessian")
def _taylor_hessian(facts: Facts, ctx: Context) -> str:
    return ("The second partial derivatives and their values at the point, collected into the Hessian; the "
            "mixed ones agree, so it is symmetric:")


@says("taylor_polynomial")
def _taylor_polynomial(facts: Facts, ctx: Context) -> str:
    return "Put these values into the definition:"
