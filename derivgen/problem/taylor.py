"""Reading Taylor polynomials in ``find``: ``taylor(f, x, 1, 4)`` and ``taylor(f, [x, y], [1, 2], 2)``.

``taylor(f, x, x0, k)`` asks for the Taylor polynomial of degree k of the
scalar ``f`` in the scalar given ``x`` at the number ``x0`` (MML Definition
5.3); ``taylor(f, [x, y], [x0, y0], k)`` for the multivariate expansion in
several scalar givens at a point, of degree 1 (the linearization) or 2
(MML section 5.8); ``taylor(f, x, [1, 2], 2)`` the same in the entries of one
vector given.
"""

from __future__ import annotations

from collections.abc import Mapping

from derivgen.errors import ExpressionError
from derivgen.problem.expr import Call, Expr, ListLit, Name, Neg, Num, Shape

#: The highest degree of a univariate Taylor polynomial, and of a multivariate expansion.
MAX_DEGREE, MAX_MULTI_DEGREE = 12, 3
TAYLOR_FORM = ("write a Taylor polynomial as taylor(<of>, <x>, <x0>, <degree>), e.g. taylor(f, x, 0, 4), or "
               "taylor(<of>, [<x>, <y>], [<x0>, <y0>], <degree>) for several variables")


def is_taylor(text: str) -> bool:
    """Whether a find entry asks for a Taylor polynomial (it starts ``taylor(``)."""
    return text.lstrip().startswith("taylor(") or text.lstrip().startswith("taylor (")


def parse_taylor(text: str) -> tuple[str, tuple[Name, ...], tuple[Expr, ...], int]:
    """``taylor(f, [x, y], [1, 2], 2)`` -> ``("f", (x, y), (1, 2), 2)``; else :class:`ExpressionError`."""
    from derivgen.problem.parser import parse_expression

    call = parse_expression(text)
    if not isinstance(call, Call) or call.func != "taylor" or len(call.args) != 4:
        raise ExpressionError(TAYLOR_FORM, 0)
    of, wrt, at, degree = call.args
    if not isinstance(of, Name):
        raise ExpressionError("the first argument of taylor is the quantity to expand, a name", _at(of))
    names = wrt.items if isinstance(wrt, ListLit) else (wrt,)
    points = at.items if isinstance(at, ListLit) else (at,)
    if not names or not all(isinstance(n, Name) for n in names) or (
            isinstance(wrt, ListLit) and not isinstance(at, ListLit)):
        raise ExpressionError("the second argument of taylor is a variable, or a list of them, and the third "
                              "the point: a number, or a list of as many (of a vector's entries)", _at(wrt))
    if len(points) != len(names) and isinstance(wrt, ListLit):
        raise ExpressionError(f"the point has {len(points)} coordinates for {len(names)} variables", _at(at))
    for p in points:
        if _number(p) is None:
            raise ExpressionError("the point's coordinates must be numbers", _at(p))
    k = _number(degree)
    top = MAX_DEGREE if len(points) == 1 else MAX_MULTI_DEGREE
    if not isinstance(k, int) or not 0 <= k <= top:
        several = " for several variables" if len(points) > 1 else ""
        raise ExpressionError(f"the degree must be a whole number from 0 to {top}{several}", _at(degree))
    return of.id, tuple(n for n in names if isinstance(n, Name)), tuple(points), k


def check_taylor(of_shape: Shape, wrt: tuple[Name, ...], at: tuple[Expr, ...], given: Mapping[str, Shape],
                 sizes: Mapping[str, int]) -> None:
    """A Taylor polynomial expands a scalar in scalar givens, or in one vector given at a point with as
    many entries; :class:`ExpressionError` otherwise."""
    if of_shape:
        raise ExpressionError("taylor expands a scalar quantity", 7)
    for w in wrt:
        if w.id not in given:
            raise ExpressionError(f"{w.id} is not a given variable (given: {', '.join(given) or 'none'})",
                                  _at(w))
    if len(wrt) == 1 and len(at) > 1:  # taylor(f, x, [1, 2], 2): a vector at a point
        shape = given[wrt[0].id]
        size = shape[0] if len(shape) == 1 else None
        n = size if isinstance(size, int) else sizes.get(str(size), len(at)) if size is not None else None
        if n != len(at):
            raise ExpressionError(f"the point has {len(at)} coordinates, but {wrt[0].id} is not a vector of "
                                  f"{len(at)} entries", _at(wrt[0]))
        return
    for w in wrt:
        if given[w.id]:
            raise ExpressionError(f"taylor expands in scalar variables or one vector; {w.id} is neither "
                                  "(give a vector's point as a list)", _at(w))
    if len(set(wrt)) < len(wrt):
        raise ExpressionError("a variable appears twice in taylor", _at(wrt[0]))


def _number(e: Expr) -> int | float | None:
    if isinstance(e, Num):
        return e.value if isinstance(e.value, (int, float)) else float(e.value)
    if isinstance(e, Neg) and isinstance(e.arg, Num):
        inner = _number(e.arg)
        return -inner if inner is not None else None
    return None


def _at(e: Expr) -> int:
    return getattr(e, "offset", 0)
