"""``derivgen new PATH``: a commented problem file that builds as it is, to edit into a new problem.

Three starting points (``--kind``): ``scalar`` (a function of one variable, the
chain rule), ``matrix`` (a gradient by a vector, MML Example 5.11) and
``exam`` (the same with ``points:`` for an exam paper).  The first line is the
modeline the YAML language server reads (VS Code, Neovim, Helix, ...), so the
editor checks the file against derivgen's JSON Schema while it is written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from derivgen.authoring.schema import FILES, FOLDER
from derivgen.errors import UsageError

KINDS = ("scalar", "matrix", "exam")

HEAD = """\
# yaml-language-server: $schema=SCHEMA
# A derivgen problem (docs/problem-format.md). `derivgen build THIS_FILE` builds it as it is:
# change the title, the statement and the formulas into your own problem.
title: TITLE
source: Your course, week 5          # the attribution, shown under the title (optional)
tags: [TAGS]  # optional
"""

BODIES = {
    "scalar": """\
statement: |                         # Markdown; math in $...$ (checked when the file loads)
  Compute the derivative of $h(x) = (2x + 1)^4$ by writing $h$ as a
  composition $g(f(x))$ of an inner and an outer function.
given:                               # the variables: `scalar`, [N] a vector, [M, N] a matrix
  x: scalar
define:                              # quantities in the expression language, in order
  h: (2*x + 1)**4
find:                                # the derivatives asked for, d<of>/d<wrt>
  - dh/dx
""",
    "matrix": """\
statement: |                         # Markdown; math in $...$ (checked when the file loads)
  In the linear model $\\boldsymbol{y} = \\boldsymbol{\\Phi}\\boldsymbol{\\theta}$, define the residual
  $\\boldsymbol{e} = \\boldsymbol{y} - \\boldsymbol{\\Phi}\\boldsymbol{\\theta}$ and the loss
  $L = \\lVert\\boldsymbol{e}\\rVert^2$.
  Compute $\\partial L/\\partial\\boldsymbol{\\theta}$ with the chain rule.
given:                               # the variables: `scalar`, [N] a vector, [M, N] a matrix
  theta: [D]
  Phi: [N, D]
  y: [N]
define:                              # quantities in the expression language, in order
  e: y - Phi @ theta
  L: norm(e)**2
find:                                # the derivatives asked for, d<of>/d<wrt>
  - dL/dtheta
sizes: {N: 3, D: 2}                  # sizes for the numeric check and the explicit arrays
""",
}
BODIES["exam"] = BODIES["matrix"] + """\
points: 10                           # the marks for this question in an exam (derivgen exam)
detail: lecture                      # how much of the solution to show: answer, lecture or full
"""
TAGS = {"scalar": "univariate, chain-rule", "matrix": "chain-rule, least-squares",
        "exam": "exam, chain-rule"}


def starter(kind: str, title: str, schema: str) -> str:
    """The text of a new problem file of ``kind``."""
    if kind not in KINDS:
        raise UsageError(f"--kind: unknown kind '{kind}' (choose from {', '.join(KINDS)})")
    quoted = "'" + title.replace("'", "''") + "'"
    head = HEAD.replace("SCHEMA", schema).replace("TITLE", quoted).replace("TAGS", TAGS[kind])
    return head + BODIES[kind]


def title_of(path: Path) -> str:
    """A title from the file name: ``least-squares.yaml`` -> ``Least squares``."""
    words = re.sub(r"[-_.]+", " ", path.stem).strip()
    return (words[:1].upper() + words[1:]) or "A new problem"


def schema_reference(path: Path, given: str | None) -> str:
    """What the modeline names: ``given``, else the shipped schema relative to the new file."""
    if given:
        return given
    shipped = FOLDER / FILES["problem"]
    here = path.resolve().parent
    try:
        if Path(os.path.commonpath([shipped, here])) == Path(here.anchor):
            return shipped.as_uri()  # nothing in common but the root: the full address reads better
        return Path(os.path.relpath(shipped, here)).as_posix()
    except ValueError:  # another drive (Windows)
        return shipped.as_uri()


def new_problem(path: Path, kind: str = "scalar", schema: str | None = None) -> Path:
    """Write a new problem file at ``path``; never overwrites one."""
    if path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{path}: a problem file's name ends in .yaml or .yml")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", path.stem):
        raise UsageError(f"{path}: the file name is its id: only letters, digits, '-', '_' and '.'")
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path}: already exists; choose another name (derivgen new never overwrites)")
    text = starter(kind, title_of(path), schema_reference(path, schema))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"{path}: cannot write the file ({e.strerror or e})") from e
    return path
