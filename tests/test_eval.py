"""``derivgen eval`` on problems that appear nowhere else, against an independent reference.

The reference is the function written again here in NumPy and differentiated
by central differences, so neither derivgen's parser nor its evaluator is
involved in the expected numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

RNG = np.random.default_rng(7)


def sig(z):  # type: ignore[no-untyped-def]
    return 1 / (1 + np.exp(-z))


def jacobian(f, values: dict, wrt: str, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Array layout: f's shape then wrt's shape."""
    x0 = np.asarray(values[wrt], dtype=float)
    out0 = np.asarray(f(**values), dtype=float)
    J = np.zeros(out0.shape + x0.shape)
    for idx in np.ndindex(*x0.shape):
        plus, minus = dict(values), dict(values)
        xp, xm = x0.copy(), x0.copy()
        xp[idx] += h
        xm[idx] -= h
        plus[wrt], minus[wrt] = xp, xm
        J[(...,) + idx] = (np.asarray(f(**plus)) - np.asarray(f(**minus))) / (2 * h)
    return J


def spd(n: int) -> np.ndarray:
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


CASES = [
    # (yaml given+define, find, reference function, values)
    (
        "given: {X: {shape: [N, N], assume: [invertible]}, a: [N], b: [N]}\ndefine: {f: a.T @ inv(X) @ a + b.T @ X @ b}",
        "df/dX", lambda X, a, b: a @ np.linalg.inv(X) @ a + b @ X @ b,
        {"X": spd(3), "a": RNG.normal(size=3), "b": RNG.normal(size=3)},
    ),
    (
        "given: {X: {shape: [N, N], assume: [invertible]}}\ndefine: {f: det(X)**2}",
        "df/dX", lambda X: np.linalg.det(X) ** 2, {"X": spd(3)},
    ),
    (
        "given: {X: [N, N]}\ndefine: {f: log(det(X.T @ X + eye(N)))}",
        "df/dX", lambda X: np.log(np.linalg.det(X.T @ X + np.eye(3))), {"X": RNG.normal(size=(3, 3))},
    ),
    (
        "given: {X: [N, N], A: [N, N]}\ndefine: {f: tr(X @ A @ X.T)}",
        "df/dX", lambda X, A: np.trace(X @ A @ X.T), {"X": RNG.normal(size=(3, 3)), "A": RNG.normal(size=(3, 3))},
    ),
    (
        "given: {x: [N], a: [N]}\ndefine: {f: norm(x - a)}",
        "df/dx", lambda x, a: np.linalg.norm(x - a), {"x": RNG.normal(size=4), "a": RNG.normal(size=4)},
    ),
    (
        "given: {A: [M, N], x: [N]}\ndefine: {f: exp(A @ x) * sin(A @ x)}",
        "df/dA", lambda A, x: np.exp(A @ x) * np.sin(A @ x), {"A": RNG.normal(size=(2, 3)), "x": RNG.normal(size=3)},
    ),
    (
        "given: {X: {shape: [N, N], assume: [invertible]}}\ndefine: {F: inv(X) @ X.T}",
        "dF/dX", lambda X: np.linalg.inv(X) @ X.T, {"X": spd(2)},
    ),
    (
        "given: {R: [M, N]}\ndefine: {K: R.T @ R}",
        "dK/dR", lambda R: R.T @ R, {"R": RNG.normal(size=(3, 2))},
    ),
    (
        "given: {W1: [H, N], b1: [H], W2: [M, H], b2: [M], x: [N], y: [M]}\n"
        "define: {h: tanh(W1 @ x + b1), z: W2 @ h + b2, L: norm(z - y)**2}",
        "dL/dW1", lambda W1, b1, W2, b2, x, y: np.sum((W2 @ np.tanh(W1 @ x + b1) + b2 - y) ** 2),
        {"W1": RNG.normal(size=(4, 3)), "b1": RNG.normal(size=4), "W2": RNG.normal(size=(2, 4)),
         "b2": RNG.normal(size=2), "x": RNG.normal(size=3), "y": RNG.normal(size=2)},
    ),
    (
        "given: {W1: [H, N], b1: [H], W2: [M, H], x: [N]}\ndefine: {h: sigma(W1 @ x + b1), f: sigma(W2 @ h)}",
        "df/dx", lambda W1, b1, W2, x: sig(W2 @ sig(W1 @ x + b1)),
        {"W1": RNG.normal(size=(4, 3)), "b1": RNG.normal(size=4), "W2": RNG.normal(size=(2, 4)), "x": RNG.normal(size=3)},
    ),
    (
        "given: {t: scalar, a: [N]}\ndefine: {v: t * a + sin(t) * a * a, f: v.T @ v}",
        "df/dt", lambda t, a: (t * a + np.sin(t) * a * a) @ (t * a + np.sin(t) * a * a),
        {"t": 0.7, "a": RNG.normal(size=3)},
    ),
    (
        "given: {x: [N], B: [N, N]}\ndefine: {f: B @ x / norm(x)}",
        "df/dx", lambda x, B: B @ x / np.linalg.norm(x), {"x": RNG.normal(size=3), "B": RNG.normal(size=(3, 3))},
    ),
]


def run_eval(tmp_path: Path, yaml_body: str, find: str, values: dict) -> np.ndarray:
    problem = tmp_path / "p.yaml"
    problem.write_text(f"title: eval case\n{yaml_body}\nfind: [{find}]\n", encoding="utf-8")
    at = tmp_path / "at.json"
    at.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in values.items()}), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "derivgen", "eval", str(problem), "--find", find, "--at", str(at)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return np.asarray(json.loads(proc.stdout))


@pytest.mark.parametrize("body, find, f, values", CASES, ids=[c[1] + ":" + c[0].split("define: ")[1][:40] for c in CASES])
def test_eval_matches_independent_finite_differences(tmp_path: Path, body, find, f, values) -> None:  # type: ignore[no-untyped-def]
    got = run_eval(tmp_path, body, find, values)
    wrt = find.split("/d", 1)[1]
    expected = jacobian(f, values, wrt)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
