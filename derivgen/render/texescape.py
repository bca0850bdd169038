"""User text to safe LaTeX: titles, statements and sources from problem files.

A problem file is data, so nothing a user writes may run a TeX command.  Text
outside math is escaped character by character (every TeX special becomes a
visible glyph).  Math in ``$...$`` and ``$$...$$`` is kept, but only control
sequences from a whitelist (:data:`MATH_COMMANDS`) pass through; any other one,
with the brace groups right after it, is shown as text (``\\input{x}`` prints
as itself).  Braces and environments are balanced, ``^^`` (TeX's character
code trick) never reaches TeX, and ``\\text{...}`` has its argument escaped as
plain text.  Basic Markdown (paragraphs, ``- `` lists, ``**bold**``,
``*italic*``, ```code```) becomes its LaTeX equivalent.
"""

from __future__ import annotations

import re
import unicodedata

from derivgen.render.texchars import escape_char, escape_plain, script_run, unicode_math
from derivgen.render.texmath import sanitize_math


def math_unicode_to_tex(body: str) -> str:
    """Math written with Unicode symbols (``Wᵀ = W − A⁻¹``) as TeX (``W^{\\top} = W - A^{-1}``),
    for KaTeX and MathJax as for TeX; ASCII is left as it is."""
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c < "\x80":
            out.append(c)
            i += 1
            continue
        script = script_run(body, i)
        if script is not None:
            out.append(script[0])
            i = script[1]
            continue
        command = unicode_math(c)
        out.append(command + (" " if command[-1:].isalpha() else "") if command else c)
        i += 1
    return "".join(out)


_LIST_ITEM = re.compile(r"^\s{0,3}(?:([-*+])|(\d+)[.)])\s+")


# --- Markdown blocks ---------------------------------------------------------


def escape_text(s: str) -> str:
    """User Markdown with ``$...$`` math to safe LaTeX (see the module doc)."""
    blocks = _blocks(unicodedata.normalize("NFC", s).replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(_render_block(b) for b in blocks)


def _blocks(s: str) -> list[list[str]]:
    """Lines grouped into paragraphs at blank lines (not inside ``$$...$$``)."""
    blocks: list[list[str]] = [[]]
    in_display = False
    for line in s.split("\n"):
        if not line.strip() and not in_display:
            blocks.append([])
            continue
        blocks[-1].append(line)
        if line.count("$$") % 2:
            in_display = not in_display
    return [b for b in blocks if b]


def _render_block(lines: list[str]) -> str:
    if _LIST_ITEM.match(lines[0]):
        return _render_list(lines)
    return escape_inline("\n".join(lines))


def _render_list(lines: list[str]) -> str:
    items: list[list[str]] = []
    first = _LIST_ITEM.match(lines[0])
    ordered = bool(first and first.group(2))
    for line in lines:
        m = _LIST_ITEM.match(line)
        if m:
            items.append([line[m.end():]])
        else:
            items[-1].append(line.strip())
    env = "enumerate" if ordered else "itemize"
    body = "\n".join(r"  \item " + escape_inline("\n".join(i)) for i in items)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def escape_line(s: str) -> str:
    """A one-line field (title, source, course): whitespace collapsed, then :func:`escape_inline`."""
    return escape_inline(" ".join(s.split()))


# --- inline Markdown ---------------------------------------------------------

_MD_ESCAPABLE = set("\\`*_{}[]()#+-.!$")


def escape_inline(s: str) -> str:
    """One paragraph: math kept (sanitized), emphasis and code, the rest escaped."""
    s = unicodedata.normalize("NFC", s)
    out: list[str] = []
    open_marks: dict[str, int] = {}
    i = 0
    while i < len(s):
        i = _inline_token(s, i, out, open_marks)
    for mark, at in open_marks.items():  # an unclosed marker was just a character
        out[at] = escape_plain(mark)
    return "".join(out)


def _inline_token(s: str, i: int, out: list[str], marks: dict[str, int]) -> int:
    c = s[i]
    if c == "\\" and i + 1 < len(s) and s[i + 1] in _MD_ESCAPABLE:
        out.append(escape_plain(s[i + 1]))
        return i + 2
    if c == "$":
        return _math_span(s, i, out)
    if c == "`":
        end = s.find("`", i + 1)
        if end > i:
            out.append(r"\texttt{" + escape_plain(s[i + 1:end]) + "}")
            return end + 1
    if c == "*":
        mark = "**" if s.startswith("**", i) else "*"
        if _toggle(s, i, mark, out, marks):
            return i + len(mark)
    script = script_run(s, i)
    if script is not None:
        out.append(r"\ensuremath{" + script[0] + "}")
        return script[1]
    out.append(escape_char(c))
    return i + 1


def _math_span(s: str, i: int, out: list[str]) -> int:
    display = s.startswith("$$", i)
    delim = "$$" if display else "$"
    end = _closing_dollar(s, i + len(delim), delim)
    if end < 0:
        out.append(escape_plain(delim))
        return i + len(delim)
    body = sanitize_math(s[i + len(delim):end])
    out.append(f"\n\\[ {body} \\]\n" if display else f"${body}$")
    return end + len(delim)


def _closing_dollar(s: str, start: int, delim: str) -> int:
    """Where the math span closes; as in Pandoc, ``$`` math hugs its delimiters."""
    if delim == "$" and not s[start:start + 1].strip():
        return -1
    j = start
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s.startswith(delim, j) and (delim == "$$" or _closes_inline(s, j, start)):
            return j
        j += 1
    return -1


def _closes_inline(s: str, j: int, start: int) -> bool:
    return j > start and bool(s[j - 1].strip()) and not s[j + 1:j + 2].isdigit()


_EMPHASIS = {"**": (r"{\bfseries ", "}"), "*": (r"{\itshape ", r"\/}")}


def _toggle(s: str, i: int, mark: str, out: list[str], marks: dict[str, int]) -> bool:
    after = s[i + len(mark): i + len(mark) + 1]
    before = s[i - 1: i] if i else ""
    if mark in marks and before.strip():
        del marks[mark]
        out.append(_EMPHASIS[mark][1])
        return True
    if mark not in marks and after.strip():
        marks[mark] = len(out)
        out.append(_EMPHASIS[mark][0])
        return True
    return False


def escape_with_math(s: str) -> str:
    """derivgen's own sentences: ``$...$`` pieces sanitized as math, the rest escaped as text.

    Unlike :func:`escape_text` there is no Markdown and every ``$`` delimits
    math (as :mod:`derivgen.render.narrate` writes it); an unpaired ``$`` is shown.
    """
    pieces = re.split(r"(?<!\\)\$", s)
    if len(pieces) % 2 == 0:  # unpaired: the last dollar is text
        pieces[-2:] = [pieces[-2] + "$" + pieces[-1]]
    return "".join(
        escape_plain(p) if i % 2 == 0 else "$" + sanitize_math(p) + "$"
        for i, p in enumerate(pieces)
    )
