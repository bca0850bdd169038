"""The docs follow the code: ``docs/architecture.md`` is up to date, and its walk is what a build does.

The layer map, the walk and the module map are written by ``scripts/architecture.py``
from the modules' docstrings and imports; these tests fail when someone moved,
added or renamed a module (or changed a docstring's first line) without running it.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType

import pytest

from derivgen.build.typeset import tex_available

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python scripts/architecture.py"
LEAST_SQUARES = ROOT / "problems" / "3-matrix" / "least-squares.yaml"


def architecture() -> ModuleType:
    """``scripts/architecture.py``, imported as a module."""
    spec = importlib.util.spec_from_file_location("architecture", ROOT / "scripts" / "architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("architecture", module)
    spec.loader.exec_module(module)
    return module


def test_architecture_md_is_up_to_date() -> None:
    arch = architecture()
    old = arch.DOC.read_text(encoding="utf-8")
    new = arch.regenerate(old, arch.sections())
    if new != old:
        diff = "\n".join(list(difflib.unified_diff(old.splitlines(), new.splitlines(), "now", "from the code",
                                                   lineterm="", n=0))[:40])
        pytest.fail(f"docs/architecture.md is out of date; regenerate it with\n\n    {REGENERATE}\n\n"
                    f"and commit it.  What differs (first lines):\n{diff}", pytrace=False)


def test_every_module_says_what_it_is() -> None:
    """The module map is only as good as its docstrings (an empty ``__init__.py`` may be silent)."""
    silent = [m.shown for m in architecture().modules() if not m.summary and ast.unparse(m.tree).strip()]
    assert silent == [], f"modules without a docstring: {silent}"


def test_the_walk_names_a_function_at_every_step() -> None:
    arch = architecture()
    for _, dotted, what in arch.WALK:
        assert callable(arch.resolve(dotted)) and what, dotted


def step_kinds_made_by_the_engine() -> set[str]:
    """Every kind written ``Step("kind", ...)`` or ``Step(kind="kind")`` under ``derivgen/engine/``."""
    kinds = set()
    for path in (ROOT / "derivgen" / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Step":
                args = node.args[:1] + [k.value for k in node.keywords if k.arg == "kind"]
                kinds |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return kinds


def test_the_step_kinds_table_names_every_kind_the_engine_makes() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Step kinds and their facts", 1)[1]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    made = step_kinds_made_by_the_engine()
    assert made, "no Step(\"kind\", ...) found under derivgen/engine/: update this test and the table"
    assert (sorted(made - documented), sorted(documented - made)) == ([], []), (
        "docs/architecture.md, 'Step kinds and their facts': (kinds the engine makes that the table lacks, "
        "kinds in the table the engine no longer makes)")


@contextmanager
def first_calls(functions: dict[object, str]) -> Iterator[list[str]]:
    """The names in ``functions`` (code object -> name) in the order they are first called, in any thread."""
    order: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            name = functions.get(frame.f_code)
            if name is not None and name not in order:
                order.append(name)

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield order
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


@contextmanager
def in_one_process() -> Iterator[None]:
    """Problems built in this process, not in killable workers, so the profiler sees their calls."""
    from derivgen.build import workers

    before, workers.ISOLATE = workers.ISOLATE, False
    try:
        yield
    finally:
        workers.ISOLATE = before


def walk_of_a_real_build(tmp_path: Path, formats: str) -> tuple[list[str], list[str]]:
    """The walk's functions a build of least squares calls: in the walk's order, and in the order called."""
    import inspect

    from derivgen.cli import main

    arch = architecture()
    functions = {inspect.unwrap(arch.resolve(dotted)).__code__: dotted for _, dotted, _ in arch.WALK}
    with first_calls(functions) as called, in_one_process():
        code = main(["build", str(LEAST_SQUARES), "-o", str(tmp_path / "out"),
                     "--cache-dir", str(tmp_path / "cache"), "--jobs", "1", "--format", formats, "--quiet"])
    assert code == 0
    return [dotted for _, dotted, _ in arch.WALK if dotted in called], called


def test_a_build_calls_the_walk_in_its_order(tmp_path: Path) -> None:
    walk, called = walk_of_a_real_build(tmp_path, "md,json,tex,html")
    assert called == walk
    assert walk == [dotted for stage, dotted, _ in architecture().WALK if stage != "typeset"]


@pytest.mark.needs_tex
@pytest.mark.slow
@pytest.mark.skipif(tex_available() is not None, reason="TeX Live (latexmk) is needed")
def test_a_build_to_the_pdf_calls_the_whole_walk_in_its_order(tmp_path: Path) -> None:
    walk, called = walk_of_a_real_build(tmp_path, "md,json,tex,html,pdf")
    assert called == walk == [dotted for _, dotted, _ in architecture().WALK]
    assert (tmp_path / "out" / "3-matrix" / "solutions.pdf").read_bytes().startswith(b"%PDF")
