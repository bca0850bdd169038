"""Find the error: a worked solution with one planted mistake in one step.

:func:`plant_error` takes a verified derivation and changes one expression in
one of its steps with a mistake of :mod:`.distractors` (a transpose dropped, a
sign, a factor lost, ...).  The mistake is kept only if it shows in exactly one
paragraph of the solution as derivgen writes it, and if the numeric check
confirms that it changes the step's value: the expression before and after,
its defines written out, is evaluated at :data:`derivgen.exam.choices.POINTS`
random points and must differ there.  The rest of the solution, and its
verified result, stay as derived, so the wrong line is the one that does not
follow.  As an LMS question it asks which step is wrong (one option per step
that displays math); the feedback and the key name the step and its fix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from derivgen.check.numeric import concrete_sizes
from derivgen.derivation import Derivation, Relation, Step
from derivgen.errors import DerivgenError
from derivgen.exam.choices import POINTS, form_value, random_points, rows_cols, values_differ
from derivgen.exam.distractors import FEEDBACK, closed_mutations
from derivgen.problem.expr import Expr
from derivgen.problem.model import Problem
from derivgen.render.narrate import Para, present

#: Steps that state rather than compute: no mistake is planted there.
NOT_PLANTED = ("dimension",)

Path = tuple[tuple[int, ...], int, int]
"""Where an expression sits: the step (indices through substeps), its relation, the part."""


@dataclass(frozen=True)
class PlantedError:
    """A worked solution with one mistake, and where and what it is."""

    paras: tuple[Para, ...]
    """The solution as shown, with the mistake."""
    step: int
    """Index into ``paras`` of the wrong paragraph."""
    wrong: tuple[str, ...]
    """The wrong paragraph's displays (LaTeX)."""
    right: tuple[str, ...]
    """What they should be."""
    kind: str
    """The mistake, a key of :data:`derivgen.exam.distractors.FEEDBACK`."""
    before: Expr
    """The expression as derived."""
    after: Expr
    """The expression with the mistake (its value differs at the checked points)."""

    @property
    def feedback(self) -> str:
        return FEEDBACK[self.kind]


class NoPlantedError(DerivgenError):
    """No step of the solution takes a mistake that shows and changes its value."""


def plant_error(problem: Problem, derivation: Derivation, rng: random.Random,
                earlier: tuple[Derivation, ...] = ()) -> PlantedError:
    """One mistake in one step, checked to show in one paragraph and to change the step's value."""
    original = tuple(present(derivation, problem, earlier))
    sizes = concrete_sizes(problem)
    gen = np.random.default_rng(rng.randrange(2**32))
    points = random_points(problem, sizes, gen, POINTS)
    candidates = [(path, m.kind, m.expr) for path, e in _expressions(derivation.steps)
                  for m in closed_mutations(e, False) if isinstance(m.expr, Expr)]
    rng.shuffle(candidates)
    for path, kind, new in candidates:
        old = _part(derivation.steps, path)
        if not _changes_value(problem, old, new, points, sizes):
            continue
        mutated = replace(derivation, steps=_with_part(derivation.steps, path, new))
        try:
            shown = tuple(present(mutated, problem, earlier))
        except DerivgenError:
            continue
        changed = [i for i, (a, b) in enumerate(zip(original, shown, strict=False)) if a != b]
        if len(shown) == len(original) and len(changed) == 1 and shown[changed[0]].display:
            k = changed[0]
            return PlantedError(shown, k, shown[k].display, original[k].display, kind, old, new)
    raise NoPlantedError(f"d{derivation.of}/d{derivation.wrt}: no step of the worked solution takes a "
                         "mistake that shows in it and changes its value")


def _expressions(steps: tuple[Step, ...], prefix: tuple[int, ...] = ()) -> list[tuple[Path, Expr]]:
    """Every expression right of a relation sign, in every step that computes."""
    found: list[tuple[Path, Expr]] = []
    for i, step in enumerate(steps):
        where = prefix + (i,)
        if step.kind not in NOT_PLANTED:
            for r, rel in enumerate(step.math):
                found += [((where, r, p), part) for p, part in enumerate(rel.parts)
                          if p > 0 and isinstance(part, Expr) and rel.ops[p - 1] == "="]
        found += _expressions(step.substeps, where)
    return found


def _part(steps: tuple[Step, ...], path: Path) -> Expr:
    where, r, p = path
    step = steps[where[0]]
    for i in where[1:]:
        step = step.substeps[i]
    part = step.math[r].parts[p]
    assert isinstance(part, Expr)
    return part


def _with_part(steps: tuple[Step, ...], path: Path, new: Expr) -> tuple[Step, ...]:
    where, r, p = path
    i = where[0]
    step = steps[i]
    if len(where) > 1:
        step = replace(step, substeps=_with_part(step.substeps, (where[1:], r, p), new))
    else:
        rel = step.math[r]
        parts = rel.parts[:p] + (new,) + rel.parts[p + 1:]
        step = replace(step, math=step.math[:r] + (Relation(parts, rel.ops),) + step.math[r + 1:])
    return steps[:i] + (step,) + steps[i + 1:]


def _changes_value(problem: Problem, old: Expr, new: Expr, points: list[dict[str, np.ndarray]],
                   sizes: dict[str, int]) -> bool:
    """Both evaluate at every point (defines written out) to one shape, and differ at some."""
    try:
        before = [form_value(problem.expand(old), p, sizes) for p in points]
        after = [form_value(problem.expand(new), p, sizes) for p in points]
    except (DerivgenError, RecursionError, ValueError, TypeError):
        return False
    if any(v is None for v in before + after):
        return False
    b = [v for v in before if v is not None]
    a = [v for v in after if v is not None]
    if any(rows_cols(x.shape) != rows_cols(y.shape) for x, y in zip(a, b, strict=True)):
        return False  # a mistake of another shape (a row for a column) is not a change of value
    return values_differ(b, a)
