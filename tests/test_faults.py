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


# --- item 4: faults end in clear messages and consistent output ----------------------------------


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["build", *args, "-q", "--format", "md,json"])
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    return code, err


def real_problem(folder: Path, name: str, pid: str | None = None, power: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    head = f"id: {pid}\n" if pid is not None else ""
    path.write_text(f"{head}title: {name}\ngiven: {{x: scalar}}\ndefine: {{f: x**{power}}}\nfind: [df/dx]\n",
                    encoding="utf-8")
    return path


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_a_plain_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real_problem(tmp_path / "problems", "a")
    (tmp_path / "out").mkdir()
    (tmp_path / "out").chmod(0o555)
    try:
        code, err = cli(capsys, "problems", "-o", "out")
    finally:
        (tmp_path / "out").chmod(0o755)
    assert code == 1 and "out: cannot write into the output folder" in err


def test_an_output_folder_that_is_a_file_is_a_plain_message(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    real_problem(tmp_path / "problems", "a")
    (tmp_path / "out").write_text("not a folder")
    code, err = cli(capsys, "problems", "-o", "out")
    assert code == 1 and "out: cannot write into the output folder" in err


@pytest.mark.parametrize("errno_", [28, 30])  # ENOSPC, EROFS
def test_a_full_or_read_only_disk_lists_the_files_and_writes_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_: int) -> None:
    from derivgen.build import atomic

    src, out = two_good_one_bad(tmp_path, ""), tmp_path / "out"
    real_write = atomic.write_bytes

    def failing(path: Path, data: bytes) -> None:
        if path.name == "bad.md":
            raise OSError(errno_, os.strerror(errno_))
        real_write(path, data)

    monkeypatch.setattr(atomic, "write_bytes", failing)
    report = run(src, out)
    errors = [e for f in report.failures for e in f.errors]
    assert errors == [f"out/problems/md/bad.md: cannot write the file: "
                      f"{'the disk is full' if errno_ == 28 else 'the file system is read-only'}"]
    assert (out / "problems/md/gamma.md").is_file() and (out / "json/bad.json").is_file()
    assert "bad.md: cannot write the file" in (out / "index.md").read_text()
    assert "problems/md/bad.md" not in json.loads((out / ".manifest.json").read_text())["files"]


def test_an_id_too_long_for_a_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real_problem(tmp_path / "problems", "long", pid="x" * 300)
    real_problem(tmp_path / "problems", "short")
    code, err = cli(capsys, "problems", "-o", "out")
    assert code == 1 and "the file name is too long" in err
    assert (tmp_path / "out/problems/md/short.md").is_file()


def test_a_symlink_inside_out_is_refused_and_the_rest_is_written(tmp_path: Path) -> None:
    src, out = two_good_one_bad(tmp_path, ""), tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "problems").mkdir(parents=True)
    (out / "problems/md").symlink_to(elsewhere)
    report = run(src, out)
    errors = [e for f in report.failures for e in f.errors]
    assert len(errors) == 3 and all("out/problems/md is a symbolic link" in e for e in errors)
    assert list(elsewhere.iterdir()) == []
    assert (out / "json/gamma.json").is_file() and (out / "problems/tex/gamma.tex").is_file()
    index = (out / "index.md").read_text()
    assert "symbolic link" in index
    (out / "problems/md").unlink()
    assert run(src, out).ok and (out / "problems/md/gamma.md").is_file()


def test_leftovers_of_a_killed_build_are_removed_on_the_next(tmp_path: Path) -> None:
    from derivgen.build import atomic

    src, out = two_good_one_bad(tmp_path, ""), tmp_path / "out"
    assert run(src, out).ok
    dead = 2 ** 22 + 12345  # above the usual pid_max: no such process
    stale_file = out / f"problems/md/{atomic.TEMP_PREFIX}{dead}-abc"
    stale_file.write_text("half")
    stale_dir = out / f".derivgen-tex-{dead}-xyz"
    (stale_dir / "0").mkdir(parents=True)
    old_style = out / f"{atomic.TEMP_PREFIX}k3j4h2"
    old_style.write_text("half")
    mine = out / f"{atomic.TEMP_PREFIX}{os.getpid()}-live"  # a build still running: left alone
    mine.write_text("in use")
    assert run(src, out).ok
    assert not stale_file.exists() and not stale_dir.exists() and not old_style.exists()
    assert mine.exists()


def test_ids_equal_but_for_case_or_unicode_form_collide(tmp_path: Path) -> None:
    src, out = tmp_path / "problems", tmp_path / "out"
    fake.write_problem(src, "one", id="Alpha")
    fake.write_problem(src, "two", id="alpha")
    fake.write_problem(src, "three", id="caf\u00e9")
    fake.write_problem(src, "four", id="cafe\u0301")
    fake.write_problem(src, "five", id="ok")
    report = run(src, out)
    errors = sorted(e for f in report.failures for e in f.errors)
    assert len(errors) == 4 and all("duplicate id" in e and "case or Unicode form" in e for e in errors)
    assert sorted(p.name for p in (out / "problems/md").iterdir()) == ["ok.md"]


def test_a_problem_and_a_sheet_that_would_write_the_same_file(tmp_path: Path) -> None:
    src, out = tmp_path / "problems", tmp_path / "out"
    fake.write_problem(src / "week1", "handout", value="2")  # writes week1/tex/handout.tex
    fake.write_problem(src / "week1/tex", "other", value="3")  # the sheet week1/tex: week1/tex/handout.tex
    fake.write_problem(src / "week1", "fine", value="4")
    report = run(src, out)
    errors = [e for f in report.failures for e in f.errors]
    assert errors and all("week1/tex/handout.tex would overwrite" in e for e in errors), errors
    assert not (out / "week1/tex/handout.tex").exists()
    assert (out / "week1/md/fine.md").is_file()


def test_a_forged_manifest_removes_no_file_derivgen_did_not_write(tmp_path: Path) -> None:
    src, out = two_good_one_bad(tmp_path, ""), tmp_path / "out"
    assert run(src, out).ok
    notes = out / "notes.md"
    notes.write_text("my own notes\n")
    data = json.loads((out / ".manifest.json").read_text())
    gone = str(tmp_path / "deleted.yaml")
    data["files"]["notes.md"] = {"owner": gone, "kind": "md", "sha256": "0" * 64}
    data["files"]["../outside.md"] = {"owner": gone, "kind": "md", "sha256": "0" * 64}
    (out / ".manifest.json").write_text(json.dumps(data))
    (tmp_path / "outside.md").write_text("outside\n")
    edited = out / "problems/md/gamma.md"
    edited.write_text("edited by hand\n")
    data["files"]["problems/md/gamma.md"]["owner"] = gone  # recorded, but its bytes changed
    (out / ".manifest.json").write_text(json.dumps(data))
    (src / "alpha.yaml").unlink()  # a real outdated file, still as written: removed
    report = run(src, out)
    assert notes.read_text() == "my own notes\n" and (tmp_path / "outside.md").exists()
    assert not (out / "problems/md/alpha.md").exists() and report.removed >= 1
    recorded = json.loads((out / ".manifest.json").read_text())["files"]
    assert all(len(e["sha256"]) == 64 for e in recorded.values())


def test_a_huge_sparse_problem_file_is_not_read_whole(tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    src = tmp_path / "problems"
    real_problem(src, "good")
    with open(src / "huge.yaml", "wb") as f:
        f.truncate(3 << 30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "derivgen", "build", str(src), "-o", str(tmp_path / "out"),
                           "-q", "--format", "md", "-j", "1"], capture_output=True, text=True,
                          preexec_fn=limit, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "huge.yaml: the file is larger than the limit of 65536 bytes" in done.stderr
    assert "internal error" not in done.stderr and time.monotonic() - t0 < 30
    assert (tmp_path / "out/problems/md/good.md").is_file()


@pytest.mark.parametrize("where", ["/", "..", "../elsewhere"])
def test_templates_outside_the_project_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   where: str) -> None:
    (tmp_path / "elsewhere").mkdir()
    src = tmp_path / "project"
    real_problem(src, "a")
    (src / "derivgen.yaml").write_text(f"templates: {where}\n")
    t0 = time.monotonic()
    code, err = cli(capsys, "project", "-o", "out")
    assert code == 1 and time.monotonic() - t0 < 10
    assert f"project/derivgen.yaml:1:12: templates: folder {where} is outside the project" in err


def test_templates_inside_the_project_are_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "project"
    real_problem(src, "a")
    (src / "tpl").mkdir()
    (src / "derivgen.yaml").write_text("templates: tpl\n")
    assert cli(capsys, "project", "-o", "out")[0] == 0


@pytest.mark.parametrize("points", ["nan", ".nan", "1e400", "inf", "-1"])
def test_exam_points_must_be_finite(tmp_path: Path, points: str) -> None:
    from derivgen.errors import ProblemError
    from derivgen.exam.papers import load_exam

    real_problem(tmp_path / "problems", "a")
    path = tmp_path / "exam.yaml"
    path.write_text(f"exam:\n  title: T\nproblems:\n  - {{file: problems/a.yaml, points: {points}}}\n")
    with pytest.raises(ProblemError) as e:
        load_exam(path, "exam.yaml")
    assert str(e.value.diagnostics[0]).startswith("exam.yaml:4:37: problems[1].points must be")
