"""``DaskFocalXGBClassifier``: the focal-loss XGBoost classifier on a Dask cluster.

Imported by ``boostfocal.dask`` on first access, so that the module does not need XGBoost
when only LightGBM is used.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._estimator_core.classifier import FocalLossMixin, kernel_threads
from .._estimator_core.docs import XGBOOST_WORDS, fill_doc
from .._optional import import_optional
from ..xgboost._adapter import _FocalMetric, _FocalObjective
from ..xgboost._base import XGBFocalMixin, check_gradient_scale
from ..xgboost._model_file import DEFAULT_OBJECTIVE
from ..xgboost._start import start_in_booster
from . import _common as dc
from . import _compat
from ._plan import compute_async, plan_on_cluster

da = import_optional("dask.array", "dask")
dxgb = import_optional("xgboost.dask", "dask")

__all__ = ["DaskFocalXGBClassifier"]


class _WorkerObjective(dc.ReusedOutputs, dc.OnWorkerThreads, _FocalObjective):
    """The XGBClassifier objective, its kernels on the worker's threads.

    It returns the same two arrays every round (``ReusedOutputs``): built per fit, it
    is called by the booster alone.
    """


class _WorkerMetric(dc.OnWorkerThreads, _FocalMetric):
    """The XGBClassifier metric, its kernels on the worker's threads."""


def _dask_margin(start, X, offset, n_classes: int, name: str, in_booster: bool):
    """Lazy per-row base margin, or None when the booster holds the start.

    With a user offset it is the start plus the offset (a base margin replaces
    XGBoost's ``base_score``).
    """
    if offset is None and in_booster:
        return None
    return dc.add_offset(dc.start_margin(start, X), offset, n_classes, name)


class _DaskXGBBase(XGBFocalMixin, dxgb.DaskXGBClassifier):
    """``DaskXGBClassifier`` with the parameter handling of every boostfocal estimator."""

    def __init__(self, *, objective=DEFAULT_OBJECTIVE, **kwargs) -> None:
        # XGBClassifier's default objective, which DaskXGBClassifier leaves at None.
        super().__init__(objective=objective, **kwargs)

    def _set_classes(self, classes: np.ndarray) -> None:
        self.classes_ = classes


@fill_doc(**XGBOOST_WORDS)
class DaskFocalXGBClassifier(FocalLossMixin, _DaskXGBBase):
    """XGBoost focal-loss classifier on a Dask cluster (binary and multiclass).

    A drop-in replacement for :class:`xgboost.dask.DaskXGBClassifier` with the
    parameters and behaviour of :class:`~boostfocal.xgboost.FocalXGBClassifier`: every
    ``DaskXGBClassifier`` parameter, plus ``focal_gamma``, ``focal_alpha``,
    ``focal_hessian`` and ``focal_proba``, which never reach the booster.

    Parameters
    ----------
    ${focal_params}
    objective : str, default="binary:logistic"
        Must stay at its default: the focal loss is the objective.
    **kwargs
        Every other ``DaskXGBClassifier`` parameter. ``min_child_weight=None`` becomes
        ``FOCAL_MIN_CHILD_WEIGHT``; ``scale_pos_weight`` multiplies the training weights
        of ``classes_[1]`` and ``base_score`` is the starting probability of
        ``classes_[1]``, as in ``FocalXGBClassifier``.

    Attributes
    ----------
    ${dask_attributes}

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

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.dask import DaskFocalXGBClassifier
    >>> cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
    ...                        dashboard_address=":0")
    >>> client = Client(cluster)
    >>> X, y = make_classification(n_samples=1000, weights=[0.9], random_state=0)
    >>> dX, dy = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    >>> clf = DaskFocalXGBClassifier(focal_gamma=2.0, n_estimators=20)
    >>> clf.client = client
    >>> clf = clf.fit(dX, dy)
    >>> clf.predict_proba(dX).compute().shape       # the class posterior, computed
    (1000, 2)
    >>> client.close(); cluster.close()
    """

    # ------------------------------------------------------------------ fit
    @fill_doc(**XGBOOST_WORDS)
    def fit(self, X, y, *, sample_weight=None,  # noqa: D417 - X, y: ${dask_fit_data}
            base_margin=None, eval_set=None, verbose: bool | int | None = True,
            xgb_model=None, sample_weight_eval_set=None, base_margin_eval_set=None,
            feature_weights=None) -> DaskFocalXGBClassifier:
        """Fit the focal-loss classifier on dask collections.

        Parameters
        ----------
        ${dask_fit_data}
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
        return _compat.xgb_client_sync(
            self, self._focal_fit_async, X=X, y=y, sample_weight=sample_weight,
            base_margin=base_margin, eval_set=eval_set, verbose=verbose, xgb_model=xgb_model,
            sample_weight_eval_set=sample_weight_eval_set,
            base_margin_eval_set=base_margin_eval_set, feature_weights=feature_weights)

    async def _focal_fit_async(self, X, y, *, sample_weight, base_margin, eval_set,
                               sample_weight_eval_set, base_margin_eval_set, verbose,
                               xgb_model, feature_weights) -> DaskFocalXGBClassifier:
        self._check_objective()
        self._check_eval_args(eval_set, sample_weight_eval_set, base_margin_eval_set)
        X, y, weights = dc.feature_columns(X, y, sample_weight, ("X", "y", "sample_weight"))
        eval_X, eval_cols = [], []
        for i, (X_i, y_i) in enumerate(eval_set or ()):
            w_name = f"sample_weight_eval_set[{i}]"
            X_i, y_i, w_i = dc.feature_columns(
                X_i, y_i, None if sample_weight_eval_set is None else sample_weight_eval_set[i],
                (f"eval_set[{i}] X", f"eval_set[{i}] y", w_name))
            eval_X.append(X_i)
            eval_cols.append((y_i, w_i, f"eval_set[{i}] labels", w_name))

        def setup(n_classes: int):
            return (self._make_loss(n_classes), self._class_weights(n_classes),
                    self._user_start(n_classes))

        steps = plan_on_cluster(y, weights, eval_cols, setup=setup,
                                weight_names="sample_weight (with scale_pos_weight)")
        plan, y_enc, eval_y, train_weights = await compute_async(self.client, steps)
        check_gradient_scale(plan, "sample_weight (with scale_pos_weight)")
        n_classes, loss, init = plan.n_classes, plan.loss, plan.start

        # The start reaches XGBoost as in memory: the booster's base_score; a per-row base
        # margin (start + offset) only where the user gives an offset.
        in_booster = start_in_booster(init)
        evals = weights_eval = margins_eval = None
        if eval_set is not None:
            evals = list(zip(eval_X, eval_y, strict=True))
            weights_eval = [w_i for _, w_i, _, _ in eval_cols]
            margins_eval = [
                _dask_margin(init, X_i,
                             None if base_margin_eval_set is None else base_margin_eval_set[i],
                             n_classes, f"base_margin_eval_set[{i}]", in_booster)
                for i, X_i in enumerate(eval_X)]
        # The kernels run on the booster's threads: the user's n_jobs, else (as
        # xgboost.dask does) the worker's.
        with self._training(loss, init, in_booster, kernel_threads(self),
                            (_WorkerObjective, _WorkerMetric)):
            await _compat.xgb_fit_async(
                self, X, y_enc, sample_weight=train_weights,
                base_margin=_dask_margin(init, X, base_margin, n_classes, "base_margin",
                                         in_booster),
                eval_set=evals, sample_weight_eval_set=weights_eval,
                base_margin_eval_set=margins_eval, verbose=verbose, xgb_model=xgb_model,
                feature_weights=feature_weights)
        self._set_fitted(plan.classes, loss, init, in_booster)
        self.class_totals_ = plan.totals
        return self

    # ------------------------------------------------------------------ predict
    def _reader(self) -> dc.MarginReader:
        check_is_fitted(self, "loss_")
        return dc.MarginReader(self.loss_, self.focal_proba, self.classes_)

    async def _margin_async(self, X, validate_features: bool, base_margin, iteration_range):
        check_is_fitted(self, "loss_")
        X = dc.check_features(X)
        start = _dask_margin(self.init_score_, X, base_margin, self.n_classes_,
                             "base_margin", self._booster_holds_start())
        X = dc.one_column_chunk(X)
        if start is not None and isinstance(X, da.Array) and start.ndim == 1:
            # xgboost.dask maps X and base_margin block by block with dask's broadcasting
            # rules, which align a 1-D base margin with X's *columns*: give it as (n, 1)
            # (X has one column chunk, so that an (n, K) margin lines up as well).
            start = start[:, None]
        margin = await _compat.xgb_predict_async(
            self, X, output_margin=True, validate_features=validate_features, base_margin=start,
            iteration_range=iteration_range)
        return dc.margin_array(margin, self.n_classes_)

    async def _proba_async(self, X, validate_features: bool, base_margin, iteration_range):
        margin = await self._margin_async(X, validate_features, base_margin, iteration_range)
        return dc.proba_from_margin(margin, self._reader())

    async def _labels_async(self, X, validate_features: bool, base_margin, iteration_range):
        margin = await self._margin_async(X, validate_features, base_margin, iteration_range)
        return dc.labels_from_margin(margin, self._reader())

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
        return _compat.xgb_client_sync(
            self, self._margin_async, X=X, validate_features=validate_features,
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
        return _compat.xgb_client_sync(
            self, self._proba_async, X=X, validate_features=validate_features,
            base_margin=base_margin, iteration_range=iteration_range)

    def predict(self, X, *, output_margin: bool = False, validate_features: bool = True,
                base_margin=None, iteration_range=None):
        """Predicted labels from ``classes_`` (or margins), as a dask array.

        Parameters
        ----------
        X, validate_features, base_margin, iteration_range
            As in :meth:`decision_function`.
        output_margin : bool, default=False
            Return :meth:`decision_function`'s margins instead of labels.

        Returns
        -------
        dask array of shape (n,), or the margins with ``output_margin=True``
        """
        func = self._margin_async if output_margin else self._labels_async
        return _compat.xgb_client_sync(
            self, func, X=X, validate_features=validate_features,
            base_margin=base_margin, iteration_range=iteration_range)
