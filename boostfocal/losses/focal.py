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

from .._validation import (
    as_array,
    as_float_array,
    binary_class_totals,
    check_binary_alpha,
    check_binary_labels,
    check_gamma,
    check_hessian,
    check_n_threads,
    check_output,
    check_raw_offset,
    check_sample_weight,
    is_balanced,
    result_dtype,
    unresolved_alpha,
)
from ._stable import log_sigmoid, log_softplus, softplus

__all__ = ["FocalLoss"]


class FocalLoss:
    """Binary focal loss on raw margins, with exact derivatives and a safe curvature.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``. ``gamma=0`` with ``alpha=None`` is exactly the
        logistic loss.
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
    outputs have the same dtype (the arithmetic is carried out in float64).

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

    n_classes = 2

    def __init__(self, gamma: float = 2.0, alpha: float | str | None = None,
                 hessian: str = "majorizer") -> None:
        self.gamma = check_gamma(gamma)
        self.alpha = check_binary_alpha(alpha)
        self.hessian = check_hessian(hessian)

    def __repr__(self) -> str:
        return (f"FocalLoss(gamma={self.gamma!r}, alpha={self.alpha!r}, "
                f"hessian={self.hessian!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FocalLoss) and (
            (self.gamma, self.alpha, self.hessian) == (other.gamma, other.alpha, other.hessian))

    def __hash__(self) -> int:
        return hash((FocalLoss, self.gamma, self.alpha, self.hessian))

    # ------------------------------------------------------------------ alpha
    def _numeric_alpha(self) -> float | None:
        """``alpha`` for the math; an unresolved ``"balanced"`` is an error."""
        if is_balanced(self.alpha):
            raise unresolved_alpha(self)
        return self.alpha

    def resolve(self, y_true, sample_weight=None) -> FocalLoss:
        """The loss with ``alpha="balanced"`` replaced by its value on these labels.

        ``alpha = W0 / (W0 + W1)``, with ``W0``, ``W1`` the class totals of
        ``sample_weight`` (so class weights folded into the sample weights count), so that
        ``alpha W1 = (1 - alpha) W0``. Call it once, on the training data; the result is
        what the objective, the metric, :meth:`init_score` and :meth:`predict_proba` all
        use. A loss whose ``alpha`` is already numeric or None is returned unchanged.

        Parameters
        ----------
        y_true : array-like of shape (n,)
            Training labels in {0, 1}.
        sample_weight : array-like of shape (n,), default=None
            Non-negative training weights.

        Returns
        -------
        FocalLoss
            A new loss with a numeric ``alpha`` (or ``self`` if there was nothing to
            resolve).
        """
        if not is_balanced(self.alpha):
            return self
        w0, w1 = self.class_totals(y_true, sample_weight)
        if not (w0 > 0 and w1 > 0):
            raise ValueError("alpha='balanced' needs both classes with positive total "
                             f"weight, got W0={w0!r}, W1={w1!r}")
        return FocalLoss(self.gamma, w0 / (w0 + w1), self.hessian)

    # ------------------------------------------------------------------ kernels
    def _run(self, y_true, raw_prediction, sample_weight, want_loss: bool, gradient_out=None,
             hessian_out=None, raw_offset=None, n_threads=None):
        """Validate cheaply, run the fused kernel, and turn its flags into errors."""
        # imported on first use, so that ``import boostfocal`` does not load the compiled
        # kernels until a loss is computed
        from ._kernels import BAD_LABEL, BAD_MARGIN, BAD_WEIGHT, SAW_POSITIVE_WEIGHT, run_binary

        z = as_array(raw_prediction, "raw_prediction", 1)
        n = z.shape[0]
        y = as_array(y_true, "y_true", 1, n)
        w = None if sample_weight is None else as_array(sample_weight, "sample_weight", 1, n)
        alpha = self._numeric_alpha()
        alpha_pos = 1.0 if alpha is None else alpha
        alpha_neg = 1.0 if alpha is None else 1.0 - alpha
        out, flags = run_binary(y, z, w, alpha_pos, alpha_neg, self.gamma, self.hessian,
                                want_loss,
                                grad=check_output(gradient_out, "gradient_out", (n,)),
                                hess=check_output(hessian_out, "hessian_out", (n,)),
                                offset=check_raw_offset(raw_offset),
                                n_threads=check_n_threads(n_threads))
        if flags & (BAD_LABEL | BAD_MARGIN | BAD_WEIGHT) or (
                w is not None and n and not flags & SAW_POSITIVE_WEIGHT):
            # the error path: the detailed validators say exactly what is wrong
            as_float_array(z, "raw_prediction", 1)
            check_binary_labels(y, n)
            check_sample_weight(w, n)
            raise ValueError("invalid input")  # pragma: no cover - the checks above raise
        return out

    # ------------------------------------------------------------------ public API
    def loss(self, y_true, raw_prediction, sample_weight=None, *, raw_offset=None,
             n_threads: int | None = None) -> np.ndarray:
        """Per-example focal loss ``w alpha_t (1 - p_t)^gamma (-log p_t)``.

        Parameters
        ----------
        y_true : array-like of shape (n,)
            Labels in {0, 1}.
        raw_prediction : array-like of shape (n,)
            Raw margins (log-odds).
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights.
        raw_offset : float, default=None
            A constant added to every raw margin first: the model's starting score,
            where the booster's raw predictions leave it out (the LightGBM estimators
            train so, instead of storing it per row as an init score).
        n_threads : int, default=None
            Threads of the kernel: None for the usable CPUs (limited by
            ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all of
            them, else that many (as in scikit-learn's ``_loss``); never more than the
            CPUs or the limit set through threadpoolctl. Inputs under 131,072 rows run on
            the calling thread.

        Returns
        -------
        ndarray of shape (n,)
            Same dtype as ``raw_prediction``.
        """
        return self._run(y_true, raw_prediction, sample_weight, want_loss=True,
                         raw_offset=raw_offset, n_threads=n_threads)[0]

    def gradient_hessian(self, y_true, raw_prediction, sample_weight=None,
                         gradient_out=None, hessian_out=None, *, raw_offset=None,
                         n_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and curvature of :meth:`loss` with respect to the raw margin.

        One fused pass (see ``_kernels.py``); the only allocations are the two outputs,
        and none when they are passed in (as in scikit-learn's ``_loss`` module).

        Parameters
        ----------
        y_true : array-like of shape (n,)
            Labels in {0, 1}.
        raw_prediction : array-like of shape (n,)
            Raw margins (log-odds).
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights; both outputs are multiplied by them.
        gradient_out, hessian_out : ndarray of shape (n,), default=None
            Contiguous float32 or float64 arrays to write the results into (float32 is
            what XGBoost and LightGBM store). By default they are allocated with
            ``raw_prediction``'s float dtype.
        raw_offset : float, default=None
            A constant added to every raw margin first: the model's starting score,
            where the booster's raw predictions leave it out (the LightGBM estimators
            train so, instead of storing it per row as an init score).
        n_threads : int, default=None
            Threads of the kernel: None for the usable CPUs (limited by
            ``BOOSTFOCAL_NUM_THREADS`` or ``OMP_NUM_THREADS`` where set), -1 for all of
            them, else that many (as in scikit-learn's ``_loss``); never more than the
            CPUs or the limit set through threadpoolctl. Inputs under 131,072 rows run on
            the calling thread.

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

    def class_totals(self, y_true, sample_weight=None) -> tuple[float, float]:
        """Weighted class totals ``(W0, W1)``: all that :meth:`init_score` depends on."""
        return binary_class_totals(y_true, sample_weight)

    def init_score(self, y_true, sample_weight=None) -> float:
        """Constant margin that minimizes the weighted mean focal loss.

        It depends only on the weighted class totals ``W0`` and ``W1``. It is *not*
        the prior log-odds unless ``gamma = 0`` and ``alpha = None``: with 5%
        positives and ``gamma = 2`` it is -1.097 (p = 0.25), not -2.944.

        Parameters
        ----------
        y_true : array-like of shape (n,)
            Labels in {0, 1}; both classes must have positive total weight.
        sample_weight : array-like of shape (n,), default=None
            Non-negative weights.

        Returns
        -------
        float
        """
        self._numeric_alpha()  # an unresolved "balanced" alpha is reported first
        w0, w1 = self.class_totals(y_true, sample_weight)
        return self.init_score_from_totals(w0, w1)

    def init_score_from_totals(self, w0: float, w1: float) -> float:
        """The optimal constant margin for weighted class totals ``W0``, ``W1``.

        The stationarity condition of ``W1 alpha F(q) + W0 (1 - alpha) F(1 - q)`` is
        exactly "the posterior map of :meth:`predict_proba` returns the weighted base
        rate", and that map is strictly increasing in the margin, so the optimum is
        unique and is found by a bracketed root search on it.
        """
        self._numeric_alpha()  # an unresolved "balanced" alpha has no optimum yet
        if not (np.isfinite(w0) and np.isfinite(w1)) or w0 <= 0 or w1 <= 0:
            raise ValueError(
                "init_score needs both classes with positive total weight, got "
                f"W0={w0!r}, W1={w1!r}; with a single class the optimal margin is infinite"
            )
        target = np.log(w1) - np.log(w0)

        def f(c: float) -> float:
            return float(self._posterior_log_odds(np.array([c]))[0]) - target

        lo, hi = -1.0, 1.0
        while f(lo) > 0:
            lo *= 2.0
        while f(hi) < 0:
            hi *= 2.0
        return float(brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))

    def _posterior_log_odds(self, z: np.ndarray) -> np.ndarray:
        """Log-odds of the class posterior implied by focal-trained margins ``z``.

        With ``q = sigmoid(z)`` and ``g(x) = (1-x)^gamma / x - gamma (1-x)^(gamma-1) log x``,
        ``eta / (1 - eta) = (1 - alpha) g(1 - q) / (alpha g(q))``. In log space,
        ``log g(sigmoid(t)) = -(gamma - 1) softplus(t) + log(e^-t + gamma softplus(-t))``:
        a sum of positive terms, so there is no cancellation anywhere.
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

    def predict_proba(self, raw_prediction) -> np.ndarray:
        """Class posterior ``[P(y=0|x), P(y=1|x)]`` estimated from focal-trained margins.

        A focal-trained model's ``sigmoid(z)`` is not ``P(y=1|x)``: focal loss is
        minimized by a distorted probability. This inverts that distortion
        (Charoenphakdee et al., CVPR 2021, generalized to ``alpha``). The map is
        strictly increasing in the margin, so rankings are unchanged; it is the
        identity at ``gamma = 0, alpha = None``; and it maps :meth:`init_score` back
        to the weighted base rate.

        Parameters
        ----------
        raw_prediction : array-like of shape (n,)
            Raw margins.

        Returns
        -------
        ndarray of shape (n, 2)
        """
        z = as_float_array(raw_prediction, "raw_prediction", 1)
        t = self._posterior_log_odds(z.astype(np.float64, copy=False))
        return _sigmoid_pair(t).astype(result_dtype(z), copy=False)

    def predict_confidence(self, raw_prediction) -> np.ndarray:
        """The uncorrected focal "probability" ``[1 - sigmoid(z), sigmoid(z)]``.

        This is what other focal-loss plugins return. It is biased towards 0.5
        (with 5% positives and ``gamma = 2`` the best constant predicts 0.25); use
        :meth:`predict_proba` for probabilities.
        """
        z = as_float_array(raw_prediction, "raw_prediction", 1)
        return _sigmoid_pair(z.astype(np.float64, copy=False)).astype(result_dtype(z),
                                                                        copy=False)


def _sigmoid_pair(t: np.ndarray) -> np.ndarray:
    out = np.empty((t.shape[0], 2))
    out[:, 1] = np.exp(log_sigmoid(t))
    out[:, 0] = np.exp(log_sigmoid(-t))
    return out
