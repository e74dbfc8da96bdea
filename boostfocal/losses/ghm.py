"""Binary GHM-C (Li, Liu and Wang, AAAI 2019, "Gradient Harmonized Single-stage Detector").

GHM-C re-weights the logistic loss by how *common* each example's gradient is. With raw
margin ``z``, label ``y`` in {0, 1}, ``s = 2y - 1`` and ``u = s z``, the gradient norm of
the logistic loss is::

    g = |sigmoid(z) - y| = sigmoid(-u)          (never formed by subtraction)

``[0, 1]`` is cut into ``bins`` equal bins (the last one closed, so ``g = 1`` lands in it):
``b(g) = min(floor(g bins), bins - 1)``. With ``W_b`` the total sample weight of the
examples in bin ``b``, ``N = sum_b W_b`` and ``n_nonempty`` the number of bins with
``W_b > 0``, each example gets::

    beta = N / (W_b(g) n_nonempty)       (weighted mean of beta over the examples: 1)
    gradient = w beta (sigmoid(z) - y)
    hessian  = w beta sigmoid(z) (1 - sigmoid(z))

Crowded bins (the many easy examples near ``g = 0``, and the cluster of hopeless
outliers near ``g = 1`` that label noise produces) are down-weighted; rare gradient
norms are up-weighted. ``beta`` is held constant within a boosting round, as the paper
holds it constant within a step. It is piecewise constant in the margins, so with
``momentum = 0`` the gradient above is the exact derivative of the harmonized loss
``w beta CE`` (:meth:`GHMLoss.harmonized_loss`) wherever no example sits on a bin edge.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import (
    as_float_array,
    check_binary_labels,
    check_bins,
    check_momentum,
    check_n_threads,
    check_output,
    check_raw_offset,
    check_sample_weight,
    result_dtype,
)
from ._curvature import MIN_CURVATURE
from ._stable import softplus
from .base import BinaryLoss

__all__ = ["GHMLoss"]


class GHMLoss(BinaryLoss):
    """Binary GHM-C loss on raw margins: the logistic loss with gradient-density weights.

    Parameters
    ----------
    bins : int, default=10
        Number of equal-width bins of the gradient norm ``g = |sigmoid(z) - y|`` on
        [0, 1] (``>= 1``; the last bin is closed). ``bins=1`` gives every example
        ``beta = 1``: the plain logistic loss.
    momentum : float, default=0.0
        In [0, 1). Exponential moving average of the gradient-norm histogram across
        boosting rounds (the paper's GHM-C momentum):
        ``density = momentum * density + (1 - momentum) * current``, started at the first
        round's histogram (no warm-up bias). ``0`` uses each round's histogram as it is.

    Attributes
    ----------
    density_ : ndarray of shape (bins,) or None
        The smoothed histogram (weighted fraction of examples per bin) used by the last
        :meth:`gradient_hessian` call; None before the first call and after
        :meth:`reset`.
    n_updates_ : int
        Number of :meth:`gradient_hessian` calls since construction or :meth:`reset`
        (one per boosting round when used through the adapters or the estimators).

    Notes
    -----
    **Weights.** ``beta_i = N / (W_b(i) n_nonempty)``, where ``W_b`` is the total *sample
    weight* in bin ``b`` and ``N`` the total weight. Counting weights rather than rows
    keeps the library-wide rule that a weight of 2 trains the same model as the row
    repeated (a repeated row is counted twice in its bin), and makes the weighted mean of
    ``beta`` exactly 1, so that the overall scale of the gradients and Hessians, and with
    it ``min_child_weight`` and ``reg_lambda``, keeps its meaning. With unit weights this
    is the paper's ``N / (count_b n_nonempty)``. Rows of weight 0 get gradient and Hessian
    0 and take no part in the histogram. With ``momentum > 0``, ``beta`` is proportional
    to ``1 / density_b`` and normalized so that its weighted mean over the current
    examples is again 1 (the paper's formula with smoothed counts, rescaled).

    A consequence of counting weights: a weight shared by a whole bin cancels in ``beta``
    (up to the overall mean weight), as repeating all of a bin's rows would. At a
    constant margin each class fills a bin of its own, so class weights
    (``scale_pos_weight``, ``class_weight``, ``is_unbalance``) are undone at the start of
    training and act only where later rounds mix the classes within a bin. GHM-C
    balances the classes there by itself.

    **State.** :meth:`gradient_hessian` is the only method that reads or changes state:
    each call advances the moving average of the histogram by one round. :meth:`loss`,
    :meth:`harmonized_loss`, :meth:`bin_weights`, :meth:`init_score`, the metrics of the
    adapters and :meth:`predict_proba` never touch it. The state belongs to one fit: the
    estimators (``GHMXGBClassifier``, ``GHMLGBMClassifier``) build a fresh ``GHMLoss`` in
    every ``fit``, so refits, ``clone`` and parallel grid searches never share it, and
    the fitted ``loss_`` shows the state it finished with. With the native adapters,
    ``xgboost.train`` advances the ``GHMLoss`` given to ``make_objective`` in place,
    while ``lightgbm.train`` deep-copies its parameters (the objective included) and
    trains on a copy, leaving yours as it was. Either way: give every ``train`` call a
    new ``GHMLoss`` (or one just :meth:`reset`), and never share one between concurrent
    trainings. The state is plain attributes: a loss pickled (or deep-copied)
    mid-training resumes exactly. With ``momentum=0`` the state does not affect the
    result.

    **The loss, the metric and the starting score.** :meth:`loss` is the per-example
    logistic loss. GHM-C is a re-weighting of that loss's gradients by a property of the
    *whole* training set, not a per-example loss of its own, and the logistic loss is
    what its model is scored by: the adapters' metric (``"logloss"``, the weighted mean
    of :meth:`loss`) drives early stopping, and :meth:`init_score` is the constant that
    minimizes it (the weighted prior log-odds). The harmonized value is available from
    :meth:`harmonized_loss`, but it is a poor stopping criterion: its weights are
    recomputed from the model's own margins, so its value at two iterations weights the
    examples differently and can fall while the model gets worse (for example by pushing
    noisy examples into a crowded bin near ``g = 1``, which lowers their weight).

    **Probabilities.** :meth:`predict_proba` is the sigmoid of the margin. Unlike focal
    loss, GHM-C has no closed-form posterior correction. At a point ``x`` with posterior
    ``eta``, the weighted stationarity condition is
    ``q / (1 - q) = eta / (1 - eta) * D(q) / D(1 - q)``, with ``D`` the gradient-norm
    density of the final training histogram: the distortion depends on the training
    distribution and is a step function of ``q``, not a fixed monotone map that could be
    inverted per example. So ``sigmoid(z)`` ranks examples, but it is not calibrated to
    ``P(y=1 | x)``. On imbalanced data ``D`` is large near ``g = 0`` (the many easy
    negatives) and small elsewhere, which inflates the rare class's probabilities, as
    focal loss's raw confidence does. Recalibrate (e.g. ``CalibratedClassifierCV``) when
    the probabilities themselves matter.

    **Starting score.** At the prior log-odds every positive has the same gradient norm
    and so does every negative: the first round sees two occupied bins and weights the
    classes equally (``beta`` proportional to ``1 / W_class``). The first trees therefore
    act like a class-balanced logistic step towards margin 0; the bins spread out as the
    model learns. With a positive rate ``pi`` the Newton step of a root leaf is
    ``(1 - 2 pi) / (2 pi (1 - pi))`` (15 at ``pi = 3.3%``, before the learning rate):
    large on very imbalanced data, and unbounded as ``pi -> 0`` (with the class weights
    1000 : 0.0001 of a scikit-learn estimator check, the start is at -16 and the first
    tree overshoots to predicting every row positive). Boosters' ``max_delta_step``
    bounds it if needed.

    Methods take ``(y_true, raw_prediction, sample_weight=None)`` in that order.
    ``raw_prediction`` may be float32 or float64; outputs keep its dtype (the arithmetic
    is carried out in float64). The API shared by all losses (:meth:`class_totals`,
    :meth:`init_score`, ``repr`` and ``==``) is :class:`~boostfocal.losses.base.BaseLoss`'s;
    GHM-C has no class weights, so :meth:`resolve` returns the loss unchanged.
    """

    _parameters = ("bins", "momentum")

    def __init__(self, bins: int = 10, momentum: float = 0.0) -> None:
        self.bins = check_bins(bins)
        self.momentum = check_momentum(momentum)
        self.reset()

    def reset(self) -> GHMLoss:
        """Forget the moving average: the next :meth:`gradient_hessian` starts afresh.

        Returns
        -------
        self : GHMLoss
        """
        self.density_: np.ndarray | None = None
        self.n_updates_ = 0
        return self

    # ------------------------------------------------------------------ internals
    def _inputs(self, y_true, raw_prediction, sample_weight, raw_offset=None):
        """Validated float64 ``y``, ``u = s z``, weights (or None), and the output dtype."""
        z = as_float_array(raw_prediction, "raw_prediction", 1)
        y = check_binary_labels(y_true, z.shape[0])
        w = check_sample_weight(sample_weight, z.shape[0])
        offset = check_raw_offset(raw_offset)
        z64 = z.astype(np.float64, copy=False)
        if offset:
            z64 = z64 + offset
        u = np.where(y == 1.0, z64, -z64)
        return y, u, w, result_dtype(z)

    def _histogram(self, g: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Bin index of every example and the weighted fraction of examples per bin."""
        idx = np.minimum((g * self.bins).astype(np.intp), self.bins - 1)
        mass = np.bincount(idx, weights=w, minlength=self.bins).astype(np.float64)
        total = mass.sum()
        return idx, (mass / total if total > 0 else mass)

    @staticmethod
    def _beta(idx: np.ndarray, density: np.ndarray, current: np.ndarray) -> np.ndarray:
        """``beta`` proportional to ``1 / density``, weighted mean 1 over ``current``.

        ``current`` is this round's weighted histogram (fractions summing to 1): the
        weighted mean of ``c / density_b`` over the examples is ``c sum_b current_b /
        density_b``. With ``density = current`` this is ``1 / (current_b n_nonempty)``,
        i.e. ``N / (W_b n_nonempty)``.
        """
        occupied = current > 0
        inv = np.zeros_like(density)
        inv[occupied] = 1.0 / density[occupied]
        norm = float(np.sum(current[occupied] * inv[occupied]))
        return inv[idx] / norm

    def _batch_beta(self, u: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        """``beta`` from this batch's histogram alone (no momentum, no state)."""
        idx, current = self._histogram(expit(-u), w)
        return self._beta(idx, current, current)

    # ------------------------------------------------------------------ public API
    def bin_weights(self, y_true, raw_prediction, sample_weight=None) -> np.ndarray:  # noqa: D417
        """``beta`` of every example from these margins alone (no momentum, no state).

        Parameters
        ----------
        ${data_binary}
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights; they count in the bin totals.

        Returns
        -------
        ndarray of shape (n,), float64
            ``N / (W_b n_nonempty)``; its weighted mean is 1. Rows of weight 0 get the
            value of their bin if it holds weight, else 0.
        """
        _, u, w, _ = self._inputs(y_true, raw_prediction, sample_weight)
        return self._batch_beta(u, w)

    def loss(self, y_true, raw_prediction, sample_weight=None, *, raw_offset=None,  # noqa: D417
             n_threads: int | None = None) -> np.ndarray:
        """Per-example logistic loss ``w log(1 + exp(-u))``: what GHM-C is scored by.

        The adapters' metric is its weighted mean and :meth:`init_score` its minimizing
        constant. It does not depend on, or change, the moving-average state.

        Parameters
        ----------
        ${data_binary}
        ${sample_weight}
        ${raw_offset_binary}
        ${n_threads_ghm}

        Returns
        -------
        ndarray of shape (n,)
            Same dtype as ``raw_prediction``.
        """
        check_n_threads(n_threads)
        _, u, w, dtype = self._inputs(y_true, raw_prediction, sample_weight, raw_offset)
        return _weighted(softplus(-u), w, dtype)

    def harmonized_loss(self, y_true, raw_prediction, sample_weight=None) -> np.ndarray:  # noqa: D417
        """Per-example GHM-C loss ``w beta log(1 + exp(-u))``, ``beta`` from these margins.

        Uses :meth:`bin_weights` (no momentum; the state is neither read nor changed).
        Its value depends on the whole batch passed, not on each example alone. With
        ``momentum=0``, :meth:`gradient_hessian` returns its gradient wherever no example
        sits on a bin edge (``beta`` is piecewise constant in the margins).

        Parameters
        ----------
        ${data_binary}
        ${sample_weight}

        Returns
        -------
        ndarray of shape (n,)
            Same dtype as ``raw_prediction``.
        """
        _, u, w, dtype = self._inputs(y_true, raw_prediction, sample_weight)
        return _weighted(self._batch_beta(u, w) * softplus(-u), w, dtype)

    def gradient_hessian(self, y_true, raw_prediction, sample_weight=None,  # noqa: D417
                         gradient_out=None, hessian_out=None, *, raw_offset=None,
                         n_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """GHM-C gradient and curvature for one boosting round; advances the moving average.

        ``beta`` comes from the histogram of ``g = sigmoid(-u)`` over the examples passed
        (smoothed with the earlier rounds' histograms when ``momentum > 0``) and is held
        fixed: ``gradient = w beta (sigmoid(z) - y)``, ``hessian = w beta sigmoid(z)
        (1 - sigmoid(z))``, floored at ``1e-16 w beta`` so that it is strictly positive
        for every example of positive weight (as the focal losses' curvature policies
        are). Call it once per round, on the whole training set: the adapters do.

        Parameters
        ----------
        ${data_binary}
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights: they count in the bin totals and multiply both outputs.
        ${outputs_binary}
        ${raw_offset_binary}
        ${n_threads_ghm}

        Returns
        -------
        gradient : ndarray of shape (n,)
            ``w beta (sigmoid(z) - y)``.
        hessian : ndarray of shape (n,)
            ``w beta sigmoid(z) (1 - sigmoid(z))``, floored as above. Both have the dtype
            of ``raw_prediction`` (or of the arrays passed in).
        """
        check_n_threads(n_threads)
        y, u, w, dtype = self._inputs(y_true, raw_prediction, sample_weight, raw_offset)
        gradient_out = check_output(gradient_out, "gradient_out", u.shape)
        hessian_out = check_output(hessian_out, "hessian_out", u.shape)
        g = expit(-u)                  # |sigmoid(z) - y| = 1 - p_t, without subtraction
        idx, current = self._histogram(g, w)
        if self.density_ is None or self.momentum == 0.0:
            density = current
        else:
            density = self.momentum * self.density_ + (1.0 - self.momentum) * current
        beta = self._beta(idx, density, current)
        self.density_ = density
        self.n_updates_ += 1
        if w is not None:
            beta = beta * w
        # sigmoid(z) - y is -g for y = 1 and g for y = 0; p_t (1 - p_t) = sigmoid(u) g
        grad = np.where(y == 1.0, -g, g) * beta
        hess = np.maximum(expit(u) * g, MIN_CURVATURE) * beta
        return _into(grad, gradient_out, dtype), _into(hess, hessian_out, dtype)

    # ------------------------------------------------------------------ start, proba
    def init_score_from_totals(self, w0: float, w1: float) -> float:
        """``log(W1 / W0)`` for weighted class totals ``W0``, ``W1``.

        The weighted prior log-odds: the constant margin minimizing the weighted mean of
        :meth:`loss`.
        """
        self._check_start_totals(w0, w1)
        return float(np.log(w1) - np.log(w0))

    def predict_proba(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                      ) -> np.ndarray:
        """``[1 - sigmoid(z), sigmoid(z)]``: a score on the probability scale.

        GHM-C has no closed-form posterior correction (see the class Notes): this ranks
        examples like the margin but is not calibrated to ``P(y | x)``.

        ${proba_binary_threads}
        """
        return super().predict_proba(raw_prediction, n_threads=n_threads)

    def predict_confidence(self, raw_prediction, *, n_threads: int | None = None
                           ) -> np.ndarray:
        """Same as :meth:`predict_proba`: GHM-C has no correction to undo."""
        return self.predict_proba(raw_prediction, n_threads=n_threads)


def _weighted(values: np.ndarray, w: np.ndarray | None, dtype) -> np.ndarray:
    """``values`` times the weights (if any, in place), as ``dtype``."""
    if w is not None:
        values *= w
    return values.astype(dtype, copy=False)


def _into(values: np.ndarray, out: np.ndarray | None, dtype) -> np.ndarray:
    """``values`` written into ``out`` if given, else as ``dtype``."""
    if out is None:
        return values.astype(dtype, copy=False)
    out[...] = values
    return out
