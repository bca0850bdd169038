"""Multiple choice from a verified result: the right answer and distractors that are checked wrong.

The candidates are :mod:`.distractors`' mutations of the result's closed form
(else of its entry formula, else of one entry of its explicit array).  Each is
evaluated at :data:`POINTS` random points of the problem: a candidate that does
not evaluate (a product of the wrong shapes), is not finite, has neither the
answer's shape nor (for the layout mistake) its transpose, or whose values are
those of the right answer or of an option already kept (within :data:`DIFFERENT`)
is dropped.  At most one distractor per kind of mistake is taken while kinds
remain, so the options show different mistakes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from derivgen.check.index_values import index_array
from derivgen.check.numeric import concrete_shape, concrete_sizes, random_values
from derivgen.derivation import Derivation
from derivgen.derivation.index_form import IndexForm
from derivgen.errors import DerivgenError, VerificationError
from derivgen.exam.distractors import Mutation, closed_mutations, explicit_mutations, index_mutations
from derivgen.problem.evaluate import Evaluator
from derivgen.problem.expr import Expr
from derivgen.problem.model import Problem
from derivgen.render.narrate import printer_for

#: Random points at which every option is evaluated.
POINTS = 3
#: Two options differ when, at some point, their values differ by this much relative to their scale.
DIFFERENT = 1e-3
#: Values below this are zero to the comparison (far below anything an option's difference shows).
TINY = 1e-12
#: Distractors per question (the right answer makes one more option).
DISTRACTORS = 4
#: Draws of the check's random points tried per point wanted.
POINT_TRIES = 5
#: Fewest distractors a multiple-choice question may have.
MIN_DISTRACTORS = 3


@dataclass(frozen=True)
class Option:
    """One answer of a multiple-choice question."""

    tex: str
    """The answer in LaTeX (no delimiters)."""
    correct: bool
    """Whether this is the right answer."""
    feedback: str
    """What a student who picks it reads: the mistake made, or that it is right."""
    kind: str = "right"
    """The mistake (a key of :data:`derivgen.exam.distractors.FEEDBACK`), ``right``, or ``none`` (a step
    of a find-the-error question that is right)."""
    form: object = None
    """The option as math: a closed form, an entry formula, or an explicit array."""


@dataclass(frozen=True)
class Choices:
    """The options of a multiple-choice question, in the order shown."""

    subject: str
    """What the options are values of: ``whole`` result, or ``entry`` (one entry of a tensor)."""
    options: tuple[Option, ...]
    """Exactly one correct."""


class NoChoices(DerivgenError):
    """Fewer than :data:`MIN_DISTRACTORS` distractors survive the checks."""


def choices(problem: Problem, derivation: Derivation, rng: random.Random) -> Choices:
    """The right answer and up to :data:`DISTRACTORS` checked distractors, shuffled by ``rng``."""
    r = derivation.result
    right: object
    if r.closed is not None:
        right, shape = r.closed, r.printed
        candidates = closed_mutations(right, any(d != 1 for d in r.printed))
    elif isinstance(r.index, IndexForm):
        right, shape = r.index, r.shape
        candidates = index_mutations(right)
    elif r.explicit is not None:
        right, shape = r.explicit, r.shape
        candidates = explicit_mutations(right)
    else:
        raise NoChoices(f"d{derivation.of}/d{derivation.wrt} has neither a closed form nor an entry formula")
    kept = _screen(problem, right, shape, candidates, rng)
    if len(kept) < MIN_DISTRACTORS:
        raise NoChoices(f"d{derivation.of}/d{derivation.wrt}: only {len(kept)} distractors differ from the "
                        f"answer and from each other (at least {MIN_DISTRACTORS} are needed); ask it with "
                        "questions: [numeric] in the exam file")
    printer = printer_for(problem)
    options = [Option(printer.print(right), True, "Right.", "right", right)]
    options += [Option(printer.print(m.expr), False, m.feedback, m.kind, m.expr) for m in kept]
    if len({o.tex for o in options}) != len(options):
        raise NoChoices(f"d{derivation.of}/d{derivation.wrt}: two options print alike")
    rng.shuffle(options)
    return Choices("whole", tuple(options))


def _screen(problem: Problem, right: object, shape: tuple[object, ...],
            candidates: list[Mutation], rng: random.Random) -> list[Mutation]:
    """The candidates that are well-shaped and differ from the answer and from each other."""
    sizes = concrete_sizes(problem)
    gen = np.random.default_rng(rng.randrange(2**32))
    points = random_points(problem, sizes, gen, POINTS)
    want = concrete_shape(shape, sizes)
    values = [v for p in points if (v := form_value(right, p, sizes)) is not None]
    if len(values) < len(points):
        raise NoChoices("the right answer does not evaluate at random points")
    seen: list[list[np.ndarray]] = [values]
    order = list(candidates)
    rng.shuffle(order)
    # the whole result's mistakes last, and halving last of all
    order.sort(key=lambda m: (m.kind in ("sign", "double", "layout"), m.kind == "half"))
    kept: list[Mutation] = []
    for prefer_new_kind in (True, False):
        for m in order:
            if len(kept) == DISTRACTORS or m in kept:
                continue
            if prefer_new_kind and any(k.kind == m.kind for k in kept):
                continue
            got = [v for p in points if (v := form_value(m.expr, p, sizes)) is not None]
            if len(got) == len(points) and _acceptable(got, want, m.kind) \
                    and all(values_differ(got, other) for other in seen):
                kept.append(m)
                seen.append(got)
    return kept


def random_points(problem: Problem, sizes: Mapping[str, int], gen: np.random.Generator,
                  count: int) -> list[dict[str, np.ndarray]]:
    """``count`` points where the problem is defined, drawn as the check draws them; a problem
    defined on a narrow domain (``log(x - 1.3)``) gets more tries than one draw of the check."""
    points: list[dict[str, np.ndarray]] = []
    error: VerificationError | None = None
    for _ in range(count * POINT_TRIES):
        if len(points) == count:
            return points
        try:
            points.append(random_values(problem, sizes, gen))
        except VerificationError as e:
            error = e
    if len(points) < count and error is not None:
        raise error
    return points


def form_value(form: object, values: Mapping[str, np.ndarray], sizes: Mapping[str, int]) -> np.ndarray | None:
    """The form's value, or None when it does not evaluate (shapes that do not fit, no finite value)."""
    try:
        with np.errstate(all="ignore"):
            if isinstance(form, IndexForm):
                v = np.asarray(index_array(form, values, sizes), dtype=np.float64)
            else:
                v = np.asarray(_evaluate(form, Evaluator(values, sizes)), dtype=np.float64)
    except (DerivgenError, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError,
            np.linalg.LinAlgError):
        return None
    return v if np.all(np.isfinite(v)) else None


def _evaluate(form: object, ev: Evaluator) -> object:
    """An expression's value; an explicit array's entry by entry (nested lists)."""
    if isinstance(form, tuple):
        return [_evaluate(item, ev) for item in form]
    if isinstance(form, Expr):
        return ev.value(form)
    raise TypeError(f"not a form: {type(form).__name__}")


def _acceptable(got: list[np.ndarray], want: tuple[int, ...], kind: str) -> bool:
    """Evaluates at every point to the answer's shape (its transpose for the layout mistake)."""
    shapes = {rows_cols(g.shape) for g in got}
    if len(shapes) != 1:
        return False
    (shape,) = shapes
    return shape == rows_cols(want) or (kind == "layout" and shape == rows_cols(tuple(reversed(want))))


def rows_cols(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape as rows x columns (a column vector ``(N,)`` is ``N x 1``; a scalar ``1 x 1``)."""
    if len(shape) == 0:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    return tuple(shape)


def values_differ(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Different at some point: in shape, or in value beyond :data:`DIFFERENT` of their scale."""
    for x, y in zip(a, b, strict=True):
        if rows_cols(x.shape) != rows_cols(y.shape):
            return True
        x, y = x.reshape(-1), y.reshape(-1)
        # relative to the values' own scale: a derivative of 1e-9 at every point still tells -x from x
        scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)), TINY)
        if float(np.max(np.abs(x - y), initial=0.0)) > DIFFERENT * scale:
            return True
    return False
