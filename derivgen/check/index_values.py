"""Numeric values of index forms, by ``numpy.einsum`` over each term.

This is how ``derivgen eval`` and the numeric check read a result that has no
closed matrix form (a 3- or 4-way array such as dK/dR): :func:`index_array`.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import ascii_letters

import numpy as np

from derivgen.check.numeric import Values, evaluate
from derivgen.derivation.index_form import (
    Delta,
    Ent,
    Factor,
    Fn,
    Idx,
    IExpr,
    IndexForm,
    IndexLike,
    Opaque,
    Pw,
    Size,
    Term,
    free_indices,
)
from derivgen.problem.expr import Call
from derivgen.problem.functions import FUNCTIONS


def index_array(form: IndexForm, values: Values, sizes: Mapping[str, int]) -> np.ndarray:
    """The values of ``∂of_I/∂wrt_K`` in array layout: the output's axes, then the input's."""
    return IndexEvaluator(values, sizes).array(form.expr, list(form.out_idx + form.wrt_idx))


def dim_value(d: object, sizes: Mapping[str, int]) -> int:
    return d if isinstance(d, int) else int(sizes[str(d)])


class IndexEvaluator:
    """Evaluates index expressions at given values of the variables."""

    def __init__(self, values: Values, sizes: Mapping[str, int]) -> None:
        self.values = {k: np.asarray(float(v)) for k, v in sizes.items()}  # a size used as a number: x / N
        self.values.update({k: np.asarray(v, dtype=float) for k, v in values.items()})
        self.sizes = sizes
        self._opaque: dict[object, np.ndarray] = {}

    def array(self, x: IExpr, free: list[Idx]) -> np.ndarray:
        """Values of x with one axis per index in ``free``, in that order."""
        shape = tuple(dim_value(i.dim, self.sizes) for i in free)
        total = np.zeros(shape)
        for t in x.terms:
            total = total + self._term(t, free, shape)
        return total

    def _term(self, term: Term, free: list[Idx], shape: tuple[int, ...]) -> np.ndarray:
        operands: list[tuple[np.ndarray, list[Idx]]] = [self._factor(f) for f in term.factors]
        letters: dict[Idx, str] = {}
        for _, idx in operands:
            for i in idx:
                letters.setdefault(i, ascii_letters[len(letters)])
        present = [i for i in free if i in letters]
        spec = ",".join("".join(letters[i] for i in idx) for _, idx in operands)
        spec += "->" + "".join(letters[i] for i in present)
        arrays = [a for a, _ in operands]
        value = np.einsum(spec, *arrays) if arrays else np.asarray(1.0)
        value = float(term.coeff) * value
        # Broadcast over free indices the term does not mention.
        expand = [slice(None) if i in letters else np.newaxis for i in free]
        return np.broadcast_to(value[tuple(expand)] if free else value, shape)

    def _factor(self, f: Factor) -> tuple[np.ndarray, list[Idx]]:
        if isinstance(f, Ent):
            return self._indexed(self.values[f.name], f.idx)
        if isinstance(f, Opaque):
            return self._indexed(self._opaque_value(f), f.idx)
        if isinstance(f, Delta):
            return self._delta(f.a, f.b)
        if isinstance(f, Fn):
            idx = free_indices(f.arg)
            return FUNCTIONS[f.func].numpy(self.array(f.arg, idx)), idx
        if isinstance(f, Pw):
            idx = free_indices(f.base)
            return np.power(self.array(f.base, idx), float(f.exp)), idx
        assert isinstance(f, Size)
        return np.asarray(float(dim_value(f.dim, self.sizes))), []

    def _indexed(self, arr: np.ndarray, idx: tuple[IndexLike, ...]) -> tuple[np.ndarray, list[Idx]]:
        if arr.ndim != len(idx):
            raise ValueError(f"array of rank {arr.ndim} indexed by {len(idx)} indices")
        sel = tuple(i - 1 if isinstance(i, int) else slice(None) for i in idx)
        out = arr[sel]
        symbolic = [i for i in idx if isinstance(i, Idx)]
        # A repeated index (A_kk) is a diagonal: einsum handles repeated letters.
        return out, symbolic

    def _delta(self, a: IndexLike, b: IndexLike) -> tuple[np.ndarray, list[Idx]]:
        if isinstance(a, Idx) and isinstance(b, Idx):
            if a == b:
                return np.ones(dim_value(a.dim, self.sizes)), [a]
            return np.eye(dim_value(a.dim, self.sizes)), [a, b]
        if isinstance(a, int) and isinstance(b, int):
            return np.asarray(1.0 if a == b else 0.0), []
        sym, c = (a, b) if isinstance(a, Idx) else (b, a)
        assert isinstance(sym, Idx) and isinstance(c, int)
        v = np.zeros(dim_value(sym.dim, self.sizes))
        v[c - 1] = 1.0
        return v, [sym]

    def _opaque_value(self, f: Opaque) -> np.ndarray:
        key = (f.kind, f.arg)
        if key not in self._opaque:
            # the language's own evaluator: inv(F) or det(F), NaN where F is singular
            self._opaque[key] = evaluate(Call(f.kind, (f.arg,)), self.values, self.sizes)
        return self._opaque[key]
