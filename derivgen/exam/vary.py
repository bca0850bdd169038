"""Structural variation: a problem's ``vary`` alternatives in the exam file, one per version.

An alternative is a mapping of problem-file keys to replace (``title``,
``statement``, ``find``, ``show``) or to merge (``define`` and ``sizes``, entry
by entry: ``define: {f: "tanh(x)"}`` replaces the define ``f`` and keeps the
others in place; a new name is added at the end).  The problem file with the
alternative applied goes through the loader as any problem file does, so an
alternative is checked like one (names, shapes, limits); nothing is evaluated.
Version *n* takes alternative *(n + k) mod count*, *k* drawn from the seed, so
versions take different alternatives while there are enough of them.
"""

from __future__ import annotations

import random
from typing import Any

import yaml

from derivgen.build.gather import display_path
from derivgen.build.stages import Stages
from derivgen.errors import Diagnostic, ProblemError
from derivgen.exam.examfile import ExamProblem
from derivgen.limits import MAX_FILE_BYTES
from derivgen.problem.model import Problem

#: Keys whose mappings are merged entry by entry; the others are replaced whole.
MERGED = ("define", "sizes")


class _NoAliases(yaml.SafeDumper):
    """Writes repeated values out again: a problem file may hold no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def alternatives(item: ExamProblem, number: int, stages: Stages) -> list[Problem]:
    """The problem with each of its alternatives applied (just the problem when it has none)."""
    display = display_path(item.path)
    if not item.vary:
        return [stages.load(item.path, display)]
    with item.path.open("rb") as handle:
        original = yaml.safe_load(handle.read(MAX_FILE_BYTES + 1).decode("utf-8"))
    out, diagnostics = [], []
    for k, (alternative, where) in enumerate(zip(item.vary, item.vary_locations, strict=True), 1):
        data = yaml.dump(applied(original, alternative), Dumper=_NoAliases, sort_keys=False,
                         allow_unicode=True).encode("utf-8")
        try:
            out.append(stages.load(item.path, f"{display} (problems[{number}].vary[{k}])", data))
        except ProblemError as e:
            diagnostics += [Diagnostic(where, f"problems[{number}].vary[{k}]: with this alternative the "
                                              f"problem does not load: {d.message}") for d in e.diagnostics]
    if diagnostics:
        raise ProblemError(diagnostics)
    return out


def applied(problem: Any, alternative: dict[str, Any]) -> Any:
    """The problem file's data with the alternative's keys replaced or merged."""
    if not isinstance(problem, dict):
        return problem  # the loader says what is wrong with the file itself
    data = dict(problem)
    for key, value in alternative.items():
        if key in MERGED and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def choose(counts: list[int], variants: int, seed: int) -> list[list[int]]:
    """Per version, per problem, which alternative (0-based): each problem's start drawn from the seed."""
    starts = [random.Random(f"derivgen-vary:{seed}:{i}").randrange(n) if n > 1 else 0
              for i, n in enumerate(counts)]
    return [[(v + s) % n for s, n in zip(starts, counts, strict=True)] for v in range(variants)]

