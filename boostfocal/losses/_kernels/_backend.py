"""Which kernels run: loading the compiled extension, the fallback warning, threadpoolctl.

The compiled extension (``_ckernels``, built from ``_ckernels.c`` and the ``isa_*.c``
files when the package is installed) is used where it loads; otherwise the numpy
fallback (``_npkernels.py``) runs, with one :class:`KernelFallbackWarning`. The
environment variable ``BOOSTFOCAL_KERNELS`` chooses: ``numpy`` forces the fallback,
``compiled`` requires the extension, unset or ``auto`` takes the extension when it is
there. The driver (``__init__.py``) calls :func:`load_compiled` once, at import.
"""

from __future__ import annotations

import os
import warnings


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


def load_compiled():
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
                f"(boostfocal.losses._kernels._ckernels) are missing from "
                f"{os.path.dirname(__file__)} ({exc}); to get them, {HOW_TO_BUILD}") from exc
        warnings.warn(
            "boostfocal's compiled kernels are missing (the C extension was not built when "
            "boostfocal was installed, or this is an unbuilt source checkout), so the "
            f"numpy fallback runs instead: {FALLBACK_COST}. To get them, {HOW_TO_BUILD}. "
            "Set BOOSTFOCAL_KERNELS=numpy to choose the fallback without this warning.",
            KernelFallbackWarning, stacklevel=2)
        return None, "the compiled extension is missing"
    return _ckernels, None


def register_with_threadpoolctl() -> None:
    """Let threadpoolctl find and limit the compiled kernels (user API ``"boostfocal"``).

    threadpoolctl finds libraries among the loaded shared objects by file name and calls
    their C functions; the extension exports ``boostfocal_get_num_threads`` and
    ``boostfocal_set_num_threads`` for it. Without threadpoolctl (or with a version that
    has no ``register``), nothing happens.
    """
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
            from ..._version import __version__
            return __version__

    threadpoolctl.register(BoostfocalController)
