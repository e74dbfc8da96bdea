"""Early stopping in ``boostfocal compare`` (``--early-stopping R``): one rule for all.

Every fit of a fold holds out the **same** seeded, stratified 10% of that fold's training
rows (:func:`held_out`), trains on the other 90%, and stops after ``R`` rounds in which
the **log-loss of its predicted probabilities** on the held-out rows has not improved;
its predictions then use the best round. The metric is the same for every entry (the
focal entries are not judged on their own loss): the log-loss of ``predict_proba``,
which for the focal models is the class posterior recovered from their margins
(:class:`PosteriorLogLoss`). ``--n-estimators`` is the ceiling.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedShuffleSplit

from ._entries import GHM_BINS, Entry

#: Share of each training fold held out to decide when to stop.
HELD_OUT = 0.1
#: The name under which the boosters report the stopping metric.
METRIC_NAME = "posterior_logloss"
#: How the report names it.
METRIC_TEXT = ("log-loss of the predicted probabilities (predict_proba: the class "
               "posterior for the focal models) on a held-out 10% of the training fold")


def held_out(y_train: np.ndarray, seed: int, repeat: int, fold: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the training fold to fit on and to stop on (a stratified 10%).

    Seeded by ``(seed, repeat, fold)`` alone, so every entry of a fold gets the same rows.

    Parameters
    ----------
    y_train : ndarray of int
        Labels of the training fold.
    seed, repeat, fold : int
        The run's seed and the fold's place (1-based repeat and fold).

    Returns
    -------
    fit, stop : ndarray of int
        Positions into ``y_train``.

    Raises
    ------
    ValueError
        When a class has too few rows to appear on both sides.
    """
    state = int(np.random.SeedSequence([seed, repeat, fold]).generate_state(1)[0])
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=HELD_OUT, random_state=state)
    fit, stop = next(splitter.split(np.zeros(y_train.shape[0]), y_train))
    return np.sort(fit), np.sort(stop)


class PosteriorLogLoss:
    """The stopping metric: log-loss of the class probabilities the entry predicts.

    A picklable callable for both boosters' scikit-learn ``eval_metric``:
    ``(y_true, y_pred, sample_weight=None)``. ``y_pred`` is what the booster hands a
    custom metric: probabilities for the built-in objectives, margins (starting score
    included) for boostfocal's estimators, which ``loss.predict_proba`` turns into the
    class posterior.

    Parameters
    ----------
    n_classes : int
        Number of classes K.
    loss : loss object, optional
        The entry's loss (``alpha="balanced"`` resolved); None for the built-in objectives.
    lightgbm : bool, default=False
        Return LightGBM's ``(name, value, is_higher_better)`` instead of the value.
    """

    __name__ = METRIC_NAME  # XGBoost names a callable metric by it; minimized

    def __init__(self, n_classes: int, loss=None, lightgbm: bool = False) -> None:
        self.n_classes = n_classes
        self.loss = loss
        self.lightgbm = lightgbm

    def proba(self, y_pred: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, K), from what the booster passed."""
        pred = np.asarray(y_pred, dtype=np.float64)
        if self.loss is not None:
            pred = np.asarray(self.loss.predict_proba(pred), dtype=np.float64)
        if pred.ndim == 1:
            pred = np.column_stack([1.0 - pred, pred])
        pred = pred.reshape(-1, self.n_classes)
        return pred / pred.sum(axis=1, keepdims=True)  # float32 rows sum to 1 +- 1e-7

    def __call__(self, y_true, y_pred, sample_weight=None):
        value = float(log_loss(np.asarray(y_true).astype(np.int64), self.proba(y_pred),
                               labels=np.arange(self.n_classes)))
        return (METRIC_NAME, value, False) if self.lightgbm else value


def entry_loss(entry: Entry, y_fit: np.ndarray, n_classes: int):
    """The loss an entry's estimator trains on, built from the public loss objects.

    None for the built-in objectives (their boosters pass probabilities already).
    """
    from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

    if entry.kind == "ghm":
        return GHMLoss(bins=GHM_BINS)
    if entry.kind != "focal":
        return None
    cls = FocalLoss if n_classes == 2 else SoftmaxFocalLoss
    return cls(gamma=entry.gamma, alpha=entry.alpha).resolve(y_fit, n_classes=n_classes)


def stopping_kwargs(model, entry: Entry, backend: str, y_fit: np.ndarray, n_classes: int,
                    X_stop, y_stop: np.ndarray, rounds: int) -> dict[str, Any]:
    """Set up ``model`` to stop early; returns the extra keyword arguments of its ``fit``.

    XGBoost: ``early_stopping_rounds`` and the metric as ``eval_metric`` (XGBoost's own
    default metric off). LightGBM: the metric through ``fit(eval_metric=...)`` and the
    ``early_stopping`` callback on the first metric only (the focal estimators report
    their own loss after it); LightGBM's own default metric off for its objectives.
    """
    metric = PosteriorLogLoss(n_classes, entry_loss(entry, y_fit, n_classes),
                              lightgbm=backend == "lightgbm")
    if backend == "xgboost":
        model.set_params(early_stopping_rounds=rounds, eval_metric=metric,
                         disable_default_eval_metric=1)
        return {"eval_set": [(X_stop, y_stop)], "verbose": False}
    import lightgbm as lgb

    if entry.kind in ("logistic", "weighted"):
        model.set_params(metric="None")
    # LightGBM 4.7 renamed eval_set (deprecated) to eval_X/eval_y; the labels here are
    # class indices already, so eval_y's lack of label encoding does not matter
    evals = ({"eval_X": (X_stop,), "eval_y": (y_stop,)}
             if "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters
             else {"eval_set": [(X_stop, y_stop)]})
    return {**evals, "eval_metric": metric,
            "callbacks": [lgb.early_stopping(rounds, first_metric_only=True, verbose=False)]}


def rounds_used(model, backend: str, n_estimators: int) -> int:
    """Boosting rounds the fitted model predicts with (the best one when it stopped)."""
    if backend == "xgboost":
        best = getattr(model, "best_iteration", None)
        return n_estimators if best is None else int(best) + 1
    best = getattr(model, "best_iteration_", None)
    return int(best) if best else n_estimators
