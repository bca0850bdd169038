"""derivgen's own sentences, one small function per step kind.

Each function gets the step's ``facts`` and a :class:`~derivgen.render.context.Context`
(for typesetting names) and returns one or two short sentences with inline
``$...$`` math.  A kind or a fact the table does not know gets a plain,
generic sentence, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from derivgen.derivation import Symmetric
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.shapes import printed_shape
from derivgen.render.context import Context

Facts = Mapping[str, object]
SentenceFn = Callable[[Facts, "Context"], str]

SENTENCES: dict[str, SentenceFn] = {}


def sentence(kind: str, facts: Facts, ctx: Context) -> str:
    """The sentence for a step; a generic one for kinds not in the table."""
    fn = SENTENCES.get(kind)
    facts = facts if isinstance(facts, Mapping) else {}
    if fn is None:
        return f"Next, the {kind.replace('_', ' ')} step:"
    try:
        return fn(facts, ctx)
    except (KeyError, TypeError, ValueError, AttributeError):
        return f"Next, the {kind.replace('_', ' ')} step:"


def says(kind: str) -> Callable[[SentenceFn], SentenceFn]:
    def register(fn: SentenceFn) -> SentenceFn:
        SENTENCES[kind] = fn
        return fn

    return register


def _get(facts: Facts, key: str, default: object = None) -> object:
    value = facts.get(key)
    return default if value is None else value


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    of_shape = tuple(_get(facts, "of_shape", d.of_shape))  # type: ignore[arg-type]
    wrt_shape = tuple(_get(facts, "wrt_shape", d.wrt_shape))  # type: ignore[arg-type]
    of, wrt = ctx.tex(str(_get(facts, "of", d.of))), ctx.tex(str(_get(facts, "wrt", d.wrt)))
    printed = printed_shape(of_shape, wrt_shape)
    if _get(facts, "whole"):
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
}


@says("rewrite")
def _rewrite(facts: Facts, ctx: Context) -> str:
    return REWRITE.get(str(_get(facts, "reason", "")), "Rewrite the expression in a form that is easier to differentiate.")


@says("index_notation")
def _index_notation(facts: Facts, ctx: Context) -> str:
    ranges = list(_get(facts, "ranges", ()))  # type: ignore[call-overload]
    if not ranges:
        return "Write the function entry by entry, in index notation."
    spans = [f"${ctx.printer.print(ctx.math(str(i)))} = 1, \\ldots, {ctx.printer.print(ctx.math(str(n)))}$" for i, n in ranges]
    return f"Write the function entry by entry, in index notation, for {_and(spans)}."


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
    index = str(_get(facts, "entry", "i"))
    out = ctx.entry(str(_get(facts, "of", ctx.derivation.of)), index)
    return (f"Hold the output entry {out} fixed and arrange its partial derivatives in the shape "
            "of the input, one row at a time.")


@says("collate")
def _collate(facts: Facts, ctx: Context) -> str:
    if "slices" in facts:  # Figure 5.7 (a): one slice per input component
        return (f"Collate these {_get(facts, 'slices', '')} slices, one for each input variable, "
                "into the gradient, a tensor with one more dimension than the output.")
    return "Collect these slices, one for each output entry, into the full gradient."


@says("explicit")
def _explicit(facts: Facts, ctx: Context) -> str:
    sizes = _get(facts, "sizes", {})
    if isinstance(sizes, Mapping) and sizes:
        shown = _and([f"${ctx.printer.print(ctx.math(str(k)))} = {v}$" for k, v in sizes.items()])
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
    via = [ctx.tex(str(v)) for v in _get(facts, "via", ())]  # type: ignore[attr-defined]
    through = f" through {_and(via)}" if via else ""
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
        rules = [RULE_WORDS.get(str(r), str(r)) for r in _get(facts, "rules", ()) if r != "transpose"]  # type: ignore[attr-defined]
        how = ""
        if identity and not ctx.derives_identity(str(identity)):
            how = f"by identity ({identity})"
        elif rules:
            how = f"by the {_and(rules)} rule{'s' if len(rules) > 1 else ''}"
        if facts.get("rewrite") == "norm_squared":
            return f"The factor {name}: a squared norm is an inner product" + (f", so {how}:" if how else ":")
        return f"The factor {name}, {how}:" if how else f"The factor {name}:"
    rules = facts.get("rules")
    if isinstance(rules, list) and rules:
        return f"The factor {name}, by {rules_phrase(rules)}:"
    return f"Now the factor {name}." if f or symbol is not None else "Now the next factor."


@says("multiply")
def _multiply(facts: Facts, ctx: Context) -> str:
    names = [ctx.tex(str(n)) for n in _get(facts, "substituted", ())]  # type: ignore[attr-defined]
    if names:
        return f"Multiplying the factors and writing {_and(names)} out gives the gradient."
    return "Multiplying the factors together gives the gradient."


@says("gradient")
def _gradient(facts: Facts, ctx: Context) -> str:
    if _get(facts, "kind") == "jacobian":
        return "Collect the partial derivatives into the Jacobian matrix: row $i$ holds the partials of output $i$."
    return "Collect the partial derivatives into a row vector: this is the gradient."


# --- matrix forms and identities ---------------------------------------------------------


@says("closed_form")
def _closed_form(facts: Facts, ctx: Context) -> str:
    identity = facts.get("identity")
    rules = [RULE_WORDS.get(str(r), str(r)) for r in _get(facts, "rules", ())]  # type: ignore[attr-defined]
    notes = " ".join(f"{fact_words(n)}." for n in _get(facts, "notes", ()))  # type: ignore[attr-defined]
    lead = f"{notes} " if notes else ""
    if identity and ctx.derives_identity(str(identity)):
        return f"{lead}Collected into matrix form, this is identity ({identity}):"
    if identity and facts.get("tensor"):
        return f"{lead}This is identity ({identity}), written entry by entry:"
    if identity:
        return f"{lead}In matrix form, by identity ({identity}):"
    if rules:
        return f"{lead}In matrix form, using the {_and(rules)} rule{'s' if len(rules) > 1 else ''}:"
    return f"{lead}In matrix form:"


def fact_words(fact: object) -> str:
    """A fact the simplifier used, in words: ``W is symmetric, so Wᵀ = W``."""
    if isinstance(fact, Symmetric):
        return f"{fact.name} is symmetric, so {fact.name}ᵀ = {fact.name}"
    return str(fact)


#: How the matrix engine's rule names read in a sentence.
RULE_WORDS = {
    "quadratic_form": "quadratic-form",
    "linear_form": "linear-form",
    "log_det": "log-determinant",
    "elementwise": "elementwise-function",
    "inverse": "inverse",
    "determinant": "determinant",
}


@says("justify")
def _justify(facts: Facts, ctx: Context) -> str:
    identity = facts.get("identity")
    which = f"identity ({identity})" if identity else "this identity"
    return f"Why {which} holds: derive it rather than quote it."


@says("entry")
def _entry(facts: Facts, ctx: Context) -> str:
    if _get(facts, "phase") == "plan":
        whole = ctx.tex(str(_get(facts, "whole", "")))
        return (f"The scalar rules do not reach inside matrix operations, so work out the whole "
                f"gradient with respect to {whole} first; the partial derivative asked for is one of its entries.")
    return "Read off that entry."


@says("simplify")
def _simplify(facts: Facts, ctx: Context) -> str:
    return "Tidy the result."


@says("substitute")
def _substitute(facts: Facts, ctx: Context) -> str:
    names = [ctx.tex(str(n)) for n in _get(facts, "names", ())]  # type: ignore[attr-defined]
    if names:
        return f"Replace {_and(names)} by {'its definition' if len(names) == 1 else 'their definitions'} to write the result in the given variables."
    return "Write the result in the given variables."


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


def rules_phrase(rules: list) -> str:
    """``the power and chain rules and the derivative of sin`` for a list of rule names."""
    named = list(dict.fromkeys(RULE_NAMES[r] for r in rules if r in RULE_NAMES))
    if len(named) > 1 or any(r in FUNCTION_NAMES for r in rules):
        named = [n for n in named if n != "constant-multiple"]  # too small a step to name beside others
    funcs = list(dict.fromkeys(FUNCTION_NAMES[r] for r in rules if r in FUNCTION_NAMES))
    pieces = []
    if named:
        pieces.append(f"the {_and(named)} rule{'s' if len(named) > 1 else ''}")
    if funcs:
        pieces.append(f"the derivative{'s' if len(funcs) > 1 else ''} of {_and(funcs)}")
    return " and ".join(pieces) if pieces else "the basic rules"


@says("rule")
def _rule(facts: Facts, ctx: Context) -> str:
    rule = str(_get(facts, "rule", ""))
    if rule == "chain":
        return _chain(facts, ctx)
    if rule == "folded":
        return f"By {rules_phrase(list(_get(facts, 'rules', ())))}:"  # type: ignore[call-overload]
    if rule == "parts":
        return f"First the derivatives of the parts, by {rules_phrase(list(_get(facts, 'rules', ())))}:"  # type: ignore[call-overload]
    if rule == "name_inner":
        u = ctx.printer.print(ctx.math(str(facts["inner_name"])))
        of = ctx.tex(ctx.derivation.of)
        if facts.get("named"):
            return f"Write {of} as a composition of an inner function ${u}$ and an outer function $g$:"
        outer = ctx.printer.print(facts["outer"])  # type: ignore[arg-type]
        return f"Write {of} as a composition: the outer function ${outer}$ of the inner function"
    if rule == "chain_factors":
        u = ctx.printer.print(ctx.math(str(facts["inner_name"])))
        per = [rules_phrase(list(r)) for r in _get(facts, "rules", ())]  # type: ignore[attr-defined]
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
    h = ctx.tex(str(_get(facts, "step", "h")))
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
    stage = str(_get(facts, "stage", ""))
    h = ctx.tex(facts["step"]) if facts.get("step") is not None else "$h$"
    power, total = facts.get("power"), facts.get("sum")
    if stage == "expand" and power is not None and total is not None:
        return f"Expand ${ctx.printer.print(power)}$ by the binomial theorem, ${ctx.printer.print(power)} = {ctx.printer.print(total)}$."
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
        return f"Only the term ${ctx.printer.print(facts['index'])} = 1$ is left, and ${b} = {v}$:" if facts.get(
            "index") is not None else f"Only the first term is left, and ${b} = {v}$:"
    if stage == "evaluate" and facts.get("continuous"):
        return f"The expression is continuous at ${h[1:-1]} = 0$, so set ${h[1:-1]} = 0$:"
    if stage == "factor" and facts.get("product") is not None:
        return (f"Since {ctx.relation(facts['product'])}, the factor {ctx.tex(facts['factor'])} does not depend "
                f"on {h} and comes out of the limit.")
    if stage == "standard" and facts.get("limit") is not None:
        return f"The remaining limit is a standard one, {ctx.relation(facts['limit'])}:"
    return LIMIT_STAGES.get(stage, "Take the limit:").replace("{hh}", h[1:-1]).replace("{h}", h)


# --- identities (5.99)-(5.108) derived the lectures' way (derivgen/render/identities.py) -------


def _identity_math(ctx: Context, obj: object) -> str:
    return ctx.printer.print(ctx.math(obj) if isinstance(obj, str) else obj)


def _derive_identity_moves(facts: Facts, ctx: Context) -> dict[str, Callable[[], str]]:
    def m(key: str, default: str = "X") -> str:
        return _identity_math(ctx, str(_get(facts, key, default)))

    X = m("wrt")
    inv = f"{X}^{{-1}}"
    entry = ctx.entry(str(_get(facts, "wrt", "X")), "ij")
    number = str(_get(facts, "identity", ""))

    def transpose_compare() -> str:
        f = _identity_math(ctx, facts["f"])
        return (f"Compare with $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {f}$ itself. Its entry $f_{{qp}}$ is the same sum "
                f"as {ctx.entry(str(facts['of']), 'pq')}, so the two have the same partial derivatives: the gradient "
                f"of $\\boldsymbol{{f}}^{{\\top}}$ is the gradient of $\\boldsymbol{{f}}$ with its two output indices "
                f"swapped. That swap is what identity ({number}) means by the transpose of "
                f"$\\partial \\boldsymbol{{f}}(\\boldsymbol{{X}})/\\partial \\boldsymbol{{X}}$:")

    def cofactor_expansion() -> str:
        i, k = str(facts["row"]), str(facts["index"])
        return (f"Expand the determinant along row ${i}$ (the Laplace expansion). The cofactor $C_{{{i}{k}}}$ is "
                f"$(-1)^{{{i}+{k}}}$ times the minor $M_{{{i}{k}}}$, the determinant of ${X}$ with row ${i}$ and "
                f"column ${k}$ deleted, so no cofactor $C_{{{i}{k}}}$ contains an entry of row ${i}$.")

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
        u = str(_get(facts, "inner_name", "u"))
        of = _identity_math(ctx, str(_get(facts, "of", ctx.derivation.of)))
        inner = _identity_math(ctx, facts["inner"])
        return (f"Write ${of} = \\log {u}$ with ${u} = {inner}$. By the chain rule, with "
                f"$\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}}{u}}} \\log {u} = \\frac{{1}}{{{u}}}$:")

    def cite() -> str:
        return (f"By identity ({number}) with $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {X}$, "
                f"$\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}}{X}}}\\det({X}) = \\det({X})\\,{X}^{{-\\top}}$, so")

    def inverse_product_rule() -> str:
        return (f"Differentiate ${inv}{X} = \\boldsymbol{{I}}$ with the product rule. The identity matrix is "
                f"constant, so its derivative is zero. (A derivative by ${X}$ times a matrix is taken slice by "
                f"slice, one entry $X_{{ij}}$ at a time.)")

    def inverse_solve() -> str:
        return (f"Move the second term to the other side and multiply by ${inv}$ from the right. This is identity "
                f"({number}) for $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {X}$:")

    def inverse_entries() -> str:
        return (f"Read it one entry {entry} at a time: $\\partial {X}/\\partial X_{{ij}}$ is the matrix with a "
                f"single 1, in row $i$ and column $j$, so its entries are $\\delta_{{mi}}\\delta_{{nj}}$, and the "
                f"Kronecker deltas keep one term of the entry $(p, q)$ of the slice:")

    def inverse_chain() -> str:
        a, b = m("a", "a"), m("b", "b")
        sm, sn = (str(s) for s in _get(facts, "sums", ("m", "n")))  # type: ignore[misc]
        i, j = (str(s) for s in _get(facts, "entries", ("i", "j")))  # type: ignore[misc]
        return (f"Differentiate under the sums: ${a}$ and ${b}$ are constant, and each entry of ${inv}$ is "
                f"differentiated by identity ({number}), read entry by entry: {ctx.relation(facts['cited'])}. "
                f"The sum over ${sm}$ is then entry ${i}$ of ${X}^{{-\\top}}{a}$, the sum over ${sn}$ entry ${j}$ "
                f"of ${inv}{b}$:")

    def quadratic_rows() -> str:
        x, B, k = m("wrt", "x"), m("matrix", "B"), str(_get(facts, "index", "k"))
        return (f"The first sum is entry ${k}$ of ${B}{x}$, which is entry ${k}$ of the row "
                f"${x}^{{\\top}}{B}^{{\\top}}$; the second is entry ${k}$ of the row ${x}^{{\\top}}{B}$. "
                f"Together they are entry ${k}$ of ${x}^{{\\top}}({B} + {B}^{{\\top}})$:")

    def quadratic_factor() -> str:
        W = m("symmetric", "W")
        return (f"The factor {ctx.tex(str(facts['factor']))}, by identity ({number}); ${W}$ is symmetric, "
                f"so ${W}^{{\\top}} = {W}$:")

    def substitute_z() -> str:
        z, f = m("inner_name", "z"), ctx.tex(str(_get(facts, "of", ctx.derivation.of)))
        lead = (f"Name the residual ${z}$: then {f} is the quadratic form ${z}^{{\\top}}"
                f"{m('weight', 'W')}{z}$ in ${z}$, and the chain rule through ${z}$ gives the gradient.")
        if ctx.once("shapes_beneath"):
            return lead + " The dimensions of each factor are written beneath it; neighbouring factors must agree."
        return lead

    def identity_reached() -> str:
        z = m("inner_name", "z")
        return (f"Writing ${z}$ out gives identity ({number}), the result below, for symmetric "
                f"{ctx.tex(str(_get(facts, 'symmetric', 'W')))}.")

    def trace_inside() -> str:
        f, A = _identity_math(ctx, facts["f"]), m("matrix", "A")
        return (f"This is identity ({number}) for $\\boldsymbol{{f}}(\\boldsymbol{{X}}) = {f}$: the trace is a sum of "
                f"entries, so the derivative passes inside it. $\\partial {X}/\\partial X_{{ij}}$ has a single 1, "
                f"in row $i$ and column $j$, so the trace of ${A}$ times it is the entry $(j, i)$ of ${A}$:")

    return {fn.__name__: fn for fn in (
        transpose_compare, cofactor_expansion, cofactor_partial, adjugate, det_general, log_chain, cite,
        inverse_product_rule, inverse_solve, inverse_entries, inverse_chain, quadratic_rows, quadratic_factor,
        substitute_z, identity_reached, trace_inside)}


@says("derive_identity")
def _derive_identity(facts: Facts, ctx: Context) -> str:
    fn = _derive_identity_moves(facts, ctx).get(str(_get(facts, "move", "")))
    if fn is None:
        identity = facts.get("identity")
        return f"Towards identity ({identity}):" if identity else "Next:"
    return fn()
