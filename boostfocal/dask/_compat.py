"""The private internals of ``xgboost.dask`` and ``lightgbm.dask`` that boostfocal uses.

Everything the Dask estimators use beyond the libraries' public Dask APIs is named here,
with the versions it was checked on (XGBoost 3.2.0 and 3.0.0, LightGBM 4.7.0 and 4.0.0,
the newest tested and the oldest declared). The booster libraries themselves are
imported on first use, so that each Dask estimator needs only its own library.
"""

from __future__ import annotations

import inspect

import numpy as np

from .._optional import import_optional

# ---------------------------------------------------------------------------------------
# XGBoost
# ---------------------------------------------------------------------------------------

# DaskXGBClassifier's private coroutines and their synchronous driver: the only way to run
# its fit and predict with a base margin and callables of ours under either kind of client
# (synchronous or asynchronous). Checked on XGBoost 3.2.0 and 3.0.0 (keyword-only
# arguments, same names).
def xgb_client_sync(estimator, func, **kwargs):
    """``DaskXGBModel._client_sync``: run the coroutine ``func`` on the estimator's client.

    Returns ``func``'s result, or an awaitable of it when the client is asynchronous.
    """
    return estimator._client_sync(func, **kwargs)


async def xgb_fit_async(estimator, X, y, **kwargs):
    """``DaskXGBClassifier._fit_async`` of ``estimator``, bypassing its own overrides."""
    dxgb = import_optional("xgboost.dask", "dask")
    return await dxgb.DaskXGBClassifier._fit_async(estimator, X, y, **kwargs)


async def xgb_predict_async(estimator, X, **kwargs):
    """``DaskXGBClassifier._predict_async`` of ``estimator`` (a lazy dask collection)."""
    dxgb = import_optional("xgboost.dask", "dask")
    return await dxgb.DaskXGBClassifier._predict_async(estimator, X, **kwargs)

# ---------------------------------------------------------------------------------------
# LightGBM
# ---------------------------------------------------------------------------------------

def trust_encoded_labels(model, n_classes: int) -> None:
    """Make an ``LGBMClassifier`` take labels 0..K-1 as they are, with K = ``n_classes``.

    What ``LGBMClassifier.fit`` sets before training (``_le``, ``_classes``,
    ``_class_map``, ``_n_classes``, ``_objective``), so that ``LGBMModel.fit`` can run
    on a Dask worker whose partition may lack a class.
    """
    from sklearn.preprocessing import LabelEncoder

    model._le = LabelEncoder().fit(np.arange(n_classes))
    model._classes = model._le.classes_
    model._class_map = {i: i for i in range(n_classes)}
    model._n_classes = n_classes
    model._objective = model.objective


#: Attributes of a worker's fitted ``LGBMClassifier`` that hold its parameters' storage
#: and its (encoded) labels, not the model: the Dask estimator does not take them over.
WORKER_PRIVATE_STATE = frozenset({"client", "_other_params", "_classes", "_le",
                                  "_class_map", "_class_weight"})


# lightgbm.dask._train, _predict and _DaskLGBMModel._lgb_dask_to_local: checked on 4.7.0
# and 4.0.0. The Dask estimator trains through _train with a worker model of its own
# (model_factory) so that every worker agrees on the number of classes.
def _lightgbm_dask():
    import_optional("distributed", "dask")
    return import_optional("lightgbm.dask", "dask")


def lgbm_train(*, eval_Xs: list, eval_ys: list, **kwargs):
    """``lightgbm.dask._train`` with the evaluation sets as this LightGBM takes them.

    ``eval_X``/``eval_y`` from LightGBM 4.7 (checked on 4.7.0), where ``eval_set`` is
    deprecated; ``eval_set`` before (checked on 4.0.0, which passes an unknown ``eval_X``
    on to ``LGBMModel.fit`` and fails there).
    """
    train = _lightgbm_dask()._train
    if eval_Xs and "eval_X" in inspect.signature(train).parameters:
        kwargs.update(eval_X=tuple(eval_Xs), eval_y=tuple(eval_ys))
    elif eval_Xs:
        kwargs["eval_set"] = list(zip(eval_Xs, eval_ys, strict=True))
    return train(**kwargs)


def lgbm_predict(**kwargs):
    """``lightgbm.dask._predict``: a local model's predictions, block by block."""
    return _lightgbm_dask()._predict(**kwargs)


def lgbm_to_local(estimator, model_factory):
    """``DaskLGBMModel._lgb_dask_to_local``: the fitted model as a ``model_factory``."""
    return estimator._lgb_dask_to_local(model_factory)
