"""boostfocal: focal loss and GHM-C as first-class objectives for XGBoost and LightGBM.

The loss objects (:class:`FocalLoss`, :class:`SoftmaxFocalLoss`, :class:`GHMLoss`) need only
numpy and scipy (and boostfocal's own compiled extension for the focal kernels, with a
numpy fallback where it was not built; :func:`show_config` says which runs).
The estimators are importable from here too, but load their booster library only when
first used, so ``import boostfocal`` works with neither XGBoost nor LightGBM installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._config import show_config
from .losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

__version__ = "0.1.0"

_LAZY = {
    "FocalXGBClassifier": "boostfocal.xgboost",
    "FocalLGBMClassifier": "boostfocal.lightgbm",
    "GHMXGBClassifier": "boostfocal.xgboost",
    "GHMLGBMClassifier": "boostfocal.lightgbm",
    "DaskFocalXGBClassifier": "boostfocal.dask",
    "DaskFocalLGBMClassifier": "boostfocal.dask",
}

__all__ = ["FocalLoss", "GHMLoss", "SoftmaxFocalLoss", "show_config", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'boostfocal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
