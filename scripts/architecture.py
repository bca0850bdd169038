"""Write the generated sections of ``docs/architecture.md`` from the code itself.

    .venv/bin/python scripts/architecture.py           rewrite the generated sections
    .venv/bin/python scripts/architecture.py --check   exit 1 (and say what differs) if they are out of date

Three sections of ``docs/architecture.md`` are generated, each between
``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->``; the rest
of the file is written by hand and left as it is:

- ``layers``: the layer map (:data:`LAYERS`), each package's docstring, and every
  import that goes against the map or closes a circle, found by reading the
  imports of every module;
- ``walk``: one problem's way from the command line to the PDF (:data:`WALK`),
  each step with its function's signature and the first line of its docstring;
- ``modules``: every module under ``derivgen/``, found on disk, with
  the first line of its docstring.

A new module or package needs nothing here: it appears in the module map, and a
package the layer map does not place yet is listed as such.  A function of the
walk that moved or was renamed stops the script with the name to update in
:data:`WALK`.  ``tests/test_docs.py`` fails when the file is out of date, and
checks that a real build calls the walk's functions in the walk's order.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "derivgen"
DOC = ROOT / "docs" / "architecture.md"
COMMAND = ".venv/bin/python scripts/architecture.py"

#: The layer map, top to bottom: (row, units, what the row is for).  A unit is a package
#: directly under ``derivgen/`` or a top-level module.  A unit imports only from the rows
#: below its own, never from its own row: engine, check and render are stages that meet
#: only in build.
LAYERS: list[tuple[str, tuple[str, ...], str]] = [
    ("entry", ("__main__",), "python -m derivgen"),
    ("edge", ("cli",), "the command line: arguments in, exit codes out"),
    ("tools", ("exam", "lint", "authoring"),
     "built on the build: exam papers, the lint of a build's output, authoring (new, schema, watch, serve)"),
    ("orchestrate", ("build",), "the pipeline: the one place where the stages meet"),
    ("stages", ("engine", "check", "render"), "derive, check numerically, present: none imports another"),
    ("records", ("derivation",), "what the stages hand on: Derivations made of Steps"),
    ("read", ("problem",), "problem files: YAML, the expression language, names and shapes"),
    ("base", ("__init__", "errors", "limits"), "the version, the one exception tree, the documented limits"),
]

#: One problem's walk: ``derivgen build problems/3-matrix/least-squares.yaml``.  (stage, function,
#: what it does with least squares).  Listed in the order a build first calls them
#: (``tests/test_docs.py`` checks this on a real build).
WALK: list[tuple[str, str, str]] = [
    ("cli", "derivgen.cli.main", "parses `build problems/3-matrix/least-squares.yaml -o out/`"),
    ("cli", "derivgen.cli.cmd_build",
     "calls the build with the options, prints its report; exit code 0, or 1 if a problem failed"),
    ("build", "derivgen.build.pipeline.build",
     "reads as the pipeline: gather, load, derive + verify + render, sheets, typeset, write, cache"),
    ("gather", "derivgen.build.gather.gather",
     "the problem files, each with its sheet and number: `3-matrix`, 5.1"),
    ("gather", "derivgen.problem.loader.find_problem_files", "the one file named on the command line"),
    ("load", "derivgen.build.pipeline.load_all", "loads every problem the cache does not already hold"),
    ("load", "derivgen.problem.loader.load_problem",
     "YAML nodes to a checked `Problem`: givens θ (D), Φ (N×D), y (N); e = y − Φθ; L = ‖e‖²; find dL/dθ"),
    ("derive", "derivgen.build.pipeline.derive_all",
     "the problems to build, in worker processes when there are several (one here: in this process)"),
    ("derive", "derivgen.build.workers.process_problem",
     "derive, verify and render one problem, within its time limit"),
    ("derive", "derivgen.engine.derive.derive",
     "chooses the chain rule through `e` for dL/dθ and assembles the lectures' steps into a `Derivation`"),
    ("derive", "derivgen.engine.chain.chain_part",
     "dL/dθ = ∂L/∂e ∂e/∂θ, with each factor's shape written under it"),
    ("derive", "derivgen.engine.matrix.closed_form.closed_derivative",
     "each factor in closed matrix form: ∂L/∂e = 2eᵀ, ∂e/∂θ = −Φ; their product −2(y − Φθ)ᵀΦ"),
    ("verify", "derivgen.check.verify.verify",
     "every form of the result against central finite differences at 3 random points, N = 3, D = 2"),
    ("render", "derivgen.render.markdown.render_problem_md", "the page `out/3-matrix/md/least-squares.md`"),
    ("render", "derivgen.render.narrate.present",
     "each Step as a sentence and its displayed LaTeX, at the `lecture` detail level, for every format"),
    ("render", "derivgen.render.json.render_problem_json", "`out/json/least-squares.json`"),
    ("render", "derivgen.render.latex.render_problem_tex", "`out/3-matrix/tex/least-squares.tex`"),
    ("sheets", "derivgen.build.pipeline.render_sheets", "the sheet `3-matrix`, unless the cache holds it"),
    ("sheets", "derivgen.render.latex.render_sheet_tex", "its `handout.tex` and `solutions.tex`"),
    ("sheets", "derivgen.render.html.render_sheet_html", "its `3-matrix.html`, with KaTeX and no CDN"),
    ("typeset", "derivgen.build.typeset.typeset_all",
     "the handout and the solutions in a scratch folder, in parallel; TeX's warnings name the problem file"),
    ("typeset", "derivgen.build.typeset.compile_pdf", "latexmk: pdflatex, no shell escape, a time limit"),
    ("write", "derivgen.build.pipeline.write_all", "everything gathered in memory is written only now"),
    ("write", "derivgen.build.write.write_outputs",
     "each file atomically and only if its bytes changed; files of deleted problems removed"),
    ("write", "derivgen.build.atomic.write_if_changed", "`out/3-matrix/solutions.pdf`, ..., `out/index.md`"),
    ("write", "derivgen.build.manifest.save", "`out/.manifest.json`: which file came from which source"),
    ("cache", "derivgen.build.pipeline.store",
     "the problem and the sheet into `out/.cache/`, under their keys"),
    ("cache", "derivgen.build.cache.Cache.prune", "entries no build has used for 14 days go"),
]

BEGIN = "<!-- BEGIN generated: {} (scripts/architecture.py; do not edit by hand) -->"
END = "<!-- END generated: {} -->"


# --- modules and their imports -------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    """One ``.py`` file under ``derivgen/``."""

    name: str
    """Dotted name: ``derivgen.engine.index.route``; a package is its ``__init__``'s name."""
    path: Path
    """The file."""
    lines: int
    """How many lines it has."""
    summary: str
    """The first sentence or line of its docstring, as Markdown ("" when it has none)."""
    tree: ast.Module
    """Its syntax tree."""

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def package(self) -> str:
        """The package it is in (a package's ``__init__`` is in that package)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    @property
    def unit(self) -> str:
        return unit_of(self.name)

    @property
    def shown(self) -> str:
        """Its path from ``derivgen/``: ``engine/index/route.py``."""
        return self.path.relative_to(PACKAGE).as_posix()


def summary(doc: str | None) -> str:
    """A docstring's first paragraph (its first line, unless a line was wrapped), as Markdown."""
    first = " ".join((doc or "").strip().split("\n\n")[0].split())
    first = re.sub(r":(?:mod|class|func|meth|data|attr|exc):`~?([^`]+)`", r"`\1`", first)
    first = first.replace("``", "`")
    return re.sub(r"::$", ":", first)


def unit_of(name: str) -> str:
    """The layer map's unit of a dotted module name: ``derivgen.engine.index.route`` -> ``engine``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> list[Module]:
    """Every module under ``derivgen/``, in path order."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append(Module(name, path, len(text.splitlines()), summary(ast.get_docstring(tree)), tree))
    return out


@dataclass(frozen=True)
class Import:
    """One ``import`` of a derivgen module by another."""

    source: Module
    """The importing module."""
    target: str
    """The imported module's dotted name."""
    line: int
    """Where, in the importing module."""


def imports(mods: list[Module]) -> list[Import]:
    """Every import of a derivgen module, also inside functions; not those under ``if TYPE_CHECKING:``."""
    names = {m.name for m in mods}
    out = []
    for m in mods:
        for node, line in _import_nodes(m.tree):
            for target in _targets(node, m, names):
                if target != m.name:
                    out.append(Import(m, target, line))
    return out


def _import_nodes(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, int]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (x for x in _import_nodes(ast.Module(body=node.orelse, type_ignores=[])))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, node.lineno
        else:
            yield from _import_nodes(node)


def _targets(node: ast.Import | ast.ImportFrom, m: Module, names: set[str]) -> list[str]:
    """The derivgen modules an import statement loads (``from pkg import module`` names the module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in names]
    base = node.module or ""
    if node.level:
        anchor = m.package.split(".")[: len(m.package.split(".")) - node.level + 1]
        base = ".".join(anchor + ([node.module] if node.module else []))
    if base not in names:
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in names else base for a in node.names]


def row_of(unit: str) -> int | None:
    """Which row of the layer map a unit is in (0 is the top); None if it is not placed."""
    return next((n for n, (_, units, _) in enumerate(LAYERS) if unit in units), None)


def against_the_map(found: list[Import]) -> list[Import]:
    """Imports of a unit from its own row or from a row above (units not placed are not judged)."""
    bad = []
    for imp in found:
        src, dst = imp.source.unit, unit_of(imp.target)
        a, b = row_of(src), row_of(dst)
        if src != dst and a is not None and b is not None and b <= a:
            bad.append(imp)
    return bad


def circles(found: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        graph.setdefault(imp.source.name, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


# --- the sections ------------------------------------------------------------------------------


def layers_section(mods: list[Module]) -> str:
    by_name = {m.name: m for m in mods}
    units = sorted({m.unit for m in mods})
    lines = ["```"]
    for label, names, what in LAYERS:
        shown = "   ".join(_unit_label(u, by_name) for u in names)
        lines.append(f"{shown:<32} {label:<12} {what}")
    lines += ["```", "", "Each unit imports only from the rows below its own, never from its own row.", "",
              "| unit | row | what it is |", "|---|---|---|"]
    for _, names, _ in LAYERS:
        for u in names:
            row = LAYERS[row_of(u) or 0][0]
            lines.append(f"| {_unit_link(u, by_name)} | {row} | {_unit_summary(u, by_name)} |")
    unplaced = [u for u in units if row_of(u) is None]
    for u in unplaced:
        lines.append(f"| {_unit_link(u, by_name)} | *not in the layer map yet* "
                     f"| {_unit_summary(u, by_name)} |")
    found = imports(mods)
    bad = against_the_map(found)
    lines += ["", "Imports against the map today (function-local imports count; those under "
              "`if TYPE_CHECKING:` do not):", ""]
    lines += [f"- `{i.source.shown}:{i.line}` imports `{i.target}` ({i.source.unit} → {unit_of(i.target)})"
              for i in bad] or ["- none"]
    lines += ["", "Import circles (modules that import each other, directly or round a circle):", ""]
    lines += [f"- {' ↔ '.join(f'`{n}`' for n in group)}" for group in circles(found)] or ["- none"]
    return "\n".join(lines)


def _unit_label(unit: str, by_name: dict[str, Module]) -> str:
    return f"{unit}/" if f"derivgen.{unit}" in by_name and by_name[f"derivgen.{unit}"].is_package else unit


def _unit_module(unit: str, by_name: dict[str, Module]) -> Module | None:
    return by_name.get("derivgen" if unit == "__init__" else f"derivgen.{unit}")


def _unit_link(unit: str, by_name: dict[str, Module]) -> str:
    m = _unit_module(unit, by_name)
    if m and (not m.is_package or unit == "__init__"):
        return f"`{m.shown}`"
    return f"`{_unit_label(unit, by_name)}`"


def _unit_summary(unit: str, by_name: dict[str, Module]) -> str:
    m = _unit_module(unit, by_name)
    return _cell(m.summary) if m and m.summary else "*(its `__init__.py` has no docstring)*"


def walk_section() -> str:
    lines = ["| # | stage | function | its docstring | for least squares |", "|---|---|---|---|---|"]
    for n, (stage, dotted, what) in enumerate(WALK, 1):
        fn = resolve(dotted)
        said = summary(inspect.getdoc(fn)) or "*(no docstring)*"
        lines.append(f"| {n} | {stage} | `{_cell(dotted + _signature(fn))}` | {_cell(said)} | {what} |")
    return "\n".join(lines)


def resolve(dotted: str) -> object:
    """The function a dotted name names (module, then attributes); a clear error if it moved."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as e:
            if e.name and not ".".join(parts[:cut]).startswith(e.name):
                raise SystemExit(f"scripts/architecture.py: cannot import {dotted}: {e}") from e
            continue  # not a module: the name goes on with attributes
        except ImportError as e:
            raise SystemExit(f"scripts/architecture.py: cannot import {dotted}: {e}") from e
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            break
        return obj
    raise SystemExit(f"scripts/architecture.py: WALK names {dotted}, which does not exist any more; "
                     "update WALK to where that step lives now")


def _signature(fn: object) -> str:
    try:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    params = [p for p in sig.parameters.values() if p.name != "self"]
    text = "(" + ", ".join(_param(p) for p in params) + ")"
    ret = sig.return_annotation
    if ret is not inspect.Signature.empty:
        text += f" -> {ret if isinstance(ret, str) else inspect.formatannotation(ret)}"
    return text


def _param(p: inspect.Parameter) -> str:
    if p.kind is p.VAR_POSITIONAL:
        return f"*{p.name}"
    if p.kind is p.VAR_KEYWORD:
        return f"**{p.name}"
    return p.name if p.default is p.empty else f"{p.name}={p.default!r}"


def modules_section(mods: list[Module]) -> str:
    packages = sorted({m.package for m in mods}, key=_package_order)
    lines: list[str] = []
    for pkg in packages:
        members = [m for m in mods if m.package == pkg and not (m.is_package and m.name != pkg)]
        head = next(m for m in members if m.name == pkg)
        folder = head.path.parent.relative_to(ROOT).as_posix()
        title = "`derivgen/` (the top level)" if pkg == "derivgen" else f"`{folder}/`"
        # No line counts: the map changes when a module comes, goes or says something else, not
        # with every edit (`wc -l` gives the sizes).
        lines += [f"### {title}", "", head.summary and _cell(head.summary), "",
                  "| module | what it is |", "|---|---|"]
        for m in sorted(members, key=lambda m: (not m.is_package, m.name)):
            lines.append(f"| `{m.shown}` | {_cell(m.summary) or '*(no docstring)*'} |")
        lines.append("")
    lines.append(f"{len(mods)} modules.")
    return "\n".join(line for n, line in enumerate(lines) if not (line == "" and n and lines[n - 1] == ""))


def _package_order(pkg: str) -> tuple[int, str]:
    """Packages in the layer map's order bottom-up (the pipeline's order), the top level first."""
    if pkg == "derivgen":
        return (-1, pkg)
    row = row_of(unit_of(pkg))
    return (len(LAYERS) - row if row is not None else len(LAYERS) + 1, pkg)


def _cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").strip()


# --- the file ------------------------------------------------------------------------------------


def sections() -> dict[str, str]:
    mods = modules()
    return {"layers": layers_section(mods), "walk": walk_section(), "modules": modules_section(mods)}


def regenerate(text: str, generated: dict[str, str]) -> str:
    """``text`` with every generated section replaced; an error if a section's markers are missing."""
    for name, body in generated.items():
        pattern = re.compile(re.escape(BEGIN.format(name)) + r"\n.*?" + re.escape(END.format(name)), re.S)
        found = pattern.search(text)
        if found is None:
            raise SystemExit(f"{DOC.relative_to(ROOT)}: no '{BEGIN.format(name)}' ... '{END.format(name)}' "
                             "markers; put them where the section belongs")
        text = f"{text[:found.start()]}{BEGIN.format(name)}\n{body}\n{END.format(name)}{text[found.end():]}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    old = DOC.read_text(encoding="utf-8")
    new = regenerate(old, sections())
    if args.check:
        if new == old:
            return 0
        diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "docs/architecture.md (now)",
                                    "docs/architecture.md (from the code)", lineterm="", n=0)
        print("\n".join(diff))
        print(f"\ndocs/architecture.md is out of date; regenerate it with: {COMMAND}")
        return 1
    if new != old:
        DOC.write_text(new, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
