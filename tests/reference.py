"""Independent references for the loss math: mpmath at high precision, and a plain numpy oracle.

Nothing here reuses boostfocal's formulas. The mpmath references differentiate the
*loss* numerically at 50 significant digits, so they check the analytic derivatives
without sharing a single line of algebra with them.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

DPS = 50


def _dps_for(spread: float) -> int:
    return DPS + int(spread / 2.3) + 10


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def binary_loss_mp(y: int, z, gamma, alpha=None):
    """Focal loss of one example as an mpmath expression in the margin ``z``."""
    s = 1 if y == 1 else -1
    pt = _sigmoid(s * z)
    a = 1 if alpha is None else (alpha if y == 1 else 1 - alpha)
    # -log(pt) computed as log1p(exp(-u)) to stay exact for huge u
    return a * (1 - pt) ** gamma * mp.log1p(mp.exp(-s * z))


def binary_derivatives_mp(y: int, z: float, gamma: float, alpha=None):
    """(loss, d/dz, d2/dz2, error scales) to 50 digits.

    The working precision grows with ``|z|``: the derivatives there are of size
    ``e^-|z|`` beside a loss of size ``|z|``, and the finite differences must resolve them.
    """
    with mp.workdps(_dps_for(abs(z))):
        zz = mp.mpf(z)
        g = mp.mpf(gamma)
        al = None if alpha is None else mp.mpf(alpha)

        def f(x):
            return binary_loss_mp(y, x, g, al)

        _, d1, d2, d3 = mp.diffs(f, zz, 3)
        s = 1 if y == 1 else -1
        pt = _sigmoid(s * zz)
        qt = 1 - pt
        nll = mp.log1p(mp.exp(-s * zz))
        a = 1 if al is None else (al if y == 1 else 1 - al)
        # sum of absolute values of the terms of the Hessian formula: the honest error scale
        scale = a * pt * qt ** g * ((2 * g + 1) * qt + g * nll * (g * pt + qt))
        # Error scales: each quantity is ill-conditioned in z by |z f'(z)| (a relative
        # change eps of the input moves it by eps |z f'|); the Hessian adds ``scale``.
        return f(zz), d1, d2, {"loss": abs(f(zz)) + abs(zz * d1),
                               "gradient": abs(d1) + abs(zz * d2),
                               "hessian": scale + abs(zz * d3)}


def softmax_loss_mp(y: int, z, gamma, alpha=None):
    """Softmax focal loss of one example, mpmath, logits ``z`` a list of mpf."""
    m = max(z)
    lse = m + mp.log(mp.fsum(mp.exp(v - m) for v in z))
    log_py = z[y] - lse
    py = mp.exp(log_py)
    a = 1 if alpha is None else alpha[y]
    return a * (1 - py) ** gamma * (-log_py)


def softmax_derivatives_mp(y: int, z, gamma: float, alpha=None):
    """(loss, gradient (K,), diagonal Hessian (K,)) to 50 digits by differentiation."""
    with mp.workdps(_dps_for(max(z) - min(z))):
        zz = [mp.mpf(v) for v in z]
        g = mp.mpf(gamma)
        al = None if alpha is None else [mp.mpf(v) for v in alpha]
        k = len(zz)
        grad, hess = [], []
        for j in range(k):
            def f(x, j=j):
                v = list(zz)
                v[j] = x
                return softmax_loss_mp(y, v, g, al)
            _, d1, d2 = mp.diffs(f, zz[j], 2)
            grad.append(d1)
            hess.append(d2)
        return softmax_loss_mp(y, zz, g, al), grad, hess


def to_float(values) -> np.ndarray:
    return np.array([float(v) for v in values], dtype=np.float64)


# ---------------------------------------------------------------------------------------
# Plain numpy oracle: the textbook formulas from DESIGN.md, evaluated in a direct way.
# Accurate for moderate margins only; it is the oracle for fast kernels, not for tails.
# ---------------------------------------------------------------------------------------
def binary_oracle(y, z, gamma, alpha=None):
    """(loss, gradient, exact Hessian) from the DESIGN.md formulas in plain numpy."""
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    s = 2 * y - 1
    pt = 1 / (1 + np.exp(-s * z))
    log_pt = np.log(pt)
    a = np.ones_like(z) if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    loss = -a * (1 - pt) ** gamma * log_pt
    grad = a * s * (1 - pt) ** gamma * (gamma * pt * log_pt - (1 - pt))
    hess = a * pt * (1 - pt) ** gamma * (
        (2 * gamma + 1) * (1 - pt) + gamma * log_pt * ((1 - pt) - gamma * pt))
    return loss, grad, hess


def softmax_oracle(y, z, gamma, alpha=None):
    """(loss, gradient, exact diagonal Hessian) from the DESIGN.md formulas in plain numpy."""
    z = np.asarray(z, dtype=np.float64)
    n, k = z.shape
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    py = p[np.arange(n), y][:, None]
    a = np.ones((n, 1)) if alpha is None else np.asarray(alpha)[y][:, None]
    onehot = np.eye(k)[y]
    big_a = gamma * py * (1 - py) ** (gamma - 1) * np.log(py) - (1 - py) ** gamma
    big_a1 = gamma * (1 - py) ** (gamma - 2) * (
        (1 - py) * np.log(py) - (gamma - 1) * py * np.log(py) + 2 * (1 - py))
    loss = (-a * (1 - py) ** gamma * np.log(py))[:, 0]
    grad = a * big_a * (onehot - p)
    hess = a * (big_a1 * py * (onehot - p) ** 2 - big_a * p * (1 - p))
    return loss, grad, hess
