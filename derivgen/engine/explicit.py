"""Derivatives of concrete arrays whose entries are scalar expressions.

A vector field given entry by entry gets its Jacobian, J(i, j) = ∂f_i/∂x_j.
A matrix A(x) gets dA/dx both ways of the book's Figure 5.7: (a) each ∂A/∂x_k
as a matrix, collated into a tensor; (b) A flattened by stacking its columns,
the Jacobian of that vector, re-shaped into the same tensor.  Every entry comes
from :func:`~derivgen.engine.scalar.rules.differentiate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from derivgen.derivation import Block, Deriv, Entry, Math, Relation, Space, Step, Tuple
from derivgen.engine.scalar.rules import ScalarDerivative, differentiate
from derivgen.errors import DerivationError
from derivgen.problem.expr import Call, Expr, Index, Name
from derivgen.problem.text import to_text

#: Nested tuples of scalar expressions, in array layout.
Nested = tuple


@dataclass(frozen=True)
class ExplicitDerivative:
    """The derivative of a concrete array, entry by entry, with its worked steps."""

    steps: tuple[Step, ...]
    """Partials grouped per entry or per variable, then their collection."""
    entries: Nested
    """Nested tuples of tidy scalar expressions in array layout (of's dims, then wrt's)."""
    shape: tuple[int, ...]
    """The array layout's shape: ``(m, n)`` for a Jacobian, ``(P, Q, n)`` for dA/dx."""


# --- Jacobian of a vector field --------------------------------------------------------------


def jacobian(
    of_entries: Sequence[Expr], of_name: str, wrt_atoms: tuple[Expr, ...], wrt_name: str
) -> ExplicitDerivative:
    """df/dx for f = [f_1, ..., f_m] by n scalars: the m×n matrix J(i, j) = ∂f_i/∂x_j."""
    m, n = len(of_entries), len(wrt_atoms)
    shown = tuple(Entry(of_name, (str(i + 1),)) for i in range(m))
    groups, values = _partials_table(tuple(of_entries), shown, wrt_atoms, wrt_name)
    symbols = tuple(tuple(Deriv(f, x, True) for x in wrt_atoms) for f in shown)
    whole = Deriv(Name(of_name), _shown_wrt(wrt_atoms, wrt_name))
    collect = Relation((whole, Block(symbols), Block(values), Space(((m, n),))), ("=", "=", "∈"))
    rule = Relation((Entry("J", ("i", "j")), Deriv(Entry(of_name, ("i",)), Entry(wrt_name, ("j",)), True)))
    step = Step("gradient", (collect, rule), {"kind": "jacobian"})
    return ExplicitDerivative(groups + (step,), values, (m, n))


def _partials_table(
    entries: tuple[Expr, ...], shown: tuple[Entry, ...], atoms: tuple[Expr, ...], wrt_name: str
) -> tuple[tuple[Step, ...], tuple[tuple[Expr, ...], ...]]:
    """∂e/∂x for every entry e and variable x: one ``partials`` group per entry, and the values."""
    table = [[differentiate(e, x, partial=True) for x in atoms] for e in entries]
    groups = tuple(
        _entry_group(name, e, atoms, row, {"by": wrt_name, "entry": ",".join(name.indices)})
        for name, e, row in zip(shown, entries, table, strict=True)
    )
    return groups, tuple(tuple(d.result for d in row) for row in table)


def _entry_group(
    shown: Entry, f: Expr, atoms: tuple[Expr, ...], row: Sequence[ScalarDerivative], facts: dict[str, object]
) -> Step:
    """One output entry: ∂f_i/∂x_j for every j; the worked ones follow as substeps."""
    partials = tuple(Relation((Deriv(shown, x, True), d.result)) for x, d in zip(atoms, row, strict=True))
    math = (Relation((shown, f)), *partials)
    return Step("partials", math, facts, _worked_steps(row))


def _worked_steps(partials: Sequence[ScalarDerivative]) -> tuple[Step, ...]:
    """The steps of the partials that apply a rule worth showing (not "a constant gives 0")."""
    trivial = ("constant", "component", "variable")
    return tuple(
        s for d in partials if len(d.steps) > 1 or d.steps[0].facts.get("rule") not in trivial
        for s in d.steps
    )


def _shown_wrt(atoms: tuple[Expr, ...], wrt_name: str) -> Math:
    if all(isinstance(a, Index) and a.base == Name(wrt_name) for a in atoms):
        return Name(wrt_name)
    return Tuple(atoms)


# --- a matrix by a vector: Figure 5.7 ------------------------------------------------------------


def array_by_vector(
    matrix_entries: Sequence[Sequence[Expr]],
    of_name: str,
    wrt_atoms: tuple[Expr, ...],
    wrt_name: str,
    routes: tuple[str, ...] = ("partials", "vec"),
) -> ExplicitDerivative:
    """dA/dx ∈ R^{P×Q×n}, entry [p, q, k] = ∂A_pq/∂x_k, by the routes asked for.

    ``partials``: each ∂A/∂x_k as a P×Q matrix, collated into the tensor.
    ``vec``: A flattened into Ã ∈ R^{PQ} (columns stacked), the PQ×n Jacobian,
    re-shaped.  With both, the two tensors must agree.
    """
    rows = tuple(tuple(r) for r in matrix_entries)
    _check_matrix(rows, routes)
    steps: list[Step] = []
    tensors: list[Nested] = []
    if "partials" in routes:
        collated, partial_steps = _collate_route(rows, of_name, wrt_atoms, wrt_name)
        steps += partial_steps
        tensors.append(collated)
    if "vec" in routes:
        reshaped, vec_step = _vec_route(rows, of_name, wrt_atoms, wrt_name)
        steps.append(vec_step)
        tensors.append(reshaped)
    if any(t != tensors[0] for t in tensors[1:]):
        raise DerivationError(f"the two routes to d{of_name}/d{wrt_name} disagree")
    shape = (len(rows), len(rows[0]), len(wrt_atoms))
    return ExplicitDerivative(tuple(steps), tensors[0], shape)


def _check_matrix(rows: tuple[tuple[Expr, ...], ...], routes: tuple[str, ...]) -> None:
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise DerivationError("the matrix must have rows of equal, non-zero length")
    unknown = [r for r in routes if r not in ("partials", "vec")]
    if unknown or not routes:
        raise DerivationError(f"the routes are 'partials' and 'vec', not {', '.join(unknown) or 'none'}")


def _collate_route(
    rows: tuple[tuple[Expr, ...], ...], of_name: str, atoms: tuple[Expr, ...], wrt_name: str
) -> tuple[Nested, list[Step]]:
    """(a): ∂A/∂x_k ∈ R^{P×Q} for each k, then collated into R^{P×Q×n}."""
    P, Q, n = len(rows), len(rows[0]), len(atoms)
    slices: list[tuple[tuple[Expr, ...], ...]] = []
    steps: list[Step] = []
    for x in atoms:
        table = [[differentiate(a, x, partial=True) for a in row] for row in rows]
        values = tuple(tuple(d.result for d in r) for r in table)
        substeps = _worked_steps([d for r in table for d in r])
        slice_math = Relation((Deriv(Name(of_name), x, True), Block(values), Space(((P, Q),))), ("=", "∈"))
        steps.append(Step("partials", (slice_math,), {"by": to_text(x)}, substeps))
        slices.append(values)
    symbols = Block((tuple(Deriv(Name(of_name), x, True) for x in atoms),))
    shown = Block((tuple(Block(s) for s in slices),))
    whole = Deriv(Name(of_name), _shown_wrt(atoms, wrt_name))
    collate = Relation((whole, symbols, shown, Space(((P, Q, n),))), ("=", "=", "∈"))
    steps.append(Step("collate", (collate,), {"slices": n}))
    tensor = tuple(tuple(tuple(slices[k][p][q] for k in range(n)) for q in range(Q)) for p in range(P))
    return tensor, steps


def _vec_route(
    rows: tuple[tuple[Expr, ...], ...], of_name: str, atoms: tuple[Expr, ...], wrt_name: str
) -> tuple[Nested, Step]:
    """(b): Ã = vec(A) ∈ R^{PQ} (columns stacked), dÃ/dx ∈ R^{PQ×n}, re-shaped into R^{P×Q×n}."""
    P, Q, n = len(rows), len(rows[0]), len(atoms)
    order = [(p, q) for q in range(Q) for p in range(P)]
    flat = tuple(rows[p][q] for p, q in order)
    names = tuple(Entry(of_name, (str(p + 1), str(q + 1))) for p, q in order)
    groups, jac = _partials_table(flat, names, atoms, wrt_name)
    tensor = tuple(tuple(tuple(jac[q * P + p][k] for k in range(n)) for q in range(Q)) for p in range(P))
    vec = Call("vec", (Name(of_name),))
    wrt = _shown_wrt(atoms, wrt_name)
    flatten = Relation(
        (vec, Block(tuple((e,) for e in names)), Block(tuple((e,) for e in flat)), Space(((P * Q,),))),
        ("=", "=", "∈"),
    )
    gradient = Relation((Deriv(vec, wrt), Block(jac), Space(((P * Q, n),))), ("=", "∈"))
    slices = tuple(Block(tuple(tuple(tensor[p][q][k] for q in range(Q)) for p in range(P))) for k in range(n))
    reshape = Relation((Deriv(Name(of_name), wrt), Block((slices,)), Space(((P, Q, n),))), ("=", "∈"))
    facts = {"stacking": "columns", "flat_size": P * Q}
    return tensor, Step("vec", (flatten, gradient, reshape), facts, groups)
