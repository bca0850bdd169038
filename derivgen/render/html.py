"""HTML pages with KaTeX, working offline: no CDN is ever contacted.

KaTeX comes from Debian's ``libjs-katex`` package (``apt-get install -y
libjs-katex``: files under ``/usr/share/javascript/katex``), or from any KaTeX
``dist`` folder named by ``DERIVGEN_KATEX_DIR`` (for example
``node_modules/katex/dist`` after ``npm install katex``).  A page either
carries KaTeX inline (``assets="inline"``: CSS, fonts as data URIs and the
script in the page, so the one file works anywhere) or links to a folder that
:func:`copy_katex_assets` filled (``assets="katex"``, a path relative to the page).

Each formula is an element of class ``math`` (``inline`` or ``display``)
holding its TeX; a short script typesets every one with ``katex.render``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from html import unescape
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from derivgen.derivation import Derivation
from derivgen.errors import RenderError
from derivgen.problem.model import Problem
from derivgen.render.markdown import DEFAULT_LABEL, ProblemView, problem_view
from derivgen.render.mdmath import split_math
from derivgen.render.templating import make_env

DEBIAN_KATEX = Path("/usr/share/javascript/katex")
KATEX_FILES = ("katex.min.css", "katex.min.js")
MISSING = ("KaTeX not found: install it with `apt-get install -y libjs-katex`, "
           "or set DERIVGEN_KATEX_DIR to a KaTeX dist folder")


def katex_assets() -> Path:
    """The folder holding katex.min.css, katex.min.js and fonts/; RenderError with the fix if none."""
    candidates = [Path(p) for p in [os.environ.get("DERIVGEN_KATEX_DIR", "")] if p] + [DEBIAN_KATEX]
    for folder in candidates:
        if all((folder / f).is_file() for f in KATEX_FILES) and (folder / "fonts").is_dir():
            return folder
    raise RenderError(MISSING)


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
    if assets == "inline":
        return {"inline": True, **inline_katex()}
    katex_assets()  # fail early, with the install hint, when KaTeX is missing
    return {"inline": False, "href": assets.rstrip("/")}


def html_view(problem: Problem, derivations: list[Derivation], solutions: bool, number: str | None,
              label: str = DEFAULT_LABEL) -> ProblemView:
    """The Markdown view with its text turned into HTML; TeX stays TeX (escaped by the template)."""
    view = problem_view(problem, derivations, lambda tex: tex, solutions, number, label)
    view["title_para"] = text_html(view["title_para"]) if view["title_para"] else None
    view["statement"] = markdown_html(view["statement"]) if view["statement"] else None
    for part in view["parts"]:
        part["ask"] = text_html(part["ask"])
        for step in part["steps"]:
            step["text"] = text_html(step["text"])
    return view


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
