"""Multiclass softmax focal loss on raw logits.

With ``p = softmax(z)`` over K classes, the true class ``y``, ``P = p_y``,
``a = 1 - p_y``, ``L = -log p_y`` and a per-class weight ``alpha_y``::

    loss = w alpha_y a^gamma L
    A(p) = gamma p (1-p)^(gamma-1) log p - (1-p)^gamma
    dl/dz_k   = w alpha_y A(P) (delta_yk - p_k)
    d2l/dz_k2 = w alpha_y [A'(P) P (delta_yk - p_k)^2 - A(P) p_k (1 - p_k)]

For ``gamma < 2``, ``A'`` carries the factor ``(1-p_y)^(gamma-2)``, which is huge exactly
where ``(delta_yk - p_k)^2`` is tiny. Writing ``d_k = (delta_yk - p_k) / a`` (1 for the true
class, ``-p_k / a`` for the others, always in [-1, 1]) absorbs ``a^2`` analytically::

    dl/dz_k   = -w alpha_y a^gamma (a + gamma P L) d_k
    d2l/dz_k2 =  w alpha_y a^gamma {gamma P [2a - aL + (gamma-1) P L] d_k^2 + (a + gamma P L) c_k}

with ``c_y = P`` and ``c_k = (p_k / a)(1 - p_k)`` otherwise. Every factor is bounded and is
computed from log-softmax, with ``log(1 - p)`` taken without cancellation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from .._validation import (
    as_float_array,
    check_class_alpha,
    check_class_labels,
    check_gamma,
    check_hessian,
    check_hessian_scale,
    check_sample_weight,
    is_balanced,
)
from ._kernels import run_softmax, run_softmax_proba
from ._stable import log_softplus, softplus
from .base import BaseLoss
from .link import SoftmaxLink

__all__ = ["SoftmaxFocalLoss"]


class SoftmaxFocalLoss(BaseLoss):
    """Multiclass softmax focal loss on raw logits.

    The loss of an example of weight ``w`` and class ``y`` is
    ``w alpha_y (1 - p_y)^gamma (-log p_y)``, with ``p = softmax(z)`` of its logits.

    Parameters
    ----------
    ${gamma}
    alpha : sequence of float, "balanced" or None, default=None
        Per-class weights in class order (length K, each > 0). ``None`` weights every
        class by 1. ``"balanced"`` means ``alpha_k = W / (K W_k)`` for the weighted class
        totals ``W_k`` of the training data (``W = sum W_k``): inversely proportional to
        the class totals, so every class carries the same total ``alpha``-weight, and
        normalized so that ``sum_i w_i alpha_{y_i} = W``, i.e. the loss keeps the overall
        scale it has without ``alpha`` (this is scikit-learn's
        ``compute_class_weight("balanced")`` on weighted counts; scale matters to
        ``min_child_weight`` and ``reg_lambda``). It is a placeholder: :meth:`resolve`
        turns it into numbers once, from the training data, and every method that needs
        ``alpha`` raises a ``ValueError`` until then.
    hessian : {"majorizer", "floor", "exact"}, default="majorizer"
        Curvature handed to the booster, per class (the diagonal of the Hessian, which
        is what XGBoost and LightGBM use). ``"exact"`` is the exact diagonal, which can
        be negative; ``"majorizer"`` is ``max(exact, alpha_y a^gamma p_k (1 - p_k))``,
        the softmax cross-entropy curvature weighted by the focal factor; ``"floor"`` is
        ``max(exact, 1e-6)``. Positive policies are floored at 1e-16 per unit weight.

    Notes
    -----
    ``y_true`` holds class indices 0..K-1 and ``raw_prediction`` has shape (n, K). The API
    shared by all losses (:meth:`resolve`, :meth:`class_totals`, :meth:`init_score`,
    ``repr`` and ``==``) is :class:`~boostfocal.losses.base.BaseLoss`'s.
    """

    _parameters = ("gamma", "alpha", "hessian")
    link = SoftmaxLink()
    _raw_ndim = 2

    def __init__(self, gamma: float = 2.0, alpha: Sequence[float] | str | None = None,
                 hessian: str = "majorizer") -> None:
        self.gamma = check_gamma(gamma)
        self.alpha = check_class_alpha(alpha)
        self.hessian = check_hessian(hessian)

    @property
    def n_classes(self) -> int | None:
        """K when ``alpha`` fixes it, else None (taken from the data)."""
        return None if self._alpha_array() is None else int(self.alpha.shape[0])

    def _alpha_array(self) -> np.ndarray | None:
        """The numeric class weights, or None; ``"balanced"`` counts as not fixed yet."""
        return None if self.alpha is None or is_balanced(self.alpha) else self.alpha

    def _balanced_alpha(self, totals: np.ndarray) -> np.ndarray:
        """``alpha_k = W / (K W_k)`` with ``W = sum_k W_k``."""
        return totals.sum() / (totals.shape[0] * totals)

    # ------------------------------------------------------------------ validation
    def _check_columns(self, z: np.ndarray) -> None:
        if z.shape[1] < 2:
            raise ValueError(f"raw_prediction must have one column per class (K >= 2), "
                             f"got shape {z.shape}")
        alpha = self._alpha_array()
        if alpha is not None and z.shape[1] != alpha.shape[0]:
            raise ValueError(f"alpha has {alpha.shape[0]} class weights but "
                             f"raw_prediction has {z.shape[1]} columns")

    def _check_labels(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        return check_class_labels(y, z.shape[1], z.shape[0])

    def _kernel(self, alpha, y, z, w, want_loss: bool, **arrays):
        return run_softmax(y, z, w, alpha, self.gamma, self.hessian, want_loss, **arrays)

    # ------------------------------------------------------------------ public API
    def gradient_hessian(self, y_true, raw_prediction, sample_weight=None,  # noqa: D417
                         gradient_out=None, hessian_out=None, *, hessian_scale: float = 1.0,
                         raw_offset=None, n_threads: int | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and diagonal curvature with respect to the logits.

        One fused pass over the rows (see ``_kernels/``); the only allocations are the
        two outputs, and none when they are passed in (as in scikit-learn's ``_loss``
        module).

        Parameters
        ----------
        ${data_multiclass}
        ${sample_weight_outputs}
        ${outputs_multiclass}
        hessian_scale : float, default=1.0
            A positive factor on the curvature. The boosters' own softmax objectives
            scale the exact diagonal (XGBoost by 2, LightGBM by K/(K-1)); the adapters
            pass their booster's factor, so that ``gamma=0`` reproduces it exactly.
        ${raw_offset_multiclass}
        ${n_threads}

        Returns
        -------
        gradient : ndarray of shape (n, K)
        hessian : ndarray of shape (n, K)
            Diagonal of the Hessian under the ``hessian`` policy, times ``hessian_scale``.
        """
        grad, hess = self._run(y_true, raw_prediction, sample_weight, want_loss=False,
                               gradient_out=gradient_out, hessian_out=hessian_out,
                               raw_offset=raw_offset, n_threads=n_threads,
                               hess_scale=check_hessian_scale(hessian_scale))
        return grad, hess

    def class_totals(self, y_true, sample_weight=None, n_classes: int | None = None  # noqa: D417
                     ) -> np.ndarray:
        """Weighted class totals ``W_k`` (shape (K,)): all :meth:`init_score` needs.

        Parameters
        ----------
        ${y_true_multiclass}
        ${sample_weight}
        ${n_classes}

        Returns
        -------
        ndarray of shape (K,)
        """
        k = self._resolve_n_classes(y_true, n_classes)
        y = check_class_labels(y_true, k)
        w = check_sample_weight(sample_weight, y.shape[0])
        totals = np.bincount(y, weights=w, minlength=k).astype(np.float64)
        if not np.all(np.isfinite(totals)):
            raise ValueError(f"sample_weight overflows: the class totals are "
                             f"{totals.tolist()}; scale the weights down")
        return totals

    def _resolve_n_classes(self, y_true, n_classes: int | None) -> int:
        if n_classes is None:
            n_classes = self.n_classes
        if n_classes is None:
            y = as_float_array(y_true, "y_true", 1)
            n_classes = int(y.max()) + 1 if y.size else 0
        alpha = self._alpha_array()
        if alpha is not None and n_classes != alpha.shape[0]:
            raise ValueError(f"alpha has {alpha.shape[0]} class weights but "
                             f"n_classes is {n_classes}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        return int(n_classes)

    def init_score_from_totals(self, totals) -> np.ndarray:
        """Optimal constant logits for weighted class totals ``W_k``.

        At the optimum on the simplex, ``alpha_k W_k g(q_k)`` is the same for every
        class (``g = -F'`` with ``F(q) = -(1-q)^gamma log q``, strictly decreasing), which
        is the statement that the posterior map returns ``W / sum(W)``. For a common
        level ``m`` each ``q_k`` solves ``log g(q_k) = m - log(alpha_k W_k)``, and ``m``
        is fixed by ``sum q_k = 1``: two nested monotone root searches.
        """
        totals = np.asarray(totals, dtype=np.float64)
        self._check_totals(totals, "init_score",
                           "; a class with zero weight has an optimal logit of -inf")
        k = totals.shape[0]
        alpha = self._numeric_alpha()
        alpha = np.ones(k) if alpha is None else alpha
        level = np.log(alpha) + np.log(totals)
        gamma = self.gamma
        if gamma == 0.0:  # g(q) = 1/q, so q_k is proportional to alpha_k W_k
            return level - level.mean()

        def log_g(t: float) -> float:  # log g(sigmoid(t)), strictly decreasing in t
            t = np.array([t])
            out = -(gamma - 1.0) * softplus(t)
            return float((out + np.logaddexp(-t, np.log(gamma) + log_softplus(-t)))[0])

        def logit_q(m: float, lvl: float) -> float:
            target = m - lvl
            lo, hi = -1.0, 1.0
            while log_g(lo) < target:
                lo *= 2.0
            while log_g(hi) > target:
                hi *= 2.0
            return brentq(lambda t: log_g(t) - target, lo, hi, xtol=1e-15, maxiter=500)

        def excess(m: float) -> float:
            t = np.array([logit_q(m, lvl) for lvl in level])
            return float(np.sum(np.exp(-softplus(-t)))) - 1.0  # sum(q) - 1, falls with m

        lo, hi = float(np.min(level)), float(np.max(level))
        step = 1.0
        while excess(lo) < 0:
            lo -= step
            step *= 2.0
        step = 1.0
        while excess(hi) > 0:
            hi += step
            step *= 2.0
        m = brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
        t = np.array([logit_q(m, lvl) for lvl in level])
        log_q = -softplus(-t)
        return log_q - log_q.mean()

    def _posterior_params(self, posterior: bool) -> tuple[float, np.ndarray | None]:
        return (self.gamma, self._numeric_alpha()) if posterior else (0.0, None)

    def _proba_kernel(self, z: np.ndarray, gamma: float, alpha, dtype: np.dtype,
                      n_threads: int | None) -> tuple[np.ndarray, int]:
        return run_softmax_proba(z, gamma, alpha, dtype=dtype, n_threads=n_threads)

    def predict_proba(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                      ) -> np.ndarray:
        """Class posterior estimated from focal-trained logits, shape (n, K).

        ``eta_k`` is proportional to ``1 / (alpha_k g(q_k))`` with ``q = softmax(z)`` and
        ``g(x) = (1-x)^gamma / x - gamma (1-x)^(gamma-1) log x``. It is the identity (the
        softmax) at ``gamma = 0, alpha = None``, and maps :meth:`init_score` back to the
        weighted class priors.

        One fused pass (``_kernels/proba.h``), in log space relative to the top logit
        ``t`` and in double-double arithmetic: with ``s = sum_{j != t} e^(z_j - z_t)`` and
        ``l = log(1 + s) = -log q_t``, ``1 / g(q_t) = s^-gamma e^((gamma-1) l) / (1 +
        gamma l / s)`` and, for the others (``q_k < 1/2``), ``1 / g(q_k) = q_k
        (1 - q_k)^-gamma / (1 + gamma (-log q_k) q_k / (1 - q_k))``: an exponential of an
        exactly known argument times a bounded factor, so that every probability is
        within an ulp of its exact value and finite for all finite logits. Equal logits
        (with equal ``alpha``) give bit-equal probabilities.

        ${proba_multiclass_threads}
        """
        return super().predict_proba(raw_prediction, n_threads=n_threads)

    def predict_confidence(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                           ) -> np.ndarray:
        """The uncorrected focal "probability" ``softmax(z)``, shape (n, K).

        ${proba_multiclass_threads}
        """
        return super().predict_confidence(raw_prediction, n_threads=n_threads)
