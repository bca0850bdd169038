"""The build's table of contents: ``out/index.json`` for programs, ``out/index.md`` for people.

Both list every sheet with its problems and their output files, then the
failures.  They describe the build (its sheets, outputs and report) rather
than any one problem, so they are made here and not in :mod:`derivgen.render`.

The Markdown index is the course site's home page, written for the flavour
(:mod:`derivgen.render.flavours`): links to what the generator serves, a
``toctree`` per sheet for Sphinx, ``_index.md`` files with the sheets' titles
for Hugo, front matter for Hugo and Jekyll.
"""

from __future__ import annotations

import json

from derivgen.build.config import Config
from derivgen.build.gather import Sheet
from derivgen.build.report import BuildReport
from derivgen.build.write import outputs_of
from derivgen.render.escape import code_span, front_matter, link_target, one_line
from derivgen.render.flavours import Flavour, flavour, inline_math, page_link, toctree_entry
from derivgen.render.mdmath import user_markdown


def index_files(sheets: list[Sheet], report: BuildReport, config: Config,
                flavour_name: str = "standard") -> dict[str, bytes]:
    """``index.json`` and the Markdown index (``index.md``, or Hugo's ``_index.md`` files) by name."""
    fl = flavour(flavour_name)
    files = {"index.json": index_json(sheets, report), fl.index: index_md(sheets, report, config, fl)}
    if fl.sections:
        for n, s in enumerate(sheets, start=1):
            files[f"{s.name}/_index.md"] = _front(s.title, n)  # the theme lists the section's pages
    return {name: text.encode("utf-8") for name, text in files.items()}


def index_json(sheets: list[Sheet], report: BuildReport) -> str:
    """``out/index.json``: sheets with their problems and files, and the failures."""
    data = {
        "sheets": [{
            "name": s.name, "title": s.title,
            "problems": [{"id": i.problem.id, "title": i.problem.title, "number": i.number,
                          "file": i.display, "outputs": outputs_of(i)}
                         for i in s.good if i.problem is not None],
        } for s in sheets],
        "failures": [{"file": f.file, "id": f.id, "errors": f.errors} for f in report.failures],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _md_text(text: str) -> str:
    """A user string on one line of Markdown (a heading, a link's text): see :mod:`derivgen.render.escape`."""
    return user_markdown(one_line(text), lambda tex: tex)


def index_md(sheets: list[Sheet], report: BuildReport, config: Config,
             fl: Flavour | None = None) -> str:
    """``out/index.md``: the same, for people: the home page of a course site."""
    fl = fl or flavour("standard")
    title = config.title or "Problems"
    lines = [f"# {_md_text(title)}", ""] if fl.heading_in_body else [_front(title, None)]
    for s in sheets:
        # a toctree shows the sheet's title as its caption, in the page and in the navigation
        if fl.toctree:
            lines += [*_toctree(s), ""]
        else:
            lines += [f"## {_md_text(s.title)}", "", *_problem_list(s, fl), ""]
    if report.failures:
        lines += ["## Failures", ""]
        for f in report.failures:
            lines.append(f"- {code_span(f.file)}")
            lines += [f"    - {code_span(e)}" for e in f.errors]
        lines.append("")
    return inline_math("\n".join(lines), fl)


def _problem_list(s: Sheet, fl: Flavour) -> list[str]:
    """A sheet's problems as a list of links to their pages."""
    lines = []
    for i in s.good:
        assert i.problem is not None
        link = outputs_of(i).get("md")
        name = _md_text(i.problem.title)
        title = f"[{name}]({link_target(page_link(link, fl))})" if link else name
        lines.append(f"- {_md_text(str(i.number))} {title} ({code_span(i.problem.id)})")
    return lines


def _toctree(s: Sheet) -> list[str]:
    """A sheet as a MyST ``toctree``: Sphinx's navigation, captioned with the sheet's title."""
    pages = [toctree_entry(outputs_of(i)["md"]) for i in s.good if "md" in i.files]
    if not pages:
        return []
    caption = one_line(s.title).replace("`", "'")
    return ["```{toctree}", f":caption: {caption}", ":maxdepth: 1", "", *pages, "```"]


def _front(title: str, weight: int | None) -> str:
    """Front matter with the page's title (and its place among the sections), then a blank line."""
    lines = ["---", f"title: {front_matter(title)}"] + ([f"weight: {weight}"] if weight else []) + ["---", ""]
    return "\n".join(lines) + "\n"
