"""Hand-built Problems and Derivations mirroring the lectures' worked examples.

The renderers are tested on these, independently of the engine: least squares
(MML Example 5.11), df/dA for f = Ax, dK/dR for K = RᵀR (Example 5.13) and
h(x) = (2x + 1)^4.  Import with ``from conftest_render import ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from derivgen.derivation import (
    Block,
    Cases,
    Deriv,
    Derivation,
    Dots,
    Entry,
    Product,
    Relation,
    Result,
    Space,
    Step,
    Under,
    Verification,
)
from derivgen.problem.expr import BinOp, Name, Neg, Num, Transpose
from derivgen.problem.model import Definition, Find, Problem, Var
from derivgen.render.mathlatex import MathLatex

N = Name


def mm(a, b):  # type: ignore[no-untyped-def]
    return BinOp("@", a, b)


@dataclass(frozen=True)
class Tex:
    """Stands in for an index form or expression: given LaTeX, and text for ``str``."""

    latex: str
    text: str = ""

    def __str__(self) -> str:
        return self.text or self.latex


def _print_Tex(printer: MathLatex, t: Tex) -> str:
    return t.latex


# The printer finds a method by the object's type, as for every display object.
MathLatex._print_Tex = _print_Tex  # type: ignore[attr-defined]

VDOTS = Dots()


def checked(sizes: dict[str, int], err: float = 1.2e-10) -> Verification:
    return Verification(method="finite differences", sizes=sizes, max_abs_error=err, points=3)


# --- least squares, MML Example 5.11 ------------------------------------------------------


def least_squares() -> tuple[Problem, list[Derivation]]:
    e_def = BinOp("-", N("y"), mm(N("Phi"), N("theta")))
    problem = Problem(
        id="least-squares", title="Gradient of a least-squares loss", path=Path("least-squares.yaml"),
        source="MML Example 5.11", tags=("chain-rule", "least-squares"),
        statement=("Consider the linear model $\\boldsymbol{y} \\approx \\boldsymbol{\\Phi}\\boldsymbol{\\theta}$ "
                   "and the loss\n\n$$\nL(\\boldsymbol{\\theta}) = \\lVert \\boldsymbol{y} - "
                   "\\boldsymbol{\\Phi}\\boldsymbol{\\theta} \\rVert^{2}.\n$$\n\nFind its gradient."),
        given=(Var("theta", ("D",)), Var("Phi", ("N", "D")), Var("y", ("N",))),
        define=(Definition("e", (), e_def, ("N",)), Definition("L", (), mm(Transpose(N("e")), N("e")), ())),
        find=(Find("dL/dtheta", "L", (N("theta"),)),), sizes={"N": 3, "D": 2},
    )
    dL, L, e, th, Phi = Deriv(N("L"), N("theta")), N("L"), N("e"), N("theta"), N("Phi")
    dLde, dedth = Deriv(L, e, partial=True), Deriv(e, th, partial=True)
    two_eT = BinOp("*", Num(2), Transpose(e))
    closed = Neg(mm(BinOp("*", Num(2), Transpose(e_def)), Phi))
    steps = (
        Step("dimension", (Relation((dL, Space(((), ("D",)), row=True)), ("∈",)),),
             {"of": "L", "wrt": "theta", "of_shape": (), "wrt_shape": ("D",)}),
        Step("chain_rule", (Relation((dL, Product((Under(dLde, (1, "N")), Under(dedth, ("N", "D")))))),),
             {"via": ["e"]}),
        Step("factor", (Relation((dLde, two_eT, Space(((), ("N",)), row=True)), ("=", "∈")),), {"factor": "dL/de"},
             substeps=(Step("rewrite", (Relation((L, mm(Transpose(e), e))),), {"reason": "norm_squared"}),)),
        Step("factor", (Relation((dedth, Neg(Phi), Space((("N", "D"),))), ("=", "∈")),), {"factor": "de/dtheta"}),
        Step("multiply", (Relation((dL, mm(two_eT, Neg(Phi)), Neg(mm(two_eT, Phi)))),)),
        Step("substitute", (Relation((dL, closed)),), {"names": ["e"]}),
    )
    result = Result(shape=("D",), printed=(1, "D"), closed=closed, display=closed)
    d = Derivation("L", "theta", (), ("D",), steps, result, "chain", checked({"N": 3, "D": 2}))
    return problem, [d]


# --- df/dA for f = Ax -----------------------------------------------------------------------------


def f_equals_Ax() -> tuple[Problem, list[Derivation]]:
    problem = Problem(
        id="f-ax", title="Gradient of a matrix-vector product with respect to the matrix",
        path=Path("f-ax.yaml"), source="MML Example 5.12", tags=("index-notation",),
        statement="Let $\\boldsymbol{f} = \\boldsymbol{A}\\boldsymbol{x}$ with $\\boldsymbol{A} \\in \\mathbb{R}^{M\\times N}$.",
        given=(Var("A", ("M", "N")), Var("x", ("N",))),
        define=(Definition("f", (), mm(N("A"), N("x")), ("M",)),),
        find=(Find("df/dA", "f", (N("A"),)),), sizes={"M": 3, "N": 2},
    )
    fi = Entry("f", ("i",))
    zero_row = Transpose(Num(0))
    stack = Block(((zero_row,), (VDOTS,), (Transpose(N("x")),), (VDOTS,), (zero_row,)))
    collate = Block(((Deriv(Entry("f", ("1",)), N("A"), True),), (VDOTS,), (Deriv(Entry("f", ("M",)), N("A"), True),)))
    index = Tex(r"\frac{\partial f_{i}}{\partial A_{kq}} = \delta_{ik} x_{q}", "df[i]/dA[k, q] = delta(i, k) * x[q]")
    steps = (
        Step("dimension", (Relation((Deriv(N("f"), N("A")), Space((("M",), ("M", "N")))), ("∈",)),
                           Relation((Deriv(fi, N("A"), True), Space(((1,), ("M", "N")))), ("∈",))),
             {"of": "f", "wrt": "A", "of_shape": ("M",), "wrt_shape": ("M", "N")}),
        Step("index_notation", (Relation((fi, Tex(r"\sum_{j=1}^{N} A_{ij} x_{j}"))),), {"ranges": [("i", "M")]}),
        Step("partials", (Relation((Deriv(fi, Entry("A", ("k", "q")), True),
                                    Tex(r"\sum_{j=1}^{N} \delta_{ik}\delta_{jq} x_{j}"), Tex(r"\delta_{ik} x_{q}"))),),
             {"by": "A_kq", "deltas": True}),
        Step("stack", (
            Relation((Deriv(fi, Entry("A", ("i", ":")), True), Transpose(N("x")), Space(((1,), (1, "N")))), ("=", "∈")),
            Relation((Deriv(fi, Entry("A", ("k≠i", ":")), True), zero_row, Space(((1,), (1, "N")))), ("=", "∈")),
            Relation((Deriv(fi, N("A"), True), stack, Space(((1,), ("M", "N")))), ("=", "∈")),
        ), {"entry": "i"}),
        Step("collate", (Relation((Deriv(N("f"), N("A")), collate, Space((("M",), ("M", "N")))), ("=", "∈")),)),
    )
    result = Result(shape=("M", "M", "N"), printed=("M", "M", "N"), index=index)
    d = Derivation("f", "A", ("M",), ("M", "N"), steps, result, "index", checked({"M": 3, "N": 2}, 0.0))
    return problem, [d]


# --- dK/dR for K = RᵀR, MML Example 5.13 -----------------------------------------------------------


def k_equals_RtR() -> tuple[Problem, list[Derivation]]:
    problem = Problem(
        id="k-rtr", title="Gradient of a Gram matrix", path=Path("k-rtr.yaml"), source="MML Example 5.13",
        tags=("index-notation", "cases"), statement=None,
        given=(Var("R", ("M", "N")),), define=(Definition("K", (), mm(Transpose(N("R")), N("R")), ("N", "N")),),
        find=(Find("dK/dR", "K", (N("R"),)),), sizes={"M": 3, "N": 2},
    )
    kpq, rij = Entry("K", ("p", "q")), Entry("R", ("i", "j"))
    cases = Cases(((Tex("R_{iq}"), "j = p, p ≠ q"), (Tex("R_{ip}"), "j = q, p ≠ q"),
                   (Tex("2R_{iq}"), "j = p, p = q"), (Num(0), "otherwise")))
    index = Tex(r"\frac{\partial K_{pq}}{\partial R_{ij}} = \delta_{jp} R_{iq} + \delta_{jq} R_{ip}",
                "dK[p, q]/dR[i, j] = delta(j, p) * R[i, q] + delta(j, q) * R[i, p]")
    steps = (
        Step("dimension", (Relation((Deriv(N("K"), N("R")), Space((("N", "N"), ("M", "N")))), ("∈",)),),
             {"of": "K", "wrt": "R", "of_shape": ("N", "N"), "wrt_shape": ("M", "N")}),
        Step("index_notation", (Relation((kpq, Tex(r"\sum_{m=1}^{M} R_{mp} R_{mq}"))),),
             {"ranges": [("p", "N"), ("q", "N")]}),
        Step("partials", (Relation((Deriv(kpq, rij, True), Tex(r"\sum_{m=1}^{M} \frac{\partial}{\partial R_{ij}} R_{mp} R_{mq}"))),),
             {"by": "R_ij", "deltas": True}),
        Step("cases", (Relation((Deriv(kpq, rij, True), cases)),)),
    )
    result = Result(shape=("N", "N", "M", "N"), printed=("N", "N", "M", "N"), index=index)
    d = Derivation("K", "R", ("N", "N"), ("M", "N"), steps, result, "index", checked({"M": 3, "N": 2}, 3.4e-11))
    return problem, [d]


# --- h(x) = (2x + 1)^4 by the chain rule ---------------------------------------------------------------


def chain_polynomial() -> tuple[Problem, list[Derivation]]:
    x, u = N("x"), N("u")
    inner = BinOp("+", BinOp("*", Num(2), x), Num(1))
    h_def = BinOp("^", inner, Num(4))
    problem = Problem(
        id="chain-poly", title="Derivative of (2x + 1)^4", path=Path("chain-poly.yaml"),
        source="Lecture slides, chain rule", tags=("chain-rule",),
        statement="Differentiate $h(x) = (2x + 1)^{4}$.",
        given=(Var("x", ()),), define=(Definition("h", (), h_def, ()),),
        find=(Find("dh/dx", "h", (x,)),),
    )
    closed = BinOp("*", Num(8), BinOp("^", inner, Num(3)))
    outer = BinOp("^", u, Num(4))
    steps = (
        Step("dimension", (Relation((Deriv(N("h"), x), Space(((), ()))), ("∈",)),),
             {"of": "h", "wrt": "x", "of_shape": (), "wrt_shape": ()}),
        Step("rule", (Relation((Deriv(N("h"), x), Product((Deriv(outer, u), Deriv(inner, x))))),),
             {"rule": "chain", "inner_name": "u", "inner": inner, "outer": outer},
             substeps=(
                 Step("rule", (Relation((Deriv(outer, u), BinOp("*", Num(4), BinOp("^", u, Num(3))))),), {"rule": "power"}),
                 Step("rule", (Relation((Deriv(inner, x), Num(2))),), {"rule": "sum"}),
             )),
        Step("substitute", (Relation((Deriv(N("h"), x), BinOp("*", BinOp("*", Num(4), BinOp("^", inner, Num(3))), Num(2)),
                                      closed)),), {"names": ["u"]}),
    )
    result = Result(shape=(), printed=(), closed=closed, display=closed)
    d = Derivation("h", "x", (), (), steps, result, "scalar", checked({}, 2.3e-9))
    return problem, [d]


ALL = {"least-squares": least_squares, "f-ax": f_equals_Ax, "k-rtr": k_equals_RtR, "chain-poly": chain_polynomial}
