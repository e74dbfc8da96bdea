"""``DaskFocalLGBMClassifier``: the focal-loss LightGBM classifier on a Dask cluster.

Imported by ``boostfocal.dask`` on first access, so that the module does not need
LightGBM when only XGBoost is used.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared.adapter import metric_name
from .._shared.classifier import (
    FOCAL_PARAMS,
    check_focal_proba,
    check_paper_names,
    encode_eval_labels,
    make_loss,
)
from .._shared.fitplan import fold_start_into_lgbm, make_plan
from ..dask import LGBMSklearnMetric, LGBMSklearnObjective
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
    get_client,
    label_uniques,
    labels_from_margin,
    margin_array,
    proba_from_margin,
    start_margin,
)
from ._estimator import (
    _PROBABILITY_METRICS,
    FocalLGBMClassifier,
    LGBMModelFileMixin,
    _aliases,
    _as_list,
    _eval_item,
    _metric_names,
    _user_value,
    _with_start,
    lgbm_class_multipliers,
)

lgb = import_optional("lightgbm", "lightgbm")
# lightgbm.dask imports dask lazily and fails only when used: import it here, so that a
# missing dask is reported now, with the extra to install.
import_optional("distributed", "dask")
lgb_dask = import_optional("lightgbm.dask", "dask")
da = import_optional("dask.array", "dask")

__all__ = ["DaskFocalLGBMClassifier"]

#: Fitted attributes of the worker's model that the Dask estimator does not take over:
#: its own parameters' storage and the labels (the worker only ever saw 0..K-1).
_NOT_COPIED = frozenset({"client", "_other_params", "_classes", "_le", "_class_map",
                         "_class_weight"})


def _eval_data(eval_Xs: list, eval_ys: list) -> dict:
    """The evaluation sets as ``lightgbm.dask._train`` takes them on this LightGBM version.

    ``eval_X``/``eval_y`` from LightGBM 4.7 (checked on 4.7.0), where ``eval_set`` is
    deprecated; ``eval_set`` before (checked on 4.0.0, which passes an unknown ``eval_X``
    on to ``LGBMModel.fit`` and fails there).
    """
    if not eval_Xs:
        return {}
    if "eval_X" in inspect.signature(lgb_dask._train).parameters:
        return {"eval_X": tuple(eval_Xs), "eval_y": tuple(eval_ys)}
    return {"eval_set": list(zip(eval_Xs, eval_ys, strict=True))}


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
        k = int(focal_n_classes)
        self._le = LabelEncoder().fit(np.arange(k))
        self._classes = self._le.classes_
        self._class_map = {i: i for i in range(k)}
        self._n_classes = k
        self._objective = self.objective
        lgb.LGBMModel.fit(self, X, y, sample_weight=sample_weight, init_score=init_score,
                          **kwargs)
        return self


def _encoded_class_weight(value, classes: np.ndarray, name: str):
    """An ``eval_class_weight`` dict keyed by the encoded classes (the workers' labels)."""
    if not isinstance(value, dict):
        return value
    index = {label: i for i, label in enumerate(classes.tolist())}
    unknown = [c for c in value if c not in index]
    if unknown:
        raise ValueError(f"{name} has labels not seen in y: {unknown[:10]}")
    return {index[c]: v for c, v in value.items()}


class DaskFocalLGBMClassifier(LGBMModelFileMixin, lgb.DaskLGBMClassifier):
    """LightGBM focal-loss classifier on a Dask cluster (binary and multiclass).

    A drop-in replacement for :class:`lightgbm.DaskLGBMClassifier` with the parameters
    and behaviour of :class:`~boostfocal.lightgbm.FocalLGBMClassifier`: every
    ``DaskLGBMClassifier`` parameter (``client`` included), plus ``focal_gamma``,
    ``focal_alpha``, ``focal_hessian`` and ``focal_proba``, which never reach LightGBM.

    Parameters
    ----------
    focal_gamma : float, default=2.0
        Focusing parameter, ``>= 0``; 0 with ``focal_alpha=None`` is the logistic loss.
    focal_alpha : float, sequence of float, "balanced" or None, default=None
        Class weights of the focal loss, as in ``FocalLGBMClassifier``; ``"balanced"``
        is resolved from the class totals reduced on the cluster.
    focal_hessian : {"majorizer", "floor", "exact"}, default="majorizer"
        Curvature handed to LightGBM; see :class:`~boostfocal.FocalLoss`.
    focal_proba : {"posterior", "confidence"}, default="posterior"
        What :meth:`predict_proba` returns: the class posterior (default) or the raw
        sigmoid/softmax of the margin.
    client : distributed.Client, default=None
        The Dask client; ``distributed.default_client()`` at run time if None. Not
        pickled with the model.
    **kwargs
        Every other ``DaskLGBMClassifier`` / ``LGBMClassifier`` parameter; ``objective``
        must stay None.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The original class labels, sorted.
    loss_ : FocalLoss or SoftmaxFocalLoss
        The loss trained on.
    init_score_ : float or ndarray of shape (K,)
        The starting score, from the weighted class totals reduced on the cluster.
    class_totals_ : ndarray of shape (K,)
        Those totals (``sample_weight`` with ``class_weight``, ``is_unbalance`` and
        ``scale_pos_weight`` folded in).

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
    """

    _loss_params = FOCAL_PARAMS

    def __init__(
        self,
        *,
        focal_gamma: float = 2.0,
        focal_alpha=None,
        focal_hessian: str = "majorizer",
        focal_proba: str = "posterior",
        boosting_type: str = "gbdt",
        num_leaves: int = 31,
        max_depth: int = -1,
        learning_rate: float = 0.1,
        n_estimators: int = 100,
        subsample_for_bin: int = 200000,
        objective=None,
        class_weight=None,
        min_split_gain: float = 0.0,
        min_child_weight: float = 1e-3,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        random_state=None,
        n_jobs: int | None = None,
        importance_type: str = "split",
        client=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            boosting_type=boosting_type,
            num_leaves=num_leaves,
            max_depth=max_depth,
            learning_rate=learning_rate,
            n_estimators=n_estimators,
            subsample_for_bin=subsample_for_bin,
            objective=objective,
            class_weight=class_weight,
            min_split_gain=min_split_gain,
            min_child_weight=min_child_weight,
            min_child_samples=min_child_samples,
            subsample=subsample,
            subsample_freq=subsample_freq,
            colsample_bytree=colsample_bytree,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            random_state=random_state,
            n_jobs=n_jobs,
            importance_type=importance_type,
            client=client,
            **kwargs,
        )
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.focal_hessian = focal_hessian
        self.focal_proba = focal_proba

    def _process_params(self, stage: str) -> dict:
        """LightGBM's parameters without the focal ones (which never reach LightGBM)."""
        params = super()._process_params(stage)
        for name in FOCAL_PARAMS:
            params.pop(name, None)
        return params

    def _booster_params(self) -> dict:
        """The LightGBM parameters of the estimator, without ``client`` and the focal ones."""
        params = self.get_params()
        params.pop("client", None)
        for name in FOCAL_PARAMS:
            params.pop(name, None)
        return params

    # ------------------------------------------------------------------ fit
    def fit(  # noqa: D417 - the LightGBM parameters are documented by DaskLGBMClassifier
        self,
        X,
        y,
        sample_weight=None,
        init_score=None,
        eval_set=None,
        eval_names=None,
        eval_sample_weight=None,
        eval_class_weight=None,
        eval_init_score=None,
        eval_metric=None,
        *,
        eval_X=None,
        eval_y=None,
        **kwargs,
    ) -> DaskFocalLGBMClassifier:
        """Fit the focal-loss model on dask collections.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Training features.
        y : dask array or dask Series of shape (n,)
            Class labels of any sortable type, partitioned like ``X``.
        sample_weight : dask array or dask Series of shape (n,), default=None
            Finite weights ``>= 0``, not all zero, partitioned like ``X``.
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
        check_paper_names(self, "lightgbm")
        check_focal_proba(self.focal_proba)
        client = get_client(self.client)
        X_in, y_in = X, y
        X = check_features(X)
        if isinstance(X, da.Array):
            X = X.rechunk({1: -1})  # LightGBM's Dask layer needs one column chunk
        y = align_rows(as_column(y, "y"), X, "y", "X")
        weights = None
        if sample_weight is not None:
            weights = align_rows(as_column(sample_weight, "sample_weight"), X,
                                 "sample_weight", "X")

        sets = self._eval_sets(eval_set, eval_X, eval_y)
        eval_cols = []
        for i, (X_i, y_i) in enumerate(sets):
            same_as_train = X_i is X_in and y_i is y_in
            if same_as_train:
                eval_cols.append((X, y, True))
                continue
            X_i = check_features(X_i, f"eval_X[{i}]")
            if isinstance(X_i, da.Array):
                X_i = X_i.rechunk({1: -1})
            y_i = align_rows(as_column(y_i, f"eval_y[{i}]"), X_i, f"eval_y[{i}]",
                             f"eval_X[{i}]")
            eval_cols.append((X_i, y_i, False))

        # Reduction 1: the unique labels of every set (K values each, never the labels).
        uniques = client.gather(client.compute(
            [label_uniques(y), *(label_uniques(y_i) for _, y_i, same in eval_cols
                                 if not same)]))
        classes = classes_from_uniques(uniques[0])
        for (i, _), values in zip([(i, c) for i, c in enumerate(eval_cols) if not c[2]],
                                  uniques[1:], strict=True):
            encode_eval_labels(values, classes, f"eval_y[{i}]")
        n_classes = classes.shape[0]
        params = self._booster_params()
        twin = FocalLGBMClassifier(**params)
        unbalance, spw = twin._check_params(twin.get_params(), n_classes)
        loss = make_loss(n_classes, self.focal_gamma, self.focal_alpha, self.focal_hessian)
        y_enc = encode(y, classes, "y")

        eval_Xs, eval_ys, eval_weights, eval_starts, checks = [], [], [], [], []
        for i, (X_i, y_i, same_as_train) in enumerate(eval_cols):
            y_i_enc = y_enc if same_as_train else encode(y_i, classes, f"eval_y[{i}]")
            w_i = _eval_item(eval_sample_weight, i, "eval_sample_weight")
            if w_i is not None and same_as_train and w_i is sample_weight:
                w_i = weights
            elif w_i is not None:
                name = f"eval_sample_weight[{i}]"
                w_i = align_rows(as_column(w_i, name), X_i, name, f"eval_X[{i}]")
                checks.append((name, block_stats(y_i_enc, w_i, n_classes)))
            eval_Xs.append(X_i)
            eval_ys.append(y_i_enc)
            eval_weights.append(w_i)

        # Reduction 2: class counts and weighted totals (and the weight checks).
        stats = client.gather(client.compute(
            [block_stats(y_enc, weights, n_classes), *(graph for _, graph in checks)]))
        train = ClassStats(stats[0], n_classes).check("y", "sample_weight",
                                                      weights is not None)
        for (name, _), values in zip(checks, stats[1:], strict=True):
            ClassStats(values, n_classes).check(name, name, True)
        mult = lgbm_class_multipliers(classes, train.counts, self.class_weight, unbalance,
                                      spw)
        train.check_folded_weights(mult)
        plan = make_plan(classes, train.totals, loss, multipliers=mult,
                         weight_names="sample_weight (with class_weight, is_unbalance and "
                                      "scale_pos_weight)")
        loss, start, totals = plan.loss, plan.start, plan.totals
        train_weights = weights if mult is None else fold_class_weights(y_enc, weights, mult)

        # The start reaches LightGBM as in memory: added to its raw scores by the objective
        # and the metrics (raw_offset) while training, folded into the first iteration's
        # leaves afterwards. Only the user's offsets travel as per-row init scores.
        zero = np.zeros(()) if n_classes == 2 else np.zeros(n_classes)
        eval_offsets = [_eval_item(eval_init_score, i, "eval_init_score")
                        for i in range(len(eval_Xs))]
        any_offset = init_score is not None or any(o is not None for o in eval_offsets)
        train_start = None
        if init_score is not None:
            train_start = add_offset(start_margin(zero, X), init_score, n_classes,
                                     "init_score")
        for i, X_i in enumerate(eval_Xs):
            offset = eval_offsets[i]
            if not any_offset:
                continue
            if X_i is X and offset is init_score and train_start is not None:
                eval_starts.append(train_start)
            else:
                eval_starts.append(add_offset(start_margin(zero, X_i), offset, n_classes,
                                              f"eval_init_score[{i}]"))

        metrics = _as_list(eval_metric)
        user_metric = _user_value(params, "metric") is not None
        asked = _metric_names(_user_value(params, "metric")) + _metric_names(metrics)
        raw_prob = sorted({m for m in asked if m in _PROBABILITY_METRICS})
        if raw_prob:
            warnings.warn(
                f"LightGBM computes the metrics {raw_prob} from raw margins as if they were "
                "probabilities when the objective is custom, so their values are "
                f"meaningless here; the focal loss ({metric_name(loss)!r}) is always "
                "reported", UserWarning, stacklevel=2)
        metrics = [_with_start(m, start) for m in metrics]
        metrics.append(LGBMSklearnMetric(loss, raw_offset=start))

        worker_params = dict(params, objective=LGBMSklearnObjective(loss, raw_offset=start),
                             class_weight=None)
        # is_unbalance / scale_pos_weight are folded into the weights; LightGBM's Dask layer
        # sets num_threads per worker itself (and warns about any value it is given).
        for alias in (*_aliases("is_unbalance"), *_aliases("scale_pos_weight"),
                      *_aliases("num_threads")):
            worker_params.pop(alias, None)
        if not user_metric:
            for alias in _aliases("metric"):
                worker_params.pop(alias, None)
            worker_params["metric"] = "None"
        if eval_class_weight is not None:
            eval_class_weight = [_encoded_class_weight(v, classes, f"eval_class_weight[{i}]")
                                 for i, v in enumerate(eval_class_weight)]

        model = lgb_dask._train(
            client=client, data=X, label=y_enc, params=worker_params,
            model_factory=_FocalLGBMWorker, sample_weight=train_weights,
            init_score=train_start,
            **_eval_data(eval_Xs, eval_ys), eval_names=eval_names,
            eval_sample_weight=eval_weights if any(w is not None for w in eval_weights)
            else None,
            eval_class_weight=eval_class_weight,
            eval_init_score=eval_starts if sets and any_offset else None,
            eval_metric=metrics,
            focal_n_classes=n_classes, **kwargs)

        for name, value in model.__dict__.items():
            if name not in _NOT_COPIED and name not in params:
                setattr(self, name, value)
        fold_start_into_lgbm(self._Booster, start)
        self._focal_start_in_booster = True
        self._classes = classes
        self._n_classes = n_classes
        self.loss_ = loss
        self.init_score_ = start
        self.class_totals_ = totals
        return self

    @staticmethod
    def _eval_sets(eval_set, eval_X, eval_y) -> list:
        """Evaluation sets as a list of (X, y) pairs, from either way of passing them."""
        if eval_set is not None:
            if eval_X is not None or eval_y is not None:
                raise ValueError("Specify either 'eval_set' or 'eval_X' and 'eval_y', "
                                 "but not both.")
            return list(eval_set) if isinstance(eval_set, list) else [eval_set]
        if (eval_X is None) != (eval_y is None):
            raise ValueError("You must specify eval_X and eval_y, not just one of them.")
        if eval_X is None:
            return []
        if isinstance(eval_X, tuple) != isinstance(eval_y, tuple) or (
                isinstance(eval_X, tuple) and len(eval_X) != len(eval_y)):
            raise ValueError("If eval_X is a tuple, eval_y must be a tuple of the same "
                             "length, and vice versa.")
        if isinstance(eval_X, tuple):
            return list(zip(eval_X, eval_y, strict=True))
        return [(eval_X, eval_y)]

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
        return self._lgb_dask_to_local(FocalLGBMClassifier)

    def _reader(self) -> MarginReader:
        check_is_fitted(self, "loss_")
        return MarginReader(self.loss_, self.focal_proba, self.classes_)

    def _local_predict(self, X, **kwargs):
        X = check_features(X)
        if isinstance(X, da.Array):
            X = X.rechunk({1: -1})
        return lgb_dask._predict(model=self.to_local(), data=X, client=get_client(self.client),
                                 pred_proba=True, **kwargs)

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
        margin = margin_array(margin, self.n_classes_)
        if init_score is None:
            return margin
        zero = np.zeros(()) if self.n_classes_ == 2 else np.zeros(self.n_classes_)
        offset = add_offset(start_margin(zero, X), init_score, self.n_classes_, "init_score")
        return margin + margin_array(offset, self.n_classes_)

    def predict_proba(self, X, raw_score: bool = False, start_iteration: int = 0,
                      num_iteration: int | None = None, pred_leaf: bool = False,
                      pred_contrib: bool = False, validate_features: bool = False, *,
                      init_score=None, **kwargs):
        """Class probabilities as a dask array of shape (n, K).

        The class posterior recovered from the focal margins (``focal_proba="posterior"``)
        or their raw sigmoid/softmax (``"confidence"``), block by block.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Input features.
        raw_score : bool, default=False
            Return :meth:`decision_function` instead.
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``DaskLGBMClassifier.predict_proba``.
        pred_leaf, pred_contrib : bool, default=False
            Leaf indices or feature contributions, as ``FocalLGBMClassifier`` computes
            them (the bias column includes ``init_score_``).
        init_score : dask collection, default=None
            Per-row margin offset of these rows; 0 if None.

        Returns
        -------
        dask array of shape (n, K)
        """
        check_is_fitted(self, "loss_")
        if pred_leaf or pred_contrib:
            return self._local_predict(X, start_iteration=start_iteration,
                                       num_iteration=num_iteration, pred_leaf=pred_leaf,
                                       pred_contrib=pred_contrib,
                                       validate_features=validate_features, **kwargs)
        margin = self.decision_function(
            X, init_score=init_score, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)
        return margin if raw_score else proba_from_margin(margin, self._reader())

    def predict(self, X, raw_score: bool = False, start_iteration: int = 0,
                num_iteration: int | None = None, pred_leaf: bool = False,
                pred_contrib: bool = False, validate_features: bool = False, *,
                init_score=None, **kwargs):
        """Predicted class labels (the original labels) as a dask array of shape (n,).

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n, n_features)
            Input features.
        raw_score, pred_leaf, pred_contrib : bool, default=False
            As in :meth:`predict_proba`.
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``DaskLGBMClassifier.predict``.
        init_score : dask collection, default=None
            Per-row margin offset of these rows; 0 if None.

        Returns
        -------
        dask array of shape (n,)
        """
        if raw_score or pred_leaf or pred_contrib:
            return self.predict_proba(
                X, raw_score=raw_score, start_iteration=start_iteration,
                num_iteration=num_iteration, pred_leaf=pred_leaf, pred_contrib=pred_contrib,
                validate_features=validate_features, init_score=init_score, **kwargs)
        margin = self.decision_function(
            X, init_score=init_score, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)
        return labels_from_margin(margin, self._reader())

