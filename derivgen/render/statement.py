"""What a problem asks, written once for every output format.

A problem's **statement** is Markdown with ``$...$`` / ``$$...$$`` math:

- the problem file's ``statement``, followed by a display of every define
  listed in ``show:`` (``A(x) = [...]`` for "the matrix below"); or, when the
  file has no statement, one generated from the file: "Given x ∈ ℝ^N and
  a ∈ ℝ^N, let f = xᵀa." (a display of each define when nothing is given).

Each renderer turns that one text into its format with the pipeline it uses
for user statements (LaTeX: :func:`.texescape.escape_text`; Markdown:
:func:`.mdmath.user_markdown`; HTML: ``markdown_html``; JSON: as is), so every
format says the same thing.

Then each derivative asked for gets an **ask**, also Markdown:

- a single derivative the statement already asks for (see :func:`statement_asks`)
  gets no line at all;
- otherwise "Find $\\frac{dL}{d\\theta}$." -- written with symbols the statement
  introduces: a define the statement never names is written out, "Find the
  derivative of $\\operatorname{tr}(AX)$ with respect to $X$.";
- with several derivatives each keeps its part label, (a), (b), ...; a part
  the statement asks for is named by its symbol alone, so the labels still
  say which part is which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from derivgen.derivation import Deriv, Derivation, Result, Space
from derivgen.problem.expr import Expr, Index, Name
from derivgen.problem.model import Definition, Find, Problem
from derivgen.render.narrate import Context, printer_for

#: Letters for the parts of a problem with several ``find`` entries.
PART_LETTERS = "abcdefghijklmnopqrstuvwxyz"

#: Verbs by which a statement asks for something (outside math, any case).
IMPERATIVES = re.compile(
    r"\b(?:compute|find|derive|show|differentiate|determine|calculate|evaluate|justify|obtain|"
    r"work\s+out|give|verify|prove)\b", re.I)
#: Words that say the statement is about a derivative.
DERIVATIVE_WORDS = re.compile(r"\b(?:derivatives?|gradients?|jacobians?|partials?|differentiate)\b", re.I)
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\$])\$([^$]+?)(?<!\\)\$", re.S)
#: Font commands that do not change which symbol is meant (``\boldsymbol{x}`` is ``x``).
_FONTS = re.compile(
    r"\\(?:boldsymbol|mathbf|bm|mathit|mathsf|mathnormal|vec|bf|it|rm|displaystyle)(?![A-Za-z])")
#: Groups that are no symbol of the problem (``\mathbb{R}``, ``\operatorname{tr}``, ``\text{...}``).
_NOT_SYMBOLS = re.compile(r"\\(?:mathbb|mathcal|operatorname|text|mathrm)\s*\{[^{}]*\}")
_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9]|[_^]")


@dataclass(frozen=True)
class Ask:
    """What one ``find`` entry asks, for the templates."""

    label: str | None
    """``a``, ``b``, ... when a problem asks for several derivatives, else None."""
    text: str
    """Markdown with math: ``Find $...$.``, the symbol alone, or empty (the statement asks)."""
    symbol: str
    """LaTeX of the derivative, ``\\frac{\\mathrm{d}L}{\\mathrm{d}\\boldsymbol{\\theta}}``."""


# --- the statement ---------------------------------------------------------------------


def statement_markdown(problem: Problem) -> str:
    """The complete statement as Markdown with math (see the module doc)."""
    text = (problem.statement or "").strip()
    if not text:
        return generated_statement(problem)
    shown = [d for name in _shown(problem) if (d := problem.definition(name)) is not None]
    displays = [_display(shown_definition(problem, d)) for d in shown]
    return "\n\n".join([text, *displays])


def _shown(problem: Problem) -> tuple[str, ...]:
    show = problem.options.get("show", ())
    return tuple(show) if isinstance(show, (tuple, list)) else ()


def generated_statement(problem: Problem) -> str:
    """For a file without ``statement``: the givens with their spaces, then each define."""
    printer = printer_for(problem)
    given = [printer.print(Name(v.name)) + r" \in " + printer.print(Space((v.shape,)))
             for v in problem.given]
    defines = [f"${definition_tex(problem, d, ' = ')}$" for d in problem.define]
    if given and defines:  # one sentence, as a lecture would state it
        return "Given " + and_list([f"${g}$" for g in given]) + ", let " + and_list(defines) + "."
    parts = ["Given " + and_list([f"${g}$" for g in given]) + "."] if given else []
    parts += [_display(definition_tex(problem, d)) for d in problem.define]
    return "\n\n".join(parts)


def _display(tex: str) -> str:
    return "$$\n" + tex + "\n$$"


def definition_tex(problem: Problem, d: Definition, sign: str = r" \mathrel{:=} ") -> str:
    """``f := x^T a`` (``f(x) := ...`` for a function)."""
    printer = printer_for(problem)
    return _head(problem, d, d.params) + sign + printer.print(d.expr)


def shown_definition(problem: Problem, d: Definition) -> str:
    """``A(x) = [...]``: a shown define as a function of the givens it depends on."""
    params = d.params or tuple(v.name for v in problem.given if _depends(problem, d.expr, v.name))
    return _head(problem, d, params) + " = " + printer_for(problem).print(d.expr)


def _head(problem: Problem, d: Definition, params: Sequence[str]) -> str:
    printer = printer_for(problem)
    head = printer.print(Name(d.name))
    if params:
        head += r"(" + ", ".join(printer.print(Name(p)) for p in params) + r")"
    return head


def _depends(problem: Problem, e: Expr, name: str) -> bool:
    from derivgen.problem.expr import names_in

    try:
        return name in names_in(problem.expand(e))
    except RecursionError:
        return name in names_in(e)


def and_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- what is asked -----------------------------------------------------------------------


def asks(problem: Problem, derivations: Sequence[Derivation] = ()) -> list[Ask]:
    """One :class:`Ask` per derivation, in order (per ``find`` entry when there are none)."""
    if derivations:
        pairs = [_parsed(d.of, d.wrt) for d in derivations]
    else:
        pairs = [(f.of, f.wrt, f.wrt_text) for f in problem.find]
    statement = statement_markdown(problem)
    user = bool((problem.statement or "").strip())
    several = len(pairs) > 1
    out = []
    seconds = [_second_tex(problem, d) for d in derivations] if derivations else [
        _second_tex(problem, f) for f in problem.find]
    for i, (of, wrt, wrt_text) in enumerate(pairs):
        symbol = seconds[i] or derivative_tex(problem, of, wrt_text)
        label = PART_LETTERS[i % 26] if several else None
        taylor = _taylor_point(problem, derivations[i] if derivations else problem.find[i])
        asked = user and (statement_asks(statement, problem, of, wrt) if taylor is None
                          else re.search(r"\b(?:taylor|lineari[sz])", statement, re.IGNORECASE) is not None)
        if asked and not several:
            text = ""
        elif asked:
            text = f"${symbol}$"
        else:
            name = printer_for(problem).print(Name(of))
            text = _find_sentence(problem, statement if user else None, of, wrt, symbol) if taylor is None \
                else f"Find the Taylor polynomial ${symbol}$ of ${name}$ at {taylor}."
        out.append(Ask(label, text, symbol))
    return out


def _taylor_point(problem: Problem, asked: Derivation | Find) -> str | None:
    """``$x_0 = 1$`` for a Taylor polynomial (a ``find`` entry or a derivation), else None."""
    from derivgen.render.taylor import TAYLOR

    if isinstance(asked, Derivation):
        if asked.method != TAYLOR or not asked.steps:
            return None
        facts = asked.steps[0].facts
        names = [str(n) for n in _listed(facts.get("wrt"))]
        at = [a for a in _listed(facts.get("at")) if isinstance(a, Expr)]
    elif asked.degree is None:
        return None
    else:
        names, at = [w.id for w in asked.wrt if isinstance(w, Name)], list(asked.at)
    printer = printer_for(problem)
    zero = [printer.print(Name(n)) + "_0" for n in names]
    values = [printer.print(a) for a in at]
    if len(zero) == len(values) == 1:
        return f"${zero[0]} = {values[0]}$"
    if len(zero) == 1:  # a vector: its entries
        return f"${zero[0]} = \\begin{{bmatrix}}{' & '.join(values)}\\end{{bmatrix}}^\\top$"
    return f"$({', '.join(zero)}) = ({', '.join(values)})$"


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _second_tex(problem: Problem, asked: Derivation | Find) -> str | None:
    """∂²f/∂x∂y for a second derivative (a ``find`` entry or a derivation), T_k(x) for a Taylor
    polynomial, else None."""
    from derivgen.derivation import SecondDeriv
    from derivgen.render.second import is_second, second_symbol
    from derivgen.render.taylor import is_taylor, taylor_symbol

    printer = printer_for(problem)
    if isinstance(asked, Derivation):
        if is_taylor(asked):
            return printer.print(taylor_symbol(asked))
        return printer.print(second_symbol(asked, problem)) if is_second(asked) else None
    if asked.degree is not None:
        from derivgen.render.sentences.taylor import taylor_call

        return printer.print(taylor_call(asked.degree, [w.id for w in asked.wrt if isinstance(w, Name)]))
    if not asked.first:
        return None
    x, y = asked.wrt[0], asked.first[0]
    var = problem.var(x.id) if isinstance(x, Name) else None
    scalars = [v for v in problem.given if not v.shape]
    partial = x != y or var is None or bool(var.shape) or len(scalars) > 1
    return printer.print(SecondDeriv(Name(asked.of), y, x, partial))


def _parsed(of: str, wrt_text: str) -> tuple[str, tuple[Expr, ...], str]:
    from derivgen.errors import ExpressionError
    from derivgen.problem.parser import parse_find

    try:
        _, wrt = parse_find(f"d{of}/d{wrt_text}")
    except ExpressionError:  # a derivation names a valid find; a bare name is the fallback
        wrt = (Name(wrt_text),)
    return of, tuple(wrt), wrt_text


def _find_sentence(problem: Problem, statement: str | None, of: str, wrt: tuple[Expr, ...],
                   symbol: str) -> str:
    """``Find $dL/dθ$.``, or with the define written out when the statement never names it."""
    if statement is None or _introduced(problem, statement, of):
        return f"Find ${symbol}$."
    d = problem.definition(of)
    assert d is not None  # givens are named by the generated statement, and _introduced says so
    printer = printer_for(problem)
    what = printer.print(d.expr)
    if d.params:
        what = _head(problem, d, d.params) + " = " + what
    by = and_list([f"${_wrt_tex(problem, statement, w)}$" for w in wrt])
    return f"Find the derivative of ${what}$ with respect to {by}."


def _wrt_tex(problem: Problem, statement: str, w: Expr) -> str:
    """The variable differentiated by, with its space when the statement does not write it."""
    printer = printer_for(problem)
    tex = printer.print(w)
    var = problem.var(w.id) if isinstance(w, Name) else None
    if var is None or mentions(statement, tex):
        return tex
    return tex + r" \in " + printer.print(Space((var.shape,)))


def _introduced(problem: Problem, statement: str, name: str) -> bool:
    """A given is introduced by the file; a define only when the statement writes its symbol."""
    if problem.definition(name) is None:
        return True
    return mentions(statement, _symbol_tex(problem, Name(name)))


def statement_asks(statement: str, problem: Problem, of: str, wrt: tuple[Expr, ...]) -> bool:
    """Whether ``statement`` already asks for d(of)/d(wrt).

    It does when all three hold: it contains a request (Compute, Find, Derive,
    Show, Differentiate, ... outside math); its math writes every variable
    differentiated by (a component ``x[1]`` counts as ``x_1`` or ``x``); and it
    is about this derivative -- its math writes the differentiated quantity's
    symbol, or a derivative (``\\partial``, ``\\mathrm{d}``, ``\\nabla``, "gradient",
    "Jacobian", ...).
    """
    text = _MATH.sub(" ", statement)
    if not IMPERATIVES.search(text):
        return False
    for w in wrt:
        base = w.base if isinstance(w, Index) else w
        if not (mentions(statement, _symbol_tex(problem, w))
                or mentions(statement, _symbol_tex(problem, base))):
            return False
    if mentions(statement, _symbol_tex(problem, Name(of))):
        return True
    tokens = [t for m in _MATH.finditer(statement) for t in symbol_tokens(m.group(1) or m.group(2))]
    return bool({r"\partial", r"\dd", r"\nabla"} & set(tokens)) or bool(DERIVATIVE_WORDS.search(text))


def _symbol_tex(problem: Problem, e: Expr) -> str:
    return printer_for(problem).print(e)


def symbol_tokens(tex: str) -> list[str]:
    """Math as symbol tokens: fonts and braces dropped, ``\\mathrm{d}`` is ``\\dd``, ``\\mathbb{R}`` gone."""
    tex = re.sub(r"\\mathrm\s*\{\s*d\s*\}", r"\\dd ", tex)
    tex = _NOT_SYMBOLS.sub(" ", tex)
    tex = _FONTS.sub(" ", tex)
    return _TOKEN.findall(tex)


def mentions(statement: str, symbol_tex: str) -> bool:
    """Whether the statement's math writes the symbol (``\\boldsymbol{W}_1`` for ``W_{1}``).

    A symbol followed by a subscript is another symbol (``W`` is not ``W_1``).
    """
    want = symbol_tokens(symbol_tex)
    if not want:
        return False
    n = len(want)
    for m in _MATH.finditer(statement):
        tokens = symbol_tokens(m.group(1) or m.group(2))
        for i in range(len(tokens) - n + 1):
            if tokens[i:i + n] == want and (i + n >= len(tokens) or tokens[i + n] != "_"):
                return True
    return False


def derivative_tex(problem: Problem, of: str, wrt_text: str) -> str:
    """LaTeX of d(of)/d(wrt), as the solutions write it."""
    ctx = Context(printer_for(problem), _placeholder(of, wrt_text))
    return ctx.printer.print(Deriv(ctx.known_math(of), ctx.known_math(wrt_text)))


def _placeholder(of: str, wrt: str) -> Derivation:
    """narrate's Context wants a Derivation; naming a ``find`` entry needs none of it."""
    return Derivation(of=of, wrt=wrt, of_shape=(), wrt_shape=(), steps=(), result=Result((), ()))
