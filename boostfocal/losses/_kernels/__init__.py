"""Fused kernels behind the loss objects: the Python driver, the backend and the threads.

The kernels themselves are C (``common.h`` with ``elementary.h``, ``binary.h`` and
``softmax.h`` for the gradients, ``dd.h`` and ``proba.h`` for the probabilities; ``isa.h``
and one ``isa_*.c`` per instruction set; the bindings in ``_ckernels.c``), built into the
extension module ``_ckernels`` of this package when the package is installed: one pass
over the data, no temporaries; each element's log-sigmoids, focal factor, gradient and
curvature live in registers, and the input checks (labels, finiteness, weights) are
folded into the same pass. The probability kernels (:func:`run_binary_proba`,
:func:`run_softmax_proba`) fuse the focal losses' posterior map with the sigmoid or
softmax, in double-double arithmetic, so that every probability is within an ulp of its
exact value for all finite margins. There is no
just-in-time compiler and nothing to compile at run time: every variant (the dtypes of
the labels, margins, weights and outputs; loss or gradient; integer or general gamma) is
compiled ahead of time into a straight, branch-free loop that the compiler vectorizes,
with AVX2 and AVX-512 builds picked at load time on x86-64.
Inputs are read in their own dtype (float32 stays float32 in memory; the arithmetic is
float64), never copied, except a strided 1-D or a misaligned input, copied here.

**Fallback.** Where the extension could not be built (no C compiler at install time), the
same kernels run in plain numpy (``_npkernels.py``: same arguments, results and flags,
slower), and loading them warns once (:class:`KernelFallbackWarning`). The
environment variable ``BOOSTFOCAL_KERNELS`` chooses: ``numpy`` forces the fallback (for
debugging and for CI), ``compiled`` requires the extension (ImportError without it),
unset or ``auto`` takes the extension when it is there (``_backend.py``).

**Threads.** This module runs the kernel blocks in parallel over blocks of rows on a small
thread pool (the compiled code releases the GIL), hands out the blocks on demand
(:func:`_blocks`), and allocates or checks the outputs (``_arrays.py``). The number of threads
(:func:`resolve_threads`) is the caller's ``n_threads`` (the estimators pass their
``n_jobs``), by default the usable CPUs limited by ``BOOSTFOCAL_NUM_THREADS`` or
``OMP_NUM_THREADS``; either way at most the limit set through threadpoolctl (the compiled
kernels register themselves with it as user API ``"boostfocal"``, so
``threadpool_limits(1)`` and ``threadpool_limits(1, user_api="boostfocal")`` apply).

The arithmetic is the one documented in ``focal.py`` and ``softmax_focal.py``; the tests
hold both backends to a plain, obviously correct numpy implementation (``tests/reference``)
to 1e-12 relative in float64 (the probabilities to an ulp of 60-digit mpmath values of the
closed form), and the compiled elementary functions (:func:`_exp_neg`,
:func:`_log1p_small`, :func:`_log_ge1`) to 1 ulp of 40-digit mpmath values. Their
polynomial coefficients come from ``polynomials.py`` (run ``python -m
boostfocal.losses._kernels.polynomials``; the tests check the C sources hold them).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._curvature import FLOOR_EPSILON, MIN_CURVATURE
from . import _npdd, _npkernels
from ._arrays import kernel_input, kernel_inputs, kernel_outputs
from ._backend import (  # noqa: F401 - part of this module's interface
    FALLBACK_COST,
    HOW_TO_BUILD,
    KernelFallbackWarning,
    load_compiled,
    register_with_threadpoolctl,
)

_ckernels, FALLBACK_REASON = load_compiled()

#: Curvature policy codes used inside the kernels.
POLICY_CODES = {"exact": 0, "majorizer": 1, "floor": 2}

#: Bit flags the kernels return (input checks done in the same pass).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

_BACKENDS = {"numpy": _npkernels}
if _ckernels is not None:
    _BACKENDS["compiled"] = _ckernels
    # The compiled code carries its own copies of these constants.
    assert (_ckernels.MIN_CURVATURE, _ckernels.FLOOR_EPSILON) == (MIN_CURVATURE,
                                                                  FLOOR_EPSILON)
    assert (_ckernels.BAD_LABEL, _ckernels.BAD_MARGIN, _ckernels.BAD_WEIGHT,
            _ckernels.SAW_POSITIVE_WEIGHT) == (BAD_LABEL, BAD_MARGIN, BAD_WEIGHT,
                                               SAW_POSITIVE_WEIGHT)
assert (_npkernels.BAD_LABEL, _npkernels.BAD_MARGIN, _npkernels.BAD_WEIGHT,
        _npkernels.SAW_POSITIVE_WEIGHT) == (BAD_LABEL, BAD_MARGIN, BAD_WEIGHT,
                                            SAW_POSITIVE_WEIGHT)

#: The kernels in use: the compiled extension, or the numpy fallback.
_impl = _ckernels if _ckernels is not None else _npkernels


def backend() -> str:
    """``"compiled"`` or ``"numpy"``: the kernels in use."""
    return "numpy" if _impl is _npkernels else "compiled"


def available_backends() -> list[str]:
    """The kernels this installation can run: ``"numpy"`` and, if built, ``"compiled"``."""
    return sorted(_BACKENDS)


def isa() -> str:
    """The instruction-set build in use (``"avx2"``, ``"baseline"``, ...), or ``"numpy"``."""
    return _impl.isa()


@contextlib.contextmanager
def use_backend(name: str):
    """Run the kernels of ``name`` (``"compiled"`` or ``"numpy"``) inside the block.

    For the tests, which hold both backends to the same references. Not thread-safe.
    """
    global _impl
    if name not in _BACKENDS:
        raise ValueError(f"kernel backend {name!r} is not available; this installation "
                         f"has {available_backends()}")
    previous, _impl = _impl, _BACKENDS[name]
    try:
        yield
    finally:
        _impl = previous


# ---------------------------------------------------------------------------------------
# Elementary functions (the kernels' own branch-free exp / log1p / log), elementwise on
# float64 arrays, for the tests. The kernels inline the same C code.
# ---------------------------------------------------------------------------------------
def _elementary(which: int, x) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _impl.elementary(which, x.reshape(-1), out.reshape(-1))
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

#: The same for the probability kernels, which cost several times a gradient per row (so
#: that 200k rows make 8 blocks for 2 threads, not 3).
PROBA_MIN_ROWS_PER_THREAD = 16384

#: Blocks per thread handed out on demand (see :func:`_blocks`).
CHUNKS_PER_THREAD = 4

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()

#: Environment variables that set the default thread count, first one set wins.
THREAD_ENV_VARS = ("BOOSTFOCAL_NUM_THREADS", "OMP_NUM_THREADS")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _env_threads() -> int | None:
    for var in THREAD_ENV_VARS:
        value = os.environ.get(var, "").split(",")[0].strip()
        if value:
            try:
                n = int(value)
            except ValueError:
                continue
            if n > 0:
                return n
    return None


def thread_limit() -> int | None:
    """The limit set through threadpoolctl on the compiled kernels, or None."""
    if _ckernels is None:
        return None
    limit = _ckernels.thread_limit()
    return limit if limit > 0 else None


def resolve_threads(n_threads: int | None = None) -> int:
    """The number of threads the kernels use for a request of ``n_threads``.

    ``None``: the usable CPUs, or ``BOOSTFOCAL_NUM_THREADS`` / ``OMP_NUM_THREADS`` where
    set (joblib's process workers and Dask's worker processes set ``OMP_NUM_THREADS``, so
    ``GridSearchCV(n_jobs=...)`` and Dask do not oversubscribe); ``-1``: all usable CPUs
    (``-2`` all but one, as in joblib); a positive number: that many. The result is at
    most the usable CPUs and at most the threadpoolctl limit, and at least 1.
    """
    cpus = usable_cpus()
    if n_threads is None:
        n = _env_threads() or cpus
    elif n_threads < 0:
        n = cpus + 1 + n_threads
    else:
        n = n_threads
    limit = thread_limit()
    if limit is not None:
        n = min(n, limit)
    return max(1, min(n, cpus))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=usable_cpus(),
                                       thread_name_prefix="boostfocal-kernel")
        return _POOL


def _forget_pool() -> None:  # a forked child inherits the pool object but not its threads
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


if _ckernels is not None:
    _ckernels.set_default_threads(usable_cpus())
    register_with_threadpoolctl()


def _blocks(block, n: int, rows: tuple, args: tuple, n_threads: int | None = None,
            min_rows: int | None = None) -> int:
    """Run ``block(*rows[lo:hi], *args)`` over row blocks of [0, n) and OR the flags.

    At most :func:`resolve_threads` ``(n_threads)`` threads run, the caller's included,
    on blocks of at least ``min_rows`` rows (:data:`MIN_ROWS_PER_THREAD` by default).

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
    min_rows = MIN_ROWS_PER_THREAD if min_rows is None else min_rows
    n_threads = min(resolve_threads(n_threads), n // min_rows)
    if n_threads <= 1:
        return block(*rows, *args)
    n_chunks = min(n // min_rows, CHUNKS_PER_THREAD * n_threads)
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


def _run(block, y, z, w, args: tuple, want_loss: bool, out, grad, hess,
         n_threads: int | None):
    """Run ``block`` over all rows into the given or new outputs: ``(outputs, flags)``."""
    outputs = kernel_outputs(want_loss, out, grad, hess, z, (y, z, w))
    rows = (y, z, w, None, None, outputs[0]) if want_loss else (y, z, w, *outputs, None)
    return outputs, _blocks(block, z.shape[0], rows, args, n_threads)


def run_binary(y, z, w, alpha_pos: float, alpha_neg: float, gamma: float, policy: str,
               want_loss: bool, *, out=None, grad=None, hess=None, hess_scale: float = 1.0,
               offset: float = 0.0, n_threads: int | None = None):
    """Binary kernel: ``(grad, hess)`` or the per-example loss, plus the BAD_* flags.

    Inputs are 1-D float32/float64 arrays of equal length, read in place (a strided one is
    made contiguous). ``out`` (the loss) or ``grad`` and ``hess`` may be given: contiguous
    float32 or float64 arrays of that length (any of the two dtypes, whatever ``z``'s),
    written in place and returned; otherwise they are allocated with ``z``'s float dtype.
    The curvature written is ``hess_scale`` times the policy's curvature (after its
    floors), times the weight; ``offset`` is added to every margin first. ``n_threads``:
    see :func:`resolve_threads`. Errors name the loss objects' arguments (``y_true``,
    ``raw_prediction``, ``sample_weight``, ``gradient_out``, ``hessian_out``).

    Returns ``((out,), flags)`` or ``((grad, hess), flags)``.
    """
    y, z, w = kernel_inputs(y, z, w, 1)
    n_bits, frac = gamma_split(gamma)
    args = (float(alpha_pos), float(alpha_neg), n_bits, frac, float(gamma),
            POLICY_CODES[policy], float(hess_scale), float(offset))
    return _run(_impl.binary, y, z, w, args, want_loss, out, grad, hess, n_threads)


def _per_class(values, name: str, k: int) -> np.ndarray | None:
    """None, or ``values`` as a contiguous float64 array of shape (K,)."""
    if values is None:
        return None
    values = np.ascontiguousarray(values, dtype=np.float64)
    if values.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},), got {values.shape}")
    return values


def run_softmax(y, z, w, alpha, gamma: float, policy: str, want_loss: bool, *, out=None,
                grad=None, hess=None, hess_scale: float = 1.0, offset=None,
                n_threads: int | None = None):
    """Softmax kernel: (n, K) ``(grad, hess)`` or the (n,) loss, plus the BAD_* flags.

    ``z`` is read in place in any memory layout; ``y`` and ``w`` as in :func:`run_binary`.
    ``grad`` and ``hess``, when allocated here, have ``z``'s memory order (Fortran for
    LightGBM's class-major scores, so that LightGBM flattens them without a copy) and
    float dtype; preallocated ones may be float32 or float64, C- or F-contiguous.
    ``hess_scale`` multiplies the curvature (after the policy's floors); ``offset``, a
    float64 array of shape (K,), is added to every row's logits first. ``n_threads``: see
    :func:`resolve_threads`.

    Returns ``((out,), flags)`` or ``((grad, hess), flags)``.
    """
    y, z, w = kernel_inputs(y, z, w, 2)
    k = z.shape[1]
    n_bits, frac = gamma_split(gamma)
    args = (_per_class(alpha, "alpha", k), n_bits, frac, float(gamma), POLICY_CODES[policy],
            chunk_rows(k), float(hess_scale), _per_class(offset, "offset", k))
    return _run(_impl.softmax, y, z, w, args, want_loss, out, grad, hess, n_threads)


# ---------------------------------------------------------------------------------------
# Probabilities: the links, with the focal losses' posterior map fused in
# ---------------------------------------------------------------------------------------
def proba_chunk_rows(k: int) -> int:
    """Rows per chunk of the softmax probability kernel: its scratch stays in L1/L2."""
    return max(8, min(128, 4096 // k) // 8 * 8)


def binary_log_odds(alpha: float | None) -> tuple[float, float]:
    """``log((1 - alpha) / alpha)`` as a double-double ``(hi, lo)``; ``(0, 0)`` for None."""
    if alpha is None:
        return 0.0, 0.0
    alpha = float(alpha)
    neg_h, neg_l = _npdd.log(*_npdd.two_sum(1.0, -alpha))   # 1 - alpha, exactly
    pos_h, pos_l = _npdd.log_positive(alpha)
    hi, lo = _npdd.add(neg_h, neg_l, -pos_h, -pos_l)
    return float(hi), float(lo)


def class_log_weights(alpha) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """``log(alpha_k)`` as double-double arrays ``(hi, lo)`` of shape (K,); None for None."""
    if alpha is None:
        return None, None
    hi, lo = _npdd.log_positive(np.asarray(alpha, dtype=np.float64))
    return np.ascontiguousarray(hi), np.ascontiguousarray(lo)


def _proba_output(z: np.ndarray, k: int, dtype) -> np.ndarray:
    return np.empty((z.shape[0], k), dtype=z.dtype if dtype is None else dtype)


def run_binary_proba(z, gamma: float, alpha: float | None, *, dtype=None,
                     n_threads: int | None = None) -> tuple[np.ndarray, int]:
    """Class probabilities ``[P(y=0), P(y=1)]`` of binary margins, and the BAD_* flags.

    With ``gamma > 0`` or ``alpha``, the focal posterior map of :class:`FocalLoss` (see
    ``proba.h``); with ``gamma = 0`` and ``alpha = None`` the sigmoid. ``z`` is a 1-D
    float32/float64 array, read in place; the (n, 2) C-order output has ``dtype``
    (float32 or float64; by default ``z``'s). A non-finite margin sets BAD_MARGIN (its
    row is computed as a 0). ``n_threads``: see :func:`resolve_threads`; inputs under
    2 * :data:`PROBA_MIN_ROWS_PER_THREAD` rows run on the calling thread.
    """
    z = kernel_input(z, "raw_prediction", 1)
    out = _proba_output(z, 2, dtype)
    args = (float(gamma), *binary_log_odds(alpha))
    return out, _blocks(_impl.binary_proba, z.shape[0], (z, out), args, n_threads,
                        PROBA_MIN_ROWS_PER_THREAD)


def run_softmax_proba(z, gamma: float, alpha, *, dtype=None, n_threads: int | None = None
                      ) -> tuple[np.ndarray, int]:
    """Class probabilities (n, K) of logits, and the BAD_* flags.

    With ``gamma > 0`` or ``alpha`` (K class weights), the focal posterior map of
    :class:`SoftmaxFocalLoss` (see ``proba.h``); with ``gamma = 0`` and ``alpha = None``
    the softmax. ``z`` (n, K), K >= 2, is read in place in any memory layout; the output
    is C-order with ``dtype`` (by default ``z``'s). Flags and ``n_threads`` as in
    :func:`run_binary_proba`.
    """
    z = kernel_input(z, "raw_prediction", 2)
    k = z.shape[1]
    if k < 2:
        raise ValueError(f"raw_prediction must have at least 2 columns, got shape {z.shape}")
    la_hi, la_lo = class_log_weights(_per_class(alpha, "alpha", k))
    out = _proba_output(z, k, dtype)
    args = (la_hi, la_lo, float(gamma), proba_chunk_rows(k))
    return out, _blocks(_impl.softmax_proba, z.shape[0], (z, out), args, n_threads,
                        PROBA_MIN_ROWS_PER_THREAD)
