"""The example course site (site/): derivgen's pages built by MkDocs, Sphinx, Hugo and Jekyll for real.

Each test runs ``site/build.sh GENERATOR`` on a copy of ``site/`` with four
problems of the bank (two sheets, titled by the bank's ``derivgen.yaml``), and
checks what a reader of the built site would see: the sheets' titles in the
navigation, every formula handed to the math renderer (none left as Markdown
text), one heading per page, links that lead to pages.  A generator that is
not installed is skipped; ``setup.sh`` installs all four.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems"
PROBLEMS = ["1-scalar/chain-rule-2x-plus-1.yaml", "1-scalar/logistic-sigmoid.yaml",
            "3-matrix/least-squares.yaml", "3-matrix/gradient-Ax-by-A.yaml"]
SHEET_1 = "Sheet 1: differentiation of univariate functions"
SHEET_3 = "Sheet 3: gradients of vectors and matrices"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str | None:
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name)


def _site(tmp_path: Path, generator: str, tool: str, **env: str) -> Path:
    """``site/build.sh generator`` on a copy of site/ and four problems of the bank; the copy."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "site", site, ignore=_generated)
    bank = tmp_path / "problems"
    for rel in ["derivgen.yaml", *PROBLEMS]:
        (bank / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BANK / rel, bank / rel)
    derivgen = _tool("derivgen") or "derivgen"
    variables = {**os.environ, "DERIVGEN": derivgen, "PYTHON": sys.executable,
                 tool.upper().replace("-", "_"): _tool(tool) or tool, "NO_MKDOCS_2_WARNING": "1", **env}
    done = subprocess.run(["bash", str(site / "build.sh"), generator, str(bank)], capture_output=True,
                          text=True, env=variables, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def _generated(folder: str, names: list[str]) -> set[str]:
    """What an earlier ``site/build.sh`` wrote into the working tree (site/.gitignore): not copied."""
    here = Path(folder)
    if here.name == "jekyll":
        return {n for n in names if n not in ("_config.yml", "_layouts")}
    built = {"docs", "content", "_site", "_build", "public", "static", "_static", ".hugo_build.lock"}
    return {n for n in names if n in built and here.name in ("mkdocs", "sphinx", "hugo")}


def _needs(tool: str) -> None:
    if _tool(tool) is None:
        pytest.skip(f"{tool} is not installed (setup.sh installs it)")


def _text(html: str) -> str:
    """What a reader sees of a page, roughly: tags, scripts and styles removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def _links_resolve(built: Path, page: Path, html: str) -> list[str]:
    """The relative links of ``page`` that lead nowhere in the built site."""
    missing = []
    for href in re.findall(r'href="([^"#?]+)"', html):
        if re.match(r"[a-z]+:|/", href) or href.endswith((".css", ".js")):
            continue
        target = (page.parent / href).resolve()
        if not (target.is_file() or (target / "index.html").is_file()):
            missing.append(href)
    return missing


@pytest.mark.slow
def test_mkdocs_material_strict_with_sheet_titles(tmp_path: Path) -> None:
    pytest.importorskip("material")
    _needs("mkdocs")
    built = _site(tmp_path, "mkdocs", "mkdocs") / "mkdocs" / "_site"
    page = (built / "3-matrix" / "md" / "least-squares" / "index.html").read_text(encoding="utf-8")
    nav = page.split('<nav class="md-nav md-nav--primary"', 1)[1].split('<div class="md-content"', 1)[0]
    assert SHEET_1 in nav and SHEET_3 in nav
    assert not re.search(r">\s*(Md|1 scalar|3 matrix)\s*<", nav), "folder names in the navigation"
    assert page.count('<div class="arithmatex">') >= 5 and '<span class="arithmatex">' in page
    assert "$" not in _text(page.split('<article', 1)[1].split("</article>", 1)[0])


@pytest.mark.slow
def test_sphinx_myst_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    pytest.importorskip("myst_parser")
    _needs("sphinx-build")
    built = _site(tmp_path, "sphinx", "sphinx-build") / "sphinx" / "_build"
    index = (built / "index.html").read_text(encoding="utf-8")
    assert f'<span class="caption-text">{SHEET_3}</span>' in index
    assert 'href="3-matrix/md/least-squares.html"' in index
    page = (built / "3-matrix" / "md" / "least-squares.html").read_text(encoding="utf-8")
    assert page.count('<div class="math notranslate nohighlight">') >= 5
    assert "$" not in _text(page.split('<div class="body"', 1)[1].split('<div class="sphinxsidebar"', 1)[0])
    assert "katex/katex.min.js" in page  # offline: no MathJax from a CDN


@pytest.mark.slow
def test_hugo_passthrough_typesets_every_formula(tmp_path: Path) -> None:
    _needs("hugo")
    built = _site(tmp_path, "hugo", "hugo") / "hugo" / "public"
    page_path = built / "3-matrix" / "md" / "gradient-ax-by-a" / "index.html"
    page = page_path.read_text(encoding="utf-8")
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    assert main.count("<h1") == 1 and "Problem 3.1: Gradient of a vector with respect to a matrix" in main
    assert main.count('class="katex-display"') >= 5 and main.count('class="katex"') >= 10
    seen = re.sub(r'<span class="katex">.*?</annotation>', "", main, flags=re.S)  # the TeX KaTeX keeps
    assert not re.search(r"\\\(|\$|e_j|A_\{?ij", _text(seen)), "formulas left as text"
    home = built / "index.html"
    html = home.read_text(encoding="utf-8")
    assert SHEET_3 in html and "3-matrix/md/gradient-ax-by-a/" in html
    assert _links_resolve(built, home, html) == []
    section = (built / "3-matrix" / "index.html").read_text(encoding="utf-8")
    assert f"<h1>{SHEET_3}</h1>" in section


@pytest.mark.slow
def test_jekyll_kramdown_math_and_links(tmp_path: Path) -> None:
    _needs("jekyll")
    built = _site(tmp_path, "jekyll", "jekyll") / "jekyll" / "_site"
    page_path = built / "3-matrix" / "md" / "gradient-Ax-by-A.html"
    page = page_path.read_text(encoding="utf-8")
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    assert main.count("<h1") == 1
    # kramdown read every $$...$$ as math: \(..\) inline and \[..\] displayed, the TeX intact
    assert main.count("\\[") >= 5 and main.count("\\(") >= 3 and "$" not in main
    assert r"\sum_{j=1}^{N} A_{ij} x_{j}" in main and main.count("<em>") == 1  # the source line only
    home = built / "index.html"
    html = home.read_text(encoding="utf-8")
    assert SHEET_1 in html and 'href="3-matrix/md/gradient-Ax-by-A.html"' in html
    assert _links_resolve(built, home, html) == []


def test_docs_show_the_site_configurations() -> None:
    """docs/sites.md quotes each configuration of the example site as it is."""
    doc = (ROOT / "docs" / "sites.md").read_text(encoding="utf-8")
    for rel in ["mkdocs/mkdocs.yml", "sphinx/conf.py", "hugo/hugo.toml",
                "hugo/layouts/_default/_markup/render-passthrough.html", "jekyll/_config.yml"]:
        text = (ROOT / "site" / rel).read_text(encoding="utf-8")
        assert text.strip() in doc, f"docs/sites.md does not show site/{rel} as it is"
