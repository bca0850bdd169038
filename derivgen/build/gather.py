"""Gathering a build's work: the problem files, their sheets and numbers, the options.

Before anything is loaded, ``build`` knows every problem file (an
:class:`Item`), which sheet (folder) it belongs to, its number in that sheet,
and how the outputs are to be rendered (:func:`render_options`, from the
command line and ``derivgen.yaml``).  :func:`display_path` is how every
message shows a file.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from derivgen.build.config import ALL_FORMATS, CONFIG_NAME, DEFAULT_FORMATS, Config, find_config, load_config
from derivgen.build.report import BuildReport, Failure
from derivgen.build.stages import RenderOptions, Stages
from derivgen.errors import UsageError

if TYPE_CHECKING:
    from derivgen.derivation import Derivation
    from derivgen.problem.model import Problem


@dataclass
class Item:
    """One problem file on its way through the build."""

    path: Path
    display: str
    """The file as shown to the user (:func:`display_path`)."""
    sheet: str
    """The sheet it belongs to (:func:`sheet_name`)."""
    number: str
    """Its number, counted within the sheet."""
    problem: Problem | None = None
    key: str = ""
    """Its cache key."""
    derivations: list[Derivation] | None = None
    files: dict[str, str] = field(default_factory=dict)
    """Rendered per-problem files by format."""
    failure: Failure | None = None
    fresh: bool = False
    """Built in this run (so worth caching)."""


@dataclass
class Sheet:
    """The problems of one folder, in file order."""

    name: str
    title: str
    items: list[Item]
    key: str = ""
    fresh: bool = False

    @property
    def good(self) -> list[Item]:
        return [i for i in self.items if i.failure is None and i.derivations is not None]

    @property
    def failed(self) -> bool:
        return any(i.failure is not None for i in self.items)

    def files(self, name: str) -> str:
        """Path of a sheet-level file in out/ (``sheet.html`` is named after the sheet)."""
        if name == "sheet.html":
            name = f"{Path(self.name).name}.html"
        return f"{self.name}/{name}"


def display_path(path: Path) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    rel = os.path.relpath(Path(path).resolve(), Path.cwd())
    return str(path) if rel.startswith("..") else rel


def check_roots(paths: Sequence[Path | str]) -> list[Path]:
    """The files and folders given, each of which must exist."""
    if not paths:
        raise UsageError("no problem files or folders given")
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise UsageError(f"{root}: no such file or folder")
    return roots


def read_config(roots: list[Path]) -> Config:
    """The ``derivgen.yaml`` that governs the first root, else the defaults."""
    path = find_config(roots[0])
    return load_config(path, display_path(path)) if path else Config()


def render_options(config: Config, formats: Iterable[str] | None, templates: Path | None,
                   flavour: str) -> RenderOptions:
    """How to render: the command line's choices first, then ``derivgen.yaml``'s."""
    chosen = tuple(formats) if formats is not None else (config.formats or DEFAULT_FORMATS)
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown:
        raise UsageError(f"unknown format '{unknown[0]}' (choose from {', '.join(ALL_FORMATS)})")
    folder = Path(templates).resolve() if templates else config.templates
    if folder is not None and not folder.is_dir():
        raise UsageError(f"{templates}: no such templates folder")
    meta = {**config.meta(), "prefix": config.numbering, "label": config.label}
    return RenderOptions(tuple(f for f in ALL_FORMATS if f in chosen), flavour, folder, meta)


def builtin_templates() -> Path:
    """derivgen's own template folder."""
    return Path(__file__).resolve().parent.parent / "templates"


def sheet_name(path: Path, root: Path) -> str:
    """The sheet of a problem file: its folder relative to the root; the root's own name at the top."""
    base = root if root.is_dir() else root.parent
    rel = path.parent.resolve().relative_to(base.resolve())
    return rel.as_posix() if rel.parts else base.resolve().name


def gather(roots: list[Path], config: Config, stages: Stages, report: BuildReport) -> list[Item]:
    """Every problem file with its sheet and number (numbers count failed files too, so they stay put)."""
    seen: dict[Path, Item] = {}
    for root in roots:
        for path in stages.find_files([root]):
            if path.resolve() not in seen and path.name != CONFIG_NAME:
                seen[path.resolve()] = Item(path, display_path(path), sheet_name(path, root), "")
    items = sorted(seen.values(), key=lambda i: (i.sheet, i.path.name, i.display))
    if config.sheets is not None:
        items = [i for i in items if i.sheet in config.sheets]
    position: dict[str, int] = defaultdict(int)
    names = [i.sheet for i in items]
    for item in items:
        position[item.sheet] += 1
        item.number = config.number(position[item.sheet], config.sheet_position(item.sheet, names))
    report.problems = len(items)
    return items


def group_sheets(items: list[Item], config: Config) -> list[Sheet]:
    """The items grouped by sheet, each sheet with its title."""
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.sheet].append(item)
    return [Sheet(name, _sheet_title(name, config, len(grouped)), group) for name, group in grouped.items()]


def _sheet_title(name: str, config: Config, count: int) -> str:
    if config.sheets and config.sheets.get(name):
        return config.sheets[name]
    if config.title and count == 1:
        return config.title
    return name
