"""Fused, compiled kernels behind the loss objects: the Python driver.

The kernels themselves are C (``_kernels.c``, built into the extension module
``boostfocal.losses._ckernels`` when the package is installed): one pass over the data,
no temporaries; each element's log-sigmoids, focal factor, gradient and curvature live in
registers, and the input checks (labels, finiteness, weights) are folded into the same
pass. There is no just-in-time compiler and nothing to compile at run time: every variant
(the dtypes of the labels, margins, weights and outputs; loss or gradient; integer or
general gamma) is compiled ahead of time into a straight, branch-free loop that the
compiler vectorizes, with AVX2 and AVX-512 clones picked at load time on x86-64.
Inputs are read in their own dtype (float32 stays float32 in memory; the arithmetic is
float64), never copied, except a strided 1-D input, made contiguous here.

This module runs the compiled blocks in parallel over blocks of rows on a small thread
pool (the compiled code releases the GIL), hands out the blocks on demand
(:func:`_blocks`), and allocates or checks the outputs.

The arithmetic is the one documented in ``focal.py`` and ``softmax_focal.py``; the tests
hold these kernels to a plain, obviously correct numpy implementation (``tests/reference``)
to 1e-12 relative in float64, and the elementary functions (:func:`_exp_neg`,
:func:`_log1p_small`, :func:`_log_ge1`) to 1 ulp of 40-digit mpmath values.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:
    from . import _ckernels
except ImportError as exc:  # pragma: no cover - depends on how the package was installed
    raise ImportError(
        "boostfocal's compiled kernels (boostfocal.losses._ckernels) are missing from "
        f"{os.path.dirname(__file__)}. This happens when boostfocal is imported from a "
        "source checkout that was never built, for instance when running from the "
        "repository root after a plain `pip install .`. Install it in place with "
        "`pip install -e .` (needs a C compiler), or run from another directory.") from exc
from ._curvature import FLOOR_EPSILON, MIN_CURVATURE

#: Curvature policy codes used inside the kernels.
POLICY_CODES = {"exact": 0, "majorizer": 1, "floor": 2}

#: Bit flags the kernels return (input checks done in the same pass).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

# The compiled code carries its own copies of these constants.
assert (_ckernels.MIN_CURVATURE, _ckernels.FLOOR_EPSILON) == (MIN_CURVATURE, FLOOR_EPSILON)
assert (_ckernels.BAD_LABEL, _ckernels.BAD_MARGIN, _ckernels.BAD_WEIGHT,
        _ckernels.SAW_POSITIVE_WEIGHT) == (BAD_LABEL, BAD_MARGIN, BAD_WEIGHT,
                                           SAW_POSITIVE_WEIGHT)

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ---------------------------------------------------------------------------------------
# Elementary functions (the kernels' own branch-free exp / log1p / log), elementwise on
# float64 arrays, for the tests. The kernels inline the same C code.
# ---------------------------------------------------------------------------------------
def _elementary(which: int, x) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _ckernels.elementary(which, x.reshape(-1), out.reshape(-1))
    return out


def _exp_neg(x) -> np.ndarray:
    """``exp(x)`` for ``x <= 0``: subnormal results included, 0 below -745.2."""
    return _elementary(0, x)


def _log1p_small(e) -> np.ndarray:
    """``log1p(e)`` for ``-1/2 <= e <= 1``."""
    return _elementary(1, e)


def _log_ge1(x) -> np.ndarray:
    """``log(x)`` for finite ``x >= 1``."""
    return _elementary(2, x)


def chunk_rows(k: int) -> int:
    """Rows per chunk of the softmax kernel: its (K, rows) scratch stays in L1/L2 cache."""
    return max(8, min(256, 16384 // k) // 8 * 8)


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

    ``rows`` holds the per-row arrays (or None), sliced into views for each block. The
    compiled blocks release the GIL, so a plain thread pool runs them in parallel. This
    is safe to call from several threads at once (Dask workers, threaded joblib), and
    costs nothing for small inputs, which run on the calling thread.

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
    the kernels run their variant without the exp.
    """
    n = integer_gamma(gamma)
    if n < 0:
        n = min(int(gamma), 15)
    frac = gamma - n
    return n, (frac if frac else None)


def _input(a, name: str, ndim: int) -> np.ndarray:
    """``a`` as a native float32/float64 array the kernels can read in place.

    1-D arrays must be contiguous (a strided view is copied: rare); 2-D arrays may have
    any strides. Other dtypes are converted to float64 (the loss objects already did).
    """
    if not isinstance(a, np.ndarray) or a.dtype not in _FLOATS:
        a = np.asarray(a)
        a = a.astype(np.float64) if a.dtype not in _FLOATS else a
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.aligned or (ndim == 1 and not a.flags.c_contiguous):
        a = np.ascontiguousarray(a)
    return a


def _output(a, name: str, shape: tuple, inputs: tuple) -> np.ndarray:
    """Check a preallocated output: float32/float64, ``shape``, writable, contiguous."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype not in _FLOATS:
        raise ValueError(f"{name} must be float32 or float64, got dtype {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    if not a.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not (a.flags.c_contiguous or a.flags.f_contiguous) or not a.flags.aligned:
        raise ValueError(f"{name} must be C- or F-contiguous" if a.ndim == 2
                         else f"{name} must be contiguous")
    for x in inputs:
        if x is not None and np.may_share_memory(a, x):
            raise ValueError(f"{name} overlaps an input array")
    return a


def _grad_hess(grad, hess, shape: tuple, dtype, order: str, inputs: tuple):
    """The preallocated or new ``(grad, hess)``; a missing one is made like the other."""
    if grad is not None:
        grad = _output(grad, "grad", shape, inputs)
    if hess is not None:
        hess = _output(hess, "hess", shape, inputs)
        if grad is not None:
            if hess.dtype != grad.dtype:
                raise ValueError(f"grad and hess must have the same dtype, got {grad.dtype} "
                                 f"and {hess.dtype}")
            if np.may_share_memory(grad, hess):
                raise ValueError("grad and hess overlap")
    like = grad if grad is not None else hess
    if like is not None:
        dtype = like.dtype
        if like.ndim == 2 and like.flags.f_contiguous and not like.flags.c_contiguous:
            order = "F"
    if grad is None:
        grad = np.empty(shape, dtype=dtype, order=order)
    if hess is None:
        hess = np.empty(shape, dtype=dtype, order=order)
    return grad, hess


def _no_extra(want_loss: bool, out, grad, hess) -> None:
    if want_loss and (grad is not None or hess is not None):
        raise ValueError("grad and hess are outputs of want_loss=False; pass out instead")
    if not want_loss and out is not None:
        raise ValueError("out is the output of want_loss=True; pass grad and hess instead")


def run_binary(y, z, w, alpha_pos: float, alpha_neg: float, gamma: float, policy: str,
               want_loss: bool, *, out=None, grad=None, hess=None, hess_scale: float = 1.0,
               offset: float = 0.0):
    """Binary kernel: ``(grad, hess)`` or the per-example loss, plus the BAD_* flags.

    Inputs are 1-D float32/float64 arrays of equal length, read in place (a strided one is
    made contiguous). ``out`` (the loss) or ``grad`` and ``hess`` may be given: contiguous
    float32 or float64 arrays of that length (any of the two dtypes, whatever ``z``'s),
    written in place and returned; otherwise they are allocated with ``z``'s float dtype.
    The curvature written is ``hess_scale`` times the policy's curvature (after its
    floors), times the weight; ``offset`` is added to every margin first.

    Returns ``((out,), flags)`` or ``((grad, hess), flags)``.
    """
    z = _input(z, "z", 1)
    y = _input(y, "y", 1)
    w = None if w is None else _input(w, "w", 1)
    n = z.shape[0]
    if y.shape[0] != n or (w is not None and w.shape[0] != n):
        raise ValueError("y, z and w must have the same length")
    _no_extra(want_loss, out, grad, hess)
    n_bits, frac = gamma_split(gamma)
    args = (float(alpha_pos), float(alpha_neg), n_bits, frac, float(gamma),
            POLICY_CODES[policy], float(hess_scale), float(offset))
    if want_loss:
        out = (np.empty(n, dtype=_out_dtype(z)) if out is None
               else _output(out, "out", (n,), (y, z, w)))
        flags = _blocks(_ckernels.binary, n, (y, z, w, None, None, out), args)
        return (out,), flags
    grad, hess = _grad_hess(grad, hess, (n,), _out_dtype(z), "C", (y, z, w))
    flags = _blocks(_ckernels.binary, n, (y, z, w, grad, hess, None), args)
    return (grad, hess), flags


def run_softmax(y, z, w, alpha, gamma: float, policy: str, want_loss: bool, *, out=None,
                grad=None, hess=None, hess_scale: float = 1.0, offset=None):
    """Softmax kernel: (n, K) ``(grad, hess)`` or the (n,) loss, plus the BAD_* flags.

    ``z`` is read in place in any memory layout; ``y`` and ``w`` as in :func:`run_binary`.
    ``grad`` and ``hess``, when allocated here, have ``z``'s memory order (Fortran for
    LightGBM's class-major scores, so that LightGBM flattens them without a copy) and
    float dtype; preallocated ones may be float32 or float64, C- or F-contiguous.
    ``hess_scale`` multiplies the curvature (after the policy's floors); ``offset``, a
    float64 array of shape (K,), is added to every row's logits first.

    Returns ``((out,), flags)`` or ``((grad, hess), flags)``.
    """
    z = _input(z, "z", 2)
    y = _input(y, "y", 1)
    w = None if w is None else _input(w, "w", 1)
    n, k = z.shape
    if y.shape[0] != n or (w is not None and w.shape[0] != n):
        raise ValueError("y, z and w must have the same number of rows")
    _no_extra(want_loss, out, grad, hess)
    if alpha is not None:
        alpha = np.ascontiguousarray(alpha, dtype=np.float64)
        if alpha.shape != (k,):
            raise ValueError(f"alpha must have shape ({k},), got {alpha.shape}")
    if offset is not None:
        offset = np.ascontiguousarray(offset, dtype=np.float64)
        if offset.shape != (k,):
            raise ValueError(f"offset must have shape ({k},), got {offset.shape}")
    n_bits, frac = gamma_split(gamma)
    args = (alpha, n_bits, frac, float(gamma), POLICY_CODES[policy], chunk_rows(k),
            float(hess_scale), offset)
    if want_loss:
        out = (np.empty(n, dtype=_out_dtype(z)) if out is None
               else _output(out, "out", (n,), (y, z, w)))
        flags = _blocks(_ckernels.softmax, n, (y, z, w, None, None, out), args)
        return (out,), flags
    order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
    grad, hess = _grad_hess(grad, hess, (n, k), _out_dtype(z), order, (y, z, w))
    flags = _blocks(_ckernels.softmax, n, (y, z, w, grad, hess, None), args)
    return (grad, hess), flags
