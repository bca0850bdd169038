"""Hostile and broken problem files, through the real command line.

Each file of ``tests/fixtures/hostile/`` is given to ``derivgen check`` and
``derivgen build`` in a subprocess with a bounded address space and a time
limit.  A problem file is data: whatever it holds, derivgen must answer with
``FILE:LINE:COL: message`` lines (``FILE: message`` for a fault of the whole
file), exit 1, print no traceback, run nothing (the files try to create
``/tmp/derivgen_pwned_*``), and write nothing outside the ``-o`` folder.
TeX in titles and statements must come out as harmless text.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
PROBLEMS = Path(__file__).parent.parent / "problems"
ROOT = Path(__file__).parent.parent
TIME_LIMIT = 10.0
MEMORY_LIMIT = 1 << 30
MARKER_GLOBS = ("derivgen_pwned*", "derivgen_escaped*")

#: Valid problems with TeX in them: they build, and the TeX shows as text.
TEX_FILES = ("tex_title.yaml", "latex_override.yaml")
#: A valid problem with raw HTML in its text: it builds, and the HTML shows as text.
HTML_FILES = ("html_title.yaml",)
#: Faults of the whole file, with no line to point at.
WHOLE_FILE = {"empty.yaml", "whitespace_only.yaml", "binary.yaml", "elf_header.yaml", "utf16.yaml",
              "no_find.yaml", "no_title.yaml"}
#: Reported to their owners; each is expected to fail until fixed (strict xfail).
REPORTED: dict[str, str] = {}
ERROR_FILES = sorted(p.name for p in HOSTILE.glob("*.yaml") if p.name not in TEX_FILES + HTML_FILES)


@dataclass
class Run:
    code: int | None
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def _limits() -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def derivgen(args: list[str], cwd: Path, timeout: float = TIME_LIMIT, **extra_env: str) -> Run:
    """The real CLI in a subprocess: 1 GiB of address space, killed (with its workers) after timeout."""
    env = dict(os.environ, TMPDIR=str(cwd / "tmp"), PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
               **extra_env)
    env.pop("DERIVGEN_DEBUG", None)
    (cwd / "tmp").mkdir(exist_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "derivgen", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limits,  # safe: the test runs no threads
                            errors="replace")
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return Run(code, out, err, time.monotonic() - start)


def markers() -> list[Path]:
    return [p for g in MARKER_GLOBS for p in Path("/tmp").glob(g)]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(autouse=True)
def nothing_executed():  # type: ignore[no-untyped-def]
    before = markers()
    yield
    assert markers() == before, f"a problem file ran code: {markers()}"


def workspace(tmp_path: Path, *files: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for f in files:
        shutil.copy(f, src / f.name)
    return src


def assert_diagnostics(run: Run, path: str, whole_file: bool = False) -> None:
    assert run.code is not None, f"still running after {TIME_LIMIT} s\n{run.text[-2000:]}"
    assert run.seconds < TIME_LIMIT, f"took {run.seconds:.1f} s"
    assert "Traceback" not in run.text, run.text[-3000:]
    assert "internal error" not in run.err, run.err
    assert run.code == 1, f"exit {run.code}\n{run.text[-2000:]}"
    lines = [line for line in run.err.splitlines() if not line.startswith("derivgen: ")]
    assert lines, run.err
    located = re.compile(re.escape(path) + (r":(\d+:\d+:)? \S" if whole_file else r":\d+:\d+: \S"))
    for line in lines:
        assert located.match(line), f"not FILE:LINE:COL: message: {line!r}\n{run.err}"


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason="reported: " + REPORTED[name])] if name in REPORTED else []


@pytest.mark.slow  # the whole corpus through the real CLI: 65 subprocesses, ~13 s together
@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in ERROR_FILES])
def test_check_rejects_hostile_file(name: str, tmp_path: Path) -> None:
    src = workspace(tmp_path, HOSTILE / name)
    before = tree(tmp_path)
    run = derivgen(["check", "-j", "1", f"src/{name}"], tmp_path)
    assert_diagnostics(run, f"src/{name}", whole_file=name in WHOLE_FILE)
    assert tree(tmp_path) - before <= {"tmp"} | {f"tmp/{p}" for p in tree(tmp_path / "tmp")}
    assert sorted(p.name for p in src.iterdir()) == [name]


@pytest.mark.slow  # the whole corpus through the real CLI: 65 subprocesses, ~13 s together
@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in ERROR_FILES])
def test_build_rejects_hostile_file(name: str, tmp_path: Path) -> None:
    workspace(tmp_path, HOSTILE / name)
    before = tree(tmp_path)
    run = derivgen(["build", "src", "-o", "out", "-j", "1", "--format", "md,json,tex,html"], tmp_path)
    assert_diagnostics(run, f"src/{name}", whole_file=name in WHOLE_FILE)
    created = {p for p in tree(tmp_path) - before if not p.startswith(("out", "tmp"))}
    assert not created, f"written outside the output folder: {created}"
    assert not list((tmp_path / "tmp").iterdir()), "temporary files left behind"


def test_duplicate_ids_in_one_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(HOSTILE / "dup", src)
    run = derivgen(["build", "src", "-o", "out", "-j", "1", "--format", "md,json"], tmp_path)
    assert run.code == 1 and "Traceback" not in run.text, run.text
    assert re.search(r"src/(one|two)\.yaml:\d+:\d+: .*\bsame\b", run.err), run.err


def test_one_bad_problem_among_good_ones(tmp_path: Path) -> None:
    good = sorted((PROBLEMS / "3-matrix").glob("*.yaml"))[:3]
    workspace(tmp_path, *good, HOSTILE / "py_import.yaml")
    run = derivgen(["build", "src", "-o", "out", "-j", "1", "--format", "md,json"], tmp_path, timeout=120)
    assert run.code == 1 and "Traceback" not in run.text, run.text
    for g in good:
        assert (tmp_path / "out" / "json" / f"{g.stem}.json").is_file(), sorted(tree(tmp_path / "out"))
    assert not (tmp_path / "out" / "json" / "py_import.json").exists()
    errors = [line for line in run.err.splitlines() if line.strip()]
    assert re.match(r"src/py_import\.yaml:\d+:\d+: ", errors[-2]), run.err
    assert errors[-1] == f"derivgen: 1 failed; {len(good)} of {len(good) + 1} problems built", run.err


@pytest.mark.needs_tex  # PDFs too, when TeX is installed
@pytest.mark.slow
def test_tex_in_titles_and_statements_is_text(tmp_path: Path) -> None:
    """A title, source, statement or latex override full of TeX primitives typesets as their text."""
    workspace(tmp_path, *(HOSTILE / n for n in TEX_FILES))
    formats = "md,json,tex,html" + (",pdf" if shutil.which("latexmk") else "")
    # The math check at load rejects these files (test_tex_in_math_is_refused_at_load); with it off
    # they reach the renderers, whose own escaping is what this test is about.
    run = derivgen(["build", "src", "-o", "out", "-j", "1", "--format", formats], tmp_path, timeout=180,
                   DERIVGEN_MATH_CHECK="off")
    assert run.code == 0 and "Traceback" not in run.text, run.text
    tex = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*.tex"))
    for primitive in (r"\input{", r"\write18", r"\openout", r"\catcode", r"\openin", r"\def\loop", "^^5c",
                      r"\immediate", r"\csname"):
        assert primitive not in tex, f"{primitive} reached TeX unescaped"
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex
    html = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*.html"))
    assert "<script>alert(1)</script>" not in html
    pdfs = list((tmp_path / "out").rglob("*.pdf"))
    if pdfs and shutil.which("pdftotext"):
        for pdf in pdfs:
            text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
            assert "root:" not in text and "/bin/bash" not in text, f"{pdf.name} shows /etc/passwd"
    created = {p for p in tree(tmp_path) if not p.startswith(("out", "tmp", "src"))}
    assert not created, created


def test_tex_in_math_is_refused_at_load(tmp_path: Path) -> None:
    """TeX primitives inside $...$ and latex: are unknown macros to KaTeX: errors at their place."""
    workspace(tmp_path, *(HOSTILE / n for n in TEX_FILES))
    run = derivgen(["check", "-j", "1", "src"], tmp_path)
    assert run.code == 1 and "Traceback" not in run.text, run.text
    lines = [line for line in run.err.splitlines() if not line.startswith("derivgen: ")]
    assert lines and all(re.match(r"src/\w+\.yaml:\d+:\d+: \S", line) for line in lines), run.err
    assert "src/latex_override.yaml:3:27: given.x.latex: unknown macro \\input" in run.err, run.err
    assert "src/tex_title.yaml:5:13: statement: unknown macro \\input" in run.err, run.err


def test_html_in_titles_and_statements_is_text(tmp_path: Path) -> None:
    """Raw HTML in a title, source or statement reaches no page as HTML, and is still shown."""
    from markdown_it import MarkdownIt

    workspace(tmp_path, *(HOSTILE / n for n in HTML_FILES))
    run = derivgen(["build", "src", "-o", "out", "-j", "1", "--format", "md,html"], tmp_path, timeout=60)
    assert run.code == 0 and "Traceback" not in run.text, run.text
    md_files = list((tmp_path / "out").rglob("*.md"))
    assert md_files
    # A course site's Markdown engine passes raw HTML through (CommonMark does by default);
    # the front matter is data for the site generator, which escapes it.
    bodies = [re.sub(r"\A---\n.*?\n---\n", "", p.read_text(), flags=re.S) for p in md_files]
    pages = [MarkdownIt("commonmark").render(body) for body in bodies]
    pages += [p.read_text() for p in (tmp_path / "out").rglob("*.html")]
    for page in pages:
        for tag in ("<script>alert", "<img src=x", "<iframe", "<div onmouseover", 'href="javascript:', "<!-- a comment"):
            assert tag not in page, f"{tag} reached a page as HTML"
    problem_pages = [page for page in pages if "hover" in page]
    assert problem_pages and all("&lt;script&gt;alert(3)&lt;/script&gt;" in page for page in problem_pages)
    assert any('href="https://mml-book.github.io"' in page for page in problem_pages)
    assert any("<code>&lt;b&gt;bold&lt;/b&gt;</code>" in page for page in problem_pages)
