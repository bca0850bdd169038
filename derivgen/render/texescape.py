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

from derivgen.render import texmath as _tm

#: Characters that TeX treats specially in text, with their visible forms.
_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%",
    "#": r"\#", "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", "\u00a0": "~", "\t": " ",
}

# --- Unicode ------------------------------------------------------------------
#
# The rule, for every character of user text that is not ASCII:
#
# 1. a character with a math meaning (−, ∘, ×, ≤, ∈, ∂, Greek letters, ℝ ...) is
#    typeset as its math command (:data:`_UNICODE_MATH`), wrapped in
#    ``\ensuremath`` outside math;
# 2. superscript and subscript characters (ᵀ, ⁻¹, ², ₁, ᵢ ...) are typeset as a
#    script, a run of them as one (``Xᵀ`` -> ``X^{\top}``, ``X⁻¹`` -> ``X^{-1}``,
#    ``X⁻ᵀ`` -> ``X^{-\top}``);
# 3. typographic characters (dashes, quotes, §, •, spaces) become their text
#    commands (:data:`_UNICODE_TEXT`);
# 4. a character LaTeX's ``utf8`` input encoding typesets by itself with the
#    fonts derivgen loads (T1, TS1, OT1, OMS: accented Latin letters, ß, ¿, ‰,
#    ...) is kept as it is (:data:`_INPUTENC_KNOWN`);
# 5. any other character is shown as its code point, ``[U+2603]`` in bold
#    (:func:`unknown_char`), so the reader sees that something is there and
#    which character it is; it is never replaced by a look-alike, by ``?``, or
#    dropped.
#
# Control characters (other than newline and tab) carry nothing visible and
# are dropped.  Text is put in Unicode normal form C first, so a letter
# written with a combining accent becomes the precomposed letter.

#: Unicode symbols typeset as math: a math-mode TeX command for each.
_UNICODE_MATH = {
    # operators and relations
    "−": "-", "∓": r"\mp", "±": r"\pm", "×": r"\times", "÷": r"\div", "·": r"\cdot", "⋅": r"\cdot",
    "∗": "*", "∘": r"\circ", "⊙": r"\odot", "⊗": r"\otimes", "⊕": r"\oplus", "∙": r"\bullet",
    "≠": r"\neq", "≤": r"\leq", "≥": r"\geq", "⩽": r"\leqslant", "⩾": r"\geqslant", "≪": r"\ll",
    "≫": r"\gg", "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim", "≃": r"\simeq", "≅": r"\cong",
    "∝": r"\propto", "≔": r"\mathrel{:=}", "≜": r"\triangleq", "≐": r"\doteq",
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊆": r"\subseteq", "⊃": r"\supset",
    "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∖": r"\setminus", "∅": r"\emptyset",
    "∀": r"\forall", "∃": r"\exists", "∄": r"\nexists", "¬": r"\neg", "∧": r"\wedge", "∨": r"\vee",
    "⊥": r"\perp", "⊤": r"\top", "∥": r"\parallel", "∣": r"\mid", "†": r"\dagger", "⋆": r"\star",
    # arrows
    "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow", "↦": r"\mapsto", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "⟶": r"\longrightarrow", "⟹": r"\Longrightarrow",
    "↑": r"\uparrow", "↓": r"\downarrow",
    # big operators, calculus, sets of numbers
    "∂": r"\partial", "∇": r"\nabla", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint",
    "√": r"\surd", "∞": r"\infty", "ℓ": r"\ell", "ℏ": r"\hbar", "℘": r"\wp", "ℜ": r"\Re",
    "ℑ": r"\Im", "ℵ": r"\aleph",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "𝔼": r"\mathbb{E}", "ℙ": r"\mathbb{P}",
    # dots, delimiters, primes
    "…": r"\ldots", "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots",
    "⟨": r"\langle", "⟩": r"\rangle", "‖": r"\Vert", "⌊": r"\lfloor", "⌋": r"\rfloor",
    "⌈": r"\lceil", "⌉": r"\rceil", "′": "'", "″": "''", "‴": "'''", "°": r"^{\circ}",
    "∎": r"\blacksquare", "□": r"\square", "■": r"\blacksquare", "✓": r"\checkmark",
    # Greek
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota",
    "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "µ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "ο": "o",
    "π": r"\pi", "ϖ": r"\varpi", "ρ": r"\rho", "ϱ": r"\varrho", "σ": r"\sigma", "ς": r"\varsigma",
    "τ": r"\tau", "υ": r"\upsilon", "φ": r"\phi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi",
    "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi",
    "Π": r"\Pi", "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "Ω": r"\Omega", "Α": r"\mathrm{A}", "Β": r"\mathrm{B}", "Ε": r"\mathrm{E}", "Ζ": r"\mathrm{Z}",
    "Η": r"\mathrm{H}", "Ι": r"\mathrm{I}", "Κ": r"\mathrm{K}", "Μ": r"\mathrm{M}", "Ν": r"\mathrm{N}",
    "Ο": r"\mathrm{O}", "Ρ": r"\mathrm{P}", "Τ": r"\mathrm{T}", "Χ": r"\mathrm{X}",
}

#: Superscript characters and what each stands for inside ``^{...}``.
_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
    "⁹": "9", "⁺": "+", "⁻": "-", "⁼": "=", "⁽": "(", "⁾": ")", "ᵀ": r"\top", "ⁱ": "i", "ʲ": "j",
    "ᵏ": "k", "ⁿ": "n", "ᵐ": "m", "ᵃ": "a", "ᵇ": "b", "ᶜ": "c", "ᵈ": "d", "ᵉ": "e", "ᶠ": "f",
    "ᵍ": "g", "ʰ": "h", "ˡ": "l", "ᵒ": "o", "ᵖ": "p", "ʳ": "r", "ˢ": "s", "ᵗ": "t", "ᵘ": "u",
    "ᵛ": "v", "ʷ": "w", "ˣ": "x", "ʸ": "y", "ᶻ": "z", "ᴬ": "A", "ᴮ": "B", "ᴰ": "D", "ᴱ": "E",
    "ᴳ": "G", "ᴴ": "H", "ᴵ": "I", "ᴶ": "J", "ᴷ": "K", "ᴸ": "L", "ᴹ": "M", "ᴺ": "N", "ᴼ": "O",
    "ᴾ": "P", "ᴿ": "R", "ᵁ": "U", "ⱽ": "V", "ᵂ": "W", "ᵅ": r"\alpha", "ᵝ": r"\beta",
    "ᵞ": r"\gamma", "ᵟ": r"\delta", "ᶿ": r"\theta", "ᵠ": r"\phi", "ᵡ": r"\chi",
}

#: Subscript characters and what each stands for inside ``_{...}``.
_SUBSCRIPTS = {
    "₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8",
    "₉": "9", "₊": "+", "₋": "-", "₌": "=", "₍": "(", "₎": ")", "ₐ": "a", "ₑ": "e", "ₕ": "h",
    "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n", "ₒ": "o", "ₚ": "p", "ᵣ": "r",
    "ₛ": "s", "ₜ": "t", "ᵤ": "u", "ᵥ": "v", "ₓ": "x", "ᵦ": r"\beta", "ᵧ": r"\gamma",
    "ᵨ": r"\rho", "ᵩ": r"\phi", "ᵪ": r"\chi",
}

#: Typographic characters with a text-mode form (T1/TS1 fonts, LaTeX's kernel).
_UNICODE_TEXT = {
    "–": "--", "—": "---", "―": "---", "‒": "--", "‐": "-", "‑": "-", "‘": "`", "’": "'", "‚": ",",
    "“": "``", "”": "''", "„": ",,", "«": r"\guillemotleft{}", "»": r"\guillemotright{}",
    "‹": r"\guilsinglleft{}", "›": r"\guilsinglright{}", "…": r"\ldots{}", "•": r"\textbullet{}",
    "‡": r"\ddag{}", "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}", "®": r"\textregistered{}",
    "™": r"\texttrademark{}", "€": r"\texteuro{}", "£": r"\pounds{}",
    "\u00a0": "~", "\u202f": r"\,", "\u2009": r"\,", "\u200a": r"\,", "\u2002": r"\enspace{}",
    "\u2003": r"\quad{}", "\u2007": r"\enspace{}", "\u2008": r"\,", "\u2004": r"\;", "\u2005": r"\:",
    "\u2006": r"\,", "\u3000": r"\quad{}", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "",
    "\ufeff": "", "\u00ad": r"\-",
}

#: Characters LaTeX's utf8 input encoding typesets with derivgen's fonts (the T1, TS1, OT1 and
#: OMS encodings, from TeX Live's ``*enc.dfu`` files): kept as they are.
_INPUTENC_KNOWN = frozenset(
    "¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùú"
    "ûüýþÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİıĲĳĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŊŋŌōŎŏŐőŒœŔŕŖŗŘř"
    "ŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƒǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǢǣǦǧǨǩǪǫǰǴǵȘșȚțȲȳȷˆˇ˘˙˛˜˝฿ḂḃḍḞḟḠḡḥ"
    "ḰḱḷṃṅṇṛṣṭẎẏẐẑẞỲỳ‰‱※‽⁄⁎⁒₡₤₦₩₫₱℃№℗℞℠℧℮␢␣◦◯♪ﬀﬁﬂﬃﬄﬅﬆ"
)


def unknown_char(c: str) -> str:
    """Text-mode LaTeX for a character with no mapping: its code point, visibly, ``[U+2603]``."""
    return r"\textbf{[U+" + f"{ord(c):04X}" + "]}"


def escape_plain(s: str) -> str:
    """Escape text with no markup at all: every character shows as itself."""
    s = unicodedata.normalize("NFC", s)
    out: list[str] = []
    i = 0
    while i < len(s):
        script = script_run(s, i)
        if script is not None:
            tex, i = script
            out.append(r"\ensuremath{" + tex + "}")
            continue
        out.append(_escape_char(s[i]))
        i += 1
    return "".join(out)


def script_run(s: str, i: int) -> tuple[str, int] | None:
    """A run of superscript (subscript) characters at ``s[i]`` as one ``^{...}`` (``_{...}``), and its end."""
    for table, mark in ((_SUPERSCRIPTS, "^"), (_SUBSCRIPTS, "_")):
        j, body = i, ""
        while j < len(s) and s[j] in table:
            part = table[s[j]]
            if body[-1:].isalpha() and part[:1].isalpha() and re.search(r"\\[A-Za-z]+$", body):
                body += " "  # \top i, not \topi
            body += part
            j += 1
        if body:
            return mark + "{" + body + "}", j
    return None


def _escape_char(c: str) -> str:
    if c in _TEXT_SPECIALS:
        return _TEXT_SPECIALS[c]
    if c in _UNICODE_TEXT:
        return _UNICODE_TEXT[c]
    if c in _UNICODE_MATH:
        return r"\ensuremath{" + _UNICODE_MATH[c] + "}"
    script = script_run(c, 0)
    if script is not None:
        return r"\ensuremath{" + script[0] + "}"
    if c == "\n" or " " <= c <= "~" or c in _INPUTENC_KNOWN:
        return c
    if c < " " or "\x7f" <= c <= "\x9f":
        return ""
    return unknown_char(c)


def unicode_math(c: str) -> str | None:
    """The math command for a Unicode symbol, or None."""
    return _UNICODE_MATH.get(c)


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
        command = _UNICODE_MATH.get(c)
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
    ordered = bool(_LIST_ITEM.match(lines[0]).group(2))  # type: ignore[union-attr]
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
    out.append(_escape_char(c))
    return i + 1


def _math_span(s: str, i: int, out: list[str]) -> int:
    display = s.startswith("$$", i)
    delim = "$$" if display else "$"
    end = _closing_dollar(s, i + len(delim), delim)
    if end < 0:
        out.append(escape_plain(delim))
        return i + len(delim)
    body = _tm.sanitize_math(s[i + len(delim):end])
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
        escape_plain(p) if i % 2 == 0 else "$" + _tm.sanitize_math(p) + "$"
        for i, p in enumerate(pieces)
    )
