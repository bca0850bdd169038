"""The documented limits on what a problem file may ask of derivgen.

A problem file is data written by anyone; these bounds keep loading fast and
keep every later stage (derivation, numeric check, typesetting) small enough
to finish.  Each is reported by name when exceeded, and docs/problem-format.md
lists them all.
"""

from __future__ import annotations

#: Largest problem file read, in bytes (a lecture problem is well under 2 KiB).
MAX_FILE_BYTES = 64 * 1024

#: Most YAML nodes (scalars, lists and mappings) in one problem file.
MAX_YAML_NODES = 2000

#: Longest expression text, in characters (one define, one find).
MAX_EXPRESSION_CHARS = 2000

#: Deepest nesting of one expression: brackets, signs, powers and chained operators.
MAX_NESTING_DEPTH = 64

#: Largest size of one dimension, in a shape or in ``sizes`` (explicit arrays stay printable).
MAX_DIMENSION_SIZE = 64

#: Most entries of a derivative at the problem's concrete sizes (explicit arrays, numeric check).
MAX_ARRAY_ENTRIES = 10_000

#: Most entries in ``find`` in one problem file.
MAX_FINDS = 20

#: Most nodes of a found quantity written out in the given variables (defines inlined).
MAX_EXPANDED_NODES = 20_000

#: Deepest nesting of a found quantity written out in the given variables, each define
#: passed through counting as a level (``Problem.expand`` allows no more than 64).
MAX_EXPANDED_DEPTH = 64

#: Largest magnitude of a constant exponent (``x ** 1000``); larger powers of numbers
#: would be computed exactly and never finish.
MAX_CONSTANT_EXPONENT = 1000

#: Longest time derive + verify + render may take for one problem, in seconds.
MAX_SECONDS_PER_PROBLEM = 60

#: Most memory (address space) derive + verify + render may add for one problem, in bytes:
#: the worker process that builds the problem is stopped with a clear message beyond it.
MAX_BYTES_PER_PROBLEM = 1 << 30
