"""Sentences for second derivatives (MML 5.7): the dimension, the gradient first, its Jacobian, symmetry."""

from __future__ import annotations

from derivgen.derivation import Deriv
from derivgen.problem.expr import Name
from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, and_list, fact, fact_items, fact_shape, says
from derivgen.render.sentences.steps import shape_word


def _hessian(facts: Facts) -> bool:
    """A scalar differentiated twice by one vector: the Hessian."""
    shape = fact_shape(facts, "second_shape", ())
    return (not fact_shape(facts, "of_shape", ()) and fact(facts, "first") == fact(facts, "second")
            and len(shape) == 1)


@says("second_dimension")
def _second_dimension(facts: Facts, ctx: Context) -> str:
    of, first, second = (ctx.tex(str(fact(facts, k))) for k in ("of", "first", "second"))
    of_shape, first_shape = fact_shape(facts, "of_shape", ()), fact_shape(facts, "first_shape", ())
    second_shape = fact_shape(facts, "second_shape", ())
    order = len(of_shape) + len(first_shape) + len(second_shape)
    what = shape_word((second_shape[0], second_shape[0])) if _hessian(facts) else (
        "a scalar" if not order else "a matrix" if order == 2 else shape_word((0,) * order))
    if _hessian(facts):
        return (f"The Hessian of {of} collects all its second partial derivatives; first, the dimension: "
                f"for {second} with {_count(second_shape[0], ctx)} entries it is {what}.")
    if not order and first == second:
        return f"The second derivative with respect to {second}, {what}."
    if not order:
        return f"The derivative with respect to {second} of the derivative with respect to {first}, {what}."
    if first == second:
        return (f"The second derivative of {of} by {second} is the derivative of the first one by {second} "
                f"again; it is {what}.")
    return (f"The mixed second derivative is the derivative with respect to {second} of the derivative with "
            f"respect to {first}; its dimensions are those of {of}, then {first}, then {second}: {what}.")


def _count(dim: object, ctx: Context) -> str:
    return str(dim) if isinstance(dim, int) else ctx.tex(str(dim))


@says("first_derivative")
def _first_derivative(facts: Facts, ctx: Context) -> str:
    of, wrt = str(fact(facts, "of")), str(fact(facts, "wrt"))
    return f"The first derivative comes first, {ctx.tex(Deriv(Name(of), Name(wrt)))}:"


@says("gradient_column")
def _gradient_column(facts: Facts, ctx: Context) -> str:
    of, wrt = str(fact(facts, "of")), str(fact(facts, "wrt"))
    row = ctx.printer.print(Deriv(Name(of), Name(wrt)))
    ctx.once("gradient column")
    nabla = r"\nabla_{" + ctx.printer.print(Name(wrt)) + "} " + ctx.printer.print(Name(of))
    return (f"The gradient is a row; transposed, it is the column ${nabla} = ({row})^\\top$, a vector "
            f"function of {ctx.tex(wrt)} whose Jacobian is the second derivative:")


#: How each kind of entry reads as a matrix (``engine/second_matrix.py``).
READ_OFF = {
    "diagonal": "a term $\\delta_{kl} w_k$ is the diagonal matrix $\\operatorname{diag}(\\boldsymbol{w})$",
    "outer": "a product $a_k b_l$ is the outer product $\\boldsymbol{a}\\boldsymbol{b}^\\top$",
    "gram": ("a sum $\\sum_j A_{jk} w_j B_{jl}$ is the product "
             "$\\boldsymbol{A}^\\top \\operatorname{diag}(\\boldsymbol{w})\\,\\boldsymbol{B}$"),
}


@says("second_closed")
def _second_closed(facts: Facts, ctx: Context) -> str:
    by = ctx.tex(str(fact(facts, "by")))
    if fact(facts, "entries") is True:
        kinds = [str(k) for k in fact_items(facts, "kinds")]
        said = [READ_OFF[k] for k in ("diagonal", "outer", "gram") if k in kinds]
        return "Read the entries as a matrix: " + and_list(said or list(READ_OFF.values())) + ":"
    if fact(facts, "column") is True and ctx.once("gradient column"):
        of, wrt = str(fact(facts, "of")), str(fact(facts, "wrt"))
        return (f"Transposed, the gradient is the column {_nabla(of, wrt, ctx)}; its Jacobian is the "
                f"Hessian, so differentiate it once more with respect to {by}:")
    if not ctx.derivation.result.printed:
        return f"Differentiate it once more, with respect to {by}:"
    return f"Differentiate it once more, with respect to {by}, in matrix form:"


def _nabla(of: str, wrt: str, ctx: Context) -> str:
    """``∇_x f = (df/dx)ᵀ``, inline."""
    row = ctx.printer.print(Deriv(Name(of), Name(wrt)))
    nabla = "\\nabla_{" + ctx.printer.print(Name(wrt)) + "} " + ctx.printer.print(Name(of))
    return f"${nabla} = ({row})^\\top$"


@says("second_partials")
def _second_partials(facts: Facts, ctx: Context) -> str:
    by = ctx.tex(str(fact(facts, "by")))
    how = "entry by entry, and collect them" if fact(facts, "explicit") is True else "in index notation"
    return ("Differentiate each entry of the first derivative once more, with respect to each entry of "
            f"{by}, {how}:")


@says("symmetry")
def _symmetry(facts: Facts, ctx: Context) -> str:
    of = ctx.tex(str(fact(facts, "of")))
    printed = ctx.derivation.result.printed
    what = "The Hessian is symmetric" if len(printed) == 2 else \
        "The second derivative is symmetric in its two pairs of indices"
    text = f"{what}: for a twice continuously differentiable {of} the order of differentiation is immaterial"
    if fact(facts, "visible") is True:
        return text + ", and the matrix form equals its transpose:"
    if fact(facts, "visible") is False:
        return text + ", though the matrix form does not show it at a glance:"
    return text + ":"
