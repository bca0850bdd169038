"""A real MkDocs + Material site built from derivgen's Markdown, with --strict: the math must survive."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_render import ALL

from derivgen.render.markdown import render_problem_md

MKDOCS_YML = """\
site_name: derivgen test site
theme:
  name: material
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
nav:
  - least-squares.md
  - f-ax.md
  - k-rtr.md
  - chain-poly.md
"""

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("pymdownx")


@pytest.mark.slow
def test_mkdocs_strict_build_keeps_the_math(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    expected: dict[str, int] = {}
    for name, make in ALL.items():
        problem, derivations = make()
        problem = dataclasses.replace(problem, options={"detail": "full"})  # substeps as list items too
        md = render_problem_md(problem, derivations)
        (docs / f"{name}.md").write_text(md, encoding="utf-8")
        expected[name] = sum(1 for line in md.splitlines() if line.strip() == "$$") // 2
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    mkdocs = [sys.executable, "-m", "mkdocs"] if shutil.which("mkdocs") is None else ["mkdocs"]
    done = subprocess.run([*mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ALL:
        html = (tmp_path / "site" / name / "index.html").read_text(encoding="utf-8")
        assert html.count('<div class="arithmatex">') == expected[name]
        assert html.count('<span class="arithmatex">') >= 1
        assert "$$" not in html.split('<div class="md-content"', 1)[1].replace("\\[", "")
    ls = (tmp_path / "site" / "least-squares" / "index.html").read_text(encoding="utf-8")
    assert r"\underbrace{\frac{\partial L}{\partial \boldsymbol{e}}}_{1\times N}" in ls
    poly = (tmp_path / "site" / "chain-poly" / "index.html").read_text(encoding="utf-8")
    assert "<li>" in poly and r"4 u^{3}" in poly  # substeps are list items with their math
