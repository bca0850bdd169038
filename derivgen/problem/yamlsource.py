"""Reading a problem file as YAML nodes: safely, and with a position for every value.

The file is checked before anything is built from it: its size, that it is
UTF-8 text, and, by streaming the YAML events, that it holds no tags beyond
the standard ones, no anchors or aliases and not too many nodes.  Only then
is it composed (``yaml.compose`` with the safe loader: nodes, never objects),
so every value keeps its line and column.  YAML's own syntax errors are
explained in plain words, with a hint where a common cause is likely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark, MarkedYAMLError
from yaml.events import AliasEvent, DocumentStartEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.reader import ReaderError

from derivgen.errors import Diagnostic, ExpressionError, Location, ProblemError
from derivgen.limits import MAX_FILE_BYTES, MAX_YAML_NODES

_STANDARD = "tag:yaml.org,2002:"
#: The only tags a problem file may carry, explicitly or implicitly.
ALLOWED_TAGS = frozenset(_STANDARD + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
#: Scalar tags whose values are built as Python numbers, booleans or None.
_TYPED = frozenset(_STANDARD + t for t in ("int", "float", "bool", "null"))


class Position(Protocol):
    """A YAML mark, from the pure-Python parser or the C one: line and column, counted from 0."""

    line: int
    column: int


@dataclass(frozen=True)
class Source:
    """The text of a problem file and the name to show for it."""

    file: str
    """The path as the user should see it in messages."""
    text: str
    """The decoded text, as YAML read it (marks index into it)."""

    def location(self, index: int) -> Location:
        """Line and column (from 1) of a character index into the text."""
        line = self.text.count("\n", 0, index)
        col = index - (self.text.rfind("\n", 0, index) + 1)
        return Location(self.file, line + 1, col + 1)

    def at(self, node: Node | Position) -> Location:
        """Where a node (or a YAML mark) starts."""
        mark = node.start_mark if isinstance(node, Node) else node
        return Location(self.file, mark.line + 1, mark.column + 1)

    def at_offset(self, node: Node, offset: int) -> Location:
        """Where character ``offset`` of a scalar's value stands in the file."""
        if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
            return self.at(node)
        if node.start_mark.line == node.end_mark.line and node.style in (None, ""):
            return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1 + offset)
        begin = _content_start(self.text, node)
        raw = self.text[begin : node.end_mark.index]
        return self.location(begin + _align(raw, node.value, offset, node.style))

    def fail(self, where: Node | Position | None, message: str) -> ProblemError:
        """A ``ProblemError`` with one diagnostic, for errors that stop the reading."""
        return ProblemError([Diagnostic(self.at(where) if where is not None else None, message)])


def _content_start(text: str, node: ScalarNode) -> int:
    start = node.start_mark.index
    if node.style in ("'", '"'):
        return start + 1
    if node.style in ("|", ">"):
        newline = text.find("\n", start)
        return len(text) if newline < 0 else newline + 1
    return start


def _align(raw: str, value: str, offset: int, style: str | None) -> int:
    """Index in ``raw`` (the scalar as written) of ``value[offset]``:
    walk both, skipping folding and escapes."""
    i = j = 0
    while i < offset and j < len(raw):
        v, r = value[i], raw[j]
        if v.isspace():
            while i < offset and value[i].isspace():
                i += 1
            while j < len(raw) and raw[j].isspace():
                j += 1
        elif style == "'" and raw.startswith("''", j):
            i, j = i + 1, j + 2
        elif style == '"' and r == "\\":
            i, j = i + 1, j + _escape_length(raw, j)
        elif r == v:
            i, j = i + 1, j + 1
        elif r.isspace():
            j += 1
        else:
            break  # best effort: stop at the first character that does not line up
    while j < len(raw) and raw[j].isspace() and offset < len(value) and not value[offset].isspace():
        j += 1
    return j


def _escape_length(raw: str, j: int) -> int:
    return {"x": 4, "u": 6, "U": 10}.get(raw[j + 1 : j + 2], 2)


# --- reading -------------------------------------------------------------------


def read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes, read once and no further than the size limit (a larger file is refused)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise Source(display, "").fail(None, f"{display}: cannot read the file ({e.strerror or e})") from e
    if len(data) > MAX_FILE_BYTES:
        raise Source(display, "").fail(
            None, f"{display}: the file is larger than the limit of {MAX_FILE_BYTES} bytes")
    return data


def decode_source(data: bytes, display: str) -> Source:
    """The text of a file's bytes, after the checks that need no YAML: size, UTF-8, not empty."""
    fail = Source(display, "").fail
    if len(data) > MAX_FILE_BYTES:
        raise fail(None, f"{display}: the file is larger than the limit of {MAX_FILE_BYTES} bytes")
    if b"\x00" in data:
        raise fail(None, f"{display}: not a UTF-8 text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail(None, f"{display}: not a UTF-8 text file") from e
    if not text.strip():
        raise fail(None, f"{display}: the file is empty; a problem needs at least a title and a find")
    return Source(display, text)


def read_source(path: Path, display: str) -> Source:
    """The file's text (:func:`read_bytes`, then :func:`decode_source`)."""
    return decode_source(read_bytes(path, display), display)


def compose(source: Source) -> MappingNode:
    """The top-level mapping of the file, after the event checks; raises ``ProblemError``."""
    try:
        _check_events(source)
        root = yaml.compose(source.text, Loader=yaml.SafeLoader)
    except MarkedYAMLError as e:
        raise _explain(source, e) from e
    except ReaderError as e:
        where = source.location(e.position)
        message = f"the file holds a control character (#x{e.character:x}) that YAML does not allow"
        raise ProblemError([Diagnostic(where, message)]) from e
    if root is None:
        raise source.fail(
            None, f"{source.file}: the file holds only comments; a problem needs a title and a find")
    if not isinstance(root, MappingNode):
        raise source.fail(root, "the top level must be a mapping of keys such as title:, given:, find:")
    return root


def _check_events(source: Source) -> None:
    """Reject tags, anchors, aliases and oversized files while streaming, before any node is built."""
    nodes = documents = 0
    for event in yaml.parse(source.text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise source.fail(
                mark, "YAML anchors and aliases (&name, *name) are not allowed: write each value out")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ALLOWED_TAGS:
            raise source.fail(mark, f"YAML tags such as '{_short_tag(tag)}' are not allowed")
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise source.fail(mark, f"the file has more than {MAX_YAML_NODES} YAML values (the limit)")
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise source.fail(
                    mark, "a problem file holds one YAML document, but a second one starts here")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_STANDARD) :] if tag.startswith(_STANDARD) else tag


def scalar_value(node: ScalarNode) -> object:
    """A scalar as YAML means it: int, float, bool and None are built; everything else stays text."""
    if node.tag in _TYPED:
        return SafeConstructor().construct_object(node)
    return node.value


# --- YAML's syntax errors, in plain words ---------------------------------------

#: Keys whose value is a YAML list of text entries (a hint to quote the whole value would be wrong).
_LIST_KEYS = ("find", "tags", "steps")
_KEY_VALUE = re.compile(r"^\s*(?:-\s+)?([^\s:#][^:#]*?)\s*:\s+(.*?)\s*(?:\s#.*)?$")


def _explain(source: Source, e: MarkedYAMLError) -> ProblemError:
    mark = e.problem_mark or e.context_mark
    problem, context = e.problem or "", e.context or ""
    if "'\\t'" in problem:
        message = "a tab character: YAML indents with spaces only; replace the tab by spaces"
    elif "mapping values are not allowed" in problem:
        message = "a ':' followed by a space inside a plain value" + _quote_hint(source, mark, "")
    elif context.startswith("while scanning a quoted scalar"):
        mark = e.context_mark
        message = "this quoted value is never closed: add the matching quote"
    elif "flow sequence" in context or "flow mapping" in context:
        mark = e.context_mark
        hint = (_quote_hint(source, mark, "[")
                or " (inside a YAML list, '[', ']' and ',' end an item: quote the value)")
        message = "YAML cannot read this list" + hint
    elif "expected <block end>" in problem or "expected <block mapping start>" in problem:
        message = "the indentation does not line up: the keys of one mapping must start in the same column"
    elif context.startswith(("while scanning an alias", "while scanning an anchor")):
        message = "a word that starts with '*' or '&' is YAML syntax (an alias or anchor)"
        message += _quote_hint(source, mark, "[") or _quote_hint(source, mark, "")
    else:
        message = f"YAML cannot read this: {problem or context}" + _quote_hint(source, mark, "[")
    where = source.at(mark) if mark is not None else None
    return ProblemError([Diagnostic(where, f"not valid YAML: {message}")])


def _quote_hint(source: Source, mark: Mark | None, starts: str) -> str:
    """``; ... must be quoted: write g: "[...]"`` from the line of ``mark``, when it reads ``key: value``."""
    if mark is None:
        return ""
    lines = source.text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    m = _KEY_VALUE.match(line)
    if m is None or not m.group(2).startswith(starts) or '"' in m.group(2):
        return ""
    key, value = m.group(1), m.group(2)
    if starts == "[" and key in _LIST_KEYS:
        return f"; write {key} as a block list, one '- entry' a line, or quote each entry"
    if starts == "[":
        return f"; a value that starts with '[' must be quoted: write {key}: \"{value}\""
    return f"; quote the value: write {key}: \"{value}\""


# --- collecting diagnostics while walking the nodes -------------------------------


@dataclass(frozen=True)
class Spans:
    """Where the characters of an expression came from: one piece per YAML scalar."""

    pieces: tuple[tuple[int, int, Node], ...]
    """(start, end, node): offsets start..end of the expression are the node's text."""
    whole: Node
    """The value node, for offsets that fall in no piece."""


class Report:
    """The diagnostics of one file, collected while its nodes are walked."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, where: Node | Location | None, message: str) -> None:
        """Record a problem at a node or location; with no position the message names the file."""
        if isinstance(where, Node):
            where = self.source.at(where)
        if where is None:
            message = f"{self.source.file}: {message}"
        self.diagnostics.append(Diagnostic(where, message))

    def expression_error(self, spans: Spans, err: ExpressionError, path: str) -> None:
        """Record an error inside an expression at the line and column of its offset."""
        for begin, end, node in spans.pieces:
            if begin <= err.offset <= end and isinstance(node, ScalarNode):
                self.error(self.source.at_offset(node, err.offset - begin), f"{path}: {err.message}")
                return
        self.error(spans.whole, f"{path}: {err.message}")

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise ProblemError(sorted(self.diagnostics, key=_position))

    def mapping(self, node: Node | None, path: str) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node); reports a non-mapping, non-text keys and duplicate keys."""
        if node is None or (isinstance(node, ScalarNode) and scalar_value(node) is None):
            return {}
        if not isinstance(node, MappingNode):
            self.error(node, f"{path}: expected a mapping of 'key: value' lines")
            return {}
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or not key_node.value:
                self.error(key_node, f"{path or 'top level'}: a key must be plain text")
            elif key_node.value in out:
                first = out[key_node.value][0].start_mark.line + 1
                where = f"{path}: " if path else ""
                self.error(key_node, f"{where}duplicate key '{key_node.value}' (first at line {first})")
            else:
                out[key_node.value] = (key_node, value_node)
        return out

    def text(self, node: Node | None, path: str, required: bool = False) -> str | None:
        """A scalar's text as written; None (and an error if required) when missing."""
        if node is None or (isinstance(node, ScalarNode) and scalar_value(node) is None):
            if required:
                self.error(node, f"{path}: missing")
            return None
        if not isinstance(node, ScalarNode):
            self.error(node, f"{path}: expected text")
            return None
        return str(node.value)


def _position(d: Diagnostic) -> tuple[int, int]:
    return (d.location.line, d.location.col) if d.location else (0, 0)
