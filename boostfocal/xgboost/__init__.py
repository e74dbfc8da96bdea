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

To keep the start inside the model instead (so that saved files, ``predict`` without
a base margin and SHAP include it), give it as the margin-space ``base_score``, as the
estimators do: ``params["base_score"] = 1 / (1 + np.exp(-start))`` with
``"objective": "binary:logistic"``, or the K class margins with ``"multi:softprob"``
(XGBoost >= 3.1), and no base margin.

For K classes use ``SoftmaxFocalLoss``, ``params["num_class"] = K`` and a base margin of
shape (n, K) (``np.tile(loss.init_score(y_train), (n, 1))``). ``GHMLoss`` (binary GHM-C)
plugs in the same way; its metric is ``"logloss"``, and it keeps a moving average across
rounds, so give every ``xgboost.train`` call a fresh ``GHMLoss``.
"""

from __future__ import annotations

from ._adapter import XGBMetric, XGBObjective, make_metric, make_objective
from ._estimator import FocalXGBClassifier, GHMXGBClassifier
from ._model_file import FOCAL_MIN_CHILD_WEIGHT

__all__ = ["make_objective", "make_metric", "FocalXGBClassifier", "GHMXGBClassifier",
           "XGBObjective", "XGBMetric", "FOCAL_MIN_CHILD_WEIGHT"]

# Pickles and reprs name the public module, not where the code happens to live.
for _public in (FocalXGBClassifier, GHMXGBClassifier):
    _public.__module__ = __name__
del _public
