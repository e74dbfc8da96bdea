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
