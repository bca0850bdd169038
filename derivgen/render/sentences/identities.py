"""Sentences for the identities (5.99)-(5.108) derived the lectures' way (see
:mod:`derivgen.render.identities`)."""

from __future__ import annotations

from collections.abc import Callable

from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, fact, fact_items, fact_relation, says

# --- identities (5.99)-(5.108) derived the lectures' way (derivgen/render/identities.py) -------


def _identity_math(ctx: Context, obj: object) -> str:
    return ctx.printer.print(ctx.math(obj) if isinstance(obj, str) else obj)


def _derive_identity_moves(facts: Facts, ctx: Context) -> dict[str, Callable[[], str]]:
    def m(key: str, default: str = "X") -> str:
        return _identity_math(ctx, str(fact(facts, key, default)))

    X = m("wrt")
    inv = f"{X}^{{-1}}"
    entry = ctx.entry(str(fact(facts, "wrt", "X")), "ij")
    number = str(fact(facts, "identity", ""))

    def transpose_compare() -> str:
        f = _identity_math(ctx, facts["f"])
        return (f"Compare with $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {f}$ itself. Its entry $f_{{qp}}$ is "
                f"the same sum as {ctx.entry(str(facts['of']), 'pq')}, so the two have the same partial "
                f"derivatives: the gradient of $\\boldsymbol{{f}}^{{\\top}}$ is the gradient of "
                f"$\\boldsymbol{{f}}$ with its two output indices swapped. That swap is what identity "
                f"({number}) means by the transpose of $\\partial "
                f"\\boldsymbol{{f}}(\\boldsymbol{{X}})/\\partial \\boldsymbol{{X}}$:")

    def cofactor_expansion() -> str:
        i, k = str(facts["row"]), str(facts["index"])
        return (f"Expand the determinant along row ${i}$ (the Laplace expansion). The cofactor "
                f"$C_{{{i}{k}}}$ is $(-1)^{{{i}+{k}}}$ times the minor $M_{{{i}{k}}}$, the determinant of "
                f"${X}$ with row ${i}$ and column ${k}$ deleted, so no cofactor $C_{{{i}{k}}}$ contains an "
                f"entry of row ${i}$.")

    def cofactor_partial() -> str:
        i, k, j = str(facts["row"]), str(facts["index"]), str(facts["col"])
        term = ctx.entry(str(facts["wrt"]), i + k)[:-1] + f"C_{{{i}{k}}}$"
        return (f"Differentiate by the entry {entry} of that row: of the terms {term} only ${k} = {j}$ "
                f"contains it, and its cofactor does not.")

    def adjugate() -> str:
        return (f"The cofactors, transposed, are the entries of the adjugate, "
                f"$[\\mathrm{{adj}}({X})]_{{ji}} = C_{{ij}}$, and the inverse is the adjugate divided by the "
                f"determinant. So every cofactor is an entry of ${inv}$ times $\\det({X})$:")

    def det_general() -> str:
        return (f"This is identity ({number}) for $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {X}$: "
                f"$\\partial {X}/\\partial X_{{ij}}$ has a single 1, in row $i$ and column $j$, so the trace "
                f"picks out the entry $(j, i)$ of ${inv}$:")

    def log_chain() -> str:
        u = str(fact(facts, "inner_name", "u"))
        of = _identity_math(ctx, str(fact(facts, "of", ctx.derivation.of)))
        inner = _identity_math(ctx, facts["inner"])
        return (f"Write ${of} = \\log {u}$ with ${u} = {inner}$. By the chain rule, with "
                f"$\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}}{u}}} \\log {u} = \\frac{{1}}{{{u}}}$:")

    def cite() -> str:
        return (f"By identity ({number}) with $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {X}$, "
                f"$\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}}{X}}}\\det({X}) = \\det({X})\\,{X}^{{-\\top}}$, so")

    def inverse_product_rule() -> str:
        return (f"Differentiate ${inv}{X} = \\boldsymbol{{I}}$ with the product rule. The identity matrix is "
                f"constant, so its derivative is zero. (A derivative by ${X}$ times a matrix is taken slice "
                f"by slice, one entry $X_{{ij}}$ at a time.)")

    def inverse_solve() -> str:
        return (f"Move the second term to the other side and multiply by ${inv}$ from the right. This is "
                f"identity ({number}) for $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {X}$:")

    def inverse_entries() -> str:
        return (f"Read it one entry {entry} at a time: $\\partial {X}/\\partial X_{{ij}}$ is the matrix with "
                f"a single 1, in row $i$ and column $j$, so its entries are $\\delta_{{mi}}\\delta_{{nj}}$, "
                f"and the Kronecker deltas keep one term of the entry $(p, q)$ of the slice:")

    def inverse_chain() -> str:
        a, b = m("a", "a"), m("b", "b")
        sm, sn = (str(s) for s in fact_items(facts, "sums", ("m", "n")))
        i, j = (str(s) for s in fact_items(facts, "entries", ("i", "j")))
        return (f"Differentiate under the sums: ${a}$ and ${b}$ are constant, and each entry of ${inv}$ is "
                f"differentiated by identity ({number}), read entry by entry: "
                f"{ctx.relation(fact_relation(facts, 'cited'))}. The sum over ${sm}$ is then entry ${i}$ of "
                f"${X}^{{-\\top}}{a}$, the sum over ${sn}$ entry ${j}$ of ${inv}{b}$:")

    def quadratic_rows() -> str:
        x, B, k = m("wrt", "x"), m("matrix", "B"), str(fact(facts, "index", "k"))
        return (f"The first sum is entry ${k}$ of ${B}{x}$, which is entry ${k}$ of the row "
                f"${x}^{{\\top}}{B}^{{\\top}}$; the second is entry ${k}$ of the row ${x}^{{\\top}}{B}$. "
                f"Together they are entry ${k}$ of ${x}^{{\\top}}({B} + {B}^{{\\top}})$:")

    def quadratic_factor() -> str:
        W = m("symmetric", "W")
        return (f"The factor {ctx.tex(str(facts['factor']))}, by identity ({number}); ${W}$ is symmetric, "
                f"so ${W}^{{\\top}} = {W}$:")

    def substitute_z() -> str:
        z, f = m("inner_name", "z"), ctx.tex(str(fact(facts, "of", ctx.derivation.of)))
        lead = (f"Name the residual ${z}$: then {f} is the quadratic form ${z}^{{\\top}}"
                f"{m('weight', 'W')}{z}$ in ${z}$, and the chain rule through ${z}$ gives the gradient.")
        if ctx.once("shapes_beneath"):
            return lead + (" The dimensions of each factor are written beneath it; "
                           "neighbouring factors must agree.")
        return lead

    def identity_reached() -> str:
        z = m("inner_name", "z")
        return (f"Writing ${z}$ out gives identity ({number}), the result below, for symmetric "
                f"{ctx.tex(str(fact(facts, 'symmetric', 'W')))}.")

    def trace_inside() -> str:
        f, A = _identity_math(ctx, facts["f"]), m("matrix", "A")
        return (f"This is identity ({number}) for $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {f}$: the trace is "
                f"a sum of entries, so the derivative passes inside it. $\\partial {X}/\\partial X_{{ij}}$ "
                f"has a single 1, in row $i$ and column $j$, so the trace of ${A}$ times it is the entry "
                f"$(j, i)$ of ${A}$:")

    return {fn.__name__: fn for fn in (
        transpose_compare, cofactor_expansion, cofactor_partial, adjugate, det_general, log_chain, cite,
        inverse_product_rule, inverse_solve, inverse_entries, inverse_chain, quadratic_rows, quadratic_factor,
        substitute_z, identity_reached, trace_inside)}


@says("derive_identity")
def _derive_identity(facts: Facts, ctx: Context) -> str:
    fn = _derive_identity_moves(facts, ctx).get(str(fact(facts, "move", "")))
    if fn is None:
        identity = facts.get("identity")
        return f"Towards identity ({identity}):" if identity else "Next:"
    return fn()
