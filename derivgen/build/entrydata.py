"""Problems and derivations as plain JSON data, for the cache: read back without running any code.

A cache entry must never be able to do more than describe a result, so the
cache stores no pickles.  :func:`to_data` turns a loaded problem or its
verified derivations into JSON values; :func:`from_data` builds them again.
Only the types below are written and read:

* ``None``, ``bool``, ``int``, ``str`` and lists as themselves;
* ``float`` as ``{"$f": repr}``, ``Fraction`` as ``{"$q": [num, den]}``, a path as ``{"$p": text}``;
* tuples, frozensets, sets and dicts as ``{"$t": [...]}``, ``{"$fs": [...]}``, ``{"$s": [...]}``
  and ``{"$d": [[key, value], ...]}``;
* a dataclass of derivgen's own data model (the expression tree, the problem, the
  derivation and its steps, a source location) as ``{"$o": "module.Class", "v": {field: value}}``.

Reading builds an object only from a class on that allow-list, and only with
its own fields (the dataclass's ``__init__``, nothing looked up by name
elsewhere); anything else makes the whole entry unreadable, which the cache
treats as a miss.  Tests register their own fake problem types with :func:`register`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any

#: The modules whose dataclasses are derivgen's data model: what a problem and a derivation are made of.
MODEL_MODULES = ("derivgen.problem.expr", "derivgen.problem.model", "derivgen.derivation",
                 "derivgen.derivation.index_form", "derivgen.errors")

_TYPES: dict[str, type] = {}
_loaded = False


class EntryDataError(ValueError):
    """Data that is not what :func:`to_data` writes: the entry is not used."""


def register(*classes: type) -> None:
    """Allow these dataclasses in cache entries (derivgen's own model is allowed already)."""
    for cls in classes:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__qualname__} is not a dataclass")
        _TYPES[_tag(cls)] = cls


def _tag(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _types() -> dict[str, type]:
    global _loaded
    if not _loaded:
        for name in MODEL_MODULES:
            module = importlib.import_module(name)
            register(*(v for v in vars(module).values()
                       if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == name))
        _loaded = True
    return _TYPES


def to_data(obj: object) -> Any:
    """``obj`` as JSON values; ``TypeError`` for anything not on the allow-list."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return {"$f": repr(obj)}
    if isinstance(obj, Fraction):
        return {"$q": [obj.numerator, obj.denominator]}
    if isinstance(obj, PurePath):
        return {"$p": str(obj)}
    if isinstance(obj, list):
        return [to_data(x) for x in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return {"$t": [to_data(x) for x in obj]}
    if isinstance(obj, (frozenset, set)):
        items = sorted((to_data(x) for x in obj), key=lambda d: json.dumps(d, sort_keys=True))
        return {"$fs" if isinstance(obj, frozenset) else "$s": items}
    if isinstance(obj, dict):
        return {"$d": [[to_data(k), to_data(v)] for k, v in obj.items()]}
    cls = type(obj)
    if _types().get(_tag(cls)) is cls:
        return {"$o": _tag(cls),
                "v": {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}  # type: ignore[arg-type]
    raise TypeError(f"cannot store a {_tag(cls)} in the cache")


def from_data(data: Any) -> Any:
    """The object :func:`to_data` wrote; ``EntryDataError`` for anything else."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, list):
        return [from_data(x) for x in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise EntryDataError("not cache data")
    if "$o" in data:
        return _build(data.get("$o"), data.get("v"))
    if len(data) != 1:
        raise EntryDataError("not cache data")
    ((kind, value),) = data.items()
    if kind == "$f" and isinstance(value, str):
        return float(value)
    if kind == "$q" and _ints(value, 2) and value[1] > 0:
        return Fraction(value[0], value[1])
    if kind == "$p" and isinstance(value, str):
        return Path(value)
    if not isinstance(value, list):
        raise EntryDataError("not cache data")
    if kind == "$t":
        return tuple(from_data(x) for x in value)
    if kind == "$fs":
        return frozenset(from_data(x) for x in value)
    if kind == "$s":
        return {from_data(x) for x in value}
    if kind == "$d" and all(isinstance(p, list) and len(p) == 2 for p in value):
        return {from_data(k): from_data(v) for k, v in value}
    raise EntryDataError("not cache data")


def _ints(value: object, n: int) -> bool:
    return (isinstance(value, list) and len(value) == n
            and all(isinstance(x, int) and not isinstance(x, bool) for x in value))


def _build(tag: object, fields: object) -> object:
    cls = _types().get(tag) if isinstance(tag, str) else None
    if cls is None or not isinstance(fields, dict):
        raise EntryDataError(f"not an allowed type: {tag!r}")
    declared = {f.name: f for f in dataclasses.fields(cls)}
    if set(fields) != set(declared):
        raise EntryDataError(f"{tag}: fields do not match")
    values = {name: from_data(v) for name, v in fields.items()}
    try:
        obj = cls(**{n: v for n, v in values.items() if declared[n].init})
    except (TypeError, ValueError) as e:
        raise EntryDataError(f"{tag}: {e}") from e
    for name, value in values.items():
        if not declared[name].init:
            object.__setattr__(obj, name, value)
    return obj
