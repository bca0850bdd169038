"""Finding ``$...$`` / ``$$...$$`` math in Markdown text, and escaping it for Hugo and Jekyll.

Hugo (Goldmark) and Jekyll with a CommonMark parser treat a formula like any
other text: ``\\`` followed by ASCII punctuation is a Markdown escape (``\\,``
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

from derivgen.render.texescape import math_unicode_to_tex

PUNCT = frozenset(string.punctuation)

#: What is done to a piece of text (the TeX inside a formula, the text between formulas).
TextFn = Callable[[str], str]

#: ``$$...$$`` (possibly over several lines) or ``$...$`` on one line; ``\$`` is not a delimiter.
MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\$)", re.S)


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


#: Where raw HTML starts in CommonMark: a tag, a closing tag, a comment, a declaration.
HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
#: Inline code spans, whose text Markdown shows literally (so nothing is escaped there).
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
#: Autolinks that stay links; any other ``<scheme:...>`` (``javascript:``) becomes text.
SAFE_AUTOLINK = re.compile(r"<(?:https?|mailto):[^\s<>]*>", re.I)


def user_markdown(text: str, fn: TextFn) -> str:
    """A problem file's Markdown for a page: ``fn`` applied to its math, its raw HTML made text.

    Problem files are data, so a ``<script>`` or ``<img onerror=...>`` in a
    title or statement must not reach a course site as HTML: outside math and
    code spans, every ``<`` that would open raw HTML is written ``&lt;``,
    which every Markdown engine shows as ``<``.  Links ``<https://...>`` stay.
    """
    return _between(MATH, text, _no_html, lambda m: _math(m, lambda tex: fn(math_unicode_to_tex(tex))))


def _no_html(text: str) -> str:
    return _between(CODE_SPAN, text, _no_tags)


def _no_tags(text: str) -> str:
    return _between(SAFE_AUTOLINK, text, lambda t: HTML_START.sub("&lt;", t))


def _whole(m: re.Match[str]) -> str:
    return m.group(0)


def _between(pattern: re.Pattern[str], text: str, outside: TextFn,
             inside: Callable[[re.Match[str]], str] = _whole) -> str:
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
