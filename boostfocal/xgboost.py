"""XGBoost backend: native objective and metric, and the scikit-learn estimator.

Native use with ``xgboost.train``::

    import numpy as np
    import xgboost as xgb
    from boostfocal import FocalLoss
    from boostfocal.xgboost import make_metric, make_objective

    loss = FocalLoss(gamma=2.0)
    start = loss.init_score(y_train)                      # focal-optimal constant margin
    dtrain = xgb.DMatrix(X_train, y_train, base_margin=np.full(len(y_train), start))
    dvalid = xgb.DMatrix(X_valid, y_valid, base_margin=np.full(len(y_valid), start))
    booster = xgb.train({"disable_default_eval_metric": 1}, dtrain, 300,
                        obj=make_objective(loss), custom_metric=make_metric(loss),
                        evals=[(dvalid, "valid")], early_stopping_rounds=20)
    # base_margin is not stored in the model: give it again when predicting.
    dtest = xgb.DMatrix(X_test, base_margin=np.full(len(X_test), start))
    margin = booster.predict(dtest, output_margin=True,
                             iteration_range=(0, booster.best_iteration + 1))
    proba = loss.predict_proba(margin)[:, 1]              # class posterior P(y=1 | x)

To keep the start inside the model instead (so that saved files, ``predict`` without
a base margin and SHAP include it), give it as the margin-space ``base_score``, as the
estimators do: ``params["base_score"] = 1 / (1 + np.exp(-start))`` with
``"objective": "binary:logistic"``, or the K class margins with ``"multi:softprob"``
(XGBoost >= 3.1), and no base margin.

For K classes use ``SoftmaxFocalLoss``, ``params["num_class"] = K`` and a base margin of
shape (n, K) (``np.tile(loss.init_score(y_train), (n, 1))``). ``GHMLoss`` (binary GHM-C)
plugs in the same way; its metric is ``"logloss"``, and it keeps a moving average across
rounds, so give every ``xgboost.train`` call a fresh ``GHMLoss``.
"""

from __future__ import annotations

import numbers
import os
import warnings
from typing import Any

import numpy as np
from sklearn.utils.validation import _num_samples, check_consistent_length, check_is_fitted

from . import _model_io
from ._adapter import NativeMetric, NativeObjective, xgboost_softmax_factor
from ._classifier import (
    GHM_PARAMS,
    FocalClassifierMixin,
    FocalLossMixin,
    apply_class_weights,
    check_default_objective,
    check_paper_names,
    constant_margin,
    encode_eval_labels,
    kernel_threads,
    make_ghm_loss,
    scale_pos_weight_multipliers,
    validate_sample_weight,
)
from ._fitplan import plan_in_memory
from ._optional import import_optional

xgb = import_optional("xgboost", "xgboost")

__all__ = ["make_objective", "make_metric", "FocalXGBClassifier", "GHMXGBClassifier"]


def _labels_weights(dtrain):
    y = dtrain.get_label()
    w = dtrain.get_weight()
    return y, (w if w.size else None)


class XGBObjective(NativeObjective):
    """``obj(preds, dtrain) -> (grad, hess)`` for ``xgboost.train``.

    Reads labels and sample weights from the DMatrix; the gradient and Hessian are
    multiplied by the weights (XGBoost does not apply them to custom objectives).
    Multiclass predictions arrive as (n, K); a flat array is read row-major.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)


class XGBMetric(NativeMetric):
    """``custom_metric(preds, dtrain) -> (name, value)`` for ``xgboost.train``.

    The value is the weighted mean of ``loss.loss`` on the raw margins: ``"focal_loss"``,
    or ``"logloss"`` for GHM-C. Neither name starts with ``auc``/``map``/``ndcg``/``pre``,
    so early stopping minimizes it.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)

    def __call__(self, preds, data):
        return self.name, self.value(preds, data)


def make_objective(loss, n_threads: int | None = None) -> XGBObjective:
    """Objective for ``xgboost.train(obj=...)``.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to train on. A focal loss with ``alpha="balanced"`` must be resolved
        first (``loss.resolve(y_train, sample_weight)``). A :class:`~boostfocal.GHMLoss`
        carries the state of one training run: use a fresh one for every ``train`` call.
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it XGBoost's ``nthread`` to keep both on the same cores.

    Returns
    -------
    XGBObjective
        A picklable callable ``(preds, dtrain) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant by passing it as the DMatrix base margin, and
    pass the same base margin again when predicting (XGBoost does not store it)::

        start = loss.init_score(y)
        dtrain = xgb.DMatrix(X, y, base_margin=np.full(len(y), start))
        booster = xgb.train({}, dtrain, 100, obj=make_objective(loss))
        margin = booster.predict(xgb.DMatrix(X_new, base_margin=np.full(len(X_new), start)),
                                 output_margin=True)
    """
    return XGBObjective(loss, n_threads=n_threads)


def make_metric(loss, n_threads: int | None = None) -> XGBMetric:
    """Metric for ``xgboost.train(custom_metric=...)``: the loss's weighted mean.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to report: the weighted mean focal loss (``"focal_loss"``), or for
        :class:`~boostfocal.GHMLoss` the weighted mean logistic loss (``"logloss"``).
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it XGBoost's ``nthread`` to keep both on the same cores.

    Returns
    -------
    XGBMetric
        A picklable callable ``(preds, dtrain) -> (name, value)``, minimized by early
        stopping. Set ``"disable_default_eval_metric": 1`` in the parameters so that
        XGBoost's default metric, meaningless here, is not computed beside it.
    """
    return XGBMetric(loss, n_threads=n_threads)



# ---------------------------------------------------------------------------------------
# scikit-learn estimator
# ---------------------------------------------------------------------------------------

#: ``min_child_weight`` handed to the booster when the user leaves it at ``None``.
#: XGBoost's default, 1, is a minimum *sum of Hessians* per leaf, and focal Hessians of
#: easy examples are 10 to 1000 times smaller than logistic ones; see the class docstring
#: and ``benchmarks/xgb_defaults.py`` for the measurements behind this value.
FOCAL_MIN_CHILD_WEIGHT = 0.01

#: The only value the ``objective`` parameter may hold: the focal loss is the objective.
DEFAULT_OBJECTIVE = "binary:logistic"


def _version_tuple(version: str) -> tuple[int, int]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)  # type: ignore[return-value]


#: XGBoost >= 3.1 takes one ``base_score`` per class for ``multi:softprob``: the
#: multiclass start can live in the booster. Older versions take a scalar only.
XGB_VECTOR_BASE_SCORE = _version_tuple(xgb.__version__) >= (3, 1)


def user_start(base_score, n_classes: int) -> float | None:
    """The start a user's ``base_score`` asks for (``logit(base_score)``), or None.

    ``base_score`` keeps ``XGBClassifier``'s meaning: the starting probability of
    ``classes_[1]``, binary only.
    """
    bs = base_score
    if bs is None:
        return None
    if n_classes > 2:
        raise ValueError(
            f"base_score is not supported with more than two classes (y has {n_classes}); "
            "leave it at None to start from the focal-optimal constant")
    if isinstance(bs, bool) or not isinstance(bs, numbers.Real) or not 0 < bs < 1:
        raise ValueError(
            "base_score must be None or the starting probability of classes_[1], "
            f"strictly between 0 and 1, got {bs!r}")
    return float(np.log(bs) - np.log1p(-bs))


def start_in_booster(start: float | np.ndarray) -> bool:
    """Whether the booster's ``base_score`` can hold the start.

    Always, but for multiclass on XGBoost < 3.1 (a scalar ``base_score``), and for a
    binary start so extreme (|start| > ~16) that its probability rounds to 0 or 1 in
    float32, which ``binary:logistic`` refuses; the start is then a per-row base margin.
    """
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 0:
        p = np.float32(booster_base_score(start))
        return bool(0.0 < p < 1.0)
    return XGB_VECTOR_BASE_SCORE


def booster_base_score(start: float | np.ndarray) -> float | list[float]:
    """The ``base_score`` parameter whose margin is ``start``.

    ``binary:logistic`` reads ``base_score`` as a probability (the margin is its logit),
    ``multi:softprob`` (XGBoost >= 3.1) reads one margin per class. XGBoost stores it
    as float32, and the trees are grown from the stored value.
    """
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 0:
        return float(1.0 / (1.0 + np.exp(-float(start))))
    return [float(v) for v in start]


def zero_base_score(start: float | np.ndarray) -> float:
    """The scalar ``base_score`` that adds a margin of 0 (where the start stays per row).

    0.5 for ``binary:logistic`` (a probability), 0 for ``multi:softprob`` (a margin).
    """
    return 0.5 if np.ndim(start) == 0 else 0.0


def booster_margin(start, n_rows: int, offset, name: str, in_booster: bool
                   ) -> np.ndarray | None:
    """The per-row base margin to hand XGBoost: None, or ``start`` + the user's offset.

    When the booster holds the start, rows without a user offset need no base margin.
    A base margin replaces XGBoost's ``base_score``, so with an offset it is the start
    plus the offset.
    """
    if offset is None:
        return None if in_booster else constant_margin(start, n_rows)
    base = constant_margin(start, n_rows)
    off = np.asarray(offset, dtype=np.float64)
    if base.ndim == 1 and off.ndim == 2 and off.shape[1] == 1:
        off = off[:, 0]
    if off.shape != base.shape:
        raise ValueError(f"{name} must have shape {base.shape} (one offset per row"
                         f"{'' if base.ndim == 1 else ' and class'}), got {off.shape}")
    if not np.all(np.isfinite(off)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return base + off


def focal_xgb_params(estimator, params: dict, loss_params: tuple[str, ...]) -> dict:
    """Booster parameters of a boostfocal XGBoost estimator (in memory or Dask).

    The loss parameters, ``scale_pos_weight`` and the user's ``base_score`` never reach
    XGBoost; while ``fit`` runs, ``base_score`` is the starting score in XGBoost's
    convention (:func:`booster_base_score`), or a margin of 0 where the start is a per-row
    base margin (see :func:`start_in_booster`), so that the booster adds nothing to it.
    ``min_child_weight=None`` becomes ``FOCAL_MIN_CHILD_WEIGHT`` for tree boosters, and
    without a user ``eval_metric`` XGBoost's default metric is disabled.
    """
    for name in (*loss_params, "scale_pos_weight", "base_score"):
        params.pop(name, None)
    base_score = estimator.__dict__.get("_focal_fit_base_score")
    if base_score is not None:
        params["base_score"] = base_score
    if params.get("min_child_weight") is None and params.get("booster") != "gblinear":
        params["min_child_weight"] = FOCAL_MIN_CHILD_WEIGHT
    if estimator.eval_metric is None or isinstance(estimator.eval_metric, _FocalMetric):
        params.setdefault("disable_default_eval_metric", 1)
    return params


class XGBModelFileMixin(FocalClassifierMixin):
    """``save_model`` / ``load_model`` of the boostfocal XGBoost estimators.

    It is also :class:`~boostfocal._classifier.FocalClassifierMixin` (XGBoost's
    ``get_params`` skips at most one mixin before the ``XGBModel`` class).

    The booster holds the starting score (``base_score``) and, as the booster attribute
    ``boostfocal``, the metadata that rebuilds the estimator (classes, loss, parameters;
    see ``boostfocal._model_io``). A subclass sets ``_loss_params`` and
    ``_loss_kinds`` and stores its original labels with ``_set_classes``.
    """

    _loss_params: tuple[str, ...] = ()
    _loss_kinds: tuple[str, ...] = ("focal", "softmax_focal")

    #: XGBoost 2.1 reads the estimator type from this attribute (``XGBModel._get_type``,
    #: e.g. for a callable ``eval_metric``), which scikit-learn >= 1.6 no longer defines.
    _estimator_type = "classifier"

    def _set_classes(self, classes: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _booster_holds_start(self) -> bool:
        return self.__dict__.get("_focal_start_in_booster", False)

    def _store_metadata(self) -> None:
        params = {name: getattr(self, name) for name in (*self._loss_params, "base_score")}
        meta = _model_io.make_metadata(self, params, self._booster_holds_start())
        self.get_booster().set_attr(**{_model_io.META_KEY: _model_io.dumps(meta)})

    def save_model(self, fname) -> None:
        """Save the model to an XGBoost JSON (``.json``) or UBJSON (``.ubj``) file.

        The file is the whole model: the booster carries the starting score, so plain
        ``xgboost.Booster().load_model(fname)`` predicts the margins of
        :meth:`decision_function` (``output_margin=True``), and the booster attribute
        ``boostfocal`` carries the classes, the loss and its parameters, which
        :meth:`load_model` restores.

        Parameters
        ----------
        fname : str or os.PathLike
            The file to write (its extension chooses the format, as in XGBoost).
        """
        check_is_fitted(self, "loss_")
        self._store_metadata()
        if not self._booster_holds_start():
            warnings.warn(
                f"XGBoost {xgb.__version__}'s base_score cannot hold this model's starting "
                "score (a per-class start needs XGBoost >= 3.1; a binary start beyond "
                "about +-16 is a probability of 0 or 1 in float32): plain XGBoost margins "
                "from this file omit init_score_ "
                f"({np.asarray(self.init_score_).tolist()}); add it, or load the file with "
                f"{type(self).__name__}().load_model, which restores it.",
                UserWarning, stacklevel=2)
        # The booster's own save_model: XGBModel.save_model adds a "scikit_learn"
        # attribute through XGBModel._get_type, which fails on XGBoost 2.1 with
        # scikit-learn >= 1.6; the boostfocal attribute says more than it anyway.
        self.get_booster().save_model(fname)

    def load_model(self, fname) -> None:
        """Load a model saved by a boostfocal estimator's :meth:`save_model`.

        ``Cls().load_model(fname)`` restores ``classes_``, ``loss_``, ``init_score_`` and
        the loss parameters, so that ``predict_proba``, ``predict`` and
        ``decision_function`` equal the saved estimator's. A file without boostfocal
        metadata (written by plain XGBoost) raises a ``ValueError`` saying what is
        missing, and the estimator is left unchanged.

        Parameters
        ----------
        fname : str, os.PathLike, bytearray
            The model file (JSON or UBJSON), or its contents.
        """
        source = f"the model {fname!r}" if isinstance(fname, (str, os.PathLike)) else \
            "the model"
        probe = xgb.Booster()
        probe.load_model(fname)
        meta = _model_io.loads(probe.attr(_model_io.META_KEY), source)
        if meta["loss"].get("kind") not in self._loss_kinds:
            raise ValueError(f"{source} holds a {meta.get('estimator')} model (loss "
                             f"{meta['loss'].get('kind')!r}), which "
                             f"{type(self).__name__} cannot restore")
        super().load_model(fname)
        # Plain attributes, not set_params: XGBModel.set_params would push them into the
        # loaded booster (objective "binary:logistic" on a multiclass booster breaks it).
        for name, value in meta["params"].items():
            setattr(self, name, value)
        self.objective = DEFAULT_OBJECTIVE
        classes = _model_io.classes_from_json(meta["classes"], meta["classes_dtype"])
        self.loss_ = _model_io.loss_from_dict(meta["loss"])
        self.init_score_ = _model_io.start_from_meta(meta)
        self._focal_start_in_booster = bool(meta["start_in_booster"])
        self.n_classes_ = classes.shape[0]
        self._set_classes(classes)


def _pair_labels_weights(data):
    """Labels and weights as XGBClassifier hands them to a callable: a ``(y, w)`` pair."""
    y, w = data
    return y, (w if w is not None and np.size(w) else None)


class _FocalObjective(NativeObjective):
    """``objective(y_true, y_pred, sample_weight=None)`` in XGBClassifier's signature.

    A thin proxy: the labels and weights XGBoost hands over are passed to the loss as
    they are (XGBoost does not weight custom gradients itself; the loss does). The
    parameter must be named ``sample_weight``: that is how XGBoost detects weight support.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def _labels_weights(self, data):
        return _pair_labels_weights(data)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return super().__call__(y_pred, (y_true, sample_weight))


class _FocalMetric(NativeMetric):
    """``metric(y_true, y_pred, sample_weight=None)``: the loss's weighted mean.

    XGBClassifier names a callable metric by its ``__name__``: "focal_loss", or "logloss"
    for GHM-C. Neither starts with ``auc``/``map``/``ndcg``/``pre``, so early stopping
    minimizes it.
    """

    flat_order = "C"
    softmax_hessian_factor = staticmethod(xgboost_softmax_factor)

    def __init__(self, loss, n_threads: int | None = None) -> None:
        super().__init__(loss, n_threads=n_threads)
        self.__name__ = self.name

    def _labels_weights(self, data):
        return _pair_labels_weights(data)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        return self.value(y_pred, (y_true, sample_weight))


class _FocalXGBBase(XGBModelFileMixin, xgb.XGBClassifier):
    """What the XGBoost estimators share: everything but the loss and its parameters.

    A subclass declares its own constructor parameters (keyword-only, then ``**kwargs``
    for every ``XGBClassifier`` parameter), lists them in ``_loss_params`` so that they
    never reach the booster, and builds its loss in :meth:`_make_loss`. Labels, weights,
    ``scale_pos_weight``, the starting score, evaluation sets, early stopping, the
    metric, prediction and persistence are all here.
    """

    #: The subclass's own constructor parameters: handled by boostfocal, never by XGBoost.
    _loss_params: tuple[str, ...] = ()

    def _make_loss(self, n_classes: int):
        """The loss to train on, from the estimator's parameters (errors name them).

        ``focal_alpha="balanced"`` stays unresolved: the fit plan resolves it on the
        weighted class totals.
        """
        raise NotImplementedError  # pragma: no cover - abstract

    # ------------------------------------------------------------------ parameters
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def get_xgb_params(self) -> dict[str, Any]:
        """Parameters handed to the booster.

        The loss parameters (``focal_*``, ``ghm_*``), ``scale_pos_weight`` and
        ``base_score`` are handled by the estimator and never reach XGBoost;
        ``min_child_weight=None`` becomes ``FOCAL_MIN_CHILD_WEIGHT`` for tree boosters;
        without a user ``eval_metric``, XGBoost's default metric is disabled (the loss's
        own metric is reported instead).

        Returns
        -------
        dict
        """
        return focal_xgb_params(self, super().get_xgb_params(), self._loss_params)

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

    def _check_objective(self) -> None:
        check_paper_names(self, "xgboost")
        check_default_objective(self, DEFAULT_OBJECTIVE)

    def _class_weights(self, n_classes: int) -> np.ndarray | None:
        """scale_pos_weight as per-class multipliers of the training weights."""
        return scale_pos_weight_multipliers(self.scale_pos_weight, n_classes)

    def _user_start(self, n_classes: int) -> float | None:
        return user_start(self.base_score, n_classes)

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
        in_booster = start_in_booster(init)
        train_margin = booster_margin(init, y_enc.shape[0], base_margin, "base_margin",
                                      in_booster)

        evals = weights_eval = margins_eval = None
        if eval_set is not None:
            evals, weights_eval, margins_eval = [], [], []
            n_eval = len(eval_set)
            for arg, value in (("sample_weight_eval_set", sample_weight_eval_set),
                               ("base_margin_eval_set", base_margin_eval_set)):
                if value is not None and len(value) != n_eval:
                    raise ValueError(f"{arg} must have one entry per eval_set entry "
                                     f"({n_eval}), got {len(value)}")
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
        elif sample_weight_eval_set is not None or base_margin_eval_set is not None:
            raise ValueError("sample_weight_eval_set and base_margin_eval_set need eval_set")

        # XGBClassifier.fit trains on self.objective / self.eval_metric and checks that
        # classes_ equals arange(n_classes_): swap in the loss's callables and report
        # encoded classes while it runs, and restore the parameters whatever happens.
        saved = self.objective, self.eval_metric
        self.__dict__["_focal_classes"] = None
        self.__dict__["_focal_fit_base_score"] = (
            booster_base_score(init) if in_booster else zero_base_score(init))
        try:
            n_threads = kernel_threads(self)
            self.objective = _FocalObjective(loss, n_threads=n_threads)
            if self.eval_metric is None:
                self.eval_metric = _FocalMetric(loss, n_threads=n_threads)
            super().fit(X, y_enc, sample_weight=train_weights, base_margin=train_margin,
                        eval_set=evals, verbose=verbose, xgb_model=xgb_model,
                        sample_weight_eval_set=weights_eval,
                        base_margin_eval_set=margins_eval, feature_weights=feature_weights)
        finally:
            self.objective, self.eval_metric = saved
            self.__dict__.pop("_focal_fit_base_score", None)
        self.loss_ = loss
        self.init_score_ = init
        self._focal_classes = classes
        self._focal_start_in_booster = in_booster
        self._store_metadata()
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
        check_is_fitted(self)
        margin = xgb.XGBModel.predict(
            self, X, output_margin=True, validate_features=validate_features,
            base_margin=booster_margin(self.init_score_, _num_samples(X), base_margin,
                                       "base_margin", self._booster_holds_start()),
            iteration_range=iteration_range)
        return np.asarray(margin, dtype=np.float64)

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
        margin = self.decision_function(X, validate_features=validate_features,
                                        base_margin=base_margin,
                                        iteration_range=iteration_range)
        return self._proba_from_margin(margin)

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


class FocalXGBClassifier(FocalLossMixin, _FocalXGBBase):
    """XGBoost classifier trained on the focal loss (binary and multiclass).

    A drop-in replacement for :class:`xgboost.XGBClassifier`: it accepts every parameter
    of ``XGBClassifier`` and adds the ``focal_*`` parameters below. Two classes train on
    :class:`~boostfocal.FocalLoss`, more on :class:`~boostfocal.SoftmaxFocalLoss`.

    Parameters
    ----------
    focal_gamma : float, default=2.0
        Focusing parameter, ``>= 0``. ``focal_gamma=0`` with ``focal_alpha=None`` is the
        logistic (softmax cross-entropy) loss.
    focal_alpha : float, sequence of float, "balanced" or None, default=None
        Class weights of the focal loss. For two classes, the weight of the positive class
        ``classes_[1]``, strictly between 0 and 1 (``classes_[0]`` gets ``1 - alpha``).
        For K > 2 classes, K positive weights in the order of ``classes_``. ``None``
        weights every class by 1. ``"balanced"`` resolves the weights in every ``fit``
        from the weighted class totals ``W_k`` of the training data (``sample_weight``
        times ``scale_pos_weight``): ``W0 / (W0 + W1)`` for two classes,
        ``W / (K W_k)`` for K classes; the value used is ``focal_alpha_`` (the
        parameter itself is never changed). See the Notes for how it differs from
        ``scale_pos_weight``.
    focal_hessian : {"majorizer", "floor", "exact"}, default="majorizer"
        Curvature handed to the booster; see :class:`~boostfocal.FocalLoss`. The exact
        Hessian is negative for badly misclassified examples; the default is a positive
        majorizer of it.
    focal_proba : {"posterior", "confidence"}, default="posterior"
        What :meth:`predict_proba` returns: the class posterior ``P(y | x)``, corrected
        for the distortion of the focal loss, or the raw sigmoid/softmax of the margin
        (the biased "probability" that other focal-loss plugins return).
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
    when saving); ``load_model`` restores it. Pickle and joblib also work.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.xgboost import FocalXGBClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], random_state=0)
    >>> clf = FocalXGBClassifier(focal_gamma=2.0, n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, *, focal_gamma: float = 2.0, focal_alpha=None,
                 focal_hessian: str = "majorizer", focal_proba: str = "posterior",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.focal_hessian = focal_hessian
        self.focal_proba = focal_proba


class GHMXGBClassifier(_FocalXGBBase):
    """XGBoost classifier trained on GHM-C, the gradient-harmonized logistic loss (binary).

    A drop-in replacement for :class:`xgboost.XGBClassifier` that trains on
    :class:`~boostfocal.GHMLoss` (Li, Liu and Wang, AAAI 2019): every round, each
    example's logistic gradient and Hessian are multiplied by ``N / (W_b n_nonempty)``,
    the inverse weighted share of its bin of gradient norms ``|sigmoid(z) - y|``. The
    many easy examples and the cluster of hopeless ones (often label noise) are
    down-weighted together, where focal loss down-weights only the easy ones.

    Parameters
    ----------
    ghm_bins : int, default=10
        Number of equal-width bins of the gradient norm on [0, 1] (``>= 1``).
    ghm_momentum : float, default=0.0
        Moving average of the bin histogram across boosting rounds, in [0, 1). The
        state belongs to one fit: every ``fit`` starts from a fresh loss.
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

    **Class weights.** The bins count weights, so a weight shared by a whole bin cancels
    in GHM-C's harmonizing weights. Early in training each class fills its own bins, and
    class weights are then largely undone; GHM-C balances the classes by itself (see
    :class:`~boostfocal.GHMLoss`).

    **Metric.** Evaluation sets report ``"logloss"``, the weighted mean logistic loss of
    the margins, minimized by early stopping. It is not the harmonized loss: that one
    re-weights examples by the model's own current gradients, so its values at two
    iterations are not comparable (see :class:`~boostfocal.GHMLoss`).

    **Probabilities.** :meth:`predict_proba` is the sigmoid of the margin. GHM-C has no
    closed-form posterior correction; rankings are sound, but the probabilities of the
    rare class are typically inflated. Recalibrate if you need ``P(y | x)``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from boostfocal.xgboost import GHMXGBClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], random_state=0)
    >>> clf = GHMXGBClassifier(ghm_bins=10, n_estimators=20).fit(X, y)
    >>> clf.loss_.n_updates_
    20
    """

    _loss_params = GHM_PARAMS
    _loss_kinds = ("ghm",)

    def __init__(self, *, ghm_bins: int = 10, ghm_momentum: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ghm_bins = ghm_bins
        self.ghm_momentum = ghm_momentum

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _make_loss(self, n_classes: int):
        return make_ghm_loss(n_classes, self.ghm_bins, self.ghm_momentum, type(self).__name__)
