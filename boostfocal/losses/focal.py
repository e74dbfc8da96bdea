"""Binary focal loss (Lin et al., ICCV 2017) on raw margins.

Notation, for one example with raw margin ``z`` (log-odds) and label ``y`` in {0, 1}:
``s = 2y - 1``, ``u = s z``, ``p_t = sigmoid(u)``, ``q_t = 1 - p_t = sigmoid(-u)``,
``L = -log p_t`` and ``alpha_t = alpha`` if ``y = 1`` else ``1 - alpha``::

    loss    = w alpha_t q_t^gamma L
    dl/dz   = -s w alpha_t q_t^gamma (q_t + gamma p_t L)
    d2l/dz2 = w alpha_t p_t q_t^gamma [(2 gamma + 1) q_t + gamma L (gamma p_t - q_t)]

Everything is computed from ``u`` through log-sigmoids: ``1 - p`` is never formed by
subtraction, nothing is divided by ``p_t`` and nothing is clipped, so all outputs are
finite for any finite margin.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .._validation import check_binary_alpha, check_gamma, check_hessian
from ._kernels import run_binary
from ._stable import log_softplus, softplus
from .base import BinaryLoss

__all__ = ["FocalLoss"]


class FocalLoss(BinaryLoss):
    """Binary focal loss on raw margins, with exact derivatives and a safe curvature.

    The loss of an example of weight ``w`` is ``w alpha_t (1 - p_t)^gamma (-log p_t)``,
    where ``p_t`` is the probability that the sigmoid of its margin gives its class.

    Parameters
    ----------
    ${gamma}
    alpha : float, "balanced" or None, default=None
        Weight of the positive class, strictly between 0 and 1; the negative class
        gets ``1 - alpha``. ``None`` weights both classes by 1. ``"balanced"`` means
        ``alpha = W0 / (W0 + W1)`` for the weighted class totals ``W0``, ``W1`` of the
        training data, so that both classes carry the same total ``alpha_t``-weight. It is
        a placeholder: :meth:`resolve` turns it into a number once, from the training
        labels and weights, and every other method raises a ``ValueError`` until then
        (the weights are never re-derived from whatever labels a call receives, so the
        objective, the metric, :meth:`init_score` and :meth:`predict_proba` cannot
        disagree).
    hessian : {"majorizer", "floor", "exact"}, default="majorizer"
        Curvature handed to the booster by :meth:`gradient_hessian`.

        - ``"exact"``: the true second derivative. It is **negative** for badly
          misclassified examples (``p_t`` below about 0.04-0.06 for ``gamma`` in
          [1, 5]), which flips or blows up Newton leaf values. For verification.
        - ``"majorizer"``: ``max(exact, alpha_t q_t^gamma p_t q_t)``, the logistic
          curvature weighted by the focal factor where the exact one is smaller.
          Never below the exact Hessian, so a Newton step cannot overshoot where the
          loss is convex, and strictly positive everywhere. Chosen as default on the
          ablation in ``benchmarks/RESULTS.md``.
        - ``"floor"``: ``max(exact, 1e-6)``, the usual plugin fix, kept for comparison.

        Every policy except ``"exact"`` is floored at ``1e-16`` per unit weight, so the
        curvature is strictly positive for every example of positive weight.

    Notes
    -----
    Methods take ``(y_true, raw_prediction, sample_weight=None)`` in that order, as
    scikit-learn's ``sklearn._loss`` does. ``raw_prediction`` may be float32 or float64;
    outputs have the same dtype (the arithmetic is carried out in float64). The API
    shared by all losses (:meth:`resolve`, :meth:`class_totals`, :meth:`init_score`,
    ``repr`` and ``==``) is :class:`~boostfocal.losses.base.BaseLoss`'s.

    **alpha versus up-weighting the positives** (``scale_pos_weight``, ``sample_weight``).
    Both multiply each example's gradient and Hessian by a per-class factor while
    training, and both move the optimal starting score. They differ in what the model's
    probabilities refer to. ``alpha`` is part of the loss, so :meth:`predict_proba`
    undoes it: the posterior refers to the data as they are (the starting score maps
    back to the weighted base rate ``W1 / (W0 + W1)``, ``alpha`` excluded).
    ``scale_pos_weight`` multiplies the sample weights, i.e. it changes the data: the
    posterior then refers to the re-weighted population, whose odds are
    ``scale_pos_weight`` times larger. Rankings (AUC, average precision) are the same
    either way; probabilities are not. ``alpha`` also enters the metric on evaluation
    sets, while ``scale_pos_weight`` weights the training rows only. ``alpha`` and
    ``1 - alpha`` sum to 1, so for the same ratio the loss is smaller in scale than with
    ``scale_pos_weight``, which matters only through scale-dependent booster settings
    (``min_child_weight``, ``reg_lambda``).
    """

    _parameters = ("gamma", "alpha", "hessian")

    def __init__(self, gamma: float = 2.0, alpha: float | str | None = None,
                 hessian: str = "majorizer") -> None:
        self.gamma = check_gamma(gamma)
        self.alpha = check_binary_alpha(alpha)
        self.hessian = check_hessian(hessian)

    def _balanced_alpha(self, totals: tuple[float, float]) -> float:
        """``alpha = W0 / (W0 + W1)``, so that ``alpha W1 = (1 - alpha) W0``."""
        w0, w1 = totals
        return w0 / (w0 + w1)

    def _kernel(self, alpha, y, z, w, want_loss: bool, **arrays):
        return run_binary(y, z, w, 1.0 if alpha is None else alpha,
                          1.0 if alpha is None else 1.0 - alpha, self.gamma, self.hessian,
                          want_loss, **arrays)

    # ------------------------------------------------------------------ public API
    def gradient_hessian(self, y_true, raw_prediction, sample_weight=None,  # noqa: D417
                         gradient_out=None, hessian_out=None, *, raw_offset=None,
                         n_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and curvature of :meth:`loss` with respect to the raw margin.

        One fused pass (see ``_kernels/``); the only allocations are the two outputs,
        and none when they are passed in (as in scikit-learn's ``_loss`` module).

        Parameters
        ----------
        ${data_binary}
        ${sample_weight_outputs}
        ${outputs_binary}
        ${raw_offset_binary}
        ${n_threads}

        Returns
        -------
        gradient : ndarray of shape (n,)
        hessian : ndarray of shape (n,)
            The curvature chosen by the ``hessian`` policy: exact, or strictly
            positive and finite (zero only where the weight is zero).
        """
        grad, hess = self._run(y_true, raw_prediction, sample_weight, want_loss=False,
                               gradient_out=gradient_out, hessian_out=hessian_out,
                               raw_offset=raw_offset, n_threads=n_threads)
        return grad, hess

    def init_score_from_totals(self, w0: float, w1: float) -> float:
        """The optimal constant margin for weighted class totals ``W0``, ``W1``.

        The stationarity condition of ``W1 alpha F(q) + W0 (1 - alpha) F(1 - q)`` is
        exactly "the posterior map of :meth:`predict_proba` returns the weighted base
        rate", and that map is strictly increasing in the margin, so the optimum is
        unique and is found by a bracketed root search on it.

        It is *not* the prior log-odds unless ``gamma = 0`` and ``alpha = None``: with 5%
        positives and ``gamma = 2`` it is -1.097 (p = 0.25), not -2.944.
        """
        self._numeric_alpha()  # an unresolved "balanced" alpha has no optimum yet
        self._check_start_totals(w0, w1)
        target = np.log(w1) - np.log(w0)

        def f(c: float) -> float:
            return float(self._posterior_raw(np.array([c]))[0]) - target

        lo, hi = -1.0, 1.0
        while f(lo) > 0:
            lo *= 2.0
        while f(hi) < 0:
            hi *= 2.0
        return float(brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))

    def _posterior_params(self, posterior: bool) -> tuple[float, float | None]:
        return (self.gamma, self._numeric_alpha()) if posterior else (0.0, None)

    def _posterior_raw(self, z: np.ndarray) -> np.ndarray:
        """Log-odds of the class posterior implied by focal-trained margins ``z`` (float64).

        With ``q = sigmoid(z)`` and ``g(x) = (1-x)^gamma / x - gamma (1-x)^(gamma-1) log x``,
        ``eta / (1 - eta) = (1 - alpha) g(1 - q) / (alpha g(q))``. In log space,
        ``log g(sigmoid(t)) = -(gamma - 1) softplus(t) + log(e^-t + gamma softplus(-t))``:
        a sum of positive terms, so there is no cancellation anywhere.

        The plain float64 statement of the map, for :meth:`init_score_from_totals`'s root
        search. :meth:`predict_proba` evaluates the same map, fused with the sigmoid, in
        the probability kernel (``_kernels/proba.h``), in double-double arithmetic: the
        log-odds are ``sign(z) [(gamma + 1) |z| + log((1 + xA) / (1 + xB))] +
        log((1 - alpha) / alpha)`` with ``s = e^-|z|``, ``l = log(1 + s)``,
        ``xA = gamma (|z| + l) s`` and ``xB = gamma l / s``, so that the probabilities are
        within an ulp of the exact ones for every finite margin.
        """
        alpha = self._numeric_alpha()
        gamma = self.gamma
        if gamma == 0.0:
            out = z.copy()
        else:
            log_gamma = np.log(gamma)

            def log_g(t):
                return (-(gamma - 1.0) * softplus(t)
                        + np.logaddexp(-t, log_gamma + log_softplus(-t)))

            out = log_g(-z) - log_g(z)
        if alpha is not None:
            out += np.log1p(-alpha) - np.log(alpha)
        return out

    def predict_proba(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                      ) -> np.ndarray:
        """Class posterior ``[P(y=0|x), P(y=1|x)]`` estimated from focal-trained margins.

        A focal-trained model's ``sigmoid(z)`` is not ``P(y=1|x)``: focal loss is
        minimized by a distorted probability. This inverts that distortion
        (Charoenphakdee et al., CVPR 2021, generalized to ``alpha``). The map is
        strictly increasing in the margin, so rankings are unchanged; it is the
        identity at ``gamma = 0, alpha = None``; and it maps :meth:`init_score` back
        to the weighted base rate.

        One fused pass (the map and the sigmoid, ``_kernels/proba.h``), exact to within
        an ulp of each probability and finite for every finite margin. Without
        ``alpha``, negating the margin swaps the columns bit for bit, and a margin of 0
        gives exactly ``[0.5, 0.5]``.

        ${proba_binary_threads}
        """
        return super().predict_proba(raw_prediction, n_threads=n_threads)

    def predict_confidence(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                           ) -> np.ndarray:
        """The uncorrected focal "probability" ``[1 - sigmoid(z), sigmoid(z)]``.

        This is what other focal-loss plugins return. It is biased towards 0.5
        (with 5% positives and ``gamma = 2`` the best constant predicts 0.25); use
        :meth:`predict_proba` for probabilities.

        ${proba_binary_threads}
        """
        return super().predict_confidence(raw_prediction, n_threads=n_threads)
