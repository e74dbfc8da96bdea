"""The backend-independent core of the native adapters.

An adapter only reads labels, weights and predictions from a booster's call, puts the
predictions in the (n, K) layout the loss expects, and calls the loss (as LightGBM's own
``_ObjectiveFunctionWrapper`` adapts one call signature to another and does nothing
else). There is one objective class, :class:`NativeObjective`, and one metric class,
:class:`NativeMetric`; what differs between the four calling conventions
(``xgboost.train``, XGBClassifier's callable, ``lightgbm.train``, LGBMClassifier's
callable) is a :class:`Layout`, stated once per convention in the backend's ``_adapter``
module: how to read labels, predictions and weights from the call's arguments (which is
also the signature the booster inspects), the memory order of a flat multiclass
prediction array, the scale of the diagonal softmax curvature that the booster's own
multiclass objective hands its trees, and what a metric returns.

That scale is a convention of each booster, not math: XGBoost's ``multi:softprob`` uses
``2 p (1 - p)`` and LightGBM's ``multiclass`` ``K/(K-1) p (1 - p)`` where the exact diagonal
is ``p (1 - p)``. A Newton step divides by the curvature, so the factor is a step size.
The multiclass objectives multiply the loss's curvature by the same factor, so that
``focal_gamma=0`` reproduces the built-in objective exactly and learning rates tuned for
it carry over (measured in ``benchmarks/multiclass_curvature.py``: with the factor,
held-out log-loss was lower in 5 of 5 folds for both boosters at a fixed learning rate).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_n_threads, is_balanced
from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

#: Name under which the focal losses' metric is reported; minimized by early stopping.
METRIC_NAME = "focal_loss"

#: Name of GHM-C's metric, the weighted mean logistic loss (see :class:`GHMLoss`).
GHM_METRIC_NAME = "logloss"

LOSS_TYPES = (FocalLoss, SoftmaxFocalLoss, GHMLoss)


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


@dataclass(frozen=True)
class Layout:
    """One booster calling convention, as the adapters see it.

    Parameters
    ----------
    read : callable
        ``read(*args, **kwargs) -> (labels, predictions, weights or None)`` from the
        arguments the booster calls the adapter with. Its signature is the adapter's
        (``inspect.signature(adapter)``): LightGBM's scikit-learn layer counts the
        parameters and XGBoost's looks for one named ``sample_weight``.
    flat_order : {"C", "F"}
        How a flat multiclass prediction array is laid out: row-major (XGBoost) or
        class-major (LightGBM).
    softmax_factor : callable
        ``softmax_factor(n_classes) -> float``, the booster's own scale of the diagonal
        softmax curvature (see the module docstring).
    report : callable
        ``report(name, value)``: what a metric returns to the booster.

    The callables are module-level functions, so an adapter pickles with its layout.
    """

    read: Callable[..., tuple]
    flat_order: str
    softmax_factor: Callable[[int], float]
    report: Callable[[str, float], Any]


def weights_or_none(weight):
    """The weights a booster handed over, or None for none (None or an empty array)."""
    return None if weight is None or np.size(weight) == 0 else weight


def name_value(name: str, value: float) -> tuple[str, float]:
    """``xgboost.train``'s metric convention: ``(name, value)``, minimized by its name."""
    return name, value


def name_value_minimized(name: str, value: float) -> tuple[str, float, bool]:
    """LightGBM's metric convention: ``(name, value, is_higher_better=False)``."""
    return name, value, False


def value_only(name: str, value: float) -> float:
    """XGBClassifier's callable metric convention: the value (the name is ``__name__``)."""
    return value


class SignatureOf:
    """Class attribute ``__signature__``: an instance shows the signature of a function.

    ``inspect.signature(instance)`` reads ``instance.__signature__`` first, so a callable
    object that takes ``*args`` can still show the parameters a booster counts. On the
    class itself it is None, and ``inspect`` falls back to ``__init__``.
    """

    def __init__(self, function_of: Callable[[Any], Callable]) -> None:
        self.function_of = function_of

    def __get__(self, instance, owner=None) -> inspect.Signature | None:
        return None if instance is None else inspect.signature(self.function_of(instance))


class _NativeAdapter:
    """What the objective and the metric share: the loss, its options and the layout."""

    #: The calling convention; the backends' named adapters set it, or pass ``layout``.
    layout: Layout | None = None
    __signature__ = SignatureOf(lambda adapter: adapter.layout.read)

    def __init__(self, loss, raw_offset=None, n_threads: int | None = None, *,
                 layout: Layout | None = None) -> None:
        self.loss = check_loss(loss)
        self.raw_offset = raw_offset
        self.n_threads = check_n_threads(n_threads)
        if layout is not None:
            self.layout = layout
        if not isinstance(self.layout, Layout):
            raise TypeError(f"{type(self).__name__} needs a Layout, got {self.layout!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"

    def _kernel_threads(self) -> int | None:
        """The kernels' thread count for this call: ``n_threads``.

        The Dask adapters (``boostfocal.dask._common.OnWorkerThreads``) look up the
        worker's thread count where it is None.
        """
        return self.n_threads

    def _read(self, args: tuple, kwargs: dict):
        """Labels, margins in the loss's layout and weights, from the booster's call."""
        y, preds, w = self.layout.read(*args, **kwargs)
        multiclass = isinstance(self.loss, SoftmaxFocalLoss)
        return y, as_loss_layout(preds, y.shape[0], multiclass, self.layout.flat_order), w


class NativeObjective(_NativeAdapter):
    """Objective callable for a booster: its call's arguments in, ``(grad, hess)`` out.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss that computes the gradients and Hessians.
    raw_offset : float or array of shape (K,), default=None
        Added to the booster's raw predictions before the loss sees them: the starting
        score, for a booster trained without a per-row one (see
        :class:`boostfocal.lightgbm.FocalLGBMClassifier`).
    n_threads : int, default=None
        The kernels' thread count (None: the default; see the losses'
        ``gradient_hessian``), as scikit-learn's ``_loss`` takes it; the estimators pass
        their ``n_jobs``.
    layout : Layout, default=None
        The calling convention; by default the class's (the backends' named adapters,
        such as :class:`boostfocal.xgboost.XGBObjective`, set one).
    """

    def __call__(self, *args, **kwargs):
        y, z, w = self._read(args, kwargs)
        # float32 outputs: what both boosters store (a float64 pair would only cost
        # memory and a conversion pass), in the predictions' memory order, so that
        # LightGBM flattens its class-major (n, K) pair without a copy
        order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
        grad, hess = self._outputs(z.shape, order)
        if isinstance(self.loss, SoftmaxFocalLoss):
            return self.loss.gradient_hessian(
                y, z, w, grad, hess, hessian_scale=self.layout.softmax_factor(z.shape[1]),
                raw_offset=self.raw_offset, n_threads=self._kernel_threads())
        return self.loss.gradient_hessian(y, z, w, grad, hess, raw_offset=self.raw_offset,
                                          n_threads=self._kernel_threads())

    def _outputs(self, shape: tuple, order: str) -> tuple[np.ndarray, np.ndarray]:
        """Two new float32 arrays for a call's gradient and Hessian.

        The Dask adapters (``boostfocal.dask._common.ReusedOutputs``) hand back the same
        two arrays on every call instead.
        """
        return (np.empty(shape, dtype=np.float32, order=order),
                np.empty(shape, dtype=np.float32, order=order))


class NativeMetric(_NativeAdapter):
    """Metric callable for a booster: the weighted mean of ``loss.loss`` of the margins.

    That is the focal loss for the focal losses, and the logistic loss for
    :class:`GHMLoss`; the layout's ``report`` says how it is returned, under the name
    :attr:`name` (also ``__name__``, where XGBClassifier reads it). It never changes a
    loss's state. The parameters are :class:`NativeObjective`'s.
    """

    def __init__(self, loss, raw_offset=None, n_threads: int | None = None, *,
                 layout: Layout | None = None) -> None:
        super().__init__(loss, raw_offset, n_threads, layout=layout)
        self.__name__ = self.name

    @property
    def name(self) -> str:
        """The reported metric name: ``"focal_loss"``, or ``"logloss"`` for GHM-C."""
        return metric_name(self.loss)

    def __call__(self, *args, **kwargs):
        y, z, w = self._read(args, kwargs)
        per_row = self.loss.loss(y, z, w, raw_offset=self.raw_offset,
                                 n_threads=self._kernel_threads())
        total = float(np.sum(per_row, dtype=np.float64))
        value = total / (float(np.sum(w)) if w is not None else float(y.shape[0]))
        return self.layout.report(self.name, value)
