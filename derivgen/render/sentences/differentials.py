"""Sentences for ``method: differentials``: the rules of differentials, the trace form, the gradient
read off it (see :mod:`derivgen.engine.differentials`)."""

from __future__ import annotations

from derivgen.derivation import DIFFERENTIAL
from derivgen.problem.expr import Name
from derivgen.render.context import Context
from derivgen.render.sentences.registry import Facts, and_list, fact, fact_items, says

_X, _Y, _A, _B, _U = (rf"\boldsymbol{{{c}}}" for c in "XYABu")
_D, _TR, _INV = r"\mathrm{d}", r"\operatorname{tr}", r"^{-1}"

#: Each rule of differentials as the lectures state it (inline LaTeX), by the engine's name.
RULES = {
    "sum": f"the sum rule ${_D}({_X} + {_Y}) = {_D}{_X} + {_D}{_Y}$",
    "product": f"the product rule ${_D}({_X}{_Y}) = ({_D}{_X}){_Y} + {_X}\\,{_D}{_Y}$",
    "linear": f"linearity ${_D}({_A}{_X}{_B}) = {_A}\\,{_D}{_X}\\,{_B}$ for constant ${_A}, {_B}$",
    "transpose": f"${_D}({_X}^{{\\top}}) = ({_D}{_X})^{{\\top}}$",
    "inverse": f"${_D}({_X}{_INV}) = -{_X}{_INV}({_D}{_X}){_X}{_INV}$",
    "determinant": f"${_D}\\det{_X} = \\det{_X}\\,{_TR}({_X}{_INV}{_D}{_X})$",
    "log_determinant": f"${_D}\\log\\det{_X} = {_TR}({_X}{_INV}{_D}{_X})$",
    "trace": f"${_D}{_TR}{_X} = {_TR}({_D}{_X})$",
    "norm_squared": (f"${_D}({_U}^{{\\top}}{_U}) = ({_D}{_U})^{{\\top}}{_U} + {_U}^{{\\top}}{_D}{_U} "
                     f"= 2{_U}^{{\\top}}{_D}{_U}$"),
    "norm": f"${_D}\\lVert{_U}\\rVert = {_U}^{{\\top}}{_D}{_U}/\\lVert{_U}\\rVert$",
    "power": f"the power rule ${_D}(u^n) = n u^{{n-1}}{_D}u$",
    "quotient": f"the quotient rule ${_D}(u/v) = (v\\,{_D}u - u\\,{_D}v)/v^2$",
    "log": f"${_D}\\log u = {_D}u/u$",
    "chain": f"the chain rule ${_D}g(u) = g'(u)\\,{_D}u$",
}


@says("differential")
def _differential(facts: Facts, ctx: Context) -> str:
    of = ctx.tex(str(fact(facts, "of", ctx.derivation.of)))
    wrt = ctx.tex(str(fact(facts, "wrt", ctx.derivation.wrt)))
    rules = [RULES[str(r)] for r in fact_items(facts, "rules") if str(r) in RULES]
    by = f", by {and_list(rules)}" if rules else ""
    if fact(facts, "first") and ctx.once("differentials"):
        return (f"Work with differentials: only {wrt} varies, every other quantity is constant. "
                f"The differential of {of}{by}:")
    return f"The differential of {of}{by}:"


@says("differential_rule")
def _differential_rule(facts: Facts, ctx: Context) -> str:
    rule = RULES.get(str(fact(facts, "rule", "")))
    return f"By {rule}:" if rule else "By the rules of differentials:"


@says("trace_form")
def _trace_form(facts: Facts, ctx: Context) -> str:
    kind = fact(facts, "wrt_kind", "matrix")
    rules = [str(r) for r in fact_items(facts, "rules")]
    if kind == "matrix":
        text = ("A scalar is its own trace, and the trace is cyclic, "
                r"$\operatorname{tr}(\boldsymbol{A}\boldsymbol{B}\boldsymbol{C}) = "
                r"\operatorname{tr}(\boldsymbol{C}\boldsymbol{A}\boldsymbol{B})$")
        if "transpose_trace" in rules:
            text += (r"; a trace is unchanged by transposing, "
                     r"$\operatorname{tr}(\boldsymbol{A}^{\top}) = \operatorname{tr}(\boldsymbol{A})$")
        return text + r", so every term moves $\mathrm{d}$ of the variable to the right:"
    if "scalar_transpose" in rules:
        return (r"A scalar equals its transpose, $\mathrm{d}\boldsymbol{x}^{\top}\boldsymbol{a} = "
                r"\boldsymbol{a}^{\top}\mathrm{d}\boldsymbol{x}$, so the differential is a row vector times "
                r"$\mathrm{d}$ of the variable:")
    return "Collected, the differential is a coefficient times the differential of the variable:"


@says("read_off")
def _read_off(facts: Facts, ctx: Context) -> str:
    kind = fact(facts, "wrt_kind", "matrix")
    if kind == "matrix":
        return (r"Since $\operatorname{tr}(\boldsymbol{G}\,\mathrm{d}\boldsymbol{X}) = \sum_{i,j} G_{ji}\,"
                r"\mathrm{d}X_{ij}$, the partial derivative by $X_{ij}$ is $G_{ji}$: the gradient is "
                r"$\boldsymbol{G}^{\top}$, written in the shape of the matrix as the lectures write a scalar "
                "by a matrix:")
    of, wrt = str(fact(facts, "of", ctx.derivation.of)), str(fact(facts, "wrt", ctx.derivation.wrt))
    d_of, d_wrt = (ctx.printer.print(Name(DIFFERENTIAL + n)) for n in (of, wrt))
    if kind == "vector":
        return (f"${d_of} = \\boldsymbol{{g}}\\,{d_wrt}$ for every ${d_wrt}$ means "
                f"$\\partial {ctx.printer.print(Name(of))}/\\partial {ctx.entry(wrt, 'j')[1:-1]} = g_j$: "
                "the gradient is the row $\\boldsymbol{g}$ (numerator layout).")
    return f"${d_of} = g\\,{d_wrt}$ means the derivative is $g$."
