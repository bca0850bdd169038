"""Reading ``values:``: numbers for the scalar givens, the point a worked solution evaluates at.

``method: backprop`` writes its forward and backward tables at these numbers
(MML Example 5.14 at a given ``x``).  Each value is a finite number for a
scalar given; every mistake is reported at its place.
"""

from __future__ import annotations

import math

from yaml.nodes import Node, ScalarNode

from derivgen.problem.model import Var
from derivgen.problem.yamlsource import Report, scalar_value


def read_point_values(report: Report, node: Node | None, given: list[Var]) -> dict[str, object]:
    """``{"values": {name: number}}`` from the ``values`` key, or ``{}`` without one."""
    if node is None:
        return {}
    scalars = {v.name for v in given if not v.shape}
    out: dict[str, float] = {}
    for name, (key_node, value_node) in report.mapping(node, "values").items():
        value = scalar_value(value_node) if isinstance(value_node, ScalarNode) else None
        if name not in scalars:
            known = ", ".join(sorted(scalars)) or "none"
            report.error(key_node, f"values.{name}: {name} is not a scalar given (scalar givens: {known})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            report.error(value_node, f"values.{name}: expected a number, e.g. {name}: 1.5")
        else:
            out[name] = float(value)
    return {"values": out}
