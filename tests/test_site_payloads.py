"""Payloads aimed at course sites, built and rendered the way a site renders them; nothing may run.

The problem files of ``tests/fixtures/site_payloads/`` (and one whose file
name is the payload) are built with every Markdown flavour, then rendered
as sites do: MkDocs Material (arithmatex, attr_list), a CommonMark renderer
that passes raw HTML and any link through (markdown-it-py with ``html=True``,
as Pandoc, kramdown and MyST do), and Liquid then Markdown for Jekyll.  Each
page is checked statically (no payload script, event handler or
``javascript:`` link in it) and, with Chromium installed, loaded headless:
every payload sets ``data-pwned`` on ``<html>`` when it runs.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PAYLOADS = Path(__file__).parent / "fixtures" / "site_payloads"
ROOT = Path(__file__).parent.parent
#: A problem whose file name (its default id) is a payload.
BAD_NAME = "x'<img src=x onerror=\"document.documentElement.dataset.pwned=1\">.yaml"
FLAVOURS = ("standard", "jekyll", "hugo")
MKDOCS_YML = """\
site_name: payloads
theme:
  name: material
markdown_extensions:
  - attr_list
  - md_in_html
  - pymdownx.arithmatex:
      generic: true
"""


def _build(src: Path, out: Path, flavour: str) -> subprocess.CompletedProcess[str]:
    # The payloads hold broken math on purpose ($$ across a blank line, a brace never closed): the
    # math check at load would refuse them before the escaping tested here.
    env = dict(os.environ, PYTHONPATH=str(ROOT), DERIVGEN_MATH_CHECK="off")
    env.pop("DERIVGEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "derivgen", "build", str(src), "-o", str(out), "--format", "md,json",
         "-j", "1", "--flavour", flavour], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("payloads")
    src = root / "src"
    shutil.copytree(PAYLOADS, src)
    shutil.copy(PAYLOADS / "front_matter.yaml", src / BAD_NAME)
    outs = {}
    for flavour in FLAVOURS:
        done = _build(src, root / flavour, flavour)
        assert done.returncode == 1, done.stderr  # failure_message.yaml and the bad file name fail
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
        (root / f"{flavour}.stderr").write_text(done.stderr, encoding="utf-8")
        outs[flavour] = root / flavour
    return outs


def _md_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.md"))


class _Findings(html.parser.HTMLParser):
    """What would run in a page: scripts, event handlers and script URLs that come from a payload."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "pwned" in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            plain = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in ("href", "src", "action", "formaction", "data") and \
                    plain.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "pwned" in data:
            self.found.append(f"<script>{data[:80]}")


def assert_inert(page: str, where: str) -> None:
    parser = _Findings()
    parser.feed(page)
    assert not parser.found, f"{where}: {parser.found}"


def _commonmark(text: str) -> str:
    """A CommonMark renderer that lets raw HTML and every link through (no validateLink)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md.render(re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S))


def _pages_commonmark(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): _commonmark(p.read_text(encoding="utf-8")) for p in _md_files(out)}


def _pages_liquid(out: Path) -> dict[str, str]:
    liquid = pytest.importorskip("liquid")
    env = liquid.Environment()
    pages = {}
    for p in _md_files(out):
        text = p.read_text(encoding="utf-8")
        body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # Jekyll renders the body only
        pages[str(p.relative_to(out))] = _commonmark(env.from_string(body).render())
    return pages


def test_stderr_shows_control_characters_escaped(built: dict[str, Path]) -> None:
    err = (built["standard"].parent / "standard.stderr").read_text(encoding="utf-8")
    assert "\x1b" not in err and "\r" not in err and "\x07" not in err, repr(err)
    assert "\\x1b" in err  # shown, not dropped: the user sees what the file holds
    assert not any(line.startswith("built 99") for line in err.splitlines())
    assert "file name is no valid id" in err


def test_front_matter_is_quoted_text(built: dict[str, Path]) -> None:
    import yaml

    for flavour, out in built.items():
        for p in _md_files(out):
            text = p.read_text(encoding="utf-8")
            if not text.startswith("---\n"):
                continue
            meta = yaml.safe_load(text.split("---\n")[1])
            for value in [meta.get("title", ""), *meta.get("tags", [])]:
                assert "<" not in value.replace("< ", "") and "{{" not in value and "{%" not in value, \
                    (flavour, p.name, value)
                assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value), (flavour, p.name, value)


def test_no_control_characters_in_markdown(built: dict[str, Path]) -> None:
    for out in built.values():
        for p in [*_md_files(out), _index(out)]:
            text = p.read_text(encoding="utf-8")
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", text), p


def _index(out: Path) -> Path:
    """The home page a build wrote: Hugo's is ``_index.md``."""
    return out / ("_index.md" if out.name == "hugo" else "index.md")


def test_ids_from_file_names_are_checked(built: dict[str, Path]) -> None:
    for out in built.values():
        assert not any("img" in p.name for p in out.rglob("*")), sorted(out.rglob("*"))
        index = _index(out).read_text(encoding="utf-8")
        page = {"standard": "front_matter.md", "jekyll": "front_matter.html", "hugo": "front_matter/"}[out.name]
        assert f"](src/md/{page})" in index  # the address the generator serves the page at


def test_template_syntax_is_neutralised(built: dict[str, Path]) -> None:
    for p in _md_files(built["jekyll"]):
        text = p.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, (p.name, re.findall(r".{30}\{[{%].{30}", text))
    for p in _md_files(built["hugo"]):
        text = p.read_text(encoding="utf-8")
        assert "{{<" not in text and "{{%" not in text, p.name


def test_commonmark_pages_are_inert(built: dict[str, Path]) -> None:
    for flavour, out in built.items():
        pages = _pages_commonmark(out)
        assert len(pages) >= 6
        for name, page in pages.items():
            assert_inert(page, f"{flavour}/{name}")
    links = _pages_commonmark(built["standard"])["src/md/links.md"]
    assert 'href="https://mml-book.github.io"' in links and 'href="../other.md"' in links


def test_liquid_then_markdown_is_inert(built: dict[str, Path]) -> None:
    pages = _pages_liquid(built["jekyll"])
    for name, page in pages.items():
        assert_inert(page, f"jekyll+liquid/{name}")
        assert "%3Cimg" in page or "templates" not in name  # the Liquid source is shown as text


def _mkdocs_site(out: Path, tmp_path: Path) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    docs = tmp_path / "docs"
    shutil.copytree(out, docs, ignore=shutil.ignore_patterns("json", "*.json"))
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return tmp_path / "site"


@pytest.mark.slow
def test_mkdocs_site_is_inert(built: dict[str, Path], tmp_path: Path) -> None:
    site = _mkdocs_site(built["standard"], tmp_path)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 6
    for p in pages:
        assert_inert(p.read_text(encoding="utf-8"), str(p.relative_to(site)))
    title = (site / "src" / "md" / "front_matter" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>Gradient\s", title)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if (path := shutil.which(name)) is not None:
            return path
    pytest.skip("no Chromium")


def _dom(browser: str, page: Path) -> str:
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                           "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_nothing_runs_in_chromium(built: dict[str, Path], tmp_path: Path) -> None:
    browser = _chromium()
    pages: list[Path] = []
    site = _mkdocs_site(built["standard"], tmp_path / "mkdocs")
    pages += [p for p in site.rglob("index.html") if "md" in p.parts or p.parent == site]
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    sources = {f"cm-{flavour}": _pages_commonmark(out) for flavour, out in built.items()}
    sources["liquid-jekyll"] = _pages_liquid(built["jekyll"])
    for label, group in sources.items():
        for name, body in group.items():
            path = rendered / (label + "-" + name.replace("/", "_") + ".html")
            path.write_text(f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>",
                            encoding="utf-8")
            pages.append(path)
    for page in pages:
        dom = _dom(browser, page)
        head = dom[:dom.find(">", dom.find("<html")) + 1]
        assert "data-pwned" not in head, f"a payload ran in {page}"
        assert "PWNED" not in dom
        assert_inert(dom, str(page))
