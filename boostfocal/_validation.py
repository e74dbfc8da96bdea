"""Input validation shared by the loss objects, adapters and estimators.

Public entry points call these; inner functions trust their input. Every error
names the offending argument and says what is allowed.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

HESSIAN_POLICIES = ("majorizer", "floor", "exact")

#: The value of ``alpha`` that asks for class-balanced weights, resolved from the training
#: labels by the loss's ``resolve`` method (see :class:`boostfocal.FocalLoss`).
BALANCED = "balanced"


def is_balanced(alpha) -> bool:
    """True for the unresolved ``alpha="balanced"`` (and for nothing else, arrays included)."""
    return isinstance(alpha, str) and alpha == BALANCED


def _number(value, name: str, what: str, kind: type = numbers.Real):
    """``value`` if it is a number of ``kind`` (bool excluded), else a TypeError.

    The error says that ``name`` must be ``what``, and what it got instead.
    """
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {what}, got {value!r} of type "
                        f"{type(value).__name__}")
    return value


def check_gamma(gamma: float, name: str = "gamma") -> float:
    """Return ``gamma`` as a float after checking it is finite and >= 0."""
    gamma = float(_number(gamma, name, "a real number >= 0"))
    if not np.isfinite(gamma) or gamma < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {gamma!r}")
    return gamma


def check_binary_alpha(alpha: float | str | None, name: str = "alpha") -> float | str | None:
    """Return ``alpha``: None, ``"balanced"``, or a float in the open interval (0, 1)."""
    if alpha is None or is_balanced(alpha):
        return alpha
    alpha = float(_number(alpha, name, "None, 'balanced' or a number in (0, 1)"))
    if not (0.0 < alpha < 1.0):
        raise ValueError(
            f"{name} must be None or a number strictly between 0 and 1 (the weight of the "
            f"positive class; the negative class gets 1 - {name}), got {alpha!r}"
        )
    return alpha


def check_class_alpha(alpha: Sequence[float] | np.ndarray | str | None,
                      name: str = "alpha") -> np.ndarray | str | None:
    """Return per-class weights as a float64 array, None, or ``"balanced"``.

    Each weight must be > 0 and finite.
    """
    if alpha is None or is_balanced(alpha):
        return alpha
    if isinstance(alpha, (str, bytes)) or np.ndim(alpha) != 1:
        raise ValueError(f"{name} must be None, 'balanced' or a 1-D sequence of per-class "
                         f"weights, got {alpha!r}")
    try:
        arr = np.asarray(alpha, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must contain real numbers, got {alpha!r}") from exc
    if arr.size < 2:
        raise ValueError(f"{name} must have one weight per class (at least 2), got {alpha!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must contain finite weights > 0, got {alpha!r}")
    return arr


def check_bins(bins: int, name: str = "bins") -> int:
    """Return the number of GHM bins after checking it is an integer >= 1."""
    _number(bins, name, "an integer >= 1", numbers.Integral)
    if bins < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {bins!r}")
    return int(bins)


def check_momentum(momentum: float, name: str = "momentum") -> float:
    """Return the GHM momentum as a float after checking it lies in [0, 1)."""
    momentum = float(_number(momentum, name, "a number in [0, 1)"))
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1) (0: no smoothing across "
                         f"rounds), got {momentum!r}")
    return momentum


def check_hessian(hessian: str, name: str = "hessian") -> str:
    """Return the curvature policy after checking it is one of the known ones."""
    if not isinstance(hessian, str) or hessian not in HESSIAN_POLICIES:
        raise ValueError(f"{name} must be one of {HESSIAN_POLICIES}, got {hessian!r}")
    return hessian


def as_float_array(x, name: str, ndim: int) -> np.ndarray:
    """Convert to a float32/float64 ndarray of the given rank; reject non-finite values."""
    arr = as_array(x, name, ndim)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_binary_labels(y_true, n: int | None = None, name: str = "y_true") -> np.ndarray:
    """Return 0/1 labels as float64; raise if they are not binary or not finite."""
    y = as_float_array(y_true, name, 1)
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} entries but raw_prediction has {n}")
    if not np.all((y == 0) | (y == 1)):
        values = np.unique(y)
        raise ValueError(
            f"{name} must contain only 0 and 1 for the binary loss, got values "
            f"{values[:10].tolist()}{' ...' if values.size > 10 else ''}; use "
            "SoftmaxFocalLoss for more than two classes"
        )
    return y.astype(np.float64, copy=False)


def check_class_labels(y_true, n_classes: int, n: int | None = None,
                       name: str = "y_true") -> np.ndarray:
    """Return integer class indices in 0..n_classes-1; raise otherwise."""
    y = as_float_array(y_true, name, 1)
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} entries but raw_prediction has {n}")
    yi = y.astype(np.int64)
    if not np.all(yi == y) or np.any(yi < 0) or np.any(yi >= n_classes):
        raise ValueError(f"{name} must hold class indices 0..{n_classes - 1}, got values "
                         f"{np.unique(y)[:10].tolist()}")
    return yi


def check_sample_weight(sample_weight, n: int, name: str = "sample_weight") -> np.ndarray | None:
    """Return float64 weights (or None); they must be finite, >= 0 and not all zero."""
    if sample_weight is None:
        return None
    w = as_float_array(sample_weight, name, 1)
    if w.shape[0] != n:
        raise ValueError(f"{name} has {w.shape[0]} entries but there are {n} examples")
    if np.any(w < 0):
        raise ValueError(f"{name} must be >= 0, got a minimum of {w.min()!r}")
    if n > 0 and not np.any(w > 0):
        raise ValueError(f"{name} must not be all zero")
    return w.astype(np.float64, copy=False)


def binary_class_totals(y_true, sample_weight=None) -> tuple[float, float]:
    """Weighted class totals ``(W0, W1)`` of 0/1 labels, each class summed on its own.

    ``W0`` is never taken as ``sum(w) - W1``: that cancels (to 0, or below it) when one
    class's weights are many orders of magnitude above the other's. A total that
    overflows float64 is an error naming ``sample_weight``.
    """
    y = check_binary_labels(y_true)
    w = check_sample_weight(sample_weight, y.shape[0])
    positive = y == 1.0
    if w is None:
        w1 = int(np.count_nonzero(positive))
        return float(y.shape[0] - w1), float(w1)
    with np.errstate(over="ignore"):  # reported below, naming the argument
        w0, w1 = float(np.sum(w[~positive])), float(np.sum(w[positive]))
    if not (np.isfinite(w0) and np.isfinite(w1)):
        raise ValueError(f"sample_weight overflows: the class totals are W0={w0!r}, "
                         f"W1={w1!r}; scale the weights down")
    return w0, w1


def result_dtype(raw_prediction: np.ndarray) -> np.dtype:
    """Outputs keep float32 for float32 input and are float64 otherwise."""
    return np.dtype(np.float32) if raw_prediction.dtype == np.float32 else np.dtype(np.float64)


def as_array(x, name: str, ndim: int, n: int | None = None) -> np.ndarray:
    """The cheap part of validation, for the hot path: no copy and no pass over the data.

    Checks the type, rank and length only; numeric dtypes other than float32/float64 are
    converted to float64. Values (finiteness, labels, signs) are checked inside the
    kernels, in the same pass that computes the result.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind != "f" or arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but raw_prediction has {n}")
    return arr


def check_n_threads(n_threads, name: str = "n_threads") -> int | None:
    """Return ``n_threads``: None (the default count) or a nonzero integer (-1: all CPUs)."""
    if n_threads is None:
        return None
    _number(n_threads, name, "None or a nonzero integer (-1: all CPUs)", numbers.Integral)
    if n_threads == 0:
        raise ValueError(f"{name} must be None or a nonzero integer (-1: all CPUs, -2: all "
                         "but one, ...), got 0")
    return int(n_threads)


def check_hessian_scale(scale: float, name: str = "hessian_scale") -> float:
    """Return ``scale`` as a float after checking it is finite and > 0."""
    scale = float(_number(scale, name, "a real number > 0"))
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {scale!r}")
    return scale


def check_raw_offset(offset, n_classes: int | None = None, name: str = "raw_offset"):
    """A constant added to every raw prediction: a finite float (binary) or K floats.

    Returns 0.0 / None for None (nothing to add), else a float or a float64 array (K,).
    """
    if n_classes is None:
        if offset is None:
            return 0.0
        _number(offset, name, "None or a real number")
        if not np.isfinite(offset):
            raise ValueError(f"{name} must be finite, got {offset!r}")
        return float(offset)
    if offset is None:
        return None
    arr = np.asarray(offset)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be None or {n_classes} real numbers, got {offset!r}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.shape != (n_classes,):
        raise ValueError(f"{name} must have shape ({n_classes},) (one offset per class), "
                         f"got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_output(out, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """A caller-provided output array: None, or a writeable float32/float64 ndarray.

    It must have exactly ``shape`` and be contiguous (C or Fortran order), so that the
    kernels write it in place.
    """
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or None, got {type(out).__name__}")
    if out.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must have dtype float32 or float64, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not (out.flags.c_contiguous or out.flags.f_contiguous):
        raise ValueError(f"{name} must be C- or Fortran-contiguous")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


def unresolved_alpha(loss) -> ValueError:
    """The error for math on a loss whose ``alpha="balanced"`` has not been resolved."""
    name = type(loss).__name__
    return ValueError(
        f"{name}(alpha='balanced') has no class weights yet: they come from the training "
        f"labels. Call loss = loss.resolve(y_train, sample_weight) once, on the training "
        f"data, and use the returned {name} (numeric alpha) for the objective, the metric, "
        "init_score and predict_proba alike. The weights are never re-derived from the "
        "labels passed to each call.")
