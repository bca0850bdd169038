"""Lecture-grade output, measured: pages per sheet at each detail level, and three solutions
beside the lecture's own steps (MML Figure 5.7, Example 5.10, Example 5.11).

    .venv/bin/python bench/lecture_side_by_side.py     # writes bench/LECTURE.md

It builds the bank into a temporary folder once per detail level (with PDFs: TeX is needed),
counts the pages of every sheet's solutions.pdf, and copies derivgen's Markdown for the three
examples next to the steps the lecture takes (the lecture's facts and order, summarised here
in math; see shared/seeds/ for the texts).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "LECTURE.md"

#: Pages of each sheet's solutions.pdf at commit bc21516, before detail levels (the review's count).
BEFORE = {"1-scalar": (4, 3), "2-multivariate": (7, 15), "3-matrix": (9, 21), "4-identities": (12, 10)}

#: The lecture's steps for each example, in its order (facts and notation from the seeds).
LECTURE = {
    "figure-5-7": ("MML Figure 5.7 (seed 001)", [
        r"$\mathrm{d}\boldsymbol{A}/\mathrm{d}\boldsymbol{x} \in \mathbb{R}^{4\times 2\times 3}$",
        r"(a) the partial derivatives "
        r"$\partial\boldsymbol{A}/\partial x_1, \partial\boldsymbol{A}/\partial x_2, "
        r"\partial\boldsymbol{A}/\partial x_3 \in \mathbb{R}^{4\times 2}$, "
        r"collated into the $4\times 2\times 3$ tensor",
        r"(b) $\boldsymbol{A}$ flattened into $\tilde{\boldsymbol{A}} \in \mathbb{R}^{8}$, the gradient "
        r"$\mathrm{d}\tilde{\boldsymbol{A}}/\mathrm{d}\boldsymbol{x} \in \mathbb{R}^{8\times 3}$, "
        r"re-shaped into "
        r"$\mathbb{R}^{4\times 2\times 3}$",
    ]),
    "composition-f-of-g": ("MML Example 5.10 (seed 002, \"Example - Chain Rule\")", [
        r"$\partial f/\partial\boldsymbol{x} \in \mathbb{R}^{1\times 2}$, "
        r"$\partial g/\partial t \in \mathbb{R}^{2\times 1}$",
        r"$\frac{\mathrm{d}h}{\mathrm{d}t} = "
        r"\frac{\partial f}{\partial \boldsymbol{x}}\frac{\partial \boldsymbol{x}}{\partial t}"
        r"= \begin{bmatrix}\frac{\partial f}{\partial x_1} & "
        r"\frac{\partial f}{\partial x_2}\end{bmatrix}"
        r"\begin{bmatrix}\frac{\partial x_1}{\partial t}\\ \frac{\partial x_2}{\partial t}\end{bmatrix}$",
        r"$= \begin{bmatrix}\exp(x_1x_2^2)x_2^2 & 2\exp(x_1x_2^2)x_1x_2\end{bmatrix}"
        r"\begin{bmatrix}\cos t - t\sin t\\ \sin t + t\cos t\end{bmatrix}$",
        r"$= \exp(x_1x_2^2)\left(x_2^2(\cos t - t\sin t) + 2x_1x_2(\sin t + t\cos t)\right)$, "
        r"with $x_1 = t\cos t$, $x_2 = t\sin t$",
    ]),
    "least-squares": ("MML Example 5.11 (seeds 001, 002)", [
        r"$\partial L/\partial\boldsymbol{\theta} \in \mathbb{R}^{1\times D}$",
        r"$\frac{\partial L}{\partial\boldsymbol{\theta}} = \frac{\partial L}{\partial\boldsymbol{e}}"
        r"\frac{\partial\boldsymbol{e}}{\partial\boldsymbol{\theta}}$",
        r"$\lVert\boldsymbol{e}\rVert^2 = \boldsymbol{e}^\top\boldsymbol{e}$, so "
        r"$\partial L/\partial\boldsymbol{e} = 2\boldsymbol{e}^\top \in \mathbb{R}^{1\times N}$",
        r"$\partial\boldsymbol{e}/\partial\boldsymbol{\theta} = -\boldsymbol{\Phi} "
        r"\in \mathbb{R}^{N\times D}$",
        r"$\frac{\partial L}{\partial\boldsymbol{\theta}} = -2\boldsymbol{e}^\top\boldsymbol{\Phi} = "
        r"\underbrace{-2(\boldsymbol{y}^\top - \boldsymbol{\theta}^\top\boldsymbol{\Phi}^\top)}_{1\times N}"
        r"\underbrace{\boldsymbol{\Phi}}_{N\times D} \in \mathbb{R}^{1\times D}$",
    ]),
}
WHERE = {"figure-5-7": "3-matrix", "composition-f-of-g": "2-multivariate", "least-squares": "3-matrix"}


def build(detail: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "derivgen", "build", str(ROOT / "problems"), "-o", str(out),
                    "--no-cache", "--quiet", "--detail", detail], check=True, cwd=ROOT)


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]


def solution(md: Path) -> str:
    """The worked solution of a problem page: from "Solution" to the end."""
    text = md.read_text(encoding="utf-8")
    return text[text.index("## Solution") + len("## Solution"):].strip() if "## Solution" in text else text


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outs = {d: Path(tmp) / d for d in ("lecture", "full", "answer")}
        for detail, out in outs.items():
            build(detail, out)
        lines = ["# Lecture-grade output, measured", "",
                 "Written by `bench/lecture_side_by_side.py`; do not edit by hand.", "",
                 "## Pages of the solution sheets", "",
                 "| sheet | problems | before (bc21516) | full | lecture (default) | answer |",
                 "|---|---|---|---|---|---|"]
        totals = [0, 0, 0, 0, 0]
        sheets = sorted(p.parent.name for p in outs["lecture"].glob("*/solutions.pdf"))
        for sheet in sheets:  # the sheets of today's bank; "before" only for those of bc21516
            n = len(list((outs["lecture"] / sheet / "md").glob("*.md")))
            counts = [pages(outs[d] / sheet / "solutions.pdf") for d in ("full", "lecture", "answer")]
            before = BEFORE[sheet][1] if sheet in BEFORE else 0
            lines.append(f"| {sheet} | {n} | {before or '(new)'} | " + " | ".join(map(str, counts)) + " |")
            for i, v in enumerate([n, before, *counts]):
                totals[i] += v
        before_n = sum(v[0] for v in BEFORE.values())
        lines.append(f"| all | {totals[0]} | {totals[1]} for {before_n} ({totals[1] / before_n:.2f}/problem) "
                     f"| {totals[2]} | **{totals[3]} ({totals[3] / totals[0]:.2f}/problem)** | {totals[4]} |")
        lines += ["", "`full` shows every step the engine records (the output before detail levels, with "
                  "today's typesetting); `lecture` is the default.", ""]
        for pid, (name, steps) in LECTURE.items():
            lines += [f"## {name}", "", "**The lecture's steps** (facts and order, summarised):", ""]
            lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
            lines += ["", "**derivgen at `lecture`** (its Markdown, as a course site shows it):", "",
                      solution(outs["lecture"] / WHERE[pid] / "md" / f"{pid}.md"), ""]
        OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
