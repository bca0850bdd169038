"""The table of sentences: one function per step kind, registered with :func:`says`.

Each function gets the step's ``facts`` and a :class:`~derivgen.render.context.Context`
(for typesetting names) and returns one or two short sentences with inline
``$...$`` math.  A kind or a fact the table does not know gets a plain,
generic sentence, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
