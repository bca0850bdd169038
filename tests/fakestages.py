"""Small fake stages for the build tests: fast, deterministic, picklable (module-level).

A fake problem file is ``key: value`` lines: ``id``, ``title``, ``value``;
``fail: load`` / ``fail: derive`` / ``fail: crash`` make it fail at that stage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from derivgen.build.entrydata import register
from derivgen.build.stages import RenderOptions, Stages
from derivgen.errors import DerivationError, Diagnostic, Location, ProblemError, VerificationError

#: Seconds each fake derivation takes (so cold and warm builds differ measurably).
DERIVE_SECONDS = 0.03


@dataclass(frozen=True)
class FakeProblem:
    id: str
    title: str
    value: str
    fail: str
    path: Path
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeDerivation:
    of: str
    wrt: str
    value: str
    verified: bool = False


register(FakeProblem, FakeDerivation)  # the cache stores only allow-listed types


def find_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        found += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
    return [f for f in found if f.name != "derivgen.yaml" and "exam" not in f.read_text()]


def load(path: Path, display: str, data: bytes | None = None) -> FakeProblem:
    text = path.read_text() if data is None else data.decode("utf-8")
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    if fields.get("fail") == "load":
        raise ProblemError([Diagnostic(Location(display, 2, 7), "define.f: unknown name 'q'")])
    return FakeProblem(fields.get("id", path.stem), fields.get("title", path.stem), fields.get("value", "1"),
                       fields.get("fail", ""), path)


def derive(problem: FakeProblem) -> list:
    time.sleep(DERIVE_SECONDS)
    if problem.fail == "derive":
        raise DerivationError(f"{problem.path.name}: no rule applies to q")
    if problem.fail == "crash":
        raise ZeroDivisionError("division by zero")
    return [("find", FakeDerivation("f", "x", problem.value))]


def verify(problem: FakeProblem, find: object, d: FakeDerivation) -> FakeDerivation:
    if problem.fail == "verify":
        raise VerificationError(f"{problem.id}: df/dx disagrees with finite differences")
    return FakeDerivation(d.of, d.wrt, d.value, True)


def render_problem(problem: FakeProblem, derivations: list, number: str, opts: RenderOptions) -> dict[str, str]:
    body = f"{number} {problem.title}: df/dx = {derivations[0].value}\n"
    return {fmt: f"[{fmt}] {body}" for fmt in opts.formats if fmt in ("md", "json", "tex")}


def render_sheet(title: str, items: list, opts: RenderOptions) -> dict[str, str]:
    listing = "".join(f"{p.title} = {ds[0].value}\n" for p, ds in items)
    out = {}
    if "tex" in opts.formats or "pdf" in opts.formats:
        out = {"handout.tex": f"handout {title}\n{listing}", "solutions.tex": f"solutions {title}\n{listing}"}
    if "html" in opts.formats:
        out["sheet.html"] = f"<h1>{title}</h1>\n{listing}"
    return out


def compile_pdf(tex: Path, timeout: float) -> Path:
    pdf = tex.with_suffix(".pdf")
    pdf.write_bytes(b"%PDF-fake\n" + tex.read_bytes())
    return pdf


def tex_available() -> str | None:
    return None


def tex_missing() -> str | None:
    return "no PDF: latexmk not found; install TeX Live"


def prepare() -> None:
    pass


def stages(**overrides: object) -> Stages:
    base = dict(find_files=find_files, load=load, derive=derive, verify=verify, render_problem=render_problem,
                render_sheet=render_sheet, compile_pdf=compile_pdf, tex_available=tex_available,
                prepare=prepare)
    base.update(overrides)
    return Stages(**base)  # type: ignore[arg-type]


def write_problem(folder: Path, name: str, **fields: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    fields.setdefault("title", name.title())
    path.write_text("".join(f"{k}: {v}\n" for k, v in fields.items()))
    return path
