"""How much of a derivation a worked solution shows: ``answer``, ``lecture`` or ``full``.

The engine records every rule it applies; this module decides, for a detail
level, which of those steps a reader sees.  It maps a step tree to a step tree
(nothing is printed here), so every output format shows the same solution.

- ``full``: every step the engine recorded, as it recorded them.
- ``lecture`` (the default): the granularity of the lectures.  Elementary
  scalar rules are folded into one line that names the rules used; a chain
  rule shows its factors first and multiplies them afterwards; a factor whose
  matrix form is known is shown in that form, not re-derived entry by entry;
  a second route reuses what the first derived; a tidy-up joins the line it
  tidies.
- ``answer``: the dimension only (the result and its check follow in every
  format).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from derivgen.derivation import Block, Deriv, Math, Product, Relation, Space, Step, Under
from derivgen.errors import RenderError
from derivgen.problem.expr import (
    BinOp,
    Call,
    Expr,
    Name,
    substitute,
)
from derivgen.problem.model import DEFAULT_DETAIL, DETAILS
from derivgen.render.names import Names

__all__ = ["DEFAULT_DETAIL", "DETAILS", "rules_used", "steps_for"]


#: Rules that carry the structure of a derivative; the others are folded into one line.
STRUCTURAL = ("chain", "product", "quotient")
#: Steps that re-derive, entry by entry, what a factor's matrix form already says.
ENTRY_WORK = ("index_notation", "partials", "stack", "collate", "explicit", "cases")


def steps_for(steps: tuple[Step, ...], detail: str, names: Names | None = None,
              whole: Deriv | None = None, letters: tuple[str, str] | None = None,
              earlier: dict[str, str] | None = None) -> tuple[Step, ...]:
    """The steps a solution at ``detail`` shows, in order.

    ``names`` are the problem's intermediates, kept as names at ``lecture``;
    ``whole`` is the derivative asked for, written on the first line of a
    scalar rule instead of the expression written out; ``letters`` are the
    statement's names (outer, inner) for a composition ``g(f(x))``;
    ``earlier`` maps what earlier parts of the problem differentiated by
    (``x[1]``) to their labels, so their partial derivatives are quoted.
    """
    if detail == "full":
        return steps
    if whole is not None:
        steps = tuple(_dimension_symbol(s, whole) for s in steps)
    if detail == "answer":
        return tuple(s for s in steps if s.kind == "dimension")
    out = _flatten_chains(_substitutions(_lecture(steps, top=True, letters=letters, earlier=earlier), names))
    if whole is not None:
        out = [_name_whole(s, whole) for s in out]
    if names is not None:
        out = [names.fold_step(s) for s in out]
    return tuple(out)


def _substitutions(steps: list[Step], names: Names | None) -> list[Step]:
    """The problem's intermediates stay names (the statement and the answer say what they are);
    a name the derivation made up (the u of a chain rule) is written out on the line before."""
    out: list[Step] = []
    for step in steps:
        if step.substeps:
            step = replace(step, substeps=tuple(_substitutions(list(step.substeps), names)))
        if step.kind == "substitute":
            made_up = [n for n in _listed(step.facts.get("names", ()))
                       if names is None or n not in names.defined]
            if not made_up:
                continue
            if out and out[-1].math and step.math and len(step.math[0].parts) >= 2 \
                    and _value(out[-1].math[-1]) == step.math[0].parts[1]:
                rel = out[-1].math[-1]
                out[-1] = replace(out[-1], math=out[-1].math[:-1] + (_append(rel, step.math[0].parts[-1]),))
                continue
        out.append(step)
    return out


def _listed(value: object) -> tuple[object, ...]:
    """A fact holding several values (``TypeError`` for a single one, as iterating it would)."""
    if not isinstance(value, Iterable):
        raise TypeError(f"not a collection: {value!r}")
    return tuple(value)


def _dimension_symbol(step: Step, whole: Deriv) -> Step:
    """The dimension is stated for the derivative as the question writes it (∂ or d)."""
    if step.kind != "dimension" or not step.math:
        return step
    first = step.math[0]
    lhs = first.parts[0]
    if isinstance(lhs, Deriv) and lhs.partial != whole.partial:
        first = Relation((Deriv(lhs.of, lhs.wrt, whole.partial),) + first.parts[1:], first.ops)
    return replace(step, math=(first,) + step.math[1:])


#: Rule lines whose left side is the function being differentiated (not a part of it).
_WHOLE_RULES = ("folded", "chain_combine", "product", "quotient")


def _name_whole(step: Step, whole: Deriv) -> Step:
    """``d/dx((2x+1)^4)`` on a line about the whole function is ``dh/dx``: the function's own name."""
    about_whole = step.kind in ("partials", "gradient") or (
        step.kind == "rule" and step.facts.get("rule") in _WHOLE_RULES)
    if not about_whole or not step.math:
        return step
    first = step.math[0]
    lhs = first.parts[0] if first.parts else None
    if isinstance(lhs, Deriv) and not isinstance(lhs.of, Name):
        named = Deriv(whole.of, lhs.wrt, lhs.partial or lhs.wrt != whole.wrt)
        rest = tuple(_rename_derivs(p, lhs.of, whole.of) for p in first.parts[1:])
        return replace(step, math=(Relation((named,) + rest, first.ops),) + step.math[1:])
    return step


def _rename_derivs(obj: Math, expr: Math, name: Math) -> Math:
    """∂(x₁²x₂)/∂x₁ inside a collected row is ∂f/∂x₁: the function's name, not its formula."""
    if isinstance(obj, Deriv) and obj.of == expr:
        return Deriv(name, obj.wrt, True)
    if isinstance(obj, Block):
        return Block(tuple(tuple(_rename_derivs(c, expr, name) for c in row) for row in obj.rows))
    return obj


# --- lecture -------------------------------------------------------------------------


def _lecture(steps: Iterable[Step], top: bool = False, letters: tuple[str, str] | None = None,
             earlier: dict[str, str] | None = None) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        if step.kind == "simplify" and out and _joinable(out[-1], step):
            out[-1] = _join_tidy(out[-1], step)
            continue
        by = step.facts.get("by")
        if earlier and step.kind == "partials" and isinstance(by, str) and by in earlier:
            # Found in an earlier part of the same problem: quote it, do not derive it again.
            out.append(replace(step, substeps=(), facts={"by": by, "from_part": earlier[by]}))
            continue
        out.extend(_lecture_step(step, top, letters))
    return _same_way(out)


def _same_way(steps: list[Step]) -> list[Step]:
    """Entries of a Jacobian derived by the same rules: the first is explained, the others follow
    "in the same way" (their lines stay, their sentence is not said again)."""
    out: list[Step] = []
    for step in steps:
        prev = out[-1] if out else None
        if (prev is not None and step.kind == prev.kind == "partials" and step.facts.get("entry")
                and prev.facts.get("entry") and step.facts.get("rules") == prev.facts.get("rules")
                and not step.substeps):
            step = replace(step, facts={**step.facts, "same_way": True})
        out.append(step)
    return out


def _lecture_step(step: Step, top: bool, letters: tuple[str, str] | None) -> list[Step]:
    kind = step.kind
    if kind == "rule":
        return _rule(step, letters if top else None)
    if kind == "partials" and _only_rules(step.substeps):
        return [_folded(step, step.substeps)]
    if kind == "factor":
        return _factor(step)
    if kind == "vec":
        # Route (b) reuses the partial derivatives route (a) found: no entry is derived twice, and
        # neither the flattened matrix nor the re-shaped tensor is written out again.
        flatten, jacobian, reshape = (step.math + (None, None, None))[:3]
        # As MML's Figure 5.7 (b): the shapes of the three stages; the 8×3 matrix's columns are
        # the slices above, flattened, so it is not written out again.
        math = tuple(m for m in (_ends_in(flatten), _ends_in(jacobian), _ends_in(reshape)) if m is not None)
        return [replace(step, math=math, substeps=(), facts={**step.facts, "reuses": True})]
    if kind == "collate" and step.facts.get("slices") and step.math:
        # The slices were just displayed one by one: name them, do not print them again.
        rel = step.math[0]
        if len(rel.parts) == 4:
            return [replace(step, math=(Relation((rel.parts[0], rel.parts[1], rel.parts[3]), ("=", "∈")),))]
    if kind == "explicit" and not top:
        return []
    if kind == "gradient" and len(step.math) > 1:
        # J(i, j) = ∂f_i/∂x_j: the sentence says it (row i holds the partials of output i).
        return [replace(step, math=step.math[:1], substeps=tuple(_lecture(step.substeps)))]
    return [replace(step, substeps=tuple(_lecture(step.substeps)))]


def _only_rules(steps: tuple[Step, ...]) -> bool:
    return bool(steps) and all(s.kind in ("rule", "simplify") for s in steps)


def rules_used(steps: Iterable[Step]) -> list[str]:
    """The names of the scalar rules applied in a subtree, each once, outermost first."""
    seen: list[str] = []

    def walk(s: Step) -> None:
        rule = s.facts.get("rule") if s.kind == "rule" else None
        if isinstance(rule, str) and rule not in seen and rule not in ("constant", "variable"):
            seen.append(rule)
        for sub in s.substeps:
            walk(sub)

    for s in steps:
        walk(s)
    return seen


def _folded(step: Step, under: Iterable[Step], **more: object) -> Step:
    """``step`` with the rule applications below it folded into the names of the rules."""
    under = tuple(under)
    if step.kind == "rule" and not under:
        # One rule on its own: its own sentence says which; a sum's "1 + 0" is not worth a line.
        if step.facts.get("rule") in ("sum", "difference", "constant_multiple"):
            return replace(step, math=tuple(_ends(r) for r in step.math))
        return step
    facts = {**step.facts, "rules": rules_used((step,) + under) if step.kind == "rule" else rules_used(under)}
    facts.update(more)
    math = step.math
    if step.kind == "rule":
        facts["rule"] = "folded"
        if step.facts.get("rule") not in STRUCTURAL:
            # The rule written out is the sum of the parts' derivatives: the rules are named instead.
            math = tuple(_ends(r) for r in math)
    tidy = [s for s in under if s.kind == "simplify"]
    if tidy and math:
        math = math[:-1] + (_append(math[-1], tidy[-1].math[0].parts[-1]),)
    return replace(step, math=math, facts=facts, substeps=())


def _value(rel: Relation) -> object:
    """What a relation says a thing equals: its last part that is not the space it lies in."""
    parts = [p for p in rel.parts if not isinstance(p, Space)]
    return parts[-1] if parts else None


def _ends_in(rel: Relation | None) -> Relation | None:
    """``a = b = c ∈ S`` as ``a ∈ S``."""
    if rel is None or not rel.ops or rel.ops[-1] not in ("∈", "in"):
        return rel
    return Relation((rel.parts[0], rel.parts[-1]), ("∈",))


def _ends(rel: Relation) -> Relation:
    if len(rel.parts) <= 2 or any(op != "=" for op in rel.ops):
        return rel
    return Relation((rel.parts[0], rel.parts[-1]))


def _rule(step: Step, letters: tuple[str, str] | None = None) -> list[Step]:
    """One rule application: its parts first (one folded line each), then the rule itself."""
    rule = step.facts.get("rule")
    if rule == "chain" and step.facts.get("inner") is not None:
        return _chain(step, letters)
    if rule in ("product", "quotient") and step.substeps:
        parts = [_folded(s, s.substeps) for s in step.substeps]
        return [Step("rule", tuple(p.math[0] for p in parts),
                     {"rule": "parts", "rules": rules_used(step.substeps), "of": rule}),
                replace(step, substeps=())]
    return [_folded(step, step.substeps)]


def _chain(step: Step, letters: tuple[str, str] | None = None) -> list[Step]:
    """The lectures' order: name the inner function, differentiate outer and inner, multiply.

    ``letters`` are the statement's own names (outer, inner) for ``g(f(x))``.
    """
    inner, outer, u = _expr_fact(step, "inner"), _expr_fact(step, "outer"), str(step.facts.get("inner_name"))
    combine_rel = step.math[0]
    lhs = combine_rel.parts[0]
    x = lhs.wrt if isinstance(lhs, Deriv) else None
    outer_step, inner_step = _chain_parts(step)
    g: Name | None = None
    if letters is not None and isinstance(x, Expr):
        g, f = Name(letters[0]), Name(letters[1])
        rename: dict[str, Expr] = {u: f}
        outer = substitute(outer, rename)
        outer_step = _renamed(outer_step, rename)
        u = f.id
    un = Name(u)
    naming_rels = [Relation((Call(u, (x,)) if g is not None and isinstance(x, Expr) else un, inner))]
    if g is not None:
        naming_rels.append(Relation((Call(g.id, (un,)), outer)))
    naming = Step("rule", tuple(naming_rels),
                  {"rule": "name_inner", "inner_name": u, "inner": inner, "outer": outer,
                   "named": g is not None})
    shown = []
    for s_, head in ((outer_step, Deriv(g, un) if g is not None else None),
                     (inner_step, Deriv(un, x) if x is not None else None)):
        if s_ is None:
            continue
        line = _folded(s_, s_.substeps)
        rel = line.math[0]
        if head is not None:
            rel = Relation((head,) + rel.parts[1:], rel.ops)
        shown.append((s_, rel))
    parts = Step("rule", tuple(r for _, r in shown),
                 {"rule": "chain_factors", "rules": [rules_used([s_]) for s_, _ in shown], "inner_name": u})
    middle = Product((Deriv(g, un), Deriv(un, x))) if g is not None and x is not None else None
    rel = _plug_inner(combine_rel, str(step.facts.get("inner_name")), step.facts["inner"])
    if middle is not None:
        rel = Relation((rel.parts[0], middle) + rel.parts[2:], rel.ops)
    combine = replace(step, facts={**step.facts, "rule": "chain_combine"}, substeps=(), math=(rel,))
    return [naming] + ([parts] if shown else []) + [combine]


def _expr_fact(step: Step, key: str) -> Expr:
    value = step.facts[key]
    if not isinstance(value, Expr):
        raise RenderError(f"the {step.kind} step's {key!r} is not an expression: {value!r}")
    return value


def _renamed(step: Step | None, rename: dict[str, Expr]) -> Step | None:
    return None if step is None else _renamed_step(step, rename)


def _renamed_step(step: Step, rename: dict[str, Expr]) -> Step:
    math = tuple(Relation(tuple(_rename_math(p, rename) for p in r.parts), r.ops) for r in step.math)
    return replace(step, math=math, substeps=tuple(_renamed_step(s, rename) for s in step.substeps))


def _rename_math(obj: Math, rename: dict[str, Expr]) -> Math:
    if isinstance(obj, Expr):
        return substitute(obj, rename)
    if isinstance(obj, Deriv):
        return Deriv(_rename_math(obj.of, rename), _rename_math(obj.wrt, rename), obj.partial)
    if isinstance(obj, Product):
        return Product(tuple(_rename_math(f, rename) for f in obj.factors))
    return obj


def _chain_parts(step: Step) -> tuple[Step | None, Step | None]:
    """The outer derivative (by the inner name) and the inner one, as the engine recorded them."""
    u = step.facts.get("inner_name")
    outer = inner = None
    for s in step.substeps:
        lhs = s.math[0].parts[0] if s.math and s.math[0].parts else None
        if isinstance(lhs, Deriv) and lhs.wrt == Name(str(u)):
            outer = s
        else:
            inner = s
    return outer, inner


def _plug_inner(rel: Relation, u: object, inner: object) -> Relation:
    """In the product g'(u)·u', write u out so the line reads in the variable (as the lecture does)."""
    if not isinstance(u, str) or not isinstance(inner, Expr):
        return rel
    parts: list[Math] = []
    for p in rel.parts:
        if isinstance(p, Product):
            p = Product(tuple(substitute(f, {u: inner}) if isinstance(f, Expr) else f for f in p.factors))
        elif parts and isinstance(parts[-1], Product) and isinstance(p, BinOp) and p.op == "*" \
                and len(parts[-1].factors) == 2 and (p.left, p.right) == tuple(parts[-1].factors):
            continue  # the same product again, only written without the gap
        parts.append(p)
    return Relation(tuple(parts), ("=",) * (len(parts) - 1) if all(o == "=" for o in rel.ops) else rel.ops)


def _factor(step: Step) -> list[Step]:
    """A chain-rule factor: derived briefly, its result last (the lectures' order)."""
    subs = step.substeps
    if step.facts.get("from_part"):
        return [step]  # derived in an earlier part: quoted as it is
    if _only_rules(subs):
        return [_folded(step, subs)]
    if not subs:
        return [step]
    closed = [s for s in subs if s.kind == "closed_form"]
    if closed or all(s.kind == "rewrite" for s in subs):
        # A factor with a known matrix form: the rewriting that leads to it and the form itself.
        rewrites = [s for s in subs if s.kind == "rewrite"]
        known = closed[-1].facts if closed else {}
        facts = {**step.facts, "identity": known.get("identity"),
                 "rules": list(_listed(known.get("rules", ()))), "closed": True,
                 "rewrite": rewrites[0].facts.get("reason") if rewrites else None}
        math = tuple(r for s in rewrites for r in s.math) + step.math
        return [replace(step, math=math, facts=facts, substeps=())]
    head = step.math[0].parts[0] if step.math and step.math[0].parts else None
    # Inside a chain rule a tensor factor is known by its entries: stacking and collating them
    # (the subject of a problem of its own) would only repeat the lecture.
    body = [s for s in _lecture(subs) if s.kind not in ("stack", "collate", "explicit")]
    if isinstance(head, Deriv):
        body = [_name_whole(s, head) for s in body]
        if isinstance(head.of, Name):  # "hold the output entry z_i fixed", not the problem's f_i
            body = [replace(s, facts={**s.facts, "of": head.of.id}) if s.kind == "stack" else s for s in body]
    if len(body) == 1 and not body[0].substeps and body[0].math and step.math \
            and (_value(body[0].math[-1]) == _value(step.math[0])
                 or body[0].math[-1].parts[0] == step.math[0].parts[0]):
        # One line derives the factor (∂A/∂θ entry by entry): show it once, as the factor.
        only = body[0]
        rules = only.facts.get("rules")
        facts = {**step.facts, "rules": rules if isinstance(rules, list) else []}
        return [replace(step, math=only.math, facts=facts, substeps=())]
    if body and body[-1].kind == "gradient":
        # The collected partials are the factor: say so there (with its symbol), not again after it.
        last = body[-1]
        rel = last.math[0]
        if isinstance(head, Deriv) and isinstance(rel.parts[0], Deriv):
            rel = Relation((head,) + rel.parts[1:], rel.ops)
        body[-1] = replace(last, math=(rel,))
        return [replace(step, math=(), facts={**step.facts, "lead": True}, substeps=tuple(body))]
    lead = replace(step, math=(), facts={**step.facts, "lead": True}, substeps=tuple(body))
    last_line = body[-1].math[-1] if body and body[-1].math else None
    index_form = bool(step.math) and len(step.math[0].parts) == 1  # ∂g_i/∂A_kq = δ_ik x_q itself
    if last_line is not None and step.math and (_value(last_line) == _value(step.math[0])
                                                or (index_form and body[-1].kind == "partials")):
        return [lead]  # the last line already says what the factor is
    return [lead, Step("factor", step.math, {**step.facts, "result": True})]


# --- joining lines -----------------------------------------------------------------------


def _joinable(prev: Step, tidy: Step) -> bool:
    if not prev.math or not tidy.math:
        return False
    last = prev.math[-1].parts[-1]
    if isinstance(last, Product) and len(last.factors) == 2:
        left, right = last.factors
        if isinstance(left, Expr) and isinstance(right, Expr):
            last = BinOp("*", left, right)
    return tidy.math[0].parts[0] == last


def _join_tidy(prev: Step, tidy: Step) -> Step:
    rel = prev.math[-1]
    for part in tidy.math[0].parts[1:]:  # every line the tidying shows, after the one it starts from
        rel = _append(rel, part)
    return replace(prev, math=prev.math[:-1] + (rel,))


def _append(rel: Relation, part: Math) -> Relation:
    if rel.parts and rel.parts[-1] == part:
        return rel
    # Keep a trailing "∈ R^..." at the end of the chain.
    if rel.ops and rel.ops[-1] in ("∈", "in"):
        return Relation(rel.parts[:-1] + (part, rel.parts[-1]), rel.ops[:-1] + ("=", rel.ops[-1]))
    return Relation(rel.parts + (part,), rel.ops + ("=",))


# --- one chain rule for a chain of intermediates --------------------------------------------------


def _flatten_chains(steps: list[Step]) -> list[Step]:
    """dL/dx = ∂L/∂z ∂z/∂x with ∂z/∂x = ∂z/∂h ∂h/∂x becomes one chain rule of three factors, as the
    lectures write a network's gradient: ∂L/∂z ∂z/∂h ∂h/∂x, each factor derived once, one product."""
    chain = next((n for n, s in enumerate(steps) if s.kind == "chain_rule"), None)
    product = next((n for n, s in enumerate(steps) if s.kind == "multiply"), None)
    nested = [n for n, s in enumerate(steps)
              if s.kind == "factor" and s.facts.get("lead") and len(s.substeps) >= 3
              and s.substeps[0].kind == "chain_rule" and s.substeps[-1].kind == "multiply"]
    if chain is None or product is None or len(nested) != 1:
        return steps
    n = nested[0]
    inner = steps[n].substeps
    symbol = steps[n].facts.get("symbol")
    outer_chain = _splice(steps[chain], symbol, inner[0],
                          lambda u: isinstance(u.body, Deriv) and u.body == symbol)
    inner_value = _value(inner[-1].math[-1]) if inner[-1].math else None
    outer_product = _splice(steps[product], symbol, inner[-1], lambda u: u.body == inner_value)
    if outer_chain is None or outer_product is None:
        return steps
    return steps[:chain] + [outer_chain] + steps[chain + 1:n] + list(inner[1:-1]) + steps[n + 1:product] + \
        [outer_product] + steps[product + 1:]


def _splice(step: Step, symbol: object, inner: Step, here: Callable[[Under], bool]) -> Step | None:
    """``step`` with the braced factor ``here`` replaced by the braced factors of ``inner``'s product,
    and ``inner``'s definitions (``h := σ(W₁x + b₁)``) beside its own."""
    rel, inner_rel = step.math[-1], inner.math[-1]
    products = [p for p in rel.parts if isinstance(p, Product)]
    inner_products = [p for p in inner_rel.parts if isinstance(p, Product)]
    if len(products) != 1 or len(inner_products) != 1:
        return None
    factors: list[Math] = []
    found = False
    for f in products[0].factors:
        if isinstance(f, Under) and here(f) and not found:
            factors.extend(inner_products[0].factors)
            found = True
        else:
            factors.append(f)
    if not found:
        return None
    new = Relation(tuple(Product(tuple(factors)) if p is products[0] else p for p in rel.parts), rel.ops)
    definitions = tuple(r for r in inner.math[:-1] if step.kind == "chain_rule")
    facts = dict(step.facts)
    if step.kind == "chain_rule":  # through z and h
        via = [*step.facts.get("via", ()), *inner.facts.get("via", ())]  # type: ignore[misc]
        facts["via"] = list(dict.fromkeys(via))
    return replace(step, math=step.math[:-1] + definitions + (new,), facts=facts)
