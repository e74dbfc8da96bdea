"""Fused kernels behind the loss objects: the Python driver, the backend and the threads.

The kernels themselves are C (``_kernels.c``, built into the extension module
``boostfocal.losses._ckernels`` when the package is installed): one pass over the data,
no temporaries; each element's log-sigmoids, focal factor, gradient and curvature live in
registers, and the input checks (labels, finiteness, weights) are folded into the same
pass. There is no just-in-time compiler and nothing to compile at run time: every variant
(the dtypes of the labels, margins, weights and outputs; loss or gradient; integer or
general gamma) is compiled ahead of time into a straight, branch-free loop that the
compiler vectorizes, with AVX2 and AVX-512 builds picked at load time on x86-64.
Inputs are read in their own dtype (float32 stays float32 in memory; the arithmetic is
float64), never copied, except a strided 1-D or a misaligned input, copied here.

**Fallback.** Where the extension could not be built (no C compiler at install time), the
same kernels run in plain numpy (``_npkernels.py``: same arguments, results and flags,
slower), and loading them warns once (:class:`KernelFallbackWarning`). The
environment variable ``BOOSTFOCAL_KERNELS`` chooses: ``numpy`` forces the fallback (for
debugging and for CI), ``compiled`` requires the extension (ImportError without it),
unset or ``auto`` takes the extension when it is there.

**Threads.** This module runs the kernel blocks in parallel over blocks of rows on a small
thread pool (the compiled code releases the GIL), hands out the blocks on demand
(:func:`_blocks`), and allocates or checks the outputs. The number of threads
(:func:`resolve_threads`) is the caller's ``n_threads`` (the estimators pass their
``n_jobs``), by default the usable CPUs limited by ``BOOSTFOCAL_NUM_THREADS`` or
``OMP_NUM_THREADS``; either way at most the limit set through threadpoolctl (the compiled
kernels register themselves with it as user API ``"boostfocal"``, so
``threadpool_limits(1)`` and ``threadpool_limits(1, user_api="boostfocal")`` apply).

The arithmetic is the one documented in ``focal.py`` and ``softmax_focal.py``; the tests
hold both backends to a plain, obviously correct numpy implementation (``tests/reference``)
to 1e-12 relative in float64, and the compiled elementary functions (:func:`_exp_neg`,
:func:`_log1p_small`, :func:`_log_ge1`) to 1 ulp of 40-digit mpmath values.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _npkernels
from ._curvature import FLOOR_EPSILON, MIN_CURVATURE


class KernelFallbackWarning(UserWarning):
    """The compiled kernels are missing: the slower numpy kernels run instead."""


#: How to get the compiled kernels, for the fallback warning and :func:`show_config`.
HOW_TO_BUILD = (
    "install a C compiler (gcc or clang; on Windows the Microsoft C++ Build Tools) and "
    "reinstall boostfocal (`pip install --force-reinstall --no-deps .` from the source, or "
    "`pip install -e .` in a checkout), or install a prebuilt wheel")

#: What the fallback costs, measured in benchmarks/speed.py (see benchmarks/RESULTS.md).
FALLBACK_COST = ("the numpy kernels take 6 to 10 times as long per gradient call as the "
                 "compiled ones (binary training at 1M rows measured 1.06x the built-in "
                 "objective's time with XGBoost and 1.46x with LightGBM, on a loaded 2-core "
                 "machine)")


def _load_compiled():
    """The compiled extension, or None (and why) where it is missing or disabled."""
    choice = os.environ.get("BOOSTFOCAL_KERNELS", "auto").strip().lower() or "auto"
    if choice not in ("auto", "compiled", "numpy"):
        raise ImportError(f"BOOSTFOCAL_KERNELS must be 'auto', 'compiled' or 'numpy', got "
                          f"{os.environ['BOOSTFOCAL_KERNELS']!r}")
    if choice == "numpy":
        return None, "BOOSTFOCAL_KERNELS=numpy"
    try:
        from . import _ckernels
    except ImportError as exc:  # depends on how the package was installed
        if choice == "compiled":
            raise ImportError(
                "BOOSTFOCAL_KERNELS=compiled, but boostfocal's compiled kernels "
                f"(boostfocal.losses._ckernels) are missing from {os.path.dirname(__file__)}"
                f" ({exc}); to get them, {HOW_TO_BUILD}") from exc
        warnings.warn(
            "boostfocal's compiled kernels are missing (the C extension was not built when "
            "boostfocal was installed, or this is an unbuilt source checkout), so the "
            f"numpy fallback runs instead: {FALLBACK_COST}. To get them, {HOW_TO_BUILD}. "
            "Set BOOSTFOCAL_KERNELS=numpy to choose the fallback without this warning.",
            KernelFallbackWarning, stacklevel=2)
        return None, "the compiled extension is missing"
    return _ckernels, None


_ckernels, FALLBACK_REASON = _load_compiled()

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


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


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


def _register_with_threadpoolctl() -> None:
    """Let threadpoolctl find and limit the compiled kernels (user API ``"boostfocal"``).

    threadpoolctl finds libraries among the loaded shared objects by file name and calls
    their C functions; the extension exports ``boostfocal_get_num_threads`` and
    ``boostfocal_set_num_threads`` for it. Without threadpoolctl (or with a version that
    has no ``register``), nothing happens.
    """
    if _ckernels is None:
        return
    try:
        import threadpoolctl
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return
    if not hasattr(threadpoolctl, "register") or not hasattr(threadpoolctl, "LibController"):
        return  # pragma: no cover - threadpoolctl < 3.0

    class BoostfocalController(threadpoolctl.LibController):
        user_api = "boostfocal"
        internal_api = "boostfocal"
        filename_prefixes = ("_ckernels.",)
        check_symbols = ("boostfocal_get_num_threads", "boostfocal_set_num_threads")

        def get_num_threads(self):
            return self.dynlib.boostfocal_get_num_threads()

        def set_num_threads(self, num_threads):
            return self.dynlib.boostfocal_set_num_threads(int(num_threads))

        def get_version(self):
            from .. import __version__
            return __version__

    threadpoolctl.register(BoostfocalController)


if _ckernels is not None:
    _ckernels.set_default_threads(usable_cpus())
    _register_with_threadpoolctl()


def _blocks(block, n: int, rows: tuple, args: tuple, n_threads: int | None = None) -> int:
    """Run ``block(*rows[lo:hi], *args)`` over row blocks of [0, n) and OR the flags.

    At most :func:`resolve_threads` ``(n_threads)`` threads run, the caller's included.

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
    n_threads = min(resolve_threads(n_threads), n // MIN_ROWS_PER_THREAD)
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
    any strides. A misaligned array (a buffer at an odd offset) is copied. Other dtypes
    are converted to float64 (the loss objects already did). ``name`` is the caller's
    argument, for the errors.
    """
    if not isinstance(a, np.ndarray) or a.dtype not in _FLOATS:
        a = np.asarray(a)
        a = a.astype(np.float64) if a.dtype not in _FLOATS else a
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.aligned:
        a = np.array(a, order="C" if ndim == 1 else "K")  # a copy is aligned
    elif ndim == 1 and not a.flags.c_contiguous:
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
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        raise ValueError(f"{name} must be C- or F-contiguous" if a.ndim == 2
                         else f"{name} must be contiguous")
    if not a.flags.aligned:
        raise ValueError(f"{name} must be aligned to its item size ({a.itemsize} bytes); "
                         "numpy allocates arrays so, a buffer at an odd offset is not")
    for x in inputs:
        if x is not None and np.may_share_memory(a, x):
            raise ValueError(f"{name} overlaps an input array")
    return a


def _grad_hess(grad, hess, shape: tuple, dtype, order: str, inputs: tuple):
    """The preallocated or new ``(grad, hess)``; a missing one is made like the other."""
    if grad is not None:
        grad = _output(grad, "gradient_out", shape, inputs)
    if hess is not None:
        hess = _output(hess, "hessian_out", shape, inputs)
        if grad is not None:
            if hess.dtype != grad.dtype:
                raise ValueError(f"gradient_out and hessian_out must have the same dtype, "
                                 f"got {grad.dtype} and {hess.dtype}")
            if np.may_share_memory(grad, hess):
                raise ValueError("gradient_out and hessian_out overlap")
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
        raise ValueError("gradient_out and hessian_out are outputs of want_loss=False; "
                         "pass out instead")
    if not want_loss and out is not None:
        raise ValueError("out is the output of want_loss=True; pass gradient_out and "
                         "hessian_out instead")


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
    z = _input(z, "raw_prediction", 1)
    y = _input(y, "y_true", 1)
    w = None if w is None else _input(w, "sample_weight", 1)
    n = z.shape[0]
    if y.shape[0] != n or (w is not None and w.shape[0] != n):
        raise ValueError("y_true, raw_prediction and sample_weight must have the same length")
    _no_extra(want_loss, out, grad, hess)
    n_bits, frac = gamma_split(gamma)
    args = (float(alpha_pos), float(alpha_neg), n_bits, frac, float(gamma),
            POLICY_CODES[policy], float(hess_scale), float(offset))
    if want_loss:
        out = (np.empty(n, dtype=_out_dtype(z)) if out is None
               else _output(out, "out", (n,), (y, z, w)))
        flags = _blocks(_impl.binary, n, (y, z, w, None, None, out), args, n_threads)
        return (out,), flags
    grad, hess = _grad_hess(grad, hess, (n,), _out_dtype(z), "C", (y, z, w))
    flags = _blocks(_impl.binary, n, (y, z, w, grad, hess, None), args, n_threads)
    return (grad, hess), flags


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
    z = _input(z, "raw_prediction", 2)
    y = _input(y, "y_true", 1)
    w = None if w is None else _input(w, "sample_weight", 1)
    n, k = z.shape
    if y.shape[0] != n or (w is not None and w.shape[0] != n):
        raise ValueError("y_true, raw_prediction and sample_weight must have the same "
                         "number of rows")
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
        flags = _blocks(_impl.softmax, n, (y, z, w, None, None, out), args, n_threads)
        return (out,), flags
    order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
    grad, hess = _grad_hess(grad, hess, (n, k), _out_dtype(z), order, (y, z, w))
    flags = _blocks(_impl.softmax, n, (y, z, w, grad, hess, None), args, n_threads)
    return (grad, hess), flags
