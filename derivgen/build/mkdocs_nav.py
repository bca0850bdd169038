"""The MkDocs plugin ``derivgen``: the navigation shows each sheet's title, not its output folders.

MkDocs names a section after its folder, so a build in ``docs/`` shows
"3 matrix › Md › ...".  With ``plugins: [search, derivgen]`` in ``mkdocs.yml``,
each sheet's pages (``<sheet>/md/*.md``) form one section titled as
``derivgen.yaml`` titles the sheet ("Sheet 3: gradients of vectors and
matrices"), read from the ``index.json`` the same build wrote.  Pages and
sections that derivgen did not write are left as they are.

MkDocs imports this module when ``mkdocs.yml`` names the plugin; nothing else does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page


class SheetTitles(BasePlugin):  # type: ignore[type-arg,unused-ignore]
    """Sections named by the sheets' titles, one section per sheet."""

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        titles = sheet_titles(files)
        if titles:
            nav.items = [_retitled(item, titles, set()) for item in nav.items]
        return nav


def sheet_titles(files: Files) -> dict[str, str]:
    """The title of every sheet by its pages' folder (``3-matrix/md``), from each ``index.json``."""
    titles: dict[str, str] = {}
    for f in files:
        if f.src_uri != "index.json" and not f.src_uri.endswith("/index.json"):
            continue
        prefix = f.src_uri[: -len("index.json")]
        try:
            data: Any = json.loads(Path(f.abs_src_path or "").read_text(encoding="utf-8"))
            sheets = [(str(s["name"]), str(s["title"])) for s in data["sheets"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not derivgen's index
        titles.update({f"{prefix}{name}/md": title for name, title in sheets})
    return titles


def _retitled(item: Any, titles: dict[str, str], sheets: set[int]) -> Any:
    """``item`` with every sheet's section titled and lifted out of the folders above it."""
    if not isinstance(item, Section):
        return item
    item.children = [_retitled(child, titles, sheets) for child in item.children]
    only = item.children[0] if len(item.children) == 1 else None
    if isinstance(only, Section) and id(only) in sheets:
        only.parent = item.parent  # "3 matrix" holds nothing but its sheet: the sheet takes its place
        return only
    folders = {p.file.src_uri.rpartition("/")[0] for p in item.children if isinstance(p, Page)}
    if len(folders) == 1 and all(isinstance(p, Page) for p in item.children):
        folder = folders.pop()
        if folder in titles:
            item.title = titles[folder]
            sheets.add(id(item))
    return item
