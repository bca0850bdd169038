"""Sentences for ``method: backprop``: the computation graph, the forward and backward passes and
the symbolic derivative they meet (see :mod:`derivgen.engine.backprop`)."""

from __future__ import annotations

from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, and_list, fact, fact_items, says


def _values(facts: Facts, ctx: Context) -> str:
    values = fact(facts, "values", {})
    if not isinstance(values, dict):
        raise TypeError("values is not a mapping")
    return and_list([ctx.tex(str(n))[:-1] + f" = {float(v):g}$" for n, v in values.items()])


@says("graph")
def _graph(facts: Facts, ctx: Context) -> str:
    nodes = [str(n) for n in fact_items(facts, "nodes")]
    inputs = [str(n) for n in fact_items(facts, "inputs")]
    of = ctx.tex(str(fact(facts, "of", ctx.derivation.of)))
    named = and_list([ctx.tex(n) for n in nodes if n not in inputs])
    these = and_list([ctx.tex(n) for n in inputs])
    return (f"The computation graph of {of}: the inputs {these} and the intermediate variables {named}, "
            "each with an edge from every variable its definition uses (its parents):"
            if len(inputs) > 1 else
            f"The computation graph of {of}: the input {these} and the intermediate variables {named}, "
            "each with an edge from every variable its definition uses (its parents):")


@says("forward")
def _forward(facts: Facts, ctx: Context) -> str:
    return f"The forward pass at {_values(facts, ctx)} computes every node from its parents, in order:"


@says("local")
def _local(facts: Facts, ctx: Context) -> str:
    off = [ctx.tex(str(n)) for n in fact_items(facts, "off_path")]
    skip = (f" Only the edges on a path from {ctx.tex(ctx.derivation.wrt)} matter: {and_list(off)} "
            f"{'does' if len(off) == 1 else 'do'} not depend on it.") if off else ""
    return ("Each edge carries a local partial derivative of the child by the parent, taken as if the other "
            f"parents were constants, and its value from the forward pass.{skip}")


@says("backward")
def _backward(facts: Facts, ctx: Context) -> str:
    of = ctx.tex(str(fact(facts, "of", ctx.derivation.of)))
    return (f"The backward pass: the adjoint of a node, the derivative of {of} by it, is the sum over its "
            f"children of the child's adjoint times the local derivative (the chain rule, MML (5.145)). "
            f"It starts from the adjoint 1 of {of} itself and runs through the nodes in reverse order:")


@says("link")
def _link(facts: Facts, ctx: Context) -> str:
    of = ctx.tex(str(fact(facts, "of", ctx.derivation.of)))
    wrt = ctx.tex(str(fact(facts, "wrt", ctx.derivation.wrt)))
    value = fact(facts, "value", None)
    at = f" is {ctx.tex(value)} there" if value is not None else " takes the same value there"
    return (f"The same derivative by the differentiation rules, with {of} written out in {wrt}, is the "
            f"result below; at the same numbers it{at}, the adjoint of {wrt}.")
