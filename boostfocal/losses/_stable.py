"""Numerically stable elementwise primitives shared by the loss objects.

Every function here works on float64 arrays and never forms ``1 - p`` by
subtraction, never divides by a probability and never clips.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "softplus",
    "log_softplus",
]


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0.0, x)


def log_softplus(x: np.ndarray) -> np.ndarray:
    """``log(softplus(x))``, finite for every finite ``x``.

    For ``x < -20``, ``softplus(x) = e^x (1 - e^x/2 + O(e^2x))``, so
    ``log softplus(x) = x - e^x / 2`` to better than 1e-17 relative; the direct
    formula would underflow to ``log(0)`` below ``x ~ -745``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    tail = x < -20.0
    xt = x[tail]
    out[tail] = xt - 0.5 * np.exp(xt)
    xh = x[~tail]
    out[~tail] = np.log(np.logaddexp(0.0, xh))
    return out
