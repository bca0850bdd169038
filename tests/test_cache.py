"""The build cache: warm builds skip derivation, a change rebuilds only what it touches, corruption is harmless."""

from __future__ import annotations

import time
from pathlib import Path

import fakestages as fake
import pytest

from derivgen.build.cache import Cache, digest
from derivgen.build.pipeline import build

FORMATS = ("md", "json", "tex", "pdf", "html")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)


def bank(tmp: Path, n: int = 12) -> Path:
    src = tmp / "problems"
    for i in range(n):
        fake.write_problem(src / ("week1" if i % 2 else "week2"), f"p{i:02d}", value=str(i))
    return src


def run(src: Path, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("formats", FORMATS)
    kw.setdefault("jobs", 1)
    kw.setdefault("stages", fake.stages())
    return build([src], Path("out"), **kw)  # type: ignore[arg-type]


def timed(src: Path, **kw: object):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    report = run(src, **kw)
    return report, time.perf_counter() - t0


def test_warm_build_derives_nothing_and_is_much_faster(tmp_path: Path) -> None:
    src = bank(tmp_path)
    cold, t_cold = timed(src)
    warm, t_warm = timed(src)
    assert (cold.built, cold.cached) == (12, 0)
    assert (warm.built, warm.cached, warm.written) == (0, 12, 0)
    assert (warm.sheets_typeset, warm.sheets_cached) == (0, 2)
    assert t_warm * 5 < t_cold, (t_warm, t_cold)


def test_changed_file_rebuilds_only_that_problem_and_its_sheet(tmp_path: Path) -> None:
    src = bank(tmp_path)
    run(src)
    fake.write_problem(src / "week1", "p03", value="33")
    report = run(src)
    assert (report.built, report.cached) == (1, 11)
    assert (report.sheets_typeset, report.sheets_cached) == (1, 1)
    assert Path("out/week1/md/p03.md").read_text() == "[md] 2 P03: df/dx = 33\n"
    assert b"P03 = 33" in Path("out/week1/solutions.pdf").read_bytes()


def test_entries_unused_for_two_weeks_are_pruned(tmp_path: Path) -> None:
    """The cache keeps what builds use and drops what none has used for MAX_AGE_DAYS."""
    import os

    from derivgen.build.cache import MAX_AGE_DAYS

    src = bank(tmp_path, n=4)
    run(src)
    entries = sorted(Path("out/.cache").rglob("*.pickle"))
    assert len(entries) == 4 + 2  # four problems, two sheets
    old = time.time() - (MAX_AGE_DAYS + 1) * 86400
    for e in entries:
        os.utime(e, (old, old))
    fake.write_problem(src / "week1", "p03", value="33")  # p03 and week1 get new entries
    report = run(src)
    assert (report.built, report.cached) == (1, 3)
    left = sorted(Path("out/.cache").rglob("*.pickle"))
    assert len(left) == 6 and set(entries) - set(left) == {e for e in entries if e not in left}
    assert len(set(entries) & set(left)) == 4  # the three unchanged problems and week2, refreshed
    assert all(e.stat().st_mtime > old + 86400 for e in left)
    fresh = run(src)
    assert (fresh.built, fresh.cached, fresh.written) == (0, 4, 0)


def test_removing_an_output_restores_it_from_the_cache(tmp_path: Path) -> None:
    src = bank(tmp_path)
    run(src)
    Path("out/week2/md/p00.md").unlink()
    Path("out/week2/handout.pdf").unlink()
    report = run(src)
    assert report.built == 0 and report.written == 2
    assert Path("out/week2/md/p00.md").exists() and Path("out/week2/handout.pdf").exists()


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x04\x95garbage"])
def test_corrupt_entries_are_rebuilt(tmp_path: Path, damage: bytes) -> None:
    src = bank(tmp_path, 4)
    run(src)
    entries = [p for p in Path("out/.cache").rglob("*.pickle")]
    assert entries
    for p in entries:
        p.write_bytes(damage)
    report = run(src)
    assert report.ok and (report.built, report.cached) == (4, 0)
    assert run(src).cached == 4  # and stored again


def test_no_cache_rebuilds_everything_and_stores_nothing(tmp_path: Path) -> None:
    src = bank(tmp_path, 4)
    run(src)
    report = run(src, use_cache=False, cache_dir=tmp_path / "elsewhere")
    assert report.built == 4 and not (tmp_path / "elsewhere").exists()


def test_templates_formats_flavour_and_config_are_part_of_the_key(tmp_path: Path) -> None:
    src = bank(tmp_path, 4)
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "problem.md.j2").write_text("one")
    assert run(src, templates_dir=tpl).built == 4
    assert run(src, templates_dir=tpl).built == 0
    (tpl / "problem.md.j2").write_text("two")
    assert run(src, templates_dir=tpl).built == 4
    assert run(src, templates_dir=tpl, flavour="hugo").built == 4
    assert run(src, templates_dir=tpl, flavour="hugo", formats=("md",)).built == 4
    (src / "derivgen.yaml").write_text("course: Something else\n")
    assert run(src, templates_dir=tpl, flavour="hugo", formats=("md",)).built == 4


def test_cache_dir_option(tmp_path: Path) -> None:
    src = bank(tmp_path, 2)
    run(src, cache_dir=tmp_path / "c")
    assert list((tmp_path / "c").rglob("*.pickle")) and not Path("out/.cache").exists()
    assert run(src, cache_dir=tmp_path / "c").cached == 2


def test_unreadable_cache_folder_never_crashes(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "file-not-folder")
    (tmp_path / "file-not-folder").write_text("x")
    cache.put_sheet("ab" * 32, {"a": b"b"})  # cannot be written: ignored
    assert cache.get_sheet("ab" * 32) is None


def test_digest_parts_do_not_run_together() -> None:
    assert digest(["ab", "c"]) != digest(["a", "bc"])
    assert digest([b"x"]) == digest(["x"])
