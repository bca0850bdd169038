"""Markdown flavours: what differs between the site generators derivgen writes pages for.

Every flavour writes the same page (see :mod:`.markdown`); they differ only in
what each generator's recommended math setup reads and in how it names pages:

==========  ==========================================  ===========  ================  ===========
flavour     for                                         inline math  heading           index
==========  ==========================================  ===========  ================  ===========
standard    MkDocs (arithmatex), Quarto, Jupyter Book   ``$x$``      ``#`` in the page  ``index.md``
myst        Sphinx + myst-parser (``dollarmath``)       ``$x$``      ``#`` in the page  toctrees
hugo        Hugo, Goldmark passthrough                  ``\\(x\\)``  front matter      ``_index.md``
jekyll      Jekyll, kramdown                            ``$$x$$``    front matter      ``index.md``
==========  ==========================================  ===========  ================  ===========

Displayed math is ``$$`` on lines of their own everywhere.  Hugo's passthrough
and kramdown's math hand the TeX over untouched, so it is written as it is;
Hugo and Jekyll themes print the front matter's ``title`` as the page's
heading, so the page has no ``#`` heading of its own there.  Links between
pages point to what each generator serves: ``x.md`` (MkDocs and Sphinx rewrite
them), ``x/`` in lower case (Hugo), ``x.html`` (Jekyll).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derivgen.errors import RenderError
from derivgen.render.mdmath import MATH, code_spans


@dataclass(frozen=True)
class Flavour:
    """What one site generator's Markdown needs."""

    name: str
    """The name ``--flavour`` takes."""
    inline: tuple[str, str]
    """The delimiters of inline math."""
    heading_in_body: bool
    """Whether the page starts with its own ``#`` heading (else the theme shows the front matter title)."""
    links: str
    """How a link names a page: ``md`` (the file), ``hugo`` (``x/``, lower case) or ``html``."""
    index: str
    """The name of the site's home page in the output folder."""
    toctree: bool = False
    """Whether the index lists the pages in MyST ``toctree`` directives (Sphinx)."""
    sections: bool = False
    """Whether each sheet's folder gets an ``_index.md`` with its title (Hugo's sections)."""


FLAVOURS: dict[str, Flavour] = {
    "standard": Flavour("standard", ("$", "$"), True, "md", "index.md"),
    "myst": Flavour("myst", ("$", "$"), True, "md", "index.md", toctree=True),
    "hugo": Flavour("hugo", ("\\(", "\\)"), False, "hugo", "_index.md", sections=True),
    "jekyll": Flavour("jekyll", ("$$", "$$"), False, "html", "index.md"),
}


def flavour(name: str) -> Flavour:
    """The flavour called ``name``; a :class:`RenderError` for an unknown one."""
    if name not in FLAVOURS:
        raise RenderError(f"unknown Markdown flavour {name!r}; choose one of {', '.join(FLAVOURS)}")
    return FLAVOURS[name]


def inline_math(body: str, fl: Flavour) -> str:
    """``body`` (Markdown without front matter) with inline ``$x$`` in the flavour's delimiters.

    Code spans are left alone, and so is displayed math (``$$`` on lines of its own).
    """
    if fl.inline == ("$", "$"):
        return body
    left, right = fl.inline

    def one(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) is not None else f"{left}{m.group(2)}{right}"

    return "".join(piece if kind == "code" else MATH.sub(one, piece) for kind, piece in code_spans(body))


def page_link(path: str, fl: Flavour) -> str:
    """The link from the site's home page to the page written at ``path`` (``3-matrix/md/x.md``)."""
    if fl.links == "hugo":
        return re.sub(r"\.md$", "/", path).lower()
    if fl.links == "html":
        return re.sub(r"\.md$", ".html", path)
    return path


def toctree_entry(path: str) -> str:
    """A page in a MyST toctree: its path without ``.md``."""
    return re.sub(r"\.md$", "", path)


def weight(number: str | None) -> int | None:
    """The place of a problem in its sheet (``3.10`` -> 10), for generators that sort by weight."""
    m = re.search(r"(\d+)\D*$", number or "")
    return int(m.group(1)) if m else None
