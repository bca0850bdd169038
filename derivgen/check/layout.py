"""Numeric values in denominator layout: the array of a derivative with wrt's axes first.

Numerator (array) layout puts of's axes first, ``[∂f_i/∂x_j]`` at ``(i, j)``;
denominator layout puts wrt's first, at ``(j, i)``.  The two are one
permutation of axes apart, in either direction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def to_denominator_array(a: np.ndarray, of_axes: int) -> np.ndarray:
    """An array in of-then-wrt layout, rearranged to wrt-then-of (``of_axes``: how many axes of has)."""
    import numpy as np

    k = max(0, min(of_axes, a.ndim))
    return np.transpose(a, tuple(range(k, a.ndim)) + tuple(range(k)))


def from_denominator_array(a: np.ndarray, wrt_axes: int) -> np.ndarray:
    """An array in wrt-then-of layout, rearranged to of-then-wrt (``wrt_axes``: how many axes wrt has)."""
    return to_denominator_array(a, wrt_axes)
