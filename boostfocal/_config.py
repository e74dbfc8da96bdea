"""What runs: the kernel build in use, its threads and the library versions.

:func:`show_config` (exported as ``boostfocal.show_config``) prints them, in the spirit of
``numpy.show_config`` and ``threadpoolctl``; :func:`config_line` is the one-line summary
that ``boostfocal --version`` prints.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any, TextIO

#: Distributions whose versions are reported (without importing them).
LIBRARIES = ("numpy", "scipy", "scikit-learn", "threadpoolctl", "xgboost", "lightgbm",
             "dask", "distributed", "pandas")


#: Other distributions that install the same module: ``xgboost-cpu`` is XGBoost's
#: CPU-only wheel (the same ``xgboost`` module, without the ~350 MB ``nvidia-nccl``
#: dependency of the ``xgboost`` wheel on Linux).
ALTERNATIVES = {"xgboost": ("xgboost-cpu",)}


def _version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None if it is absent.

    Where an alternative distribution provides the same module, its version is returned
    with its name: ``"3.2.0 (xgboost-cpu)"``.
    """
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    for other in ALTERNATIVES.get(distribution, ()):
        try:
            return f"{metadata.version(other)} ({other})"
        except metadata.PackageNotFoundError:
            pass
    return None


def config() -> dict[str, Any]:
    """The configuration as a dictionary: ``{"boostfocal": ..., "kernels": ..., ...}``."""
    from . import __version__
    from .losses import _kernels

    kernels = {
        "backend": _kernels.backend(),
        "isa": _kernels.isa(),
        "available_isas": list(_kernels._impl.isas()),
        "threads": _kernels.resolve_threads(),
        "usable_cpus": _kernels.usable_cpus(),
        "threadpoolctl_limit": _kernels.thread_limit(),
        "fallback_reason": _kernels.FALLBACK_REASON,
    }
    versions = {"python": platform.python_version()}
    versions.update({name: _version(name) for name in LIBRARIES})
    return {"boostfocal": __version__, "kernels": kernels, "versions": versions}


def config_line(info: dict[str, Any] | None = None) -> str:
    """One line: version, kernel build and threads, e.g. ``boostfocal 0.1.0 (kernels: ...)``."""
    info = config() if info is None else info
    k = info["kernels"]
    build = f"compiled {k['isa']}" if k["backend"] == "compiled" else "numpy fallback"
    threads = k["threads"]
    return (f"boostfocal {info['boostfocal']} (kernels: {build}, {threads} "
            f"thread{'s' if threads != 1 else ''})")


def show_config(mode: str = "stdout", file: TextIO | None = None) -> dict[str, Any] | None:
    """Print (or return) the kernel build in use, its thread count and library versions.

    Parameters
    ----------
    mode : {"stdout", "dicts"}, default="stdout"
        ``"stdout"`` prints a short report; ``"dicts"`` returns it as a dictionary
        (as ``numpy.show_config`` does).
    file : file-like, default=None
        Where to print (``sys.stdout`` by default).

    Returns
    -------
    dict or None
        The configuration for ``mode="dicts"``, else None.

    Notes
    -----
    The threads are what a kernel call with the default ``n_threads`` uses now: the
    usable CPUs, limited by ``BOOSTFOCAL_NUM_THREADS`` / ``OMP_NUM_THREADS`` and by a
    threadpoolctl limit. The estimators pass their ``n_jobs`` instead.

    Examples
    --------
    >>> import boostfocal
    >>> info = boostfocal.show_config(mode="dicts")
    >>> sorted(info), info["kernels"]["backend"] in ("compiled", "numpy")
    (['boostfocal', 'kernels', 'versions'], True)
    >>> info["boostfocal"] == boostfocal.__version__
    True
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f"mode must be 'stdout' or 'dicts', got {mode!r}")
    info = config()
    if mode == "dicts":
        return info
    from .losses import _kernels

    out = sys.stdout if file is None else file
    k = info["kernels"]
    print(config_line(info), file=out)
    print("kernels:", file=out)
    print(f"  backend: {k['backend']}"
          + ("" if k["backend"] == "compiled" else
             f" ({k['fallback_reason']}; slower: {_kernels.FALLBACK_COST}; to get the "
             f"compiled kernels, {_kernels.HOW_TO_BUILD})"), file=out)
    print(f"  instruction set: {k['isa']} (this machine runs: "
          f"{', '.join(k['available_isas'])})", file=out)
    limit = k["threadpoolctl_limit"]
    print(f"  threads: {k['threads']} of {k['usable_cpus']} usable CPUs"
          + (f" (threadpoolctl limit {limit})" if limit is not None else ""), file=out)
    print("versions:", file=out)
    for name, version in info["versions"].items():
        print(f"  {name}: {version if version is not None else 'not installed'}", file=out)
    return None
