"""The package's layering, read from the source: no import circles, no private names
across modules, and each stage importing only the stages before it.

The import graph is built with :mod:`ast` from every ``import`` in ``derivgen/``,
at module level and inside functions alike (a function-level import is still a
dependency, only a later one).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "derivgen"

#: Stages that come before the presentation and must never reach into it.
BEFORE_RENDER = ("engine", "derivation", "check", "problem")


@dataclass(frozen=True)
class Use:
    """One import of a derivgen module, or one private name taken from one."""

    module: str
    """The importing module (``derivgen.engine.chain``)."""
    line: int
    """Where, in the importing module's file."""
    target: str
    """The imported module (``derivgen.derivation.index_form``)."""
    private: str | None = None
    """A private name taken from ``target`` (``_rebuild``), if any."""

    def __str__(self) -> str:
        what = f"{self.target}.{self.private}" if self.private else self.target
        return f"{self.module}:{self.line}: {what}"


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module an ``ImportFrom`` names, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def uses(module: str, path: Path, known: dict[str, Path]) -> Iterator[Use]:
    """The derivgen modules (and private names) one module uses."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases: dict[str, str] = {}  # local name -> derivgen module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in known:
                    yield Use(module, node.lineno, a.name)
                    if a.asname:
                        aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path.name == "__init__.py", node)
            if source not in known:
                continue
            for a in node.names:
                sub = f"{source}.{a.name}"
                if sub in known:  # from derivgen.render import texmath
                    yield Use(module, node.lineno, sub)
                    aliases[a.asname or a.name] = sub
                    continue
                yield Use(module, node.lineno, source, a.name if _private(a.name) else None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
            target = aliases.get(node.value.id)
            if target is not None:
                yield Use(module, node.lineno, target, node.attr)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def graph() -> tuple[dict[str, set[str]], list[Use]]:
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    found: list[Use] = []
    for module, path in known.items():
        for use in uses(module, path, known):
            found.append(use)
            if use.target != module:
                edges[module].add(use.target)
    return edges, found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def stage(module: str) -> str:
    """The subpackage a module belongs to (``engine`` for ``derivgen.engine.index.route``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_circles() -> None:
    edges, _ = graph()
    assert cycles(edges) == []


def test_no_private_names_across_modules() -> None:
    _, found = graph()
    crossing = [str(u) for u in found if u.private is not None and u.target != u.module]
    assert crossing == []


def test_the_stages_before_render_never_import_render_or_build() -> None:
    _, found = graph()
    wrong = [str(u) for u in found
             if stage(u.module) in BEFORE_RENDER and stage(u.target) in ("render", "build")]
    assert wrong == []


def test_render_never_imports_the_engine_or_the_check() -> None:
    _, found = graph()
    wrong = [str(u) for u in found if stage(u.module) == "render" and stage(u.target) in ("engine", "check")]
    assert wrong == []


def test_the_engine_never_imports_the_check() -> None:
    _, found = graph()
    wrong = [str(u) for u in found if stage(u.module) == "engine" and stage(u.target) == "check"]
    assert wrong == []


def test_the_checker_sees_a_circle_and_a_private_name() -> None:
    """The checker itself: a made-up circle is found, and so is ``from x import _name``."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    tree = {"derivgen.x": PACKAGE / "errors.py"}
    assert [u.private for u in uses("derivgen.y", _source("from derivgen.x import _hidden, shown\n"), tree)] == [
        "_hidden", None]


def _source(text: str) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as f:
        f.write(text)
    return Path(f.name)
