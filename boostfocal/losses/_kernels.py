"""Fused, compiled kernels behind the loss objects.

One pass over the data, no temporaries: each element's log-sigmoids, focal factor,
gradient and curvature live in registers, and the input checks (labels, finiteness,
weights) are folded into the same pass. The kernels are compiled by numba on first use
for the dtypes they meet (float32 margins stay float32 on the way out), run in parallel
over blocks of rows on a small thread pool (the compiled code releases the GIL), and are
cached on disk, so the compile cost is paid once per machine.

The arithmetic is the one documented in ``focal.py`` and ``softmax_focal.py``; the tests
hold these kernels to a plain, obviously correct numpy implementation (``tests/reference``)
to 1e-12 relative in float64, and to 50-digit references.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np

from ._curvature import FLOOR_EPSILON, MIN_CURVATURE

#: Curvature policy codes used inside the kernels.
POLICY_CODES = {"exact": 0, "majorizer": 1, "floor": 2}

#: Bit flags the kernels return (input checks done in the same pass).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

_JIT = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}


@nb.njit(inline="always", **_JIT)
def _focal_factor(log_qt: float, qt: float, gamma: float, int_gamma: int) -> float:
    """``q_t^gamma``: repeated products for small integer gamma, else exp(gamma log q_t)."""
    if int_gamma >= 0:
        f = 1.0
        for _ in range(int_gamma):
            f *= qt
        return f
    return math.exp(gamma * log_qt)


@nb.njit(inline="always", **_JIT)
def _binary_terms(u: float):
    """``p_t, q_t, L = -log p_t, log q_t`` from ``u = s z``, with one exp and one log1p."""
    e = math.exp(-abs(u))
    l1 = math.log1p(e)
    r = 1.0 / (1.0 + e)
    if u >= 0.0:
        return r, e * r, l1, -u - l1
    return e * r, r, l1 - u, -l1


@nb.njit(inline="always", **_JIT)
def _curvature(exact: float, focal: float, pt: float, qt: float, policy: int) -> float:
    if policy == 1:  # majorizer
        m = focal * pt * qt
        h = exact if exact > m else m
        return h if h > MIN_CURVATURE else MIN_CURVATURE
    if policy == 2:  # floor
        return exact if exact > FLOOR_EPSILON else FLOOR_EPSILON
    return exact


@nb.njit(**_JIT)
def _binary_block(y, z, w, has_w, alpha_pos, alpha_neg, gamma, int_gamma, policy, grad, hess,
                  out, want_loss, lo, hi):  # pragma: no cover - compiled
    flag = 0
    for i in range(lo, hi):
        yi = y[i]
        zi = np.float64(z[i])
        if yi == 1:
            s = 1.0
            a = alpha_pos
        else:
            s = -1.0
            a = alpha_neg
            if yi != 0:
                flag |= BAD_LABEL
        if not math.isfinite(zi):
            flag |= BAD_MARGIN
            zi = 0.0
        if has_w:
            wi = np.float64(w[i])
            if not (wi >= 0.0 and math.isfinite(wi)):
                flag |= BAD_WEIGHT
            elif wi > 0.0:
                flag |= SAW_POSITIVE_WEIGHT
            a *= wi
        pt, qt, nll, log_qt = _binary_terms(s * zi)
        focal = _focal_factor(log_qt, qt, gamma, int_gamma)
        if want_loss:
            out[i] = a * focal * nll
        else:
            g = -s * focal * (qt + gamma * pt * nll)
            h = pt * focal * ((2.0 * gamma + 1.0) * qt + gamma * nll * (gamma * pt - qt))
            grad[i] = a * g
            hess[i] = a * _curvature(h, focal, pt, qt, policy)
    return flag


@nb.njit(**_JIT)
def _softmax_row(z, i, k, work):
    """Row i's ``log p`` into work[0], ``log(1 - p)`` into work[1]; returns 0 or BAD_MARGIN.

    Same algorithm as ``_stable.log_softmax``: exact where ``p`` rounds to 1.
    """
    top = 0
    zt = np.float64(z[i, 0])
    finite = True
    for j in range(k):
        v = np.float64(z[i, j])
        if not math.isfinite(v):
            finite = False
        elif v > zt or not math.isfinite(zt):
            zt = v
            top = j
    if not finite:
        for j in range(k):
            work[0, j] = -math.log(k)
            work[1, j] = math.log1p(-1.0 / k)
        return BAD_MARGIN
    # log s with s = sum_{j != top} exp(z_j - z_top): a log-sum-exp of the other logits
    m = -np.inf
    for j in range(k):
        if j != top:
            v = np.float64(z[i, j]) - zt
            if v > m:
                m = v
    acc = 0.0
    for j in range(k):
        if j != top:
            acc += math.exp(np.float64(z[i, j]) - zt - m)
    log_s = m + math.log(acc)
    log1p_s = math.log1p(math.exp(log_s))
    for j in range(k):
        if j == top:
            work[0, j] = -log1p_s
            work[1, j] = log_s - log1p_s
        else:
            lp = np.float64(z[i, j]) - zt - log1p_s
            work[0, j] = lp
            work[1, j] = math.log1p(-math.exp(lp))
    return 0


@nb.njit(**_JIT)
def _softmax_block(y, z, w, has_w, alpha, has_alpha, gamma, int_gamma, policy, grad, hess,
                   out, want_loss, lo, hi):  # pragma: no cover - compiled
    k = z.shape[1]
    work = np.empty((2, k))
    flag = 0
    for i in range(lo, hi):
        flag |= _softmax_row(z, i, k, work)
        yf = y[i]
        yi = int(yf) if (yf >= 0 and yf < k) else 0
        if yi != yf:
            flag |= BAD_LABEL
        a = alpha[yi] if has_alpha else 1.0
        if has_w:
            wi = np.float64(w[i])
            if not (wi >= 0.0 and math.isfinite(wi)):
                flag |= BAD_WEIGHT
            elif wi > 0.0:
                flag |= SAW_POSITIVE_WEIGHT
            a *= wi
        log_py = work[0, yi]
        log1m_py = work[1, yi]
        am = math.exp(log1m_py)          # a = 1 - p_y
        nll = -log_py
        focal = _focal_factor(log1m_py, am, gamma, int_gamma)
        if want_loss:
            out[i] = a * focal * nll
            continue
        big_p = math.exp(log_py)
        first = am + gamma * big_p * nll
        second = gamma * big_p * (2.0 * am - am * nll + (gamma - 1.0) * big_p * nll)
        for j in range(k):
            if j == yi:
                d = 1.0
                c = big_p
            else:
                ratio = math.exp(work[0, j] - log1m_py)
                d = -ratio
                c = ratio * math.exp(work[1, j])
            h = focal * (second * d * d + first * c)
            if policy == 1:
                mj = focal * math.exp(work[0, j] + work[1, j])
                h = h if h > mj else mj
                h = h if h > MIN_CURVATURE else MIN_CURVATURE
            elif policy == 2:
                h = h if h > FLOOR_EPSILON else FLOOR_EPSILON
            grad[i, j] = -a * focal * first * d
            hess[i, j] = a * h
    return flag


def integer_gamma(gamma: float) -> int:
    """``gamma`` as a small non-negative integer for the product fast path, else -1."""
    return int(gamma) if gamma == int(gamma) and 0 <= gamma <= 8 else -1


_NO_ARRAY = np.empty(0)

#: Rows per block below which the kernel runs on the calling thread alone.
MIN_ROWS_PER_THREAD = 65536

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


def _blocks(block, n: int, args: tuple) -> int:
    """Run ``block(*args, lo, hi)`` over [0, n) and OR the returned flags.

    The compiled blocks release the GIL, so a plain thread pool runs them in parallel.
    Unlike numba's own parallel layer this is safe to call from several threads at once
    (Dask workers, threaded joblib), and costs nothing for small inputs, which run on the
    calling thread.
    """
    n_blocks = min(_n_threads(), n // MIN_ROWS_PER_THREAD)
    if n_blocks <= 1:
        return block(*args, 0, n)
    bounds = [n * i // n_blocks for i in range(n_blocks + 1)]
    futures = [_pool().submit(block, *args, lo, hi)
               for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
    flags = block(*args, bounds[0], bounds[1])
    for future in futures:
        flags |= future.result()
    return flags


def _out_dtype(z: np.ndarray) -> type:
    return np.float32 if z.dtype == np.float32 else np.float64


def _weights(w):
    return (_NO_ARRAY, False) if w is None else (w, True)


def run_binary(y, z, w, alpha_pos: float, alpha_neg: float, gamma: float, policy: str,
               want_loss: bool):
    """Binary kernel: ``(grad, hess)`` or the per-example loss, plus the BAD_* flags.

    Inputs are 1-D arrays of equal length (not copied); outputs have ``z``'s float dtype.
    """
    n = z.shape[0]
    dtype = _out_dtype(z)
    ww, has_w = _weights(w)
    if want_loss:
        out = np.empty(n, dtype=dtype)
        flags = _blocks(_binary_block, n, (y, z, ww, has_w, alpha_pos, alpha_neg, gamma,
                                           integer_gamma(gamma), 0, _NO_ARRAY, _NO_ARRAY,
                                           out, True))
        return (out,), flags
    grad = np.empty(n, dtype=dtype)
    hess = np.empty(n, dtype=dtype)
    flags = _blocks(_binary_block, n, (y, z, ww, has_w, alpha_pos, alpha_neg, gamma,
                                       integer_gamma(gamma), POLICY_CODES[policy], grad, hess,
                                       _NO_ARRAY, False))
    return (grad, hess), flags


def run_softmax(y, z, w, alpha, gamma: float, policy: str, want_loss: bool):
    """Softmax kernel: (n, K) ``(grad, hess)`` or the (n,) loss, plus the BAD_* flags."""
    n, k = z.shape
    dtype = _out_dtype(z)
    ww, has_w = _weights(w)
    al, has_alpha = (_NO_ARRAY, False) if alpha is None else (alpha, True)
    empty2 = np.empty((0, 0), dtype=dtype)
    if want_loss:
        out = np.empty(n, dtype=dtype)
        flags = _blocks(_softmax_block, n, (y, z, ww, has_w, al, has_alpha, gamma,
                                            integer_gamma(gamma), 0, empty2, empty2, out,
                                            True))
        return (out,), flags
    grad = np.empty((n, k), dtype=dtype)
    hess = np.empty((n, k), dtype=dtype)
    flags = _blocks(_softmax_block, n, (y, z, ww, has_w, al, has_alpha, gamma,
                                        integer_gamma(gamma), POLICY_CODES[policy], grad, hess,
                                        np.empty(0, dtype=dtype), False))
    return (grad, hess), flags
