"""Fused, compiled kernels behind the loss objects.

One pass over the data, no temporaries: each element's log-sigmoids, focal factor,
gradient and curvature live in registers, and the input checks (labels, finiteness,
weights) are folded into the same pass. The kernels are compiled by numba on first use
for the dtypes they meet (float32 margins stay float32 on the way out), run in parallel
over blocks of rows on a small thread pool (the compiled code releases the GIL), and are
cached on disk, so the compile cost is paid once per machine.

Every inner loop is written so that LLVM vectorizes it (8 float64 lanes with AVX-512):
no calls (exp and log are the polynomial versions below), no branches (selects), no
"or" of flags (counts instead), and loops that start at 0 over row-block views. Numba
prunes the branches on arguments that are None (no weights, no class weights, the loss
or the gradient, an integer gamma), so each variant compiles to its own straight loop.
A loop that stops vectorizing costs 3 to 5 times its speed; check with
``llvmlite.binding.set_option("", "--pass-remarks-missed=loop-vectorize")`` after a
change.

The arithmetic is the one documented in ``focal.py`` and ``softmax_focal.py``; the tests
hold these kernels to a plain, obviously correct numpy implementation (``tests/reference``)
to 1e-12 relative in float64, and to 50-digit references.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ._curvature import FLOOR_EPSILON, MIN_CURVATURE

#: Curvature policy codes used inside the kernels.
POLICY_CODES = {"exact": 0, "majorizer": 1, "floor": 2}

#: Bit flags the kernels return (input checks done in the same pass).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

_JIT = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}


# ---------------------------------------------------------------------------------------
# Elementary functions, written so that LLVM vectorizes the loops that use them.
#
# A call to libm's exp or log1p inside a loop stops LLVM's loop vectorizer (numba has no
# vector math library without fastmath and SVML), so the row loops would run one element
# at a time. These are branch-free polynomial versions built from fused multiply-adds
# (exact on every platform: llvm.fma) and bit casts for the powers of two. Their
# polynomials interpolate at Chebyshev nodes (near-minimax), computed in 60-digit mpmath
# arithmetic and rounded to float64. Measured against mpmath over their input ranges
# (25,000 to 50,000 points each, subnormal results included): at most 0.76 ulp for
# _exp_neg, 0.62 ulp for _log1p_small and 0.95 ulp for _log_ge1, against about 0.5-0.7
# ulp for libm. None of them relies on fastmath.
# ---------------------------------------------------------------------------------------
@intrinsic
def _f64_from_bits(typingctx, bits):  # pragma: no cover - compiled
    """Reinterpret an int64 as the float64 with the same bits."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _bits_from_f64(typingctx, x):  # pragma: no cover - compiled
    """The bits of a float64, as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _fma(typingctx, a, b, c):  # pragma: no cover - compiled
    """``a * b + c`` rounded once (the llvm.fma intrinsic: exact on every platform)."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return types.float64(types.float64, types.float64, types.float64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@nb.njit(inline="always", **_JIT)
def _exp_neg(x):  # pragma: no cover - compiled
    """``exp(x)`` for ``x <= 0``: subnormal results included, 0 below -745.2.

    ``x = k ln 2 + r`` with ``|r| <= ln(2) / 2``; ``exp(r) = 1 + r + r^2 q(r)`` with a
    polynomial ``q`` (below 3e-19 relative), ``1 + r`` carried exactly; ``2^k``
    as two exact factors so that subnormal results are rounded once. ``x`` is clamped to
    [-746, 709] (correct up to 709 too), so a finite input never gives inf or NaN.
    """
    x = min(max(x, -746.0), 709.0)
    kf = math.floor(x * _LOG2E + 0.5)
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    # q(r) ~ (exp(r) - 1 - r) / r^2: degree 10, interpolating at Chebyshev nodes on
    # |r| <= ln(2) / 2 (max |r^2 (q - exact)| 2.9e-19), evaluated by Estrin's scheme: a
    # short dependency chain, which is what bounds the loops' speed
    r2 = r * r
    r4 = r2 * r2
    q01 = _fma(0.1666666666666667, r, 0.5)
    q23 = _fma(0.008333333333326141, r, 0.04166666666666667)
    q45 = _fma(0.00019841269874800493, r, 0.0013888888888883752)
    q67 = _fma(2.7557255425746435e-06, r, 2.4801587325533363e-05)
    q89 = _fma(2.510520637395701e-08, r, 2.7557273661348637e-07)
    q03 = _fma(q23, r2, q01)
    q47 = _fma(q67, r2, q45)
    q810 = _fma(2.0914679376583935e-09, r2, q89)
    q = _fma(_fma(q810, r4, q47), r4, q03)
    hi = 1.0 + r
    lo = (1.0 - hi) + r
    p = hi + _fma(r2, q, lo)
    k = np.int64(kf)
    k1 = k >> 1
    return p * _f64_from_bits((k1 + 1023) << 52) * _f64_from_bits((k - k1 + 1023) << 52)


@nb.njit(inline="always", **_JIT)
def _log1p_small(e):  # pragma: no cover - compiled
    """``log1p(e)`` for ``-1/2 <= e <= 1``, as ``2 atanh(s)`` with ``s = e / (2 + e)``.

    ``|s| <= 1/3``; ``atanh(s) = s + s^3 p(s^2)`` with a polynomial ``p`` (below 1e-17
    relative), and the rounding errors of ``1 + e/2`` and of the division are carried as
    a correction, so the result is as accurate as libm's. Exact (= e) for subnormal e.
    """
    h = 0.5 * e
    d = 1.0 + h
    dl = h - (d - 1.0)
    s2 = e / d                                   # 2 s, rounded
    s2l = (_fma(-s2, d, e) - s2 * dl) / d        # its rounding error, to first order
    t = 0.25 * (s2 * s2)                         # s^2
    # p(t) ~ sum_{j>=0} t^j / (2j + 3) = (atanh(s) / s - 1) / s^2: degree 9, interpolating
    # at Chebyshev nodes on 0 <= t <= 1/9 (max |t (p - exact)| 7.4e-18), by Estrin's scheme
    t2 = t * t
    t4 = t2 * t2
    p01 = _fma(0.20000000000007292, t, 0.3333333333333333)
    p23 = _fma(0.11111111358713932, t, 0.1428571428355438)
    p45 = _fma(0.07692785032479312, t, 0.09090894718066429)
    p67 = _fma(0.06000536404795356, t, 0.06657072104827468)
    p89 = _fma(0.08082022805971766, t, 0.04400369243072337)
    p03 = _fma(p23, t2, p01)
    p47 = _fma(p67, t2, p45)
    p = _fma(_fma(p89, t4, p47), t4, p03)
    return s2 + _fma(s2 * t, p, s2l)


@nb.njit(inline="always", **_JIT)
def _log_ge1(x):  # pragma: no cover - compiled
    """``log(x)`` for finite ``x >= 1``: ``x = 2^k m``, ``m`` in [sqrt(1/2), sqrt(2))."""
    bits = _bits_from_f64(x)
    k = (bits >> 52) - 1023
    m = _f64_from_bits((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > 1.4142135623730951
    m = 0.5 * m if big else m
    kf = np.float64(k + 1 if big else k)
    return kf * _LN2_HI + (_log1p_small(m - 1.0) + kf * _LN2_LO)


@nb.njit(inline="always", **_JIT)
def _int_power(qt, n_bits):  # pragma: no cover - compiled
    """``q_t^n`` for ``0 <= n <= 15``, by binary powering over the four bits of ``n``.

    Selects, no loop, so that it vectorizes. The focal factor is ``q_t^gamma =
    q_t^n exp(f log q_t)`` with ``gamma = n + f`` (:func:`gamma_split`); for an integer
    gamma, ``f`` is passed as None and the kernels compile without the exp.
    """
    f = qt if n_bits & 1 else 1.0
    b = qt * qt
    f = f * b if n_bits & 2 else f
    b = b * b
    f = f * b if n_bits & 4 else f
    b = b * b
    return f * b if n_bits & 8 else f


@nb.njit(inline="always", **_JIT)
def _flags(n_label, n_margin, n_weight, n_positive):  # pragma: no cover - compiled
    return ((BAD_LABEL if n_label else 0) | (BAD_MARGIN if n_margin else 0)
            | (BAD_WEIGHT if n_weight else 0) | (SAW_POSITIVE_WEIGHT if n_positive else 0))


@nb.njit(**_JIT)
def _binary_block(y, z, w, grad, hess, out, alpha_pos, alpha_neg, n_bits, gamma_frac, gamma,
                  policy, hess_scale, offset):  # pragma: no cover - compiled
    """One block of rows; ``w``, and ``out`` or ``grad``/``hess``, may be None.

    None arguments are resolved at compile time (numba prunes the dead branches), so
    each variant is a straight, branch-free loop that LLVM vectorizes.
    """
    # counts rather than OR-ed bits: LLVM vectorizes sums but not or-of-select chains
    n_label = n_margin = n_weight = n_positive = 0
    for i in range(z.shape[0]):
        yi = y[i]
        pos = yi == 1
        s = 1.0 if pos else -1.0
        a = alpha_pos if pos else alpha_neg
        n_label += yi != 0 and not pos
        zi = np.float64(z[i]) + offset
        finite = math.isfinite(zi)
        n_margin += not finite
        zi = zi if finite else 0.0
        if w is not None:
            wi = np.float64(w[i])
            n_weight += not (wi >= 0.0 and wi < math.inf)
            n_positive += wi > 0.0
            a *= wi
        u = s * zi
        e = _exp_neg(-abs(u))
        l1 = _log1p_small(e)
        r = 1.0 / (1.0 + e)
        er = e * r
        up = u >= 0.0
        pt = r if up else er
        qt = er if up else r
        nll = l1 if up else l1 - u
        log_qt = -u - l1 if up else -l1
        focal = _int_power(qt, n_bits)
        if gamma_frac is not None:
            focal *= _exp_neg(gamma_frac * log_qt)
        if out is not None:
            out[i] = a * focal * nll
        if grad is not None:
            g = -s * focal * (qt + gamma * pt * nll)
            h = pt * focal * ((2.0 * gamma + 1.0) * qt + gamma * nll * (gamma * pt - qt))
            m = focal * pt * qt
            hm = max(max(h, m), MIN_CURVATURE)
            hf = max(h, FLOOR_EPSILON)
            h = hm if policy == 1 else (hf if policy == 2 else h)
            grad[i] = a * g
            hess[i] = (a * hess_scale) * h
    return _flags(n_label, n_margin, n_weight, n_positive)


def chunk_rows(k: int) -> int:
    """Rows per chunk of the softmax kernel: its (K, rows) scratch stays in L1/L2 cache."""
    return max(8, min(256, 16384 // k) // 8 * 8)


@nb.njit(**_JIT)
def _softmax_block(y, z, w, grad, hess, out, alpha, n_bits, gamma_frac, gamma, policy,
                   hess_scale, offset, rows):  # pragma: no cover - compiled
    """One block of rows, ``rows`` at a time, each step a loop over rows for one class.

    With ``t`` the top (first largest) logit, ``e_j = exp(z_j - z_t - m)`` where ``m`` is
    the largest of the others' ``z_j - z_t``, ``s = sum_{j != t} exp(z_j - z_t)`` and
    ``log s = m + log(sum_{j != t} e_j)``:

    - ``p_t = 1 / (1 + s)``, ``1 - p_t = s / (1 + s)``, both from ``log s`` (exact where
      ``p_t`` rounds to 1, as ``_stable.log_softmax``);
    - ``p_j = e_j exp(m - log(1 + s))`` and ``1 - p_j`` by subtraction (``p_j <= 1/2``);
    - ``p_j / (1 - p_y)``, the gradient's ratio, as ``e_j / sum e`` when ``y = t`` (so it
      stays finite and accurate when ``1 - p_y`` underflows), else ``p_j / (1 - p_y)``.

    Every inner loop runs over rows (LLVM vectorizes those; a loop over K classes of one
    row would be too short). The logits are copied into a small (K, rows) scratch buffer,
    and the results out of one, in the arrays' own memory order (row-major from XGBoost,
    class-major from LightGBM), in loops of their own.
    """
    n, k = z.shape
    zc = np.empty((k, rows))        # logits, then gradients
    ez = np.empty((k, rows))        # e_j, then curvatures
    top = np.empty(rows, dtype=np.int64)
    cls = np.empty(rows, dtype=np.int64)
    zt = np.empty(rows)
    m = np.empty(rows)
    acc = np.empty(rows)
    cr = np.empty(rows)             # exp(m - log(1 + s)): p_j = e_j cr
    p_top = np.empty(rows)
    q_top = np.empty(rows)
    l1m_top = np.empty(rows)        # log(1 - p_t)
    lp_top = np.empty(rows)         # log p_t
    a_row = np.empty(rows)
    zy = np.empty(rows)
    ey = np.empty(rows)
    p_y = np.empty(rows)
    q_y = np.empty(rows)
    rs = np.empty(rows)             # p_j / (1 - p_y) = e_j rs (j != t)
    inv_qy = np.empty(rows)
    focal = np.empty(rows)
    first = np.empty(rows)
    second = np.empty(rows)
    n_label = n_margin = n_weight = n_positive = 0
    for lo in range(0, n, rows):
        nr = min(rows, n - lo)
        if z.strides[0] > z.strides[1]:     # row-major (XGBoost): row by row
            for i in range(nr):
                for j in range(k):
                    zc[j, i] = z[lo + i, j]
        else:                               # class-major (LightGBM): class by class
            for j in range(k):
                for i in range(nr):
                    zc[j, i] = z[lo + i, j]
        if offset is not None:
            for j in range(k):
                for i in range(nr):
                    zc[j, i] += offset[j]
        for j in range(k):
            for i in range(nr):
                v = zc[j, i]
                finite = math.isfinite(v)
                n_margin += not finite
                zc[j, i] = v if finite else 0.0
        # the top logit (the first one on ties)
        for i in range(nr):
            zt[i] = zc[0, i]
            top[i] = 0
        for j in range(1, k):
            for i in range(nr):
                v = zc[j, i]
                bigger = v > zt[i]
                zt[i] = v if bigger else zt[i]
                top[i] = j if bigger else top[i]
        # m, e_j and their sum over j != t
        for i in range(nr):
            m[i] = -math.inf
            acc[i] = 0.0
        for j in range(k):
            for i in range(nr):
                v = zc[j, i] - zt[i]
                m[i] = v if (v > m[i] and j != top[i]) else m[i]
        for j in range(k):
            for i in range(nr):
                e = _exp_neg(min((zc[j, i] - zt[i]) - m[i], 0.0))
                ez[j, i] = e
                acc[i] += 0.0 if j == top[i] else e
        for i in range(nr):
            log_s = m[i] + _log_ge1(acc[i])
            # log(1 + s), p_t = 1 / (1 + s) and 1 - p_t = s / (1 + s) from one exp(-|log s|)
            es = _exp_neg(-abs(log_s))
            log1p_s = max(log_s, 0.0) + _log1p_small(es)
            inv = 1.0 / (1.0 + es)
            small = log_s <= 0.0
            p_top[i] = inv if small else es * inv
            q_top[i] = es * inv if small else inv
            cr[i] = _exp_neg(m[i] - log1p_s)
            lp_top[i] = -log1p_s
            l1m_top[i] = log_s - log1p_s
        # labels, class weights, sample weights
        for i in range(nr):
            yf = np.float64(y[lo + i])
            ok = yf >= 0.0 and yf < k
            yi = np.int64(yf) if ok else 0
            n_label += yi != yf
            cls[i] = yi
            a = 1.0
            if alpha is not None:
                a = alpha[yi]
            if w is not None:
                wi = np.float64(w[lo + i])
                n_weight += not (wi >= 0.0 and wi < math.inf)
                n_positive += wi > 0.0
                a *= wi
            a_row[i] = a
        # the label's logit and e_j, as sums with one nonzero term (LLVM vectorizes
        # those; it does not vectorize "keep the old value unless this is the label")
        for i in range(nr):
            zy[i] = 0.0
            ey[i] = 0.0
        for j in range(k):
            for i in range(nr):
                hit = cls[i] == j
                zy[i] += zc[j, i] if hit else 0.0
                ey[i] += ez[j, i] if hit else 0.0
        for i in range(nr):
            at_top = cls[i] == top[i]
            py = ey[i] * cr[i]
            lpy = lp_top[i] if at_top else (zy[i] - zt[i]) + lp_top[i]
            l1my = l1m_top[i] if at_top else _log1p_small(-py)
            py = p_top[i] if at_top else py
            am = q_top[i] if at_top else 1.0 - py            # 1 - p_y
            nll = -lpy
            f = _int_power(am, n_bits)
            if gamma_frac is not None:
                f *= _exp_neg(gamma_frac * l1my)
            if out is not None:
                out[lo + i] = a_row[i] * f * nll
            inv = 1.0 / am
            rs[i] = 1.0 / acc[i] if at_top else cr[i] * inv
            inv_qy[i] = inv
            p_y[i] = py
            q_y[i] = am
            focal[i] = f
            first[i] = am + gamma * py * nll
            second[i] = gamma * py * (2.0 * am - am * nll + (gamma - 1.0) * py * nll)
        if grad is not None:
            for j in range(k):
                for i in range(nr):
                    hit = cls[i] == j
                    is_top = top[i] == j
                    e = ez[j, i]
                    pj = p_top[i] if is_top else e * cr[i]
                    qj = q_top[i] if is_top else 1.0 - pj
                    ratio = p_top[i] * inv_qy[i] if is_top else e * rs[i]
                    d = 1.0 if hit else -ratio
                    c = p_y[i] if hit else ratio * qj
                    f = focal[i]
                    h = f * (second[i] * d * d + first[i] * c)
                    mj = f * (pj * qj)
                    hm = max(max(h, mj), MIN_CURVATURE)
                    hf = max(h, FLOOR_EPSILON)
                    h = hm if policy == 1 else (hf if policy == 2 else h)
                    a = a_row[i]
                    zc[j, i] = -a * f * first[i] * d      # the logits are no longer needed
                    ez[j, i] = (a * hess_scale) * h
            # the stores to the outputs in a loop of their own, in their memory order: it
            # keeps the loop above free of strided accesses, and vectorizable
            if grad.strides[0] > grad.strides[1]:
                for i in range(nr):
                    for j in range(k):
                        grad[lo + i, j] = zc[j, i]
                        hess[lo + i, j] = ez[j, i]
            else:
                for j in range(k):
                    for i in range(nr):
                        grad[lo + i, j] = zc[j, i]
                        hess[lo + i, j] = ez[j, i]
    return _flags(n_label, n_margin, n_weight, n_positive)


def integer_gamma(gamma: float) -> int:
    """``gamma`` as a small non-negative integer for the product fast path, else -1."""
    return int(gamma) if gamma == int(gamma) and 0 <= gamma <= 8 else -1


#: Rows per block below which the kernel runs on the calling thread alone.
MIN_ROWS_PER_THREAD = 65536

#: Blocks per thread handed out on demand (see :func:`_blocks`).
CHUNKS_PER_THREAD = 4

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _n_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_n_threads(),
                                       thread_name_prefix="boostfocal-kernel")
        return _POOL


def _forget_pool() -> None:  # a forked child inherits the pool object but not its threads
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


def _blocks(block, n: int, rows: tuple, args: tuple) -> int:
    """Run ``block(*rows[lo:hi], *args)`` over row blocks of [0, n) and OR the flags.

    ``rows`` holds the per-row arrays (or None), sliced into views for each block, so
    that every block is a loop from 0 that LLVM can vectorize. The compiled blocks release
    the GIL, so a plain thread pool runs them in parallel. Unlike numba's own parallel
    layer this is safe to call from several threads at once (Dask workers, threaded
    joblib), and costs nothing for small inputs, which run on the calling thread.

    The blocks are handed out one at a time (``CHUNKS_PER_THREAD`` per thread) to
    whichever thread is free, rather than split evenly up front: inside LightGBM's
    training loop its OpenMP workers are still spinning when the objective runs, and an
    even split would then wait for the slowed-down thread; a helper that never got
    started is cancelled instead of waited for.
    """
    n_threads = min(_n_threads(), n // MIN_ROWS_PER_THREAD)
    if n_threads <= 1:
        return block(*rows, *args)
    n_chunks = min(n // MIN_ROWS_PER_THREAD, CHUNKS_PER_THREAD * n_threads)
    bounds = [n * i // n_chunks for i in range(n_chunks + 1)]
    next_chunk = itertools.count()
    lock = threading.Lock()

    def work() -> int:
        flags = 0
        while True:
            with lock:
                i = next(next_chunk)
            if i >= n_chunks:
                return flags
            lo, hi = bounds[i], bounds[i + 1]
            flags |= block(*[None if a is None else a[lo:hi] for a in rows], *args)

    helpers = [_pool().submit(work) for _ in range(n_threads - 1)]
    flags = work()
    for helper in helpers:
        if not helper.cancel():
            flags |= helper.result()
    return flags


def _out_dtype(z: np.ndarray) -> type:
    return np.float32 if z.dtype == np.float32 else np.float64


def gamma_split(gamma: float) -> tuple[int, float | None]:
    """``gamma = n + f``: ``q^n`` by products (``0 <= n <= 15``), ``q^f = exp(f log q)``.

    A small integer gamma (:func:`integer_gamma`) is all products: ``f`` is None then, and
    the kernels are compiled without the exp.
    """
    n = integer_gamma(gamma)
    if n < 0:
        n = min(int(gamma), 15)
    frac = gamma - n
    return n, (frac if frac else None)


def run_binary(y, z, w, alpha_pos: float, alpha_neg: float, gamma: float, policy: str,
               want_loss: bool, *, out=None, grad=None, hess=None, hess_scale: float = 1.0,
               offset: float = 0.0):
    """Binary kernel: ``(grad, hess)`` or the per-example loss, plus the BAD_* flags.

    Inputs are 1-D arrays of equal length (not copied). ``out`` (the loss) or ``grad`` and
    ``hess`` may be given: contiguous float32 or float64 arrays of ``z``'s length, written
    in place; otherwise they are allocated with ``z``'s float dtype. The curvature written
    is ``hess_scale`` times the policy's curvature (times the weight). ``offset`` is added
    to every margin first.
    """
    n = z.shape[0]
    dtype = _out_dtype(z)
    n_bits, frac = gamma_split(gamma)
    args = (alpha_pos, alpha_neg, n_bits, frac, gamma, POLICY_CODES[policy], float(hess_scale),
            float(offset))
    if want_loss:
        out = np.empty(n, dtype=dtype) if out is None else out
        flags = _blocks(_binary_block, n, (y, z, w, None, None, out), args)
        return (out,), flags
    grad = np.empty(n, dtype=dtype) if grad is None else grad
    hess = np.empty(n, dtype=dtype) if hess is None else hess
    flags = _blocks(_binary_block, n, (y, z, w, grad, hess, None), args)
    return (grad, hess), flags


def run_softmax(y, z, w, alpha, gamma: float, policy: str, want_loss: bool, *, out=None,
                grad=None, hess=None, hess_scale: float = 1.0, offset=None):
    """Softmax kernel: (n, K) ``(grad, hess)`` or the (n,) loss, plus the BAD_* flags.

    Allocated ``grad`` and ``hess`` have ``z``'s memory order (Fortran for LightGBM's
    class-major scores, so that LightGBM flattens them without a copy) and float dtype.
    Given ones (float32 or float64, C- or F-contiguous, shape (n, K)) are written in
    place, as is a given (n,) ``out``. The curvature written is ``hess_scale`` times the
    policy's curvature (times the weights). ``offset`` (None or a float64 array of K)
    is added to every row's logits first.
    """
    n, k = z.shape
    dtype = _out_dtype(z)
    n_bits, frac = gamma_split(gamma)
    args = (alpha, n_bits, frac, gamma, POLICY_CODES[policy], float(hess_scale), offset,
            chunk_rows(k))
    if want_loss:
        out = np.empty(n, dtype=dtype) if out is None else out
        flags = _blocks(_softmax_block, n, (y, z, w, None, None, out), args)
        return (out,), flags
    order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
    grad = np.empty((n, k), dtype=dtype, order=order) if grad is None else grad
    hess = np.empty((n, k), dtype=dtype, order=order) if hess is None else hess
    flags = _blocks(_softmax_block, n, (y, z, w, grad, hess, None), args)
    return (grad, hess), flags
