"""Benchmark of ``derivgen build`` on the problem bank; writes bench/RESULTS.md.

Run from the repository root:  .venv/bin/python bench/benchmark.py  [--quick]

Measures, each in a fresh temporary folder:
  1. the whole bank, every format, cold then warm (nothing changed): per-stage times and warm/cold;
  2. cold builds with --jobs 1 and --jobs 2, run alternately, the faster of two runs each:
     the bank with every format (PDFs included), and the bank x4 without PDF;
  3. scaling with the number of problems: the bank replicated x1, x2, x4 (ids renamed);
  4. scaling with matrix sizes: df/dA for f = Ax at sizes M = N = 2, 4, 8, 16.
Not a test: figures depend on the machine.  Derive, verify and render times are
summed over worker processes (CPU seconds); "wall" is the elapsed time of the
whole command.  Every build runs in a fresh Python process (no warm SymPy
caches carried over) from a snapshot of the source, so edits made while the
benchmark runs do not invalidate its cache half-way.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STAGES = ("load", "derive", "verify", "render", "tex", "write")
NO_PDF = ("md", "json", "tex", "html")


RUNNER = """
import json, sys, time
# use the snapshot on PYTHONPATH, not an editable install of the live tree
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
from derivgen.build.pipeline import build
assert build.__module__ == "derivgen.build.pipeline"
assert sys.modules["derivgen"].__file__.startswith(sys.argv[5])
src, out, formats, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
r = build([src], out, formats=formats.split(",") if formats else None, jobs=jobs or None)
print(json.dumps({"problems": r.problems, "built": r.built, "cached": r.cached,
                  "failures": len(r.failures), "timings": dict(r.timings), "wall": time.perf_counter() - t0}))
"""


@dataclass
class Run:
    """One build's figures."""

    problems: int
    built: int
    cached: int
    failures: int
    timings: dict[str, float]
    wall: float

    @property
    def ok(self) -> bool:
        return self.failures == 0


def snapshot(tmp: Path) -> Path:
    """A copy of the package and its templates, so concurrent edits do not touch the benchmark."""
    dest = tmp / "src"
    shutil.copytree(ROOT / "derivgen", dest / "derivgen", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", dest / "templates")
    return dest


def timed_build(code: Path, src: Path, out: Path, formats: tuple[str, ...] | None = None,
                jobs: int | None = None) -> tuple[Run, float]:
    """Build in a fresh process; (figures, wall seconds including the interpreter's start)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(src), str(out), ",".join(formats or ()),
                           str(jobs or 0), str(code)], capture_output=True, text=True, env=env, check=True,
                          cwd=code)
    wall = time.perf_counter() - t0
    return Run(**json.loads(proc.stdout.splitlines()[-1])), wall


def replicate(bank: Path, dest: Path, times: int) -> Path:
    """The bank copied ``times`` times; copy k renames every id with a ``-k`` suffix."""
    for k in range(times):
        for f in sorted(bank.rglob("*.yaml")):
            if f.name == "derivgen.yaml":
                continue
            rel = f.relative_to(bank)
            target = dest / rel.parent / f"{f.stem}-{k}{f.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = re.sub(r"(?m)^id:\s*(\S+)", rf"id: \1-{k}", f.read_text())
            target.write_text(text)
    return dest


def sized_problem(dest: Path, n: int) -> Path:
    """df/dA for f = Ax (a tensor of M*M*N entries, checked entry by entry) at sizes M = N = n."""
    text = (ROOT / "problems/3-matrix/gradient-Ax-by-A.yaml").read_text()
    text = re.sub(r"(?m)^sizes:.*$", f"sizes: {{M: {n}, N: {n}}}", text)
    (dest / "sizes").mkdir(parents=True, exist_ok=True)
    (dest / "sizes" / f"gradient-Ax-by-A-{n}.yaml").write_text(text)
    return dest / "sizes"


def stage_row(label: str, r: Run, wall: float) -> str:
    cells = " | ".join(f"{r.timings.get(s, 0.0):.2f}" for s in STAGES)
    return f"| {label} | {r.built} | {r.cached} | {cells} | {wall:.2f} |"


def work(r: Run) -> float:
    """Seconds spent on the problem itself (without starting Python)."""
    return sum(r.timings.get(s, 0.0) for s in ("derive", "verify", "render"))


def jobs_pair(code, src: Path, out: Path, formats):  # type: ignore[no-untyped-def]
    """Cold builds with --jobs 1 and 2, alternated twice; the faster run of each."""
    runs: dict[int, list[tuple[Run, float]]] = {1: [], 2: []}
    for attempt in range(2):
        for jobs in (1, 2):
            target = out.with_name(f"{out.name}{jobs}-{attempt}")
            runs[jobs].append(timed_build(code, src, target, formats, jobs=jobs))
    return min(runs[1], key=lambda r: r[1]), min(runs[2], key=lambda r: r[1])


def check(report: Run) -> str:
    return "" if report.ok else f" ({len(report.failures)} failed)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the x4 replication and the largest size")
    parser.add_argument("--output", default=str(ROOT / "bench/RESULTS.md"))
    args = parser.parse_args()
    bank = ROOT / "problems"
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="derivgen-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        code = snapshot(tmp)
        src = replicate(bank, tmp / "bank1", 1)
        cold, t_cold = timed_build(code, src, tmp / "out-full")
        warm, t_warm = timed_build(code, src, tmp / "out-full")
        print(f"cold {t_cold:.2f}s warm {t_warm:.2f}s", file=sys.stderr)
        (j1, t_j1), (j2, t_j2) = jobs_pair(code, src, tmp / "out-j", None)
        print(f"jobs1 {t_j1:.2f}s jobs2 {t_j2:.2f}s", file=sys.stderr)
        src4 = replicate(bank, tmp / "bank4", 4)
        (k1, t_k1), (k2, t_k2) = jobs_pair(code, src4, tmp / "out-k", NO_PDF)
        print(f"x4: jobs1 {t_k1:.2f}s jobs2 {t_k2:.2f}s", file=sys.stderr)
        scale = []
        for k in (1, 2) if args.quick else (1, 2, 4):
            s = replicate(bank, tmp / f"rep{k}", k)
            r, t = timed_build(code, s, tmp / f"out-rep{k}", NO_PDF)
            scale.append((k, r, t))
            print(f"x{k} {t:.2f}s", file=sys.stderr)
        sizes = []
        for n in (2, 4, 8) if args.quick else (2, 4, 8, 16):
            s = sized_problem(tmp / f"size{n}", n)
            r, t = timed_build(code, s, tmp / f"out-size{n}", ("md", "json"), jobs=1)
            sizes.append((n, r, t))
            print(f"size {n} {t:.2f}s", file=sys.stderr)
    lines += report_lines(cold, t_cold, warm, t_warm, (j1, t_j1, j2, t_j2, k1, t_k1, k2, t_k2), scale, sizes)
    lines += ["", "See also [WORK_ONCE.md](WORK_ONCE.md) (call counts of the engine before and after "
              "doing each piece of work once) and [LECTURE.md](LECTURE.md) (pages of the solution sheets "
              "at each detail level). The cache is JSON with a SHA-256 per entry (no pickles): the warm "
              "build decodes and checks every entry."]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def report_lines(cold, t_cold, warm, t_warm, jobs, scale, sizes) -> list[str]:  # type: ignore[no-untyped-def]
    j1, t_j1, j2, t_j2, k1, t_k1, k2, t_k2 = jobs
    today = datetime.date.today().isoformat()
    n = cold.problems
    head = "| build | built | cached | " + " | ".join(STAGES) + " | wall |"
    rule = "|---" * (len(STAGES) + 4) + "|"
    out = [
        "# derivgen build benchmark",
        "",
        f"Date {today}; machine: `nproc` = {os.cpu_count()}, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; load average at the end {os.getloadavg()[0]:.1f} "
        "(other work on the machine slows the parallel figures).  "
        "Regenerate with `.venv/bin/python bench/benchmark.py`.",
        "",
        f"## The bank ({n} problems), every format, cold then warm",
        "",
        "Seconds; derive, verify and render are summed over the worker processes.",
        "",
        head, rule,
        stage_row("cold" + check(cold), cold, t_cold),
        stage_row("warm (nothing changed)" + check(warm), warm, t_warm),
        "",
        "## Ratios",
        "",
        "| measure | ratio | figures |",
        "|---|---|---|",
        f"| warm / cold (all formats) | **{t_warm / t_cold:.3f}** | {t_warm:.2f} s / {t_cold:.2f} s |",
        f"| jobs=2 / jobs=1 (cold, every format) | **{t_j2 / t_j1:.2f}** | {t_j2:.2f} s / {t_j1:.2f} s |",
        f"| jobs=2 / jobs=1 (cold, bank x4, no PDF) | **{t_k2 / t_k1:.2f}** | {t_k2:.2f} s / {t_k1:.2f} s "
        f"({k1.problems} problems) |",
    ]
    base = scale[0][2]
    for k, r, t in scale[1:]:
        out.append(f"| x{k} problems / x1 (cold, no PDF) | **{t / base:.2f}** | {t:.2f} s / {base:.2f} s "
                   f"({r.problems} problems{check(r)}) |")
    small = work(sizes[0][1])
    for size, r, _ in sizes[1:]:
        out.append(f"| df/dA, M=N={size} / M=N={sizes[0][0]}: derive + verify + render | "
                   f"**{work(r) / small:.2f}** | {work(r):.3f} s / {small:.3f} s{check(r)} |")
    out += ["", "## jobs and scaling, per stage", "", head, rule,
            stage_row("jobs=1, every format" + check(j1), j1, t_j1),
            stage_row("jobs=2, every format" + check(j2), j2, t_j2),
            stage_row("jobs=1, x4, no PDF" + check(k1), k1, t_k1),
            stage_row("jobs=2, x4, no PDF" + check(k2), k2, t_k2)]
    out += [stage_row(f"x{k}, no PDF" + check(r), r, t) for k, r, t in scale]
    out += [stage_row(f"df/dA, M=N={size}" + check(r), r, t) for size, r, t in sizes]
    return out


if __name__ == "__main__":
    sys.exit(main())
