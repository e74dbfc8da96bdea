"""Dask: train the focal-loss estimators on data that outgrows one machine.

Two estimators, drop-ins for their libraries' Dask classifiers with the ``focal_*``
parameters of the in-memory ones (:class:`~boostfocal.xgboost.FocalXGBClassifier`,
:class:`~boostfocal.lightgbm.FocalLGBMClassifier`):

- :class:`DaskFocalXGBClassifier`, built on :class:`xgboost.dask.DaskXGBClassifier`;
- :class:`DaskFocalLGBMClassifier`, built on :class:`lightgbm.DaskLGBMClassifier`.

They fit on dask arrays or dask DataFrames, binary or multiclass, with labels of any
sortable type, and ``decision_function``, ``predict_proba`` and ``predict`` return dask
arrays (``.compute()`` gives what the in-memory estimator returns). Each class is loaded
on first access, so ``boostfocal.dask`` needs only the booster you use.

What happens distributedly, and what comes back to the client:

- **Labels.** The classes are the sorted union of each block's unique labels (one small
  reduction: K values come back, never the labels). Every block is then encoded to
  0..K-1 where it lies (``map_blocks`` / ``map_partitions``). The evaluation sets'
  uniques come back in the same reduction: a label not among the classes is a
  ``ValueError`` before training starts.
- **Starting score.** The focal-optimal constant depends only on the weighted class
  totals. Each block contributes its ``bincount`` of labels, weighted by the sample
  weights (and checks them: finite, ``>= 0``); the K totals are summed on the cluster,
  and ``loss.init_score_from_totals`` runs on the client. The constant is the in-memory
  estimator's to within rounding (the sums are taken in a different order).
- **Margins.** The estimators put the starting score inside the booster, as in memory
  (one fit plan, ``boostfocal._estimator_core.fitplan``): XGBoost's ``base_score``, and for
  LightGBM the objective and metrics add it to the raw scores during training and it is
  folded into the first iteration's leaves afterwards. No per-row start travels with the data;
  ``save_model`` writes a complete model file. (The native recipes below hand the start
  as a lazy per-block base margin / init score instead.)
- **Probabilities.** The posterior correction (``focal_proba="posterior"``) is applied
  block by block to the margins with the fitted loss, exactly as in memory.

Connecting: pass nothing to use the default client (the last ``distributed.Client``
created), or point at a cluster::

    from distributed import Client
    client = Client("tcp://scheduler:8786")
    clf = DaskFocalLGBMClassifier(client=client, focal_gamma=2.0)   # LightGBM: constructor
    clf = DaskFocalXGBClassifier(focal_gamma=2.0)
    clf.client = client                                             # XGBoost: attribute

Native use with ``xgboost.dask.train`` (labels already 0..K-1)::

    import xgboost.dask as dxgb
    from boostfocal import FocalLoss
    from boostfocal.dask import init_score, start_margin
    from boostfocal.xgboost import make_metric, make_objective

    loss = FocalLoss(gamma=2.0)
    start = init_score(loss, y, client=client)          # class totals reduced on the cluster
    dtrain = dxgb.DaskDMatrix(client, X, y, base_margin=start_margin(start, X))
    out = dxgb.train(client, {"disable_default_eval_metric": 1}, dtrain, 100,
                     obj=make_objective(loss), custom_metric=make_metric(loss),
                     evals=[(dtrain, "train")])
    # base_margin is not stored in the model: give it again when predicting.
    dtest = dxgb.DaskDMatrix(client, X_test, base_margin=start_margin(start, X_test))
    margin = dxgb.predict(client, out["booster"], dtest, output_margin=True)
    proba = margin.map_blocks(loss.predict_proba, new_axis=1, chunks=(margin.chunks[0], (2,)))

With several workers XGBoost reports a custom metric as the plain average of the workers'
values (its convention for every Python metric), not the weighted mean over all rows.

Native use with ``lightgbm.DaskLGBMClassifier``: its scikit-learn layer chooses how to
call a callable objective by *counting its parameters* (2: ``(y_true, y_pred)``, which
silently drops the weights; 3: adds ``weight``), so the native adapters of
``boostfocal.lightgbm`` (``(preds, dataset)``) do not fit there. Use
:func:`make_lgbm_objective` and :func:`make_lgbm_metric`, the 3-argument forms::

    import lightgbm as lgb
    from boostfocal.dask import make_lgbm_metric, make_lgbm_objective

    start = init_score(loss, y, client=client)
    clf = lgb.DaskLGBMClassifier(client=client, objective=make_lgbm_objective(loss),
                                 metric="None", n_estimators=100)
    clf.fit(X, y, init_score=start_margin(start, X), eval_metric=make_lgbm_metric(loss))
    # predict_proba returns raw scores under a custom objective, without the init score.
    margin = clf.predict_proba(X_test) + start
    proba = margin.map_blocks(loss.predict_proba, new_axis=1, chunks=(margin.chunks[0], (2,)))

``metric="None"`` switches off LightGBM's default metric, which reads raw scores as
probabilities under a custom objective. Each worker of ``lightgbm.DaskLGBMClassifier``
label-encodes its own rows, so every worker must hold every class: otherwise it
silently trains a model with fewer classes (lightgbm 4.7: 3-class labels sorted into
blocks gave ``n_classes_ == 2``, no error). :class:`DaskFocalLGBMClassifier` encodes the
labels over the whole data set and does not have that restriction.

For K classes use ``SoftmaxFocalLoss`` (``init_score(loss, y, n_classes=K)``, a start of
shape (K,), margins of shape (n, K), ``num_class=K`` for XGBoost) and
``chunks=margin.chunks`` with no ``new_axis`` in the ``map_blocks`` call.

All adapters and loss objects are plain picklable objects: they travel to the workers
with the task graph.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._lazy import lazy_attributes
from ..losses import FocalLoss, SoftmaxFocalLoss
from ._common import (
    ClassStats,
    align_rows,
    as_column,
    get_client,
    label_table,
    start_margin,
)

#: The estimators and LightGBM's 3-argument adapters, each imported on first access
#: with its booster library.
_LAZY = {
    "DaskFocalXGBClassifier": "boostfocal.dask._xgboost",
    "DaskFocalLGBMClassifier": "boostfocal.dask._lightgbm",
    "make_lgbm_objective": "boostfocal.lightgbm._adapter",
    "make_lgbm_metric": "boostfocal.lightgbm._adapter",
    "LGBMSklearnObjective": "boostfocal.lightgbm._adapter",
    "LGBMSklearnMetric": "boostfocal.lightgbm._adapter",
}

__all__ = [
    "DaskFocalXGBClassifier",
    "DaskFocalLGBMClassifier",
    "class_totals",
    "init_score",
    "start_margin",
    "make_lgbm_objective",
    "make_lgbm_metric",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


def class_totals(y, sample_weight=None, *, n_classes: int = 2, client=None) -> np.ndarray:
    """Weighted class totals ``W_k`` of encoded labels, reduced on the cluster.

    Each block tabulates its labels with their counts and weighted totals; only those
    tables come back, never the labels.

    Parameters
    ----------
    y : dask array or dask Series of shape (n,)
        Class indices 0..K-1.
    sample_weight : dask array or dask Series of shape (n,), default=None
        Non-negative weights, partitioned like ``y``.
    n_classes : int, default=2
        K.
    client : distributed.Client, default=None
        The client to compute with; the default client if None.

    Returns
    -------
    ndarray of shape (K,)
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) \
            or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    y = as_column(y, "y")
    if sample_weight is not None:
        sample_weight = align_rows(as_column(sample_weight, "sample_weight"), y,
                                   "sample_weight", "y")
    table = get_client(client).compute(label_table(y, sample_weight)).result()
    stats = ClassStats.from_table(table, np.arange(int(n_classes)), "y", count_unseen=True)
    return stats.check("y", "sample_weight", sample_weight is not None).totals


def init_score(loss, y, sample_weight=None, *, n_classes: int | None = None, client=None
               ) -> float | np.ndarray:
    """The focal-optimal starting margin of a dask data set, from its class totals.

    ``loss.init_score`` for data that does not fit in memory: the weighted class totals
    are reduced on the cluster (:func:`class_totals`) and ``loss.init_score_from_totals``
    runs here. The labels never leave the workers.

    Parameters
    ----------
    loss : FocalLoss or SoftmaxFocalLoss
        The loss (with a numeric or None ``alpha``).
    y : dask array or dask Series of shape (n,)
        Class indices: {0, 1} for :class:`~boostfocal.FocalLoss`, 0..K-1 for
        :class:`~boostfocal.SoftmaxFocalLoss`.
    sample_weight : dask array or dask Series of shape (n,), default=None
        Non-negative weights, partitioned like ``y``.
    n_classes : int, default=None
        K for a softmax loss; by default the length of its ``alpha``, which must then
        be set.
    client : distributed.Client, default=None
        The client to compute with; the default client if None.

    Returns
    -------
    float or ndarray of shape (K,)
    """
    if isinstance(loss, FocalLoss):
        k = 2
    elif isinstance(loss, SoftmaxFocalLoss):
        k = n_classes if n_classes is not None else loss.n_classes
        if k is None:
            raise ValueError("n_classes is required for a SoftmaxFocalLoss without "
                             "per-class alpha")
    else:
        raise TypeError(f"loss must be a FocalLoss or SoftmaxFocalLoss, got "
                        f"{type(loss).__name__}")
    return loss.init_score_from_totals(class_totals(y, sample_weight, n_classes=k,
                                                    client=client))
