"""HTML pages: KaTeX from the system (never a CDN), every formula typeset in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest_render import ALL, least_squares

from derivgen.errors import RenderError
from derivgen.render import html as html_mod
from derivgen.render.html import copy_katex_assets, katex_assets, render_problem_html, render_sheet_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--virtual-time-budget=10000"]

needs_katex = pytest.mark.skipif(not Path("/usr/share/javascript/katex/katex.min.js").exists()
                                 and not __import__("os").environ.get("DERIVGEN_KATEX_DIR"),
                                 reason="KaTeX missing: apt-get install -y libjs-katex")
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


@needs_katex
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


@needs_katex
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


@needs_katex
def test_statement_markdown_and_math_survive() -> None:
    problem, derivations = least_squares()
    page = render_problem_html(problem, derivations)
    assert '<span class="math inline">\\boldsymbol{y} \\approx' in page
    assert "<p>Find its gradient.</p>" in page
    assert "Checked against central finite differences" in page


def test_missing_katex_gives_one_line_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(html_mod, "DEBIAN_KATEX", tmp_path / "nowhere")
    monkeypatch.setenv("DERIVGEN_KATEX_DIR", str(tmp_path / "nowhere-either"))
    with pytest.raises(RenderError, match=r"^KaTeX not found: install it with `apt-get install -y libjs-katex`"):
        katex_assets()
