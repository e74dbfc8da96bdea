"""LightGBM backend: native objective and metric, and the scikit-learn estimator.

Native use with ``lightgbm.train``::

    import numpy as np
    import lightgbm as lgb
    from boostfocal import FocalLoss
    from boostfocal.lightgbm import make_metric, make_objective

    loss = FocalLoss(gamma=2.0)
    start = loss.init_score(y_train)                      # focal-optimal constant margin
    dtrain = lgb.Dataset(X_train, y_train, init_score=np.full(len(y_train), start))
    dvalid = lgb.Dataset(X_valid, y_valid, init_score=np.full(len(y_valid), start))
    params = {"objective": make_objective(loss), "metric": "None"}
    booster = lgb.train(params, dtrain, 300, valid_sets=[dvalid], feval=make_metric(loss),
                        callbacks=[lgb.early_stopping(20)])
    # predict() never adds init_score back: add the start yourself.
    margin = booster.predict(X_test, raw_score=True,
                             num_iteration=booster.best_iteration) + start
    proba = loss.predict_proba(margin)[:, 1]              # class posterior P(y=1 | x)

``"metric": "None"`` matters: under a custom objective LightGBM's built-in metrics read
raw scores as probabilities (``binary_logloss`` is then meaningless) and early stopping
would act on them. For K classes use ``SoftmaxFocalLoss``, ``"num_class": K`` and an
init score of shape (n, K) (``np.tile(loss.init_score(y_train), (n, 1))``).
"""

from __future__ import annotations

from ._adapter import METRIC_NAME, NativeMetric, NativeObjective
from ._optional import import_optional

lgb = import_optional("lightgbm", "lightgbm")

__all__ = ["make_objective", "make_metric"]


def _labels_weights(dataset):
    y = dataset.get_label()
    w = dataset.get_weight()
    return y, w


class LGBMObjective(NativeObjective):
    """``objective(preds, train_data) -> (grad, hess)`` for ``lightgbm.train``.

    Reads labels and weights from the Dataset and multiplies the gradient and Hessian
    by the weights. Multiclass predictions arrive as (n, K); a flat array is read
    class-major (column-major), LightGBM's own order.
    """

    flat_order = "F"

    def _labels_weights(self, data):
        return _labels_weights(data)


class LGBMMetric(NativeMetric):
    """``feval(preds, data) -> ("focal_loss", value, False)`` for ``lightgbm.train``.

    The value is the weighted mean focal loss of the raw scores; ``False`` tells early
    stopping to minimize it.
    """

    flat_order = "F"

    def _labels_weights(self, data):
        return _labels_weights(data)

    def __call__(self, preds, data):
        return METRIC_NAME, self.value(preds, data), False


def make_objective(loss) -> LGBMObjective:
    """Objective for ``lightgbm.train(params={"objective": ...})``.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to train on.

    Returns
    -------
    LGBMObjective
        A picklable callable ``(preds, train_data) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant with ``init_score`` on every Dataset, and add
    it back to ``predict(raw_score=True)`` (LightGBM does not)::

        start = loss.init_score(y)
        dtrain = lgb.Dataset(X, y, init_score=np.full(len(y), start))
        booster = lgb.train({"objective": make_objective(loss), "metric": "None"}, dtrain, 100)
        margin = booster.predict(X_new, raw_score=True) + start
    """
    return LGBMObjective(loss)


def make_metric(loss) -> LGBMMetric:
    """Metric for ``lightgbm.train(feval=...)``: weighted mean focal loss.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to report.

    Returns
    -------
    LGBMMetric
        A picklable callable ``(preds, data) -> ("focal_loss", value, False)``. Pair it
        with ``"metric": "None"`` so that no built-in metric, computed on raw scores as
        if they were probabilities, takes part in early stopping.
    """
    return LGBMMetric(loss)
