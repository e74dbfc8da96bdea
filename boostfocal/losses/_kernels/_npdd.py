"""Double-double arithmetic in numpy, for the numpy fallback of the probability kernels.

The posterior map of the focal losses (``binary_proba`` and ``softmax_proba`` in
``_npkernels.py``) amplifies rounding errors in its intermediate values by up to
``gamma + 1``: to return probabilities within an ulp or so of their exact values it
carries its intermediates as unevaluated sums ``hi + lo`` of two float64 numbers (about
106 bits), the same algorithm as the compiled kernels (``dd.h``). Every function works
elementwise on float64 arrays (or scalars) and returns ``(hi, lo)`` pairs.

numpy has no fused multiply-add, so the exact product of two doubles is Dekker's
(:func:`two_prod`: Veltkamp splitting, exact for operands below about 1e300 whose
product neither overflows nor underflows). ``exp`` and ``log`` are the compiled kernels'
polynomials (``elementary.h``, coefficients from ``polynomials.py``) with their leading
terms carried exactly, accurate to about 2e-17 relative (``exp``) and 1e-18 (``log``).

Only the numpy kernels use this module; it assumes checked, finite arguments.
"""

from __future__ import annotations

import numpy as np

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * LN2_HI is exact (|k| < 2^11)
LN2_LO = 1.90821492927058770002e-10
SHIFTER = 6755399441055744.0         # 1.5 * 2^52: x + SHIFTER rounds x to an integer
SQRT2 = 1.4142135623730951
SPLITTER = 134217729.0               # 2^27 + 1, Veltkamp's constant
#: The clamp of :func:`exp_scaled` (as ``DD_EXP_FLOOR`` in ``dd.h``).
DD_EXP_FLOOR = -1000.0

#: exp(r) = 1 + r + r^2 q(r) on |r| <= ln(2)/2: q's coefficients (elementary.h's exp_neg).
EXP_Q = (0.5, 0.1666666666666667, 0.04166666666666667, 0.008333333333326141,
         0.0013888888888883752, 0.00019841269874800493, 2.4801587325533363e-05,
         2.7557255425746435e-06, 2.7557273661348637e-07, 2.510520637395701e-08,
         2.0914679376583935e-09)

#: atanh(s) = s + s^3 p(s^2) on s^2 <= 1/9: p's coefficients (elementary.h's log1p_small).
LOG1P_P = (0.3333333333333333, 0.20000000000007292, 0.1428571428355438,
           0.11111111358713932, 0.09090894718066429, 0.07692785032479312,
           0.06657072104827468, 0.06000536404795356, 0.04400369243072337,
           0.08082022805971766)

_MANTISSA = np.uint64(0xFFFFFFFFFFFFF)
_ONE_BITS = np.uint64(0x3FF0000000000000)


def two_sum(a, b):
    """``a + b = s + e`` exactly (Knuth), for any finite ``a``, ``b``."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a, b):
    """``a + b = s + e`` exactly, for ``|a| >= |b|`` (or ``a == 0``)."""
    s = a + b
    return s, b - (s - a)


def _split(a):
    c = SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    """``a * b = p + e`` exactly (Dekker), barring overflow and underflow."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def add(ah, al, bh, bl):
    """``(ah + al) + (bh + bl)``."""
    s, e = two_sum(ah, bh)
    return fast_two_sum(s, e + (al + bl))


def add_d(ah, al, b):
    """``(ah + al) + b`` for a double ``b``."""
    s, e = two_sum(ah, b)
    return fast_two_sum(s, e + al)


def mul(ah, al, bh, bl):
    """``(ah + al) * (bh + bl)``."""
    p, e = two_prod(ah, bh)
    return fast_two_sum(p, e + (ah * bl + al * bh))


def mul_d(ah, al, b):
    """``(ah + al) * b`` for a double ``b``."""
    p, e = two_prod(ah, b)
    return fast_two_sum(p, e + al * b)


def div(ah, al, bh, bl):
    """``(ah + al) / (bh + bl)``, ``bh != 0``."""
    q = ah / bh
    p, e = two_prod(q, bh)
    r = (((ah - p) - e) + al) - q * bl
    return fast_two_sum(q, r / bh)


def _poly(coefficients, x):
    """Horner's rule, constant term first."""
    out = coefficients[-1]
    for c in coefficients[-2::-1]:
        out = out * x + c
    return out


def exp_scaled(xh, xl):
    """``exp(xh + xl) = (ph + pl) 2^k`` for ``xh <= 709``, ``ph`` in [0.7, 1.5]: ``(ph, pl, k)``.

    Keeping the power of two apart lets a caller finish its arithmetic in the normal range
    and round a subnormal result once (:func:`exp` applies it). ``xh`` is clamped below at
    -1000 (:data:`DD_EXP_FLOOR`), where ``2^k`` underflows to 0 even after a factor of
    up to 2^300.
    """
    xh = np.maximum(xh, DD_EXP_FLOOR)
    kf = (xh * LOG2E + SHIFTER) - SHIFTER
    rh, rl = two_sum(xh - kf * LN2_HI, xl - kf * LN2_LO)   # the first difference is exact
    q = _poly(EXP_Q, rh)
    hi = 1.0 + rh
    lo = (1.0 - hi) + rh                                    # 1 + rh = hi + lo exactly
    r2h, r2l = two_prod(rh, rh)
    ph, pl = fast_two_sum(hi, lo + (r2h * q + r2l * q))
    pl = pl + ph * rl                                       # exp(rl) = 1 + rl to 2e-33
    k = kf.astype(np.int64) if isinstance(kf, np.ndarray) else int(kf)
    return ph, pl, k


def exp(xh, xl):
    """``exp(xh + xl)`` for ``xh <= 709`` (0 below -1000)."""
    ph, pl, k = exp_scaled(xh, xl)
    return np.ldexp(ph, k), np.ldexp(pl, k)


def log(xh, xl):
    """``log(xh + xl)`` for positive normal ``xh`` (and ``|xl| <= ulp(xh)``)."""
    xh = np.asarray(xh, dtype=np.float64)
    bits = xh.view(np.uint64)
    ef = (bits >> np.uint64(52)).astype(np.float64) - 1023.0
    m = ((bits & _MANTISSA) | _ONE_BITS).view(np.float64)
    big = m > SQRT2
    m = np.where(big, 0.5 * m, m)
    kf = ef + big
    f = m - 1.0                                    # exact: m in [sqrt(1/2), sqrt(2)]
    # log1p(f) = 2 atanh(s2 / 2), s2 = f / (1 + f/2), with the rounding error of s2
    h = 0.5 * f
    d = 1.0 + h
    dl = h - (d - 1.0)
    s2 = f / d
    p, e = two_prod(s2, d)
    s2l = (((f - p) - e) - s2 * dl) / d
    t = 0.25 * (s2 * s2)
    lh, ll = fast_two_sum(s2, s2 * t * _poly(LOG1P_P, t) + s2l)
    rh, rl = two_sum(kf * LN2_HI, lh)
    return fast_two_sum(rh, rl + (ll + kf * LN2_LO) + xl / xh)


def log_positive(x):
    """``log(x)`` for positive finite ``x`` (subnormal included), from a double."""
    m, e = np.frexp(np.asarray(x, dtype=np.float64))   # x = m 2^e, m in [0.5, 1)
    mh, ml = log(m, np.zeros_like(m))
    eh, el = two_sum(e * LN2_HI, mh)                     # e * LN2_HI is exact
    return fast_two_sum(eh, el + (ml + e * LN2_LO))


def log1p(xh, xl):
    """``log(1 + xh + xl)`` for ``xh + xl > -1/2`` (to keep ``1 + x`` normal)."""
    sh, sl = two_sum(1.0, xh)
    return log(*fast_two_sum(sh, sl + xl))
