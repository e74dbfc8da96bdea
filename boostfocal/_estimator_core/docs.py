"""Docstring fragments that every estimator shares, written once.

The estimators' numpydoc docstrings name a fragment on a line of its own, as
``${focal_params}``, and :func:`fill_doc` puts the fragment there, indented like that
line, with the backend's words (``${booster}``, ...) filled in. Only the text of
``__doc__`` changes: parameters, signatures, ``get_params`` and ``clone`` are untouched.
"""

from __future__ import annotations

from .._docstrings import filler

#: The focal-loss parameters of every focal estimator (numpydoc "Parameters" entries).
FOCAL_PARAMS = """\
focal_gamma : float, default=2.0
    Focusing parameter, ``>= 0``. ``focal_gamma=0`` with ``focal_alpha=None`` is the
    logistic (softmax cross-entropy) loss.
focal_alpha : float, sequence of float, "balanced" or None, default=None
    Class weights of the focal loss. For two classes, the weight of the positive class
    ``classes_[1]``, strictly between 0 and 1 (``classes_[0]`` gets ``1 - alpha``).
    For K > 2 classes, K positive weights in the order of ``classes_``. ``None``
    weights every class by 1. ``"balanced"`` resolves the weights in every ``fit``
    from the weighted class totals ``W_k`` of the training data (${training_weights}):
    ``W0 / (W0 + W1)`` for two classes, ``W / (K W_k)`` for K classes; the value used
    is ``focal_alpha_`` (the parameter itself is never changed). Unlike
    ${data_weights} the data (and so the probabilities),
    ``focal_alpha`` re-weights the classes inside the loss, and :meth:`predict_proba`
    undoes it (see "focal_alpha versus scale_pos_weight" in
    :class:`~boostfocal.xgboost.FocalXGBClassifier`).
focal_hessian : {"majorizer", "floor", "exact"}, default="majorizer"
    Curvature handed to ${booster}; see :class:`~boostfocal.FocalLoss`. The exact
    Hessian is negative for badly misclassified examples; the default is a positive
    majorizer of it.
focal_proba : {"posterior", "confidence"}, default="posterior"
    What :meth:`predict_proba` returns: the class posterior ``P(y | x)``, corrected for
    the distortion of the focal loss, or the raw sigmoid/softmax of the margin (the
    biased "probability" that other focal-loss plugins return). The posterior assumes a
    model near the focal loss's minimizer; a small data set trained for many trees
    over-fits, and its posterior is then more over-confident than a logistic model's
    (median log-loss 1.06 to 1.10 times at 300 trees on 31 small sets). Wrap it in
    ``sklearn.calibration.CalibratedClassifierCV(model, method="sigmoid", cv=3)``:
    there its log-loss is 0.90 to 1.00 times the same over logistic, 0.52 to 0.80
    times plain logistic, for 3 to 5 times the fit time (the docs' probabilities
    page, "Small data sets trained for many trees")."""

#: What a GHM-C estimator is (the summary paragraph after its first line).
GHM_SUMMARY = """\
A drop-in replacement for :class:`${base}` that trains on
:class:`~boostfocal.GHMLoss` (Li, Liu and Wang, AAAI 2019): every round, each
example's logistic gradient and Hessian are multiplied by ``N / (W_b n_nonempty)``,
the inverse weighted share of its bin of gradient norms ``|sigmoid(z) - y|``. The
many easy examples and the cluster of hopeless ones (often label noise) are
down-weighted together, where focal loss down-weights only the easy ones."""

#: The GHM-C parameters of every GHM-C estimator.
GHM_PARAMS = """\
ghm_bins : int, default=10
    Number of equal-width bins of the gradient norm on [0, 1] (``>= 1``).
ghm_momentum : float, default=0.0
    Moving average of the bin histogram across boosting rounds, in [0, 1). The
    state belongs to one fit: every ``fit`` starts from a fresh loss."""

#: What every GHM-C estimator's Notes say about class weights, the metric and
#: probabilities.
GHM_NOTES = """\
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
rare class are typically inflated. Recalibrate if you need ``P(y | x)``."""

#: The fitted attributes of both Dask estimators.
DASK_ATTRIBUTES = """\
classes_ : ndarray of shape (K,)
    The original class labels, sorted.
loss_ : FocalLoss or SoftmaxFocalLoss
    The loss trained on.
focal_alpha_ : float, ndarray of shape (K,) or None
    The class weights trained with (``focal_alpha`` with ``"balanced"`` resolved).
init_score_ : float or ndarray of shape (K,)
    The starting score, from the weighted class totals reduced on the cluster.
class_totals_ : ndarray of shape (K,)
    Those totals (${training_weights})."""

#: The training data of both Dask estimators' ``fit``.
DASK_FIT_DATA = """\
X : dask array or dask DataFrame of shape (n, n_features)
    Training features.
y : dask array or dask Series of shape (n,)
    Class labels of any sortable type, partitioned like ``X``.
sample_weight : dask array or dask Series of shape (n,), default=None
    Finite weights ``>= 0``, not all zero, partitioned like ``X``."""

#: The Parameters section of the backends' ``make_objective`` / ``make_metric``.
_ADAPTER_PARAMS = """\
Parameters
----------
loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
${loss_role}
n_threads : int, default=None
    Threads of boostfocal's kernels: None for the usable CPUs (limited by
    ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
    that many; give it ${booster_threads} to keep both on the same cores."""
OBJECTIVE_PARAMS = _ADAPTER_PARAMS.replace("${loss_role}", """\
    The loss to train on. A focal loss with ``alpha="balanced"`` must be resolved
    first (``loss.resolve(y_train, sample_weight)``). A :class:`~boostfocal.GHMLoss`
    carries the state of one training run: use a fresh one for every ``train`` call.""")
METRIC_PARAMS = _ADAPTER_PARAMS.replace("${loss_role}", """\
    The loss to report: the weighted mean focal loss (``"focal_loss"``), or for
    :class:`~boostfocal.GHMLoss` the weighted mean logistic loss (``"logloss"``).""")

FRAGMENTS = {"focal_params": FOCAL_PARAMS, "ghm_summary": GHM_SUMMARY,
             "ghm_params": GHM_PARAMS, "ghm_notes": GHM_NOTES,
             "dask_attributes": DASK_ATTRIBUTES, "dask_fit_data": DASK_FIT_DATA,
             "objective_params": OBJECTIVE_PARAMS, "metric_params": METRIC_PARAMS}

#: The backends' words for the fragments' ``${...}`` fields.
XGBOOST_WORDS = {
    "booster": "the booster", "base": "xgboost.XGBClassifier",
    "booster_threads": "XGBoost's ``nthread``",
    "training_weights": "``sample_weight`` times ``scale_pos_weight``",
    "data_weights": "``scale_pos_weight``, which re-weights"}
LIGHTGBM_WORDS = {
    "booster": "LightGBM", "base": "lightgbm.LGBMClassifier",
    "booster_threads": "LightGBM's ``num_threads``",
    "training_weights": "``sample_weight`` with ``class_weight``, ``is_unbalance`` and "
                        "``scale_pos_weight`` folded in",
    "data_weights": "``class_weight``, ``is_unbalance`` and ``scale_pos_weight``, which "
                    "re-weight"}

#: ``fill_doc(**words)``: fills ``${name}`` lines of a docstring from :data:`FRAGMENTS`.
fill_doc = filler(FRAGMENTS)
