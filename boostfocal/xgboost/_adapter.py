"""XGBoost native objective and metric: ``make_objective`` and ``make_metric``."""

from __future__ import annotations

import numpy as np

from .._optional import import_optional
from .._shared.adapter import NativeMetric, NativeObjective, xgboost_softmax_factor

xgb = import_optional("xgboost", "xgboost")





def _labels_weights(dtrain):
    y = dtrain.get_label()
    w = dtrain.get_weight()
    return y, (w if w.size else None)


class XGBObjective(NativeObjective):
    """``obj(preds, dtrain) -> (grad, hess)`` for ``xgboost.train``.

    Reads labels and sample weights from the DMatrix; the gradient and Hessian are
    multiplied by the weights (XGBoost does not apply them to custom objectives).
    Multiclass predictions arrive as (n, K); a flat array is read row-major.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)


class XGBMetric(NativeMetric):
    """``custom_metric(preds, dtrain) -> (name, value)`` for ``xgboost.train``.

    The value is the weighted mean of ``loss.loss`` on the raw margins: ``"focal_loss"``,
    or ``"logloss"`` for GHM-C. Neither name starts with ``auc``/``map``/``ndcg``/``pre``,
    so early stopping minimizes it.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)

    def __call__(self, preds, data):
        return self.name, self.value(preds, data)


def make_objective(loss, n_threads: int | None = None) -> XGBObjective:
    """Objective for ``xgboost.train(obj=...)``.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to train on. A focal loss with ``alpha="balanced"`` must be resolved
        first (``loss.resolve(y_train, sample_weight)``). A :class:`~boostfocal.GHMLoss`
        carries the state of one training run: use a fresh one for every ``train`` call.
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it XGBoost's ``nthread`` to keep both on the same cores.

    Returns
    -------
    XGBObjective
        A picklable callable ``(preds, dtrain) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant by passing it as the DMatrix base margin, and
    pass the same base margin again when predicting (XGBoost does not store it)::

        start = loss.init_score(y)
        dtrain = xgb.DMatrix(X, y, base_margin=np.full(len(y), start))
        booster = xgb.train({}, dtrain, 100, obj=make_objective(loss))
        margin = booster.predict(xgb.DMatrix(X_new, base_margin=np.full(len(X_new), start)),
                                 output_margin=True)
    """
    return XGBObjective(loss, n_threads=n_threads)


def make_metric(loss, n_threads: int | None = None) -> XGBMetric:
    """Metric for ``xgboost.train(custom_metric=...)``: the loss's weighted mean.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to report: the weighted mean focal loss (``"focal_loss"``), or for
        :class:`~boostfocal.GHMLoss` the weighted mean logistic loss (``"logloss"``).
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it XGBoost's ``nthread`` to keep both on the same cores.

    Returns
    -------
    XGBMetric
        A picklable callable ``(preds, dtrain) -> (name, value)``, minimized by early
        stopping. Set ``"disable_default_eval_metric": 1`` in the parameters so that
        XGBoost's default metric, meaningless here, is not computed beside it.
    """
    return XGBMetric(loss, n_threads=n_threads)


def _pair_labels_weights(data):
    """Labels and weights as XGBClassifier hands them to a callable: a ``(y, w)`` pair."""
    y, w = data
    return y, (w if w is not None and np.size(w) else None)


class _FocalObjective(NativeObjective):
    """``objective(y_true, y_pred, sample_weight=None)`` in XGBClassifier's signature.

    A thin proxy: the labels and weights XGBoost hands over are passed to the loss as
    they are (XGBoost does not weight custom gradients itself; the loss does). The
    parameter must be named ``sample_weight``: that is how XGBoost detects weight support.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _pair_labels_weights(data)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return super().__call__(y_pred, (y_true, sample_weight))


class _FocalMetric(NativeMetric):
    """``metric(y_true, y_pred, sample_weight=None)``: the loss's weighted mean.

    XGBClassifier names a callable metric by its ``__name__``: "focal_loss", or "logloss"
    for GHM-C. Neither starts with ``auc``/``map``/``ndcg``/``pre``, so early stopping
    minimizes it.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def __init__(self, loss, n_threads: int | None = None) -> None:
        super().__init__(loss, n_threads=n_threads)
        self.__name__ = self.name

    def _labels_weights(self, data):
        return _pair_labels_weights(data)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        return self.value(y_pred, (y_true, sample_weight))
