"""The computation graph of ``method: backprop`` drawn: a LaTeX picture for the PDF, SVG for HTML.

The layout is layered, as MML's Figure 5.11 reads: the inputs on the left, each
node one layer right of its furthest parent, the nodes of a layer stacked
around the middle line.  An edge to the next layer is a straight arrow; an
edge that skips layers bends above the nodes it would cross.  The LaTeX
picture uses only the kernel's ``picture`` commands (``\\qbezier``,
``\\circle``), so no package is needed; the Markdown page shows the graph as
the parents column of the forward table.
"""

from __future__ import annotations

import contextlib
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

#: Distance between layers, between the nodes of a layer, and a node's radius (points / pixels).
LAYER, ROW, RADIUS = 56.0, 30.0, 10.0
#: Arrowhead: length and half-angle (radians).
HEAD, SPREAD = 5.0, 0.45
#: The SVG drawn larger than its coordinates (the page's text is larger than a PDF's).
SCALE = 1.5
#: How far above the straight line an edge that skips layers bends.
BEND = 26.0



@dataclass(frozen=True)
class Layout:
    """Where each node is, and the edges (parent, child)."""

    at: Mapping[str, tuple[float, float]]
    """Node -> (x, y), y upwards, in points."""
    edges: tuple[tuple[str, str], ...]
    """(parent, child) pairs."""
    width: float
    """The picture's width."""
    height: float
    """The picture's height."""


def layout(nodes: Sequence[str], parents: Mapping[str, Sequence[str]]) -> Layout:
    """Layers by the longest path from an input; nodes of one layer centred on the middle line."""
    layer: dict[str, int] = {}
    for n in nodes:
        layer[n] = 1 + max((layer[p] for p in parents.get(n, ()) if p in layer), default=-1)
    by_layer: dict[int, list[str]] = {}
    for n in nodes:
        by_layer.setdefault(layer[n], []).append(n)
    tallest = max(len(v) for v in by_layer.values())
    at = {}
    for k, members in by_layer.items():
        for i, n in enumerate(members):
            middle = (tallest - 1) * ROW / 2 + RADIUS + 2
            at[n] = (RADIUS + 2 + k * LAYER, middle - (i - (len(members) - 1) / 2) * ROW)
    edges = tuple((p, c) for c in nodes for p in parents.get(c, ()) if p in at)
    width = 2 * RADIUS + 4 + max(layer.values()) * LAYER
    return Layout(at, edges, width, (tallest - 1) * ROW + 2 * RADIUS + BEND + 4)


def _edge(lay: Layout, parent: str, child: str) -> tuple[tuple[float, float], ...]:
    """Start, control point and end of the edge's curve, and the two ends of its arrowhead."""
    (x1, y1), (x2, y2) = lay.at[parent], lay.at[child]
    skips = x2 - x1 > LAYER * 1.5
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2 + (BEND * 1.6 if skips else 0)
    sx, sy = _toward(x1, y1, mx, my, RADIUS)
    ex, ey = _toward(x2, y2, mx, my, RADIUS)
    angle = math.atan2(ey - my, ex - mx)
    heads = tuple((ex - HEAD * math.cos(angle + t), ey - HEAD * math.sin(angle + t))
                  for t in (SPREAD, -SPREAD))
    return ((sx, sy), (mx, my), (ex, ey)) + heads


def _toward(x: float, y: float, tx: float, ty: float, r: float) -> tuple[float, float]:
    d = math.hypot(tx - x, ty - y) or 1.0
    return x + r * (tx - x) / d, y + r * (ty - y) / d


def _pt(p: tuple[float, float]) -> str:
    return f"({p[0]:.1f},{p[1]:.1f})"


def graph_of(facts: Mapping[str, object]) -> tuple[list[str], dict[str, list[str]]]:
    """The nodes and each node's parents, from a ``graph`` step's facts."""
    nodes, parents = facts.get("nodes", []), facts.get("parents", {})
    if not isinstance(nodes, (list, tuple)) or not isinstance(parents, Mapping):
        return [], {}
    return [str(n) for n in nodes], {str(k): [str(p) for p in v] for k, v in parents.items()}


def picture(nodes: Sequence[str], parents: Mapping[str, Sequence[str]], label: Callable[[str], str]) -> str:
    """A LaTeX ``picture`` of the graph; ``label`` gives each node's math (safe LaTeX)."""
    lay = layout(nodes, parents)
    out = [rf"\setlength{{\unitlength}}{{1pt}}\begin{{picture}}({lay.width:.1f},{lay.height:.1f})"]
    for n, (x, y) in lay.at.items():
        out.append(rf"\put({x:.1f},{y:.1f}){{\circle{{{2 * RADIUS:.0f}}}}}"
                   rf"\put({x:.1f},{y:.1f}){{\makebox(0,0){{${label(n)}$}}}}")
    for p, c in lay.edges:
        s, m, e, h1, h2 = _edge(lay, p, c)
        out.append(rf"\qbezier{_pt(s)}{_pt(m)}{_pt(e)}\qbezier{_pt(h1)}{_pt(e)}{_pt(e)}"
                   rf"\qbezier{_pt(h2)}{_pt(e)}{_pt(e)}")
    out.append(r"\end{picture}")
    return "".join(out)


def svg(nodes: Sequence[str], parents: Mapping[str, Sequence[str]]) -> str:
    """The graph as inline SVG (y downwards), node names as text."""
    lay = layout(nodes, parents)
    h = lay.height

    def flip(p: tuple[float, float]) -> str:
        return f"{p[0]:.1f},{h - p[1]:.1f}"

    parts = [f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{SCALE * lay.width:.0f}" '
             f'height="{SCALE * h:.0f}" viewBox="0 0 {lay.width:.0f} {h:.0f}" role="img" '
             f'aria-label="computation graph">']
    for p, c in lay.edges:
        s, m, e, h1, h2 = _edge(lay, p, c)
        parts.append(f'<path d="M{flip(s)} Q{flip(m)} {flip(e)} M{flip(h1)} L{flip(e)} L{flip(h2)}" '
                     'fill="none" stroke="currentColor"/>')
    for n, (x, y) in lay.at.items():
        parts.append(f'<circle cx="{x:.1f}" cy="{h - y:.1f}" r="{RADIUS:.0f}" fill="none" '
                     f'stroke="currentColor"/><text x="{x:.1f}" y="{h - y + 4:.1f}" text-anchor="middle" '
                     f'font-style="italic" font-size="12">{svg_label(n)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_label(name: str) -> str:
    """A name as SVG text: a Greek name as its letter, what follows ``_`` as a subscript."""
    base, _, sub = name.partition("_")
    with contextlib.suppress(KeyError):
        base = unicodedata.lookup("GREEK SMALL LETTER " + {"lambda": "lamda"}.get(base, base).upper())
    text = escape(base)
    if sub:
        text += f'<tspan baseline-shift="sub" font-size="9">{escape(sub)}</tspan>'
    return text
