"""HTML pages: KaTeX vendored in derivgen (never a CDN), every formula typeset in headless Chromium."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest_render import ALL, least_squares

from derivgen.errors import RenderError
from derivgen.render import html as html_mod
from derivgen.render.html import (
    BUNDLED_KATEX,
    MIN_KATEX,
    copy_katex_assets,
    katex_assets,
    katex_version,
    render_problem_html,
    render_sheet_html,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--virtual-time-budget=10000"]

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium missing: apt-get install -y chromium")


def chromium(page: Path, tmp: Path, *args: str) -> str:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def formulas(html: str) -> int:
    return len(re.findall(r'class="math (?:inline|display)"', html))


def assert_all_typeset(page: Path, tmp: Path) -> None:
    expected = formulas(page.read_text(encoding="utf-8"))
    dom = chromium(page, tmp, "--dump-dom")
    assert expected > 0
    assert dom.count('class="katex-error"') == 0
    assert dom.count('<span class="katex">') == expected


@needs_chromium
@pytest.mark.slow
def test_sheet_renders_every_formula_offline(tmp_path: Path) -> None:
    items = [ALL[n]() for n in sorted(ALL)]
    page = tmp_path / "sheet.html"
    page.write_text(render_sheet_html("Vector calculus: worked examples", items), encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    assert_all_typeset(page, tmp_path)
    chromium(page, tmp_path, "--window-size=1000,2400", f"--screenshot={tmp_path / 'sheet.png'}")
    assert (tmp_path / "sheet.png").stat().st_size > 10_000


@needs_chromium
@pytest.mark.slow
def test_linked_assets_page_works_from_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    copy_katex_assets(out / "katex")
    problem, derivations = ALL["k-rtr"]()
    page = out / "k-rtr.html"
    page.write_text(render_problem_html(problem, derivations, assets="katex"), encoding="utf-8")
    assert (out / "katex" / "fonts").is_dir() and 'href="katex/katex.min.css"' in page.read_text()
    assert_all_typeset(page, tmp_path)


def test_statement_markdown_and_math_survive() -> None:
    problem, derivations = least_squares()
    page = render_problem_html(problem, derivations)
    assert '<span class="math inline">\\boldsymbol{y} \\approx' in page
    assert "<p>Find its gradient.</p>" in page
    assert "Checked against central finite differences" in page


def test_missing_katex_gives_one_line_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(html_mod, "BUNDLED_KATEX", tmp_path / "nowhere")
    monkeypatch.delenv("DERIVGEN_KATEX_DIR", raising=False)
    with pytest.raises(RenderError, match=r"^KaTeX not found: the copy vendored in derivgen/render/katex is missing"):
        katex_assets()


def test_the_vendored_katex_is_used_and_has_the_edef_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """CVE-2024-28243 (``\\edef`` expanding without bound) is fixed from KaTeX 0.16.10 on."""
    monkeypatch.delenv("DERIVGEN_KATEX_DIR", raising=False)
    assert katex_assets() == BUNDLED_KATEX
    version = katex_version(BUNDLED_KATEX)
    assert version is not None and version >= MIN_KATEX >= (0, 16, 10)
    fonts = {p.name for p in (BUNDLED_KATEX / "fonts").iterdir()}
    css = (BUNDLED_KATEX / "katex.min.css").read_text(encoding="utf-8")
    assert set(re.findall(r"fonts/([\w-]+\.woff2)", css)) == fonts  # every font the page inlines, no more
    assert "0.19.1" in (BUNDLED_KATEX / "README.md").read_text(encoding="utf-8")


def test_an_old_katex_named_by_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = tmp_path / "dist"
    (old / "fonts").mkdir(parents=True)
    (old / "katex.min.css").write_text("", encoding="utf-8")
    (old / "katex.min.js").write_text('!function(){var x={version:"0.16.4"}}();', encoding="utf-8")
    monkeypatch.setenv("DERIVGEN_KATEX_DIR", str(old))
    with pytest.raises(RenderError, match=r"KaTeX 0\.16\.4 is older than 0\.16\.10 \(CVE-2024-28243"):
        katex_assets()


def test_pages_typeset_with_bounded_expansion() -> None:
    problem, derivations = least_squares()
    page = render_problem_html(problem, derivations)
    assert 'throwOnError: false' in page and "maxExpand: 1000" in page


#: CVE-2024-28243's shape: every \edef doubles the macro, 2^40 tokens without a bound on expansion.
BOMB = r"\def\a{xx}" + r"\edef\a{\a\a}" * 40 + r"\a"


@needs_chromium
@pytest.mark.slow
def test_a_macro_bomb_in_a_statement_ends_in_an_error_box_quickly(tmp_path: Path) -> None:
    problem, derivations = least_squares()
    problem = dataclasses.replace(problem, statement=f"Harmless ${BOMB}$ and $x^2$.")
    page = tmp_path / "bomb.html"
    page.write_text(render_problem_html(problem, derivations), encoding="utf-8")
    start = time.monotonic()
    dom = chromium(page, tmp_path, "--dump-dom")
    assert time.monotonic() - start < 30
    assert dom.count('class="katex-error"') == 1
    assert "Too many expansions" in dom
    assert dom.count('<span class="katex">') == formulas(page.read_text(encoding="utf-8")) - 1
