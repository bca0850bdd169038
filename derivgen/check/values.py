"""Values for ``derivgen eval``: a JSON file of the givens, and results back as JSON.

The file maps each given name to a number (scalar), a list of numbers (column
vector) or a list of rows (matrix; a row vector ``[1, N]`` is a list of one
row).  Sizes are read off the arrays; every mistake in the file is reported at
once, each line naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from derivgen.errors import UsageError
from derivgen.problem.model import Problem, Var
from derivgen.problem.shapes import fmt_shape

if TYPE_CHECKING:
    import numpy as np

_KIND = {0: "a scalar (a number)", 1: "a vector (a list of numbers)", 2: "a matrix (a list of rows)"}


def load_values(path: Path, problem: Problem) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The givens' values and the sizes they imply; :class:`UsageError` listing every mistake."""
    import numpy as np

    data = _read_json(path)
    errors = [f"'{name}' is not a given of {problem.id}" for name in data if problem.var(name) is None]
    errors += [f"no value for '{v.name}'" for v in problem.given if v.name not in data]
    arrays: dict[str, np.ndarray] = {}
    for v in problem.given:
        if v.name in data:
            arr, message = _array(v, data[v.name])
            if message:
                errors.append(message)
            else:
                arrays[v.name] = np.asarray(arr, dtype=np.float64)
    sizes, size_errors = _infer_sizes(problem, arrays)
    errors += size_errors
    if errors:
        raise UsageError("\n".join(f"{path}: {e}" for e in errors))
    return arrays, sizes


def _read_json(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{path}: cannot read the values file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: the values file is not UTF-8 text") from e
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from e
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from e
    except RecursionError as e:  # [[[[...]]]] thousands deep: no value derivgen reads nests like that
        raise UsageError(f"{path}: the values are nested too deeply (a value is a number, "
                         "a list of numbers, or a list of such lists)") from e
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: the values file must be a JSON object mapping each given name to its value")
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number derivgen can evaluate at")


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _array(v: Var, value: object) -> tuple[object, str]:
    """The value as nested lists checked for rank, or an error message."""
    rank = len(v.shape)
    kind = "a row vector (a list of one row)" if v.shape[:1] == (1,) and rank == 2 else _KIND.get(rank)
    want = f"'{v.name}' ({fmt_shape(v.shape)}) must be {kind or f'an array of rank {rank}'}"
    if rank == 0:
        return (value, "") if _is_number(value) else (None, want)
    if not isinstance(value, list) or not value:
        return None, want
    if rank == 1:
        return (value, "") if all(_is_number(x) for x in value) else (None, want)
    if not all(isinstance(row, list) and row and all(_is_number(x) for x in row) for row in value):
        return None, want
    if len({len(row) for row in value}) != 1:
        return None, f"the rows of '{v.name}' have different lengths"
    return value, ""


def _infer_sizes(problem: Problem, arrays: dict[str, np.ndarray]) -> tuple[dict[str, int], list[str]]:
    """Symbolic sizes from the arrays; conflicts and fixed dimensions that do not match."""
    sizes: dict[str, int] = {}
    source: dict[str, str] = {}
    errors: list[str] = []
    for v in problem.given:
        if v.name not in arrays:
            continue
        for axis, (dim, n) in enumerate(zip(v.shape, arrays[v.name].shape, strict=True)):
            what = "entr" if len(v.shape) == 1 else ("row", "column")[axis]
            if isinstance(dim, int) and dim != n:
                errors.append(
                    f"'{v.name}' has {_count(n, what)}, but its shape {fmt_shape(v.shape)} needs {dim}")
            elif isinstance(dim, str) and dim not in sizes:
                sizes[dim], source[dim] = int(n), v.name
            elif isinstance(dim, str) and sizes[dim] != n:
                errors.append(f"{dim} is {sizes[dim]} from {source[dim]} but {n} from {v.name}")
    for dim, n in problem.sizes.items():
        sizes.setdefault(dim, int(n))
    return sizes, errors


def _count(n: int, what: str) -> str:
    if what == "entr":
        return f"{n} entry" if n == 1 else f"{n} entries"
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def to_json_array(a: object) -> object:
    """Nested lists of floats (a scalar as a bare number), for ``derivgen eval``'s output.

    JSON has no NaN or infinity: a value that is not finite means the result is
    undefined at the given values, which is reported rather than printed.
    """
    import numpy as np

    arr = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise UsageError("the derivative is not defined at these values (a value is not finite)")
    return float(arr) if arr.ndim == 0 else arr.tolist()
