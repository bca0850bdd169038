"""Second derivatives on the page: the symbol ∂²f/∂x∂y, its space, and its entries (MML 5.7).

A second derivative's ``Derivation`` carries its first derivative
(``derivation.first``); :mod:`derivgen.render.narrate` shows that one's steps
nested under the step that says the gradient comes first.
"""

from __future__ import annotations

from collections.abc import Sequence

from derivgen.derivation import Derivation, Math, SecondDeriv, Space
from derivgen.derivation.index_form import IndexForm, entry_of
from derivgen.problem.expr import Name
from derivgen.problem.model import Problem


def is_second(derivation: Derivation) -> bool:
    """Whether the derivation is a second derivative ``d2f/dxdy``."""
    return derivation.first is not None


def second_symbol(derivation: Derivation, problem: Problem) -> SecondDeriv:
    """``∂²f/∂x∂y`` for the derivation; d²f/dx² for a function of one scalar variable."""
    first = derivation.first
    assert first is not None
    for step in derivation.steps:
        if step.kind == "second_dimension" and step.math and isinstance(step.math[0].parts[0], SecondDeriv):
            return step.math[0].parts[0]
    return SecondDeriv(Name(derivation.of), Name(first.wrt), Name(derivation.wrt))


def second_space(derivation: Derivation) -> Space:
    """The space the second derivative lives in, as the lectures print it (``N×N`` for a Hessian)."""
    return Space((derivation.result.printed,))


def entry_lhs(derivation: Derivation) -> Math | None:
    """``∂²f/∂x_l∂x_k``: the entry the index form of a second derivative gives."""
    first, form = derivation.first, derivation.result.index
    if first is None or not isinstance(form, IndexForm):
        return None
    n_of = len(form.out_idx) - len(first.wrt_shape)
    of_idx, first_idx = form.out_idx[:n_of], form.out_idx[n_of:]
    return SecondDeriv(entry_of(derivation.of, of_idx), entry_of(first.wrt, first_idx),
                       entry_of(form.wrt, form.wrt_idx))


def swapped_part(derivation: Derivation, earlier: Sequence[Derivation]) -> int | None:
    """The earlier part that found the same mixed second derivative the other way round (∂²f/∂y∂x for
    ∂²f/∂x∂y), by its position; None if there is none."""
    first = derivation.first
    if first is None or first.wrt == derivation.wrt:
        return None
    for j, e in enumerate(earlier):
        same = e.of == derivation.of and e.first is not None
        if same and e.first is not None and (e.wrt, e.first.wrt) == (first.wrt, derivation.wrt):
            return j
    return None
