"""The math in an author's text: where each ``$...$`` and ``$$...$$`` is, and what is wrong with it.

Text is cut as the Markdown of a course site cuts it (and as Pandoc reads
``$``): code spans first (a ``$`` inside one is no math), a backslash escapes
the next character (``\\$`` is a dollar sign), ``$$`` opens display math that
closes at the next ``$$`` before a blank line, and ``$`` opens inline math
when a non-space follows it, closed by a ``$`` that follows a non-space and
no digit follows.  Checking is strict: a ``$`` that opens no formula, or one
never closed, is an error (:class:`Slip`), not a dollar sign shown as text.

:func:`structure_slips` reads one formula's TeX for the errors TeX and KaTeX
would only half repair: an unbalanced brace, ``&`` outside an environment,
``\\left`` without ``\\right`` (or the other way round), ``\\begin`` without its
``\\end``, and, given the commands the renderer knows, an unknown macro.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Formula:
    """One formula of a text."""

    tex: str
    """The TeX between the delimiters."""
    start: int
    """Where ``tex`` starts in the text (characters from 0)."""
    display: bool
    """``$$...$$`` rather than ``$...$``."""


@dataclass(frozen=True)
class Slip:
    """Something wrong with the math of a text, at a character of it."""

    offset: int
    """Where, in the text (or the formula, from :func:`structure_slips`), from 0."""
    message: str
    """What is wrong and how to fix it."""


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_TICKS = re.compile(r"`+")


def find_math(text: str) -> tuple[list[Formula], list[Slip]]:
    """Every formula of ``text``, and every ``$`` that opens none or is never closed."""
    formulas: list[Formula] = []
    slips: list[Slip] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "`":
            i = _after_code_span(text, i)
        elif text.startswith("$$", i):
            i = _display(text, i, formulas, slips)
        elif c == "$":
            i = _inline(text, i, formulas, slips)
        else:
            i += 1
    return formulas, slips


def _after_code_span(text: str, i: int) -> int:
    run = _TICKS.match(text, i)
    assert run is not None
    end = _paragraph_end(text, run.end())
    for close in _TICKS.finditer(text, run.end(), end):
        if len(close.group()) == len(run.group()):
            return close.end()
    return run.end()  # no partner: the backticks are text


def _paragraph_end(text: str, i: int) -> int:
    blank = _BLANK_LINE.search(text, i)
    return blank.start() if blank else len(text)


def _display(text: str, i: int, formulas: list[Formula], slips: list[Slip]) -> int:
    end = _paragraph_end(text, i + 2)
    j = i + 2
    while j < end:
        if text[j] == "\\":
            j += 2
        elif text.startswith("$$", j):
            formulas.append(Formula(text[i + 2:j], i + 2, True))
            return j + 2
        else:
            j += 1
    slips.append(Slip(i, "unclosed '$$': the formula never ends before a blank line or the end of the text "
                         "(close it with '$$', or write \\$\\$ for dollar signs)"))
    return i + 2


def _inline(text: str, i: int, formulas: list[Formula], slips: list[Slip]) -> int:
    j = _next_dollar(text, i + 1, _paragraph_end(text, i + 1))
    if i + 1 >= len(text) or text[i + 1].isspace():
        slips.append(Slip(i, "a '$' that opens no formula, as a space or the end of the text follows it "
                             "(write $x$ with no space inside, or \\$ for a dollar sign)"))
        return i + 1 if j < 0 else j + 1
    if j < 0 or text[j - 1].isspace() or text[j + 1:j + 2].isdigit():
        slips.append(Slip(i, "unclosed '$': the formula never ends (close it with '$' right after its last "
                             "character, or write \\$ for a dollar sign)"))
        return i + 1 if j < 0 else j
    formulas.append(Formula(text[i + 1:j], i + 1, False))
    return j + 1


def _next_dollar(text: str, j: int, end: int) -> int:
    """The next ``$`` not escaped by a backslash, before ``end``; -1 if none."""
    while j < end:
        if text[j] == "\\":
            j += 2
        elif text[j] == "$":
            return j
        else:
            j += 1
    return -1


def unknown_macro(name: str, known: Collection[str]) -> str:
    """The message for ``\\name``, which KaTeX does not know, with the nearest name it knows."""
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    guess = f" (did you mean \\{near[0]}?)" if near else ""
    return f"unknown macro \\{name}{guess}: KaTeX (and so a course site) does not know it"


# --- the TeX of one formula --------------------------------------------------------------------

_WORD = re.compile(r"\\([A-Za-z]+)|\\(.)", re.S)
_ENV = re.compile(r"\s*\{([A-Za-z*]+)\}")
_DELIMITER = re.compile(r"\s*(\\[A-Za-z]+|\\.|.)", re.S)
_DEFINED = re.compile(r"\\(?:def|gdef|edef|xdef|let|newcommand|renewcommand|providecommand)"
                      r"\s*\{?\\([A-Za-z]+)")


def structure_slips(tex: str, known: Collection[str] | None = None) -> list[Slip]:
    """What is broken in one formula's TeX, offsets into ``tex``; with ``known``, unknown macros too."""
    return _Structure(tex, known).run()


class _Structure:
    def __init__(self, tex: str, known: Collection[str] | None) -> None:
        self.tex = tex
        self.known = None if known is None else {*known, *_DEFINED.findall(tex)}
        self.braces: list[int] = []
        self.lefts: list[tuple[int, str, int]] = []  # (offset, delimiter, brace depth)
        self.envs: list[tuple[int, str]] = []
        self.slips: list[Slip] = []

    def run(self) -> list[Slip]:
        i = 0
        while i < len(self.tex) and not self.slips:
            i = self.step(i)
        if not self.slips:
            self.unclosed()
        return self.slips[:1]

    def step(self, i: int) -> int:
        c = self.tex[i]
        if c == "\\":
            return self.command(i)
        if c == "{":
            self.braces.append(i)
        elif c == "}":
            self.close_brace(i)
        elif c == "&" and not self.envs:
            self.slip(i, "'&' outside an environment: align inside \\begin{aligned} ... \\end{aligned} "
                         "(or a matrix, cases), or write \\& for an ampersand")
        elif c == "%":
            newline = self.tex.find("\n", i)
            return len(self.tex) if newline < 0 else newline
        return i + 1

    def command(self, i: int) -> int:
        m = _WORD.match(self.tex, i)
        if m is None:  # a lone backslash at the end
            self.slip(i, "a '\\' at the end of the formula: write \\backslash for a backslash")
            return len(self.tex)
        name = m.group(1)
        if name is None:
            return m.end()  # \{ \} \& \$ \\ \, ...
        if name in ("left", "right"):
            return self.left_right(i, name, m.end())
        if name in ("begin", "end"):
            return self.environment(i, name, m.end())
        if self.known is not None and name not in self.known:
            self.slip(i, unknown_macro(name, self.known))
        return m.end()

    def left_right(self, i: int, name: str, j: int) -> int:
        m = _DELIMITER.match(self.tex, j)
        delimiter = m.group(1) if m else ""
        end = m.end() if m else j
        if name == "left":
            self.lefts.append((i, delimiter, len(self.braces)))
        elif not self.lefts or self.lefts[-1][2] != len(self.braces):
            self.slip(i, f"'\\right{delimiter}' with no '\\left' before it: add the matching \\left "
                         "(or \\left. for none), or drop \\right")
        else:
            self.lefts.pop()
        return end

    def environment(self, i: int, name: str, j: int) -> int:
        m = _ENV.match(self.tex, j)
        if m is None:
            self.slip(i, f"\\{name} needs an environment name in braces, e.g. \\{name}{{aligned}}")
            return j
        env = m.group(1)
        if name == "begin":
            self.envs.append((i, env))
        elif not self.envs:
            self.slip(i, f"\\end{{{env}}} with no \\begin{{{env}}} before it")
        elif self.envs[-1][1] != env:
            self.slip(i, f"\\end{{{env}}} closes \\begin{{{self.envs[-1][1]}}}: end that one first")
        else:
            self.envs.pop()
        return m.end()

    def close_brace(self, i: int) -> None:
        if not self.braces:
            self.slip(i, "unbalanced brace: this '}' closes no '{' (write \\} for a brace)")
            return
        if self.lefts and self.lefts[-1][2] == len(self.braces):
            self.left_alone(self.lefts[-1])
            return
        self.braces.pop()

    def unclosed(self) -> None:
        if self.lefts:
            self.left_alone(self.lefts[-1])
        elif self.braces:
            self.slip(self.braces[-1], "unbalanced brace: this '{' is never closed (add '}', or write \\{ "
                                       "for a brace)")
        elif self.envs:
            at, env = self.envs[-1]
            self.slip(at, f"\\begin{{{env}}} is never ended: add \\end{{{env}}}")

    def left_alone(self, left: tuple[int, str, int]) -> None:
        at, delimiter, _ = left
        self.slip(at, f"'\\left{delimiter}' without a matching '\\right': add \\right and its delimiter "
                      "(\\right. for none), or drop \\left")

    def slip(self, i: int, message: str) -> None:
        self.slips.append(Slip(i, message))
