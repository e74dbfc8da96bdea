"""Numerically stable elementwise primitives shared by the loss objects.

Every function here works on float64 arrays and never forms ``1 - p`` by
subtraction, never divides by a probability and never clips.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = [
    "log_sigmoid",
    "softplus",
    "log_softplus",
    "log_softmax",
    "log1m_softmax",
]


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0.0, x)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(sigmoid(x)) = -softplus(-x)``, exact in both tails."""
    return -np.logaddexp(0.0, -x)


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


def log_softmax(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise log-softmax of an (n, K) array.

    Returns
    -------
    log_p : ndarray of shape (n, K)
    lse : ndarray of shape (n,)
        The row-wise log-sum-exp, ``log_p = z - lse[:, None]``.
    """
    lse = logsumexp(z, axis=1)
    return z - lse[:, None], lse


def log1m_softmax(z: np.ndarray, log_p: np.ndarray, lse: np.ndarray) -> np.ndarray:
    """Row-wise ``log(1 - softmax(z))`` of an (n, K) array, accurate everywhere.

    For a class that is not the row's arg-max, ``p <= 1/2`` and
    ``log1p(-p)`` is accurate. For the arg-max class ``1 - p`` may be far below
    machine epsilon, so it is computed directly as the log-sum-exp of the
    other logits minus the log-sum-exp of all of them.
    """
    with np.errstate(divide="ignore"):  # p rounds to 1 only in the arg-max column
        out = np.log1p(-np.exp(log_p))
    n, k = z.shape
    if k == 1:
        out.fill(-np.inf)
        return out
    rows = np.arange(n)
    top = np.argmax(z, axis=1)
    others = z.copy()
    others[rows, top] = -np.inf
    out[rows, top] = logsumexp(others, axis=1) - lse
    return out
