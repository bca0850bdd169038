"""A question's Markdown as the HTML an LMS shows: math as ``\\( … \\)`` and ``\\[ … \\]`` for MathJax.

Moodle's MathJax filter and the QTI players (Canvas, OpenOLAT, ...) typeset
TeX between these delimiters.  The Markdown is rendered by the same function as
derivgen's HTML pages (:func:`derivgen.render.html.markdown_html`: raw HTML in a
statement is shown as text, never run); only the math's wrapping differs.
"""

from __future__ import annotations

import re

from derivgen.render.html import markdown_html

_MATH_SPAN = re.compile(r'<span class="math (inline|display)">([^<]*)</span>')


def lms_html(markdown: str) -> str:
    """HTML (a sequence of block elements) with TeX between ``\\(``/``\\)`` or ``\\[``/``\\]``."""

    def one(m: re.Match[str]) -> str:
        return (r"\(" + m.group(2) + r"\)") if m.group(1) == "inline" else (r"\[" + m.group(2) + r"\]")

    return _MATH_SPAN.sub(one, str(markdown_html(markdown))).strip()


def inline_math(tex: str) -> str:
    """One formula as HTML text (``<``, ``&`` escaped) between ``\\(`` and ``\\)``."""
    return r"\(" + tex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + r"\)"


def option_html(option: object) -> str:
    """A choice as HTML: its LaTeX as math, or plain text for a ``\\text{...}`` label (``Step 3``)."""
    tex = str(getattr(option, "tex", ""))
    if tex.startswith("\\text{") and tex.endswith("}") and "{" not in tex[6:-1]:
        return tex[6:-1].replace("&", "&amp;").replace("<", "&lt;")
    return inline_math(tex)
