"""The scikit-learn estimators ``FocalLGBMClassifier`` and ``GHMLGBMClassifier``."""

from __future__ import annotations

import numpy as np

from .._optional import import_optional
from .._shared.classifier import (
    FocalLossMixin,
    GHMLossMixin,
    apply_class_weights,
    encode_eval_labels,
    kernel_threads,
    validate_sample_weight,
)
from .._shared.docs import LIGHTGBM_WORDS, fill_doc
from .._shared.fitplan import fold_start_into_lgbm, plan_in_memory
from . import _compat
from ._adapter import _FitObjective, _FocalEvalMetric, make_objective
from ._base import LGBMFocalMixin
from ._fit import (
    _as_offset,
    _eval_item,
    _FitContext,
    _init_model_start,
    _n_rows,
    _with_lgbm_signature,
    lgbm_class_multipliers,
)

lgb = import_optional("lightgbm", "lightgbm")


class _FocalLGBMBase(LGBMFocalMixin, lgb.LGBMClassifier):
    """The in-memory LightGBM estimators, but for their loss (a mixin before it in the bases).

    Fitting on in-memory data (labels, ``sample_weight``, offsets, evaluation sets,
    ``init_model``) and the margins of prediction; the parameters, checks and metrics
    are :class:`LGBMFocalMixin`'s, shared with the Dask estimator.
    """

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, init_score=None,  # noqa: D417 - see LGBMClassifier
            eval_set=None, eval_names=None, eval_sample_weight=None, eval_class_weight=None,
            eval_init_score=None, eval_metric=None, feature_name="auto",
            categorical_feature="auto", callbacks=None, init_model=None, *, eval_X=None,
            eval_y=None) -> _FocalLGBMBase:
        """Fit the focal-loss model; the arguments are those of ``LGBMClassifier.fit``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training features (numpy, pandas, scipy.sparse, ...), as ``LGBMClassifier``.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings, {1, 3}, pandas Series, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Finite weights ``>= 0``, not all zero.
        init_score : array-like, default=None
            Per-row margin offset added on top of ``init_score_`` (see Notes of the class).
        eval_set, eval_X, eval_y : optional
            Evaluation data as in ``LGBMClassifier`` (``eval_set`` is deprecated there);
            labels are encoded with the training classes, an unseen label is an error.
        eval_init_score : list or dict of array-like, default=None
            Per-row offsets of the evaluation sets, added on top of ``init_score_``.
        eval_metric : str, callable or list, default=None
            Extra metrics; the loss's own metric (``"focal_loss"``, or ``"logloss"`` for
            GHM-C) is always reported.
        init_model : str, os.PathLike, lightgbm.Booster or fitted estimator, default=None
            Model to continue training from (a boostfocal estimator or model file, or
            any LightGBM model). Its raw scores, which for a boostfocal model include
            its starting score, are where this fit starts; no second start is added, and
            ``init_score_`` is the init model's start (0 for a plain LightGBM model).
            Cannot be combined with ``init_score``/``eval_init_score`` (LightGBM replaces
            them by the init model's scores).

        Returns
        -------
        self : estimator
        """
        params = self._booster_params()
        plan, y_enc, weights, train_weights = self._plan(y, sample_weight, params)
        classes, n_classes, loss = plan.classes, plan.n_classes, plan.loss
        n = y_enc.shape[0]
        n_x = _n_rows(X)
        if n_x != n:
            raise ValueError(f"X has {n_x} rows but y has {n} labels")
        start, init_start = plan.start, plan.start
        if init_model is not None:
            # Continued training: the init model's raw scores (its start included, in its
            # first iteration's leaves) are LightGBM's per-row init scores.
            if init_score is not None or eval_init_score is not None:
                raise ValueError("init_score and eval_init_score cannot be combined with "
                                 "init_model: LightGBM replaces them by the init model's "
                                 "raw scores")
            init_start = _init_model_start(init_model, n_classes)
            start = None
        offset = _as_offset(init_score, n, n_classes, "init_score")

        sets, source = self._eval_sets(eval_set, eval_X, eval_y)
        eval_offsets, encoded = [], []
        for i, (X_i, y_i) in enumerate(sets):
            y_i_enc = encode_eval_labels(y_i, classes, f"eval_y[{i}]")
            n_i = y_i_enc.shape[0]
            if _n_rows(X_i) != n_i:
                raise ValueError(f"eval set {i} has {_n_rows(X_i)} rows but {n_i} labels")
            validate_sample_weight(_eval_item(eval_sample_weight, i, "eval_sample_weight"),
                                   n_i, f"eval_sample_weight[{i}]")
            eval_offset = _as_offset(_eval_item(eval_init_score, i, "eval_init_score"), n_i,
                                     n_classes, f"eval_init_score[{i}]")
            encoded.append(y_i_enc)
            eval_offsets.append(eval_offset)

        # The starting score is added to LightGBM's raw scores by the objective and the
        # metrics (raw_offset), not stored as a per-row init_score: LightGBM would keep two
        # float64 copies of it (8 n K bytes each) for the whole fit. Only the user's own
        # offsets go into the Datasets.
        n_threads = kernel_threads(self)
        metrics, user_metric = self._fit_metrics(
            eval_metric, params, loss, start,
            _FocalEvalMetric(loss, raw_offset=start, n_threads=n_threads))

        fit_kwargs = dict(
            sample_weight=train_weights, init_score=offset,
            eval_names=eval_names, eval_sample_weight=eval_sample_weight,
            eval_class_weight=eval_class_weight,
            eval_init_score=(eval_offsets if any(o is not None for o in eval_offsets)
                             else None),
            eval_metric=metrics,
            feature_name=feature_name, categorical_feature=categorical_feature,
            callbacks=callbacks, init_model=init_model)
        if source == "eval_set":  # LGBMClassifier encodes these labels itself
            fit_kwargs["eval_set"] = sets
        elif source == "eval_X":
            fit_kwargs["eval_X"] = tuple(X_i for X_i, _ in sets)
            fit_kwargs["eval_y"] = tuple(encoded)

        self._focal_fit = _FitContext(
            _FitObjective(loss, raw_offset=start, n_threads=n_threads), user_metric, n)
        try:
            try:
                super().fit(X, y, **fit_kwargs)
            except lgb.basic.LightGBMError as exc:
                if "num_features()) > (0)" not in str(exc):
                    raise
                if _compat.user_value(params, "feature_pre_filter") is not None:
                    raise ValueError(
                        "LightGBM found no usable feature (every feature is constant or has "
                        "too few rows per bin for min_child_samples / min_data_in_bin), and "
                        "under a custom objective it cannot fit a constant model; set "
                        "feature_pre_filter=False or lower min_child_samples") from exc
                self._focal_fit.no_feature_pre_filter = True
                super().fit(X, y, **fit_kwargs)
            # a plain, copyable one from now on
            _compat.set_fitted_objective(self, make_objective(loss, n_threads=n_threads))
        finally:
            del self._focal_fit
        if init_model is None:
            fold_start_into_lgbm(self.booster_, start)
        self._focal_start_in_booster = True
        _compat.set_fitted_labels(self, classes)
        self.loss_ = loss
        self.init_score_ = init_start
        return self

    def _plan(self, y, sample_weight, params: dict):
        """The fit plan, the encoded labels, the user's and the training weights.

        ``class_weight`` is applied by ``LGBMClassifier`` itself; ``is_unbalance`` and
        ``scale_pos_weight``, which LightGBM ignores under a custom objective, are folded
        into the training weights here. All of them enter the plan's class totals.
        """
        state = {}

        def multipliers(classes, counts):
            unbalance, spw = self._check_params(params, classes.shape[0])
            state["fold"] = lgbm_class_multipliers(classes, counts, None, unbalance, spw)
            return lgbm_class_multipliers(classes, counts, self.class_weight, unbalance, spw)

        plan, y_enc, weights = plan_in_memory(
            y, sample_weight, make_loss=self._make_loss, multipliers=multipliers,
            weight_names="sample_weight (with class_weight, is_unbalance and "
                         "scale_pos_weight)")
        if self.class_weight is not None:
            # LightGBM multiplies by class_weight itself: the product must still fit its
            # float32 weights (apply_class_weights refuses it otherwise, naming them)
            apply_class_weights(y_enc, weights, plan.multipliers)
        return plan, y_enc, weights, apply_class_weights(y_enc, weights, state["fold"])

    # ------------------------------------------------------------------ prediction
    def _raw(self, X, start_iteration, num_iteration, validate_features, **kwargs):
        return lgb.LGBMModel.predict(
            self, X, raw_score=True, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)

    def decision_function(self, X, *, init_score=None, start_iteration: int = 0,
                          num_iteration: int | None = None, validate_features: bool = False,
                          **kwargs) -> np.ndarray:
        """Raw margins, starting score included.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input features.
        init_score : array-like, default=None
            Per-row margin offset of these rows (as given to ``fit``); 0 if None.
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``LGBMClassifier.predict``. By default the best iteration is used when
            early stopping found one.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``init_score_`` (+ ``init_score``) + the trees' raw score: log-odds of
            ``classes_[1]`` for binary targets, logits for multiclass.
        """
        raw = self._raw(X, start_iteration, num_iteration, validate_features, **kwargs)
        margin = np.asarray(raw, dtype=np.float64)
        if self._start_left_out(start_iteration):
            margin = margin + self.init_score_
        offset = _as_offset(init_score, margin.shape[0], self.n_classes_, "init_score")
        return margin if offset is None else margin + offset

    def _start_left_out(self, start_iteration) -> bool:
        """Whether the booster's raw scores miss the start: it lives in iteration 0.

        A model pickled by boostfocal 0.1.0 (start never folded into the booster) always
        misses it.
        """
        if not self.__dict__.get("_focal_start_in_booster", False):
            return True
        return start_iteration is not None and start_iteration > 0

    def _passthrough(self, X, start_iteration, num_iteration, pred_leaf, pred_contrib,
                     validate_features, **kwargs):
        """Leaf indices or feature contributions, as LightGBM computes them.

        The bias column of ``pred_contrib`` includes ``init_score_`` (the booster's first
        iteration holds it; it is added when ``start_iteration`` skips that iteration),
        so that each row's contributions sum to :meth:`decision_function`.
        """
        out = lgb.LGBMModel.predict(
            self, X, start_iteration=start_iteration, num_iteration=num_iteration,
            pred_leaf=pred_leaf, pred_contrib=pred_contrib,
            validate_features=validate_features, **kwargs)
        if pred_contrib and not pred_leaf and self._start_left_out(start_iteration):
            out = _add_to_bias(out, self.init_score_, self.n_features_)
        return out

    def _proba_of(self, margin: np.ndarray) -> np.ndarray:
        return self._proba_from_margin(margin)

    def _labels_of(self, margin: np.ndarray) -> np.ndarray:
        return self._labels_from_proba(self._proba_from_margin(margin))


@fill_doc(**LIGHTGBM_WORDS)
@_with_lgbm_signature
class FocalLGBMClassifier(FocalLossMixin, _FocalLGBMBase):
    """LightGBM classifier trained on the focal loss (binary and multiclass).

    A drop-in replacement for :class:`lightgbm.LGBMClassifier`: it accepts every
    parameter of ``LGBMClassifier`` and adds the ``focal_*`` parameters below. Two classes
    train on :class:`~boostfocal.FocalLoss`, more on :class:`~boostfocal.SoftmaxFocalLoss`.

    Parameters
    ----------
    ${focal_params}
    objective : None
        Must stay ``None``: the focal loss is the objective (``ValueError`` otherwise).
    **LGBMClassifier parameters
        Everything else is ``LGBMClassifier``'s, with the notes below.

    Attributes
    ----------
    loss_ : FocalLoss or SoftmaxFocalLoss
        The loss trained on.
    focal_alpha_ : float, ndarray of shape (n_classes,) or None
        The class weights trained with (``focal_alpha`` with ``"balanced"`` resolved).
    init_score_ : float or ndarray of shape (n_classes,)
        The starting score: the constant margin minimizing the weighted focal loss on
        the training labels and weights (``class_weight``, ``is_unbalance`` and
        ``scale_pos_weight`` included). In training it is added to LightGBM's raw scores
        by the objective and the metrics (not stored per row as an ``init_score``:
        LightGBM would keep two float64 copies of it, 16 n K bytes, for the whole fit);
        after training it is added to every leaf of the first iteration's trees, so the
        booster's own raw scores (``booster_.predict(X, raw_score=True)``, a saved file,
        ``pred_contrib``, SHAP) include it.
    classes_, n_classes_, booster_, best_iteration_, evals_result_, objective_, ...
        As in ``LGBMClassifier``. ``classes_`` holds the original labels.

    Notes
    -----
    **Starting score and offsets.** ``fit(init_score=...)`` is a per-row offset added on
    top of ``init_score_`` (shape (n,) binary, (n, K) or flat class-major (n*K,)
    multiclass); ``eval_init_score`` likewise for the evaluation sets. LightGBM's
    ``predict`` has no ``init_score``, so :meth:`decision_function`, :meth:`predict_proba`
    and :meth:`predict` take an ``init_score=`` keyword with the offset of the rows being
    predicted; without it the offset is taken as 0.

    **Metrics and early stopping.** The weighted mean focal loss of every evaluation set
    is always reported as ``"focal_loss"`` (minimized). Unless a ``metric`` parameter
    is set, LightGBM's default metric is switched off, because under a custom objective
    it reads raw margins as probabilities (``binary_logloss`` and the like are then
    meaningless; a ``UserWarning`` says so if you ask for one). Early stopping
    (``callbacks=[lgb.early_stopping(k)]`` or ``early_stopping_round=k``) therefore stops
    at the minimum of the focal loss, and prediction uses ``best_iteration_``. A callable
    ``eval_metric`` of yours receives the margins, starting score included, as
    :meth:`decision_function` returns them; LightGBM's ranking metrics (``auc``,
    ``average_precision``, ``auc_mu``) see its raw scores, which leave the constant start
    out, and are unchanged by it.

    **Weights.** ``sample_weight`` must be finite, ``>= 0`` and not all zero.
    ``class_weight`` is folded into the weights as by ``LGBMClassifier``. LightGBM ignores
    ``is_unbalance`` and ``scale_pos_weight`` under a custom objective; this estimator
    applies them exactly as LightGBM's ``binary`` objective does (the minority class is
    weighted by the ratio of the unweighted class counts; ``scale_pos_weight``
    multiplies the weight of ``classes_[1]``). They are binary-only (``ValueError`` for
    multiclass) and cannot be combined.

    **Tree-growth constraints.** ``min_child_weight`` (``min_sum_hessian_in_leaf``) must be
    greater than 1e-15: LightGBM starts each child's Hessian sum at 1e-15, so with a
    smaller value it may choose a split with an empty child and abort (``Check failed:
    (best_split_info.left_count) > (0)``; LightGBM's own ``binary`` objective does the
    same). When every feature is unusable (tiny or constant data), LightGBM aborts under
    a custom objective (``Check failed: (train_data->num_features()) > (0)``) where its
    built-in objectives fit a constant; this estimator then sets
    ``feature_pre_filter=False`` (unless you set it) and fits the constant
    ``init_score_``.

    **Saving and continued training.** :meth:`save_model` writes LightGBM's text format,
    and the file is the whole model: plain ``lightgbm.Booster(model_file=path)
    .predict(X, raw_score=True)`` returns :meth:`decision_function`'s margins (the start
    is in the first iteration's leaves), and one ``boostfocal:`` line after LightGBM's
    parameters section (which LightGBM's loader skips) holds the classes, the loss and
    its parameters, restored by ``FocalLGBMClassifier().load_model(path)``, which checks
    the file whole (its trees included) before it changes anything and refuses a file
    it cannot restore exactly with a short ``ValueError``. ``init_model`` continues
    from a boostfocal estimator, file or any LightGBM model.
    Because the start lives in iteration 0, ``start_iteration > 0`` leaves it out of
    LightGBM's raw scores; :meth:`decision_function` adds ``init_score_`` back then.
    ``Booster.refit`` recomputes the leaf values and drops the start: refit through
    the estimator instead.

    **Defaults.** LightGBM's defaults are kept (``min_child_weight=1e-3``,
    ``min_child_samples=20``): they learn as well under focal loss as under the built-in
    objective. Focal Hessians are 10-1000x smaller than logistic ones on easy examples,
    but LightGBM checks ``min_child_samples`` against a row count *estimated from the
    Hessian sums*, so a leaf that passes it holds at least 20x the mean Hessian of its
    parent, which usually exceeds 1e-3. Measured over 5 seeds on 2%-positive
    ``make_classification`` data (2,000 / 10,000 / 40,000 rows) and ISLR ``Default``:
    lowering ``min_child_weight`` to 1e-5 or 1e-8 changed the test average precision by
    at most 0.001 and every tree kept its 31 leaves; the default estimator's average
    precision was within -0.012 to +0.013 of ``LGBMClassifier()``'s on the same splits.
    Only after several hundred trees does 1e-3 start to prune (5-8 leaves per late tree),
    with no consistent effect on average precision. ``min_child_samples`` matters as
    much as for the built-in objective (5 is worse on small data for both). See
    ``benchmarks/lgbm_defaults.py``.

    **First metric.** LightGBM evaluates built-in metrics before callable ones, so with
    ``first_metric_only=True`` and a built-in metric of yours, early stopping follows
    that metric rather than the focal loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.lightgbm import FocalLGBMClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.9], random_state=0)
    >>> labels = np.where(y == 1, "fraud", "ok")              # any sortable labels
    >>> clf = FocalLGBMClassifier(focal_alpha="balanced", n_estimators=20, verbose=-1)
    >>> clf = clf.fit(X, labels)
    >>> clf.classes_
    array(['fraud', 'ok'], dtype='<U5')
    >>> clf.predict_proba(X[:3]).shape, clf.predict(X[:3]).dtype
    ((3, 2), dtype('<U5'))
    """


@fill_doc(**LIGHTGBM_WORDS)
@_with_lgbm_signature
class GHMLGBMClassifier(GHMLossMixin, _FocalLGBMBase):
    """LightGBM classifier trained on GHM-C, the gradient-harmonized logistic loss (binary).

    ${ghm_summary}

    Parameters
    ----------
    ${ghm_params}
    objective : None
        Must stay ``None`` (``ValueError`` otherwise): GHM-C is the objective.
    **LGBMClassifier parameters
        Everything else is ``LGBMClassifier``'s, with the notes of
        :class:`FocalLGBMClassifier`.

    Attributes
    ----------
    loss_ : GHMLoss
        The loss trained on, with its final histogram (``density_``) and the number of
        rounds it saw (``n_updates_``).
    init_score_ : float
        The starting score: the weighted prior log-odds (``class_weight``,
        ``is_unbalance`` and ``scale_pos_weight`` included), held by the booster's
        first iteration as in :class:`FocalLGBMClassifier`.
    classes_, n_classes_, booster_, best_iteration_, evals_result_, objective_, ...
        As in ``LGBMClassifier``. ``classes_`` holds the original labels.

    Notes
    -----
    Binary targets only: more than two classes raise a ``ValueError``.

    Everything else behaves as in :class:`FocalLGBMClassifier`: arbitrary labels,
    ``sample_weight`` (which also counts in the bin totals, so a weight of 2 equals a
    repeated row), ``class_weight``, ``is_unbalance``, ``scale_pos_weight``,
    ``init_score`` offsets, evaluation sets and early stopping, the metric switched off
    unless you set one, pickling, ``clone`` and grid searches.

    ${ghm_notes}

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.lightgbm import GHMLGBMClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], flip_y=0.05,
    ...                            random_state=0)       # 5% of the labels are noise
    >>> clf = GHMLGBMClassifier(ghm_bins=10, n_estimators=20, verbose=-1).fit(X, y)
    >>> clf.loss_.n_updates_
    20
    """


def _add_to_bias(contrib, init, n_features: int):
    """Add the starting score to the bias column(s) of LightGBM's ``pred_contrib`` output."""
    init = np.atleast_1d(np.asarray(init, dtype=np.float64))
    width = n_features + 1
    if isinstance(contrib, list):  # multiclass sparse input: one matrix per class
        return [_add_to_bias(m, init[k], n_features) for k, m in enumerate(contrib)]
    if isinstance(contrib, np.ndarray):
        out = np.array(contrib, dtype=np.float64, copy=True)
        for k, value in enumerate(init):
            out[:, k * width + n_features] += value
        return out
    fmt = contrib.format  # scipy.sparse, binary
    out = contrib.tolil(copy=True)
    for k, value in enumerate(init):
        col = k * width + n_features
        out[:, col] = out[:, col].toarray() + value
    return out.asformat(fmt)
