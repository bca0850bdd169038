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
    none = f"the input {these} has none" if len(inputs) == 1 else f"the inputs {these} have none"
    return (f"Backpropagation works on the computation graph of {of}: the intermediate variables {named} "
            f"are its nodes, and each is computed from its parents, the variables its definition uses "
            f"({none}). Every node's value is computed "
            "once, in order (the forward pass); the derivatives then flow back along the same edges "
            "(the backward pass).")


@says("forward")
def _forward(facts: Facts, ctx: Context) -> str:
    return (f"The forward pass at {_values(facts, ctx)}: each node from its parents, top to bottom "
            "(the parents column lists the graph's edges):")


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
    adjoint = fact(facts, "adjoint", None)
    same = f", the adjoint of {wrt} found above ({float(adjoint):.4g})" if isinstance(adjoint, float) else ""
    return (f"The same derivative by the differentiation rules, with {of} written out in {wrt}; at the same "
            f"numbers it takes the same value{same}:")
