"""XGBoost native objective and metric: ``make_objective`` and ``make_metric``.

Two calling conventions, one :class:`~boostfocal._shared.adapter.Layout` each:
``xgboost.train``'s ``(preds, dtrain)`` (:data:`XGB_TRAIN`) and XGBClassifier's callable
``(y_true, y_pred, sample_weight=None)`` (:data:`XGB_SKLEARN`). Both read flat
multiclass predictions row-major, scale the softmax curvature as ``multi:softprob``
does (``2 p (1 - p)``) and weight the gradients in the loss (XGBoost does not apply
sample weights to a custom objective).
"""

from __future__ import annotations

from dataclasses import replace

from .._shared.adapter import (
    Layout,
    NativeMetric,
    NativeObjective,
    name_value,
    value_only,
    weights_or_none,
)
from .._shared.docs import XGBOOST_WORDS, fill_doc


def xgboost_softmax_factor(n_classes: int) -> float:
    """XGBoost's ``multi:softprob`` hands its trees ``2 p (1 - p)``."""
    return 2.0


def _read_dmatrix(preds, dtrain):
    """``xgboost.train``: labels and weights from the DMatrix."""
    return dtrain.get_label(), preds, weights_or_none(dtrain.get_weight())


def _read_sklearn(y_true, y_pred, sample_weight=None):
    """XGBClassifier: XGBoost passes weights to a parameter named ``sample_weight``."""
    return y_true, y_pred, weights_or_none(sample_weight)


#: ``xgboost.train(obj=..., custom_metric=...)``: ``(preds, dtrain)``; a metric returns
#: ``(name, value)``.
XGB_TRAIN = Layout(read=_read_dmatrix, flat_order="C",
                   softmax_factor=xgboost_softmax_factor, report=name_value)

#: XGBClassifier's ``objective`` and ``eval_metric`` callables:
#: ``(y_true, y_pred, sample_weight=None)``; a metric returns its value and is named by
#: its ``__name__``.
XGB_SKLEARN = replace(XGB_TRAIN, read=_read_sklearn, report=value_only)


class XGBObjective(NativeObjective):
    """``obj(preds, dtrain) -> (grad, hess)`` for ``xgboost.train``.

    Reads labels and sample weights from the DMatrix; the gradient and Hessian are
    multiplied by the weights (XGBoost does not apply them to custom objectives).
    Multiclass predictions arrive as (n, K); a flat array is read row-major.
    """

    layout = XGB_TRAIN


class XGBMetric(NativeMetric):
    """``custom_metric(preds, dtrain) -> (name, value)`` for ``xgboost.train``.

    The value is the weighted mean of ``loss.loss`` on the raw margins: ``"focal_loss"``,
    or ``"logloss"`` for GHM-C. Neither name starts with ``auc``/``map``/``ndcg``/``pre``,
    so early stopping minimizes it.
    """

    layout = XGB_TRAIN


class _FocalObjective(NativeObjective):
    """``objective(y_true, y_pred, sample_weight=None)`` in XGBClassifier's signature."""

    layout = XGB_SKLEARN


class _FocalMetric(NativeMetric):
    """``metric(y_true, y_pred, sample_weight=None) -> value`` for XGBClassifier.

    XGBClassifier names a callable metric by its ``__name__``: "focal_loss", or "logloss"
    for GHM-C. Neither starts with ``auc``/``map``/``ndcg``/``pre``, so early stopping
    minimizes it.
    """

    layout = XGB_SKLEARN


@fill_doc(**XGBOOST_WORDS)
def make_objective(loss, n_threads: int | None = None) -> XGBObjective:
    """Objective for ``xgboost.train(obj=...)``.

    ${objective_params}

    Returns
    -------
    XGBObjective
        A picklable callable ``(preds, dtrain) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant by passing it as the DMatrix base margin, and
    pass the same base margin again when predicting (XGBoost does not store it):

    >>> import numpy as np
    >>> import xgboost as xgb
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal import FocalLoss
    >>> from boostfocal.xgboost import make_metric, make_objective
    >>> X, y = make_classification(n_samples=1000, weights=[0.9], random_state=0)
    >>> loss = FocalLoss(gamma=2.0)
    >>> start = loss.init_score(y)
    >>> dtrain = xgb.DMatrix(X, y, base_margin=np.full(len(y), start))
    >>> booster = xgb.train({"disable_default_eval_metric": 1, "nthread": 1}, dtrain, 20,
    ...                     obj=make_objective(loss), custom_metric=make_metric(loss))
    >>> dnew = xgb.DMatrix(X[:5], base_margin=np.full(5, start))
    >>> margin = booster.predict(dnew, output_margin=True)
    >>> loss.predict_proba(margin).shape       # the class posterior
    (5, 2)
    """
    return XGBObjective(loss, n_threads=n_threads)


@fill_doc(**XGBOOST_WORDS)
def make_metric(loss, n_threads: int | None = None) -> XGBMetric:
    """Metric for ``xgboost.train(custom_metric=...)``: the loss's weighted mean.

    ${metric_params}

    Returns
    -------
    XGBMetric
        A picklable callable ``(preds, dtrain) -> (name, value)``, minimized by early
        stopping. Set ``"disable_default_eval_metric": 1`` in the parameters so that
        XGBoost's default metric, meaningless here, is not computed beside it.
    """
    return XGBMetric(loss, n_threads=n_threads)
