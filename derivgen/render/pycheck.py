"""The gradient check at the end of a ``--format py`` file (:mod:`.python`).

Random values are drawn as derivgen's own check draws them
(``derivgen/check/numeric.py``): standard normal entries, or entries in
[0.5, 1.5] with square matrices made diagonally dominant when a point falls
outside a function's domain ("safe"); symmetric, invertible, positive and
simplex givens are drawn so.  Each derivative is compared, entry by entry,
with central differences of its quantity at a few such points, with
derivgen's tolerance: ``1e-5 (1 + |numeric|) + 1e-8 max|f|``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from derivgen.problem.expr import Shape

#: One derivative for the table: (name, function, derivative function, arguments, by (given, index)).
Row = tuple[str, str, str, list[str], list[tuple[str, tuple[int, ...]]], str]

_MACHINERY = '''\
# --- the check: every derivative against finite differences at random values ---------------


def call(f, args, point):
    """f at the point, its arguments taken from the point by name (NaN outside its domain)."""
    with np.errstate(all="ignore"):
        return np.asarray(f(*(point[a] for a in args)), dtype=float)


def numeric_derivative(f, args, point, wrt, h=1e-6):
    """Central differences of f by each entry of the variables in wrt (the derivative's layout)."""
    parts = []
    for name, index in wrt:
        x = point[name]
        value = call(f, args, point)
        d = np.zeros(value.shape + x.shape)
        for k in np.ndindex(x.shape):
            step = h * max(1.0, abs(x[k]))
            up, down = x.copy(), x.copy()
            up[k] += step
            down[k] -= step
            d[(...,) + k] = (call(f, args, {**point, name: up})
                             - call(f, args, {**point, name: down})) / (2 * step)
        parts.append(d[(...,) + index])
    return parts[0] if len(parts) == 1 else np.stack(parts, axis=-1)


def check(seed=0, points=3):
    """Compare every derivative with finite differences at random points; True if all agree."""
    rng = np.random.default_rng(seed)
    all_agree = True
    if not DERIVATIVES:
        print("no first derivative to check here (see the docstring at the top)")
    for name, f, df, args, wrt, layout in DERIVATIVES:
        worst, compared, tries = 0.0, 0, 0
        while compared < points and tries < 4 * points:
            point = random_point(rng, safe=tries >= points)
            tries += 1
            value, derived = call(f, args, point), call(df, args, point)
            numeric = numeric_derivative(f, args, point, wrt)
            if layout == "denominator":  # the variable's axes first, then the quantity's
                numeric = np.moveaxis(numeric, list(range(value.ndim)), list(range(-value.ndim, 0)))
            if not all(np.all(np.isfinite(a)) for a in (value, derived, numeric)):
                continue  # outside a function's domain: draw another point
            derived = derived.reshape(numeric.shape)
            tolerance = 1e-5 * (1 + np.abs(numeric)) + 1e-8 * np.max(np.abs(value))
            worst = max(worst, float(np.max(np.abs(derived - numeric) / tolerance, initial=0.0)))
            compared += 1
        agrees = compared == points and worst <= 1
        all_agree = all_agree and agrees
        verdict = "agrees with" if agrees else "DISAGREES with"
        print(f"{name} {verdict} finite differences at {compared} random points "
              f"(largest difference {worst:.2g} of the tolerance)")
    return all_agree


if __name__ == "__main__":
    sys.exit(0 if check() else 1)
'''


def check_section(given: list[tuple[str, Shape, frozenset[str]]], sizes: Mapping[str, int],
                  table: list[Row], name: Callable[[str], str]) -> str:
    """``random_point``, the table of derivatives and the check, as source text."""
    return "".join([_random_point(given, sizes, name), "\n\n", _table(table), "\n\n", _MACHINERY])


def _random_point(given: list[tuple[str, Shape, frozenset[str]]], sizes: Mapping[str, int],
                  name: Callable[[str], str]) -> str:
    dims = list(dict.fromkeys(d for _, shape, _ in given for d in shape if isinstance(d, str)))
    at = ", ".join(f"{d} = {sizes[d]}" for d in dims)
    lines = [
        "def random_point(rng, safe=False):",
        f'    """Random values of the givens{" at " + at if at else ""}; safe: entries in [0.5, 1.5] and',
        '    square matrices diagonally dominant (inside every function\'s domain)."""',
    ]
    lines += [f"    {name(d)} = {sizes[d]}" for d in dims]
    lines += [
        "",
        "    def draw(*shape, symmetric=False, invertible=False, positive=False):",
        "        a = rng.uniform(0.5, 1.5, shape) if safe or positive else rng.standard_normal(shape)",
        "        if symmetric:",
        "            a = (a + a.T) / 2",
        "        if len(shape) == 2 and shape[0] == shape[1] > 1 and (safe or invertible):",
        "            a = a + 2 * shape[0] * np.eye(shape[0])  # diagonally dominant: invertible, det > 0",
        "        return a",
        "",
        "    return {",
    ]
    lines += [f'        "{v}": {_draw(shape, assume, name)},' for v, shape, assume in given]
    return "\n".join(lines + ["    }", ""])


def _draw(shape: Shape, assume: frozenset[str], name: Callable[[str], str]) -> str:
    dims = [name(d) if isinstance(d, str) else str(d) for d in shape]
    if "simplex" in assume and len(shape) == 1:
        return f"rng.dirichlet(np.ones({dims[0]}))"
    flags = []
    if "symmetric" in assume:
        flags.append("symmetric=True")
    if "invertible" in assume or {"positive", "symmetric"} <= assume:
        flags.append("invertible=True")
    if "positive" in assume:
        flags.append("positive=True")
    return f"draw({', '.join(dims + flags)})"


def _table(rows: list[Row]) -> str:
    lines = ["#: Each derivative found: (name, function, derivative, arguments, by (variable, entry),",
             "#: layout: numerator has the quantity's axes first, denominator the variable's).",
             "DERIVATIVES = ["]
    for label, f, df, args, wrt, layout in rows:
        arg_text = "(" + ", ".join(f'"{a}"' for a in args) + ("," if len(args) == 1 else "") + ")"
        wrt_text = "[" + ", ".join(f'("{g}", {_index(i)})' for g, i in wrt) + "]"
        lines.append(f'    ("{label}", {f}, {df}, {arg_text}, {wrt_text}, "{layout}"),')
    return "\n".join(lines + ["]", ""])


def _index(i: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, i)) + ("," if len(i) == 1 else "") + ")"
