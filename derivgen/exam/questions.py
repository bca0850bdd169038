"""Questions an LMS grades, built from a verified derivation: numeric and multiple choice.

For every version, problem and ``find`` entry (a part):

- ``numeric``: one entry of the derivative at given values (one decimal each),
  with a tolerance.  The answer is the derived result at those values; it must
  agree with central finite differences there, else other values are drawn.
- ``choice``: "which of these is df/dx?", the right result and at least three
  distractors made by :mod:`.choices` (mistakes students make, each checked
  to differ numerically).
- ``error``: find the error, the worked solution with one planted mistake
  (:mod:`.finderror`), asked as "which step is wrong?"; a part no mistake can
  be planted in is left out, with a note.

A :class:`Question` holds Markdown with ``$...$`` math, as the rest of derivgen
does; :mod:`.moodle` and :mod:`.qti` turn it into their XML.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from derivgen.check.numeric import concrete_sizes, numeric_derivative
from derivgen.check.verify import evaluate_result
from derivgen.derivation import Deriv, Derivation, Entry
from derivgen.errors import DerivgenError
from derivgen.exam.choices import Option, choices, random_points
from derivgen.exam.finderror import NoPlantedError, plant_error
from derivgen.problem.expr import Expr, Index, Name
from derivgen.problem.model import Find, Problem
from derivgen.render.narrate import derivative_symbol, present_answer, printer_for
from derivgen.render.statement import statement_markdown

#: The question types an exam file's ``questions:`` may name.
KINDS = ("numeric", "choice", "error")
#: Relative tolerance of a numeric answer (and the absolute floor below).
TOLERANCE = 0.01
ABS_TOLERANCE = 0.001
#: Draws of values tried before a numeric question gives up.
VALUE_DRAWS = 12
#: An answer smaller than this is nearly zero: values are drawn again to ask a telling one.
MIN_ANSWER = 0.01
#: Decimals of the values, first one; more when a function is undefined at the rounded values.
DECIMALS = (1, 1, 2, 3)


@dataclass(frozen=True)
class Question:
    """One question of one version, ready for an LMS."""

    version: str
    """The version's letter (empty for a single version)."""
    number: int
    """The problem's position in the exam, from 1."""
    part: str
    """``a``, ``b``, ... when the problem has several ``find`` entries, else empty."""
    kind: str
    """One of :data:`KINDS`."""
    points: float
    """Marks: the problem's points shared evenly among its parts."""
    title: str
    """The problem's title, or ``Question N`` in an anonymous exam."""
    statement: str
    """The problem's statement: Markdown with ``$...$`` math."""
    prompt: str
    """What to answer: Markdown with ``$...$`` math."""
    solution: str
    """The answer as the solutions state it (Markdown with math), shown as feedback."""
    answer: float | None = None
    """A numeric question's answer."""
    tolerance: float | None = None
    """A numeric question's absolute tolerance."""
    options: tuple[Option, ...] = ()
    """A multiple-choice question's options, exactly one correct."""
    problem_id: str = ""
    """The problem's id (never shown in an anonymous exam)."""

    @property
    def name(self) -> str:
        """A short name that is unique in the exam: ``A-2b-numeric``."""
        version = f"{self.version}-" if self.version else ""
        return f"{version}{self.number}{self.part}-{self.kind}"


class QuestionError(DerivgenError):
    """A question of a kind the exam asks for cannot be made for a problem."""


def questions_for(version: str, number: int, problem: Problem, derivations: list[Derivation],
                  points: float, kinds: tuple[str, ...], title: str, seed: str,
                  taken: dict[tuple[int, int], set[float]] | None = None,
                  notes: list[str] | None = None) -> list[Question]:
    """Every question of the kinds asked for, for each part of one problem in one version.

    ``taken`` holds, per (problem, part), the numeric answers of the versions made before:
    values are drawn again until this version's answer is another.
    """
    taken = {} if taken is None else taken
    out: list[Question] = []
    statement = statement_markdown(problem)
    several = len(derivations) > 1
    for j, (find, d) in enumerate(zip(problem.find, derivations, strict=True)):
        part = "abcdefghijklmnopqrstuvwxyz"[j] if several else ""
        base = dict(version=version, number=number, part=part, points=points / len(derivations),
                    title=title, statement=statement, problem_id=problem.id)
        solution = f"$${present_answer(d, problem)}$$"
        for kind in kinds:
            rng = random.Random(f"{seed}:{version}:{number}:{j}:{kind}")
            if kind == "numeric":
                q = _numeric(problem, find, d, rng, solution, base, taken.setdefault((number, j), set()))
                taken[(number, j)].add(q.answer or 0.0)
                out.append(q)
            elif kind == "choice":
                out.append(_choice(problem, d, rng, solution, base))
            elif kind == "error":
                try:
                    out.append(_find_the_error(problem, d, rng, tuple(derivations[:j]), base))
                except NoPlantedError:
                    if notes is not None:  # one note for every version
                        notes.append(f"{problem.id}{f' part ({part})' if part else ''}: no find-the-error "
                                     "question: no step of its worked solution takes a mistake that shows "
                                     "there and changes the step's value")
    return out


def _choice(problem: Problem, d: Derivation, rng: random.Random, solution: str,
            base: dict[str, object]) -> Question:
    made = choices(problem, d, rng)
    symbol = derivative_symbol(d, problem)
    prompt = f"Which of the following is ${symbol}$?"
    return Question(kind="choice", prompt=prompt, solution=solution, options=made.options,
                    **base)  # type: ignore[arg-type]


def _find_the_error(problem: Problem, d: Derivation, rng: random.Random, earlier: tuple[Derivation, ...],
                    base: dict[str, object]) -> Question:
    planted = plant_error(problem, d, rng, earlier)
    lines = ["The worked solution below has a mistake in one step; the result at its end is right. "
             "Which step is wrong?", ""]
    options = []
    for i, para in enumerate(planted.paras):
        lines += [f"**Step {i + 1}.** {para.text}", ""] + [f"$${tex}$$" for tex in para.display] + [""]
        if para.display:
            right = i == planted.step
            feedback = f"Right: {planted.feedback}" if right else "This step is right."
            label = rf"\text{{Step {i + 1}}}"
            options.append(Option(label, right, feedback, planted.kind if right else "none"))
    lines += [f"$${present_answer(d, problem)}$$"]
    wrong = " ".join(f"$${t}$$" for t in planted.wrong)
    fix = " ".join(f"$${t}$$" for t in planted.right)
    solution = f"Step {planted.step + 1} is wrong ({planted.feedback}) It says {wrong} It should say {fix}"
    return Question(kind="error", prompt="\n".join(lines), solution=solution, options=tuple(options),
                    **base)  # type: ignore[arg-type]


# --- numeric -------------------------------------------------------------------------------------


def _numeric(problem: Problem, find: Find, d: Derivation, rng: random.Random, solution: str,
             base: dict[str, object], taken: set[float]) -> Question:
    sizes = concrete_sizes(problem)
    gen = np.random.default_rng(rng.randrange(2**32))
    found = None
    for draw in range(VALUE_DRAWS):
        decimals = DECIMALS[min(draw * len(DECIMALS) // VALUE_DRAWS, len(DECIMALS) - 1)]
        (point,) = random_points(problem, sizes, gen, 1)
        values = {k: np.round(v, decimals) for k, v in point.items()}
        array = _agreed_value(problem, find, d, values, sizes)
        if array is None:
            continue
        ix = _pick_entry(array, rng)
        answer = float(f"{float(array[ix]):.6g}") + 0.0  # no -0.0
        if found is None or (abs(answer) >= MIN_ANSWER and answer not in taken) or abs(found[2]) < MIN_ANSWER:
            found = (values, ix, answer)
        if answer not in taken and abs(answer) >= MIN_ANSWER:
            break
    if found is None:
        raise QuestionError(f"{problem.id}: {find.text}: no values (up to {DECIMALS[-1]} decimals) where the "
                            f"result is defined and agrees with finite differences ({VALUE_DRAWS} draws)")
    values, ix, answer = found
    tolerance = float(f"{max(TOLERANCE * abs(answer), ABS_TOLERANCE):.3g}")
    asked = _entry_tex(problem, find, d, ix)
    where = ", ".join(f"${printer_for(problem).print(Name(v.name))} = {_value_tex(values[v.name])}$"
                      for v in problem.given)
    prompt = (f"Evaluate ${asked}$ at {where}. Give the value to three significant figures "
              f"(it is marked right within {tolerance:g}).")
    solution = f"$${asked} = {answer:.6g}$$\n\n{solution}"
    return Question(kind="numeric", prompt=prompt, solution=solution, answer=answer, tolerance=tolerance,
                    **base)  # type: ignore[arg-type]


def _agreed_value(problem: Problem, find: Find, d: Derivation, values: dict[str, np.ndarray],
                  sizes: dict[str, int]) -> np.ndarray | None:
    """The derivative's array at the values, when every form and the finite differences agree there."""
    try:
        with np.errstate(all="ignore"):
            forms = list(evaluate_result(problem, d, values, sizes).values())
            numeric = numeric_derivative(problem, Name(find.of), find.wrt, values, sizes)
    except (DerivgenError, ValueError, np.linalg.LinAlgError):
        return None
    if not forms or not all(np.all(np.isfinite(f)) for f in [*forms, numeric]):
        return None
    first = forms[0]
    scale = max(1.0, float(np.max(np.abs(first), initial=0.0)))
    for other in [*forms[1:], numeric]:
        if other.shape != first.shape and other.size != first.size:
            return None
        if float(np.max(np.abs(other.reshape(first.shape) - first), initial=0.0)) > 1e-4 * scale:
            return None
    return first


def _pick_entry(array: np.ndarray, rng: random.Random) -> tuple[int, ...]:
    """An entry of the array, one that is not (nearly) zero when there is one."""
    entries = list(np.ndindex(array.shape))
    telling = [ix for ix in entries if abs(float(array[ix])) > 0.05]
    return rng.choice(telling or entries)


def _entry_tex(problem: Problem, find: Find, d: Derivation, ix: tuple[int, ...]) -> str:
    """``\\frac{\\partial L}{\\partial \\theta_{2}}``: the entry ``ix`` of the derivative array."""
    if not ix:
        return derivative_symbol(d, problem)
    n = len(d.of_shape)
    out, inner = ix[:n], ix[n:]
    of: Expr | Entry = Entry(d.of, tuple(str(i + 1) for i in out)) if out else Name(d.of)
    wrt: Expr | Entry
    if len(find.wrt) > 1:
        wrt = find.wrt[inner[0]]
    elif isinstance(find.wrt[0], Index) or not inner:
        wrt = find.wrt[0]
    else:
        name = find.wrt[0].id if isinstance(find.wrt[0], Name) else d.wrt
        wrt = Entry(name, tuple(str(i + 1) for i in inner))
    return printer_for(problem).print(Deriv(of, wrt, partial=True))


def _value_tex(a: np.ndarray) -> str:
    """A value as the paper shows it: ``0.5``, a column, a row or a matrix in brackets."""
    def num(x: float) -> str:
        return f"{float(x) + 0.0:g}"

    if a.ndim == 0:
        return num(float(a))
    rows = [[num(x)] for x in a] if a.ndim == 1 else [[num(x) for x in row] for row in a]
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{bmatrix}"
