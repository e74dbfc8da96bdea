"""``DaskFocalXGBClassifier``: the focal-loss XGBoost classifier on a Dask cluster.

Imported by ``boostfocal.dask`` on first access, so that the module does not need XGBoost
when only LightGBM is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared.classifier import (
    FOCAL_PARAMS,
    check_default_objective,
    check_focal_proba,
    check_paper_names,
    encode_eval_labels,
    make_loss,
    scale_pos_weight_multipliers,
)
from .._shared.fitplan import make_plan
from ..dask._common import (
    ClassStats,
    MarginReader,
    add_offset,
    align_rows,
    as_column,
    block_stats,
    check_features,
    classes_from_uniques,
    encode,
    fold_class_weights,
    label_uniques,
    labels_from_margin,
    margin_array,
    proba_from_margin,
    start_margin,
)
from ._estimator import (
    DEFAULT_OBJECTIVE,
    XGBModelFileMixin,
    _FocalMetric,
    _FocalObjective,
    booster_base_score,
    focal_xgb_params,
    start_in_booster,
    user_start,
    zero_base_score,
)

da = import_optional("dask.array", "dask")
xgb = import_optional("xgboost", "xgboost")
dxgb = import_optional("xgboost.dask", "dask")

__all__ = ["DaskFocalXGBClassifier"]


def _dask_margin(start, X, offset, n_classes: int, name: str, in_booster: bool):
    """Lazy per-row base margin, or None when the booster holds the start.

    With a user offset it is the start plus the offset (a base margin replaces
    XGBoost's ``base_score``).
    """
    if offset is None and in_booster:
        return None
    return add_offset(start_margin(start, X), offset, n_classes, name)


def _row_chunked(X):
    """A dask array in row blocks only (one column chunk), as ``DaskDMatrix`` requires."""
    if isinstance(X, da.Array) and X.numblocks[1] != 1:
        return X.rechunk({1: -1})
    return X


class DaskFocalXGBClassifier(XGBModelFileMixin, dxgb.DaskXGBClassifier):
    """XGBoost focal-loss classifier on a Dask cluster (binary and multiclass).

    A drop-in replacement for :class:`xgboost.dask.DaskXGBClassifier` with the
    parameters and behaviour of :class:`~boostfocal.xgboost.FocalXGBClassifier`: every
    ``DaskXGBClassifier`` parameter, plus ``focal_gamma``, ``focal_alpha``,
    ``focal_hessian`` and ``focal_proba``, which never reach the booster.

    Parameters
    ----------
    focal_gamma : float, default=2.0
        Focusing parameter, ``>= 0``; 0 with ``focal_alpha=None`` is the logistic loss.
    focal_alpha : float, sequence of float, "balanced" or None, default=None
        Class weights of the focal loss, as in ``FocalXGBClassifier``; ``"balanced"`` is
        resolved from the class totals reduced on the cluster.
    focal_hessian : {"majorizer", "floor", "exact"}, default="majorizer"
        Curvature handed to the booster; see :class:`~boostfocal.FocalLoss`.
    focal_proba : {"posterior", "confidence"}, default="posterior"
        What :meth:`predict_proba` returns: the class posterior (default) or the raw
        sigmoid/softmax of the margin.
    objective : str, default="binary:logistic"
        Must stay at its default: the focal loss is the objective.
    **kwargs
        Every other ``DaskXGBClassifier`` parameter. ``min_child_weight=None`` becomes
        ``FOCAL_MIN_CHILD_WEIGHT``; ``scale_pos_weight`` multiplies the training weights
        of ``classes_[1]`` and ``base_score`` is the starting probability of
        ``classes_[1]``, as in ``FocalXGBClassifier``.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The original class labels, sorted.
    loss_ : FocalLoss or SoftmaxFocalLoss
        The loss trained on.
    init_score_ : float or ndarray of shape (K,)
        The starting score, computed from the class totals reduced on the cluster.
    class_totals_ : ndarray of shape (K,)
        The weighted class totals the starting score was computed from (training
        weights, ``scale_pos_weight`` included).

    Notes
    -----
    **Client.** As in ``DaskXGBClassifier``: set ``clf.client = client``, or leave it
    unset to use the default client. Asynchronous clients work (``await clf.fit(...)``).

    **Data.** ``X`` is a dask array or DataFrame; ``y``, ``sample_weight`` and the
    offsets are dask collections partitioned like ``X`` (dask arrays are rechunked to
    match). Labels may be of any sortable type: the classes are computed with a
    distributed reduction of per-block uniques and each block is encoded where it lies.

    **Starting score.** ``init_score_`` is computed from the weighted class totals,
    reduced on the cluster, and lives in the booster as its ``base_score``, as in
    :class:`~boostfocal.xgboost.FocalXGBClassifier` (multiclass on XGBoost < 3.1: a lazy
    per-row ``base_margin`` instead). ``base_margin`` / ``base_margin_eval_set`` are
    per-row offsets on top of it. :meth:`save_model` / :meth:`load_model` work as in
    memory, and a file saved here loads into ``FocalXGBClassifier`` too.

    **Metric.** Without ``eval_metric`` every ``eval_set`` reports ``"focal_loss"``
    (minimized by early stopping). With several workers XGBoost reports the plain
    average of the workers' values for any Python metric.

    **Outputs.** :meth:`decision_function`, :meth:`predict_proba` and :meth:`predict`
    return dask arrays; for a DataFrame ``X`` their row chunk sizes are unknown.
    """

    _loss_params = FOCAL_PARAMS

    def __init__(self, *, focal_gamma: float = 2.0, focal_alpha=None,
                 focal_hessian: str = "majorizer", focal_proba: str = "posterior",
                 objective=DEFAULT_OBJECTIVE, **kwargs: Any) -> None:
        super().__init__(objective=objective, **kwargs)
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.focal_hessian = focal_hessian
        self.focal_proba = focal_proba

    # ------------------------------------------------------------------ parameters
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def get_xgb_params(self) -> dict[str, Any]:
        """Parameters handed to the booster (as ``FocalXGBClassifier.get_xgb_params``).

        Returns
        -------
        dict
        """
        return focal_xgb_params(self, super().get_xgb_params(), self._loss_params)

    def _check_objective(self) -> None:
        check_paper_names(self, "xgboost")
        check_default_objective(self, DEFAULT_OBJECTIVE)

    def _class_weights(self, n_classes: int) -> np.ndarray | None:
        """scale_pos_weight as per-class multipliers of the training weights."""
        return scale_pos_weight_multipliers(self.scale_pos_weight, n_classes)

    def _set_classes(self, classes: np.ndarray) -> None:
        self.classes_ = classes

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *, sample_weight=None, base_margin=None, eval_set=None,
            verbose: bool | int | None = True, xgb_model=None, sample_weight_eval_set=None,
            base_margin_eval_set=None, feature_weights=None) -> DaskFocalXGBClassifier:
        """Fit the focal-loss classifier on dask collections.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Training features.
        y : dask array or dask Series of shape (n,)
            Class labels of any sortable type, partitioned like ``X``.
        sample_weight : dask array or dask Series of shape (n,), default=None
            Non-negative weights, not all zero.
        base_margin : dask collection of shape (n,) or (n, K), default=None
            Per-row offset added to the starting score.
        eval_set : list of (X, y) pairs of dask collections, default=None
            Validation sets; labels from ``classes_``.
        verbose : bool or int, default=True
            As in ``DaskXGBClassifier.fit``.
        xgb_model : Booster or XGBModel, default=None
            Model to continue training from.
        sample_weight_eval_set : list of dask collections, default=None
            Weights of each ``eval_set`` entry.
        base_margin_eval_set : list of dask collections, default=None
            Offsets, added to the starting score, of each ``eval_set`` entry.
        feature_weights : dask array, default=None
            Passed through.

        Returns
        -------
        self : DaskFocalXGBClassifier
        """
        return self._client_sync(
            self._fit_async, X=X, y=y, sample_weight=sample_weight, base_margin=base_margin,
            eval_set=eval_set, verbose=verbose, xgb_model=xgb_model,
            sample_weight_eval_set=sample_weight_eval_set,
            base_margin_eval_set=base_margin_eval_set, feature_weights=feature_weights)

    async def _fit_async(self, X, y, *, sample_weight, base_margin, eval_set,
                         sample_weight_eval_set, base_margin_eval_set, verbose, xgb_model,
                         feature_weights) -> DaskFocalXGBClassifier:
        self._check_objective()
        check_focal_proba(self.focal_proba)
        client = self.client
        X = _row_chunked(check_features(X))
        y = align_rows(as_column(y, "y"), X, "y", "X")
        weights = None
        if sample_weight is not None:
            weights = align_rows(as_column(sample_weight, "sample_weight"), X,
                                 "sample_weight", "X")

        eval_cols = []
        if eval_set is not None:
            n_eval = len(eval_set)
            for arg, value in (("sample_weight_eval_set", sample_weight_eval_set),
                               ("base_margin_eval_set", base_margin_eval_set)):
                if value is not None and len(value) != n_eval:
                    raise ValueError(f"{arg} must have one entry per eval_set entry "
                                     f"({n_eval}), got {len(value)}")
            for i, (X_i, y_i) in enumerate(eval_set):
                X_i = _row_chunked(check_features(X_i, f"eval_set[{i}] X"))
                y_i = align_rows(as_column(y_i, f"eval_set[{i}] y"), X_i,
                                 f"eval_set[{i}] y", f"eval_set[{i}] X")
                w_i = None if sample_weight_eval_set is None else sample_weight_eval_set[i]
                if w_i is not None:
                    name = f"sample_weight_eval_set[{i}]"
                    w_i = align_rows(as_column(w_i, name), X_i, name, f"eval_set[{i}] X")
                eval_cols.append((X_i, y_i, w_i))
        elif sample_weight_eval_set is not None or base_margin_eval_set is not None:
            raise ValueError("sample_weight_eval_set and base_margin_eval_set need eval_set")

        # Reduction 1: the unique labels of every set (K values each, never the labels).
        uniques = await client.gather(client.compute(
            [label_uniques(y), *(label_uniques(y_i) for _, y_i, _ in eval_cols)]))
        classes = classes_from_uniques(uniques[0])
        for i, values in enumerate(uniques[1:]):
            encode_eval_labels(values, classes, f"eval_set[{i}] labels")
        n_classes = classes.shape[0]
        loss = make_loss(n_classes, self.focal_gamma, self.focal_alpha, self.focal_hessian)
        class_weights = self._class_weights(n_classes)
        base_start = user_start(self.base_score, n_classes)
        y_enc = encode(y, classes, "y")

        evals = weights_eval = margins_eval = None
        eval_checks = []
        if eval_set is not None:
            evals, weights_eval = [], []
            for i, (X_i, y_i, w_i) in enumerate(eval_cols):
                y_i_enc = encode(y_i, classes, f"eval_set[{i}] labels")
                evals.append((X_i, y_i_enc))
                if w_i is not None:
                    name = f"sample_weight_eval_set[{i}]"
                    eval_checks.append((name, block_stats(y_i_enc, w_i, n_classes)))
                weights_eval.append(w_i)

        # Reduction 2: weighted class totals (and the weight checks), all sets at once.
        stats = await client.gather(client.compute(
            [block_stats(y_enc, weights, n_classes), *(graph for _, graph in eval_checks)]))
        train = ClassStats(stats[0], n_classes).check("y", "sample_weight",
                                                      weights is not None)
        for (name, _), values in zip(eval_checks, stats[1:], strict=True):
            ClassStats(values, n_classes).check(name, name, True)
        train.check_folded_weights(class_weights)
        plan = make_plan(classes, train.totals, loss, multipliers=class_weights,
                         start=base_start,
                         weight_names="sample_weight (with scale_pos_weight)")
        loss, init, totals = plan.loss, plan.start, plan.totals
        train_weights = weights
        if class_weights is not None:
            train_weights = fold_class_weights(y_enc, weights, class_weights)

        # The start reaches XGBoost as in memory: the booster's base_score; a per-row base
        # margin (start + offset) only where the user gives an offset.
        in_booster = start_in_booster(init)
        train_margin = _dask_margin(init, X, base_margin, n_classes, "base_margin",
                                    in_booster)
        if evals is not None:
            margins_eval = [
                _dask_margin(init, X_i,
                             None if base_margin_eval_set is None else base_margin_eval_set[i],
                             n_classes, f"base_margin_eval_set[{i}]", in_booster)
                for i, (X_i, _) in enumerate(evals)]

        # DaskXGBClassifier trains on self.objective / self.eval_metric: swap in the focal
        # callables while it runs and restore the parameters whatever happens.
        saved = self.objective, self.eval_metric
        self.__dict__["_focal_fit_base_score"] = (
            booster_base_score(init) if in_booster else zero_base_score(init))
        try:
            self.objective = _FocalObjective(loss)
            if self.eval_metric is None:
                self.eval_metric = _FocalMetric(loss)
            await super()._fit_async(
                X, y_enc, sample_weight=train_weights, base_margin=train_margin,
                eval_set=evals, sample_weight_eval_set=weights_eval,
                base_margin_eval_set=margins_eval, verbose=verbose, xgb_model=xgb_model,
                feature_weights=feature_weights)
        finally:
            self.objective, self.eval_metric = saved
            self.__dict__.pop("_focal_fit_base_score", None)
        self.classes_ = classes
        self.n_classes_ = n_classes
        self.loss_ = loss
        self.init_score_ = init
        self.class_totals_ = totals
        self._focal_start_in_booster = in_booster
        self._store_metadata()
        return self

    # ------------------------------------------------------------------ predict
    def _reader(self) -> MarginReader:
        check_is_fitted(self, "loss_")
        return MarginReader(self.loss_, self.focal_proba, self.classes_)

    async def _margin_async(self, X, validate_features: bool, base_margin, iteration_range):
        check_is_fitted(self, "loss_")
        X = check_features(X)
        start = _dask_margin(self.init_score_, X, base_margin, self.n_classes_,
                             "base_margin", self._booster_holds_start())
        if start is not None and isinstance(X, da.Array):
            # xgboost.dask maps X and base_margin block by block with dask's broadcasting
            # rules, which align a 1-D base margin with X's *columns*: give it as (n, 1),
            # and give X one column chunk so that an (n, K) margin lines up as well.
            X = _row_chunked(X)
            if start.ndim == 1:
                start = start[:, None]
        elif isinstance(X, da.Array):
            X = _row_chunked(X)
        margin = await super()._predict_async(
            X, output_margin=True, validate_features=validate_features, base_margin=start,
            iteration_range=iteration_range)
        return margin_array(margin, self.n_classes_)

    async def _proba_async(self, X, validate_features: bool, base_margin, iteration_range):
        margin = await self._margin_async(X, validate_features, base_margin, iteration_range)
        return proba_from_margin(margin, self._reader())

    async def _labels_async(self, X, validate_features: bool, base_margin, iteration_range):
        margin = await self._margin_async(X, validate_features, base_margin, iteration_range)
        return labels_from_margin(margin, self._reader())

    def decision_function(self, X, *, validate_features: bool = True, base_margin=None,
                          iteration_range=None):
        """Raw margins, starting score included, as a dask array.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Features.
        validate_features : bool, default=True
            Check that feature names match the training data.
        base_margin : dask collection of shape (n,) or (n, K), default=None
            Per-row offset added to the starting score, partitioned like ``X``.
        iteration_range : tuple of int, default=None
            Trees to use; by default the best iteration after early stopping, else all.

        Returns
        -------
        dask array of shape (n,) for two classes, (n, K) for K classes, float64
        """
        return self._client_sync(self._margin_async, X=X, validate_features=validate_features,
                                 base_margin=base_margin, iteration_range=iteration_range)

    def predict_proba(self, X, validate_features: bool = True, base_margin=None,
                      iteration_range=None):
        """Class probabilities as a dask array of shape (n, K), in the order of ``classes_``.

        The class posterior ``P(y | x)`` by default; the raw sigmoid/softmax of the margin
        with ``focal_proba="confidence"``.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Features.
        validate_features, base_margin, iteration_range
            As in :meth:`decision_function`.

        Returns
        -------
        dask array of shape (n, K)
        """
        return self._client_sync(self._proba_async, X=X, validate_features=validate_features,
                                 base_margin=base_margin, iteration_range=iteration_range)

    def predict(self, X, *, output_margin: bool = False, validate_features: bool = True,
                base_margin=None, iteration_range=None):
        """Predicted labels from ``classes_`` (or margins), as a dask array.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Features.
        output_margin : bool, default=False
            Return :meth:`decision_function` instead of labels.
        validate_features, base_margin, iteration_range
            As in :meth:`decision_function`.

        Returns
        -------
        dask array of shape (n,), or the margins with ``output_margin=True``
        """
        func = self._margin_async if output_margin else self._labels_async
        return self._client_sync(func, X=X, validate_features=validate_features,
                                 base_margin=base_margin, iteration_range=iteration_range)
