"""The base of the loss objects: the API they share, as scikit-learn's ``sklearn/_loss``.

:class:`BaseLoss` carries what every loss object does the same way: its parameters
(``repr``, ``==``, ``hash``), ``alpha="balanced"`` and its resolution (:meth:`~BaseLoss.resolve`),
the starting score from the weighted class totals (:meth:`~BaseLoss.init_score`), the
probabilities through the loss's :mod:`link <boostfocal.losses.link>` with its posterior
correction (:meth:`~BaseLoss.predict_proba`), and the call of the fused kernels (the
gradients and the probabilities) with the checks around it. :class:`BinaryLoss` adds what
the two binary losses share (two classes, the sigmoid link, 1-D margins). A loss class
keeps only its own math: the loss, its derivatives, its optimal constant and the
parameters of its posterior correction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import (
    as_array,
    as_float_array,
    binary_class_totals,
    check_binary_labels,
    check_n_threads,
    check_output,
    check_raw_offset,
    check_sample_weight,
    is_balanced,
    result_dtype,
    unresolved_alpha,
)
from ._docs import fill_doc
from ._kernels import (
    BAD_LABEL,
    BAD_MARGIN,
    BAD_WEIGHT,
    SAW_POSITIVE_WEIGHT,
    run_binary_proba,
)
from .link import BaseLink, SigmoidLink

__all__ = ["BaseLoss", "BinaryLoss"]


def _plain(value: Any) -> Any:
    """A parameter as repr shows it: arrays as lists."""
    return value.tolist() if isinstance(value, np.ndarray) else value


def _hashable(value: Any) -> Any:
    """A parameter as ``==`` and ``hash`` compare it: arrays as tuples of their values."""
    return tuple(value.tolist()) if isinstance(value, np.ndarray) else value


@fill_doc
class BaseLoss:
    """The API every boostfocal loss object shares.

    Subclasses set :attr:`_parameters` (the constructor's arguments, stored under the
    same names), :attr:`link` and :attr:`_raw_ndim`, and implement :meth:`class_totals`,
    ``init_score_from_totals``, ``gradient_hessian`` and either :meth:`_kernel` (the
    fused kernel behind :meth:`loss` and :meth:`_run`) or :meth:`loss` itself. Losses
    with class weights (``alpha``) implement :meth:`_balanced_alpha`; losses with a
    posterior correction override :meth:`_posterior_params` (the probability kernel,
    :meth:`_proba_kernel`, fuses it with the link). The ``${name}`` lines of a
    subclass's docstrings are filled with the shared fragments of ``_docs.py`` when it is
    defined.

    Methods take ``(y_true, raw_prediction, sample_weight=None)`` in that order, as
    scikit-learn's ``sklearn._loss`` does. ``raw_prediction`` may be float32 or float64;
    outputs keep its dtype (the arithmetic is carried out in float64).
    """

    #: The constructor's parameters, in order: what ``repr``, ``==`` and ``hash`` use.
    _parameters: tuple[str, ...] = ()

    #: The link from (corrected) raw predictions to class probabilities.
    link: BaseLink

    #: The rank of ``raw_prediction``: 1 for a binary loss, 2 for a multiclass one.
    _raw_ndim = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fill_doc(cls)

    # ------------------------------------------------------------------ parameters
    def _params(self) -> dict[str, Any]:
        """The constructor's arguments, by name."""
        return {name: getattr(self, name) for name in self._parameters}

    def _with(self, **changes: Any) -> BaseLoss:
        """A new loss of this type with some parameters changed."""
        return type(self)(**{**self._params(), **changes})

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={_plain(value)!r}" for name, value in self._params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        """Same loss function: equal parameters (any fitted state is ignored)."""
        return isinstance(other, type(self)) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def _key(self) -> tuple:
        return tuple(_hashable(value) for value in self._params().values())

    # ------------------------------------------------------------------ class weights
    def _numeric_alpha(self) -> Any:
        """``alpha`` for the math (None where the loss has none); unresolved is an error."""
        alpha = getattr(self, "alpha", None)
        if is_balanced(alpha):
            raise unresolved_alpha(self)
        return alpha

    def _balanced_alpha(self, totals) -> Any:
        """The value of ``alpha="balanced"`` for weighted class totals (all positive)."""
        raise NotImplementedError  # pragma: no cover - only losses with alpha resolve it

    def resolve(self, y_true, sample_weight=None, n_classes: int | None = None) -> BaseLoss:  # noqa: D417
        """The loss with ``alpha="balanced"`` replaced by its value on these labels.

        The class weights come from the weighted class totals of the training data
        (:meth:`class_totals`, so that class weights folded into ``sample_weight``
        count), by the formula of the ``alpha`` parameter. Call it once, on the training
        data; the result is what the objective, the metric, :meth:`init_score` and
        :meth:`predict_proba` all use. A loss with nothing to resolve (a numeric or None
        ``alpha``, or no ``alpha`` at all) is returned unchanged.

        ${labels_parameters}

        Returns
        -------
        loss : same type as self
            A new loss with a numeric ``alpha`` (or ``self`` if there was nothing to
            resolve).
        """
        if not is_balanced(getattr(self, "alpha", None)):
            return self
        totals = self.class_totals(y_true, sample_weight, n_classes)
        self._check_totals(totals, "alpha='balanced'")
        return self._with(alpha=self._balanced_alpha(totals))

    # ------------------------------------------------------------------ class totals, start
    def class_totals(self, y_true, sample_weight=None, n_classes: int | None = None):  # noqa: D417
        """Weighted class totals: all that :meth:`init_score` and :meth:`resolve` depend on.

        Each class is summed on its own (no total is a difference of others); a total
        that overflows float64 is an error naming ``sample_weight``.

        ${labels_parameters}

        Returns
        -------
        tuple of float ``(W0, W1)`` (binary losses) or ndarray of shape (K,)
        """
        raise NotImplementedError  # pragma: no cover - every loss class implements it

    def _describe_totals(self, totals) -> str:
        """The requirement on the class totals and the totals given, for an error."""
        totals = np.asarray(totals, dtype=np.float64)
        return f"every class with positive total weight, got class totals {totals.tolist()}"

    def _check_totals(self, totals, what: str, consequence: str = "") -> None:
        """Raise a ``ValueError`` (``what`` needs ...) unless every total is finite and > 0."""
        values = np.asarray(totals, dtype=np.float64)
        if not (np.all(np.isfinite(values)) and np.all(values > 0)):
            raise ValueError(f"{what} needs {self._describe_totals(totals)}{consequence}")

    def init_score(self, y_true, sample_weight=None, n_classes: int | None = None):  # noqa: D417
        """The constant raw prediction that minimizes the weighted mean loss on these labels.

        It depends on the labels only through the weighted class totals
        (:meth:`class_totals`); ``init_score_from_totals`` says how it is found for this
        loss. The loss it minimizes is :meth:`loss` (the logistic loss for
        :class:`GHMLoss`, which is what GHM-C is scored by).

        ${labels_parameters}

        Returns
        -------
        float (binary losses) or ndarray of shape (K,)
            Every class must have positive total weight.
        """
        self._numeric_alpha()  # an unresolved "balanced" alpha is reported first
        return self._start_from_totals(self.class_totals(y_true, sample_weight, n_classes))

    def _start_from_totals(self, totals):
        return self.init_score_from_totals(totals)

    # ------------------------------------------------------------------ inputs, kernels
    def _check_columns(self, z: np.ndarray) -> None:
        """Check the columns of 2-D raw predictions (multiclass losses)."""

    def _check_labels(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - every loss class implements it

    def _kernel(self, alpha, y, z, w, want_loss: bool, **arrays):
        """Run this loss's fused kernel (``run_binary`` or ``run_softmax``)."""
        raise NotImplementedError  # pragma: no cover - the focal losses implement it

    def _run(self, y_true, raw_prediction, sample_weight, want_loss: bool, gradient_out=None,
             hessian_out=None, raw_offset=None, n_threads=None, **options):
        """Validate cheaply, run the fused kernel, and turn its flags into errors.

        The values (labels, finiteness, weights) are checked inside the kernel, in the
        pass that computes the result; only when it flags one are the inputs validated
        in full, so that the error says exactly what is wrong.
        """
        z = as_array(raw_prediction, "raw_prediction", self._raw_ndim)
        self._check_columns(z)
        n = z.shape[0]
        y = as_array(y_true, "y_true", 1, n)
        w = None if sample_weight is None else as_array(sample_weight, "sample_weight", 1, n)
        alpha = self._numeric_alpha()
        out, flags = self._kernel(
            alpha, y, z, w, want_loss,
            grad=check_output(gradient_out, "gradient_out", z.shape),
            hess=check_output(hessian_out, "hessian_out", z.shape),
            offset=check_raw_offset(raw_offset, None if z.ndim == 1 else z.shape[1]),
            n_threads=check_n_threads(n_threads), **options)
        if flags & (BAD_LABEL | BAD_MARGIN | BAD_WEIGHT) or (
                w is not None and n and not flags & SAW_POSITIVE_WEIGHT):
            # the error path: the detailed validators say exactly what is wrong
            as_float_array(z, "raw_prediction", z.ndim)
            self._check_labels(y, z)
            check_sample_weight(w, n)
            raise ValueError("invalid input")  # pragma: no cover - the checks above raise
        return out

    def loss(self, y_true, raw_prediction, sample_weight=None, *, raw_offset=None,  # noqa: D417
             n_threads: int | None = None) -> np.ndarray:
        """Per-example loss times the sample weight (the formula is the loss class's).

        Parameters
        ----------
        ${data_any}
        ${sample_weight}
        ${raw_offset_any}
        ${n_threads}

        Returns
        -------
        ndarray of shape (n,)
            Same dtype as ``raw_prediction``.
        """
        return self._run(y_true, raw_prediction, sample_weight, want_loss=True,
                         raw_offset=raw_offset, n_threads=n_threads)[0]

    # ------------------------------------------------------------------ probabilities
    def _posterior_params(self, posterior: bool) -> tuple[float, Any]:
        """``(gamma, alpha)`` of the probability kernel: the focal posterior map's.

        ``(0.0, None)`` is the link alone (the sigmoid or softmax): what a proper scoring
        rule's raw predictions and every loss's ``predict_confidence`` need. The focal
        losses return their own ``gamma`` and (resolved) ``alpha`` for the posterior.
        """
        return 0.0, None

    def _proba_kernel(self, z: np.ndarray, gamma: float, alpha: Any, dtype: np.dtype,
                      n_threads: int | None) -> tuple[np.ndarray, int]:
        """Run this loss's probability kernel (``run_binary_proba`` or ``run_softmax_proba``)."""
        raise NotImplementedError  # pragma: no cover - BinaryLoss and the softmax loss do

    def _probabilities(self, raw_prediction, posterior: bool, n_threads=None,
                       dtype=None) -> np.ndarray:
        """Validate cheaply, run the probability kernel, and turn its flag into an error.

        As :meth:`_run`: finiteness is checked inside the kernel, and only when it flags a
        value are the margins validated in full, for the error message. ``dtype`` (private,
        for the estimators) overrides the output dtype, which is otherwise
        ``raw_prediction``'s (float32 stays float32, everything else is float64).
        """
        z = as_array(raw_prediction, "raw_prediction", self._raw_ndim)
        self._check_columns(z)
        n_threads = check_n_threads(n_threads)
        gamma, alpha = self._posterior_params(posterior)
        out, flags = self._proba_kernel(z, gamma, alpha,
                                        result_dtype(z) if dtype is None else dtype, n_threads)
        if flags & BAD_MARGIN:
            as_float_array(z, "raw_prediction", z.ndim)
            raise ValueError("invalid input")  # pragma: no cover - the check above raises
        return out

    def predict_proba(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                      ) -> np.ndarray:
        """Class posterior estimated from raw predictions: the link of the corrected margins.

        ${proba_any}
        """
        return self._probabilities(raw_prediction, True, n_threads)

    def predict_confidence(self, raw_prediction, *, n_threads: int | None = None  # noqa: D417
                           ) -> np.ndarray:
        """The link applied to the raw predictions as they are (no posterior correction).

        ${proba_any}
        """
        return self._probabilities(raw_prediction, False, n_threads)


class BinaryLoss(BaseLoss):
    """What the binary losses share: labels in {0, 1}, 1-D margins, the sigmoid link."""

    n_classes = 2
    link = SigmoidLink()
    _raw_ndim = 1

    def _proba_kernel(self, z: np.ndarray, gamma: float, alpha: Any, dtype: np.dtype,
                      n_threads: int | None) -> tuple[np.ndarray, int]:
        return run_binary_proba(z, gamma, alpha, dtype=dtype, n_threads=n_threads)

    def class_totals(self, y_true, sample_weight=None, n_classes: int | None = None  # noqa: D417
                     ) -> tuple[float, float]:
        """Weighted class totals ``(W0, W1)``: all that :meth:`init_score` depends on.

        Each class is summed on its own (``W0`` is never ``sum(w) - W1``); a total that
        overflows float64 is an error naming ``sample_weight``.

        Parameters
        ----------
        ${y_true_binary}
        ${sample_weight}
        n_classes : int, default=None
            None or 2: accepted for the signature all losses share.

        Returns
        -------
        tuple of float
        """
        if n_classes is not None and n_classes != 2:
            raise ValueError(f"n_classes must be 2 (or None) for {type(self).__name__}, got "
                             f"{n_classes!r}")
        return binary_class_totals(y_true, sample_weight)

    def _describe_totals(self, totals) -> str:
        w0, w1 = totals
        return f"both classes with positive total weight, got W0={w0!r}, W1={w1!r}"

    def _start_from_totals(self, totals) -> float:
        return self.init_score_from_totals(*totals)

    def _check_labels(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        return check_binary_labels(y, z.shape[0])

    def _check_start_totals(self, w0: float, w1: float) -> None:
        """The check of ``init_score_from_totals``: an optimal margin needs both classes."""
        self._check_totals((w0, w1), "init_score",
                           "; with a single class the optimal margin is infinite")
