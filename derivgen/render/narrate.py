"""From Steps to sentences and displayed LaTeX, shared by every output format.

:func:`present` turns a Derivation into a flat list of :class:`Para`: one or
two short sentences per step (written from the step's ``kind`` and ``facts``)
followed by its displayed equations.  Renderers only lay these out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from derivgen.derivation import (
    Block,
    Deriv,
    Derivation,
    Explicit,
    Nabla,
    Product,
    Relation,
    Space,
    Step,
    Transposed,
    Verification,
)
from derivgen.derivation.index_form import Ent, IndexForm, iexpr_text
from derivgen.errors import RenderError
from derivgen.problem.expr import Expr, Name, names_in
from derivgen.problem.model import Problem
from derivgen.render.context import Context
from derivgen.render.detail import DEFAULT_DETAIL, steps_for
from derivgen.render.identities import lecture_identity_steps
from derivgen.render.mathlatex import MathLatex
from derivgen.render.names import (
    Names,
    composition_letters,
    entries_matrix,
    gram_columns,
    named_function,
    outer_function,
    rename_outer,
)
from derivgen.render.notation import entry_letters, is_array_fn, symbols_for
from derivgen.render.second import entry_lhs, is_second, second_space, second_symbol, swapped_part
from derivgen.render.sentences import sentence
from derivgen.render.taylor import is_taylor, taylor_check_text, taylor_symbol

#: Displays of one step narrower than this (estimated characters, all together) share one line.
SHORT_LINE = 64
_COMMAND = re.compile(r"\\(?:mathrm|boldsymbol|mathbb|left|right|text|operatorname|frac|underbrace)\b|[{}_^]")


def visible_width(latex: str) -> int:
    """A rough count of the characters a formula shows (commands and braces do not count)."""
    shown = _COMMAND.sub("", latex)
    shown = re.sub(r"\\[a-zA-Z]+", "x", shown)  # \theta, \partial ... show as one symbol
    return len(shown.replace(" ", ""))


@dataclass(frozen=True)
class Para:
    """One paragraph of a worked solution."""

    text: str
    """Sentences in plain words; inline math as ``$...$``."""
    display: tuple[str, ...]
    """Displayed equations (LaTeX, without delimiters), in order."""
    depth: int
    """Nesting: 0 for a top-level step, 1 for a substep of it, ..."""
    kind: str
    """The step kind it came from (``dimension``, ``rule`` ...)."""


def printer_for(problem: Problem) -> MathLatex:
    """The LaTeX printer with the problem's symbols (bold arrays, overrides)."""
    return MathLatex(symbols_for(problem), is_array_fn(problem), entry_letters(problem))


def detail_of(problem: Problem) -> str:
    """The detail level a problem's solutions are written at (see :mod:`derivgen.render.detail`)."""
    detail = problem.options.get("detail")
    return detail if isinstance(detail, str) else DEFAULT_DETAIL


def present(derivation: Derivation, problem: Problem, earlier: Sequence[Derivation] = ()) -> list[Para]:
    """The worked solution as paragraphs, steps in order, substeps nested after their step.

    ``earlier`` are the problem's parts before this one: at ``lecture`` a chain-rule factor one
    of them derived already is quoted from it, not derived again.
    """
    ctx = Context(printer_for(problem), derivation, problem)
    if is_second(derivation):
        return _present_second(derivation, problem, earlier, ctx)
    if is_taylor(derivation):
        return _present_taylor(derivation, problem, ctx)
    for j, e in enumerate(earlier):  # what an earlier part explained is not explained again
        if e is not derivation:
            ctx.explained |= _explained(e, problem, earlier[:j])
    out: list[Para] = []
    detail = detail_of(problem)
    shown = _lecture_steps(derivation, problem, earlier, ctx)
    for step in shown:
        _present_step(step, 0, ctx, out, compact=detail != "full")
    said_in_box = shown and (shown[-1].kind == "closed_form" or (
        shown[-1].kind == "collate" and shown[-1].facts.get("layout") == "entries"))
    if detail != "full" and said_in_box and out[-1].display:
        # The matrix form (or the collated tensor's entries) is the answer, displayed in its box
        # right after: say it once.
        out[-1] = dataclasses.replace(out[-1], display=())
    if detail != "full" and shown and shown[-1].kind == "gradient" and shown[-1].math:
        # The partials collected: their values are the answer, in its box right after.
        rel = shown[-1].math[0]
        if len(rel.parts) >= 3 and rel.ops[0] == "=":
            out[-1] = dataclasses.replace(out[-1], display=(ctx.printer.display(Relation(rel.parts[:2])),))
    return out


def _present_second(derivation: Derivation, problem: Problem, earlier: Sequence[Derivation],
                    ctx: Context) -> list[Para]:
    """d2f/dxdy: its own steps, with the first derivative's solution nested under the step that derives it.

    At ``lecture`` the first derivative is quoted by its matrix form (or from an earlier part that found
    it), the dimension is said in passing and the gradient's transpose joins the step that uses it.
    """
    out: list[Para] = []
    detail = detail_of(problem)
    compact = detail != "full"
    for step in derivation.steps:
        shown = step.kind == "second_dimension" if detail == "answer" else not (
            compact and step.kind == "gradient_column")
        if not shown:
            continue
        if step.kind == "first_derivative" and derivation.first is not None:
            out += _first_paras(step, derivation.first, problem, earlier, ctx, detail)
            continue
        _present_step(step, 0, ctx, out, compact)
        if compact and step is derivation.steps[-1] and (step.kind == "second_partials" or (
                step.kind == "second_closed" and step.facts.get("entries"))):
            out[-1] = replace(out[-1], display=())  # the entries are the answer, in its box right after
        parts = step.math[0].parts if step.math else ()
        short = ctx.printer.relation(Relation(parts[1:3])) if len(parts) > 2 else ""
        if compact and step.kind == "second_closed" and not derivation.result.printed and short \
                and visible_width(short) <= SHORT_LINE // 2:
            # a short scalar: differentiated again in the sentence, its value in the box after
            out[-1] = replace(out[-1], text=out[-1].text.rstrip(":") + f": ${short}$.", display=())
        if compact and step.kind == "second_dimension":  # said in passing
            out[-1] = replace(out[-1], text=out[-1].text.rstrip(".") + ", $" + out[-1].display[0] + "$.",
                              display=())
    swapped = swapped_part(derivation, earlier)
    if swapped is not None and detail != "answer":  # the symmetry of the mixed partials, used
        other = ctx.printer.print(second_symbol(earlier[swapped], problem))
        name = ctx.printer.print(Name(derivation.of))
        letter = "abcdefghijklmnopqrstuvwxyz"[swapped % 26]
        said = (f"As part ({letter}) found, ${other}$ is the same: the order of differentiation does not "
                f"matter for a twice continuously differentiable ${name}$.")
        out.append(Para(said, (), 0, "symmetry"))
    return out


def _present_taylor(derivation: Derivation, problem: Problem, ctx: Context) -> list[Para]:
    """taylor(f, x, x0, k): its steps in order; the polynomial itself is the answer, in its box."""
    out: list[Para] = []
    detail = detail_of(problem)
    for step in derivation.steps:
        if detail == "answer" and step.kind != "taylor_definition":
            continue
        _present_step(step, 0, ctx, out, compact=detail != "full")
        if detail != "full" and step.kind == "taylor_polynomial":
            out[-1] = replace(out[-1], display=())
    return out


def _first_paras(step: Step, first: Derivation, problem: Problem, earlier: Sequence[Derivation], ctx: Context,
                 detail: str) -> list[Para]:
    """The first derivative of a second: derived (nested), or quoted from the part that found it."""
    shown = tuple(ctx.printer.display(rel) for rel in step.math)
    part = next((j for j, e in enumerate(earlier) if (e.first or e).of == first.of
                 and (e.first or e).wrt == first.wrt), None)
    if detail == "lecture" and part is not None and shown:
        letter = "abcdefghijklmnopqrstuvwxyz"[part % 26]
        return [Para(f"The first derivative, from part ({letter}):", shown, 0, "first_derivative")]
    out: list[Para] = []
    _present_step(replace(step, math=(), substeps=()), 0, ctx, out, compact=True)
    paras = [p for p in present(first, problem, earlier) if p.kind != "dimension"]
    closed = [n for n, p in enumerate(paras) if p.kind == "closed_form" and p.depth == 0]
    if detail == "lecture" and closed:  # the gradient by its identity, as a lecture quotes it
        paras = paras[closed[-1]:]
    if detail == "lecture" and len(paras) == 1 and paras[0].depth == 0 and paras[0].display:
        # one step: said in the same sentence ("The first derivative comes first, by the sum rule: ...")
        lead, text = out[0].text.rstrip(":"), paras[0].text
        return [replace(paras[0], text=f"{lead}, {text[:1].lower()}{text[1:]}", kind="first_derivative")]
    out += [replace(p, depth=p.depth + 1) for p in paras]
    if shown and not (paras and paras[-1].display):  # the first derivative's result, said once
        out[-1] = replace(out[-1], display=shown)
    return out


def _lecture_steps(derivation: Derivation, problem: Problem, earlier: Sequence[Derivation],
                   ctx: Context) -> tuple[Step, ...]:
    """The steps shown at the problem's detail level (identities derived at lecture)."""
    detail = detail_of(problem)
    whole = Deriv(Name(derivation.of), ctx.known_math(derivation.wrt), is_partial(derivation, problem))
    letters = composition_letters(problem, derivation.wrt)
    names = Names(problem, derivation.of)
    steps = _quote_earlier_factors(derivation, problem, earlier) if detail == "lecture" else derivation.steps
    shown = steps_for(steps, detail, names, whole, letters, _earlier_parts(derivation, problem))
    if detail == "lecture":  # the identities (5.99)-(5.108) derived the lectures' way, not cited
        shown = lecture_identity_steps(problem, derivation, shown)
        outer = outer_function(problem, derivation.of)
        if outer is not None:  # h = f(g(t)): the factor is ∂f/∂x, as the lecture writes it
            shown = rename_outer(shown, derivation.of, outer)
        shown = entries_matrix(problem, gram_columns(problem, derivation, shown))
    return shown


def _explained(derivation: Derivation, problem: Problem, earlier: Sequence[Derivation]) -> set[str]:
    """The concepts a part's solution explains (the Kronecker delta, shapes under factors ...)."""
    ctx = Context(printer_for(problem), derivation, problem)
    for j, e in enumerate(earlier):
        ctx.explained |= _explained(e, problem, earlier[:j])
    for step in _lecture_steps(derivation, problem, earlier, ctx):
        _present_step(step, 0, ctx, [], compact=True)
    return ctx.explained


def _quote_earlier_factors(derivation: Derivation, problem: Problem,
                           earlier: Sequence[Derivation]) -> tuple[Step, ...]:
    """A factor an earlier part derived (∂f/∂z in both df/dx and df/db) is quoted, with its result."""
    labels = _earlier_parts_by_derivation(problem, earlier)
    seen: dict[tuple[object, object], str] = {}
    defined: set[Relation] = set()  # intermediates an earlier part's chain rule introduced
    for e in earlier:
        for step in e.steps:
            if step.kind == "factor" and step.math and e is not derivation:
                seen.setdefault((step.facts.get("symbol"), step.math[0]), labels.get(id(e), ""))
            if step.kind == "chain_rule" and e is not derivation:
                defined |= {r for r in step.math if r.ops[:1] == (":=",)}
    out = []
    for step in derivation.steps:
        quoted = step.kind == "factor" and step.math
        label = seen.get((step.facts.get("symbol"), step.math[0])) if quoted else None
        if label:
            step = Step("factor", step.math[-1:], {**step.facts, "from_part": label})
        if step.kind == "chain_rule" and defined:
            # z := Ax + b was introduced in an earlier part: the chain rule names it without saying it again.
            kept = tuple(r for r in step.math if r not in defined)
            if kept and len(kept) < len(step.math):
                step = replace(step, math=kept)
        out.append(step)
    return tuple(out)


def _earlier_parts_by_derivation(problem: Problem, earlier: Sequence[Derivation]) -> dict[int, str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out: dict[int, str] = {}
    for e in earlier:
        for i, find in enumerate(problem.find):
            if find.of == e.of and find.wrt_text == e.wrt:
                out[id(e)] = letters[i % 26]
    return out


_BRACES = re.compile(r"\\underbrace\{|\}_\{[^{}]*\}|\\,|\s")


def _without_rewritten_product(rel: Relation, ctx: Context) -> Relation:
    """``A B = AB`` with only the braces gone says nothing: the product is written once, with its shapes."""
    for n in range(1, len(rel.parts) - 1):
        here, after = rel.parts[n], rel.parts[n + 1]
        if isinstance(here, Product) and rel.ops[n] == "=" and \
                _BRACES.sub("", ctx.printer.print(here)) == _BRACES.sub("", ctx.printer.print(after)):
            return Relation(rel.parts[:n + 1] + rel.parts[n + 2:], rel.ops[:n] + rel.ops[n + 1:])
    return rel


def _share_lines(displays: tuple[str, ...]) -> tuple[str, ...]:
    """Neighbouring short one-line displays of a step share a line (``a = b, \\qquad c = d``)."""
    out: list[str] = []
    width = 0
    for d in displays:
        tall = _tall(d)
        w = visible_width(d) + 6
        if out and not tall and not _tall(out[-1]) and width + w <= SHORT_LINE:
            out[-1] += r", \qquad " + d
            width += w
        else:
            out.append(d)
            width = w
    return tuple(out)


def _tall(display: str) -> bool:
    return any(env in display for env in ("aligned", "bmatrix", "cases", "gathered"))


def _earlier_parts(derivation: Derivation, problem: Problem) -> dict[str, str]:
    """What the parts before this one differentiated ``of`` by, with their labels (a), (b) ..."""
    out: dict[str, str] = {}
    for i, find in enumerate(problem.find):
        if find.of == derivation.of and find.wrt_text == derivation.wrt:
            return out
        if find.of == derivation.of and len(problem.find) > 1:
            out[find.wrt_text] = "abcdefghijklmnopqrstuvwxyz"[i % 26]
    return {}


def _present_step(step: Step, depth: int, ctx: Context, out: list[Para], compact: bool) -> None:
    text = sentence(step.kind, step.facts, ctx)
    math = step.math
    if compact and step.kind == "multiply":
        math = tuple(_without_rewritten_product(rel, ctx) for rel in math)
    display = tuple(ctx.printer.display(rel) for rel in math)
    if compact and step.kind == "dimension" and not ctx.derivation.of_shape and not ctx.derivation.wrt_shape:
        # A scalar by a scalar: the dimension is said in passing, not displayed.
        text, display = text.rstrip(".") + ", $" + display[0] + "$.", ()
    if compact and len(display) > 1:
        display = _share_lines(display)
    out.append(Para(text=text, display=display, depth=depth, kind=step.kind))
    for sub in step.substeps:
        _present_step(sub, depth + 1, ctx, out, compact)


# --- the answer and its check ---------------------------------------------------


def present_result(derivation: Derivation, problem: Problem) -> str:
    """LaTeX of the final result: its display form, else the closed form, else the index form."""
    printer = printer_for(problem)
    r = derivation.result
    lhs = entry_lhs(derivation) if r.display is None and r.closed is None else None
    if lhs is not None and r.index is not None:  # ∂²f/∂x_l∂x_k = ..., not the first derivative's symbol
        return printer.relation(Relation((lhs, getattr(r.index, "expr", r.index))))
    # an index form in the named softmax p (p_i) needs its "where" line: present_answer shows it
    display = None if isinstance(r.display, IndexForm) else r.display
    for form in (display, r.closed, r.index):
        if form is not None:
            return printer.print(form)
    if r.explicit is not None:
        return printer.print(_block(r.explicit))
    raise RenderError(f"d{derivation.of}/d{derivation.wrt} has no result to show")


def derivative_symbol(derivation: Derivation, problem: Problem) -> str:
    """LaTeX of what is asked for: ``\\frac{\\mathrm{d}L}{\\mathrm{d}\\boldsymbol{\\theta}}``."""
    ctx = Context(printer_for(problem), derivation)
    if is_second(derivation):
        return ctx.printer.print(second_symbol(derivation, problem))
    if is_taylor(derivation):
        return ctx.printer.print(taylor_symbol(derivation))
    of, wrt = ctx.math(derivation.of), ctx.math(derivation.wrt)
    if of is None or wrt is None:
        raise RenderError(f"cannot typeset d{derivation.of}/d{derivation.wrt}")
    return ctx.printer.print(Deriv(of, wrt, is_partial(derivation, problem)))


def denominator_symbol(derivation: Derivation, problem: Problem) -> str:
    """What is asked for in denominator layout: ``∇_θ L`` for a scalar, else ``(df/dx)ᵀ``."""
    ctx = Context(printer_for(problem), derivation)
    of, wrt = ctx.math(derivation.of), ctx.math(derivation.wrt)
    if of is None or wrt is None:
        raise RenderError(f"cannot typeset d{derivation.of}/d{derivation.wrt}")
    if derivation.of_shape:
        return ctx.printer.print(Transposed(Deriv(of, wrt)))
    return ctx.printer.print(Nabla(of, wrt))


def is_partial(derivation: Derivation, problem: Problem) -> bool:
    """∂ rather than d: a scalar by one of several scalars it depends on (∂f/∂x₁, ∂f/∂y)."""
    if derivation.of_shape or derivation.wrt_shape:
        return False
    if "[" in derivation.wrt:
        return True
    try:
        body = problem.expand(problem.body(derivation.of))
    except RecursionError:
        return False
    # Partial when the problem also differentiates the same function by another of its variables.
    others = {w.id for f in problem.find if f.of == derivation.of for w in f.wrt if isinstance(w, Name)}
    scalars = {n for n in names_in(body) if (v := problem.var(n)) is not None and not v.shape}
    return len(scalars & others) > 1


def present_answer(derivation: Derivation, problem: Problem) -> str:
    """The answer as a relation: ``\\frac{dL}{d\\theta} = result \\in \\mathbb{R}^{1\\times D}``."""
    d, r = derivation, derivation.result
    space = printer_for(problem).print(second_space(d) if is_second(d) else
                                       Space((d.of_shape, d.wrt_shape), row=not d.of_shape))
    lhs = derivative_symbol(d, problem)
    if is_taylor(d):  # a polynomial, not a derivative: no space to name
        return f"{lhs} = {present_result(d, problem)}"
    if r.layout == "denominator":  # ∇_θ L ∈ R^D, (df/dx)ᵀ ∈ R^{N×M}: see engine/layout.py
        lhs, space = denominator_symbol(d, problem), printer_for(problem).print(Space((r.printed,)))
    if r.closed is None and isinstance(r.display, IndexForm):  # in the named softmax p: say what p is
        shown = printer_for(problem).print(r.display)
        return (r"\begin{gathered}" + f"{lhs} \\in {space}, \\quad {shown}, "
                + r"\\ \text{where } " + _where(_entry_names(r.display), problem) + r"\end{gathered}")
    if r.display is None and r.closed is None and r.index is not None:
        return f"{lhs} \\in {space}, \\quad {present_result(d, problem)}"
    named = _named_answer(d, problem) if detail_of(problem) == "lecture" else None
    if named is not None:
        return named.replace("LHS", lhs, 1).replace("SPACE", space, 1)
    constant = _constant_named(d, problem) if detail_of(problem) == "lecture" else None
    also = f" = {printer_for(problem).print(Name(constant))}" if constant else ""
    return f"{lhs} = {present_result(d, problem)}{also} \\in {space}"


def _entry_names(form: IndexForm) -> set[str]:
    return {f.name for t in form.expr.terms for f in t.factors if isinstance(f, Ent)}


def _where(names: set[str], problem: Problem) -> str:
    """``p = softmax(Wx + b)`` for the defines among ``names`` (in file order)."""
    printer = printer_for(problem)
    return r",\ ".join(f"{printer.print(Name(d.name))} = {printer.print(d.expr)}" for d in problem.define
                       if d.name in names and not d.params)


def _constant_named(d: Derivation, problem: Problem) -> str | None:
    """The name of a constant matrix the problem defines that the result is (the Jacobian of Ax is A)."""
    form = d.result.closed
    for definition in problem.define:
        if not definition.params and form is not None and definition.expr == form and not names_in(form):
            return definition.name
    return None


#: A result at least this wide (estimated characters) is written with the problem's intermediates.
LONG_RESULT = 48


def _named_answer(d: Derivation, problem: Problem) -> str | None:
    """``LHS = 2(z − y)ᵀW₂ diag(h ⊙ (1 − h))W₁ ∈ SPACE, where h = σ(W₁x + b₁), z = ...``.

    Only for a long result that the problem's own intermediates make much shorter; the
    result is the same (the names stand for their definitions), and it is the one verified.
    """
    form = d.result.display if d.result.display is not None else d.result.closed
    if not isinstance(form, Expr):
        return None
    printer = printer_for(problem)
    names = Names(problem, d.of)
    folded = names.fold(form)
    plain, short = printer.print(form), printer.print(folded)
    # p = softmax(z) is short, but the result is written in p (diag(p) − ppᵀ, (p − y)ᵀ), as lectures do
    named = any(named_function(names.bodies[n]) for n in names.used(folded))
    width = visible_width(plain)
    long_and_shorter = width >= LONG_RESULT and visible_width(short) <= 0.7 * width
    if not (named or long_and_shorter):
        return None
    where = [f"{printer.print(Name(n))} = {printer.print(names.bodies[n])}" for n in names.used(folded)]
    return (r"\begin{gathered}LHS = " + short + r" \in SPACE, \\ \text{where } "
            + r",\ ".join(where) + r"\end{gathered}")


def verification_text(derivation: Derivation) -> str:
    """One sentence on the numeric check; raises RenderError if the result was never checked."""
    v = derivation.verified
    if not isinstance(v, Verification):
        raise RenderError(
            f"d{derivation.of}/d{derivation.wrt} has not been verified; it cannot be shown as checked"
        )
    taylor = taylor_check_text(v, derivation.of)
    if taylor is not None:
        return taylor
    where = f"at {v.points} random point{'s' if v.points != 1 else ''}"
    if v.sizes:
        where += " (" + ", ".join(f"{k} = {n}" for k, n in v.sizes.items()) + ")"
    method = "central finite differences" if v.method == "finite differences" else v.method
    check = f"Checked against {method} {where}: largest difference {v.max_abs_error:.1e}."
    return kink_text(derivation) + check


#: The derivative a kinked function leaves in a result, and the function it comes from.
KINK_WORDS = {"step": (r"\mathit{H}", "the rectifier ReLU"),
              "sign": (r"\operatorname{sign}", "the absolute value")}


def kink_text(derivation: Derivation) -> str:
    """Where a result holding H (ReLU's derivative) or sign (|z|'s) is valid, said before the check."""
    from derivgen.problem.text import to_text

    r = derivation.result
    text = (to_text(r.closed) if isinstance(r.closed, Expr) else "") + (
        iexpr_text(r.index.expr) if isinstance(r.index, IndexForm) else "")
    said = [f"${head}$ is the derivative of {words}, which has a kink at 0 and no derivative there"
            for f, (head, words) in KINK_WORDS.items() if f + "(" in text]
    if not said:
        return ""
    return "; ".join(said) + (": the result holds wherever no argument of it is 0, and the check draws "
                              "its points away from 0. ")


def _block(nested: Explicit) -> Block:
    """Nested tuples in array layout as a bmatrix (vectors as a column)."""
    if not isinstance(nested, tuple):
        return Block(((nested,),))
    rows = [r for r in nested if isinstance(r, tuple)]
    if nested and len(rows) == len(nested):
        if all(r and isinstance(r[0], tuple) for r in rows):
            # A tensor of order 3: one P×Q slice per last index, side by side (as the collation shows them).
            n = len(_row(rows[0][0]))
            slices = (Block(tuple(tuple(_cell(_row(row[q])[k]) for q in range(len(row))) for row in rows))
                      for k in range(n))
            return Block((tuple(slices),))
        return Block(tuple(tuple(_cell(c) for c in r) for r in rows))
    return Block(tuple((_cell(c),) for c in nested))


def _row(x: Explicit) -> tuple[Explicit, ...]:
    if not isinstance(x, tuple):
        raise RenderError("the explicit array is ragged")
    return x


def _cell(x: Explicit) -> Expr:
    if isinstance(x, tuple):
        raise RenderError("the explicit array is ragged")
    return x
