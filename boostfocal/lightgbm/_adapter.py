"""LightGBM native objective and metric: ``make_objective`` and ``make_metric``.

Two calling conventions, one :class:`~boostfocal._shared.adapter.Layout` each:
``lightgbm.train``'s ``(preds, train_data)`` (:data:`LGBM_TRAIN`) and the 3-argument
callable ``(y_true, y_pred, weight)`` of ``LGBMClassifier`` and ``DaskLGBMClassifier``
(:data:`LGBM_SKLEARN`). Both read flat multiclass predictions class-major, scale the
softmax curvature as ``multiclass`` does (``K/(K-1) p (1 - p)``), weight the gradients
in the loss, and a metric returns ``(name, value, False)``: minimized by early stopping.

Also here: the objective of the estimators' fits (:class:`_FitObjective`), the Dask
module's :func:`make_lgbm_objective` and :func:`make_lgbm_metric`, and the wrapper that
adds the starting score to a user's metric (:func:`_with_start`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace

from .._shared.adapter import (
    Layout,
    NativeMetric,
    NativeObjective,
    SignatureOf,
    name_value_minimized,
    weights_or_none,
)
from .._shared.docs import LIGHTGBM_WORDS, fill_doc


def lightgbm_softmax_factor(n_classes: int) -> float:
    """LightGBM's ``multiclass`` hands its trees ``K/(K-1) p (1 - p)``."""
    return n_classes / (n_classes - 1.0)


def _read_dataset(preds, train_data):
    """``lightgbm.train``: labels and weights from the Dataset."""
    return train_data.get_label(), preds, weights_or_none(train_data.get_weight())


def _read_sklearn(y_true, y_pred, weight):
    """LGBMClassifier: three parameters, so that LightGBM passes the weights."""
    return y_true, y_pred, weights_or_none(weight)


#: ``lightgbm.train(params={"objective": ...}, feval=...)``: ``(preds, train_data)``.
LGBM_TRAIN = Layout(read=_read_dataset, flat_order="F",
                    softmax_factor=lightgbm_softmax_factor, report=name_value_minimized)

#: ``LGBMClassifier``/``DaskLGBMClassifier`` callables: ``(y_true, y_pred, weight)``.
LGBM_SKLEARN = replace(LGBM_TRAIN, read=_read_sklearn)


class LGBMObjective(NativeObjective):
    """``objective(preds, train_data) -> (grad, hess)`` for ``lightgbm.train``.

    Reads labels and weights from the Dataset and multiplies the gradient and Hessian
    by the weights. Multiclass predictions arrive as (n, K); a flat array is read
    class-major (column-major), LightGBM's own order.
    """

    layout = LGBM_TRAIN


class LGBMMetric(NativeMetric):
    """``feval(preds, data) -> (name, value, False)`` for ``lightgbm.train``.

    The value is the weighted mean of ``loss.loss`` on the raw scores (``"focal_loss"``,
    or ``"logloss"`` for GHM-C); ``False`` tells early stopping to minimize it.
    """

    layout = LGBM_TRAIN


class LGBMSklearnObjective(NativeObjective):
    """``objective(y_true, y_pred, weight) -> (grad, hess)``: LightGBM's 3-argument form.

    The signature ``LGBMClassifier`` and ``DaskLGBMClassifier`` expect of a callable
    objective (they count its parameters; three means labels, raw scores and the
    Dataset's weights), with LightGBM's multiclass layout and curvature scale, as
    :func:`boostfocal.lightgbm.make_objective`.
    """

    layout = LGBM_SKLEARN


class LGBMSklearnMetric(NativeMetric):
    """``eval_metric(y_true, y_pred, weight) -> (name, value, False)``.

    LightGBM's 3-argument metric form: the weighted mean loss of the raw scores
    (``"focal_loss"``, or ``"logloss"`` for GHM-C); ``False`` tells early stopping to
    minimize it.
    """

    layout = LGBM_SKLEARN


#: The estimators' own metric in ``LGBMClassifier.fit(eval_metric=...)``.
_FocalEvalMetric = LGBMSklearnMetric


class _FitObjective(LGBMObjective):
    """The estimator's objective during ``fit``: not copied by ``copy.deepcopy``.

    ``lightgbm.train`` deep-copies its parameters, the objective included, so a loss with
    per-fit state (:class:`~boostfocal.GHMLoss`'s moving average) would train as a copy
    and ``loss_`` would never show the state it trained with. The estimator builds a
    fresh loss in every fit and owns it, so sharing it with LightGBM's copy is exactly
    what is wanted here (and nowhere else: native users keep LightGBM's copy).
    """

    def __deepcopy__(self, memo) -> _FitObjective:
        return self


@fill_doc(**LIGHTGBM_WORDS)
def make_objective(loss, n_threads: int | None = None) -> LGBMObjective:
    """Objective for ``lightgbm.train(params={"objective": ...})``.

    ${objective_params}

    Returns
    -------
    LGBMObjective
        A picklable callable ``(preds, train_data) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant with ``init_score`` on every Dataset, and add
    it back to ``predict(raw_score=True)`` (LightGBM does not):

    >>> import lightgbm as lgb
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal import FocalLoss
    >>> from boostfocal.lightgbm import make_metric, make_objective
    >>> X, y = make_classification(n_samples=1000, weights=[0.9], random_state=0)
    >>> loss = FocalLoss(gamma=2.0)
    >>> start = loss.init_score(y)
    >>> dtrain = lgb.Dataset(X, y, init_score=np.full(len(y), start))
    >>> params = {"objective": make_objective(loss), "metric": "None", "verbose": -1,
    ...           "num_threads": 1}
    >>> booster = lgb.train(params, dtrain, 20, valid_sets=[dtrain], feval=make_metric(loss))
    >>> margin = booster.predict(X[:5], raw_score=True) + start
    >>> loss.predict_proba(margin).shape       # the class posterior
    (5, 2)
    """
    return LGBMObjective(loss, n_threads=n_threads)


@fill_doc(**LIGHTGBM_WORDS)
def make_metric(loss, n_threads: int | None = None) -> LGBMMetric:
    """Metric for ``lightgbm.train(feval=...)``: the loss's weighted mean.

    ${metric_params}

    Returns
    -------
    LGBMMetric
        A picklable callable ``(preds, data) -> (name, value, False)``. Pair it
        with ``"metric": "None"`` so that no built-in metric, computed on raw scores as
        if they were probabilities, takes part in early stopping.
    """
    return LGBMMetric(loss, n_threads=n_threads)


def make_lgbm_objective(loss) -> LGBMSklearnObjective:
    """Objective for ``lightgbm.DaskLGBMClassifier(objective=...)`` (and ``LGBMClassifier``).

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to train on.

    Returns
    -------
    LGBMSklearnObjective
        A picklable callable ``(y_true, y_pred, weight) -> (grad, hess)``: three
        parameters, so LightGBM passes the sample weights.
    """
    return LGBMSklearnObjective(loss)


def make_lgbm_metric(loss) -> LGBMSklearnMetric:
    """Metric for ``DaskLGBMClassifier.fit(eval_metric=...)``: weighted mean focal loss.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss to report.

    Returns
    -------
    LGBMSklearnMetric
        A picklable callable ``(y_true, y_pred, weight) -> ("focal_loss", value, False)``.
    """
    return LGBMSklearnMetric(loss)


def _with_start(metric, start):
    """A user's callable ``eval_metric``, handed raw scores with the starting score added.

    The estimator trains without a per-row init score (see ``fit``), so LightGBM's raw
    scores leave the start out; a user's metric still sees the model's margins. The
    wrapper shows the user's signature, whose parameters LightGBM counts (2, 3 or 4;
    anything else is left to LightGBM to refuse).
    """
    if not callable(metric) or start is None:
        return metric
    try:
        n_params = len(inspect.signature(metric).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return metric
    return _StartAdded(metric, start) if n_params in (2, 3, 4) else metric


class _StartAdded:
    """``func(y_true, y_pred + start, *rest)``, with ``func``'s signature."""

    __signature__ = SignatureOf(lambda wrapper: wrapper.func)

    def __init__(self, func, start) -> None:
        self.func = func
        self.start = start

    def __call__(self, y_true, y_pred, *rest):
        return self.func(y_true, y_pred + self.start, *rest)
