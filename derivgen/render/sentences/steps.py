"""Sentences for the steps of vector and matrix derivations: dimension, index notation, partial
derivatives, stacking and collating, the chain rule, matrix forms."""

from __future__ import annotations

from collections.abc import Mapping

from derivgen.derivation import Column, Simplex, Symmetric
from derivgen.problem.shapes import printed_shape
from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, and_list, fact, fact_items, fact_shape, items, says
from derivgen.render.sentences.rules import rules_phrase

# --- the shape of the result ----------------------------------------------------------


def shape_word(shape: tuple) -> str:
    """What the lectures call an array of this printed shape."""
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return "a column vector"
    if len(shape) == 2:
        return "a row vector" if shape[0] == 1 else "a matrix"
    return f"a tensor of order {len(shape)}"


@says("dimension")
def _dimension(facts: Facts, ctx: Context) -> str:
    d = ctx.derivation
    of_shape = fact_shape(facts, "of_shape", d.of_shape)
    wrt_shape = fact_shape(facts, "wrt_shape", d.wrt_shape)
    of, wrt = ctx.tex(str(fact(facts, "of", d.of))), ctx.tex(str(fact(facts, "wrt", d.wrt)))
    printed = printed_shape(of_shape, wrt_shape)
    if fact(facts, "whole"):
        noun = "gradient" if not of_shape and wrt_shape else "derivative"
        return f"The {noun} of {of} with respect to {wrt} is {shape_word(printed)}."
    if not of_shape and not wrt_shape:
        return f"First, the dimension: the derivative of {of} with respect to {wrt} is a scalar."
    what = shape_word(printed)
    if not of_shape and len(wrt_shape) == 1:
        why = " (a scalar by a vector)" if ctx.once("row") else ""
        return f"First, the dimension: the gradient is {what}{why}."
    why = " (the output's dimensions, then the input's)" if ctx.once("layout") else ""
    return f"First, the dimension: the derivative is {what}{why}."


# --- rewriting and index notation ----------------------------------------------------

REWRITE = {
    "norm_squared": "A squared norm is the inner product of a vector with itself, so rewrite it as one.",
    "inner_function": "Give the inner function a name of its own, so that the chain rule applies.",
    "definition": "Write the quantity out from its definition.",
    "multiply_out": "The matrices are given entry by entry, so carry out the matrix operations: what remains "
                    "is a scalar function of the variable.",
    "write_out": "The vector has a concrete size, so write the function of the whole vector out entry by "
                 "entry: what remains is a scalar function of its components.",
}


@says("rewrite")
def _rewrite(facts: Facts, ctx: Context) -> str:
    if fact(facts, "reason", "") == "symmetrised":
        return _symmetrised(str(fact(facts, "matrix", "")), ctx)
    return REWRITE.get(str(fact(facts, "reason", "")),
                       "Rewrite the expression in a form that is easier to differentiate.")


def _symmetrised(name: str, ctx: Context) -> str:
    """Why the gradient by a symmetric matrix, asked for symmetrised, is sym(G) (Srinivasan and Panda)."""
    e = ctx.printer.entry_letter(name)
    g = r"\boldsymbol{G}"
    return (f"{ctx.tex(name)} is symmetric, so its entries ${e}_{{ij}}$ and ${e}_{{ji}}$ change together, "
            "and the gradient is asked for on the symmetric matrices: the symmetric part "
            rf"$\operatorname{{sym}}({g}) = \frac{{1}}{{2}}({g} + {g}^\top)$ of the plain gradient "
            rf"${g}$ above (Srinivasan and Panda, 2023). The formula "
            rf"${g} + {g}^\top - {g} \odot \boldsymbol{{I}}$ of some references is twice this off the "
            "diagonal.")


@says("index_notation")
def _index_notation(facts: Facts, ctx: Context) -> str:
    ranges = [items(r) for r in fact_items(facts, "ranges")]
    if not ranges:
        return "Write the function entry by entry, in index notation."
    spans = [f"${ctx.printer.print(ctx.math(str(i)))} = 1, \\ldots, {ctx.printer.print(ctx.math(str(n)))}$"
             for i, n in ranges]
    lead = f"Write the function entry by entry, in index notation, for {and_list(spans)}."
    matrix = facts.get("columns")
    if isinstance(matrix, str):  # K = RᵀR: entries are dot products of columns (MML 5.13)
        column = ctx.printer.print(Column(matrix, "i"))
        return (f"{lead} With ${column}$ the $i$th column of {ctx.tex(matrix)}, every entry is the dot "
                "product of two columns.")
    return lead


@says("partials")
def _partials(facts: Facts, ctx: Context) -> str:
    by = facts.get("by")
    target = f" with respect to {ctx.tex(str(by))}" if by else ""
    rules = facts.get("rules")
    if facts.get("from_part"):
        return f"From part ({facts['from_part']}):"
    if facts.get("same_way"):
        return "The next entry in the same way:"
    scalar_rules = isinstance(rules, list) and not facts.get("entry") and not ctx.derivation.of_shape
    what = "the function" if scalar_rules else "each entry"
    if isinstance(rules, list):
        how = f", by {rules_phrase(rules)}" if rules else ""
        return f"Differentiate {what}{target}{how}."
    if not facts.get("deltas"):
        return f"Differentiate {what}{target}."
    if ctx.once("kronecker"):
        return (f"Differentiate {what}{target}. A Kronecker delta is 1 where its two indices "
                "agree and 0 elsewhere, so each sum keeps only the terms where the indices meet.")
    return f"Differentiate {what}{target}; the Kronecker deltas keep only the terms where the indices meet."


@says("cases")
def _cases(facts: Facts, ctx: Context) -> str:
    return "The partial derivative depends on which indices coincide, so take the cases one at a time."


@says("stack")
def _stack(facts: Facts, ctx: Context) -> str:
    index = str(fact(facts, "entry", "i"))
    out = ctx.entry(str(fact(facts, "of", ctx.derivation.of)), index)
    return (f"Hold the output entry {out} fixed and arrange its partial derivatives in the shape "
            "of the input, one row at a time.")


@says("collate")
def _collate(facts: Facts, ctx: Context) -> str:
    if "slices" in facts:  # Figure 5.7 (a): one slice per input component
        return (f"Collate these {fact(facts, 'slices', '')} slices, one for each input variable, "
                "into the gradient, a tensor with one more dimension than the output.")
    return "Collect these slices, one for each output entry, into the full gradient."


@says("explicit")
def _explicit(facts: Facts, ctx: Context) -> str:
    sizes = fact(facts, "sizes", {})
    if isinstance(sizes, Mapping) and sizes:
        shown = and_list([f"${ctx.printer.print(ctx.math(str(k)))} = {v}$" for k, v in sizes.items()])
        return f"For concrete sizes, {shown}, the gradient written out in full is"
    return "Written out in full, the gradient is"


@says("vec")
def _vec(facts: Facts, ctx: Context) -> str:
    if facts.get("reuses"):
        return ("The same gradient by a second route: flatten the matrix into a vector by stacking its "
                "columns, take the ordinary Jacobian matrix of that vector (its columns are the partial "
                "derivatives found above, flattened the same way), then re-shape it into the tensor:")
    return ("The same gradient by a second route: flatten the matrix into a vector, take the "
            "ordinary Jacobian matrix, then reshape it back.")


# --- the chain rule -------------------------------------------------------------------


@says("chain_rule")
def _chain_rule(facts: Facts, ctx: Context) -> str:
    via = [ctx.tex(str(v)) for v in fact_items(facts, "via")]
    through = f" through {and_list(via)}" if via else ""
    if ctx.once("shapes_beneath"):
        return (f"Apply the chain rule{through}. The dimensions of each factor are written beneath it; "
                "neighbouring factors must agree.")
    return f"Apply the chain rule{through}."


@says("factor")
def _factor(facts: Facts, ctx: Context) -> str:
    f, symbol = facts.get("factor"), facts.get("symbol")
    name = ctx.tex(symbol) if symbol is not None else (ctx.tex(str(f)) if f else "the next factor")
    if facts.get("result"):
        return f"So the factor {name} is"
    if facts.get("from_part"):
        return f"The factor {name} is the one found in part ({facts['from_part']}):"
    if facts.get("lead"):
        return f"The factor {name}:"
    if facts.get("closed"):
        identity = facts.get("identity")
        rules = named_rules(fact(facts, "rules", ()))
        how = ""
        if identity and not ctx.derives_identity(str(identity)):
            how = f"by identity ({identity})"
        elif rules:
            how = f"by the {and_list(rules)} rule{'s' if len(rules) > 1 else ''}"
        if facts.get("rewrite") == "norm_squared":
            return f"The factor {name}: a squared norm is an inner product" + (f", so {how}:" if how else ":")
        return f"The factor {name}, {how}:" if how else f"The factor {name}:"
    applied = facts.get("rules")
    if isinstance(applied, list) and applied:
        return f"The factor {name}, by {rules_phrase(applied)}:"
    return f"Now the factor {name}." if f or symbol is not None else "Now the next factor."


@says("multiply")
def _multiply(facts: Facts, ctx: Context) -> str:
    names = [ctx.tex(str(n)) for n in fact_items(facts, "substituted")]
    notes = [n for n in fact_items(facts, "notes") if isinstance(n, Simplex)]
    if notes:
        said = "; ".join(_simplex_words(n, ctx) for n in notes)
        # no symbol of its own (a u the problem never introduced): the rule in words
        return ("Multiplying the factors together, a diagonal matrix meets its inverse and they cancel; "
                f"{said}.")
    if names:
        return f"Multiplying the factors and writing {and_list(names)} out gives the gradient."
    return "Multiplying the factors together gives the gradient."


def _simplex_words(n: Simplex, ctx: Context) -> str:
    y = ctx.tex(n.name).strip("$")
    why = "is a softmax (its entries are positive and sum to 1)" if n.softmax else \
        "lies on the simplex (its entries are at least 0 and sum to 1)"
    return f"${y}$ {why}, so " + rf"$\operatorname{{sum}}({y}) = \boldsymbol{{1}}^\top {y} = 1$"


@says("gradient")
def _gradient(facts: Facts, ctx: Context) -> str:
    if fact(facts, "kind") == "jacobian":
        return ("Collect the partial derivatives into the Jacobian matrix: "
                "row $i$ holds the partials of output $i$.")
    return "Collect the partial derivatives into a row vector: this is the gradient."


# --- matrix forms and identities ---------------------------------------------------------


@says("closed_form")
def _closed_form(facts: Facts, ctx: Context) -> str:
    identity = facts.get("identity")
    rules = named_rules(fact(facts, "rules", ()))
    notes = " ".join(f"{fact_words(n, ctx)}." for n in fact_items(facts, "notes"))
    lead = f"{notes} " if notes else ""
    if identity and ctx.derives_identity(str(identity)):
        return f"{lead}Collected into matrix form, this is identity ({identity}):"
    if identity and facts.get("tensor"):
        return f"{lead}This is identity ({identity}), written entry by entry:"
    if identity:
        return f"{lead}In matrix form, by identity ({identity}):"
    if rules:
        return f"{lead}In matrix form, using the {and_list(rules)} rule{'s' if len(rules) > 1 else ''}:"
    return f"{lead}In matrix form:"


#: Rules too small to name beside a larger one (the sum of two terms, a transpose, a norm written out).
MINOR_RULES = ("sum", "transpose", "norm")


def named_rules(rules: object) -> list[str]:
    """The matrix rules worth naming in a sentence, in words; the minor ones only when alone."""
    names = [str(r) for r in rules] if isinstance(rules, (list, tuple)) else []
    major = [r for r in names if r not in MINOR_RULES] or names
    return [RULE_WORDS.get(r, r.replace("_", "-")) for r in dict.fromkeys(major)]


def fact_words(fact: object, ctx: Context) -> str:
    """A fact the simplifier used, in words: ``W is symmetric, so Wᵀ = W`` (a symmetric matrix's
    name typeset, as Σ for ``Sigma``)."""
    if isinstance(fact, Symmetric):
        m = ctx.tex(fact.name)[1:-1]
        return f"${m}$ is symmetric, so ${m}^{{\\top}} = {m}$"
    if isinstance(fact, Simplex) and fact.softmax:
        return f"{fact.name} is a softmax (its entries are positive and sum to 1), so 1ᵀ{fact.name} = 1"
    if isinstance(fact, Simplex):
        return (f"{fact.name} lies on the simplex (its entries are at least 0 and sum to 1), "
                f"so 1ᵀ{fact.name} = 1")
    return str(fact)


#: How the matrix engine's rule names read in a sentence.
RULE_WORDS = {
    "quadratic_form": "quadratic-form",
    "linear_form": "linear-form",
    "log_det": "log-determinant",
    "elementwise": "elementwise-function",
    "inverse": "inverse",
    "determinant": "determinant",
    "softmax": "softmax",
    "logsumexp": "log-sum-exp",
}


@says("justify")
def _justify(facts: Facts, ctx: Context) -> str:
    identity = facts.get("identity")
    which = f"identity ({identity})" if identity else "this identity"
    return f"Why {which} holds: derive it rather than quote it."


@says("entry")
def _entry(facts: Facts, ctx: Context) -> str:
    if fact(facts, "phase") == "plan" and facts.get("slice"):
        whole = ctx.tex(str(fact(facts, "whole", "")))
        return (f"The derivative by one entry of {whole} is a slice of the whole derivative with respect to "
                f"{whole}: work that out first, then hold the input indices at the entry asked for.")
    if fact(facts, "phase") == "plan":
        whole = ctx.tex(str(fact(facts, "whole", "")))
        return (f"The scalar rules do not reach inside matrix operations, so work out the whole gradient "
                f"with respect to {whole} first; the partial derivative asked for is one of its entries.")
    if facts.get("slice"):
        return "Hold the input indices at the entry asked for, and write the slice out."
    return "Read off that entry."


@says("simplify")
def _simplify(facts: Facts, ctx: Context) -> str:
    return "Tidy the result."


@says("substitute")
def _substitute(facts: Facts, ctx: Context) -> str:
    names = [ctx.tex(str(n)) for n in fact_items(facts, "names")]
    if names:
        definitions = "its definition" if len(names) == 1 else "their definitions"
        return f"Replace {and_list(names)} by {definitions} to write the result in the given variables."
    return "Write the result in the given variables."
