"""What the XGBoost and LightGBM estimators share: parameters, labels, weights, probabilities.

The backend modules (``boostfocal.xgboost``, ``boostfocal.lightgbm``) own everything that
touches their library; this module owns the scikit-learn side that must behave the same in
both, so that it is written once.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._validation import (
    check_binary_alpha,
    check_bins,
    check_class_alpha,
    check_gamma,
    check_hessian,
    check_momentum,
    check_sample_weight,
    is_balanced,
)
from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

#: Constructor parameters that belong to boostfocal and must never reach a booster.
FOCAL_PARAMS = ("focal_gamma", "focal_alpha", "focal_hessian", "focal_proba")

#: The GHM-C estimators' own constructor parameters (never reach a booster either).
GHM_PARAMS = ("ghm_bins", "ghm_momentum")

#: What ``predict_proba`` returns: the class posterior, or the raw focal confidence.
PROBA_MODES = ("posterior", "confidence")


def check_focal_proba(focal_proba: str) -> str:
    """Validate the ``focal_proba`` option."""
    if not isinstance(focal_proba, str) or focal_proba not in PROBA_MODES:
        raise ValueError(f"focal_proba must be one of {PROBA_MODES}, got {focal_proba!r}")
    return focal_proba


def _encode_small_integers(y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`encode_labels` for non-negative integer labels, by counting: no sort.

    Labels that are already 0..K-1 (the common case) are returned as they are when they
    are int64, without a copy. Returns None where the general path is needed: other
    dtypes, negative or large values, or fewer than two classes (its error message).
    """
    if y.dtype.kind not in "bui":
        return None
    codes = y.view(np.uint8) if y.dtype.kind == "b" else y
    lo, hi = int(codes.min()), int(codes.max())
    if lo < 0 or hi >= max(2 * codes.shape[0], 1024):
        return None
    counts = np.bincount(codes, minlength=hi + 1)
    present = np.flatnonzero(counts)
    if present.shape[0] < 2:
        return None
    classes = present.astype(y.dtype)
    if present.shape[0] == hi + 1:                    # already 0..K-1
        return classes, codes.astype(np.int64, copy=False)
    lookup = np.cumsum(counts > 0) - 1
    return classes, lookup[codes].astype(np.int64, copy=False)


#: The kinds of label an object array may hold, by Python type (bool before int: a bool
#: is an int in Python).
_LABEL_KINDS = ((bool, "bool"), (numbers.Integral, "int"), (numbers.Real, "float"),
                (str, "str"))


def _label_kind(value: Any) -> str:
    for kind, name in _LABEL_KINDS:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _one_label_type(y: np.ndarray) -> np.ndarray:
    """Labels of an object array as one type: an array of it, or a clear error.

    Object arrays of one kind of label (all strings, all integers, ...) pass (numbers and
    booleans are returned as a numeric array, which scikit-learn's target checks need); a
    mix such as ``1``
    and ``"a"``, or ``1`` and ``1.0``, is refused: ``1`` and ``1.0`` would be one class
    to numpy but two to a user who wrote both, and strings do not sort against numbers.
    Missing values (None, NaN) are left to the missing-label check.
    """
    kinds: dict[str, Any] = {}
    for value in y:
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return y
        if isinstance(value, np.generic):
            value = value.item()
        kinds.setdefault(_label_kind(value), value)
        if len(kinds) > 1:
            examples = ", ".join(f"{v!r} ({k})" for k, v in kinds.items())
            raise ValueError(
                f"y mixes label types: {examples}. Use one type for every label, for "
                "example y.astype(str) or y.astype(int)")
    kind = next(iter(kinds), "str")
    if kind not in ("bool", "int", "float"):
        return y
    try:
        return np.asarray(y.tolist(), dtype={"bool": bool, "int": np.int64,
                                             "float": np.float64}[kind])
    except OverflowError:  # integers beyond int64: left to the general checks
        return y


def encode_labels(y) -> tuple[np.ndarray, np.ndarray]:
    """Encode arbitrary classification labels as 0..K-1.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels of any sortable type (strings, integers such as {1, 3}, floats, booleans).

    Returns
    -------
    classes : ndarray of shape (K,)
        Sorted unique labels, in y's dtype.
    y_encoded : ndarray of shape (n,), int64
    """
    y = column_or_1d(y, warn=True)
    if y.shape[0] == 0:
        raise ValueError("y is empty: found 0 samples, while a minimum of 2 is required")
    if y.dtype == object:
        typed = _one_label_type(y)
        if typed is not y:  # numbers or booleans: encoded as such, kept as objects
            classes, y_encoded = encode_labels(typed)
            return classes.astype(object), y_encoded
    fast = _encode_small_integers(y)
    if fast is not None:
        return fast
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite labels")
    if y.dtype == object and any(v is None or (isinstance(v, float) and not np.isfinite(v))
                                 for v in y):
        raise ValueError("y contains missing (None or NaN) labels")
    check_classification_targets(y)
    target_type = type_of_target(y, input_name="y")
    if target_type not in ("binary", "multiclass"):
        raise ValueError(f"y must be binary or multiclass labels, got target type {target_type!r}")
    classes, y_encoded = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            "y must contain at least 2 classes: this classifier needs samples of at least "
            f"2 classes in the data, but the data contains only one class: {classes[0]!r}")
    return classes, y_encoded.astype(np.int64)


def encode_eval_labels(y, classes: np.ndarray, name: str) -> np.ndarray:
    """Encode evaluation labels with the training classes; unseen labels are an error."""
    y = column_or_1d(y, warn=True)
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, classes.shape[0] - 1)
    bad = classes[idx] != y
    if np.any(bad):
        unseen = np.unique(np.asarray(y)[bad])[:10]
        raise ValueError(f"{name} contains labels not seen in y: {unseen.tolist()}")
    return idx.astype(np.int64)


def make_loss(n_classes: int, focal_gamma: float, focal_alpha, focal_hessian: str,
              y_encoded: np.ndarray | None = None, sample_weight: np.ndarray | None = None
              ) -> FocalLoss | SoftmaxFocalLoss:
    """Build the loss for ``n_classes`` from the estimator's ``focal_*`` parameters.

    ``focal_alpha`` is, for two classes, the weight of the positive class ``classes_[1]``
    (a number in (0, 1)); for K > 2 classes, a sequence of K weights in the order of
    ``classes_``; or ``"balanced"``. Errors name the estimator parameter.

    With the training labels ``y_encoded`` (0..K-1) and weights (sample weights with any
    class weights folded in), ``"balanced"`` is resolved on them (the loss's ``resolve``),
    so that the objective, the metric, the starting score and the probabilities of the
    fit all use the same numbers. Without them the loss keeps ``"balanced"`` and raises
    until resolved.
    """
    gamma = check_gamma(focal_gamma, "focal_gamma")
    hessian = check_hessian(focal_hessian, "focal_hessian")
    if n_classes == 2:
        if focal_alpha is not None and not is_balanced(focal_alpha) and not isinstance(
                focal_alpha, numbers.Real):
            raise ValueError(
                "focal_alpha must be None, 'balanced' or a number in (0, 1) (the weight of "
                f"classes_[1]) for binary targets, got {focal_alpha!r}")
        loss = FocalLoss(gamma, check_binary_alpha(focal_alpha, "focal_alpha"), hessian)
    else:
        alpha = check_class_alpha(focal_alpha, "focal_alpha")
        if alpha is not None and not is_balanced(alpha) and alpha.shape[0] != n_classes:
            raise ValueError(f"focal_alpha must have one weight per class in the order of "
                             f"classes_ ({n_classes} classes), got {len(alpha)} weights")
        loss = SoftmaxFocalLoss(gamma, alpha, hessian)
    if y_encoded is None or not is_balanced(loss.alpha):
        return loss
    try:
        if n_classes == 2:
            return loss.resolve(y_encoded, sample_weight)
        return loss.resolve(y_encoded, sample_weight, n_classes=n_classes)
    except ValueError as exc:
        raise ValueError(f"focal_alpha='balanced': {exc}") from exc


def make_ghm_loss(n_classes: int, ghm_bins: int, ghm_momentum: float, estimator: str
                  ) -> GHMLoss:
    """Build a fresh :class:`GHMLoss` from a GHM estimator's ``ghm_*`` parameters.

    A new object for every fit: the loss carries the moving-average state of one fit.
    GHM-C is binary: more than two classes raise a ``ValueError`` naming ``estimator``
    (with the wording scikit-learn's estimator checks expect).
    """
    if n_classes != 2:
        raise ValueError(
            f"{estimator}: Only binary classification is supported. The type of the target "
            f"is 'multiclass' ({n_classes} classes); GHM-C is a binary loss. Use the focal "
            "estimators for more than two classes.")
    return GHMLoss(check_bins(ghm_bins, "ghm_bins"), check_momentum(ghm_momentum,
                                                                   "ghm_momentum"))


#: The largest weight a booster can hold: XGBoost and LightGBM store sample weights as
#: float32, in which anything larger is inf (XGBoost then stops with "Weights must be
#: positive values", LightGBM trains a constant model).
MAX_BOOSTER_WEIGHT = float(np.finfo(np.float32).max)

#: What the training weights are made of, for error messages.
TRAINING_WEIGHTS = ("the training weights (sample_weight times the class weights from "
                    "scale_pos_weight, class_weight or is_unbalance)")


def check_booster_weight(largest: float, what: str) -> None:
    """Raise a ``ValueError`` naming ``what`` if ``largest`` overflows a booster's weights."""
    if not largest <= MAX_BOOSTER_WEIGHT:
        raise ValueError(
            f"{what} must be at most {MAX_BOOSTER_WEIGHT:.4g}, the largest weight XGBoost "
            "and LightGBM can store (as float32; beyond it a weight becomes inf and trains "
            f"a constant or NaN model), got {largest:.4g}. Scale the weights down.")


def validate_sample_weight(sample_weight, n: int, name: str = "sample_weight"
                           ) -> np.ndarray | None:
    """Weights as float64 (or None): finite, >= 0, not all zero, one per row.

    And small enough for the boosters' float32 storage (:data:`MAX_BOOSTER_WEIGHT`).
    """
    if sample_weight is None:
        return None
    w = check_sample_weight(np.asarray(sample_weight), n, name)
    if w.size:
        check_booster_weight(float(np.max(w)), name)
    return w


def apply_class_weights(y_encoded: np.ndarray, sample_weight: np.ndarray | None,
                        class_weights: np.ndarray | None, what: str = TRAINING_WEIGHTS
                        ) -> np.ndarray | None:
    """Fold per-class multipliers (indexed by encoded class) into the sample weights.

    A product too large for the boosters' float32 weights is a ``ValueError`` naming
    ``what``.
    """
    if class_weights is None:
        return sample_weight
    factor = np.asarray(class_weights, dtype=np.float64)[y_encoded]
    out = factor if sample_weight is None else sample_weight * factor
    if out.size:
        check_booster_weight(float(np.max(out)), what)
    return out


def scale_pos_weight_multipliers(scale_pos_weight, n_classes: int) -> np.ndarray | None:
    """XGBoost's ``scale_pos_weight`` as per-class multipliers of the training weights.

    The built-in binary objectives multiply the gradient and Hessian of ``classes_[1]`` by
    it; a custom objective would silently ignore it, so the estimators fold it into the
    sample weights instead. ``None`` or 1 means no multipliers; it is binary-only.
    """
    spw = scale_pos_weight
    if spw is None:
        return None
    if isinstance(spw, bool) or not isinstance(spw, numbers.Real) \
            or not np.isfinite(spw) or spw <= 0:
        raise ValueError(f"scale_pos_weight must be None or a finite number > 0, got {spw!r}")
    check_booster_weight(float(spw), "scale_pos_weight")
    if spw == 1:
        return None
    if n_classes > 2:
        raise ValueError(
            "scale_pos_weight applies to binary targets only, but y has "
            f"{n_classes} classes; use sample_weight or focal_alpha instead")
    return np.array([1.0, float(spw)])


#: What XGBoost and LightGBM mean by the names the focal-loss paper uses, and the
#: booster's own unambiguous name for it (if any).
_PAPER_NAMES = {
    ("xgboost", "gamma"): ("In XGBoost, gamma means min_split_loss (the loss reduction a "
                           "split must reach)", "min_split_loss", "XGBoost's split threshold"),
    ("xgboost", "alpha"): ("In XGBoost, alpha means reg_alpha (L1 regularization of the "
                           "leaf weights)", "reg_alpha", "XGBoost's L1 regularization"),
    ("lightgbm", "gamma"): ("LightGBM has no parameter gamma and would ignore it", None, None),
    ("lightgbm", "alpha"): ("In LightGBM, alpha is the Huber and quantile losses' "
                            "parameter, which a classifier ignores", None, None),
}


def check_paper_names(estimator, backend: str) -> None:
    """Refuse ``gamma=`` and ``alpha=`` on a boostfocal estimator, at fit time.

    They are the focal-loss paper's names for the focusing parameter and the class weight,
    so users coming from the paper type them; but XGBoost and LightGBM give them other
    meanings (``gamma`` is XGBoost's ``min_split_loss``; ``alpha`` is XGBoost's
    ``reg_alpha`` and LightGBM's Huber/quantile parameter), and passing them on would
    silently train something else. The error names the right parameters: ``focal_gamma``
    and ``focal_alpha`` (GHM-C: ``ghm_bins``, ``ghm_momentum``), and the booster's own
    unambiguous name (``min_split_loss``, ``reg_alpha``) for users who meant the booster's
    parameter. ``__init__`` still just stores them, as scikit-learn requires, so
    ``get_params``/``set_params``/``clone`` keep working.

    Parameters
    ----------
    estimator : estimator
        A boostfocal estimator; its ``get_params(deep=False)`` is read.
    backend : {"xgboost", "lightgbm"}
        The booster it trains with.
    """
    params = estimator.get_params(deep=False)
    for param in ("gamma", "alpha"):
        value = params.get(param)
        if value is None:
            continue
        meaning, booster_name, booster_what = _PAPER_NAMES[backend, param]
        if "focal_gamma" in params:
            what = "focusing parameter" if param == "gamma" else "class weight"
            hint = f"The focal loss's {what} is focal_{param}: use focal_{param}={value!r}"
        else:
            hint = (f"GHM-C has no {param} (its parameters are ghm_bins and ghm_momentum): "
                    "remove it")
        if booster_name is not None:
            hint += f", or use {booster_name}={value!r} for {booster_what}"
        raise ValueError(f"{type(estimator).__name__} got {param}={value!r}. {meaning}. "
                         f"{hint}.")


def check_default_objective(estimator, default: str) -> None:
    """The ``objective`` parameter of a boostfocal XGBoost estimator must keep its default."""
    objective = estimator.objective
    if not (isinstance(objective, str) and objective == default):
        raise ValueError(
            f"{type(estimator).__name__} trains on its own loss, so objective must stay at "
            f"its default {default!r}, got {objective!r}. Use "
            "FocalXGBClassifier(focal_gamma=0) for the logistic loss, or "
            "xgboost.XGBClassifier for other objectives.")


#: Booster parameters (and aliases) that set its thread count, in the order they are read.
THREAD_PARAMS = ("n_jobs", "nthread", "num_threads", "num_thread", "nthreads", "n_threads")


def kernel_threads(estimator) -> int | None:
    """The kernels' thread count for an estimator: its booster's, so both share the cores.

    The first of ``n_jobs``, ``nthread``, ``num_threads`` (and their aliases) that is set,
    with 0 (the boosters' "OpenMP default") read as None, the kernels' default (the usable
    CPUs, limited by ``OMP_NUM_THREADS``); negative values count back from all CPUs as in
    joblib (-1: all). The value goes to the objective's and metric's ``n_threads``.
    """
    params = estimator.get_params(deep=False)
    for name in THREAD_PARAMS:
        value = params.get(name)
        if value is None or isinstance(value, bool):
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            continue
        return None if value == 0 else value
    return None


def constant_margin(init: float | np.ndarray, n_rows: int) -> np.ndarray:
    """The starting score repeated per row: (n,) for binary, (n, K) for multiclass.

    A read-only broadcast view (no memory per row): XGBoost and LightGBM copy a
    base margin / init score into their own storage, and a materialized float64 copy
    would cost 8 n K bytes for the whole fit.
    """
    init = np.asarray(init, dtype=np.float64)
    shape = (n_rows,) if init.ndim == 0 else (n_rows, init.shape[0])
    return np.broadcast_to(init, shape)


class FocalClassifierMixin:
    """Probabilities and labels from margins, shared by both backends' estimators.

    A subclass provides ``decision_function(X, **kwargs)`` returning raw margins with the
    starting score included, and sets ``loss_`` (the fitted loss object) and
    ``classes_``-compatible state in ``fit``. Estimators without a ``focal_proba``
    parameter (GHM-C) return the loss's ``predict_proba``. An estimator lists its own
    constructor parameters in ``_loss_params`` (they never reach the booster), the loss
    kinds its model files may hold in ``_loss_kinds``, and builds its loss in
    :meth:`_make_loss` (:class:`FocalLossMixin`, :class:`GHMLossMixin`).
    """

    #: The estimator's own constructor parameters: handled by boostfocal, never by the
    #: booster.
    _loss_params: tuple[str, ...] = ()
    #: The ``kind`` of the losses (``boostfocal._shared.model_io``) it can restore.
    _loss_kinds: tuple[str, ...] = ("focal", "softmax_focal")

    def _make_loss(self, n_classes: int):
        """The loss to train on, from the estimator's parameters (errors name them).

        ``focal_alpha="balanced"`` stays unresolved: the fit plan resolves it on the
        weighted class totals.
        """
        raise NotImplementedError  # pragma: no cover - abstract

    def _kernel_threads(self) -> int | None:
        """Threads of the probability kernel: the booster's (:func:`kernel_threads`)."""
        return kernel_threads(self)

    def _proba_from_margin(self, margin: np.ndarray) -> np.ndarray:
        """``loss_.predict_proba`` (or ``predict_confidence``) of the margins, float64.

        One kernel pass on the estimator's threads, straight from the booster's margins
        (float32 from XGBoost, float64 from LightGBM, read in place: no conversion copy).
        """
        posterior = check_focal_proba(getattr(self, "focal_proba", "posterior")) == "posterior"
        return self.loss_._probabilities(margin, posterior, self._kernel_threads(),
                                         dtype=np.float64)

    def _labels_from_proba(self, proba: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(proba, axis=1)]


class FocalLossMixin:
    """The ``focal_*`` parameters of every focal estimator (both backends, in memory or Dask).

    Its ``__init__`` is the estimators' (scikit-learn reads the parameters from its
    signature; every other keyword goes to the booster's estimator); everything else
    about the focal parameters lives here as well. It comes first in an estimator's bases.
    """

    _loss_params = FOCAL_PARAMS

    def __init__(self, *, focal_gamma: float = 2.0, focal_alpha=None,
                 focal_hessian: str = "majorizer", focal_proba: str = "posterior",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.focal_hessian = focal_hessian
        self.focal_proba = focal_proba

    def _make_loss(self, n_classes: int):
        """The loss from the ``focal_*`` parameters.

        ``"balanced"`` is resolved by the fit plan on the weighted class totals.
        """
        check_focal_proba(self.focal_proba)
        return make_loss(n_classes, self.focal_gamma, self.focal_alpha, self.focal_hessian)

    @property
    def focal_alpha_(self) -> float | np.ndarray | None:
        """The class weights trained with: ``focal_alpha``, with ``"balanced"`` resolved.

        A float (the weight of ``classes_[1]``) or None for two classes, an array of K
        weights in the order of ``classes_`` (or None) for K classes.
        """
        check_is_fitted(self, "loss_")
        return self.loss_.alpha


class GHMLossMixin:
    """The ``ghm_*`` parameters of the GHM-C estimators (both backends), and binary tags.

    As :class:`FocalLossMixin`: its ``__init__`` is the estimators', and it comes first
    in their bases.
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
        """A fresh :class:`GHMLoss` from the ``ghm_*`` parameters (binary only)."""
        return make_ghm_loss(n_classes, self.ghm_bins, self.ghm_momentum, type(self).__name__)
