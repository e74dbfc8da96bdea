"""The arrays of a kernel call: inputs read in place, outputs checked or allocated.

The driver (``__init__.py``) hands the kernels native float32/float64 arrays they can
read without a copy, and outputs they can write in place. Errors name the loss objects'
arguments (``y_true``, ``raw_prediction``, ``sample_weight``, ``gradient_out``,
``hessian_out``).
"""

from __future__ import annotations

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def kernel_input(a, name: str, ndim: int) -> np.ndarray:
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


def kernel_inputs(y, z, w, z_ndim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Labels, margins (rank ``z_ndim``) and weights (or None), one row each per example."""
    z = kernel_input(z, "raw_prediction", z_ndim)
    y = kernel_input(y, "y_true", 1)
    w = None if w is None else kernel_input(w, "sample_weight", 1)
    n = z.shape[0]
    if y.shape[0] != n or (w is not None and w.shape[0] != n):
        raise ValueError("y_true, raw_prediction and sample_weight must have the same "
                         "number of rows")
    return y, z, w


def kernel_output(a, name: str, shape: tuple, inputs: tuple) -> np.ndarray:
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


def kernel_outputs(want_loss: bool, out, grad, hess, z: np.ndarray, inputs: tuple
                   ) -> tuple[np.ndarray, ...]:
    """``(out,)`` for the loss, else ``(grad, hess)``: the ones given, checked, or new.

    New arrays have ``z``'s float dtype; the gradient and curvature have ``z``'s shape
    and memory order (Fortran for LightGBM's class-major scores, so that LightGBM
    flattens them without a copy), or those of the one output that was given.
    """
    if want_loss:
        if grad is not None or hess is not None:
            raise ValueError("gradient_out and hessian_out are outputs of want_loss=False; "
                             "pass out instead")
        n = z.shape[0]
        return (np.empty(n, dtype=z.dtype) if out is None
                else kernel_output(out, "out", (n,), inputs),)
    if out is not None:
        raise ValueError("out is the output of want_loss=True; pass gradient_out and "
                         "hessian_out instead")
    shape, dtype = z.shape, z.dtype
    order = "F" if z.ndim == 2 and z.flags.f_contiguous and not z.flags.c_contiguous else "C"
    if grad is not None:
        grad = kernel_output(grad, "gradient_out", shape, inputs)
    if hess is not None:
        hess = kernel_output(hess, "hessian_out", shape, inputs)
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
