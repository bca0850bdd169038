"""Character by character: TeX's specials, Unicode symbols and scripts in user text.

Shared by the text escaper (:mod:`derivgen.render.texescape`) and the math
sanitizer (:mod:`derivgen.render.texmath`), which both read user text one
character at a time.
"""

from __future__ import annotations

import re
import unicodedata

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
    "Ω": r"\Omega", "Α": r"\mathrm{A}", "Β": r"\mathrm{B}", "Ε": r"\mathrm{E}", "Ζ": r"\mathrm{Z}",
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
        out.append(escape_char(s[i]))
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


def escape_char(c: str) -> str:
    """One character of plain text as text-mode LaTeX (see the rule above)."""
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
