"""Numerically stable elementwise primitives shared by the loss objects.

Every function here works on float64 arrays and never forms ``1 - p`` by
subtraction, never divides by a probability and never clips.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = [
    "softplus",
    "log_softplus",
    "log_softmax",
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


def log_softmax(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ``log(softmax(z))`` and ``log(1 - softmax(z))`` of an (n, K) array.

    Both are accurate to a few ulps everywhere, including where ``p`` rounds to 1. With
    ``t`` the row's arg-max and ``s = sum_{j != t} exp(z_j - z_t)`` (no cancellation):

    - ``log p_t = -log1p(s)``; the naive ``z_t - logsumexp(z)`` returns 0 once ``s`` is
      below machine epsilon and loses the loss ``-log p_t ~ s`` entirely;
    - ``log(1 - p_t) = log(s) - log1p(s)``, with ``log(s)`` a log-sum-exp of the other
      logits so that it stays finite when ``s`` underflows;
    - for ``k != t``, ``p_k <= 1/2``: ``log p_k = z_k - z_t - log1p(s)`` and
      ``log(1 - p_k) = log1p(-p_k)`` are accurate.

    Every column tied with the arg-max (``z_k == z_t``) takes the arg-max column's
    formulas: its "other logits" are the same multiset, so the values are the same, and
    taking them from the same expressions makes exactly equal logits give bit-equal
    outputs (whichever tied column ``argmax`` happens to return). Callers that take an
    arg-max of the result then pick the first tied class, as an arg-max of ``z`` does.

    Returns
    -------
    log_p, log1m_p : ndarray of shape (n, K)
    """
    n, k = z.shape
    rows = np.arange(n)
    top = np.argmax(z, axis=1)
    shifted = z - z[rows, top][:, None]
    others = shifted.copy()
    others[rows, top] = -np.inf
    log_s = logsumexp(others, axis=1)
    log1p_s = np.log1p(np.exp(log_s))
    log_p = shifted - log1p_s[:, None]
    tied = shifted == 0.0                   # the arg-max column and every column tied with it
    log_p[tied] = np.broadcast_to(-log1p_s[:, None], (n, k))[tied]
    with np.errstate(divide="ignore"):  # p rounds to 1 only in the arg-max column
        log1m_p = np.log1p(-np.exp(log_p))
    log1m_p[tied] = np.broadcast_to((log_s - log1p_s)[:, None], (n, k))[tied]
    return log_p, log1m_p
