"""Links: how raw predictions map to class probabilities, kept apart from the losses.

As in scikit-learn (``sklearn/_loss/link.py``), a loss says how raw predictions are
scored and a link says what probabilities they stand for. boostfocal's losses need only
the inverse link: :meth:`BaseLoss.predict_proba <boostfocal.losses.base.BaseLoss.predict_proba>`
applies it to the loss's posterior correction of the raw prediction (the two fused in one
kernel), and ``predict_confidence`` to the raw prediction itself.

Both inverses are the probability kernels (``_kernels/proba.h``) without a posterior
correction: each probability within an ulp of its exact value, also in the tails (the
sigmoid by sign, ``1 / (1 + e^-|t|)`` and ``e^-|t| / (1 + e^-|t|)``, so that neither side
overflows, underflows early or rounds ``1 - p``; the softmax relative to the top logit).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array
from ._kernels import BAD_MARGIN, run_binary_proba, run_softmax_proba

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
        return _checked(raw_prediction, run_binary_proba(raw_prediction, 0.0, None,
                                                         dtype=np.float64))


class SoftmaxLink(BaseLink):
    """The symmetric multinomial logit link: ``p = softmax(t)`` row by row."""

    def inverse(self, raw_prediction: np.ndarray) -> np.ndarray:
        """``softmax(t)`` for logits ``t`` of shape (n, K), relative to the top logit.

        Equal logits give bit-equal probabilities.
        """
        return _checked(raw_prediction, run_softmax_proba(raw_prediction, 0.0, None,
                                                          dtype=np.float64))


def _checked(raw_prediction, result: tuple[np.ndarray, int]) -> np.ndarray:
    """The kernel's probabilities, or the ``ValueError`` for non-finite raw predictions."""
    out, flags = result
    if flags & BAD_MARGIN:
        as_float_array(raw_prediction, "raw_prediction", np.ndim(raw_prediction))
    return out
