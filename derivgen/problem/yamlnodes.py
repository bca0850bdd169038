"""Reading small YAML files (``derivgen.yaml``, exam files) with positions for errors.

Files are composed with PyYAML's safe loader into nodes, which keep line and
column (from 0); every complaint becomes a :class:`Diagnostic` at ``FILE:LINE:COL``.
Nothing in a file is ever constructed into arbitrary Python objects.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from derivgen.errors import Diagnostic, Location, ProblemError
from derivgen.limits import MAX_FILE_BYTES


def compose_file(path: Path, display: str) -> yaml.Node | None:
    """The YAML node tree of ``path``; a :class:`ProblemError` if YAML rejects it."""
    try:
        with Path(path).open("rb") as handle:  # never more than the limit, however large the file
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ProblemError([Diagnostic(Location(display, 1, 1), f"cannot read the file: {e}")]) from e
    if len(data) > MAX_FILE_BYTES:
        raise ProblemError([Diagnostic(Location(display, 1, 1),
                                       f"the file is larger than the limit of {MAX_FILE_BYTES} bytes")])
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display, 1, 1)
        problem = e.problem or "invalid YAML"
        raise ProblemError([Diagnostic(loc, f"not valid YAML: {problem}")]) from e
    except yaml.YAMLError as e:
        raise ProblemError([Diagnostic(Location(display, 1, 1), f"not valid YAML: {e}")]) from e


def at(display: str, node: yaml.Node) -> Location:
    """Where a node starts, counted from 1."""
    return Location(display, node.start_mark.line + 1, node.start_mark.column + 1)


def mapping_items(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) of a mapping node."""
    assert isinstance(node, yaml.MappingNode)
    return [(str(k.value), k, v) for k, v in node.value]


def scalar_text(node: yaml.Node) -> str | None:
    """The text of a plain scalar, or None if the node is not a scalar (or is null)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return str(node.value)


class Diagnostics:
    """Collects every complaint about one file before raising them together."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.items: list[Diagnostic] = []

    def add(self, node: yaml.Node | None, message: str) -> None:
        loc = at(self.display, node) if node is not None else Location(self.display, 1, 1)
        self.items.append(Diagnostic(loc, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ProblemError(self.items)
