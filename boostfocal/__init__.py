"""boostfocal: focal loss as a first-class objective for XGBoost and LightGBM.

The loss objects (:class:`FocalLoss`, :class:`SoftmaxFocalLoss`) need only numpy and scipy.
The estimators are importable from here too, but load their booster library only when
first used, so ``import boostfocal`` works with neither XGBoost nor LightGBM installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from .losses import FocalLoss, SoftmaxFocalLoss

__version__ = "0.1.0"

_LAZY = {
    "FocalXGBClassifier": "boostfocal.xgboost",
    "FocalLGBMClassifier": "boostfocal.lightgbm",
}

__all__ = ["FocalLoss", "SoftmaxFocalLoss", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'boostfocal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
