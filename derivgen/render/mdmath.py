"""Finding ``$...$`` / ``$$...$$`` math in Markdown text, and escaping it for a parser without math.

No flavour uses the escaping any more (Hugo's passthrough and kramdown's math
hand the TeX over as it is, see :mod:`.flavours`); it is kept for templates
aimed at a CommonMark site that typesets math in the browser.  Such a parser
treats a formula like any other text: ``\\`` followed by ASCII punctuation is a Markdown escape (``\\,``
becomes ``,``, ``\\{`` becomes ``{`` and the TeX line break ``\\\\`` becomes
``\\``), and ``_`` / ``*`` pairs become emphasis.  :func:`escape_math_commonmark`
rewrites a formula so that what reaches KaTeX or MathJax after Markdown is the
original TeX:

- every backslash followed by ASCII punctuation is doubled (``\\,`` -> ``\\\\,``,
  ``\\\\`` -> ``\\\\\\\\``, ``\\{`` -> ``\\\\{``);
- every ``_`` becomes ``\\_`` and every ``*`` becomes ``\\*``.

A backslash before a letter (``\\frac``) is left alone: Markdown keeps it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable

from derivgen.render.escape import code_span_text, markdown_text, math_text, strip_controls
from derivgen.render.texescape import math_unicode_to_tex

PUNCT = frozenset(string.punctuation)

#: What is done to a piece of text (the TeX inside a formula, the text between formulas).
TextFn = Callable[[str], str]

#: ``$$...$$`` (over several lines, never across a blank one, as Markdown parsers read it) or
#: ``$...$`` on one line; ``\$`` is not a delimiter.
MATH = re.compile(r"(?<!\\)\$\$((?:(?!\n[ \t]*\n).)+?)(?<!\\)\$\$"
                  r"|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\$)", re.S)


def escape_math_commonmark(tex: str) -> str:
    """The formula written so that a CommonMark parser hands the original back."""
    out: list[str] = []
    i = 0
    while i < len(tex):
        c = tex[i]
        nxt = tex[i + 1] if i + 1 < len(tex) else ""
        if c == "\\" and nxt in PUNCT:
            out.append("\\\\" + _escape_char(nxt) if nxt != "\\" else "\\\\\\\\")
            i += 2
            continue
        out.append(_escape_char(c))
        i += 1
    return "".join(out)


def _escape_char(c: str) -> str:
    return "\\" + c if c in "_*" else c


def map_math(text: str, fn: TextFn) -> str:
    """``text`` with ``fn`` applied to the inside of every ``$...$`` and ``$$...$$``."""
    return MATH.sub(lambda m: _math(m, fn), text)


def _math(m: re.Match[str], fn: TextFn) -> str:
    """A ``MATH`` match with ``fn`` applied to its inside, delimiters kept."""
    return "$$" + fn(m.group(1)) + "$$" if m.group(1) is not None else "$" + fn(m.group(2)) + "$"


def user_markdown(text: str, fn: TextFn) -> str:
    """A problem file's Markdown for a page: ``fn`` applied to its math, the rest made harmless text.

    Problem files are data, so a ``<script>`` or ``<img onerror=...>`` in a
    title or statement must not reach a course site as HTML.  The text is cut
    the way the site's Markdown parser cuts it: code spans first (a ``$``
    inside one is no math), then math (``$$`` never across a blank line); each
    piece is then escaped by :mod:`.escape` for what it is (text, code, math),
    so a piece derivgen and the site read differently is harmless either way.
    """
    out: list[str] = []
    for kind, piece in code_spans(strip_controls(text)):
        if kind == "code":
            out.append(code_span_text(piece))
        else:
            out.append(_between(MATH, piece, markdown_text,
                                lambda m: _math(m, lambda tex: fn(math_text(math_unicode_to_tex(tex))))))
    return "".join(out)


#: A run of backticks not preceded by a backslash that escapes it.
_TICKS = re.compile(r"(?<!`)(`+)(?!`)")


def code_spans(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``("text", s)`` and ``("code", s)`` pieces as CommonMark cuts code spans.

    A run of n backticks opens a span closed by the next run of exactly n
    (across lines, but not across a blank line); a run with no such partner
    is text.  A backtick escaped by a backslash opens nothing.  A span across a line
    that could start a block (``<script>`` at a line's start is an HTML block that
    interrupts the paragraph) is no span: its text is escaped as text.
    """
    pieces: list[tuple[str, str]] = []
    pos = 0
    search = 0
    while (m := _TICKS.search(text, search)) is not None:
        if _escaped(text, m.start()):
            search = m.start() + 1
            continue
        n = len(m.group(1))
        close = m.end()
        while (c := _TICKS.search(text, close)) is not None and len(c.group(1)) != n:
            close = c.end()
        if c is None or _BLOCK_BREAK.search(text, m.end(), c.start()):
            search = m.end()
            continue
        if m.start() > pos:
            pieces.append(("text", text[pos:m.start()]))
        pieces.append(("code", text[m.start():c.end()]))
        pos = search = c.end()
    if pos < len(text):
        pieces.append(("text", text[pos:]))
    return pieces


#: A line that ends the paragraph (blank) or may start a block inside it (an HTML block, a
#: heading, a fence, a quote, a list item, a rule): a code span never spans it.
_BLOCK_BREAK = re.compile(
    r"\n(?:[ \t]*(?:\n|$)| {0,3}(?:[<#>]|```|~~~|[-*+_=](?:[-*_= \t]*$|\s)|\d+[.)]))", re.M)


def _escaped(text: str, i: int) -> bool:
    """Whether the character at ``i`` follows an odd number of backslashes."""
    j = i
    while j > 0 and text[j - 1] == "\\":
        j -= 1
    return (i - j) % 2 == 1


def _between(pattern: re.Pattern[str], text: str, outside: TextFn,
             inside: Callable[[re.Match[str]], str]) -> str:
    """``text`` with ``outside`` applied between the matches of ``pattern`` and ``inside`` to each match."""
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out += [outside(text[pos:m.start()]), inside(m)]
        pos = m.end()
    out.append(outside(text[pos:]))
    return "".join(out)


def split_math(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``("text", s)``, ``("inline", tex)`` and ``("display", tex)`` pieces."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in MATH.finditer(text):
        if m.start() > pos:
            pieces.append(("text", text[pos:m.start()]))
        if m.group(1) is not None:
            pieces.append(("display", m.group(1).strip()))
        else:
            pieces.append(("inline", m.group(2)))
        pos = m.end()
    if pos < len(text):
        pieces.append(("text", text[pos:]))
    return pieces
