"""Links: how raw predictions map to class probabilities, kept apart from the losses.

As in scikit-learn (``sklearn/_loss/link.py``), a loss says how raw predictions are
scored and a link says what probabilities they stand for. boostfocal's losses need only
the inverse link: :meth:`BaseLoss.predict_proba <boostfocal.losses.base.BaseLoss.predict_proba>`
applies it to the loss's posterior correction of the raw prediction, and
``predict_confidence`` to the raw prediction itself.

Both inverses are exact in the tails: the sigmoid through ``expit`` (``1 / (1 + e^-t)``
and ``e^t / (1 + e^t)`` by sign, so neither side overflows, underflows early or rounds
``1 - p``), the softmax through the log-softmax of ``_stable.py``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._stable import log_softmax

__all__ = ["BaseLink", "SigmoidLink", "SoftmaxLink"]


class BaseLink:
    """A link between class probabilities and raw predictions.

    Subclasses implement :meth:`inverse`.
    """

    def inverse(self, raw_prediction: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), of float64 raw predictions."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SigmoidLink(BaseLink):
    """The logit link of binary classification: the raw margin is the log-odds of class 1."""

    def inverse(self, raw_prediction: np.ndarray) -> np.ndarray:
        """``[sigmoid(-t), sigmoid(t)]`` for margins ``t`` of shape (n,): shape (n, 2).

        Both columns are computed directly (neither as one minus the other), so negating
        the margins swaps the columns bit for bit and ``t = 0`` gives an exact tie.
        """
        out = np.empty((raw_prediction.shape[0], 2))
        out[:, 1] = expit(raw_prediction)
        out[:, 0] = expit(-raw_prediction)
        return out


class SoftmaxLink(BaseLink):
    """The symmetric multinomial logit link: ``p = softmax(t)`` row by row."""

    def inverse(self, raw_prediction: np.ndarray) -> np.ndarray:
        """``softmax(t)`` for logits ``t`` of shape (n, K), from the log-softmax."""
        log_p, _ = log_softmax(raw_prediction)
        return np.exp(log_p)
