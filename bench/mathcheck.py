"""What checking statement math at load costs: the bank loaded with the check off, with KaTeX, without Node.

Run from the repository root:  .venv/bin/python bench/mathcheck.py   (writes bench/MATHCHECK.md)

Each figure is the best of five fresh Python processes loading every problem
file of ``problems/`` (the bank, 33 files) or of the bank four times over (the
same files again: the in-process memo answers repeated formulas), the way the
build's load stage does: one file after another, in one process, so one Node
process serves them all.  "load" is the time in ``load_problem`` only
(Python start-up and imports excluded); Node's start-up (KaTeX's script
loaded) falls in the first file's load.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5

RUNNER = """
import json, sys, time
from pathlib import Path
from derivgen.problem.loader import load_problem
files = [p for p in sorted(Path(sys.argv[1]).rglob("*.yaml")) if p.name != "derivgen.yaml"]
times = int(sys.argv[2])
t0 = time.perf_counter()
for _ in range(times):
    for f in files:
        load_problem(f)
print(json.dumps({"files": len(files) * times, "load": time.perf_counter() - t0}))
"""

MODES = {
    "check off (DERIVGEN_MATH_CHECK=off)": {"DERIVGEN_MATH_CHECK": "off"},
    "KaTeX in one Node process": {},
    "no Node: derivgen's own reading": {"DERIVGEN_NODE": "none"},
}


def best(env: dict[str, str], times: int) -> dict[str, float]:
    runs = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-c", RUNNER, str(ROOT / "problems"), str(times)],
                              capture_output=True, text=True, check=True, env={**os.environ, **env})
        runs.append(json.loads(done.stdout))
    return min(runs, key=lambda r: r["load"])


NODE_RUNNER = """
import json, time
from derivgen.problem import katex
t0 = time.perf_counter()
katex.parse_formulas([("x", False)])
t1 = time.perf_counter()
katex.parse_formulas([(f"\\\\frac{{\\\\partial L}}{{\\\\partial \\\\boldsymbol{{\\\\theta}}}} + {i}", False)
                      for i in range(200)])
print(json.dumps({"start": t1 - t0, "each": (time.perf_counter() - t1) / 200}))
"""


def node_costs() -> dict[str, float]:
    runs = [json.loads(subprocess.run([sys.executable, "-c", NODE_RUNNER], capture_output=True, text=True,
                                      check=True).stdout) for _ in range(RUNS)]
    return {"start": min(r["start"] for r in runs), "each": min(r["each"] for r in runs)}


def formulas_in_bank() -> int:
    from derivgen.problem.mathtext import find_math

    count = 0
    for path in (ROOT / "problems").rglob("*.yaml"):
        count += len(find_math(path.read_text(encoding="utf-8"))[0])
    return count


def main() -> int:
    rows, bank = [], []
    for label, env in MODES.items():
        one, four = best(env, 1), best(env, 4)
        bank.append(one["load"])
        rows.append(f"| {label} | {one['load']:.3f} | {four['load']:.3f} |")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() or "none"
    costs = node_costs()
    lines = [
        "# Statement math checked at load: the cost",
        "",
        f"Date {datetime.date.today()}; machine: `nproc` = {os.cpu_count()}, {platform.machine()}, Python "
        f"{platform.python_version()}, Node {node}; load average {os.getloadavg()[0]:.1f} (other work on the "
        "machine slows every figure alike).  Regenerate with `.venv/bin/python bench/mathcheck.py`.",
        "",
        f"Seconds spent in `load_problem`, best of {RUNS} fresh processes; the bank holds about "
        f"{formulas_in_bank()} formulas (a rough count over whole files).",
        "",
        "| mode | bank (33 files) | bank x4 (132 loads) |",
        "|---|---|---|",
        *rows,
        "",
        "The KaTeX row includes starting Node and loading KaTeX's script once (one process for the",
        f"whole build): {costs['start']:.3f} s; then each formula costs {1000 * costs['each']:.2f} ms "
        "(`katex.renderToString`,",
        "as a site runs it; KaTeX's internal `__parse` alone would be about ten times faster, but is no",
        "public API).  Repeated formulas are answered from an in-process memo, and a warm build does",
        "not load unchanged problems at all (the build cache holds them), so it never starts Node.",
        f"Against a cold build of the bank (about 4.8 s, RESULTS.md) the check adds "
        f"{bank[1] - bank[0]:.2f} s.",
        "",
    ]
    (ROOT / "bench" / "MATHCHECK.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
