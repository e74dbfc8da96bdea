"""Where an XGBoost model holds its starting score, and how it is written and read there.

The one place that decides it for every boostfocal XGBoost estimator (in memory, on
Dask, loaded from a file):

- the start is the booster's ``base_score`` (:func:`booster_base_score`: a probability
  for ``binary:logistic``, one margin per class for ``multi:softprob``), so plain
  XGBoost, SHAP and model servers see the model's margins;
- where ``base_score`` cannot hold it (:func:`start_in_booster`: multiclass before
  XGBoost 3.1, or a binary start beyond float32's probabilities) it is a per-row base
  margin instead (:func:`booster_margin`), and ``base_score`` adds nothing
  (:func:`zero_base_score`);
- a user's ``base_score`` asks for a start of its own (:func:`user_start`);
- while ``fit`` runs, :class:`FitContext` hands the ``base_score`` to
  ``get_xgb_params``, which XGBoost's ``fit`` calls to build the booster.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import expit

from .._estimator_core.classifier import as_offset, constant_margin
from ._compat import XGB_VECTOR_BASE_SCORE


class FitContext:
    """What a running ``fit`` hands to ``get_xgb_params``: XGBoost's ``fit`` forces it.

    ``XGBModel.fit`` reads the booster parameters from ``get_xgb_params``; the
    estimator sets this context on itself for the duration of that call
    (``boostfocal._estimator_core.classifier.fitting``) and removes it after.

    Attributes
    ----------
    base_score : float or list of float
        The booster's ``base_score`` for this fit: the start in XGBoost's convention,
        or a margin of 0 where the start is a per-row base margin.
    """

    def __init__(self, start: float | np.ndarray, in_booster: bool) -> None:
        self.base_score = booster_base_score(start) if in_booster else zero_base_score(start)


def user_start(base_score, n_classes: int) -> float | None:
    """The start a user's ``base_score`` asks for (``logit(base_score)``), or None.

    ``base_score`` keeps ``XGBClassifier``'s meaning: the starting probability of
    ``classes_[1]``, binary only.
    """
    bs = base_score
    if bs is None:
        return None
    if n_classes > 2:
        raise ValueError(
            f"base_score is not supported with more than two classes (y has {n_classes}); "
            "leave it at None to start from the focal-optimal constant")
    if isinstance(bs, bool) or not isinstance(bs, numbers.Real) or not 0 < bs < 1:
        raise ValueError(
            "base_score must be None or the starting probability of classes_[1], "
            f"strictly between 0 and 1, got {bs!r}")
    return float(np.log(bs) - np.log1p(-bs))


def start_in_booster(start: float | np.ndarray) -> bool:
    """Whether the booster's ``base_score`` can hold the start.

    Always, but for multiclass on XGBoost < 3.1 (a scalar ``base_score``), and for a
    binary start so extreme (|start| > ~16) that its probability rounds to 0 or 1 in
    float32, which ``binary:logistic`` refuses; the start is then a per-row base margin.
    """
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 0:
        p = np.float32(booster_base_score(start))
        return bool(0.0 < p < 1.0)
    return XGB_VECTOR_BASE_SCORE


def booster_base_score(start: float | np.ndarray) -> float | list[float]:
    """The ``base_score`` parameter whose margin is ``start``.

    ``binary:logistic`` reads ``base_score`` as a probability (the margin is its logit),
    ``multi:softprob`` (XGBoost >= 3.1) reads one margin per class. XGBoost stores it
    as float32, and the trees are grown from the stored value.
    """
    start = np.asarray(start, dtype=np.float64)
    if start.ndim == 0:
        return float(expit(float(start)))
    return [float(v) for v in start]


def zero_base_score(start: float | np.ndarray) -> float:
    """The scalar ``base_score`` that adds a margin of 0 (where the start stays per row).

    0.5 for ``binary:logistic`` (a probability), 0 for ``multi:softprob`` (a margin).
    """
    return 0.5 if np.ndim(start) == 0 else 0.0


def booster_margin(start, n_rows: int, offset, name: str, in_booster: bool
                   ) -> np.ndarray | None:
    """The per-row base margin to hand XGBoost: None, or ``start`` + the user's offset.

    When the booster holds the start, rows without a user offset need no base margin.
    A base margin replaces XGBoost's ``base_score``, so with an offset it is the start
    plus the offset.
    """
    if offset is None:
        return None if in_booster else constant_margin(start, n_rows)
    base = constant_margin(start, n_rows)
    n_classes = 2 if base.ndim == 1 else base.shape[1]
    return base + as_offset(offset, n_rows, n_classes, name)
