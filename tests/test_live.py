"""`derivgen watch` and `derivgen serve`: a change to a problem file is built again, and served pages reload."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from derivgen.authoring.live import Watch, changed_sources

pytest.importorskip("watchfiles")

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ["chain-rule-2x-plus-1", "product-rule"]


def _sheet(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in PROBLEMS:
        shutil.copy(ROOT / "problems" / "1-scalar" / f"{name}.yaml", src / f"{name}.yaml")
    return src


def _until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class _Lines:
    """A subprocess's stderr, read line by line in a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True).start()

    def count(self, pattern: str) -> int:
        return sum(1 for line in list(self.lines) if re.search(pattern, line))


def _start(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], _Lines]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "derivgen", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=env)
    return process, _Lines(process)


def _stop(process: subprocess.Popen[str], lines: _Lines) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, lines.lines  # Ctrl-C ends a watch: exit code 0
    assert not any("Traceback" in line for line in lines.lines), lines.lines


def test_only_sources_outside_the_output_start_a_build(tmp_path: Path) -> None:
    w = Watch((tmp_path / "src",), tmp_path / "out", templates=tmp_path / "tpl")
    changes = [(1, str(tmp_path / "src" / "a.yaml")), (1, str(tmp_path / "src" / "notes.txt")),
               (1, str(tmp_path / "out" / "x" / "a.yaml")), (1, str(tmp_path / "tpl" / "problem.md.j2"))]
    assert changed_sources(changes, w) == [tmp_path / "src" / "a.yaml", tmp_path / "tpl" / "problem.md.j2"]


@pytest.mark.slow
def test_watch_builds_again_when_a_problem_changes(tmp_path: Path) -> None:
    src = _sheet(tmp_path)
    process, lines = _start(["watch", "src", "-o", "out", "--format", "md", "-j", "1"], tmp_path)
    try:
        page = tmp_path / "out" / "src" / "md" / "product-rule.md"
        assert _until(lambda: lines.count("watching src") == 1), lines.lines
        assert "# Problem 2: The product rule\n" in page.read_text(encoding="utf-8")
        problem = src / "product-rule.yaml"
        problem.write_text(problem.read_text(encoding="utf-8").replace(
            "title: The product rule", "title: The product rule, edited"), encoding="utf-8")
        assert _until(lambda: "The product rule, edited" in page.read_text(encoding="utf-8")), lines.lines
        assert _until(lambda: lines.count(r"2 problems \(1 built, 1 cached\), ok") == 1), lines.lines
        # a broken edit prints its error and the watch goes on
        problem.write_text("title: [\n", encoding="utf-8")
        assert _until(lambda: lines.count(r"product-rule\.yaml:\d+:\d+: ") >= 1), lines.lines
        assert process.poll() is None
    finally:
        _stop(process, lines)


@pytest.mark.slow
def test_serve_previews_the_html_and_tells_pages_to_reload(tmp_path: Path) -> None:
    src = _sheet(tmp_path)
    process, lines = _start(["serve", "src", "-o", "out", "--port", "0", "-j", "1"], tmp_path)
    try:
        assert _until(lambda: lines.count("built in") == 1), lines.lines
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", "".join(lines.lines))
        assert url is not None, lines.lines

        def get(path: str) -> str:
            with urllib.request.urlopen(url.group(1) + path, timeout=10) as response:
                return str(response.read().decode("utf-8"))

        assert 'href="/src/src.html"' in get("")
        page = get("src/src.html")
        assert "The product rule" in page and 'fetch("/__derivgen__/build"' in page
        assert page.rstrip().endswith("</html>") and page.index("__derivgen__") < page.rindex("</body>")
        before = get("__derivgen__/build")
        problem = src / "product-rule.yaml"
        problem.write_text(problem.read_text(encoding="utf-8").replace(
            "title: The product rule", "title: The product rule, edited"), encoding="utf-8")
        assert _until(lambda: get("__derivgen__/build") != before), lines.lines
        assert "The product rule, edited" in get("src/src.html")
        with pytest.raises(urllib.error.HTTPError):  # the cache and the manifest are not served
            get(".manifest.json")
    finally:
        _stop(process, lines)
