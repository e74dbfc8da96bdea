"""The backend-independent core of the native adapters.

An adapter only reads labels, weights and predictions from a library's data object,
puts the predictions in the (n, K) layout the loss expects, and calls the loss. The two
backends differ in exactly three things, which the subclasses state: how to read labels
and weights, the memory order of a flat multiclass prediction array, and the scale of
the diagonal softmax curvature that the library's own multiclass objective hands its
trees.

That scale is a convention of each booster, not math: XGBoost's ``multi:softprob`` uses
``2 p (1 - p)`` and LightGBM's ``multiclass`` ``K/(K-1) p (1 - p)`` where the exact diagonal
is ``p (1 - p)``. A Newton step divides by the curvature, so the factor is a step size.
The multiclass objectives multiply the loss's curvature by the same factor, so that
``focal_gamma=0`` reproduces the built-in objective exactly and learning rates tuned for
it carry over (measured in ``benchmarks/multiclass_curvature.py``: with the factor,
held-out log-loss was lower in 5 of 5 folds for both boosters at a fixed learning rate).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_n_threads, is_balanced
from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

#: Name under which the focal losses' metric is reported; minimized by early stopping.
METRIC_NAME = "focal_loss"

#: Name of GHM-C's metric, the weighted mean logistic loss (see :class:`GHMLoss`).
GHM_METRIC_NAME = "logloss"

LOSS_TYPES = (FocalLoss, SoftmaxFocalLoss, GHMLoss)


def xgboost_softmax_factor(n_classes: int) -> float:
    """XGBoost's ``multi:softprob`` hands its trees ``2 p (1 - p)``."""
    return 2.0


def lightgbm_softmax_factor(n_classes: int) -> float:
    """LightGBM's ``multiclass`` hands its trees ``K/(K-1) p (1 - p)``."""
    return n_classes / (n_classes - 1.0)


def check_loss(loss) -> FocalLoss | SoftmaxFocalLoss | GHMLoss:
    """Reject anything that is not a boostfocal loss object ready for training.

    A focal loss with an unresolved ``alpha="balanced"`` is rejected here, at the
    boundary, rather than on the first boosting round.
    """
    if not isinstance(loss, LOSS_TYPES):
        names = ", ".join(t.__name__ for t in LOSS_TYPES)
        raise TypeError(f"loss must be a boostfocal loss object ({names}), "
                        f"got {type(loss).__name__}")
    if is_balanced(getattr(loss, "alpha", None)):
        raise ValueError(f"{loss!r} has alpha='balanced', which must be resolved on the "
                         "training data first: pass loss.resolve(y_train, sample_weight)")
    return loss


def metric_name(loss) -> str:
    """The name under which the adapters report ``loss``'s metric (never maximized)."""
    return GHM_METRIC_NAME if isinstance(loss, GHMLoss) else METRIC_NAME


def as_loss_layout(preds: np.ndarray, n_rows: int, multiclass: bool, flat_order: str
                   ) -> np.ndarray:
    """Predictions in the loss's layout: (n,) for binary, (n, K) for multiclass.

    A flat multiclass array is reshaped in the library's own order: ``"C"`` (row-major)
    for XGBoost, ``"F"`` (class-major) for LightGBM.
    """
    preds = np.asarray(preds)
    if not multiclass:
        if preds.ndim == 2 and preds.shape[1] == 1:
            preds = preds[:, 0]
        if preds.ndim != 1 or preds.shape[0] != n_rows:
            raise ValueError(f"a binary loss got predictions of shape {preds.shape} for "
                             f"{n_rows} rows; for more than two classes use SoftmaxFocalLoss")
        return preds
    if preds.ndim == 1:
        if n_rows == 0 or preds.shape[0] % n_rows:
            raise ValueError(f"cannot read {preds.shape[0]} predictions as {n_rows} rows")
        return preds.reshape((n_rows, preds.shape[0] // n_rows), order=flat_order)
    if preds.ndim != 2 or preds.shape[0] != n_rows:
        raise ValueError(f"expected predictions of shape ({n_rows}, K), got {preds.shape}")
    return preds


class NativeObjective:
    """Callable ``(preds, data) -> (grad, hess)`` for a library's native ``train``.

    Subclasses set ``flat_order`` and implement ``_labels_weights(data)``.

    ``raw_offset`` (a float, or K floats for multiclass) is added to the library's raw
    predictions before the loss sees them: the starting score, for a booster trained
    without a per-row one (see :class:`boostfocal.lightgbm.FocalLGBMClassifier`).
    ``n_threads`` is the kernels' thread count (None: the default; see the losses'
    ``gradient_hessian``), as scikit-learn's ``_loss`` takes it; the estimators pass their
    ``n_jobs``.
    """

    flat_order = "C"

    def __init__(self, loss, raw_offset=None, n_threads: int | None = None) -> None:
        self.loss = check_loss(loss)
        self.raw_offset = raw_offset
        self.n_threads = check_n_threads(n_threads)

    @staticmethod
    def softmax_hessian_factor(n_classes: int) -> float:
        """The booster's own scale of the diagonal softmax curvature (see module doc)."""
        return 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"

    def _labels_weights(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, preds, data):
        y, w = self._labels_weights(data)
        multiclass = isinstance(self.loss, SoftmaxFocalLoss)
        z = as_loss_layout(preds, y.shape[0], multiclass, self.flat_order)
        # float32 outputs: what both boosters store (a float64 pair would only cost
        # memory and a conversion pass), in the predictions' memory order, so that
        # LightGBM flattens its class-major (n, K) pair without a copy
        order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
        grad = np.empty(z.shape, dtype=np.float32, order=order)
        hess = np.empty(z.shape, dtype=np.float32, order=order)
        if multiclass:
            return self.loss.gradient_hessian(
                y, z, w, grad, hess, hessian_scale=self.softmax_hessian_factor(z.shape[1]),
                raw_offset=self.raw_offset, n_threads=self.n_threads)
        return self.loss.gradient_hessian(y, z, w, grad, hess, raw_offset=self.raw_offset,
                                          n_threads=self.n_threads)


class NativeMetric(NativeObjective):
    """Callable ``(preds, data) -> value``: the weighted mean of ``loss.loss`` of the margins.

    That is the focal loss for the focal losses, and the logistic loss for
    :class:`GHMLoss`. It never changes a loss's state.
    """

    @property
    def name(self) -> str:
        """The reported metric name: ``"focal_loss"``, or ``"logloss"`` for GHM-C."""
        return metric_name(self.loss)

    def value(self, preds, data) -> float:
        """Weighted mean loss ``sum(w l) / sum(w)`` of raw margins ``preds`` on ``data``."""
        y, w = self._labels_weights(data)
        multiclass = isinstance(self.loss, SoftmaxFocalLoss)
        z = as_loss_layout(preds, y.shape[0], multiclass, self.flat_order)
        per_row = self.loss.loss(y, z, w, raw_offset=self.raw_offset, n_threads=self.n_threads)
        total = float(np.sum(per_row, dtype=np.float64))
        return total / (float(np.sum(w)) if w is not None else float(y.shape[0]))
