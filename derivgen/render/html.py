"""HTML pages with KaTeX, working offline: no CDN is ever contacted.

KaTeX is vendored in the package (``derivgen/render/katex``: the script, the CSS
and its woff2 fonts from the npm release named in its README), so HTML needs no
system package; ``DERIVGEN_KATEX_DIR`` may name another KaTeX ``dist`` folder,
which must be at least :data:`MIN_KATEX` (older releases let a formula expand
``\\edef`` macros without bound, CVE-2024-28243).  Formulas are typeset with
``maxExpand`` bounded (:data:`MAX_EXPAND`), so a macro bomb in a statement ends
in KaTeX's red error text instead of a page that hangs.  A page either
carries KaTeX inline (``assets="inline"``: CSS, fonts as data URIs and the
script in the page, so the one file works anywhere) or links to a folder that
:func:`copy_katex_assets` filled (``assets="katex"``, a path relative to the page).

Each formula is an element of class ``math`` (``inline`` or ``display``)
holding its TeX; a short script typesets every one with ``katex.render``.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
from html import unescape
from pathlib import Path
from typing import cast

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from derivgen.derivation import Derivation
from derivgen.errors import RenderError
from derivgen.problem.model import Problem
from derivgen.render.markdown import DEFAULT_LABEL, PartView, ProblemView, problem_view
from derivgen.render.mdmath import split_math
from derivgen.render.templating import make_env

BUNDLED_KATEX = Path(__file__).with_name("katex")
KATEX_FILES = ("katex.min.css", "katex.min.js")
MIN_KATEX = (0, 16, 10)
"""The first KaTeX release with CVE-2024-28243 (unbounded ``\\edef`` expansion) fixed."""
MAX_EXPAND = 1000
"""Macro expansions KaTeX allows per formula (its default, 1000, stated so a page never relies on it)."""
MISSING = ("KaTeX not found: the copy vendored in derivgen/render/katex is missing (reinstall derivgen), "
           "or set DERIVGEN_KATEX_DIR to a KaTeX dist folder")


def katex_assets() -> Path:
    """The folder holding katex.min.css, katex.min.js and fonts/; RenderError with the fix if none.

    ``DERIVGEN_KATEX_DIR`` wins when set, but only with a KaTeX of at least :data:`MIN_KATEX`.
    """
    override = os.environ.get("DERIVGEN_KATEX_DIR", "")
    if override:
        folder = Path(override)
        if _complete(folder):
            version = katex_version(folder)
            if version is None or version < MIN_KATEX:
                shown = ".".join(map(str, version)) if version else "of unknown version"
                raise RenderError(
                    f"DERIVGEN_KATEX_DIR={override}: KaTeX {shown} is older than "
                    f"{'.'.join(map(str, MIN_KATEX))} (CVE-2024-28243: a formula can hang the page); "
                    "unset it to use the KaTeX vendored in derivgen")
            return folder
    if _complete(BUNDLED_KATEX):
        return BUNDLED_KATEX
    raise RenderError(MISSING)


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in KATEX_FILES) and (folder / "fonts").is_dir()


def katex_version(folder: Path) -> tuple[int, ...] | None:
    """The release of the KaTeX in ``folder``, read from its script (``version:"0.16.11"``)."""
    try:
        js = (folder / "katex.min.js").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(r'version:"(\d+)\.(\d+)\.(\d+)"', js)
    return tuple(int(g) for g in m.groups()) if m else None


def copy_katex_assets(dest: Path) -> Path:
    """Copy KaTeX's CSS, script and fonts into ``dest`` (e.g. ``out/html/katex``) for linked pages."""
    src = katex_assets()
    dest.mkdir(parents=True, exist_ok=True)
    for name in KATEX_FILES:
        shutil.copyfile(src / name, dest / name)
    shutil.copytree(src / "fonts", dest / "fonts", dirs_exist_ok=True)
    return dest


def inline_katex() -> dict[str, Markup]:
    """KaTeX's CSS (fonts as woff2 data URIs) and script, to be placed inside the page."""
    src = katex_assets()
    css = (src / "katex.min.css").read_text(encoding="utf-8")
    css = re.sub(r"src:([^;}]*)", lambda m: _font_src(m.group(1), src), css)
    js = (src / "katex.min.js").read_text(encoding="utf-8")
    return {"css": Markup(css), "js": Markup(js.replace("</script", "<\\/script"))}


def _font_src(decl: str, src: Path) -> str:
    m = re.search(r"url\(([^)]*\.woff2)\)", decl)
    if m is None:
        return "src:" + decl
    data = base64.b64encode((src / m.group(1).strip("'\"")).read_bytes()).decode("ascii")
    return f'src:url(data:font/woff2;base64,{data}) format("woff2")'


# --- pages ----------------------------------------------------------------------------------


def render_problem_html(
    problem: Problem,
    derivations: list[Derivation],
    user_templates: Path | None = None,
    number: str | None = None,
    assets: str = "inline",
    label: str = DEFAULT_LABEL,
) -> str:
    """One problem with its worked solution as a page."""
    view = html_view(problem, derivations, solutions=True, number=number, label=label)
    env = make_env("html", user_templates)
    return env.get_template("problem.html.j2").render(
        title=problem.title, problem=view, katex=_katex(assets), level=1)


def render_sheet_html(
    title: str,
    items: list[tuple[Problem, list[Derivation]]],
    solutions: bool = True,
    user_templates: Path | None = None,
    assets: str = "inline",
    numbers: list[str] | None = None,
    label: str = DEFAULT_LABEL,
) -> str:
    """A sheet of problems numbered ``numbers`` (default 1, 2, ...), with or without worked solutions."""
    if numbers is None or len(numbers) != len(items):
        numbers = [str(i) for i in range(1, len(items) + 1)]
    views = [html_view(p, ds, solutions, n, label) for (p, ds), n in zip(items, numbers, strict=True)]
    env = make_env("html", user_templates)
    return env.get_template("sheet.html.j2").render(
        title=title, problems=views, katex=_katex(assets), solutions=solutions, level=2)


def _katex(assets: str) -> dict[str, object]:
    options = Markup(f"maxExpand: {MAX_EXPAND}, throwOnError: false")
    if assets == "inline":
        return {"inline": True, "options": options, **inline_katex()}
    katex_assets()  # fail early, with the fix, when KaTeX is missing
    return {"inline": False, "options": options, "href": assets.rstrip("/")}


def html_view(problem: Problem, derivations: list[Derivation], solutions: bool, number: str | None,
              label: str = DEFAULT_LABEL) -> ProblemView:
    """The Markdown view with its text turned into HTML; TeX stays TeX (escaped by the template)."""
    view = problem_view(problem, derivations, lambda tex: tex, solutions, number, label)
    # The heading is Markdown-safe text (a user's "<" written &lt;): as plain text again, so the
    # template escapes it once for HTML, not twice.
    view["heading"] = html.unescape(view["heading"])
    view["title_para"] = text_html(view["title_para"]) if view["title_para"] else None
    view["statement"] = markdown_html(view["statement"]) if view["statement"] else None
    for part in view["parts"]:
        part["ask"] = text_html(part["ask"])
        for step in part["steps"]:
            step["text"] = text_html(step["text"])
    if solutions:
        for part, d in zip(view["parts"], derivations, strict=False):
            _draw_graph(part, d)
    return view


def _draw_graph(part: PartView, derivation: Derivation) -> None:
    """The computation graph of ``method: backprop`` as inline SVG under its step (see :mod:`.graph`)."""
    from derivgen.render.graph import graph_of, svg

    graph = next((s for s in derivation.steps if s.kind == "graph"), None)
    step = next((s for s in part["steps"] if s["kind"] == "graph" and not s["depth"]), None)
    if graph is not None and step is not None:
        cast(dict[str, object], step)["svg"] = svg(*graph_of(graph.facts))  # the HTML template's only


def math_html(kind: str, tex: str) -> str:
    tag = "div" if kind == "display" else "span"
    return f'<{tag} class="math {kind}">{escape(tex)}</{tag}>'


def text_html(text: str) -> Markup:
    """derivgen's own sentences (plain words and ``$...$``) as HTML."""
    return Markup("".join(str(escape(s)) if k == "text" else math_html(k, s) for k, s in split_math(text)))


def markdown_html(text: str) -> Markup:
    """A user's Markdown statement as HTML, its math kept away from the Markdown parser."""
    pieces = split_math(text)
    formulas = [math_html(kind, piece).replace("<div", "<span").replace("</div>", "</span>")
                for kind, piece in pieces if kind != "text"]
    marker = "DGMATH"
    while marker in unescape(text):  # the user's text, entities decoded (&#68;GMATH0X), never spells it
        marker += "Q"
    while True:  # and, should Markdown still make one up, a longer marker
        source, n = [], 0
        for kind, piece in pieces:
            source.append(piece if kind == "text" else f"{marker}{n}X")
            n += kind != "text"
        html = MarkdownIt("commonmark", {"html": False}).render("".join(source))
        found = [int(m) for m in re.findall(rf"{marker}(\d+)X", html)]
        if len(set(found)) == len(found) and all(i < len(formulas) for i in found):
            return Markup(re.sub(rf"{marker}(\d+)X", lambda m: formulas[int(m.group(1))], html))
        marker += "Q"  # longer than any text it could collide with, in the end
