"""Sentences for ``layout: denominator``: what the transpose changes, and why (see
:mod:`derivgen.engine.layout`)."""

from __future__ import annotations

from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, fact, fact_shape, says
from derivgen.render.sentences.steps import shape_word


@says("layout")
def _layout(facts: Facts, ctx: Context) -> str:
    d = ctx.derivation
    of_shape = fact_shape(facts, "of_shape", d.of_shape)
    wrt_shape = fact_shape(facts, "wrt_shape", d.wrt_shape)
    new = fact_shape(facts, "denominator_shape", ())
    of, wrt = ctx.tex(str(fact(facts, "of", d.of))), ctx.tex(str(fact(facts, "wrt", d.wrt)))
    change = fact(facts, "change", "none")
    if not ctx.once("denominator"):  # said in full for an earlier part
        return ("In denominator layout, transpose:" if change == "transpose"
                else "In denominator layout nothing changes here:")
    head = ("So far the derivative is in numerator layout, the lectures' convention: the axes of "
            f"{of} come first, then those of {wrt}. Denominator layout (the Matrix Cookbook's and "
            f"CS229's) puts the axes of {wrt} first.")
    if change == "transpose":
        if not of_shape:
            why = (f" Then the gradient of a scalar by a vector is {shape_word(new)}, shaped like {wrt} "
                   "itself, so that a gradient step can add it to the vector.")
        elif not wrt_shape:
            why = f" Then the derivative of a vector by a scalar is {shape_word(new)}."
        else:
            why = (f" Then the derivative of a vector by a vector has one row per entry of {wrt}: "
                   "the transpose of the Jacobian.")
        return head + why + (" The entries are the same partial derivatives; only their arrangement "
                             "changes, by a transpose:")
    if change == "axes":
        return head + (" For an array of more than two axes there is no matrix to transpose: the entries are "
                       "the same partial derivatives, with those of the input first in the array's index.")
    if len(wrt_shape) == 2:
        return head + (" The gradient of a scalar by a matrix has the shape of the matrix in both "
                       "layouts (the lectures write it so in numerator layout too), so nothing changes:")
    return head + " Here nothing changes:"
