"""Faults while building: each problem isolated, clear messages, consistent output (issue 15, items 3-4).

A problem that hangs inside C code, eats memory or kills its worker fails
alone; the renderer's own markers cannot be written by a user; the output
folder's faults (read-only, full, symlinks, long names, temp files of a killed
build, a forged manifest) end in a plain message and exit code 1, never an
internal error; huge files are not read whole; ``templates:`` stays in the
project; exam points must be finite.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import fakestages as fake
import pytest

from derivgen.build import workers
from derivgen.build.pipeline import build
from derivgen.build.report import BuildReport
from derivgen.cli import main

FORMATS = ("md", "json", "tex", "html")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(src: Path, out: Path, **kw: object) -> BuildReport:
    kw.setdefault("formats", FORMATS)
    kw.setdefault("jobs", 1)
    kw.setdefault("stages", fake.stages(derive=derive))
    return build([src], out, **kw)  # type: ignore[arg-type]


def derive(problem: fake.FakeProblem) -> list:
    """The fake derive, and ways to misbehave that a signal handler in the worker cannot stop."""
    if problem.fail == "hang":  # like NumPy inside einsum: SIGALRM never gets through
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    if problem.fail == "memory":
        return [("find", fake.FakeDerivation("f", "x", str(len(bytearray(4 << 30)))))]
    if problem.fail == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return fake.derive(problem)


def two_good_one_bad(tmp: Path, fail: str) -> Path:
    src = tmp / "problems"
    fake.write_problem(src, "alpha", value="2")
    fake.write_problem(src, "bad", value="3", fail=fail)
    fake.write_problem(src, "gamma", value="5")
    return src


# --- item 3: one problem never stops the others --------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 3])
def test_a_problem_stuck_where_signals_cannot_reach_is_killed_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     jobs: int) -> None:
    monkeypatch.setattr(workers, "MAX_SECONDS_PER_PROBLEM", 1.5)
    src, out = two_good_one_bad(tmp_path, "hang"), tmp_path / "out"
    t0 = time.monotonic()
    report = run(src, out, jobs=jobs)
    assert time.monotonic() - t0 < 20
    assert [f.file for f in report.failures] == ["problems/bad.yaml"]
    assert "longer than derivgen's limit of 1.5 s" in report.failures[0].errors[0]
    assert report.failures[0].internal is None
    assert (out / "problems/md/alpha.md").is_file() and (out / "problems/md/gamma.md").is_file()


def test_a_problem_over_the_memory_limit_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "MAX_BYTES_PER_PROBLEM", 256 << 20)
    src, out = two_good_one_bad(tmp_path, "memory"), tmp_path / "out"
    report = run(src, out)
    assert [f.file for f in report.failures] == ["problems/bad.yaml"]
    assert "memory" in report.failures[0].errors[0] and "256 MiB" in report.failures[0].errors[0]
    assert (out / "problems/md/gamma.md").is_file()


def test_a_worker_that_dies_spoils_only_its_problem(tmp_path: Path) -> None:
    src, out = two_good_one_bad(tmp_path, "die"), tmp_path / "out"
    report = run(src, out, jobs=2)
    assert [f.file for f in report.failures] == ["problems/bad.yaml"]
    assert "ended without a result" in report.failures[0].errors[0]
    assert (out / "problems/md/alpha.md").is_file() and (out / "problems/md/gamma.md").is_file()


def test_the_math_marker_in_a_statement_is_text(tmp_path: Path) -> None:
    from derivgen.render.html import markdown_html

    for text in ("DGMATH0X and DGMATH7X, then $a$", "&#68;GMATH0X $b$ DGMATHQ0X", "[r]: $c$\n\nDGMATH0X $d$"):
        html = str(markdown_html(text))
        assert "DGMATH0X" in html and "DGMATHQQ" not in html
        assert html.count('class="math inline"') == text.count("$") // 2 - ("[r]:" in text)
    src = tmp_path / "problems"
    src.mkdir()
    (src / "marker.yaml").write_text("title: Marker\nstatement: 'Find DGMATH0X and DGMATH9X of $f$.'\n"
                                     "given: {x: scalar}\ndefine: {f: x**2}\nfind: [df/dx]\n")
    (src / "good.yaml").write_text("title: Good\ngiven: {x: scalar}\ndefine: {f: x**3}\nfind: [df/dx]\n")
    assert main(["build", str(src), "-o", str(tmp_path / "out"), "--format", "md,json,html", "-q",
                 "--no-cache"]) == 0
    page = next((tmp_path / "out").rglob("*.html")).read_text()
    assert "Find DGMATH0X and DGMATH9X of" in page
    assert json.loads((tmp_path / "out/index.json").read_text())["failures"] == []
