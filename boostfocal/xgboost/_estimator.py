"""The scikit-learn estimators ``FocalXGBClassifier`` and ``GHMXGBClassifier``."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from .._optional import import_optional
from .._shared._compat import num_samples
from .._shared.classifier import (
    FocalLossMixin,
    GHMLossMixin,
    apply_class_weights,
    encode_eval_labels,
    kernel_threads,
    validate_sample_weight,
)
from .._shared.docs import XGBOOST_WORDS, fill_doc
from .._shared.fitplan import plan_in_memory
from ._base import XGBFocalMixin, check_gradient_scale
from ._model_file import booster_margin, start_in_booster

xgb = import_optional("xgboost", "xgboost")


class _FocalXGBBase(XGBFocalMixin, xgb.XGBClassifier):
    """The in-memory XGBoost estimators, but for their loss (a mixin before it in the bases).

    Fitting on in-memory data (labels, weights, base margins, evaluation sets), the
    ``classes_`` and ``intercept_`` of a fitted model and prediction; the parameters,
    checks and fitted state are :class:`XGBFocalMixin`'s, shared with the Dask estimator.
    """

    # ------------------------------------------------------------------ parameters
    def _set_classes(self, classes: np.ndarray) -> None:
        self._focal_classes = classes

    @property
    def classes_(self) -> np.ndarray:
        """The original class labels (``arange(n_classes_)`` while ``fit`` runs)."""
        labels = self.__dict__.get("_focal_classes")
        return np.arange(self.n_classes_) if labels is None else labels

    @property
    def intercept_(self) -> np.ndarray:
        """Constant part of the margin: ``init_score_`` (plus the bias for ``gblinear``).

        ``XGBClassifier.intercept_`` reports the booster's ``base_score`` in XGBoost's
        convention (a probability for two classes); this is the margin.

        Returns
        -------
        ndarray of shape (1,) or (K,)
        """
        start = np.atleast_1d(np.asarray(self.init_score_, dtype=np.float64))
        if self.get_xgb_params().get("booster") != "gblinear":
            return start
        return start + np.asarray(super().intercept_, dtype=np.float64)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *, sample_weight=None, base_margin=None, eval_set=None,
            verbose: bool | int | None = True, xgb_model=None, sample_weight_eval_set=None,
            base_margin_eval_set=None, feature_weights=None) -> _FocalXGBBase:
        """Fit the gradient boosting classifier on the estimator's loss.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Training features; anything ``XGBClassifier.fit`` accepts.
        y : array-like of shape (n,)
            Class labels of any sortable type (strings, {1, 3}, a pandas Series, ...).
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights, not all zero; they multiply the gradients and Hessians
            and enter the starting score (and, for GHM-C, the bin totals).
        base_margin : array-like of shape (n,) or (n, K), default=None
            Per-row offset added to the starting score ``init_score_``.
        eval_set : list of (X, y) pairs, default=None
            Validation sets, with labels from ``classes_``; they report the loss's metric
            (``"focal_loss"``, or ``"logloss"`` for GHM-C) unless ``eval_metric`` is set,
            and drive ``early_stopping_rounds``.
        verbose : bool or int, default=True
            As in ``XGBClassifier.fit``.
        xgb_model : Booster, XGBModel or str, default=None
            Model to continue training from. Its trees are added to the starting score
            of this fit (the booster's ``base_score`` is this fit's start).
        sample_weight_eval_set : list of array-like, default=None
            Weights of each ``eval_set`` entry.
        base_margin_eval_set : list of array-like, default=None
            Offsets, added to the starting score, for each ``eval_set`` entry.
        feature_weights : array-like, default=None
            Deprecated in XGBoost; passed through.

        Returns
        -------
        self : estimator
        """
        self._check_objective()
        plan, y_enc, weights = plan_in_memory(
            y, sample_weight, make_loss=self._make_loss,
            multipliers=lambda classes, counts: self._class_weights(classes.shape[0]),
            start=self._user_start, weight_names="sample_weight (with scale_pos_weight)")
        check_consistent_length(X, y_enc)
        classes, loss, init = plan.classes, plan.loss, plan.start
        train_weights = apply_class_weights(y_enc, weights, plan.multipliers)
        check_gradient_scale(plan, "sample_weight (with scale_pos_weight)")
        in_booster = start_in_booster(init)
        train_margin = booster_margin(init, y_enc.shape[0], base_margin, "base_margin",
                                      in_booster)

        self._check_eval_args(eval_set, sample_weight_eval_set, base_margin_eval_set)
        evals = weights_eval = margins_eval = None
        if eval_set is not None:
            evals, weights_eval, margins_eval = [], [], []
            for i, (X_eval, y_eval) in enumerate(eval_set):
                y_eval_enc = encode_eval_labels(y_eval, classes, f"eval_set[{i}] labels")
                check_consistent_length(X_eval, y_eval_enc)
                n_rows = y_eval_enc.shape[0]
                evals.append((X_eval, y_eval_enc))
                weights_eval.append(validate_sample_weight(
                    None if sample_weight_eval_set is None else sample_weight_eval_set[i],
                    n_rows, f"sample_weight_eval_set[{i}]"))
                margins_eval.append(booster_margin(
                    init, n_rows,
                    None if base_margin_eval_set is None else base_margin_eval_set[i],
                    f"base_margin_eval_set[{i}]", in_booster))

        # XGBClassifier.fit checks that classes_ equals arange(n_classes_): report encoded
        # classes while it runs.
        self.__dict__["_focal_classes"] = None
        with self._training(loss, init, in_booster, kernel_threads(self)):
            super().fit(X, y_enc, sample_weight=train_weights, base_margin=train_margin,
                        eval_set=evals, verbose=verbose, xgb_model=xgb_model,
                        sample_weight_eval_set=weights_eval,
                        base_margin_eval_set=margins_eval, feature_weights=feature_weights)
        self._set_fitted(classes, loss, init, in_booster)
        return self

    # ------------------------------------------------------------------ predict
    def decision_function(self, X, *, validate_features: bool = True, base_margin=None,
                          iteration_range=None) -> np.ndarray:
        """Raw margins, starting score included.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Features.
        validate_features : bool, default=True
            Check that feature names match the training data.
        base_margin : array-like of shape (n,) or (n, K), default=None
            Per-row offset added to the starting score.
        iteration_range : tuple of int, default=None
            Trees to use; by default the best iteration after early stopping, else all.

        Returns
        -------
        ndarray of shape (n,) for two classes, (n, K) for K classes, float64
        """
        return np.asarray(self._margin(X, validate_features, base_margin, iteration_range),
                          dtype=np.float64)

    def _margin(self, X, validate_features: bool, base_margin, iteration_range) -> np.ndarray:
        """The booster's margins as it returns them (float32): :meth:`decision_function`'s."""
        check_is_fitted(self)
        return xgb.XGBModel.predict(
            self, X, output_margin=True, validate_features=validate_features,
            base_margin=booster_margin(self.init_score_, num_samples(X), base_margin,
                                       "base_margin", self._booster_holds_start()),
            iteration_range=iteration_range)

    def predict_proba(self, X, validate_features: bool = True, base_margin=None,
                      iteration_range=None) -> np.ndarray:
        """Class probabilities, shape (n, K), in the order of ``classes_``.

        Focal loss: the class posterior ``P(y | x)`` by default, the raw sigmoid/softmax
        of the margin with ``focal_proba="confidence"``. GHM-C: the sigmoid of the margin
        (see :class:`~boostfocal.GHMLoss` on calibration).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Features.
        validate_features, base_margin, iteration_range
            As in :meth:`decision_function`.

        Returns
        -------
        ndarray of shape (n, K)
        """
        return self._proba_from_margin(self._margin(X, validate_features, base_margin,
                                                    iteration_range))

    def predict(self, X, *, output_margin: bool = False, validate_features: bool = True,
                base_margin=None, iteration_range=None) -> np.ndarray:
        """Predicted labels from ``classes_`` (in y's dtype), or margins.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Features.
        output_margin : bool, default=False
            Return :meth:`decision_function` instead of labels.
        validate_features, base_margin, iteration_range
            As in :meth:`decision_function`.

        Returns
        -------
        ndarray of shape (n,), or the margins with ``output_margin=True``
        """
        kwargs = {"validate_features": validate_features, "base_margin": base_margin,
                  "iteration_range": iteration_range}
        if output_margin:
            return self.decision_function(X, **kwargs)
        return self._labels_from_proba(self.predict_proba(X, **kwargs))


@fill_doc(**XGBOOST_WORDS)
class FocalXGBClassifier(FocalLossMixin, _FocalXGBBase):
    """XGBoost classifier trained on the focal loss (binary and multiclass).

    A drop-in replacement for :class:`xgboost.XGBClassifier`: it accepts every parameter
    of ``XGBClassifier`` and adds the ``focal_*`` parameters below. Two classes train on
    :class:`~boostfocal.FocalLoss`, more on :class:`~boostfocal.SoftmaxFocalLoss`.

    Parameters
    ----------
    ${focal_params}
    objective : str, default="binary:logistic"
        Kept only so that the estimator is a drop-in for ``XGBClassifier``: the focal loss
        is the objective, so this must stay at its default. Any other value raises a
        ``ValueError`` in :meth:`fit` (use ``focal_gamma=0`` for the logistic loss).
    **kwargs
        Every other :class:`xgboost.XGBClassifier` parameter, with its usual meaning,
        except for the ones listed in the Notes.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The original class labels, sorted.
    n_classes_ : int
        K.
    loss_ : FocalLoss or SoftmaxFocalLoss
        The loss the model was trained on.
    focal_alpha_ : float, ndarray of shape (K,) or None
        The class weights trained with (``focal_alpha`` with ``"balanced"`` resolved).
    init_score_ : float or ndarray of shape (K,)
        The starting score (constant margin) of every row: the focal-optimal constant for
        the weighted training labels, or ``logit(base_score)`` when ``base_score`` is set.

    Notes
    -----
    **Starting score.** Boosting starts from ``init_score_``, the constant margin that
    minimizes the weighted focal loss (not the prior log-odds). It lives in the booster
    as its ``base_score`` (in margin space: ``sigmoid(init_score_)`` for two classes, as
    ``binary:logistic`` reads it; the K class margins for ``multi:softprob``, XGBoost >=
    3.1; stored as float32), so ``get_booster().predict(..., output_margin=True)``, a
    saved model file and SHAP all include it. On XGBoost < 3.1, whose ``base_score`` is a
    scalar, the multiclass start is a per-row base margin instead (see Saving). A
    ``base_margin`` passed to :meth:`fit`, :meth:`predict`, :meth:`predict_proba` or
    :meth:`decision_function` (and ``base_margin_eval_set``) is an *offset* added to
    ``init_score_``: shape (n,) for two classes, (n, K) for K classes (XGBoost replaces
    ``base_score`` by a base margin, so the estimator hands it ``init_score_`` + offset).

    **base_score** keeps its ``XGBClassifier`` meaning for two classes: the starting
    probability of ``classes_[1]``, strictly between 0 and 1. It replaces the
    focal-optimal constant by ``logit(base_score)`` (the raw sigmoid, not the posterior).
    It is not supported for more than two classes (``ValueError``).

    **scale_pos_weight** multiplies the sample weights of ``classes_[1]`` in training
    (not in ``eval_set``), as XGBoost's built-in binary objectives do; it also enters the
    starting score. A value other than ``None`` or 1 is an error for K > 2 classes.

    **focal_alpha versus scale_pos_weight.** With ``alpha / (1 - alpha)`` equal to
    ``scale_pos_weight`` both train the same trees up to the overall scale of the loss
    (which only ``min_child_weight`` and ``reg_lambda`` see). The difference is what
    :meth:`predict_proba` means: ``focal_alpha`` re-weights the classes *inside the
    loss*, and the posterior correction undoes it, so the probabilities refer to the
    data's own class balance; ``scale_pos_weight`` multiplies the *sample weights*, so
    the probabilities refer to the re-weighted data (odds ``scale_pos_weight`` times
    larger). ``focal_alpha`` also enters the ``"focal_loss"`` metric of every
    ``eval_set``; ``scale_pos_weight`` does not. ``focal_alpha="balanced"`` picks
    ``alpha`` so that both classes carry the same total weight in the loss.

    **min_child_weight** (the minimum sum of Hessians in a leaf). Focal Hessians of easy
    examples are 10 to 1000 times smaller than logistic ones, so XGBoost's default of 1 is
    a much stricter constraint under focal loss: it blocks splits among easy examples,
    and the trees end up with 30% to 75% of the leaves they grow with 0.01. When
    ``min_child_weight`` is left at ``None`` the booster gets ``0.01``
    (``FOCAL_MIN_CHILD_WEIGHT``). In ``benchmarks/xgb_defaults.py`` (2%-positive synthetic
    data of 2,000 to 40,000 rows and ISLR ``Default``, 5 seeds, other parameters at their
    defaults, ``focal_gamma`` 1, 2 and 5) this gave test average precision within -0.025
    to +0.05 of the built-in logistic ``XGBClassifier()``. Against ``min_child_weight=1``
    it gained 0.02 to 0.08 on 2,000 rows and 0.01 to 0.02 on 10,000, was within 0.007 on
    40,000, and ranged from 0.014 worse to 0.003 better on ``Default``; neither value
    stops learning.
    An explicit value is always used as given. ``reg_lambda`` keeps XGBoost's default
    of 1: 0.1 gave lower average precision.

    **Metrics and early stopping.** Without ``eval_metric``, every ``eval_set`` reports
    the weighted mean focal loss as ``"focal_loss"`` (minimized by early stopping) and
    XGBoost's default metric is disabled. A callable ``eval_metric`` receives encoded
    labels 0..K-1 and raw margins (starting score included). Built-in metrics by name
    (``"logloss"``, ``"auc"``, ...) see the sigmoid/softmax of the margin, i.e. the
    uncorrected focal confidence: ranking metrics are unaffected, probability metrics are
    biased.

    **Saving.** :meth:`save_model` writes XGBoost's JSON (``.json``) or UBJSON (``.ubj``)
    file, and it is the whole model: the booster holds the starting score, so plain
    ``xgboost.Booster().load_model(path)`` predicts :meth:`decision_function`'s margins
    (``output_margin=True``), and the booster attribute ``boostfocal`` holds the
    classes, the loss and its parameters, which ``FocalXGBClassifier().load_model(path)``
    restores. For the class posterior from plain margins use
    ``loss.predict_proba(margin)`` with the loss in that attribute. XGBoost < 3.1,
    multiclass: the file's plain margins omit ``init_score_`` (a ``UserWarning`` says so
    when saving); ``load_model`` restores it. After early stopping the file holds the
    ``best_iteration + 1`` rounds the estimator predicts with. ``load_model`` checks the
    file whole (its trees included) before it changes anything, and refuses a file it
    cannot restore exactly with a short ``ValueError``. Pickle and joblib also work.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.xgboost import FocalXGBClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], random_state=0)
    >>> clf = FocalXGBClassifier(focal_gamma=2.0, n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """


@fill_doc(**XGBOOST_WORDS)
class GHMXGBClassifier(GHMLossMixin, _FocalXGBBase):
    """XGBoost classifier trained on GHM-C, the gradient-harmonized logistic loss (binary).

    ${ghm_summary}

    Parameters
    ----------
    ${ghm_params}
    objective : str, default="binary:logistic"
        Must stay at its default (``ValueError`` otherwise): GHM-C is the objective.
    **kwargs
        Every other :class:`xgboost.XGBClassifier` parameter, with the notes of
        :class:`FocalXGBClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The original class labels, sorted.
    loss_ : GHMLoss
        The loss the model was trained on, with its final histogram (``density_``) and
        the number of rounds it saw (``n_updates_``).
    init_score_ : float
        The starting score: the weighted prior log-odds (the constant minimizing the
        logistic loss), or ``logit(base_score)`` when ``base_score`` is set.

    Notes
    -----
    Binary targets only: more than two classes raise a ``ValueError``.

    Everything else behaves as in :class:`FocalXGBClassifier`: arbitrary labels,
    ``sample_weight`` (which also counts in the bin totals, so a weight of 2 equals a
    repeated row), ``scale_pos_weight`` (training weights only), ``base_score``,
    ``base_margin`` offsets, ``eval_set`` and early stopping, the ``min_child_weight``
    default of ``FOCAL_MIN_CHILD_WEIGHT`` (GHM-C's Hessians of easy examples are shrunk
    by their crowded bin, often 10 times or more; this default was measured for focal
    loss, not separately for GHM-C), pickling, ``clone`` and grid searches.

    ${ghm_notes}

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.xgboost import GHMXGBClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], flip_y=0.05,
    ...                            random_state=0)       # 5% of the labels are noise
    >>> clf = GHMXGBClassifier(ghm_bins=10, n_estimators=20).fit(X, y)
    >>> clf.loss_.n_updates_
    20
    """
