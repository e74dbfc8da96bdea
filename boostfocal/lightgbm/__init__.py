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
init score of shape (n, K) (``np.tile(loss.init_score(y_train), (n, 1))``). ``GHMLoss``
(binary GHM-C) plugs in the same way; its metric is ``"logloss"``. ``lightgbm.train``
deep-copies its parameters, so it trains a copy of the ``GHMLoss`` (whose moving average
belongs to one run) and leaves yours untouched.
"""

from __future__ import annotations

from ._adapter import LGBMMetric, LGBMObjective, make_metric, make_objective
from ._estimator import FocalLGBMClassifier, GHMLGBMClassifier
from ._fit import LGBM_DEFAULT_MIN_CHILD_WEIGHT

__all__ = ["make_objective", "make_metric", "FocalLGBMClassifier", "GHMLGBMClassifier",
           "LGBMObjective", "LGBMMetric", "LGBM_DEFAULT_MIN_CHILD_WEIGHT"]

# Pickles and reprs name the public module, not where the code happens to live.
for _public in (FocalLGBMClassifier, GHMLGBMClassifier):
    _public.__module__ = __name__
del _public
