"""JSON Schemas (draft 2020-12) of problem files and ``derivgen.yaml``, for editors and other programs.

The schemas are made here from the loaders' own tables (keys, step kinds,
methods, assumptions, detail levels, formats, limits) and shipped as JSON in
``derivgen/schemas/``; ``tests/test_schema.py`` fails when the two differ.
After changing a loader's table, write them again with

    .venv/bin/python -m derivgen.authoring.schema

A schema says what a file's YAML may look like; the loader checks more (that a
formula parses, that shapes agree, that a name is defined before it is used),
and its messages say where and why.  Every file the loader accepts is valid
under the schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from derivgen.build.config import ALL_FORMATS, KEYS
from derivgen.limits import MAX_DIMENSION_SIZE, MAX_FINDS
from derivgen.problem.defines import LONG_FORM_KEYS
from derivgen.problem.loader import KNOWN_KEYS, METHOD_CHOICES, STEP_CHOICES
from derivgen.problem.model import ASSUMPTIONS, DETAILS, GRADIENTS, LAYOUTS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: The shipped schemas by name, as ``derivgen schema --for NAME`` chooses them.
FILES = {"problem": "problem.schema.json", "config": "derivgen.schema.json"}
FOLDER = Path(__file__).resolve().parent.parent / "schemas"

#: A scalar the loader reads as text: YAML may type ``5.`` as a number or ``yes`` as a boolean.
TEXT: dict[str, Any] = {"type": ["string", "number", "boolean"]}
NAME = r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$"


def problem_schema() -> dict[str, Any]:
    """The schema of a problem file (docs/problem-format.md)."""
    dimension = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_DIMENSION_SIZE},
                           {"type": "string", "pattern": NAME}]}
    shape = {"anyOf": [{"const": "scalar"}, {"type": "array", "maxItems": 2, "items": dimension}],
             "description": "[] or scalar, [N] a column vector, [M, N] a matrix"}
    assumption = {"enum": list(ASSUMPTIONS)}
    given_long = {"type": "object", "required": ["shape"], "additionalProperties": False,
                  "properties": {"shape": shape,
                                 "assume": {"anyOf": [assumption, {"type": "array", "items": assumption}]},
                                 "latex": {**TEXT, "description": "how the name is typeset, one formula"},
                                 "gradient": {"enum": list(GRADIENTS),
                                              "description": "symmetrised: sym(G) for a symmetric matrix"}}}
    value = {"anyOf": [{"type": ["string", "number"]},
                       {"type": "array", "items": {"type": ["string", "number", "array"]}}],
             "description": "an expression (quote one that starts with '['), or a list of them"}
    define_keys: dict[str, Any] = {"expr": value, "latex": TEXT}
    assert tuple(define_keys) == LONG_FORM_KEYS, "a key of a define's long form is missing from the schema"
    define_long = {"type": "object", "required": ["expr"], "additionalProperties": False,
                   "properties": define_keys}
    find = {"type": "string", "pattern": r"^\s*(d|taylor\s*\()",
            "description": "dL/dtheta, df/dx[2], df/d(s, t), d2f/dx2, d2f/dxdy, taylor(f, x, 0, 4)"}
    properties: dict[str, Any] = {
        "title": {**TEXT, "description": "required; Markdown text with $...$ math"},
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
               "description": "defaults to the file name without its extension"},
        "source": {**TEXT, "description": "the attribution, shown under the title"},
        "tags": {"type": "array", "items": TEXT},
        "statement": {**TEXT, "description": "Markdown with $...$ and $$...$$"},
        "given": {"type": "object", "propertyNames": {"pattern": NAME},
                  "additionalProperties": {"anyOf": [shape, given_long]},
                  "description": "the variables and their shapes"},
        "define": {"type": "object",
                   "propertyNames": {"pattern": r"^(?!__)[A-Za-z_][A-Za-z0-9_]*(\(.*\))?$"},
                   "additionalProperties": {"anyOf": [value, define_long]},
                   "description": "intermediate quantities and functions f(x), in order"},
        "find": {"anyOf": [find, {"type": "array", "items": find, "minItems": 1, "maxItems": MAX_FINDS}],
                 "description": "required: the derivatives asked for"},
        "sizes": {"type": "object", "propertyNames": {"pattern": NAME},
                  "additionalProperties": {"type": "integer", "minimum": 1, "maximum": MAX_DIMENSION_SIZE}},
        "steps": {"type": "array", "items": {"enum": list(STEP_CHOICES)}},
        "method": {"enum": list(METHOD_CHOICES)},
        "points": {"type": "number", "exclusiveMinimum": 0, "description": "marks in an exam"},
        "show": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                 "description": "defines displayed under the statement"},
        "detail": {"enum": list(DETAILS)},
        "layout": {"enum": list(LAYOUTS), "description": "numerator (the lectures') or denominator"},
        "values": {"type": "object", "propertyNames": {"pattern": NAME},
                   "additionalProperties": {"type": "number"},
                   "description": "numbers for the scalar givens (method: backprop's tables)"},
    }
    assert tuple(properties) == KNOWN_KEYS, "a key of the loader is missing from the schema"
    return {"$schema": DRAFT, "title": "derivgen problem file",
            "description": "One calculus problem for derivgen (docs/problem-format.md).",
            "type": "object", "required": ["title", "find"], "additionalProperties": False,
            "properties": properties}


def config_schema() -> dict[str, Any]:
    """The schema of ``derivgen.yaml`` (README, derivgen/build/config.py)."""
    fmt = {"enum": list(ALL_FORMATS)}
    properties: dict[str, Any] = {
        "title": {**TEXT, "description": "the sheets' default title"},
        "course": TEXT, "author": TEXT, "date": TEXT,
        "label": {**TEXT, "description": "what a problem is called: Problem (the default), Exercise"},
        "numbering": {**TEXT, "description": "'5.' numbers 5.1, 5.2, ...; '{sheet}.' numbers 1.1, ..., 2.1"},
        "detail": {"enum": list(DETAILS)},
        "layout": {"enum": list(LAYOUTS)},
        "sheets": {"anyOf": [{"type": "array", "items": TEXT},
                             {"type": "object", "additionalProperties": TEXT}],
                   "description": "only these folders, with their titles"},
        "formats": {"anyOf": [{"type": "array", "items": fmt},
                              {"type": "string", "pattern": f"^\\s*({'|'.join(ALL_FORMATS)})"
                                                            f"(\\s*,\\s*({'|'.join(ALL_FORMATS)}))*\\s*$"}]},
        "templates": {"type": "string", "description": "a folder inside this file's folder"},
    }
    assert tuple(properties) == KEYS, "a setting of the loader is missing from the schema"
    return {"$schema": DRAFT, "title": "derivgen.yaml",
            "description": "Settings of a derivgen build, at the root of the problem folders.",
            "type": "object", "additionalProperties": False, "properties": properties}


SCHEMAS = {"problem": problem_schema, "config": config_schema}


def schema_text(name: str) -> str:
    """The shipped schema ``name`` (``problem`` or ``config``) as JSON text."""
    return (FOLDER / FILES[name]).read_text(encoding="utf-8")


def dumped(name: str) -> str:
    """The schema ``name`` as made from the loaders' tables, as the shipped file holds it."""
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write the shipped schemas again from the loaders' tables."""
    for name, file in FILES.items():
        (FOLDER / file).write_text(dumped(name), encoding="utf-8")
        print(f"wrote {FOLDER / file}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
