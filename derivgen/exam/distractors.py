"""Wrong answers the way students get them wrong: the verified result, mutated once.

A :class:`Mutation` is the right closed form (or index form) with one mistake a
student makes in matrix calculus: a transpose dropped, the factors of a matrix
product in the wrong order, a factor 2 or a sign lost, the result in the other
layout (a column for a row), a chain-rule factor left out, a power not lowered.
:func:`closed_mutations` and :func:`index_mutations` list every such mutation of
an expression tree; :mod:`.choices` keeps those that are well-shaped and differ
numerically from the right answer and from each other.

Each mistake is one small function of a node, in :data:`NODE_MISTAKES`: adding a
mistake is one function and one table row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

from derivgen.derivation.index_form import Delta, Ent, IExpr, IndexForm, Term
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Neg, Num, Transpose, children

#: What each mistake is called in the feedback a student reads.
FEEDBACK = {
    "transpose": "A transpose is missing.",
    "order": "The factors of a matrix product are in the wrong order.",
    "factor": "A constant factor (such as 2) is missing.",
    "sign": "The sign is wrong.",
    "layout": "This is the transposed layout: the derivative of a scalar by a column vector is a row "
              "vector (numerator layout, as in the lectures).",
    "chain": "A factor of the chain rule (the inner derivative) is missing.",
    "power": "The exponent was not lowered by one.",
    "term": "A term of the sum is missing.",
    "index": "Two indices are swapped (a transpose in index notation).",
    "double": "A factor 2 too many.",
    "half": "Half the right value: a factor 2 is missing.",
}


@dataclass(frozen=True)
class Mutation:
    """One wrong answer: the right one with one mistake."""

    kind: str
    """Which mistake, a key of :data:`FEEDBACK`."""
    expr: Expr | IndexForm | object
    """The mutated closed form, entry formula, or explicit array (nested tuples of expressions)."""

    @property
    def feedback(self) -> str:
        return FEEDBACK[self.kind]


# --- closed forms ------------------------------------------------------------------------------


def _drop_transpose(e: Expr) -> Iterator[tuple[str, Expr]]:
    if isinstance(e, Transpose):
        yield "transpose", e.arg


def _swap_factors(e: Expr) -> Iterator[tuple[str, Expr]]:
    if isinstance(e, BinOp) and e.op == "@":
        yield "order", BinOp("@", e.right, e.left)
        if isinstance(e.left, BinOp) and e.left.op == "@":  # (A @ B) @ C -> A @ (C @ B)
            yield "order", BinOp("@", e.left.left, BinOp("@", e.right, e.left.right))


def _drop_constant(e: Expr) -> Iterator[tuple[str, Expr]]:
    if isinstance(e, BinOp) and e.op == "*":
        for const, other in ((e.left, e.right), (e.right, e.left)):
            if isinstance(const, Num) and const.value not in (0, 1):
                yield "factor", other


def _flip_sign(e: Expr) -> Iterator[tuple[str, Expr]]:
    if isinstance(e, Neg):
        yield "sign", e.arg
    if isinstance(e, BinOp) and e.op == "-":
        yield "sign", BinOp("+", e.left, e.right)
    if isinstance(e, Num) and isinstance(e.value, (int, Fraction, float)) and e.value < 0:
        yield "sign", Num(-e.value)


def _drop_chain_factor(e: Expr) -> Iterator[tuple[str, Expr]]:
    """A factor of a product left out: a matrix factor, or an inner derivative (a call, a power, a sum).

    A plain number is the ``factor`` mistake; a lone variable (the ``x`` of ``3x``) is no chain rule.
    """
    if isinstance(e, BinOp) and e.op in ("*", "@"):
        for kept, dropped in ((e.left, e.right), (e.right, e.left)):
            if isinstance(dropped, Num) or isinstance(kept, Num):
                continue
            if e.op == "@" or isinstance(dropped, (Call, BinOp)):
                yield "chain", kept


def _keep_power(e: Expr) -> Iterator[tuple[str, Expr]]:
    if isinstance(e, BinOp) and e.op == "^" and isinstance(e.right, Num):
        v = e.right.value
        if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
            yield "power", BinOp("^", e.left, Num(v + 1))
    if isinstance(e, BinOp) and e.op == "^" and isinstance(e.right, BinOp) and e.right.op == "-" \
            and e.right.right == Num(1):  # x ** (n - 1) -> x ** n
        yield "power", BinOp("^", e.left, e.right.left)


#: One function a mistake, each yielding (kind, the node as the student writes it).
NODE_MISTAKES: tuple[Callable[[Expr], Iterator[tuple[str, Expr]]], ...] = (
    _drop_transpose, _swap_factors, _drop_constant, _flip_sign, _drop_chain_factor, _keep_power,
)


def closed_mutations(e: Expr, row_or_column: bool) -> list[Mutation]:
    """Every single mistake in ``e``, then the whole result's sign, layout and a factor 2.

    ``row_or_column``: the result is a vector or a matrix, so its transposed layout is a mistake.
    """
    found = [Mutation(kind, new) for kind, new in _everywhere(e)]
    whole = [("sign", scaled(e, -1)), ("double", scaled(e, 2)), ("half", scaled(e, Fraction(1, 2)))]
    if row_or_column:
        whole.insert(0, ("layout", transposed(e)))
    return found + [Mutation(kind, new) for kind, new in whole]


def transposed(e: Expr) -> Expr:
    """``eᵀ`` written as a student would: ``(AB)ᵀ = BᵀAᵀ``, ``(cX)ᵀ = cXᵀ``, ``(Xᵀ)ᵀ = X``."""
    if isinstance(e, Transpose):
        return e.arg
    if isinstance(e, Neg):
        return Neg(transposed(e.arg))
    if isinstance(e, BinOp) and e.op == "@":
        return BinOp("@", transposed(e.right), transposed(e.left))
    if isinstance(e, BinOp) and e.op in ("+", "-"):
        return BinOp(e.op, transposed(e.left), transposed(e.right))
    if isinstance(e, BinOp) and e.op in ("*", "/") and isinstance(e.left, Num):
        return BinOp(e.op, e.left, transposed(e.right))
    if isinstance(e, BinOp) and e.op == "*" and isinstance(e.right, Num):
        return BinOp(e.op, transposed(e.left), e.right)
    return Transpose(e)


def scaled(e: Expr, k: int | Fraction) -> Expr:
    """``k·e`` with ``k`` folded into ``e``'s own coefficient: ``-(−2X)`` is ``2X``, ``2·(2X)`` is ``4X``.

    A product or quotient is scaled through its first factor (products nest to the left).
    """
    if k == 1:
        return e
    if isinstance(e, Neg):
        return scaled(e.arg, -k)
    if isinstance(e, Num) and isinstance(e.value, (int, Fraction, float)):
        return Num(e.value * k)
    if isinstance(e, BinOp) and e.op in ("*", "@", "/"):
        if e.op == "*" and isinstance(e.left, Num) and isinstance(e.left.value, (int, Fraction)):
            c = e.left.value * k
            return e.right if c == 1 else Neg(e.right) if c == -1 else BinOp("*", Num(c), e.right)
        return BinOp(e.op, scaled(e.left, k), e.right)
    return Neg(e) if k == -1 else BinOp("*", Num(k), e)


def explicit_mutations(array: object) -> list[Mutation]:
    """An explicit array (nested tuples of scalar expressions) with one entry mistaken, or all negated."""
    entries = list(_entries(array, ()))
    found = [Mutation(m.kind, _replace_entry(array, path, m.expr))
             for path, entry in entries for m in closed_mutations(entry, False)
             if isinstance(m.expr, Expr) and m.kind not in ("sign", "double")]
    found.append(Mutation("sign", _map_entries(array, lambda x: scaled(x, -1))))
    found.append(Mutation("double", _map_entries(array, lambda x: scaled(x, 2))))
    return found


def _entries(array: object, path: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], Expr]]:
    if isinstance(array, tuple):
        for i, item in enumerate(array):
            yield from _entries(item, path + (i,))
    elif isinstance(array, Expr):
        yield path, array


def _replace_entry(array: object, path: tuple[int, ...], new: Expr) -> object:
    if not path or not isinstance(array, tuple):
        return new
    i = path[0]
    return array[:i] + (_replace_entry(array[i], path[1:], new),) + array[i + 1:]


def _map_entries(array: object, f: Callable[[Expr], Expr]) -> object:
    if isinstance(array, tuple):
        return tuple(_map_entries(item, f) for item in array)
    return f(array) if isinstance(array, Expr) else array


def _everywhere(e: Expr) -> Iterator[tuple[str, Expr]]:
    """Each mistake at each node, the rest of the tree as it was."""
    for mistake in NODE_MISTAKES:
        yield from mistake(e)
    for i, child in enumerate(children(e)):
        for kind, new in _everywhere(child):
            yield kind, _with_child(e, i, new)


def _with_child(e: Expr, i: int, new: Expr) -> Expr:
    if isinstance(e, (Neg, Transpose)):
        return type(e)(new)
    if isinstance(e, BinOp):
        return BinOp(e.op, new, e.right) if i == 0 else BinOp(e.op, e.left, new)
    if isinstance(e, Call):
        return Call(e.func, e.args[:i] + (new,) + e.args[i + 1:])
    if isinstance(e, Index):
        return Index(new, e.indices)
    if isinstance(e, ListLit):
        return ListLit(e.items[:i] + (new,) + e.items[i + 1:])
    return e


# --- entry formulas (results with no closed form: tensors) --------------------------------------


def index_mutations(form: IndexForm) -> list[Mutation]:
    """A term dropped, a term's sign flipped, two indices of an entry swapped, a factor 2."""
    terms = form.expr.terms
    found: list[Mutation] = []

    def with_terms(new: tuple[Term, ...]) -> IndexForm:
        return replace(form, expr=IExpr(new))

    for i, t in enumerate(terms):
        rest = terms[:i] + terms[i + 1:]
        if rest:
            found.append(Mutation("term", with_terms(rest)))
        found.append(Mutation("sign", with_terms(terms[:i] + (replace(t, coeff=-t.coeff),) + terms[i + 1:])))
        for j, f in enumerate(t.factors):
            if len(t.factors) > 1 and not isinstance(f, Delta):
                found.append(Mutation("chain", with_terms(terms[:i] + (replace(
                    t, factors=t.factors[:j] + t.factors[j + 1:]),) + terms[i + 1:])))
            swapped = _swap_indices(f, form)
            if swapped is not None:
                factors = t.factors[:j] + (swapped,) + t.factors[j + 1:]
                found.append(Mutation("index", with_terms(terms[:i] + (replace(t, factors=factors),)
                                                          + terms[i + 1:])))
    found.append(Mutation("double", with_terms(tuple(replace(t, coeff=2 * t.coeff) for t in terms))))
    return found


def _swap_indices(f: object, form: IndexForm) -> Ent | Delta | None:
    """``A_ij`` as ``A_ji``; ``δ_qj`` as ``δ_pj`` (the other output index of the same range)."""
    if isinstance(f, Ent) and len(f.idx) == 2 and f.idx[0] != f.idx[1]:
        return Ent(f.name, (f.idx[1], f.idx[0]))
    if isinstance(f, Delta):
        for old in (f.a, f.b):
            others = [i for i in form.out_idx if i != old and getattr(old, "dim", None) == i.dim
                      and old in form.out_idx]
            if others:
                return Delta(others[0], f.b) if old == f.a else Delta(f.a, others[0])
    return None
