"""``derivgen.yaml``: settings for a whole build, read from the root of the build.

```yaml
title: Exercises for chapter 5        # used as the sheets' default title
course: Mathematics for ML
author: Course staff
date: Winter 2026
label: Problem                        # what a problem is called: "Problem 5.1" (the default)
numbering: "5."                       # problems numbered 5.1, 5.2, ... within each sheet;
                                      # "{sheet}." numbers them 1.1, 1.2, ..., 2.1, ... by sheet
sheets:                               # optional: only these folders, with their titles
  week1: Sheet 1, vector calculus
  week2: Sheet 2, matrix calculus
formats: [md, json, tex, pdf, html]   # optional: overridden by --format
detail: lecture                       # answer | lecture | full; a problem's own detail: wins,
                                      # --detail on the command line overrides both
layout: numerator                     # numerator | denominator; chosen like detail:
templates: my-templates/              # optional, a folder inside this file's folder; overridden
                                      # by --templates
```

Every key is optional; an unknown key or a value of the wrong kind is an error
at ``derivgen.yaml:LINE:COL``, all reported at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from derivgen.problem.model import DETAILS, LAYOUTS
from derivgen.problem.yamlnodes import Diagnostics, compose_file, mapping_items, scalar_text

CONFIG_NAME = "derivgen.yaml"
#: Every output format derivgen writes, in build order.
ALL_FORMATS = ("md", "json", "tex", "pdf", "html", "py")
#: What a build writes when neither ``--format`` nor ``formats:`` chooses (``py`` only when asked for).
DEFAULT_FORMATS = ("md", "json", "tex", "pdf", "html")
_TEXT_KEYS = ("title", "course", "author", "date", "label", "numbering", "detail", "layout")
#: What a problem is called in every format unless ``label:`` says otherwise.
DEFAULT_LABEL = "Problem"
#: In ``numbering``, replaced by the sheet's position (1, 2, ...).
SHEET_FIELD = "{sheet}"
_KEYS = _TEXT_KEYS + ("sheets", "formats", "templates")
#: Every setting ``derivgen.yaml`` may hold (the JSON Schema of :mod:`derivgen.authoring.schema` lists them).
KEYS = _KEYS


@dataclass(frozen=True)
class Config:
    """The settings of one build."""

    title: str | None = None
    """Default title of the sheets (a sheet's own title wins)."""
    course: str | None = None
    """Course name, printed on handouts and exams."""
    author: str | None = None
    """Author line of handouts."""
    date: str | None = None
    """Date line of handouts."""
    label: str = DEFAULT_LABEL
    """What every format calls a problem: ``Problem`` gives "Problem 5.1"."""
    numbering: str = ""
    """Prefix of problem numbers within a sheet: ``"5."`` gives 5.1, 5.2, ...; ``{sheet}`` in it
    is the sheet's position (in ``sheets:`` when given, else in name order): ``"{sheet}."``
    gives 1.1, 1.2, ... on the first sheet and 2.1, ... on the second."""
    detail: str | None = None
    """Default detail level of the solutions (``answer``, ``lecture``, ``full``); a problem's own wins."""
    layout: str | None = None
    """Default layout of the derivatives (``numerator``, ``denominator``); a problem's own wins."""
    sheets: dict[str, str] | None = None
    """Folder -> title of the sheets to build; None builds every folder."""
    formats: tuple[str, ...] | None = None
    """Output formats; None means all."""
    templates: Path | None = None
    """The user's template folder (absolute)."""
    path: Path | None = field(default=None, compare=False)
    """The file it was read from; None for the defaults."""

    def meta(self) -> dict[str, str]:
        """Title, course, author and date for the document renderers (unset ones empty)."""
        return {k: getattr(self, k) or "" for k in ("title", "course", "author", "date")}

    def fingerprint(self) -> str:
        """A hash of every setting that changes what is written (for the cache)."""
        data = {k: getattr(self, k) for k in _TEXT_KEYS}
        data["sheets"] = self.sheets
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def number(self, position: int, sheet: int = 1) -> str:
        """The printed number of the problem at 1-based ``position`` in the ``sheet``-th sheet."""
        return f"{self.numbering.replace(SHEET_FIELD, str(sheet))}{position}"

    def sheet_position(self, name: str, names: list[str]) -> int:
        """The 1-based position of sheet ``name``: its place in ``sheets:``, else in ``names``."""
        order = list(self.sheets) if self.sheets else sorted(set(names))
        return order.index(name) + 1 if name in order else len(order) + 1


def find_config(root: Path) -> Path | None:
    """``derivgen.yaml`` in the build's root folder (or beside a single file), if any."""
    folder = root if root.is_dir() else root.parent
    candidate = folder / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None, display: str | None = None) -> Config:
    """Read and check ``derivgen.yaml``; the defaults when ``path`` is None."""
    if path is None:
        return Config()
    display = display or str(path)
    root = compose_file(path, display)
    diags = Diagnostics(display)
    if root is None:
        return Config(path=path)
    if not isinstance(root, yaml.MappingNode):
        diags.add(root, "derivgen.yaml must be a mapping of settings (key: value)")
        diags.raise_if_any()
    values: dict[str, object] = {}
    for key, knode, vnode in mapping_items(root):
        if key not in _KEYS:
            diags.add(knode, f"unknown setting '{key}'; expected one of: {', '.join(_KEYS)}")
        elif key in _TEXT_KEYS:
            values[key] = _text(vnode, key, diags)
            if key == "detail" and values[key] is not None and values[key] not in DETAILS:
                diags.add(vnode,
                          f"detail: unknown level '{values[key]}'; expected one of: {', '.join(DETAILS)}")
            if key == "layout" and values[key] is not None and values[key] not in LAYOUTS:
                diags.add(vnode,
                          f"layout: unknown layout '{values[key]}'; expected one of: {', '.join(LAYOUTS)}")
        elif key == "sheets":
            values[key] = _sheets(vnode, diags)
        elif key == "formats":
            values[key] = _formats(vnode, diags)
        else:
            values[key] = _templates(vnode, path, diags)
    diags.raise_if_any()
    for key in ("numbering", "label"):
        if values.get(key) is None:
            values.pop(key, None)
    return Config(path=path, **values)  # type: ignore[arg-type]  # each value checked above, key by key


def _text(node: yaml.Node, key: str, diags: Diagnostics) -> str | None:
    text = scalar_text(node)
    if text is None and not _is_null(node):
        diags.add(node, f"{key} must be text")
    return text


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _sheets(node: yaml.Node, diags: Diagnostics) -> dict[str, str] | None:
    out: dict[str, str] = {}
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            name = scalar_text(item)
            if name is None:
                diags.add(item, "sheets: each entry must be a folder name")
            else:
                out[name] = name
        return out
    if isinstance(node, yaml.MappingNode):
        for name, _knode, vnode in mapping_items(node):
            title = scalar_text(vnode)
            if title is None:
                diags.add(vnode, f"sheets.{name}: the title must be text")
            out[name] = title or name
        return out
    diags.add(node, "sheets must be a list of folders or a mapping folder: title")
    return None


def _formats(node: yaml.Node, diags: Diagnostics) -> tuple[str, ...] | None:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    found: list[str] = []
    for item in items:
        for name in (scalar_text(item) or "").split(","):
            name = name.strip()
            if name not in ALL_FORMATS:
                diags.add(item, f"formats: unknown format '{name}'; expected {', '.join(ALL_FORMATS)}")
            elif name not in found:
                found.append(name)
    return tuple(found)


def _templates(node: yaml.Node, path: Path, diags: Diagnostics) -> Path | None:
    text = scalar_text(node)
    if text is None:
        diags.add(node, "templates must be a folder path")
        return None
    project = path.parent.resolve()
    folder = (path.parent / text).resolve()
    if folder != project and project not in folder.parents:
        diags.add(node, f"templates: folder {text} is outside the project (the folder of derivgen.yaml "
                        "and its subfolders); use --templates for a folder elsewhere")
        return None
    if not folder.is_dir():
        diags.add(node, f"templates: folder {text} does not exist")
    return folder


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,json"`` -> ``("md", "json")`` in build order; ValueError naming an unknown one."""
    wanted = [f.strip() for f in text.split(",") if f.strip()]
    for name in wanted:
        if name not in ALL_FORMATS:
            raise ValueError(f"unknown format '{name}' (choose from {', '.join(ALL_FORMATS)})")
    if not wanted:
        raise ValueError("no format given")
    return tuple(f for f in ALL_FORMATS if f in wanted)
