"""``method: definition``: a scalar derivative from the limit of the difference quotient.

The lecture's first example (MML section 5.1, Example 5.2): for ``f(x) = x^n``

    df/dx := lim_{h→0} (f(x+h) − f(x))/h = lim ((x+h)^n − x^n)/h
           = lim (Σ_{i=0}^n C(n,i) x^{n−i} h^i − x^n)/h      (binomial theorem)
           = lim Σ_{i=1}^n C(n,i) x^{n−i} h^i / h              (the i = 0 term is x^n)
           = lim Σ_{i=1}^n C(n,i) x^{n−i} h^{i−1}              (divide by h)
           = lim (C(n,1) x^{n−1} + Σ_{i=2}^n ...)              (i ≥ 2 still holds h)
           = n x^{n−1}.

Supported: a lone power ``x**n`` (``n`` a scalar given standing for a natural
number, or a whole number ≥ 2), polynomials in ``x`` (sums of ``c*x**k`` with
constant ``c`` and whole ``k``, written out term by term), ``exp(x)`` (through
lim (e^h − 1)/h = 1) and ``1/x``.  Anything else is refused with a message
naming these.  Each step is a ``difference_quotient`` or ``limit`` Step holding
expressions and the display objects ``Limit``, ``Binomial``, ``SumOver`` and
``Vanishing``; the result is an ordinary expression, checked numerically like
every other.
"""

from __future__ import annotations

from derivgen.derivation import Binomial, Deriv, Limit, Math, Relation, Step, SumOver, Vanishing
from derivgen.engine.context import Ctx, Part
from derivgen.engine.scalar.terms import add, div, mul, neg, pow_, sub
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Name, Num, Shape, names_in, substitute
from derivgen.problem.text import to_text

#: What the definition route can do, for the refusal message.
SUPPORTED = ("x**n (n a natural number: a scalar given such as n, or a whole number), "
             "polynomials in x (sums of c*x**k with constant c and whole k >= 0), exp(x) and 1/x")
#: Highest degree written out term by term (the expansion of (x+h)^k has k+1 terms).
MAX_DEGREE = 8


def definition_part(
    ctx: Ctx, of: str, expr: Expr, wrt: Expr | tuple[Expr, ...], wrt_shape: Shape, of_shape: Shape
) -> Part:
    """d expr / d wrt from the limit of the difference quotient, or a DerivationError saying why not."""
    if not isinstance(wrt, Name) or wrt_shape or of_shape:
        raise DerivationError(
            f"d{of}/d{to_text(wrt) if isinstance(wrt, Expr) else 'd(...)'}: method: definition takes "
            "the derivative of a scalar function by one "
            f"scalar variable, from the limit of the difference quotient; it supports {SUPPORTED}"
        )
    f = ctx.full_expand(expr)
    x = wrt
    h, i = _fresh(ctx, f, ("h", "t", "eps")), _fresh(ctx, f, ("i", "j", "k", "m"))
    power = _lone_power(f, x, ctx)
    if power is not None:
        return _power(of, x, power, h, i)
    if f == Call("exp", (x,)):
        return _exp(of, x, h)
    if f in (BinOp("/", Num(1), x), BinOp("^", x, Num(-1))):
        return _reciprocal(of, x, h)
    poly = _polynomial(f, x)
    if poly is not None:
        return _poly(of, x, f, poly, h)
    raise DerivationError(
        f"d{of}/d{x.id}: method: definition supports {SUPPORTED}; {of} = {to_text(f)} is none of these "
        "(use method: auto for the differentiation rules)"
    )


# --- shared pieces ----------------------------------------------------------------------


def _fresh(ctx: Ctx, f: Expr, choices: tuple[str, ...]) -> Name:
    taken = set(ctx.shapes) | names_in(f) | {d.name for d in ctx.problem.define}
    for c in choices:
        if c not in taken:
            return Name(c)
    n = 1
    while f"{choices[0]}{n}" in taken:
        n += 1
    return Name(f"{choices[0]}{n}")


def _dq(of: str, x: Name, h: Name, written: Expr) -> Step:
    """df/dx := lim (f(x+h) − f(x))/h = lim (the function written out)."""
    fx = Call(of, (x,))
    fxh = Call(of, (BinOp("+", x, h),))
    quotient = BinOp("/", BinOp("-", fxh, fx), h)
    rel = Relation((Deriv(Name(of), x), Limit(h, quotient), Limit(h, written)), (":=", "="))
    return Step("difference_quotient", (rel,), {"of": of, "wrt": x.id, "step": h.id})


def _lim(of: str, x: Name, stage: str, *parts: Math, facts: dict[str, object] | None = None,
         before: tuple[Relation, ...] = ()) -> Step:
    rel = Relation((Deriv(Name(of), x),) + tuple(parts))
    return Step("limit", before + (rel,), {"stage": stage, **(facts or {})})


# --- x**n: the lecture's binomial sum ----------------------------------------------------------


def _lone_power(f: Expr, x: Name, ctx: Ctx) -> Expr | None:
    """n for f = x**n with n a scalar given other than x, or a whole number >= 2."""
    if not (isinstance(f, BinOp) and f.op == "^" and f.left == x):
        return None
    n = f.right
    if isinstance(n, Num) and isinstance(n.value, int) and not isinstance(n.value, bool) and n.value >= 2:
        return n
    if isinstance(n, Name) and n != x and ctx.shapes.get(n.id) == () and ctx.problem.definition(n.id) is None:
        return n
    return None


def _power(of: str, x: Name, n: Expr, h: Name, i: Name) -> Part:
    concrete = isinstance(n, Num)
    xh_n = BinOp("^", BinOp("+", x, h), n)
    x_n = BinOp("^", x, n)

    def term(hpow: Expr) -> Expr:  # C(n,i) x^{n-i} h^{hpow}
        return BinOp("*", BinOp("*", Binomial(n, i), BinOp("^", x, BinOp("-", n, i))), pow_(h, hpow))  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression

    def total(lower: int, hpow: Expr) -> SumOver:
        return SumOver(i, Num(lower), n, term(hpow))

    expansion = total(0, i)
    steps = [_dq(of, x, h, BinOp("/", BinOp("-", xh_n, x_n), h))]
    steps.append(_lim(of, x, "expand", Limit(h, BinOp("/", BinOp("-", expansion, x_n), h)),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                      facts={"power": xh_n, "sum": expansion}))
    first = BinOp("*", BinOp("*", Binomial(n, Num(0)), BinOp("^", x, BinOp("-", n, Num(0)))),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                  BinOp("^", h, Num(0)))
    steps.append(_lim(of, x, "cancel", Limit(h, BinOp("/", total(1, i), h)),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                      facts={"index": i, "lower": Num(1), "term": x_n},
                      before=(Relation((x_n, first)),)))
    i_minus_1 = BinOp("-", i, Num(1))
    steps.append(_lim(of, x, "divide", Limit(h, total(1, i_minus_1)), facts={"step": h}))
    n_minus_1 = Num(n.value - 1) if isinstance(n, Num) else BinOp("-", n, Num(1))
    lead = mul(Binomial(n, Num(1)), pow_(x, n_minus_1))  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
    rest = Vanishing(total(2, i_minus_1), h)
    steps.append(_lim(of, x, "vanish", Limit(h, BinOp("+", lead, rest)),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                      facts={"index": i, "kept": Num(1), "step": h}))
    result = mul(n, pow_(x, n_minus_1))
    steps.append(_lim(of, x, "evaluate", lead, result,
                      facts={"binomial": Binomial(n, Num(1)), "value": n, "index": i, "step": h}))
    facts = steps[0].facts
    steps[0] = Step(steps[0].kind, steps[0].math, {**facts, "natural": None if concrete else to_text(n)})
    return Part(steps, closed=result, explicit=result)


# --- polynomials, written out -------------------------------------------------------------------

Poly = dict[int, Expr]
"""Power of x -> its coefficient (an expression free of x), as SymPy reads the function."""


def _polynomial(f: Expr, x: Name) -> Poly | None:
    import sympy

    from derivgen.engine.scalar.symbolic import from_sympy, to_sympy

    try:
        s = to_sympy(f)
    except DerivationError:
        return None
    X = sympy.Symbol(x.id)
    if not s.is_polynomial(X):
        return None
    p = sympy.Poly(sympy.expand(s), X)
    if p.degree() > MAX_DEGREE or p.degree() < 0:
        return None
    out: Poly = {}
    for (k,), c in zip(p.monoms(), p.coeffs(), strict=True):
        if c.has(X):
            return None
        out[int(k)] = from_sympy(c)
    return out


def _monomial(c: Expr, x: Name, a: int, h: Name, b: int) -> Expr:
    return mul(mul(c, pow_(x, Num(a))), pow_(h, Num(b)))


def _sum(terms: list[Expr]) -> Expr:
    out: Expr = Num(0)
    for t in terms:
        out = add(out, t)
    return out


def _poly(of: str, x: Name, f: Expr, poly: Poly, h: Name) -> Part:
    import math

    import sympy

    from derivgen.engine.scalar.symbolic import from_sympy, to_sympy

    shifted = substitute(f, {x.id: BinOp("+", x, h)})
    steps = [_dq(of, x, h, BinOp("/", sub(shifted, f), h))]
    # (x+h)^k = Σ_i C(k,i) x^{k-i} h^i, term by term in the order of the powers of x.
    expanded: list[Expr] = []
    collected: dict[tuple[int, int], sympy.Expr] = {}
    for k in sorted(poly, reverse=True):
        c = poly[k]
        for j in range(k + 1):
            coeff = from_sympy(sympy.expand(to_sympy(c) * math.comb(k, j)))
            expanded.append(_monomial(coeff, x, k - j, h, j))
            if j >= 1:
                key = (k - j, j)
                collected[key] = collected.get(key, sympy.Integer(0)) + to_sympy(c) * math.comb(k, j)
    top = max(poly)
    steps.append(_lim(of, x, "expand", Limit(h, BinOp("/", sub(_sum(expanded), f), h)),
                      facts={"power": BinOp("^", BinOp("+", x, h), Num(top))} if top >= 2 else {}))
    kept = sorted(((a, b), sympy.expand(c)) for (a, b), c in collected.items() if sympy.expand(c) != 0)
    kept.sort(key=lambda t: (t[0][1], -t[0][0]))
    numerator = _sum([_monomial(from_sympy(c), x, a, h, b) for (a, b), c in kept])
    steps.append(_lim(of, x, "cancel", Limit(h, BinOp("/", numerator, h)),
                      facts={"term": f, "fx": Call(of, (x,)), "step": h}))
    divided = [(a, b - 1, c) for (a, b), c in kept]
    quotient = _sum([_monomial(from_sympy(c), x, a, h, b) for a, b, c in divided])
    steps.append(_lim(of, x, "divide", Limit(h, quotient), facts={"step": h}))
    lead = _sum([_monomial(from_sympy(c), x, a, h, b) for a, b, c in divided if b == 0])
    tail = [_monomial(from_sympy(c), x, a, h, b) for a, b, c in divided if b > 0]
    if tail:
        steps.append(_lim(of, x, "vanish", Limit(h, BinOp("+", lead, Vanishing(_sum(tail), h))),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                          facts={"step": h}))
    steps.append(_lim(of, x, "evaluate", lead, facts={"step": h, "free": not tail}))
    return Part(steps, closed=lead, explicit=lead)


# --- exp(x) and 1/x -------------------------------------------------------------------------------


def _exp(of: str, x: Name, h: Name) -> Part:
    ex, eh, exh = Call("exp", (x,)), Call("exp", (h,)), Call("exp", (BinOp("+", x, h),))
    steps = [_dq(of, x, h, BinOp("/", BinOp("-", exh, ex), h))]
    standard = BinOp("/", BinOp("-", eh, Num(1)), h)
    steps.append(_lim(of, x, "factor", Limit(h, BinOp("/", BinOp("*", ex, BinOp("-", eh, Num(1))), h)),
                      BinOp("*", ex, Limit(h, standard)),  # type: ignore[arg-type]  # a display object (C(n,i), Σ, lim, →0) inside a displayed-only expression
                      facts={"factor": ex, "product": Relation((exh, BinOp("*", ex, eh)))}))
    steps.append(_lim(of, x, "standard", BinOp("*", ex, Num(1)), ex,
                      facts={"limit": Relation((Limit(h, standard), Num(1)))}))
    return Part(steps, closed=ex, explicit=ex)


def _reciprocal(of: str, x: Name, h: Name) -> Part:
    xh = BinOp("+", x, h)
    steps = [_dq(of, x, h, BinOp("/", BinOp("-", div(Num(1), xh), div(Num(1), x)), h))]
    common = BinOp("/", BinOp("-", x, xh), BinOp("*", BinOp("*", h, x), xh))
    steps.append(_lim(of, x, "common_denominator", Limit(h, common),
                      Limit(h, BinOp("/", neg(h), BinOp("*", BinOp("*", h, x), xh))), facts={"step": h}))
    after = neg(BinOp("/", Num(1), BinOp("*", x, xh)))
    steps.append(_lim(of, x, "divide", Limit(h, after), facts={"step": h, "shared": True}))
    result = neg(BinOp("/", Num(1), BinOp("^", x, Num(2))))
    steps.append(_lim(of, x, "evaluate", result, facts={"step": h, "continuous": True}))
    return Part(steps, closed=result, explicit=result)
