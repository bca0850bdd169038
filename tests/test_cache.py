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
    entries = sorted(Path("out/.cache").rglob("*.json"))
    assert len(entries) == 4 + 2  # four problems, two sheets
    old = time.time() - (MAX_AGE_DAYS + 1) * 86400
    for e in entries:
        os.utime(e, (old, old))
    fake.write_problem(src / "week1", "p03", value="33")  # p03 and week1 get new entries
    report = run(src)
    assert (report.built, report.cached) == (1, 3)
    left = sorted(Path("out/.cache").rglob("*.json"))
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


@pytest.mark.parametrize("damage", [b"", b"not json", b"\x80\x04\x95garbage", b'{"derivgen-cache": 2}\n{}'])
def test_corrupt_entries_are_rebuilt(tmp_path: Path, damage: bytes) -> None:
    src = bank(tmp_path, 4)
    run(src)
    entries = [p for p in Path("out/.cache").rglob("*.json")]
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
    assert list((tmp_path / "c").rglob("*.json")) and not Path("out/.cache").exists()
    assert run(src, cache_dir=tmp_path / "c").cached == 2


def test_unreadable_cache_folder_never_crashes(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "file-not-folder")
    (tmp_path / "file-not-folder").write_text("x")
    cache.put_sheet("ab" * 32, {"a": b"b"})  # cannot be written: ignored
    assert cache.get_sheet("ab" * 32) is None


def test_digest_parts_do_not_run_together() -> None:
    assert digest(["ab", "c"]) != digest(["a", "bc"])
    assert digest([b"x"]) == digest(["x"])


# --- a cache that cannot execute and cannot lie (issue 15) ------------------------------------------


class _Boom:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def _entries(kind: str = "*") -> list[Path]:
    return sorted(Path("out/.cache").glob(f"{kind}/*/*.json"))


def test_a_planted_pickle_runs_nothing(tmp_path: Path) -> None:
    import pickle

    src = bank(tmp_path, 4)
    run(src)
    marker = tmp_path / "ran"
    planted = pickle.dumps({"format": 1, "key": "x", "value": _Boom(marker)})
    for p in _entries():
        p.write_bytes(planted)
        p.with_suffix(".pickle").write_bytes(planted)  # where format 1 looked
    report = run(src)
    assert not marker.exists()
    assert report.ok and (report.built, report.cached) == (4, 0)
    assert Path("out/week1/md/p01.md").read_text() == "[md] 1 P01: df/dx = 1\n"
    assert not marker.exists() and run(src).cached == 4


def test_a_json_entry_naming_code_runs_nothing(tmp_path: Path) -> None:
    """Even with a correct checksum, an entry builds only allow-listed data types: no callable, no import."""
    import json

    from derivgen.build.cache import ENTRY_FORMAT, checksum

    src = bank(tmp_path, 2)
    run(src)
    marker = tmp_path / "ran"
    hostile = [{"$o": "pathlib.Path.touch", "v": {"self": str(marker)}},
               {"$o": "os.system", "v": {"command": f"touch {marker}"}},
               {"$o": "subprocess.Popen", "v": {"args": ["touch", str(marker)]}},
               {"$o": "derivgen.problem.model.Problem", "v": {"__class__": "os.system"}}]
    for p in _entries("problems"):
        key = p.stem
        payload = json.dumps({"files": {"md": "FORGED\n"}, "problem": hostile,
                              "derivations": hostile}).encode()
        header = {"derivgen-cache": ENTRY_FORMAT, "kind": "problems", "key": key,
                  "sha256": checksum("problems", key, payload)}
        p.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    report = run(src)
    assert not marker.exists()
    assert (report.built, report.cached) == (2, 0)
    assert "FORGED" not in Path("out/week1/md/p01.md").read_text()


@pytest.mark.parametrize("kind, old, new", [("problems", b"df/dx = 1", b"df/dx = 7"),
                                           ("sheets", b"P01 = 1", b"P01 = 7")])
def test_a_changed_string_in_an_entry_is_rebuilt_not_served(tmp_path: Path, kind: str, old: bytes,
                                                             new: bytes) -> None:
    src = bank(tmp_path, 2)
    run(src)
    changed = 0
    for p in _entries(kind):
        data = p.read_bytes()
        if old in data:
            p.write_bytes(data.replace(old, new))
            changed += 1
    assert changed
    report = run(src)
    assert report.ok
    assert b"= 7" not in Path("out/week1/md/p01.md").read_bytes()
    assert b"= 7" not in Path("out/week1/solutions.tex").read_bytes()
    assert b"= 7" not in Path("out/week1/week1.html").read_bytes()
    if kind == "problems":
        assert (report.built, report.cached) == (1, 1)
    else:
        assert (report.built, report.sheets_typeset) == (0, 1)


def test_a_file_edited_while_it_is_read_cannot_be_stored_under_the_other_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes hashed are the bytes loaded: an edit right after the read is the next build's business."""
    import derivgen.build.pipeline as pipeline

    src = bank(tmp_path, 2)
    target = src / "week1" / "p01.yaml"
    original = target.read_bytes()
    real_read = pipeline.read_bytes

    def read_then_edit(path: Path, display: str) -> bytes:
        data = real_read(path, display)
        if path.name == "p01.yaml" and data == original:
            fake.write_problem(src / "week1", "p01", value="99", title="Edited")
        return data

    monkeypatch.setattr(pipeline, "read_bytes", read_then_edit)
    first = run(src)
    assert first.built == 2
    assert Path("out/week1/md/p01.md").read_text() == "[md] 1 P01: df/dx = 1\n"  # what was hashed
    monkeypatch.setattr(pipeline, "read_bytes", real_read)
    second = run(src)  # the edited file is new content: built, not served from the old key
    assert (second.built, second.cached) == (1, 1)
    assert Path("out/week1/md/p01.md").read_text() == "[md] 1 Edited: df/dx = 99\n"
    target.write_bytes(original)  # reverted: the original's entry is the original's content
    third = run(src)
    assert (third.built, third.cached) == (0, 2)
    assert Path("out/week1/md/p01.md").read_text() == "[md] 1 P01: df/dx = 1\n"
    assert b"P01 = 1" in Path("out/week1/solutions.pdf").read_bytes()


def test_a_revert_after_an_edit_publishes_the_reverted_content(tmp_path: Path) -> None:
    src = bank(tmp_path, 4)
    target = src / "week1" / "p03.yaml"
    original = target.read_bytes()
    run(src)
    fake.write_problem(src / "week1", "p03", value="33", title="Other")
    run(src)
    assert "Other" in Path("out/week1/md/p03.md").read_text()
    target.write_bytes(original)
    report = run(src)
    assert (report.built, report.cached) == (0, 4)
    assert Path("out/week1/md/p03.md").read_text() == "[md] 2 P03: df/dx = 3\n"
    assert b"Other" not in Path("out/week1/solutions.pdf").read_bytes()
    assert b"Other" not in Path("out/week1/week1.html").read_bytes()


def test_a_symlinked_cache_folder_is_refused(tmp_path: Path) -> None:
    import os

    src = bank(tmp_path, 2)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "problems" / "ab").mkdir(parents=True)
    keep = [elsewhere / "problems" / "ab" / ("ab" * 32 + ".json"), elsewhere / "notes.txt"]
    old = time.time() - 400 * 86400
    for f in keep:
        f.write_text("not derivgen's")
        os.utime(f, (old, old))
    Path("out").mkdir()
    Path("out/.cache").symlink_to(elsewhere)
    report = run(src)
    assert report.ok and report.built == 2
    assert any("not using the cache" in n and "symbolic link" in n and "--cache-dir" in n for n in report.notes)
    assert sorted(p for p in elsewhere.rglob("*") if p.is_file()) == sorted(keep)  # nothing written or pruned
    assert run(src).built == 2  # and never used
    # Named on the command line, the same folder is used as given.
    assert run(src, cache_dir=Path("out/.cache")).built == 2
    assert run(src, cache_dir=Path("out/.cache")).cached == 2


def test_a_symlink_inside_the_cache_folder_is_not_followed(tmp_path: Path) -> None:
    src = bank(tmp_path, 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Path("out/.cache").mkdir(parents=True)
    Path("out/.cache/problems").symlink_to(elsewhere)
    report = run(src)
    assert report.ok and report.built == 2
    assert not list(elsewhere.rglob("*"))
    assert run(src).built == 2  # problems cannot be cached there; sheets still are


def test_pruning_removes_only_files_named_like_entries(tmp_path: Path) -> None:
    import os

    src = bank(tmp_path, 2)
    run(src)
    shard = Path("out/.cache/problems/ab")
    shard.mkdir(parents=True, exist_ok=True)
    stale = [shard / ("ab" * 32 + ".json"), shard / ("ab" * 32 + ".pickle")]
    foreign = [shard / "README.txt", shard / ("cd" * 32 + ".json"), Path("out/.cache/problems/x.json")]
    old = time.time() - 400 * 86400
    for f in stale + foreign:
        f.write_text("{}")
        os.utime(f, (old, old))
    run(src)
    assert not any(f.exists() for f in stale)
    assert all(f.exists() for f in foreign)


def test_the_real_stages_round_trip_through_the_cache(tmp_path: Path) -> None:
    """With the real engine: a warm build is all cached; a sheet rendered again from cached
    derivations is byte-identical to a cold build's."""
    import filecmp
    import shutil

    from derivgen.build.stages import real_stages

    bank_dir = Path(__file__).resolve().parent.parent / "problems"
    src = tmp_path / "bank"
    for name in ("3-matrix/gradient-Ax-by-A.yaml", "3-matrix/least-squares.yaml",
                 "2-multivariate/jacobian-vector-field.yaml", "1-scalar/power-from-definition.yaml"):
        (src / "s").mkdir(parents=True, exist_ok=True)
        shutil.copy(bank_dir / name, src / "s" / Path(name).name)
    formats = ("md", "json", "tex", "html")
    cold = build([src], Path("out"), formats=formats, jobs=1, stages=real_stages())
    assert cold.ok and cold.built == 4
    warm = build([src], Path("out"), formats=formats, jobs=1, stages=real_stages())
    assert (warm.built, warm.cached, warm.written) == (0, 4, 0)
    edited = src / "s" / "least-squares.yaml"
    edited.write_text(edited.read_text().replace("title: ", "title: Edited ", 1))
    again = build([src], Path("out"), formats=formats, jobs=1, stages=real_stages())
    assert (again.built, again.cached) == (1, 3)
    fresh = build([src], Path("fresh"), formats=formats, jobs=1, stages=real_stages(), use_cache=False)
    assert fresh.built == 4
    cmp = filecmp.dircmp("out", "fresh", ignore=[".cache", ".manifest.json", "index.json", "index.md"])
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert not filecmp.dircmp("out/s", "fresh/s").diff_files
    for sub in ("md", "tex"):
        assert not filecmp.dircmp(f"out/s/{sub}", f"fresh/s/{sub}").diff_files


def test_no_pickle_in_the_cache() -> None:
    import derivgen.build.cache as cache_module
    import derivgen.build.entrydata as data_module

    for module in (cache_module, data_module):
        text = Path(module.__file__ or "").read_text()
        assert "import pickle" not in text and "pickle." not in text
