"""The table of sentences: one function per step kind, registered with :func:`says`.

Each function gets the step's ``facts`` and a :class:`~derivgen.render.context.Context`
(for typesetting names) and returns one or two short sentences with inline
``$...$`` math.  A kind or a fact the table does not know gets a plain,
generic sentence, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from derivgen.derivation import Relation
from derivgen.problem.expr import Dim, Shape
from derivgen.render.context import Context

Facts = Mapping[str, object]
SentenceFn = Callable[[Facts, "Context"], str]

SENTENCES: dict[str, SentenceFn] = {}


def sentence(kind: str, facts: Facts, ctx: Context) -> str:
    """The sentence for a step; a generic one for kinds not in the table."""
    fn = SENTENCES.get(kind)
    facts = facts if isinstance(facts, Mapping) else {}
    if fn is None:
        return f"Next, the {kind.replace('_', ' ')} step:"
    try:
        return fn(facts, ctx)
    except (KeyError, TypeError, ValueError, AttributeError):
        return f"Next, the {kind.replace('_', ' ')} step:"


def says(kind: str) -> Callable[[SentenceFn], SentenceFn]:
    def register(fn: SentenceFn) -> SentenceFn:
        SENTENCES[kind] = fn
        return fn

    return register


def fact(facts: Facts, key: str, default: object = None) -> object:
    """A fact of a step, or ``default`` when it is missing or None."""
    value = facts.get(key)
    return default if value is None else value


def fact_items(facts: Facts, key: str, default: Iterable[object] = ()) -> tuple[object, ...]:
    """A fact holding several values (names, rules, ranges), or ``default``."""
    return items(fact(facts, key, default))


def items(value: object) -> tuple[object, ...]:
    """The values of a collection in a fact; ``TypeError`` (so the generic sentence) for a single value."""
    if not isinstance(value, Iterable):
        raise TypeError(f"not a collection: {value!r}")
    return tuple(value)


def fact_shape(facts: Facts, key: str, default: Shape) -> Shape:
    """A fact holding a shape, or ``default``."""
    return tuple(_dim(d) for d in fact_items(facts, key, default))


def _dim(value: object) -> Dim:
    if not isinstance(value, (int, str)):
        raise TypeError(f"not a dimension: {value!r}")
    return value


def fact_relation(facts: Facts, key: str) -> Relation:
    """A fact holding a displayed equation (``TypeError``, so the generic sentence, if it is not one)."""
    value = facts[key]
    if not isinstance(value, Relation):
        raise TypeError(f"fact {key!r} is not a Relation: {value!r}")
    return value


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
