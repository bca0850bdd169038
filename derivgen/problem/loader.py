"""Loading a problem file: YAML nodes in, a checked :class:`Problem` out.

Everything wrong with a file is reported at once, as a :class:`ProblemError`
whose diagnostics read ``FILE:LINE:COL: key.path: message``.  The file is
data: it is composed (never constructed) by the safe YAML loader in
:mod:`derivgen.problem.yamlsource`, its formulas are read by :mod:`derivgen.problem.parser`,
and its names and shapes are checked in order by :mod:`derivgen.problem.scope`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from derivgen.limits import MAX_DIMENSION_SIZE, MAX_EXPANDED_DEPTH, MAX_EXPANDED_NODES
from derivgen.problem.defines import NAME, bad_name, read_defines
from derivgen.problem.expr import Shape
from derivgen.problem.finds import read_finds
from derivgen.problem.mathcheck import check_math
from derivgen.problem.model import ASSUMPTIONS, DETAILS, GRADIENTS, LAYOUTS, Problem, Var
from derivgen.problem.pointvalues import read_point_values
from derivgen.problem.scope import Growth, Scope
from derivgen.problem.shapes import ShapeEnv, fmt_shape
from derivgen.problem.yamlsource import Report, Source, compose, decode_source, read_source, scalar_value

#: Top-level keys of a problem file; the last seven are derivgen's own.
KNOWN_KEYS = ("title", "id", "source", "tags", "statement", "given", "define", "find", "sizes",
              "steps", "method", "points", "show", "detail", "layout", "values")
#: What ``steps:`` may list: the kinds of step a solution shows.
STEP_CHOICES = ("dimension", "index", "partials", "cases", "stack", "collate", "explicit", "vec",
                "chain", "closed", "justify")
#: What ``method:`` may choose.
METHOD_CHOICES = ("auto", "scalar", "index", "explicit", "vec", "closed", "definition", "differentials",
                  "backprop")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_EXAM_KEY = re.compile(r"^(?:exam|'exam'|\"exam\")\s*:", re.MULTILINE)


def load_problem(path: Path, display_path: str | None = None, data: bytes | None = None) -> Problem:
    """Read, check and return one problem; raise ``ProblemError`` listing every problem of the file.

    With ``data``, those bytes are parsed as the file's content and the file is not read again
    (the build hashes a file's bytes for its cache key and loads the very same bytes).
    """
    display = display_path or str(path)
    source = read_source(path, display) if data is None else decode_source(data, display)
    return _Loader(source, path).load(compose(source))


def find_problem_files(paths: list[Path]) -> list[Path]:
    """Problem files named or under the given folders, sorted by path.

    Skipped: files named ``derivgen.yaml``, hidden folders, exam files (a YAML
    file whose top level has the key ``exam``), and links to files outside the
    folder (never read, so nothing of them reaches a page).
    """
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if _is_problem_file(p, path))
        elif path.suffix in (".yaml", ".yml"):
            found.add(path)
    return sorted(found)


def _is_problem_file(path: Path, root: Path) -> bool:
    if path.suffix not in (".yaml", ".yml") or path.name == "derivgen.yaml" or not path.is_file():
        return False
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        return False
    if not path.resolve().is_relative_to(root.resolve()):
        return False  # a link to a file outside the folder: not part of this bank, never read
    return not is_exam_file(path)


def is_exam_file(path: Path) -> bool:
    """True when the file's top level has the key ``exam`` (read as text: no YAML is run)."""
    try:
        with path.open("rb") as handle:  # at most 64 KiB, however large the file
            head = handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False
    return _EXAM_KEY.search(head) is not None


class _Loader:
    """Walks the composed YAML of one file: top-level keys, given, sizes, options."""

    def __init__(self, source: Source, path: Path) -> None:
        self.report = Report(source)
        self.path = path

    def load(self, root: MappingNode) -> Problem:
        top = self.report.mapping(root, "")
        for key, (key_node, _) in top.items():
            if key not in KNOWN_KEYS:
                self.report.error(key_node, f"unknown key '{key}' (known keys: {', '.join(KNOWN_KEYS)})")
        value = {k: v for k, (_, v) in top.items()}
        title = self.report.text(value.get("title"), "title")
        if title is None:
            self.report.error(value.get("title"), "title: missing (every problem needs a title)")
        sizes = self.sizes(value.get("sizes"))
        given = self.given(value.get("given"), sizes)
        self.check_sizes(value.get("sizes"), sizes, given)
        dims = frozenset(d for v in given for d in v.shape if isinstance(d, str))
        scope = Scope({v.name: v.shape for v in given}, sizes, dims)
        growth = Growth(cap=MAX_EXPANDED_NODES + MAX_EXPANDED_DEPTH)
        define = read_defines(self.report, value.get("define"), scope, growth)
        find = read_finds(self.report, value.get("find"), scope, growth, given)
        problem = Problem(
            id=self.problem_id(value.get("id")), title=title or "", path=self.path,
            source=self.report.text(value.get("source"), "source"), tags=self.tags(value.get("tags")),
            statement=self.report.text(value.get("statement"), "statement"), given=tuple(given),
            define=tuple(define), find=tuple(find), sizes=sizes,
            options={**self.options(value), **self.show(value.get("show"), define),
                     **read_point_values(self.report, value.get("values"), given)},
        )
        check_math(self.report, value)  # the formulas of title, source, statement and latex:
        self.report.raise_if_any()
        return problem

    # --- plain values -------------------------------------------------------------

    def problem_id(self, node: Node | None) -> str:
        written = self.report.text(node, "id")
        if written is None:  # the file name is the id: the same rule, or no page could link to it
            if not _ID.fullmatch(self.path.stem):
                self.report.error(None, "the file name is no valid id (only letters, digits, '-', '_' and "
                                        "'.'): rename the file or give an id: key")
            return self.path.stem
        if not _ID.fullmatch(written):
            self.report.error(node, f"id: '{written}' may hold only letters, digits, '-', '_' and '.'")
        return written

    def tags(self, node: Node | None) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, SequenceNode):
            self.report.error(node, "tags: expected a list, e.g. [chain-rule, least-squares]")
            return ()
        texts = (self.report.text(item, f"tags[{i}]", required=True) for i, item in enumerate(node.value, 1))
        return tuple(t for t in texts if t is not None)

    def options(self, value: dict[str, Node]) -> dict[str, object]:
        """derivgen's own keys: ``steps``, ``method``, ``points``, ``detail`` and ``layout``."""
        out: dict[str, object] = {}
        if isinstance(value.get("sizes"), MappingNode) and not value["sizes"].value:
            out["sizes"] = "open"  # sizes: {}, the sizes left to the check on purpose (no warning)
        if "steps" in value:
            out["steps"] = self.steps(value["steps"])
        if "method" in value:
            method = self.report.text(value["method"], "method", required=True)
            if method is not None and method not in METHOD_CHOICES:
                known = ", ".join(METHOD_CHOICES)
                self.report.error(value["method"], f"method: unknown method '{method}' (known: {known})")
            out["method"] = method
        if "points" in value:
            out["points"] = self.points(value["points"])
        if "detail" in value:
            detail = self.report.text(value["detail"], "detail", required=True)
            if detail is not None and detail not in DETAILS:
                self.report.error(
                    value["detail"], f"detail: unknown level '{detail}' (known: {', '.join(DETAILS)})")
            out["detail"] = detail
        if "layout" in value:
            layout = self.report.text(value["layout"], "layout", required=True)
            if layout is not None and layout not in LAYOUTS:
                self.report.error(
                    value["layout"], f"layout: unknown layout '{layout}' (known: {', '.join(LAYOUTS)})")
            out["layout"] = layout
        return out

    def show(self, node: Node | None, define: list) -> dict[str, object]:
        """``show: [A]``: defines displayed under the statement (see docs/problem-format.md)."""
        if node is None:
            return {}
        items = node.value if isinstance(node, SequenceNode) else [node]
        names = {d.name for d in define}
        out: list[str] = []
        for i, item in enumerate(items, 1):
            name = self.report.text(item, f"show[{i}]", required=True)
            if name is not None and name not in names:
                known = ", ".join(sorted(names)) or "none"
                self.report.error(item, f"show[{i}]: '{name}' is not a define (defines: {known})")
            elif name is not None and name not in out:
                out.append(name)
        return {"show": tuple(out)}

    def steps(self, node: Node) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            self.report.error(node, f"steps: expected a list drawn from {', '.join(STEP_CHOICES)}")
            return ()
        out = []
        for i, item in enumerate(node.value, 1):
            word = self.report.text(item, f"steps[{i}]", required=True)
            if word is not None and word not in STEP_CHOICES:
                self.report.error(
                    item, f"steps[{i}]: unknown step '{word}' (known: {', '.join(STEP_CHOICES)})")
            elif word is not None:
                out.append(word)
        return tuple(out)

    def points(self, node: Node) -> float | int | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            self.report.error(node, "points: expected a positive number")
            return None
        return value

    # --- sizes and given ------------------------------------------------------------

    def sizes(self, node: Node | None) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, (_, value_node) in self.report.mapping(node, "sizes").items():
            value = scalar_value(value_node) if isinstance(value_node, ScalarNode) else None
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.report.error(value_node, f"sizes.{name}: expected a positive whole number")
            elif value > MAX_DIMENSION_SIZE:
                self.report.error(
                    value_node, f"sizes.{name}: {value} is larger than the limit of {MAX_DIMENSION_SIZE}")
            else:
                out[name] = value
        return out

    def check_sizes(self, node: Node | None, sizes: dict[str, int], given: list[Var]) -> None:
        """Each size must name a dimension of some given."""
        dims = {d for v in given for d in v.shape if isinstance(d, str)}
        entries = node.value if isinstance(node, MappingNode) else []
        for key_node, _ in entries:
            name = key_node.value
            if isinstance(name, str) and name not in dims:
                known = ", ".join(sorted(dims)) or "none"
                self.report.error(
                    key_node, f"sizes.{name}: {name} is no dimension of any given (dimensions: {known})")
                sizes.pop(name, None)

    def given(self, node: Node | None, sizes: dict[str, int]) -> list[Var]:
        out = []
        for name, (key_node, value_node) in self.report.mapping(node, "given").items():
            path = f"given.{name}"
            if (problem := bad_name(name)) is not None:
                self.report.error(key_node, f"{path}: {problem}")
                continue
            long = self.long_form(value_node, path) if isinstance(value_node, MappingNode) else {}
            shape_node = long.get("shape") if isinstance(value_node, MappingNode) else value_node
            shape = self.shape(shape_node, path) if shape_node is not None else None
            if shape is None:
                continue
            assume = self.assumptions(long.get("assume"), path, name, shape, sizes)
            latex = self.report.text(long.get("latex"), f"{path}.latex")
            gradient = self.gradient(long.get("gradient"), path, name, assume)
            out.append(Var(name, shape, assume, latex, self.report.source.at(key_node), gradient))
        return out

    def gradient(self, node: Node | None, path: str, name: str, assume: frozenset[str]) -> str:
        """``gradient: symmetrised`` of a symmetric matrix: (G + Gᵀ)/2 instead of the plain G."""
        word = self.report.text(node, f"{path}.gradient") if node is not None else None
        if word is None:
            return "plain"
        if word not in GRADIENTS:
            self.report.error(node, f"{path}.gradient: '{word}' is not a convention "
                              f"(known: {', '.join(GRADIENTS)})")
            return "plain"
        if word == "symmetrised" and "symmetric" not in assume:
            self.report.error(node, f"{path}.gradient: 'symmetrised' is for a symmetric matrix; "
                              f"add assume: [symmetric] to {name}")
            return "plain"
        return word

    def long_form(self, node: MappingNode, path: str) -> dict[str, Node]:
        """``{shape: [N, N], assume: [symmetric], latex: '...'}`` as key -> value node."""
        entries = self.report.mapping(node, path)
        for key, (key_node, _) in entries.items():
            if key not in ("shape", "assume", "latex", "gradient"):
                self.report.error(key_node, f"{path}: unknown key '{key}' (known keys: shape, assume, latex, "
                                  "gradient)")
        if "shape" not in entries:
            self.report.error(node, f"{path}: missing 'shape', e.g. {{shape: [N, N], assume: [symmetric]}}")
        return {key: value for key, (_, value) in entries.items()}

    def shape(self, node: Node, path: str) -> Shape | None:
        if isinstance(node, ScalarNode) and node.value == "scalar":
            return ()
        if not isinstance(node, SequenceNode):
            self.report.error(
                node, f"{path}: expected a shape: [] or scalar, [N] for a vector, [M, N] for a matrix")
            return None
        if len(node.value) > 2:
            self.report.error(node, f"{path}: a shape has at most 2 dimensions (scalar, vector, matrix), "
                                    f"not {len(node.value)}")
            return None
        dims = [self.dim(item, path) for item in node.value]
        known = [d for d in dims if d is not None]
        return tuple(known) if len(known) == len(dims) else None

    def dim(self, node: Node, path: str) -> int | str | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            if value <= MAX_DIMENSION_SIZE:
                return value
            self.report.error(
                node, f"{path}: dimension {value} is larger than the limit of {MAX_DIMENSION_SIZE}")
            return None
        if isinstance(value, str) and NAME.fullmatch(value):
            return value
        shown = node.value if isinstance(node, ScalarNode) else "a list"
        self.report.error(
            node, f"{path}: a dimension is a positive whole number or a name such as N, not {shown}")
        return None

    def assumptions(self, node: Node | None, path: str, name: str, shape: Shape,
                    sizes: dict[str, int]) -> frozenset[str]:
        if node is None:
            return frozenset()
        items = node.value if isinstance(node, SequenceNode) else [node]
        square = len(shape) == 2 and ShapeEnv({}, sizes).same(shape[0], shape[1])
        out = set()
        for item in items:
            word = self.report.text(item, f"{path}.assume", required=True)
            if word is not None and word not in ASSUMPTIONS:
                self.report.error(
                    item, f"{path}: unknown assumption '{word}' (known: {', '.join(ASSUMPTIONS)})")
            elif word == "simplex" and len(shape) != 1:
                self.report.error(item, f"{path}: 'simplex' (entries ≥ 0 summing to 1) needs a vector, "
                                  f"but {name} is {fmt_shape(shape)}")
            elif word is not None and word not in ("positive", "simplex") and not square:
                self.report.error(
                    item, f"{path}: '{word}' needs a square matrix, but {name} is {fmt_shape(shape)}")
            elif word is not None:
                out.add(word)
        return frozenset(out)
