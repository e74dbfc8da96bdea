"""LightGBM's private internals and version differences that boostfocal depends on.

Everything boostfocal uses from LightGBM beyond its public API is named here, with the
versions it was checked on: LightGBM 4.7.0 (the newest tested) and 4.0.0 (the oldest
declared in ``pyproject.toml``, which the smoke suite in ``tests/smoke`` runs).

Besides the functions below, the estimators override one private hook,
``LGBMModel._process_params(stage)`` (checked on 4.7.0 and 4.0.0: it returns the booster
parameters of ``fit`` and ``predict`` from ``get_params()``), to keep the loss parameters
away from LightGBM and to hand it the loss objective.
"""

from __future__ import annotations

import inspect

import numpy as np

from .._optional import import_optional

lgb = import_optional("lightgbm", "lightgbm")


# lightgbm.basic._ConfigAliases: checked on 4.7.0 and 4.0.0.
def aliases(name: str) -> set:
    """Every name LightGBM accepts for the parameter ``name`` (``name`` included)."""
    return lgb.basic._ConfigAliases.get(name)


def user_value(params: dict, name: str):
    """The value the user gave for ``name`` or any alias of it (``None`` if none).

    The aliases are read in LightGBM's own order of precedence
    (``_ConfigAliases.get_sorted``, checked on 4.7.0 and 4.0.0).
    """
    for alias in lgb.basic._ConfigAliases.get_sorted(name):
        if params.get(alias) is not None:
            return params[alias]
    return None


# lightgbm.basic._choose_param_value: checked on 4.7.0 and 4.0.0.
def param_value(name: str, params: dict, default):
    """The value LightGBM will use for ``name`` (an alias's, or ``default``)."""
    return lgb.basic._choose_param_value(name, params, default)[name]


# The fitted state of LGBMClassifier: checked on 4.7.0 and 4.0.0 (same attribute names).
def set_fitted_labels(model, classes: np.ndarray) -> None:
    """``classes_`` / ``n_classes_`` of a fitted ``LGBMClassifier`` (``_classes``...)."""
    model._classes = classes
    model._n_classes = classes.shape[0]


def set_fitted_objective(model, objective) -> None:
    """``objective_`` of a fitted ``LGBMModel`` (its ``_objective``)."""
    model._objective = objective


def set_fitted_booster(model, booster) -> None:
    """The fitted state of ``LGBMModel`` around a loaded ``booster`` (``fitted_`` set)."""
    model._Booster = booster
    model._n_features = booster.num_feature()
    model._n_features_in = model._n_features
    names = booster.feature_name()
    model._fitted_with_feature_names = names != [f"Column_{i}" for i in range(len(names))]
    model._evals_result = {}
    model._best_iteration = booster.best_iteration
    model._best_score = {}
    model.fitted_ = True


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
def _dask():
    import_optional("distributed", "dask")
    return import_optional("lightgbm.dask", "dask")


def dask_train(*, eval_Xs: list, eval_ys: list, **kwargs):
    """``lightgbm.dask._train`` with the evaluation sets as this LightGBM takes them.

    ``eval_X``/``eval_y`` from LightGBM 4.7 (checked on 4.7.0), where ``eval_set`` is
    deprecated; ``eval_set`` before (checked on 4.0.0, which passes an unknown ``eval_X``
    on to ``LGBMModel.fit`` and fails there).
    """
    train = _dask()._train
    if eval_Xs and "eval_X" in inspect.signature(train).parameters:
        kwargs.update(eval_X=tuple(eval_Xs), eval_y=tuple(eval_ys))
    elif eval_Xs:
        kwargs["eval_set"] = list(zip(eval_Xs, eval_ys, strict=True))
    return train(**kwargs)


def dask_predict(**kwargs):
    """``lightgbm.dask._predict``: a local model's predictions, block by block."""
    return _dask()._predict(**kwargs)


def dask_to_local(estimator, model_factory):
    """``DaskLGBMModel._lgb_dask_to_local``: the fitted model as a ``model_factory``."""
    return estimator._lgb_dask_to_local(model_factory)
