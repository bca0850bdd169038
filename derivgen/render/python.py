"""``--format py``: a problem as a plain NumPy file a lecturer can hand out, with a gradient check.

``<sheet>/py/<id>.py`` holds one function per quantity of the problem (its
``define`` entries, arguments named as the problem names its givens), one per
derivative found (from the verified result: the closed form, else the index
formula as loops, else the explicit array), and a ``__main__`` that compares
every derivative with central finite differences at random values drawn as
derivgen's own check draws them (symmetric, invertible, positive, simplex
respected) and exits 1 on a mismatch.

Nothing the author wrote becomes code: names are identifiers of the language
(one that Python or this file already uses gets a trailing ``_``), formulas
are printed from their parsed form (:mod:`.pycode`), and the title and source
appear only in the module's docstring (raw when they hold a backslash), each on
one line, with no quote that could end it (:func:`doc_text`).
"""

from __future__ import annotations

import builtins
import keyword
import textwrap
from collections.abc import Iterable, Mapping

from derivgen.derivation import Derivation, Explicit
from derivgen.derivation.index_form import IndexForm
from derivgen.errors import RenderError
from derivgen.problem.expr import Call, Expr, ListLit, Name, children
from derivgen.problem.model import Definition, Problem
from derivgen.problem.text import to_text
from derivgen.render.escape import one_line
from derivgen.render.pycheck import check_section
from derivgen.render.pycode import HELPERS, IndexWriter, Printer, wrap_code
from derivgen.render.taylor import is_taylor

#: Names the generated file uses itself: a problem's name equal to one of them gets a trailing ``_``.
FILE_NAMES = frozenset({"np", "sys", "call", "check", "random_point", "numeric_derivative", "DERIVATIVES",
                        "out", "value", "derived", "numeric", *HELPERS})


def doc_text(text: str) -> str:
    """An author's text for a docstring or comment: one line, no ``"`` and no trailing backslash."""
    line = one_line(text).replace('"', "'")
    return line + " " if line.endswith("\\") else line


def docstring(text: str) -> list[str]:
    """A function's docstring, wrapped at 100 columns (the text holds no quotes or backslashes)."""
    lines = textwrap.wrap(f'"""{text}"""', width=96, break_long_words=False, break_on_hyphens=False)
    return ["    " + line for line in lines]


def shape_text(shape: tuple[object, ...]) -> str:
    """``(N, D)``, ``(N,)`` or ``()``: a shape as NumPy writes it."""
    if not shape:
        return "() (a scalar)"
    dims = [str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


class _File:
    """The generated file of one problem, written section by section."""

    def __init__(self, problem: Problem, derivations: list[Derivation]) -> None:
        self.problem = problem
        self.derivations = derivations
        self.givens = [v.name for v in problem.given]
        self.dims = {d for v in problem.given for d in v.shape if isinstance(d, str)} | set(problem.sizes)
        taken = set(self.givens) | {d.name for d in problem.define} | self.dims
        self.reserved = FILE_NAMES | set(dir(builtins)) | set(keyword.kwlist)
        self.calls = {d.name: tuple(d.params) + tuple(self.uses(d.expr, set(d.params)))
                      for d in problem.define}
        self.derivative_names = self.unique([_derivative_name(d) for d in derivations], taken)
        self.used: set[str] = set()

    # --- names -----------------------------------------------------------------------------------

    def name(self, ident: str) -> str:
        return ident + "_" if ident in self.reserved else ident

    def unique(self, names: list[str], taken: set[str]) -> list[str]:
        out: list[str] = []
        for n in names:
            while n in taken or n in self.reserved or n in out:
                n += "_"
            out.append(n)
        return out

    def uses(self, e: Expr, bound: set[str], seen: frozenset[str] = frozenset()) -> list[str]:
        """The givens an expression reads, through the defines it names, in the givens' order."""
        found: set[str] = set()
        for node in _nodes(e):
            ident = node.id if isinstance(node, Name) else node.func if isinstance(node, Call) else None
            if ident is None or ident in bound:
                continue
            if ident in self.givens:
                found.add(ident)
            d = self.problem.definition(ident)
            if d is not None and ident not in seen:
                found.update(self.uses(d.expr, set(d.params), seen | {ident}))
        return [g for g in self.givens if g in found]

    def printer(self, local: Iterable[str] = ()) -> Printer:
        return Printer(self.problem.shape_env(), self.name, self.calls, frozenset(local), self.used)

    # --- sections -------------------------------------------------------------------------------

    def quantity(self, d: Definition) -> list[str]:
        params = self.calls[d.name]
        body = self.printer(d.params)(d.expr)
        lines = [f"def {self.name(d.name)}({', '.join(self.name(p) for p in params)}):"]
        what = f"{d.name}({', '.join(d.params)})" if d.params else d.name
        shape = "" if d.shape is None else f", shape {shape_text(d.shape)}"
        lines += docstring(f"{what} = {to_text(d.expr)}{shape}.")
        lines += [f"    {line}" for line in self.sizes_needed(d.expr, params)]
        if isinstance(d.expr, ListLit) and len(f"    return {body}") > 100:
            lines += [f"    {line}" for line in self.explicit_lines(_rows(d.expr), self.printer(d.params))]
        else:
            lines += wrap_code("    ", "return ", body)
        return lines

    def derivative(self, d: Derivation, fname: str) -> list[str]:
        params = self.args_of(d)
        r = d.result
        head = [f"def {fname}({', '.join(self.name(p) for p in params)}):"]
        layout = shape_text(r.shape)
        if r.closed is not None:
            doc = f"d{d.of}/d{d.wrt} = {to_text(r.closed)}, shape {layout}"
            if tuple(r.printed) == (1, *r.shape):
                doc += f" (the row {shape_text(r.printed)} of the solution, as a 1-D array)"
            closed = r.closed
            if isinstance(closed, ListLit) and len(closed.items) == 1 and len(r.shape) == 1:
                closed = closed.items[0]  # the row [[a, b]] as the 1-D array the layout has
            body = self.sizes_needed(closed, params) + wrap_code("", "return ", self.printer()(closed), 96)
        elif isinstance(r.index, IndexForm):
            doc = f"{r.index}, shape {layout}"
            body = self.loops(r.index, params)
        elif r.explicit is not None:
            doc = f"d{d.of}/d{d.wrt} entry by entry at the problem's sizes, shape {layout}"
            body = self.explicit_lines(r.explicit)
        else:
            raise RenderError(f"--format py: d{d.of}/d{d.wrt} has no form to write as code")
        return head + docstring(doc + ".") + [f"    {line}" for line in body]

    def args_of(self, d: Derivation) -> list[str]:
        """The arguments of ``of``'s function, and the variable differentiated by if it is not one."""
        if self.problem.definition(d.of) is None:
            raise RenderError(f"--format py: d{d.of}/d{d.wrt}: {d.of} is a given, not a defined quantity")
        args = list(self.calls[d.of])
        wrt = {name for name, _ in self.wrt_vars(d)}
        return [g for g in self.givens if g in args or g in wrt]

    def wrt_vars(self, d: Derivation) -> list[tuple[str, tuple[int, ...]]]:
        """What the derivative is by: (given, 0-based index or () for all of it), one per variable."""
        find = next(f for f in self.problem.find if f.of == d.of and f.wrt_text == d.wrt)
        out: list[tuple[str, tuple[int, ...]]] = []
        for w in find.wrt:
            if isinstance(w, Name):
                out.append((w.id, ()))
            else:
                base = getattr(w, "base", None)
                assert isinstance(base, Name)
                out.append((base.id, tuple(i - 1 for i in getattr(w, "indices", ()))))
        return out

    def sizes_needed(self, e: Expr, params: Iterable[str]) -> list[str]:
        """``N = x.shape[0]`` for each size an expression names (``x / N``, ``eye(N)``)."""
        named = {n.id for n in _nodes(e) if isinstance(n, Name) and n.id in self.dims}
        return self.size_lines(named, params)

    def size_lines(self, dims: Iterable[str], params: Iterable[str]) -> list[str]:
        lines = []
        params = list(params)
        for dim in sorted(set(dims)):
            source = next(((v.name, k) for v in self.problem.given if v.name in params
                           for k, d in enumerate(v.shape) if d == dim), None)
            if source is not None:
                lines.append(f"{self.name(dim)} = {self.name(source[0])}.shape[{source[1]}]")
            else:
                lines.append(f"{self.name(dim)} = {self.sizes()[dim]}  # the problem's size")
        return lines

    def loops(self, form: IndexForm, params: list[str]) -> list[str]:
        writer = IndexWriter(self.printer())
        entry = writer.iexpr(form.expr)
        idx = form.out_idx + form.wrt_idx
        dims = [i.dim for i in idx] + _summed_dims(form)
        lines = self.size_lines([d for d in dims if isinstance(d, str)], params)
        lines += writer.hoisted_lines()
        shape = ", ".join(self.name(i.dim) if isinstance(i.dim, str) else str(i.dim) for i in idx)
        lines.append(f"out = np.zeros(({shape}{',' if len(idx) == 1 else ''}))")
        for depth, i in enumerate(idx):
            bound = self.name(i.dim) if isinstance(i.dim, str) else str(i.dim)
            lines.append("    " * depth + f"for {i.name} in range({bound}):")
        target = f"out[{', '.join(i.name for i in idx)}]" if idx else "out[()]"
        indent = "    " * len(idx)
        terms = writer.terms(form.expr)
        if len(indent + target + entry) < 92 or len(terms) == 1:
            lines.append(f"{indent}{target} = {entry}")
        else:  # one term a line, inside brackets
            lines.append(f"{indent}{target} = ({terms[0]}")
            pad = " " * len(f"{indent}{target} = (")
            lines += [f"{pad}{term}" for term in terms[1:-1]] + [f"{pad}{terms[-1]})"]
        return lines + ["return out"]

    def explicit_lines(self, x: Explicit, printer: Printer | None = None) -> list[str]:
        """``return np.array([...])``, one entry of the outermost axis a line."""
        if not isinstance(x, tuple):
            return [f"return np.array({self.explicit(x, printer)})"]
        rows = [line for item in x for line in wrap_code("    ", "", self.explicit(item, printer) + ",", 96)]
        return ["return np.array(["] + rows + ["])"]

    def explicit(self, x: Explicit, printer: Printer | None = None) -> str:
        if isinstance(x, tuple):
            return "[" + ", ".join(self.explicit(item, printer) for item in x) + "]"
        return (printer or self.printer())(x)

    def sizes(self) -> dict[str, int]:
        return checked_sizes(self.problem, self.derivations)


def checked_sizes(problem: Problem, derivations: Iterable[Derivation]) -> dict[str, int]:
    """The problem's sizes, with those the numeric checks of the derivations picked."""
    out: dict[str, int] = dict(problem.sizes)
    for d in derivations:
        if d.verified is not None:
            out.update(d.verified.sizes)
    return out


def _rows(e: ListLit) -> Explicit:
    """A list literal as nested tuples of its entries (to be written a row a line)."""
    return tuple(_rows(i) if isinstance(i, ListLit) else i for i in e.items)


def _nodes(e: Expr) -> list[Expr]:
    """Every node of an expression."""
    out, stack = [], [e]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children(node))
    return out


def _derivative_name(d: Derivation) -> str:
    wrt = "".join(c if c.isalnum() or c == "_" else "_" for c in d.wrt).strip("_")
    while "__" in wrt:
        wrt = wrt.replace("__", "_")
    return f"d{d.of}_d{wrt}"


def _summed_dims(form: IndexForm) -> list[object]:
    from derivgen.derivation.index_form import Fn, Pw

    def of(x: object) -> list[object]:
        out: list[object] = []
        for t in getattr(x, "terms", ()):
            out += [s.dim for s in t.sums] + [getattr(f, "dim", None) for f in t.factors if hasattr(f, "dim")]
            for f in t.factors:
                if isinstance(f, Fn):
                    out += of(f.arg)
                elif isinstance(f, Pw):
                    out += of(f.base)
        return out
    return of(form.expr)


def render_problem_py(problem: Problem, derivations: list[Derivation], number: str | None = None,
                      label: str = "Problem") -> str:
    """``<sheet>/py/<id>.py``: the problem's quantities and derivatives in NumPy, and their check.

    Second derivatives and Taylor polynomials are not written as code (their check would need
    the first derivative as a function); the module docstring names them."""
    left_out = [d for d in derivations if d.first is not None or is_taylor(d)]
    sizes = checked_sizes(problem, derivations)  # the sizes every check used, left-out ones too
    derivations = [d for d in derivations if d not in left_out]
    f = _File(problem, derivations)
    quantities = [line for d in problem.define for line in [*f.quantity(d), "", ""]]
    derivatives = [line for d, n in zip(derivations, f.derivative_names, strict=True)
                   for line in [*f.derivative(d, n), "", ""]]
    helpers = [HELPERS[h] + "\n\n" for h in sorted(f.used) if h in HELPERS]
    table = [(f"d{d.of}/d{d.wrt}", f.name(d.of), n, [f.name(a) for a in f.args_of(d)],
              [(f.name(g), i) for g, i in f.wrt_vars(d)], _code_layout(d))
             for d, n in zip(derivations, f.derivative_names, strict=True)]
    given = [(f.name(v.name), v.shape, v.assume) for v in problem.given]
    parts = [
        _docstring(problem, number, label, left_out), "\n", "import sys\n\nimport numpy as np\n\n\n",
        *helpers, "\n".join(quantities) + "\n", "\n".join(derivatives) + "\n",
        check_section(given, sizes, table, f.name),
    ]
    return "".join(parts).rstrip("\n") + "\n"


def _docstring(problem: Problem, number: str | None, label: str, left_out: list[Derivation]) -> str:
    heading = f"{label} {number}: " if number else ""
    lines = [f'"""{doc_text(heading + problem.title)}', ""]
    if problem.source:
        lines += [f"Source: {doc_text(problem.source)}", ""]
    givens = ", ".join(f"{v.name} {shape_text(v.shape)}" for v in problem.given).replace(" (a scalar)", "")
    lines += [
        f"Generated by derivgen from {doc_text(problem.path.name)}: a NumPy function for each",
        "quantity of the problem and for each derivative found (the derived result), and a",
        "check of every derivative against central finite differences at random values:",
        "",
        f"    python {doc_text(problem.id)}.py    # exit status 1 if a derivative disagrees",
        "",
        f"Arguments: {givens}.",
        "A vector is a 1-D array (x.T is x itself: x.T @ A @ x is a number, and a column",
        "times a row is np.outer), a matrix a 2-D one; a derivative is an array with the axes",
        "of the quantity, then those of the variable (so a gradient by x has the shape of x).",
        "Docstrings write the problem's formulas, whose indices count from 1 (x[1] is x[0]).",
    ]
    if left_out:
        asked = ", ".join(doc_text(_asked(problem, d)) for d in left_out)
        lines += ["", f"Not written as code here (see the worked solution): {asked}; derivgen",
                  "writes second derivatives and Taylor polynomials on the solution page only."]
    lines += ['"""']
    text = "\n".join(lines) + "\n"
    return "r" + text if "\\" in text else text  # TeX in a title: its backslashes stay backslashes


def _code_layout(d: Derivation) -> str:
    """The layout of the derivative's code: only the closed form is transposed in denominator layout
    (the index formula and the explicit array keep the quantity's axes first)."""
    return "denominator" if d.result.layout == "denominator" and d.result.closed is not None else "numerator"


def _asked(problem: Problem, d: Derivation) -> str:
    """How the problem file asks for the derivation (``d2f/dx2``, ``taylor(f, x, 0, 4)``)."""
    return next((f.text for f in problem.find if f.of == d.of and (f.first or f.degree is not None)),
                f"d{d.of}/d{d.wrt}")


def derivative_names(problem: Problem, derivations: list[Derivation]) -> Mapping[str, str]:
    """The Python function of each derivative, by ``dL/dtheta`` (for tests and the docs)."""
    f = _File(problem, derivations)
    return {f"d{d.of}/d{d.wrt}": n for d, n in zip(derivations, f.derivative_names, strict=True)}
