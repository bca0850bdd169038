"""Sentences for scalar rules (named, folded, the chain rule's parts) and for the derivative
from its definition (the limit of the difference quotient)."""

from __future__ import annotations

from derivgen.problem.functions import FUNCTIONS
from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, and_list, fact, fact_items, fact_relation, items, says

# --- scalar rules ---------------------------------------------------------------------------

RULES = {
    "sum": "By the sum rule, differentiate each term on its own and add.",
    "difference": "By the sum rule, differentiate each term of the difference on its own.",
    "constant_multiple": "A constant factor stays in front of the derivative.",
    "product": "By the product rule, $(uv)' = u'v + uv'$.",
    "quotient": "By the quotient rule, $\\left(\\frac{u}{v}\\right)' = \\frac{u'v - uv'}{v^{2}}$.",
    "power": "By the power rule, $(x^{n})' = n x^{n-1}$.",
    "general_power": "A power with a variable exponent is an exponential: $a^{b} = \\exp(b \\log a)$.",
    "exp": "The exponential function is its own derivative.",
    "log": "The derivative of $\\log x$ is $\\frac{1}{x}$.",
    "sin": "The derivative of $\\sin x$ is $\\cos x$.",
    "cos": "The derivative of $\\cos x$ is $-\\sin x$.",
    "tan": "The derivative of $\\tan x$ is $1 + \\tan^{2} x$.",
    "sqrt": "The derivative of $\\sqrt{x}$ is $\\frac{1}{2\\sqrt{x}}$.",
    "tanh": "The derivative of $\\tanh x$ is $1 - \\tanh^{2} x$.",
    "sigma": "The logistic function satisfies $\\sigma'(x) = \\sigma(x)\\left(1 - \\sigma(x)\\right)$.",
    "softplus": "The derivative of $\\operatorname{softplus} x = \\log(1 + e^{x})$ is "
                "$\\frac{e^{x}}{1 + e^{x}} = \\sigma(x)$.",
    "log1p": "The derivative of $\\log(1 + x)$ is $\\frac{1}{1 + x}$.",
    "relu": "The rectifier $\\operatorname{ReLU} x = \\max(x, 0)$ has derivative $\\mathit{H}(x)$, 1 for "
            "$x > 0$ and 0 for $x < 0$; at $x = 0$ it has a kink and no derivative.",
    "abs": "The derivative of $\\lvert x \\rvert$ is $\\operatorname{sign} x$, for $x \\neq 0$; at $x = 0$ "
           "it has a kink and no derivative.",
    "step": "Away from 0 the step function $\\mathit{H}$ is constant, so its derivative is 0.",
    "sign": "Away from 0 the sign function is constant, so its derivative is 0.",
    "component": "A component differentiated by a component gives 1 if they are the same and 0 otherwise.",
    "negation": "A minus sign carries through the derivative.",
    "constant": "A constant has derivative zero.",
    "variable": "The variable differentiated by itself gives 1.",
}


#: How each scalar rule is named in a sentence that names the rules used.
RULE_NAMES = {
    "sum": "sum", "difference": "sum", "constant_multiple": "constant-multiple", "product": "product",
    "quotient": "quotient", "power": "power", "chain": "chain", "general_power": "exponential",
}
#: Elementary functions whose derivative a sentence names as "the derivative of ...".
FUNCTION_NAMES = {fn.name: fn.words for fn in FUNCTIONS.values() if fn.elementwise}


def rules_phrase(rules: list[object]) -> str:
    """``the power and chain rules and the derivative of sin`` for a list of rule names."""
    named = list(dict.fromkeys(RULE_NAMES[r] for r in rules if r in RULE_NAMES))
    if len(named) > 1 or any(r in FUNCTION_NAMES for r in rules):
        named = [n for n in named if n != "constant-multiple"]  # too small a step to name beside others
    funcs = list(dict.fromkeys(FUNCTION_NAMES[r] for r in rules if r in FUNCTION_NAMES))
    pieces = []
    if named:
        pieces.append(f"the {and_list(named)} rule{'s' if len(named) > 1 else ''}")
    if funcs:
        pieces.append(f"the derivative{'s' if len(funcs) > 1 else ''} of {and_list(funcs)}")
    return " and ".join(pieces) if pieces else "the basic rules"


@says("rule")
def _rule(facts: Facts, ctx: Context) -> str:
    rule = str(fact(facts, "rule", ""))
    if rule == "chain":
        return _chain(facts, ctx)
    if rule == "folded":
        return f"By {rules_phrase(list(fact_items(facts, 'rules')))}:"
    if rule == "parts":
        return f"First the derivatives of the parts, by {rules_phrase(list(fact_items(facts, 'rules')))}:"
    if rule == "name_inner":
        u = ctx.printer.print(ctx.math(str(facts["inner_name"])))
        of = ctx.tex(ctx.derivation.of)
        if facts.get("named"):
            return f"Write {of} as a composition of an inner function ${u}$ and an outer function $g$:"
        outer = ctx.printer.print(facts["outer"])
        return f"Write {of} as a composition: the outer function ${outer}$ of the inner function"
    if rule == "chain_factors":
        u = ctx.printer.print(ctx.math(str(facts["inner_name"])))
        per = [rules_phrase(list(items(r))) for r in fact_items(facts, "rules")]
        how = f" (by {per[0]}, and by {per[1]})" if len(per) == 2 and per[0] != per[1] else (
            f" (by {per[0]})" if per else "")
        return f"Differentiate the outer function with respect to ${u}$ and the inner one{how}:"
    if rule == "chain_combine":
        return "By the chain rule, the derivative is the product of the two:"
    if rule in RULES:
        return RULES[rule]
    return f"By the {rule.replace('_', ' ')} rule:" if rule else "Differentiate:"


def _chain(facts: Facts, ctx: Context) -> str:
    name, inner, outer = facts.get("inner_name"), facts.get("inner"), facts.get("outer")
    if name is None or inner is None:
        return "By the chain rule: the derivative of the outer function times that of the inner one."
    u = ctx.printer.print(ctx.math(str(name)))
    first = f"By the chain rule with ${u} = {ctx.printer.print(inner)}$"
    if outer is not None:
        first += f": differentiate ${ctx.printer.print(outer)}$ with respect to ${u}$"
        return first + f", then multiply by the derivative of ${u}$."
    return first + "."


# --- the derivative from its definition (method: definition) -------------------------------


@says("difference_quotient")
def _difference_quotient(facts: Facts, ctx: Context) -> str:
    h = ctx.tex(str(fact(facts, "step", "h")))
    natural = facts.get("natural")
    lead = f"Here {ctx.tex(str(natural))} is a natural number. " if natural else ""
    return (f"{lead}By definition, the derivative is the limit of the difference quotient (the slope of "
            f"the secant through $x$ and $x + {h[1:-1]}$) as the step {h} shrinks to $0$.")


#: One sentence per stage of a ``limit`` step; ``{h}`` is the step of the quotient.
LIMIT_STAGES = {
    "expand": "Multiply out the brackets.",
    "cancel": "The terms free of {h} are $f(x)$ itself, so they cancel against $-f(x)$.",
    "divide": "Every term left in the numerator holds a factor {h}; divide it out.",
    "vanish": "The terms that still contain {h} tend to $0$ as ${hh} \\to 0$.",
    "evaluate": "What remains does not depend on {h}, so it is the limit:",
    "factor": "The factor that does not depend on {h} comes out of the limit.",
    "standard": "The remaining limit is a standard one: the slope of the exponential at $0$ is $1$.",
    "common_denominator": "Bring the two fractions in the numerator over a common denominator.",
}


@says("limit")
def _limit(facts: Facts, ctx: Context) -> str:
    stage = str(fact(facts, "stage", ""))
    h = ctx.tex(facts["step"]) if facts.get("step") is not None else "$h$"
    power, total = facts.get("power"), facts.get("sum")
    if stage == "expand" and power is not None and total is not None:
        p, t = ctx.printer.print(power), ctx.printer.print(total)
        return f"Expand ${p}$ by the binomial theorem, ${p} = {t}$."
    if stage == "cancel" and facts.get("index") is not None:
        i, term = ctx.printer.print(facts["index"]), ctx.printer.print(facts["term"])
        return (f"The term ${i} = 0$ of the sum is ${term}$ itself, so it cancels against $-{term}$; "
                f"the sum now starts at ${i} = 1$.")
    if stage == "expand" and power is not None:
        return f"Multiply out, expanding ${ctx.printer.print(power)}$ by the binomial theorem."
    if stage == "cancel" and facts.get("fx") is not None:
        fx = ctx.printer.print(facts["fx"])
        return f"The terms free of {h} add up to ${fx}$, so they cancel against $-{fx}$."
    if stage == "divide" and facts.get("shared"):
        return f"The numerator and the denominator share the factor {h}; cancel it."
    if stage == "vanish" and facts.get("index") is not None:
        i = ctx.printer.print(facts["index"])
        return (f"Split off the term ${i} = 1$. Every term with ${i} \\geq 2$ still holds a power of {h}, "
                f"so it tends to $0$ as ${h[1:-1]} \\to 0$.")
    if stage == "evaluate" and facts.get("binomial") is not None:
        b, v = ctx.printer.print(facts["binomial"]), ctx.printer.print(facts["value"])
        if facts.get("index") is not None:
            return f"Only the term ${ctx.printer.print(facts['index'])} = 1$ is left, and ${b} = {v}$:"
        return f"Only the first term is left, and ${b} = {v}$:"
    if stage == "evaluate" and facts.get("continuous"):
        return f"The expression is continuous at ${h[1:-1]} = 0$, so set ${h[1:-1]} = 0$:"
    if stage == "factor" and facts.get("product") is not None:
        return (f"Since {ctx.relation(fact_relation(facts, 'product'))}, the factor "
                f"{ctx.tex(facts['factor'])} does not depend on {h} and comes out of the limit.")
    if stage == "standard" and facts.get("limit") is not None:
        return f"The remaining limit is a standard one, {ctx.relation(fact_relation(facts, 'limit'))}:"
    return LIMIT_STAGES.get(stage, "Take the limit:").replace("{hh}", h[1:-1]).replace("{h}", h)
