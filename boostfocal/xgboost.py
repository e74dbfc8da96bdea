"""XGBoost backend: native objective and metric, and the scikit-learn estimator.

Native use with ``xgboost.train``::

    import numpy as np
    import xgboost as xgb
    from boostfocal import FocalLoss
    from boostfocal.xgboost import make_metric, make_objective

    loss = FocalLoss(gamma=2.0)
    start = loss.init_score(y_train)                      # focal-optimal constant margin
    dtrain = xgb.DMatrix(X_train, y_train, base_margin=np.full(len(y_train), start))
    dvalid = xgb.DMatrix(X_valid, y_valid, base_margin=np.full(len(y_valid), start))
    booster = xgb.train({"disable_default_eval_metric": 1}, dtrain, 300,
                        obj=make_objective(loss), custom_metric=make_metric(loss),
                        evals=[(dvalid, "valid")], early_stopping_rounds=20)
    # base_margin is not stored in the model: give it again when predicting.
    dtest = xgb.DMatrix(X_test, base_margin=np.full(len(X_test), start))
    margin = booster.predict(dtest, output_margin=True,
                             iteration_range=(0, booster.best_iteration + 1))
    proba = loss.predict_proba(margin)[:, 1]              # class posterior P(y=1 | x)

For K classes use ``SoftmaxFocalLoss``, ``params["num_class"] = K`` and a base margin of
shape (n, K) (``np.tile(loss.init_score(y_train), (n, 1))``).
"""

from __future__ import annotations

from ._adapter import METRIC_NAME, NativeMetric, NativeObjective
from ._optional import import_optional

xgb = import_optional("xgboost", "xgboost")

__all__ = ["make_objective", "make_metric"]


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

    def _labels_weights(self, data):
        return _labels_weights(data)


class XGBMetric(NativeMetric):
    """``custom_metric(preds, dtrain) -> ("focal_loss", value)`` for ``xgboost.train``.

    The value is the weighted mean focal loss of the raw margins. Its name does not
    start with ``auc``/``map``/``ndcg``/``pre``, so early stopping minimizes it.
    """

    flat_order = "C"

    def _labels_weights(self, data):
        return _labels_weights(data)

    def __call__(self, preds, data):
        return METRIC_NAME, self.value(preds, data)


def make_objective(loss) -> XGBObjective:
    """Objective for ``xgboost.train(obj=...)``.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to train on.

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
    return XGBObjective(loss)


def make_metric(loss) -> XGBMetric:
    """Metric for ``xgboost.train(custom_metric=...)``: weighted mean focal loss.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to report.

    Returns
    -------
    XGBMetric
        A picklable callable ``(preds, dtrain) -> ("focal_loss", value)``, minimized by
        early stopping. Set ``"disable_default_eval_metric": 1`` in the parameters so that
        XGBoost's default metric, meaningless here, is not computed beside it.
    """
    return XGBMetric(loss)

