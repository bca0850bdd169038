"""The matrix form of a Hessian read off its entries: diag(p) − ppᵀ, Xᵀ S X.

When the gradient has no matrix form (a ``sum`` inside, as in log-sum-exp or
logistic regression written with ``sum``), the Hessian's entries
∂²f/∂x_l∂x_k in index notation still are, term by term, one of three kinds:

- δ_kl w_k: a diagonal matrix, diag(w);
- a_k b_l: an outer product, a bᵀ;
- Σ_j A_jk w_j B_jl: the product Aᵀ diag(w) B.

The entries of each kind are collected first and their weights simplified as
scalars (each entry of a vector taken as one symbol), then written with the
vectors they stand for: elementwise, as the language's ``*``, ``/`` and ``^`` on
vectors are.  Anything else (a term of another shape) gives no matrix form;
the result is then the index form alone.  Whatever is found is checked
numerically with every other form of the result.
"""

from __future__ import annotations

from collections.abc import Callable

from derivgen.derivation.index_form import (
    Delta,
    Ent,
    Factor,
    Fn,
    Idx,
    IExpr,
    IndexForm,
    Pw,
    Term,
    factor_indices,
    subst_index,
)
from derivgen.errors import DerivationError
from derivgen.problem.expr import BinOp, Call, Expr, Name, Num, Transpose, substitute


class _NoForm(Exception):
    """A term that is none of the three kinds."""


def hessian_matrix(form: IndexForm, tidy: Callable[[Expr], Expr]) -> tuple[Expr, tuple[str, ...]] | None:
    """Aᵀ diag(w) B + diag(v) + a bᵀ ... for ∂²f/∂x_l∂x_k (scalar f, vector x), with the kinds of term
    met (``diagonal``, ``outer``, ``gram``); None when a term is of none of them."""
    if len(form.out_idx) != 1 or len(form.wrt_idx) != 1 or not form.expr.terms:
        return None
    reader = _Reader(form.out_idx[0], form.wrt_idx[0], tidy)
    try:
        return reader.read(form.expr), tuple(sorted(reader.kinds))
    except (_NoForm, DerivationError, RecursionError):
        return None


class _Reader:
    def __init__(self, k: Idx, by: Idx, tidy: Callable[[Expr], Expr]) -> None:
        self.k, self.l, self.tidy = k, by, tidy
        self.atoms: dict[str, Expr] = {}
        """Placeholder name -> the vector (or scalar) one entry of which it stands for."""
        self.vectors: set[str] = set()
        """The placeholders that stand for entries of vectors (the others for scalars)."""
        self.kinds: set[str] = set()
        """The kinds of term met."""

    def read(self, x: IExpr) -> Expr:
        diagonal: list[Expr] = []
        grams: dict[tuple[str, str], list[Expr]] = {}
        outer: list[Expr] = []
        for t in x.terms:
            pair = {self.k, self.l}
            delta = next((f for f in t.factors if isinstance(f, Delta) and {f.a, f.b} == pair), None)
            if delta is not None and not t.sums:
                rest = IExpr((Term(t.coeff, tuple(f for f in t.factors if f is not delta)),))
                diagonal.append(self.entry(subst_index(rest, self.l, self.k), self.k))
            elif len(t.sums) == 1:
                key, weight = self.gram(t, t.sums[0])
                grams.setdefault(key, []).append(weight)
            elif not t.sums:
                outer.append(self.outer(t))
            else:
                raise _NoForm
        met = (("diagonal", diagonal), ("gram", grams), ("outer", outer))
        self.kinds |= {kind for kind, seen in met if seen}
        parts = [self.diag(_add(diagonal), Call("eye", (Name(str(self.k.dim)),)))] if diagonal else []
        for (a, b), weights in grams.items():
            left = Transpose(Name(a[1:])) if a.startswith("+") else Name(a[1:])
            right = Name(b[1:]) if b.startswith("+") else Transpose(Name(b[1:]))
            parts.append(self.diag(_add(weights), None, left, right))
        return self.tidy(_add(parts + outer))

    def diag(self, weight: Expr, eye: Expr | None, left: Expr | None = None,
             right: Expr | None = None) -> Expr:
        """diag(w) (or w·I for a weight free of the index) between ``left`` and ``right``."""
        from derivgen.problem.expr import names_in

        w, plain = self.vector(weight), self.simplified(weight)
        middle: Expr | None = Call("diag", (w,)) if names_in(plain) & self.vectors else None
        if middle is None and left is not None and right is not None:
            return BinOp("*", w, BinOp("@", left, right))
        if middle is None:
            assert eye is not None
            return BinOp("*", w, eye)
        if left is None or right is None:
            return middle
        return BinOp("@", BinOp("@", left, middle), right)

    # --- the three kinds -------------------------------------------------------------------

    def gram(self, t: Term, j: Idx) -> tuple[tuple[str, str], Expr]:
        """Σ_j A_jk w_j B_jl: the names (with + for A_jk, - for A_kj) and the weight's entry in j."""
        a = [f for f in t.factors if isinstance(f, Ent) and set(f.idx) == {j, self.k}]
        b = [f for f in t.factors if isinstance(f, Ent) and set(f.idx) == {j, self.l}]
        if len(a) != 1 or len(b) != 1 or len(a[0].idx) != 2 or len(b[0].idx) != 2:
            raise _NoForm
        rest = [f for f in t.factors if f is not a[0] and f is not b[0]]
        if any(self.k in factor_indices(f) or self.l in factor_indices(f) for f in rest):
            raise _NoForm
        key = (("+" if a[0].idx[0] == j else "-") + a[0].name, ("+" if b[0].idx[0] == j else "-") + b[0].name)
        return key, self.entry(IExpr((Term(t.coeff, tuple(rest)),)), j)

    def outer(self, t: Term) -> Expr:
        """a_k b_l c: the outer product a bᵀ, scaled."""
        ks = tuple(f for f in t.factors if self.k in factor_indices(f))
        ls = tuple(f for f in t.factors if self.l in factor_indices(f))
        rest = tuple(f for f in t.factors if f not in ks and f not in ls)
        if not ks or not ls or set(ks) & set(ls):
            raise _NoForm
        a = self.vector(self.entry(IExpr((Term(t.coeff, ks + rest),)), self.k))
        b = self.vector(self.entry(IExpr((Term(1, ls),)), self.l))
        return BinOp("@", a, Transpose(b))

    # --- entries as scalars over placeholders, and back ---------------------------------------

    def entry(self, x: IExpr, q: Idx) -> Expr:
        """The entry in q as a scalar expression, each vector's entry (or whole scalar) a placeholder."""
        out: Expr | None = None
        for t in x.terms:
            if t.sums:
                body = IExpr((Term(1, t.factors),))
                if any(q in factor_indices(f) for f in t.factors) or len(t.sums) != 1:
                    raise _NoForm
                total = self.atom(Call("sum", (lift(body, t.sums[0]),)), False)
                value: Expr = BinOp("*", _num(t.coeff), total)
            else:
                value = _num(t.coeff)
                for f in t.factors:
                    value = BinOp("*", value, self.factor(f, q))
            out = value if out is None else BinOp("+", out, value)
        return out if out is not None else Num(0)

    def factor(self, f: Factor, q: Idx) -> Expr:
        if isinstance(f, Ent) and f.idx in ((), (q,)):
            return Name(f.name) if not f.idx else self.atom(Name(f.name), True)
        if isinstance(f, Fn):
            return self.atom(Call(f.func, (lift(f.arg, q),)), q in factor_indices(f))
        if isinstance(f, Pw):
            return BinOp("^", self.entry(f.base, q), _num(f.exp))
        raise _NoForm

    def atom(self, e: Expr, vector: bool) -> Name:
        for name, known in self.atoms.items():
            if known == e:
                return Name(name)
        name = f"u{len(self.atoms)}__"
        self.atoms[name] = e
        if vector:
            self.vectors.add(name)
        return Name(name)

    def simplified(self, entry: Expr) -> Expr:
        from derivgen.engine.scalar.symbolic import simplify_scalar

        return simplify_scalar(entry)

    def vector(self, entry: Expr) -> Expr:
        """The simplified entry with its placeholders replaced by what they stand for (elementwise)."""
        return substitute(self.simplified(entry), dict(self.atoms))


def lift(x: IExpr, q: Idx) -> Expr:
    """The vector whose entry q is x (a scalar when x has no q): ``exp(x)``, ``X @ w``, ``sum(exp(x))``."""
    out: Expr | None = None
    for t in x.terms:
        value = _lift_term(t, q)
        out = value if out is None else BinOp("+", out, value)
    if out is None:
        raise _NoForm
    return out


def _lift_term(t: Term, q: Idx) -> Expr:
    factors = list(t.factors)
    value: Expr = _num(t.coeff)
    if len(t.sums) == 1:
        m = t.sums[0]
        matrix = [f for f in factors if isinstance(f, Ent) and len(f.idx) == 2 and set(f.idx) == {q, m}]
        vector = [f for f in factors if isinstance(f, Ent) and f.idx == (m,)]
        others = [f for f in factors if m not in factor_indices(f)]
        if len(matrix) == 1 and len(vector) == 1 and len(others) == len(factors) - 2:  # Σ_m A_qm v_m: (A v)_q
            a = Name(matrix[0].name) if matrix[0].idx[0] == q else Transpose(Name(matrix[0].name))
            value = BinOp("*", value, BinOp("@", a, Name(vector[0].name)))
            factors = others
        elif not any(q in factor_indices(f) for f in factors):  # Σ_m g_m = sum(g)
            return BinOp("*", value, Call("sum", (lift(IExpr((Term(1, t.factors),)), m),)))
        else:
            raise _NoForm
    elif t.sums:
        raise _NoForm
    for f in factors:
        if isinstance(f, Ent) and f.idx in ((), (q,)):
            value = BinOp("*", value, Name(f.name))
        elif isinstance(f, Fn):
            value = BinOp("*", value, Call(f.func, (lift(f.arg, q),)))
        elif isinstance(f, Pw):
            value = BinOp("*", value, BinOp("^", lift(f.base, q), _num(f.exp)))
        else:
            raise _NoForm
    return value


def _num(c: object) -> Num:
    return Num(c)  # type: ignore[arg-type]


def _add(parts: list[Expr]) -> Expr:
    out = parts[0]
    for p in parts[1:]:
        out = BinOp("+", out, p)
    return out
