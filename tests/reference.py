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


# ---------------------------------------------------------------------------------------
# The straightforward stable implementation the library started with (numpy, one array
# operation at a time, log-sigmoids throughout). It is the oracle for the fused kernels:
# accurate everywhere, and obviously a transcription of the formulas in DESIGN.md.
# ---------------------------------------------------------------------------------------
def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def binary_stable(y, z, gamma, alpha=None, w=None, policy="exact", terms=False):
    """(loss, gradient, curvature) of binary focal loss, stable numpy, float64.

    With ``terms=True`` also the sum of the magnitudes of the Hessian's terms: the scale
    of its rounding error where terms of both signs cancel.
    """
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    s = 2.0 * y - 1.0
    u = s * z
    log_pt = _log_sigmoid(u)
    log_qt = _log_sigmoid(-u)
    pt, qt, nll = np.exp(log_pt), np.exp(log_qt), -log_pt
    focal = np.exp(gamma * log_qt)
    loss = focal * nll
    grad = -s * focal * (qt + gamma * pt * nll)
    hess = pt * focal * ((2.0 * gamma + 1.0) * qt + gamma * nll * (gamma * pt - qt))
    magnitude = pt * focal * ((2.0 * gamma + 1.0) * qt + gamma * nll * (gamma * pt + qt))
    if policy == "majorizer":
        hess = np.maximum(np.maximum(hess, focal * pt * qt), 1e-16)
    elif policy == "floor":
        hess = np.maximum(hess, 1e-6)
    scale = np.ones_like(z) if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    if w is not None:
        scale = scale * w
    out = scale * loss, scale * grad, scale * hess
    return (*out, scale * magnitude) if terms else out


def _log_softmax_pair(z):
    n, _ = z.shape
    rows = np.arange(n)
    top = np.argmax(z, axis=1)
    shifted = z - z[rows, top][:, None]
    others = shifted.copy()
    others[rows, top] = -np.inf
    m = others.max(axis=1)
    log_s = m + np.log(np.exp(others - m[:, None]).sum(axis=1))
    log1p_s = np.log1p(np.exp(log_s))
    log_p = shifted - log1p_s[:, None]
    log_p[rows, top] = -log1p_s
    with np.errstate(divide="ignore"):
        log1m_p = np.log1p(-np.exp(log_p))
    log1m_p[rows, top] = log_s - log1p_s
    return log_p, log1m_p


def softmax_stable(y, z, gamma, alpha=None, w=None, policy="exact", terms=False):
    """(loss, gradient, diagonal curvature) of softmax focal loss, stable numpy, float64.

    With ``terms=True`` also the magnitudes of the Hessian's terms (see binary_stable).
    """
    y = np.asarray(y).astype(np.int64)
    z = np.asarray(z, dtype=np.float64)
    n, _ = z.shape
    rows = np.arange(n)
    log_p, log1m_p = _log_softmax_pair(z)
    log_py, log1m_py = log_p[rows, y], log1m_p[rows, y]
    big_p = np.exp(log_py)[:, None]
    a = np.exp(log1m_py)[:, None]
    nll = -log_py[:, None]
    focal = np.exp(gamma * log1m_py)[:, None]
    log_ratio = log_p - log1m_py[:, None]
    log_ratio[rows, y] = 0.0
    ratio = np.exp(log_ratio)
    d = -ratio
    d[rows, y] = 1.0
    c = ratio * np.exp(log1m_p)
    c[rows, y] = big_p[:, 0]
    first = a + gamma * big_p * nll
    grad = -focal * first * d
    hess = focal * (gamma * big_p * (2.0 * a - a * nll + (gamma - 1.0) * big_p * nll) * d * d
                    + first * c)
    magnitude = focal * (gamma * big_p * (2.0 * a + a * nll + abs(gamma - 1.0) * big_p * nll)
                         * d * d + first * c)
    if policy == "majorizer":
        hess = np.maximum(np.maximum(hess, focal * np.exp(log_p + log1m_p)), 1e-16)
    elif policy == "floor":
        hess = np.maximum(hess, 1e-6)
    loss = (focal * nll)[:, 0]
    scale = np.ones(n) if alpha is None else np.asarray(alpha, dtype=np.float64)[y]
    if w is not None:
        scale = scale * w
    out = scale * loss, scale[:, None] * grad, scale[:, None] * hess
    return (*out, scale[:, None] * magnitude) if terms else out


# ---------------------------------------------------------------------------------------
# The class posterior of focal-trained margins (DESIGN.md, "From focal confidence back to
# the class posterior"), in mpmath: the closed form at 60 digits, for the probability
# kernels. mpmath's exponent range is unbounded, so e^(1e308) and e^(-1e308) are exact.
# ---------------------------------------------------------------------------------------
def posterior_mp(z, gamma, alpha=None):
    """``eta`` (K mpf) for one row of logits ``z`` (floats), ``eta_k`` proportional to
    ``1 / (alpha_k g(q_k))`` with ``q = softmax(z)`` and
    ``g(x) = (1-x)^gamma / x - gamma (1-x)^(gamma-1) log x``.

    ``log q_k`` and ``log(1 - q_k)`` come from the exact logit differences (no ``1 - q``
    by subtraction, no ``z_k - logsumexp``), and ``g`` is taken in log space:
    ``log g(q) = (gamma-1) log(1-q) + log((1-q)/q - gamma log q)``. ``gamma = 0`` and
    ``alpha = None`` give the softmax.
    """
    k = len(z)
    with mp.workdps(60):
        zz = [mp.mpf(float(v)) for v in z]
        g = mp.mpf(float(gamma))
        al = [mp.mpf(1)] * k if alpha is None else [mp.mpf(float(a)) for a in alpha]
        log_w = []
        for i in range(k):
            rest = mp.fsum(mp.exp(mp.fsub(zz[j], zz[i], exact=True))
                           for j in range(k) if j != i)   # (1 - q_i) / q_i
            log_q = -mp.log1p(rest)
            log1m_q = mp.log(rest) - mp.log1p(rest) if rest <= 1 else -mp.log1p(1 / rest)
            log_g = (g - 1) * log1m_q + mp.log(mp.exp(log1m_q - log_q) + g * (-log_q))
            log_w.append(-mp.log(al[i]) - log_g)
        return [1 / mp.fsum(mp.exp(log_w[j] - log_w[i]) for j in range(k)) for i in range(k)]


def binary_posterior_mp(z, gamma, alpha=None):
    """``[P(y=0), P(y=1)]`` (mpf) for a binary margin ``z``: the 2-class softmax of
    ``[0, z]`` with class weights ``[1 - alpha, alpha]``."""
    with mp.workdps(60):
        weights = None if alpha is None else [1 - mp.mpf(float(alpha)), mp.mpf(float(alpha))]
        return posterior_mp([0.0, z], gamma, weights)


def ulp_errors(got, exact, dtype) -> np.ndarray:
    """``|got - exact|`` in ulps of the exact value in ``dtype`` (float32 or float64).

    An ulp is the spacing of ``dtype``'s numbers at the exact value; below the normal
    range it is the smallest subnormal (so that there the error is absolute, as rounding
    to ``dtype`` makes it).
    """
    info = np.finfo(dtype)
    out = []
    with mp.workdps(60):
        for g, e in zip(np.ravel(got), exact, strict=True):
            e = mp.mpf(e)
            if abs(e) < mp.mpf(float(info.smallest_normal)):
                ulp = mp.mpf(float(info.smallest_subnormal))
            else:
                ulp = mp.mpf(2) ** (mp.floor(mp.log(abs(e), 2)) - info.nmant)
                if abs(e) >= mp.mpf(2) ** (mp.floor(mp.log(abs(e), 2)) + 1):
                    ulp *= 2  # log2 rounded down across a power of two
            out.append(float(abs(mp.mpf(float(g)) - e) / ulp))
    return np.array(out)
