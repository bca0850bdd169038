"""build(): layout, failures that spoil nothing else, atomic writes, staying inside out/, determinism.

Most tests run the pipeline with the small fake stages of ``fakestages.py``
(fast, and they exercise build's own logic); the last ones build real
problems from the bank end to end.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import fakestages as fake
import pytest

from derivgen.build import atomic
from derivgen.build.commands import check
from derivgen.build.gather import sheet_name
from derivgen.build.pipeline import build
from derivgen.errors import ProblemError, UsageError

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("md", "json", "tex", "pdf", "html")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Run in the test's folder, so files are shown as ``problems/week1/a.yaml``."""
    monkeypatch.chdir(tmp_path)


def bank(tmp: Path) -> Path:
    src = tmp / "problems"
    fake.write_problem(src / "week1", "alpha", value="2")
    fake.write_problem(src / "week1", "beta", value="3")
    fake.write_problem(src / "week2", "gamma", value="5")
    fake.write_problem(src, "top", value="7")
    return src


def run(src: Path, out: Path, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("formats", FORMATS)
    kw.setdefault("jobs", 1)
    kw.setdefault("stages", fake.stages())
    return build([src], out, **kw)  # type: ignore[arg-type]


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".manifest.json"}


def test_layout(tmp_path: Path) -> None:
    report = run(bank(tmp_path), tmp_path / "out")
    assert report.ok and report.built == 4
    assert sorted(files_under(tmp_path / "out")) == [
        "index.json", "index.md",
        "json/alpha.json", "json/beta.json", "json/gamma.json", "json/top.json",
        "problems/handout.pdf", "problems/handout.tex", "problems/md/top.md", "problems/problems.html",
        "problems/solutions.pdf", "problems/solutions.tex", "problems/tex/top.tex",
        "week1/handout.pdf", "week1/handout.tex", "week1/md/alpha.md", "week1/md/beta.md",
        "week1/solutions.pdf", "week1/solutions.tex", "week1/tex/alpha.tex", "week1/tex/beta.tex",
        "week1/week1.html",
        "week2/handout.pdf", "week2/handout.tex", "week2/md/gamma.md", "week2/solutions.pdf",
        "week2/solutions.tex", "week2/tex/gamma.tex", "week2/week2.html",
    ]
    index = json.loads((tmp_path / "out/index.json").read_text())
    assert [s["name"] for s in index["sheets"]] == ["problems", "week1", "week2"]
    recorded = json.loads((tmp_path / "out/.manifest.json").read_text())["files"]
    assert sorted(recorded) == sorted(set(files_under(tmp_path / "out")) - {"index.json", "index.md"})
    assert index["sheets"][1]["problems"][1]["outputs"]["md"] == "week1/md/beta.md"
    assert index["failures"] == []


def test_numbering_and_sheet_titles_from_config(tmp_path: Path) -> None:
    src = bank(tmp_path)
    (src / "derivgen.yaml").write_text('numbering: "5."\nsheets:\n  week1: Sheet one\n')
    report = run(src, tmp_path / "out")
    assert report.ok
    assert (tmp_path / "out/week1/md/beta.md").read_text() == "[md] 5.2 Beta: df/dx = 3\n"
    assert not (tmp_path / "out/week2").exists()  # only the sheets listed are built
    assert "handout Sheet one" in (tmp_path / "out/week1/handout.tex").read_text()


def test_bad_config_is_reported_with_position(tmp_path: Path) -> None:
    src = bank(tmp_path)
    (src / "derivgen.yaml").write_text("title: Chapter 5\nnumberin: '5.'\n")
    with pytest.raises(ProblemError) as e:
        run(src, tmp_path / "out")
    assert str(e.value) == (f"{os.path.relpath(src / 'derivgen.yaml')}:2:1: unknown setting 'numberin'; "
                            "expected one of: title, course, author, date, label, numbering, detail, layout, sheets, formats, templates")


@pytest.mark.parametrize("how", ["load", "derive", "verify", "crash"])
def test_one_bad_problem_spoils_nothing_else(tmp_path: Path, how: str) -> None:
    src, out = bank(tmp_path), tmp_path / "out"
    assert run(src, out).ok
    before = (out / "week1/md/beta.md").read_bytes()
    fake.write_problem(src / "week1", "beta", value="4", fail=how)
    fake.write_problem(src / "week1", "alpha", value="9")
    report = run(src, out)
    assert not report.ok and [f.file for f in report.failures] == [os.path.relpath(src / "week1/beta.yaml")]
    assert (out / "week1/md/beta.md").read_bytes() == before  # old good output kept
    assert (out / "week1/md/alpha.md").read_text() == "[md] 1 Alpha: df/dx = 9\n"  # the others rebuilt
    assert "Gamma" in (out / "week2/md/gamma.md").read_text()
    failures = json.loads((out / "index.json").read_text())["failures"]
    assert failures[0]["file"].endswith("week1/beta.yaml") and failures[0]["errors"]
    assert (report.failures[0].internal is not None) == (how == "crash")


def test_outputs_of_deleted_renamed_and_reidentified_problems_are_removed(tmp_path: Path) -> None:
    """A course site built from out/ must not keep publishing a problem that is gone."""
    src, out = bank(tmp_path), tmp_path / "out"
    assert run(src, out).ok
    (out / "notes.md").write_text("the course's own file\n")
    (src / "week1/alpha.yaml").unlink()                          # deleted
    (src / "week1/beta.yaml").rename(src / "week1/delta.yaml")    # renamed
    fake.write_problem(src, "top", value="7", id="summit")        # new id, same file
    shutil.rmtree(src / "week2")                                  # a whole sheet gone
    report = run(src, out)
    assert report.ok
    files = set(files_under(out))
    for gone in ("week1/md/alpha.md", "week1/tex/alpha.tex", "json/alpha.json", "week1/md/beta.md",
                 "json/beta.json", "problems/md/top.md", "json/top.json", "week2/solutions.pdf",
                 "week2/md/gamma.md", "json/gamma.json"):
        assert gone not in files, gone
    assert not (out / "week2").exists()  # emptied folders go too
    for there in ("week1/md/delta.md", "json/delta.json", "problems/md/summit.md", "json/summit.json",
                  "week1/solutions.pdf", "notes.md"):
        assert there in files, there
    assert report.removed == 17
    assert [p["id"] for s in json.loads((out / "index.json").read_text())["sheets"] for p in s["problems"]] == [
        "summit", "delta"]


def test_a_narrower_build_removes_nothing(tmp_path: Path) -> None:
    """Building one sheet, or one format, into the same folder keeps everything else."""
    src, out = bank(tmp_path), tmp_path / "out"
    assert run(src, out).ok
    before = set(files_under(out))
    assert run(src / "week1", out, formats=("md",)).ok
    assert set(files_under(out)) == before
    fake.write_problem(src / "week1", "beta", value="4", fail="derive")
    (src / "week1/alpha.yaml").rename(src / "week1/alpha2.yaml")
    report = run(src, out)
    assert not report.ok
    files = set(files_under(out))
    assert "week1/md/beta.md" in files and "week1/solutions.pdf" in files  # a failure keeps its old output
    assert "week1/md/alpha.md" not in files and "week1/md/alpha2.md" in files


def test_error_messages_point_into_the_file(tmp_path: Path) -> None:
    src = bank(tmp_path)
    fake.write_problem(src / "week2", "gamma", fail="load")
    report = run(src, tmp_path / "out")
    assert report.failures[0].errors == [f"{os.path.relpath(src / 'week2/gamma.yaml')}:2:7: define.f: unknown name 'q'"]


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    src = bank(tmp_path)
    fake.write_problem(src / "week2", "delta", id="alpha")
    report = run(src, tmp_path / "out")
    a, d = os.path.relpath(src / "week1/alpha.yaml"), os.path.relpath(src / "week2/delta.yaml")
    assert sorted(e for f in report.failures for e in f.errors) == [
        f"{a}:1:1: duplicate id 'alpha': also the id of {d}",
        f"{d}:1:1: duplicate id 'alpha': also the id of {a}",
    ]
    assert report.built == 3


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", ".hidden"])
def test_ids_that_would_escape_out_are_rejected(tmp_path: Path, bad_id: str) -> None:
    src = bank(tmp_path)
    fake.write_problem(src / "week1", "evil", id=bad_id)
    report = run(src, tmp_path / "out")
    assert [f.file for f in report.failures] == [os.path.relpath(src / "week1/evil.yaml")]
    assert "cannot name an output file" in report.failures[0].errors[0]
    assert not (tmp_path / "evil.md").exists() and not list(tmp_path.glob("**/evil*.md"))


def test_nothing_is_written_outside_out(tmp_path: Path) -> None:
    src = bank(tmp_path)
    snapshot = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    run(src, tmp_path / "out")
    new = {p for p in tmp_path.rglob("*") if p not in snapshot}
    assert all(tmp_path / "out" in p.parents or p == tmp_path / "out" for p in new)
    assert all(p.stat().st_mtime_ns == t for p, t in snapshot.items() if p.exists())


def test_safe_target_refuses_escapes(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path, tmp_path / "out/link")
    for bad in ("../x", "/etc/passwd", "link/x", "a/../../x"):
        with pytest.raises(atomic.UnsafePathError):
            atomic.safe_target(tmp_path / "out", bad)
    assert atomic.safe_target(tmp_path / "out", "a/b.md") == (tmp_path / "out/a/b.md").resolve()


def test_atomic_write_failure_keeps_old_file_and_no_temp(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "a.md"
    atomic.write_text(target, "old\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic.write_text(target, "new, half written")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_build_interrupted_mid_write_keeps_old_outputs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src, out = bank(tmp_path), tmp_path / "out"
    run(src, out)
    before = files_under(out)
    fake.write_problem(src / "week1", "alpha", value="11")
    fake.write_problem(src / "week1", "beta", value="12")
    calls = {"n": 0}
    real_replace = os.replace

    def dying_replace(a, b):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_replace(a, b)

    monkeypatch.setattr(atomic.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        run(src, out, use_cache=False)
    after = files_under(out)
    assert not [p for p in after if atomic.TEMP_PREFIX in p or ".derivgen-tex" in p]
    for path, data in after.items():  # each file is entirely old or entirely new
        assert data == before[path] or b"= 1" in data or path.endswith((".pdf", ".tex", ".html", ".json"))


def test_no_scratch_left_behind(tmp_path: Path) -> None:
    run(bank(tmp_path), tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.startswith((".derivgen", atomic.TEMP_PREFIX))]


def test_pdf_skipped_with_one_note_when_tex_missing(tmp_path: Path) -> None:
    report = run(bank(tmp_path), tmp_path / "out", stages=fake.stages(tex_available=fake.tex_missing))
    assert report.ok
    assert report.notes == ["PDF skipped: no PDF: latexmk not found; install TeX Live"]
    assert not list((tmp_path / "out").rglob("*.pdf"))
    assert (tmp_path / "out/week1/handout.tex").exists()


def test_only_requested_formats(tmp_path: Path) -> None:
    run(bank(tmp_path), tmp_path / "out", formats=("json",))
    assert sorted(files_under(tmp_path / "out")) == [
        "index.json", "index.md", "json/alpha.json", "json/beta.json", "json/gamma.json", "json/top.json"]


def test_pdf_without_tex_writes_no_tex(tmp_path: Path) -> None:
    run(bank(tmp_path), tmp_path / "out", formats=("pdf",))
    assert sorted(p for p in files_under(tmp_path / "out") if p.startswith("week1/")) == [
        "week1/handout.pdf", "week1/solutions.pdf"]


def test_deterministic_whatever_the_jobs(tmp_path: Path) -> None:
    src = bank(tmp_path)
    for n in range(6):
        fake.write_problem(src / "week3", f"p{n}", value=str(n))
    run(src, tmp_path / "one", jobs=1, use_cache=False)
    run(src, tmp_path / "two", jobs=2, use_cache=False)
    assert files_under(tmp_path / "one") == files_under(tmp_path / "two")


def test_check_writes_nothing_and_lists_every_error(tmp_path: Path) -> None:
    src = bank(tmp_path)
    fake.write_problem(src / "week1", "alpha", fail="verify")
    fake.write_problem(src / "week2", "gamma", fail="load")
    before = set(tmp_path.rglob("*"))
    report = check([src], jobs=2, stages=fake.stages())
    assert set(tmp_path.rglob("*")) == before
    assert [f.file for f in report.failures] == [os.path.relpath(src / "week2/gamma.yaml"),
                                                 os.path.relpath(src / "week1/alpha.yaml")]
    assert report.built == 2


def test_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        run(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(UsageError, match="unknown format 'docx'"):
        run(bank(tmp_path), tmp_path / "out", formats=("docx",))


def test_sheet_names(tmp_path: Path) -> None:
    (tmp_path / "bank/a/b").mkdir(parents=True)
    assert sheet_name(tmp_path / "bank/x.yaml", tmp_path / "bank") == "bank"
    assert sheet_name(tmp_path / "bank/a/b/x.yaml", tmp_path / "bank") == "a/b"
    assert sheet_name(tmp_path / "bank/a/x.yaml", tmp_path / "bank/a/x.yaml") == "a"


# --- the real pipeline -------------------------------------------------------------------------


def real_bank(tmp: Path, names: list[str]) -> Path:
    src = tmp / "problems"
    for name in names:
        found = next((ROOT / "problems").rglob(f"{name}.yaml"))
        (src / found.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(found, src / found.parent.name / found.name)
    return src


def test_real_build_end_to_end(tmp_path: Path) -> None:
    src = real_bank(tmp_path, ["least-squares", "product-rule", "gradient-Ax-by-x"])
    out = tmp_path / "out"
    report = build([src], out, formats=("md", "json", "tex", "html"), jobs=2)
    assert report.ok, [f.errors for f in report.failures]
    data = json.loads((out / "json/least-squares.json").read_text())
    assert data["id"] == "least-squares" and data["derivatives"][0]["verified"]
    assert (out / "3-matrix/md/least-squares.md").read_text().startswith("---")
    assert (out / "3-matrix/3-matrix.html").exists() and (out / "1-scalar/solutions.tex").exists()
    warm = build([src], out, formats=("md", "json", "tex", "html"), jobs=2)
    assert warm.ok and warm.built == 0 and warm.cached == 3 and warm.written == 0


def test_derivations_pickle(tmp_path: Path) -> None:
    import pickle

    from derivgen.check.verify import verify
    from derivgen.engine.derive import derive_problem
    from derivgen.problem.loader import load_problem

    for path in sorted((ROOT / "problems").rglob("*.yaml")):
        if path.name == "derivgen.yaml":
            continue
        problem = load_problem(path)
        pairs = [(f, verify(problem, f, d)) for f, d in derive_problem(problem)]
        restored = pickle.loads(pickle.dumps(pairs))
        assert [d.result.shape for _, d in restored] == [d.result.shape for _, d in pairs], path.name


def test_progress_bar_only_on_a_terminal_after_a_moment() -> None:
    import io

    from derivgen.build.progress import Bar, Silent, progress_for

    assert isinstance(progress_for(quiet=False, stream=io.StringIO()), Silent)
    now = [0.0]
    stream = io.StringIO()
    bar = Bar(stream, clock=lambda: now[0])
    bar.start("derive", 4)
    bar.advance()
    assert stream.getvalue() == ""  # a quick stage prints nothing
    now[0] = 1.0
    bar.advance()
    bar.finish()
    assert stream.getvalue().endswith("\rderive   [###############...............]    2/4  0:01\n")
