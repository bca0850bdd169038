"""Scalar expressions to SymPy and back, and the tidy final form of a result.

Conversion goes node by node in both directions; no text is ever parsed.  A
component ``x[1]`` becomes a :class:`Component` symbol that remembers its
vector and index, so it converts back to ``Index(Name('x'), (1,))``.

SymPy is imported here, at module level: this module belongs to the derive
stage, and ``import derivgen`` does not import it.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import sympy

from derivgen.errors import DerivationError, ExpressionError
from derivgen.problem.evaluate import Evaluator
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Index,
    Name,
    Neg,
    Num,
    add,
    call,
    children,
    div,
    mul,
    pow_,
    sub,
)
from derivgen.problem.functions import FUNCTIONS
from derivgen.problem.logistic import sigma  # noqa: F401 - the SymPy σ, re-exported

#: Expressions larger than this (SymPy's operation count) get no ``simplify``.
SIMPLIFY_LIMIT = 4
#: Expressions larger than this get no ``trigsimp``.
TRIG_LIMIT = 25
#: Expressions larger than this are never expanded ...
EXPAND_LIMIT = 60
#: ... nor factored once expanded (the slowest strategy).
FACTOR_EXPANDED_LIMIT = 20
#: Beyond this degree (once multiplied out) no polynomial strategy is tried.
DEGREE_LIMIT = 24
#: Random points at which two expressions are compared numerically.
POINTS = 5


class Component(sympy.Symbol):
    """The symbol of a vector's component, ``x[2]``; knows its vector and index."""

    __slots__ = ("base", "indices")

    def __new__(cls, base: str, indices: tuple[int, ...]) -> Component:
        obj = sympy.Symbol.__new__(cls, base + "[" + ", ".join(map(str, indices)) + "]")
        obj.base = base
        obj.indices = tuple(indices)
        return obj

    def __getnewargs_ex__(self) -> tuple[tuple[object, ...], dict[str, object]]:
        return ((self.base, self.indices), {})


def _function_classes() -> dict[type, str]:
    """The SymPy classes of the table's functions, to convert back (SymPy writes sqrt as a power)."""
    z = sympy.Symbol("z")
    made = {fn.name: fn.sympy(z) for fn in FUNCTIONS.values() if fn.sympy is not None}
    return {s.func: name for name, s in made.items() if isinstance(s, sympy.Function)}


#: SymPy function classes that convert back, by class.
FUNC_NAMES: dict[type, str] = _function_classes()


# --- derivgen -> SymPy ------------------------------------------------------------


def to_sympy(e: Expr, memo: dict[int, tuple[Expr, sympy.Expr]] | None = None) -> sympy.Expr:
    """The SymPy form of a scalar expression tree; ``memo`` (by node id) shares work between calls."""
    if memo is None:
        return _to_sympy(e, {})
    return _to_sympy(e, memo)


def _to_sympy(e: Expr, memo: dict[int, tuple[Expr, sympy.Expr]]) -> sympy.Expr:
    hit = memo.get(id(e))
    if hit is None:
        hit = (e, _convert(e, memo))
        memo[id(e)] = hit
    return hit[1]


def _convert(e: Expr, memo: dict[int, tuple[Expr, sympy.Expr]]) -> sympy.Expr:
    if isinstance(e, Num):
        return _number(e.value)
    if isinstance(e, Name):
        return sympy.Symbol(e.id)
    if isinstance(e, Index) and isinstance(e.base, Name):
        return Component(e.base.id, e.indices)
    if isinstance(e, Neg):
        return -_to_sympy(e.arg, memo)
    if isinstance(e, BinOp) and e.op in BINARY:
        return BINARY[e.op](_to_sympy(e.left, memo), _to_sympy(e.right, memo))
    if isinstance(e, Call) and len(e.args) == 1:
        arg = _to_sympy(e.args[0], memo)
        fn = FUNCTIONS.get(e.func)
        if fn is not None and fn.sympy is not None:
            return fn.sympy(arg)
    raise DerivationError(f"'{_text(e)}' is not a scalar expression SymPy can take")


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}


def _number(v: int | Fraction | float) -> sympy.Expr:
    if isinstance(v, (bool, int)):
        return sympy.Integer(v)
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Float(v)


def _text(e: Expr) -> str:
    from derivgen.problem.text import to_text

    try:
        return to_text(e)
    except TypeError:
        return type(e).__name__


# --- SymPy -> derivgen ------------------------------------------------------------


def from_sympy(s: sympy.Expr) -> Expr:
    """A tidy expression tree: subtraction and division rather than negative terms and powers."""
    if isinstance(s, Component):
        return Index(Name(s.base), s.indices)
    if s.is_Symbol:
        return Name(s.name)
    if s.is_Number:
        return _from_number(s)
    if s is sympy.S.Exp1:
        return call("exp", Num(1))
    if s.is_Add:
        return _from_add(s)
    if s.is_Mul:
        return _from_mul(s)
    if s.is_Pow:
        return _from_pow(s)
    name = FUNC_NAMES.get(type(s))
    if name is not None and len(s.args) == 1:
        return call(name, from_sympy(s.args[0]))
    raise DerivationError(f"SymPy produced '{s}', which derivgen cannot write")


def _from_number(s: sympy.Expr) -> Num:
    if s.is_Integer:
        return Num(int(s))
    if s.is_Rational:
        return Num(Fraction(int(s.p), int(s.q)))
    if s.is_Float:
        return Num(float(s))
    raise DerivationError(f"SymPy produced the number '{s}', which derivgen cannot write")


def _from_add(s: sympy.Expr) -> Expr:
    terms = list(s.as_ordered_terms())
    first = next((t for t in terms if not t.could_extract_minus_sign()), terms[0])
    terms.remove(first)
    out = from_sympy(first)
    for t in terms:
        out = sub(out, _negated(t)) if t.could_extract_minus_sign() else add(out, from_sympy(t))
    return out


def _negated(t: sympy.Expr) -> Expr:
    """The tree of ``-t``, without letting SymPy distribute a number over a sum."""
    coeff, rest = t.as_coeff_Mul()
    if coeff.is_negative:
        return _product_tree(-coeff, rest)
    return from_sympy(-t)


def _from_mul(s: sympy.Expr) -> Expr:
    coeff, rest = s.as_coeff_Mul()
    if coeff.is_negative:
        return _minus(_product_tree(-coeff, rest))
    return _product_tree(coeff, rest)


def _minus(e: Expr) -> Expr:
    """``-e`` with the sign on the leading factor: ``-2 x`` rather than ``-(2 x)``."""
    if isinstance(e, Num):
        return Num(-e.value)
    if isinstance(e, BinOp) and e.op in "*/":
        return BinOp(e.op, _minus(e.left), e.right)
    return Neg(e)


def _product_tree(coeff: sympy.Expr, rest: sympy.Expr) -> Expr:
    """``coeff * rest`` as numerator / denominator, factors in a readable order."""
    if rest == 1:
        return _from_number(coeff)
    top: list[Expr] = []
    bottom: list[Expr] = []
    if coeff.is_Rational:
        top += [Num(int(coeff.p))] if coeff.p != 1 else []
        bottom += [Num(int(coeff.q))] if coeff.q != 1 else []
    elif coeff != 1:
        top.append(_from_number(coeff))
    for f in sorted(sympy.Mul.make_args(rest), key=_factor_rank):
        if f == 1:
            continue
        if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
            bottom.append(from_sympy(f.base ** -f.exp))
        else:
            top.append(from_sympy(f))
    numerator = _product(top) if top else Num(1)
    return div(numerator, _product(bottom)) if bottom else numerator


def _factor_rank(f: sympy.Expr) -> tuple[int, Any]:
    """Numbers, then variables and their powers, then functions, then sums (in brackets)."""
    base = f.base if f.is_Pow else f
    rank = 0 if base.is_Number else 1 if base.is_Symbol else 3 if base.is_Add else 2
    return (rank, sympy.default_sort_key(f))


def _product(factors: list[Expr]) -> Expr:
    out = factors[0]
    for f in factors[1:]:
        out = mul(out, f)
    return out


def _from_pow(s: sympy.Expr) -> Expr:
    base, exp = s.base, s.exp
    if base is sympy.S.Exp1:
        return call("exp", from_sympy(exp))
    if exp == sympy.S.Half:
        return call("sqrt", from_sympy(base))
    if (exp.is_Rational and exp.is_negative) or (not exp.is_Number and exp.could_extract_minus_sign()):
        return div(Num(1), from_sympy(base ** -exp))
    return pow_(from_sympy(base), from_sympy(exp))


def divides_by_zero(e: Expr) -> bool:
    """True if ``e`` is undefined everywhere, e.g. ``1 / (x - x)``."""
    return bool(to_sympy(e).has(sympy.S.ComplexInfinity, sympy.S.NaN))


# --- the tidy form ---------------------------------------------------------------------


@lru_cache(maxsize=4096)
def simplify_scalar(e: Expr) -> Expr:
    """The tidiest of a few SymPy rewritings of ``e``: factored and short, in ``e``'s own terms.

    ``e`` itself competes too and wins ties, so a form that is already tidy is kept.
    """
    memo: dict[int, tuple[Expr, sympy.Expr]] = {}
    s = to_sympy(e, memo)
    if s.has(sympy.S.ComplexInfinity, sympy.S.NaN):
        raise DerivationError(f"'{_text(e)}' divides by zero")  # not reached from differentiate
    known_sums = {to_sympy(t, memo) for t in _tree_sums(e)}
    known_pieces = _pieces(s)
    best, best_score = e, _score(e, known_sums, memo)
    largest = 2 * sympy.count_ops(s) + 10  # a candidate this big cannot be the tidiest
    for candidate in _candidates(s):
        if not _pieces(candidate) <= known_pieces:  # sin(2t), 8^x: not in the problem's own terms
            continue
        if sympy.count_ops(candidate) > largest:
            continue
        try:
            tree = from_sympy(candidate)
        except DerivationError:
            continue
        score = _score(tree, known_sums, {})
        if score < best_score:
            best, best_score = tree, score
    return best


def expanded_numerator(e: Expr, tidy: Expr) -> Expr | None:
    """The line between a quotient and its tidy form: the numerator multiplied out, its common
    factor taken out, over the tidy form's own denominator.  ``(eˣ(x²+1) − eˣ·2x)/(x²+1)²``
    and its tidy ``eˣ(x − 1)²/(x²+1)²`` get ``eˣ(x² − 2x + 1)/(x²+1)²``, which shows where the
    square came from.  None when the tidy form is not such a factored quotient."""
    num, den = sympy.fraction(sympy.together(to_sympy(e)))
    tidy_num, tidy_den = sympy.fraction(to_sympy(tidy))
    if den == 1 or sympy.simplify(den - tidy_den) != 0 or _degree_bound(num) > DEGREE_LIMIT:
        return None
    expanded = sympy.factor_terms(sympy.expand(num))
    if expanded == tidy_num or sympy.expand(expanded - tidy_num) != 0:
        return None  # nothing multiplied out, or not the tidy numerator's own expansion
    try:
        return from_sympy(expanded / tidy_den)
    except DerivationError:
        return None


def _candidates(s: sympy.Expr) -> list[sympy.Expr]:
    """``s`` rewritten by a bounded set of strategies; the costly ones only on small inputs."""
    ops = sympy.count_ops(s)
    # the polynomial strategies multiply out: hopeless for (((x^2 + 1)^2 + 1)^2 ...)
    polynomial = _degree_bound(s) <= DEGREE_LIMIT
    # trigsimp and simplify take seconds once a function's argument is not a plain symbol
    plain = all(len(c.args) == 1 and c.args[0].is_Symbol for c in s.atoms(sympy.Function))
    out = [s]
    for strategy, then_factor, wanted in (
        (sympy.factor, False, polynomial),
        (sympy.cancel, False, polynomial),
        (sympy.together, False, polynomial),
        (sympy.powsimp, False, True),
        (sympy.expand, ops <= FACTOR_EXPANDED_LIMIT, polynomial and ops <= EXPAND_LIMIT),
        (sympy.trigsimp, True, plain and ops <= TRIG_LIMIT and _has_trig_square(s)),
        (sympy.simplify, False, plain and ops <= SIMPLIFY_LIMIT),
    ):
        if not wanted:
            continue
        try:
            rewritten = strategy(s)
            out += [rewritten, sympy.factor(rewritten)] if then_factor else [rewritten]
        except (sympy.PolynomialError, TypeError, ValueError, NotImplementedError):
            continue
    return out


def _degree_bound(s: sympy.Expr) -> int:
    """An upper bound on the degree ``s`` has once multiplied out (a function call counts 1)."""
    if s.is_Number:
        return 0
    if s.is_Add:
        return max(_degree_bound(a) for a in s.args)
    if s.is_Mul:
        return sum(_degree_bound(a) for a in s.args)
    if s.is_Pow and s.exp.is_Integer:
        return abs(int(s.exp)) * _degree_bound(s.base)
    return 1


def _has_trig_square(s: sympy.Expr) -> bool:
    """sin², cos², tan²...: where sin² + cos² = 1 may help (trigsimp is slow; else skipped)."""
    trig = (sympy.sin, sympy.cos, sympy.tan)
    return any(p.is_Pow and isinstance(p.base, trig) and p.exp.is_Integer and abs(p.exp) >= 2
               for p in sympy.preorder_traversal(s))


#: What one node costs: a function call more than an operation.
CALL_COST = 3
#: What a bracketed sum costs that the original expression did not have.
NEW_BRACKET_COST = 2


def _score(
    e: Expr, known_sums: set[sympy.Expr], memo: dict[int, tuple[Expr, sympy.Expr]]
) -> tuple[int, int, int]:
    """(cost, number of terms, length): smaller is tidier.

    A number multiplied in from the right costs one more (``3 x``, not ``x · 3``).
    New brackets are charged so that ``x1^2 + 3 x1 x2^2`` stays expanded, as the
    lectures write it, while ``2 sin t cos t − 2 sin t`` still becomes
    ``2 sin t (cos t − 1)``, which saves a function call.  On equal cost the form
    with fewer terms (the more factored one) wins, then the shorter.
    """
    from derivgen.problem.text import to_text

    cost, stack = 0, [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            cost += CALL_COST
        elif isinstance(node, (BinOp, Neg)):
            cost += 2 if isinstance(node, BinOp) and node.op == "*" and isinstance(node.right, Num) else 1
        if (node is not e and isinstance(node, BinOp) and node.op in "+-"
                and to_sympy(node, memo) not in known_sums):
            cost += NEW_BRACKET_COST
        stack.extend(children(node))
    return cost, len(_tree_terms(e)), len(to_text(e))


def _tree_terms(e: Expr) -> list[Expr]:
    if isinstance(e, BinOp) and e.op in "+-":
        return _tree_terms(e.left) + [e.right]
    return [e]


def _tree_sums(e: Expr) -> list[Expr]:
    """The sums and differences written in the tree itself (before SymPy multiplies out)."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op in "+-":
            out.append(node)
        stack.extend(children(node))
    return out


def _pieces(s: sympy.Expr) -> set[sympy.Expr]:
    """Function applications and powers with a symbolic exponent: ``sin(t)``, ``2**(3*x)``."""
    powers = {p for p in sympy.preorder_traversal(s) if p.is_Pow and not p.exp.is_Number}
    return set(s.atoms(sympy.Function)) | powers


# --- equality ----------------------------------------------------------------------------


def equal_scalar(a: Expr, b: Expr) -> bool:
    """True if ``a - b`` is zero: symbolically, or else at several random points."""
    if a == b:
        return True
    sa, sb = to_sympy(a), to_sympy(b)
    if sa - sb == 0:
        return True
    leaves = sorted(_leaves(a) | _leaves(b), key=repr)
    rng = random.Random(20191211)
    agreed = 0
    for _ in range(3 * POINTS):
        point = {leaf: rng.uniform(0.2, 1.6) for leaf in leaves}
        ev = Evaluator(_values(point))
        va, vb = _float(a, ev), _float(b, ev)
        if va is None or vb is None:
            continue
        if not math.isclose(va, vb, rel_tol=1e-9, abs_tol=1e-9):
            return False
        agreed += 1
        if agreed == POINTS:
            return True
    return sympy.simplify(sa - sb) == 0


def _leaves(e: Expr) -> set[Expr]:
    """The variables of a scalar tree: names and components."""
    if isinstance(e, (Name, Index)):
        return {e}
    return set().union(*(_leaves(c) for c in children(e))) if children(e) else set()


def _float(e: Expr, ev: Evaluator) -> float | None:
    """The value of ``e`` by the language's evaluator; None where it is undefined or not real."""
    try:
        v = float(ev.value(e))
    except ExpressionError:
        return None
    return v if math.isfinite(v) else None


def _values(point: dict[Expr, float]) -> dict[str, Any]:
    """Values for the evaluator: a name's number, or a vector or matrix holding the components."""
    values: dict[str, Any] = {}
    entries: dict[str, dict[tuple[int, ...], float]] = {}
    for leaf, v in point.items():
        if isinstance(leaf, Index) and isinstance(leaf.base, Name):
            entries.setdefault(leaf.base.id, {})[leaf.indices] = v
        elif isinstance(leaf, Name):
            values[leaf.id] = v
    for name, known in entries.items():
        rank = len(next(iter(known)))
        array = np.zeros(tuple(max(ix[k] for ix in known) for k in range(rank)))
        for ix, v in known.items():
            array[tuple(i - 1 for i in ix)] = v
        values[name] = array
    return values
