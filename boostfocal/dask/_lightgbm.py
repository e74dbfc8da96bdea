"""``DaskFocalLGBMClassifier``: the focal-loss LightGBM classifier on a Dask cluster.

Imported by ``boostfocal.dask`` on first access, so that the module does not need
LightGBM when only XGBoost is used.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._estimator_core.classifier import FocalLossMixin
from .._estimator_core.docs import LIGHTGBM_WORDS, fill_doc
from .._optional import import_optional
from ..lightgbm import _compat as _lgbm_compat
from ..lightgbm import _start
from ..lightgbm._adapter import LGBMSklearnMetric, LGBMSklearnObjective
from ..lightgbm._base import LGBMFocalMixin, booster_fit_params
from ..lightgbm._estimator import FocalLGBMClassifier
from ..lightgbm._fit import _eval_item, _with_lgbm_signature, encoded_class_weight
from . import _common as dc
from . import _compat
from ._plan import compute_sync, plan_on_cluster

lgb = import_optional("lightgbm", "lightgbm")
# lightgbm.dask imports dask lazily and fails only when used: import it here, so that a
# missing dask is reported now, with the extra to install.
import_optional("distributed", "dask")
import_optional("lightgbm.dask", "dask")
da = import_optional("dask.array", "dask")

__all__ = ["DaskFocalLGBMClassifier"]


class _WorkerObjective(dc.ReusedOutputs, dc.OnWorkerThreads, LGBMSklearnObjective):
    """LightGBM's 3-argument objective, its kernels on the worker's threads.

    It returns the same two arrays every round (``ReusedOutputs``): built per fit, it
    is called by the booster alone.
    """


class _WorkerMetric(dc.OnWorkerThreads, LGBMSklearnMetric):
    """LightGBM's 3-argument metric, its kernels on the worker's threads."""


class _FocalLGBMWorker(lgb.LGBMClassifier):
    """The model each Dask worker fits on its partitions of the training data.

    An ``LGBMClassifier`` that trusts the labels it is given: they were encoded to
    0..K-1 over the whole data set, so it takes K from ``focal_n_classes`` rather than
    from its own partitions (a partition may lack a class, and LightGBM's workers must
    all agree on ``num_class``). Everything else (the focal objective, metric, weights
    and init scores) arrives through its parameters and ``fit``'s arguments.
    """

    def fit(self, X, y, sample_weight=None, init_score=None, *, focal_n_classes: int,
            **kwargs) -> _FocalLGBMWorker:
        """Fit on this worker's rows; ``focal_n_classes`` is K over all the workers."""
        _compat.trust_encoded_labels(self, int(focal_n_classes))
        lgb.LGBMModel.fit(self, X, y, sample_weight=sample_weight, init_score=init_score,
                          **kwargs)
        return self


def _offset_margin(X, offset, n_classes: int, name: str):
    """A user's per-row offset as a lazy margin on the rows of ``X`` (0 where None)."""
    zero = np.zeros(()) if n_classes == 2 else np.zeros(n_classes)
    return dc.add_offset(dc.start_margin(zero, X), offset, n_classes, name)


class _DaskLGBMBase(LGBMFocalMixin, lgb.DaskLGBMClassifier):
    """``DaskLGBMClassifier`` with the parameter handling of every boostfocal estimator.

    (LightGBM's ``get_params``, like XGBoost's, walks the first base class that defines
    ``get_params``: one mixin stands before the LightGBM class.)
    """

    def __getstate__(self) -> dict:
        """The attributes without the client, for pickling and copying.

        A shallow copy, where ``DaskLGBMClassifier`` deep-copies every attribute, the
        booster included (a model-to-string round trip). ``LGBMModel.get_params``
        takes a ``copy.copy`` of the estimator at every level of the class hierarchy,
        so that each ``get_params`` (and each ``predict_proba``, through ``to_local``)
        paid several booster copies. Pickling and ``copy.deepcopy`` still copy the
        booster, from this state.
        """
        # As DaskLGBMClassifier: the client leaves _other_params for good (set_params
        # puts it there; get_params reads it back, and a client cannot be copied).
        getattr(self, "_other_params", {}).pop("client", None)
        state = self.__dict__.copy()
        state["client"] = None
        return state


@fill_doc(**LIGHTGBM_WORDS)
@_with_lgbm_signature
class DaskFocalLGBMClassifier(FocalLossMixin, _DaskLGBMBase):
    """LightGBM focal-loss classifier on a Dask cluster (binary and multiclass).

    A drop-in replacement for :class:`lightgbm.DaskLGBMClassifier` with the parameters
    and behaviour of :class:`~boostfocal.lightgbm.FocalLGBMClassifier`: every
    ``DaskLGBMClassifier`` parameter (``client`` included), plus ``focal_gamma``,
    ``focal_alpha``, ``focal_hessian`` and ``focal_proba``, which never reach LightGBM.

    Parameters
    ----------
    ${focal_params}
    client : distributed.Client, default=None
        The Dask client; ``distributed.default_client()`` at run time if None. Not
        pickled with the model.
    **kwargs
        Every other ``DaskLGBMClassifier`` / ``LGBMClassifier`` parameter; ``objective``
        must stay None.

    Attributes
    ----------
    ${dask_attributes}

    Notes
    -----
    **How it trains.** Labels are encoded to 0..K-1 over the whole data set (a reduction
    of per-block uniques, then ``map_blocks``), the class weights are folded into the
    sample weights from the class counts, and the starting score is computed from the
    weighted class totals; then LightGBM's own Dask machinery trains, with a worker model
    that takes K from the whole data set (so a worker whose rows lack a class still
    trains the same K-class model) and the focal objective in LightGBM's 3-argument form.
    ``init_score_`` is added to the raw scores by the objective and the metric on every
    worker, and folded into the first iteration's leaves after training, so the booster
    (``booster_``, :meth:`save_model`'s file) predicts the margins itself, as
    :class:`~boostfocal.lightgbm.FocalLGBMClassifier`'s does. ``init_model`` is not
    supported on Dask (continue in memory from ``to_local()`` or the saved file).

    **Data-parallel training differs from in-memory training.** Each worker builds the
    feature histograms' bin boundaries from its own rows, so the trees (and predictions)
    are close to, but not the same as, ``FocalLGBMClassifier``'s on the same data.
    Evaluation sets are evaluated per worker on the rows it holds, as in
    ``DaskLGBMClassifier``.

    **Offsets.** ``init_score`` / ``eval_init_score`` are per-row offsets on top of
    ``init_score_``: shape (n,) binary, (n, K) multiclass, partitioned like ``X``; pass
    the offset of the rows being predicted to the prediction methods' ``init_score=``.

    **Outputs.** :meth:`decision_function`, :meth:`predict_proba` and :meth:`predict`
    return dask arrays. :meth:`to_local` returns an equivalent fitted
    :class:`~boostfocal.lightgbm.FocalLGBMClassifier`.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.dask import DaskFocalLGBMClassifier
    >>> cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
    ...                        dashboard_address=":0")
    >>> client = Client(cluster)
    >>> X, y = make_classification(n_samples=1000, weights=[0.9], random_state=0)
    >>> dX, dy = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    >>> clf = DaskFocalLGBMClassifier(client=client, focal_gamma=2.0, n_estimators=20,
    ...                               verbose=-1).fit(dX, dy)   # LightGBM prints:
    Finding random open ports for workers
    >>> clf.predict_proba(dX).compute().shape       # the class posterior, computed
    (1000, 2)
    >>> type(clf.to_local()).__name__
    'FocalLGBMClassifier'
    >>> client.close(); cluster.close()
    """

    # ------------------------------------------------------------------ fit
    @fill_doc(**LIGHTGBM_WORDS)
    def fit(self, X, y, sample_weight=None,  # noqa: D417 - see DaskLGBMClassifier
            init_score=None, eval_set=None, eval_names=None, eval_sample_weight=None,
            eval_class_weight=None, eval_init_score=None, eval_metric=None, *, eval_X=None,
            eval_y=None, **kwargs) -> DaskFocalLGBMClassifier:
        """Fit the focal-loss model on dask collections.

        Parameters
        ----------
        ${dask_fit_data}
        init_score : dask collection of shape (n,) or (n, K), default=None
            Per-row margin offset added on top of ``init_score_``.
        eval_set, eval_X, eval_y : optional
            Evaluation sets as in ``DaskLGBMClassifier``; labels are encoded with the
            training classes (an unseen label is a ``ValueError``).
        eval_sample_weight : list of dask collections, default=None
            Weights of the evaluation sets.
        eval_class_weight : list of dict or str, default=None
            As in ``DaskLGBMClassifier``, keyed by the original labels.
        eval_init_score : list of dask collections, default=None
            Per-row offsets of the evaluation sets, added on top of ``init_score_``.
        eval_metric : str, callable or list, default=None
            Extra metrics; the focal loss (``"focal_loss"``) is always reported.
        **kwargs
            Passed to each worker's ``LGBMClassifier.fit`` (``callbacks``, ...).

        Returns
        -------
        self : DaskFocalLGBMClassifier
        """
        if kwargs.get("init_model") is not None:
            raise ValueError(f"{type(self).__name__} does not support init_model (continued "
                             "training); continue in memory with FocalLGBMClassifier, from "
                             "this model's to_local() or its saved file")
        kwargs.pop("init_model", None)
        client = dc.get_client(self.client)
        X_in, y_in = X, y
        X, y, weights = dc.feature_columns(X, y, sample_weight, ("X", "y", "sample_weight"))
        sets, _ = self._eval_sets(eval_set, eval_X, eval_y)
        eval_Xs, eval_cols = _eval_columns(sets, X_in, y_in, X, sample_weight, weights,
                                           eval_sample_weight)
        params = self._booster_params()

        def setup(n_classes: int):
            multipliers = self._multipliers(params, n_classes, self.class_weight)
            return self._make_loss(n_classes), multipliers, None

        steps = plan_on_cluster(y, weights, eval_cols, setup=setup,
                                weight_names="sample_weight (with class_weight, is_unbalance "
                                             "and scale_pos_weight)")
        plan, y_enc, eval_ys, train_weights = compute_sync(client, steps)
        loss, start = plan.loss, plan.start

        # The start reaches LightGBM as in memory (lightgbm/_start.py): added to its raw
        # scores by the objective and the metrics (raw_offset) while training, folded into
        # the first iteration's leaves afterwards. Only the user's offsets travel as
        # per-row init scores.
        train_start, eval_starts = _offsets(X, init_score, eval_Xs, eval_init_score,
                                            plan.n_classes, bool(sets))
        metrics, user_metric = self._fit_metrics(eval_metric, params, loss, start,
                                                 _WorkerMetric(loss, raw_offset=start))
        # LightGBM's Dask layer sets num_threads to each worker's threads (the kernels
        # take the same); class_weight is folded into the training weights.
        worker_params = booster_fit_params(
            dict(params, class_weight=None), _WorkerObjective(loss, raw_offset=start),
            user_metric, drop=("num_threads",))
        if eval_class_weight is not None:
            eval_class_weight = [
                encoded_class_weight(v, plan.classes, f"eval_class_weight[{i}]")
                if isinstance(v, dict) else v for i, v in enumerate(eval_class_weight)]
        eval_weights = [w_i for _, w_i, _, _ in eval_cols]
        model = _compat.lgbm_train(
            client=client, data=X, label=y_enc, params=worker_params,
            model_factory=_FocalLGBMWorker, sample_weight=train_weights,
            init_score=train_start, eval_Xs=eval_Xs, eval_ys=eval_ys, eval_names=eval_names,
            eval_sample_weight=eval_weights if any(w is not None for w in eval_weights)
            else None,
            eval_class_weight=eval_class_weight, eval_init_score=eval_starts,
            eval_metric=metrics, focal_n_classes=plan.n_classes, **kwargs)
        self._take_over(model, params, plan)
        return self

    def _take_over(self, model, params: dict, plan) -> None:
        """The fitted state of the workers' model, the start folded into its booster."""
        for name, value in model.__dict__.items():
            if name not in _compat.WORKER_PRIVATE_STATE and name not in params:
                setattr(self, name, value)
        _start.fold_into_booster(self.booster_, plan.start)
        self._focal_start_in_booster = True
        _lgbm_compat.set_fitted_labels(self, plan.classes)
        self.loss_ = plan.loss
        self.init_score_ = plan.start
        self.class_totals_ = plan.totals

    # ------------------------------------------------------------------ prediction
    def to_local(self) -> FocalLGBMClassifier:
        """The fitted model as an in-memory :class:`~boostfocal.lightgbm.FocalLGBMClassifier`.

        Returns
        -------
        FocalLGBMClassifier
            Same booster, classes, loss and starting score: its predictions on an
            in-memory copy of the data equal this estimator's.
        """
        check_is_fitted(self, "loss_")
        return _compat.lgbm_to_local(self, FocalLGBMClassifier)

    def _reader(self) -> dc.MarginReader:
        check_is_fitted(self, "loss_")
        return dc.MarginReader(self.loss_, self.focal_proba, self.classes_)

    def _local_predict(self, X, **kwargs):
        X = dc.one_column_chunk(dc.check_features(X))
        return _compat.lgbm_predict(model=self.to_local(), data=X,
                                    client=dc.get_client(self.client), pred_proba=True,
                                    **kwargs)

    def _passthrough(self, X, start_iteration, num_iteration, pred_leaf, pred_contrib,
                     validate_features, **kwargs):
        """Leaf indices or feature contributions, as ``FocalLGBMClassifier`` has them."""
        return self._local_predict(X, start_iteration=start_iteration,
                                   num_iteration=num_iteration, pred_leaf=pred_leaf,
                                   pred_contrib=pred_contrib,
                                   validate_features=validate_features, **kwargs)

    def decision_function(self, X, *, init_score=None, start_iteration: int = 0,
                          num_iteration: int | None = None, validate_features: bool = False,
                          **kwargs):
        """Raw margins, starting score included, as a dask array.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Input features.
        init_score : dask collection, default=None
            Per-row margin offset of these rows, partitioned like ``X``; 0 if None.
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``DaskLGBMClassifier.predict``.

        Returns
        -------
        dask array of shape (n,) or (n, K), float64
        """
        check_is_fitted(self, "loss_")
        margin = self._local_predict(X, raw_score=True, start_iteration=start_iteration,
                                     num_iteration=num_iteration,
                                     validate_features=validate_features, **kwargs)
        margin = dc.margin_array(margin, self.n_classes_)
        if init_score is None:
            return margin
        offset = _offset_margin(X, init_score, self.n_classes_, "init_score")
        return margin + dc.margin_array(offset, self.n_classes_)

    def predict_proba(self, X, raw_score: bool = False, start_iteration: int = 0,
                      num_iteration: int | None = None, pred_leaf: bool = False,
                      pred_contrib: bool = False, validate_features: bool = False, *,
                      init_score=None, **kwargs):
        """Class probabilities as a dask array of shape (n, K), in the order of ``classes_``.

        The class posterior ``P(y | x)`` by default; the raw softmax of the margin with
        ``focal_proba="confidence"``. Without ``init_score``, each block's task runs the
        in-memory model's own ``predict_proba`` (raw scores, start and posterior in one
        step, as ``DaskLGBMClassifier.predict_proba`` runs ``LGBMClassifier``'s).

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Input features.
        raw_score, start_iteration, num_iteration, pred_leaf, pred_contrib
            As in :meth:`boostfocal.lightgbm.FocalLGBMClassifier.predict_proba`.
        validate_features, init_score, **kwargs
            As in :meth:`decision_function`.

        Returns
        -------
        dask array of shape (n, K)
        """
        if raw_score or pred_leaf or pred_contrib or init_score is not None:
            return super().predict_proba(
                X, raw_score, start_iteration, num_iteration, pred_leaf, pred_contrib,
                validate_features, init_score=init_score, **kwargs)
        check_is_fitted(self, "loss_")
        return dc.as_dask_array(self._local_predict(
            X, start_iteration=start_iteration, num_iteration=num_iteration,
            validate_features=validate_features, **kwargs))

    def _proba_of(self, margin):
        return dc.proba_from_margin(margin, self._reader())

    def _labels_of(self, margin):
        return dc.labels_from_margin(margin, self._reader())


def _eval_columns(sets: list, X_in, y_in, X, sample_weight, weights, eval_sample_weight
                  ) -> tuple[list, list]:
    """The evaluation sets' features and ``(y_i, w_i, label_name, weight_name)`` columns.

    The training data given again as an evaluation set is encoded once (its ``y_i`` is
    None: the training labels themselves).
    """
    eval_Xs, eval_cols = [], []
    for i, (X_i, y_i) in enumerate(sets):
        w_i = _eval_item(eval_sample_weight, i, "eval_sample_weight")
        w_name = f"eval_sample_weight[{i}]"
        if X_i is X_in and y_i is y_in:
            if w_i is not None:
                w_i = weights if w_i is sample_weight else dc.align_rows(
                    dc.as_column(w_i, w_name), X, w_name, "X")
            eval_Xs.append(X)
            eval_cols.append((None, w_i, f"eval_y[{i}]", w_name))
            continue
        X_i, y_i, w_i = dc.feature_columns(X_i, y_i, w_i,
                                           (f"eval_X[{i}]", f"eval_y[{i}]", w_name))
        eval_Xs.append(X_i)
        eval_cols.append((y_i, w_i, f"eval_y[{i}]", w_name))
    return eval_Xs, eval_cols


def _offsets(X, init_score, eval_Xs: list, eval_init_score, n_classes: int,
             has_eval: bool) -> tuple:
    """The user's per-row offsets as lazy margins: training, and evaluation (or None)."""
    train_start = None
    if init_score is not None:
        train_start = _offset_margin(X, init_score, n_classes, "init_score")
    offsets = [_eval_item(eval_init_score, i, "eval_init_score")
               for i in range(len(eval_Xs))]
    if not (has_eval and (init_score is not None or any(o is not None for o in offsets))):
        return train_start, None
    return train_start, [
        train_start if X_i is X and offset is init_score and train_start is not None
        else _offset_margin(X_i, offset, n_classes, f"eval_init_score[{i}]")
        for i, (X_i, offset) in enumerate(zip(eval_Xs, offsets, strict=True))]
