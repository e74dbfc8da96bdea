"""boostfocal: focal loss and GHM-C as first-class objectives for XGBoost and LightGBM.

The loss objects (:class:`FocalLoss`, :class:`SoftmaxFocalLoss`, :class:`GHMLoss`) need only
numpy and scipy (and boostfocal's own compiled extension for the focal kernels, with a
numpy fallback where it was not built; :func:`show_config` says which runs).
The estimators are importable from here too, but load their booster library only when
first used, so ``import boostfocal`` works with neither XGBoost nor LightGBM installed.
Every name is loaded on first use, the loss objects included, so that ``import boostfocal``
itself is instant (the ``boostfocal`` command handles Ctrl-C from its first moment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__ as __version__  # the one place it is written

if TYPE_CHECKING:  # pragma: no cover
    from ._config import show_config
    from ._shared.serving import proba_from_margin
    from .losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

_LAZY = {
    "show_config": "boostfocal._config",
    "proba_from_margin": "boostfocal._shared.serving",
    "FocalLoss": "boostfocal.losses",
    "GHMLoss": "boostfocal.losses",
    "SoftmaxFocalLoss": "boostfocal.losses",
    "FocalXGBClassifier": "boostfocal.xgboost",
    "FocalLGBMClassifier": "boostfocal.lightgbm",
    "GHMXGBClassifier": "boostfocal.xgboost",
    "GHMLGBMClassifier": "boostfocal.lightgbm",
    "DaskFocalXGBClassifier": "boostfocal.dask",
    "DaskFocalLGBMClassifier": "boostfocal.dask",
}

__all__ = ["show_config", "proba_from_margin", "FocalLoss", "GHMLoss", "SoftmaxFocalLoss",
           "FocalXGBClassifier", "FocalLGBMClassifier", "GHMXGBClassifier",
           "GHMLGBMClassifier", "DaskFocalXGBClassifier", "DaskFocalLGBMClassifier"]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
