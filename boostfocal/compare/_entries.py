"""The entries of ``boostfocal compare``: what is compared, and the estimator of each.

- Every entry gets the same booster settings (``n_estimators``, ``learning_rate``,
  ``random_state``, threads; everything else at the library's defaults), with one
  deliberate exception to the library defaults: with XGBoost **every** entry gets
  ``min_child_weight=FOCAL_MIN_CHILD_WEIGHT`` (0.01), the default of boostfocal's XGBoost
  estimators. XGBoost's own default of 1 would block splits of focal models, whose
  Hessians are 10 to 1000 times smaller than logistic ones, and giving the built-in
  baselines a different value would make the comparison one of tree settings as much as of
  losses. With equal settings ``focal gamma=0`` reproduces the ``logistic`` entry, which
  the table lets you check. (LightGBM: the focal estimators keep LightGBM's defaults, so
  nothing needs aligning.)
- **Class weighting** of the built-in objective: ``scale_pos_weight = W0 / W1`` (per
  training fold) for binary XGBoost; ``class_weight="balanced"`` for LightGBM; for
  multiclass XGBoost, which has no class weights, the equivalent per-row
  ``sample_weight`` (scikit-learn's ``compute_sample_weight("balanced", y)``).
- **Focal** entries: ``focal_gamma`` over the grid, with ``focal_alpha=None`` and
  ``focal_alpha="balanced"`` (binary ``alpha = W0 / (W0 + W1)``; multiclass
  ``alpha_k = W / (K W_k)``, from the training fold).
- **GHM-C** (binary only): ``GHMXGBClassifier`` / ``GHMLGBMClassifier`` with
  ``ghm_bins=10`` and the default momentum.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight

from ._errors import CompareError, first_line

GHM_BINS = 10
#: The boostfocal estimator of each loss (``"focal"``, ``"ghm"``) in each backend's module.
_ESTIMATORS = {"xgboost": {"focal": "FocalXGBClassifier", "ghm": "GHMXGBClassifier"},
               "lightgbm": {"focal": "FocalLGBMClassifier", "ghm": "GHMLGBMClassifier"}}


@dataclass(frozen=True)
class Entry:
    """One configuration in the comparison.

    Attributes
    ----------
    kind : {"logistic", "weighted", "focal", "ghm"}
    gamma : float, optional
        ``focal_gamma`` (focal entries only).
    balanced : bool
        Focal entries: ``focal_alpha="balanced"`` (else ``None``).
    """

    kind: str
    gamma: float | None = None
    balanced: bool = False

    @property
    def name(self) -> str:
        """Label used in the table, the files and the figures."""
        if self.kind == "logistic":
            return "logistic"
        if self.kind == "weighted":
            return "logistic, class-weighted"
        if self.kind == "ghm":
            return f"GHM-C ({GHM_BINS} bins)"
        alpha = ", alpha=balanced" if self.balanced else ""
        return f"focal gamma={format_gamma(self.gamma)}{alpha}"

    @property
    def alpha(self) -> str | None:
        """``"balanced"`` or None (focal entries)."""
        return "balanced" if self.balanced else None


def format_gamma(gamma: float) -> str:
    """``2.0`` as ``"2"``, ``0.5`` as ``"0.5"``."""
    return f"{gamma:g}"


def estimator_class(loss: str, backend: str) -> type:
    """The boostfocal estimator class of ``loss`` (``"focal"`` or ``"ghm"``) in ``backend``.

    Importing it imports the booster library: an ImportError says it is missing.
    """
    module = importlib.import_module(f"..{backend}", __package__)
    return getattr(module, _ESTIMATORS[backend][loss])


def check_backend(backend: str) -> None:
    """Import the booster library now, so a missing one is a one-line error."""
    try:
        estimator_class("focal", backend)
    except ImportError as exc:
        raise CompareError(f"--backend {backend} needs {backend}: pip install "
                           f"\"boostfocal[{backend}]\" ({first_line(exc)})") from None


def xgboost_min_child_weight() -> float:
    """``min_child_weight`` for every XGBoost entry: boostfocal's focal default."""
    from ..xgboost import FOCAL_MIN_CHILD_WEIGHT

    return float(FOCAL_MIN_CHILD_WEIGHT)


def make_entries(n_classes: int, gammas: list[float], ghm: bool) -> list[Entry]:
    """All entries in table order: baselines, GHM-C, then focal by alpha and gamma."""
    entries = [Entry("logistic"), Entry("weighted")]
    if ghm:
        entries.append(Entry("ghm"))
    for balanced in (False, True):
        entries.extend(Entry("focal", g, balanced) for g in gammas)
    return entries


def booster_params(backend: str, n_estimators: int, learning_rate: float, seed: int,
                   threads: int, categorical: bool) -> dict[str, Any]:
    """Booster settings shared by every entry (see the module docstring)."""
    params: dict[str, Any] = {"n_estimators": n_estimators, "learning_rate": learning_rate,
                              "random_state": seed, "n_jobs": threads}
    if backend == "xgboost":
        params.update(verbosity=0, tree_method="hist",
                      min_child_weight=xgboost_min_child_weight())
        if categorical:
            params["enable_categorical"] = True
    else:
        params["verbose"] = -1
    return params


def entry_params(entry: Entry, backend: str, y_train: np.ndarray, n_classes: int
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """What sets ``entry`` apart: its constructor parameters and ``fit`` keyword arguments.

    Class weights come from ``y_train`` (the rows the estimator is fitted on).
    """
    if entry.kind == "focal":
        return {"focal_gamma": entry.gamma, "focal_alpha": entry.alpha}, {}
    if entry.kind == "ghm":
        return {"ghm_bins": GHM_BINS}, {}
    if entry.kind == "logistic" or backend == "lightgbm":
        return {"class_weight": "balanced" if entry.kind == "weighted" else None} \
            if backend == "lightgbm" else {}, {}
    if n_classes == 2:
        counts = np.bincount(y_train, minlength=2)
        return {"scale_pos_weight": float(counts[0] / counts[1])}, {}
    return {}, {"sample_weight": compute_sample_weight("balanced", y_train)}


def estimator_for(entry: Entry, backend: str) -> type:
    """The estimator class of ``entry``: the booster's own classifier for the baselines."""
    if entry.kind in ("logistic", "weighted"):
        if backend == "xgboost":
            import xgboost as xgb

            return xgb.XGBClassifier
        import lightgbm as lgb

        return lgb.LGBMClassifier
    return estimator_class(entry.kind, backend)


def build(entry: Entry, backend: str, y_train: np.ndarray, n_classes: int,
          params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The estimator for ``entry`` and the keyword arguments of its ``fit``.

    Parameters
    ----------
    entry : Entry
        The configuration.
    backend : {"xgboost", "lightgbm"}
        Booster library.
    y_train : ndarray of int
        Training labels of this fold (for the class weights).
    n_classes : int
        Number of classes K.
    params : dict
        Booster settings shared by every entry.

    Returns
    -------
    estimator, fit_kwargs
    """
    extra, fit_kwargs = entry_params(entry, backend, y_train, n_classes)
    return estimator_for(entry, backend)(**params, **extra), fit_kwargs
