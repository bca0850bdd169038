"""The escaping policy for text a problem file's author wrote, per output context, in one place.

Problem files (title, source, statement, tags, find, ids and file names) are
written by course staff and treated as untrusted: whatever they hold must
reach a course site as text, never as HTML, script, a link that runs code,
or a template tag of the site generator.  Each context a user string can
reach has one function here:

==========================  ================================================================
context                     function and what it does
==========================  ================================================================
every context               :func:`strip_controls`: ANSI escape sequences and control
                            characters (all but tab and newline) removed
terminal (stderr)           :func:`terminal`: control characters, ANSI sequences, newlines
                            and bidi overrides shown escaped (``\\x1b``, ``\\n``, ``\\u202e``)
YAML front matter           :func:`front_matter`: one line, HTML tags stripped, single-quoted
Markdown text               :func:`markdown_text`: ``<`` that opens raw HTML -> ``&lt;``,
                            ``{`` -> ``&#123;`` (Liquid ``{{ {%``, Hugo ``{{< {{%``,
                            attribute lists ``{: }``, MyST roles), links checked
Markdown code span          :func:`code_span_text`: Liquid/Hugo openers broken by U+200B;
                            :func:`code_span` makes a span no backtick run can close
Markdown math               :func:`math_text`: ``<x`` -> ``< x``, ``](`` -> ``] (``,
                            ``{{``/``{%`` -> ``{ {``/``{ %``, ``$`` -> ``\\$`` (all the same TeX)
link targets                :func:`safe_link`: http, https, mailto and relative only
link destinations we write  :func:`link_target`: percent-encoded
==========================  ================================================================

Markdown is split the way the site's parser splits it (:mod:`.mdmath`): code
spans first, then math (``$$`` never across a blank line), and each piece is
escaped for what it is, so a piece derivgen takes for math and the site for
text (or the other way round) is harmless either way.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

# --- control characters -------------------------------------------------------------------

#: ANSI escape sequences: CSI (``ESC [ ... final``), OSC (``ESC ] ... BEL/ST``), and two-byte ones.
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)"
                  r"|\x9b[0-?]*[ -/]*[@-~]?")
#: C0 controls but tab and newline, DEL, C1 controls, bidi embeddings and overrides.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: What a terminal must not be handed raw: controls (newline and tab included) and bidi overrides.
TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without ANSI escape sequences and control characters (tab and newline are kept)."""
    return CONTROL.sub("", ANSI.sub("", text))


def terminal(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to print: every control character shown escaped (``\\x1b``, ``\\r``, ``\\n``).

    A message quoting a problem file then cannot move the cursor, colour the
    terminal, erase a line or print a fake line of its own.
    """
    def shown(m: re.Match[str]) -> str:
        c = m.group(0)
        if c == "\t" or (keep_newlines and c == "\n"):
            return c
        named = {"\n": "\\n", "\r": "\\r"}.get(c)
        return named or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
    return TERMINAL_UNSAFE.sub(shown, text)


def one_line(text: str) -> str:
    """Controls removed and every run of whitespace (newlines too) one space."""
    return re.sub(r"\s+", " ", strip_controls(str(text))).strip()


# --- HTML ------------------------------------------------------------------------------------

#: Where raw HTML starts in CommonMark: a tag, a closing tag, a comment, a declaration.
HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
#: A tag (or comment) to strip from front matter, unclosed ones to the end.
HTML_TAG = re.compile(r"<[A-Za-z/!?][^>]*(?:>|$)")


def strip_html(text: str) -> str:
    """``text`` without HTML tags and comments (entities decoded first, so encoded tags go too)."""
    previous = None
    while previous != text:
        previous, text = text, HTML_TAG.sub("", html.unescape(text))
    return text


# --- YAML front matter ---------------------------------------------------------------------


def front_matter(text: str) -> str:
    """A YAML single-quoted scalar, one line, without HTML or control characters.

    Site generators put front matter (``title``) into ``<title>`` and the
    navigation, and MkDocs does so without escaping: only text goes there
    (and no ``{{``/``{%``, in case a theme hands the title to Liquid again).
    """
    plain = TEMPLATE_OPEN.sub("{ ", one_line(strip_html(one_line(text))))
    return "'" + plain.replace("'", "''") + "'"


# --- links ------------------------------------------------------------------------------------

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: A URL scheme as a browser reads it (after entities, escapes and ignored characters are gone).
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def safe_link(target: str) -> bool:
    """Whether a link destination is http(s), mailto or relative, however it is spelled.

    Entities (``&#106;``) and Markdown backslash escapes are decoded, and the
    whitespace and control characters a browser ignores inside a scheme are
    dropped, before the scheme is read.
    """
    plain = html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", target))
    plain = html.unescape(plain)  # &amp;#106; once more: a second decoding happens on some sites
    plain = re.sub(r"[\x00-\x20\x7f-\x9f]", "", plain).lstrip("<")
    m = _SCHEME.match(plain)
    if m is None:
        return True  # no scheme: relative
    return m.group(1).lower() in SAFE_SCHEMES


def link_target(path: str) -> str:
    """A relative link destination that derivgen writes, percent-encoded for any Markdown."""
    return quote(path, safe="/._-~")


#: ``](`` of an inline link or image, or ``]:`` of a reference definition, and what follows.
_LINK_OPEN = re.compile(r"\](\(|:)[ \t]*\n?[ \t]*")


def _destination(text: str, start: int) -> str:
    """The link destination starting at ``start`` (``<...>`` or up to whitespace or unbalanced ``)``)."""
    if text.startswith("<", start):
        end = text.find(">", start)
        return text[start + 1:end if end >= 0 else len(text)]
    depth = 0
    i = start
    while i < len(text) and not text[i].isspace():
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return text[start:i]


def neutralise_links(text: str, broken: str) -> str:
    """Every ``](target`` / ``]: target`` whose target is not :func:`safe_link`: ``]`` + broken + ``(``."""
    out: list[str] = []
    pos = 0
    for m in _LINK_OPEN.finditer(text):
        if safe_link(_destination(text, m.end())):
            continue
        out += [text[pos:m.start()], "]", broken, m.group(1)]
        pos = m.start() + 2
    out.append(text[pos:])
    return "".join(out)


# --- Markdown -----------------------------------------------------------------------------

#: Autolinks that stay links; any other ``<scheme:...>`` (``javascript:``) becomes text.
SAFE_AUTOLINK = re.compile(r"<(?:https?|mailto):[^\s<>]*>", re.I)


def markdown_text(text: str) -> str:
    """Text of a Markdown page (outside code spans and math), shown as written and nothing else.

    ``<`` that would open raw HTML is ``&lt;`` (``<https://...>`` autolinks
    stay); ``{`` is ``&#123;``, so no Liquid tag (Jekyll), shortcode (Hugo),
    attribute list (Python-Markdown, kramdown) or MyST role starts in it; a
    link to anything but http(s), mailto or a relative address is no link.
    """
    pieces: list[str] = []
    pos = 0
    for m in SAFE_AUTOLINK.finditer(text):
        pieces += [_plain(text[pos:m.start()]), m.group(0)]
        pos = m.end()
    pieces.append(_plain(text[pos:]))
    return neutralise_links("".join(pieces), "\\")


def _plain(text: str) -> str:
    return HTML_START.sub("&lt;", text).replace("{", "&#123;")


#: Liquid and Hugo openers: ``{{`` (with ``{{<`` and ``{{%``) and ``{%``.
TEMPLATE_OPEN = re.compile(r"\{(?=[{%])")


def code_span_text(text: str) -> str:
    """The inside of a code span: shown literally by Markdown, but Liquid and Hugo read it first.

    A zero-width space between ``{`` and ``{``/``%`` stops them (the span still shows ``{{``).
    """
    return TEMPLATE_OPEN.sub("{\u200b", text)


def code_span(text: str) -> str:
    """``text`` as one inline code span that no backtick in it can close, on one line."""
    text = code_span_text(one_line(text))
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def math_text(tex: str) -> str:
    """TeX inside ``$...$``/``$$...$$`` that means the same and is harmless as Markdown text.

    A site without math support (or one that ends the math elsewhere) reads
    the formula as text: ``<x`` is written ``< x``, ``](`` ``] (``, ``{{``
    and ``{%`` ``{ {`` and ``{ %``, and a lone ``$`` ``\\$``; TeX reads them
    all the same.
    """
    tex = HTML_START.sub("< ", tex)
    tex = re.sub(r"\](?=[(:])", "] ", tex)
    tex = TEMPLATE_OPEN.sub("{ ", tex)
    return re.sub(r"(?<!\\)((?:\\\\)*)\$", r"\1\\$", tex)
