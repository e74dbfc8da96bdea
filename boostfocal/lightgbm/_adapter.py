"""LightGBM native objective and metric: ``make_objective`` and ``make_metric``."""

from __future__ import annotations

from .._optional import import_optional
from .._shared.adapter import NativeMetric, NativeObjective, lightgbm_softmax_factor

lgb = import_optional("lightgbm", "lightgbm")





def _labels_weights(dataset):
    y = dataset.get_label()
    w = dataset.get_weight()
    return y, w


class LGBMObjective(NativeObjective):
    """``objective(preds, train_data) -> (grad, hess)`` for ``lightgbm.train``.

    Reads labels and weights from the Dataset and multiplies the gradient and Hessian
    by the weights. Multiclass predictions arrive as (n, K); a flat array is read
    class-major (column-major), LightGBM's own order.
    """

    flat_order = "F"
    softmax_hessian_factor = staticmethod(lightgbm_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)


class LGBMMetric(NativeMetric):
    """``feval(preds, data) -> (name, value, False)`` for ``lightgbm.train``.

    The value is the weighted mean of ``loss.loss`` on the raw scores (``"focal_loss"``,
    or ``"logloss"`` for GHM-C); ``False`` tells early stopping to minimize it.
    """

    flat_order = "F"
    softmax_hessian_factor = staticmethod(lightgbm_softmax_factor)

    def _labels_weights(self, data):
        return _labels_weights(data)

    def __call__(self, preds, data):
        return self.name, self.value(preds, data), False


def make_objective(loss, n_threads: int | None = None) -> LGBMObjective:
    """Objective for ``lightgbm.train(params={"objective": ...})``.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to train on. A focal loss with ``alpha="balanced"`` must be resolved
        first (``loss.resolve(y_train, sample_weight)``). A :class:`~boostfocal.GHMLoss`
        carries the state of one training run: use a fresh one for every ``train`` call.
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it LightGBM's ``num_threads`` to keep both on the same cores.

    Returns
    -------
    LGBMObjective
        A picklable callable ``(preds, train_data) -> (grad, hess)``.

    Examples
    --------
    Start from the focal-optimal constant with ``init_score`` on every Dataset, and add
    it back to ``predict(raw_score=True)`` (LightGBM does not)::

        start = loss.init_score(y)
        dtrain = lgb.Dataset(X, y, init_score=np.full(len(y), start))
        booster = lgb.train({"objective": make_objective(loss), "metric": "None"}, dtrain, 100)
        margin = booster.predict(X_new, raw_score=True) + start
    """
    return LGBMObjective(loss, n_threads=n_threads)


def make_metric(loss, n_threads: int | None = None) -> LGBMMetric:
    """Metric for ``lightgbm.train(feval=...)``: the loss's weighted mean.

    Parameters
    ----------
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to report: the weighted mean focal loss (``"focal_loss"``), or for
        :class:`~boostfocal.GHMLoss` the weighted mean logistic loss (``"logloss"``).
    n_threads : int, default=None
        Threads of boostfocal's kernels: None for the usable CPUs (limited by
        ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all, else
        that many; give it LightGBM's ``num_threads`` to keep both on the same cores.

    Returns
    -------
    LGBMMetric
        A picklable callable ``(preds, data) -> (name, value, False)``. Pair it
        with ``"metric": "None"`` so that no built-in metric, computed on raw scores as
        if they were probabilities, takes part in early stopping.
    """
    return LGBMMetric(loss, n_threads=n_threads)

