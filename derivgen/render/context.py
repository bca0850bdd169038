"""What a sentence needs besides its facts: the printer, the derivation, the problem.

A :class:`Context` typesets names found in facts (``theta``, ``x[2]``,
``A_kq``, ``df/dx``) and remembers which concepts a solution has explained.
"""

from __future__ import annotations

import re

from derivgen.derivation import Deriv, Derivation, Entry, Math, Relation, Space, Tuple
from derivgen.errors import RenderError
from derivgen.problem.expr import Expr, Index, Name, Shape
from derivgen.problem.model import Problem
from derivgen.render.mathlatex import MathLatex, text_latex

_INDEXED = re.compile(r"^(\w+?)\[(\d+(?:\s*,\s*\d+)*)\]$")
_ENTRY = re.compile(r"^([A-Za-z]+)_\{?([^{}/]+)\}?$")  # not dy_hat/dw: that is a derivative
_DERIV = re.compile(r"^(∂|d)\s*(\w+)\s*/\s*(?:∂|d)\s*(\w+|\(.*\))$")


class Context:
    """The printer and the derivation, with helpers that typeset names found in facts."""

    def __init__(self, printer: MathLatex, derivation: Derivation, problem: Problem | None = None) -> None:
        self.printer = printer
        self.derivation = derivation
        self.problem = problem
        self.explained: set[str] = set()
        """Concepts already explained in this solution (each is explained once)."""

    def once(self, concept: str) -> bool:
        """True the first time a concept comes up in this solution, False after."""
        if concept in self.explained:
            return False
        self.explained.add(concept)
        return True

    def derives_identity(self, number: str) -> bool:
        """Whether this problem sets out to derive identity ``number`` (its title names it)."""
        title = self.problem.title if self.problem is not None else ""
        return f"({number})" in title

    def math(self, text: str) -> Math | None:
        """A name as written in a problem (``theta``, ``x[2]``, ``(s, t)``, ``A_kq``) as a math object."""
        text = text.strip()
        if re.fullmatch(r"\w+", text):
            return Name(text)
        m = _INDEXED.match(text)
        if m:
            return Index(Name(m.group(1)), tuple(int(i) for i in m.group(2).split(",")))
        if text.startswith("(") and text.endswith(")"):
            items = [self.math(t) for t in text[1:-1].split(",")]
            scalars = tuple(item for item in items if isinstance(item, (Expr, Entry)))
            if len(scalars) == len(items):
                return Tuple(scalars)
        m = _ENTRY.match(text)
        if m:
            inner = m.group(2)
            idx = tuple(i.strip() for i in inner.split(",")) if "," in inner else tuple(inner)
            return Entry(m.group(1), idx)
        m = _DERIV.match(text)
        if m:
            of, wrt = self.math(m.group(2)), self.math(m.group(3))
            if of is not None and wrt is not None:
                return Deriv(of, wrt, partial=True)
        return None

    def known_math(self, text: str) -> Math:
        """:meth:`math` for a name the derivation itself wrote (its ``of`` or ``wrt``), which always reads."""
        obj = self.math(text)
        if obj is None:
            raise RenderError(f"cannot typeset {text!r}")
        return obj

    def tex(self, value: object) -> str:
        """Inline math for a fact: a name's text, or any math object."""
        if isinstance(value, str):
            obj = self.math(value)
            return "$" + (self.printer.print(obj) if obj is not None else text_latex(value)) + "$"
        return "$" + self.printer.print(value) + "$"

    def entry(self, name: str, index: str) -> str:
        return "$" + self.printer.print(Entry(name, (index,))) + "$"

    def space(self, shape: Shape, row: bool = False) -> str:
        return "$" + self.printer.print(Space((shape,), row=row)) + "$"

    def relation(self, rel: Relation) -> str:
        return "$" + self.printer.relation(rel) + "$"

