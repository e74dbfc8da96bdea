"""The one fit procedure of the four estimators: a plan built from the class totals.

Every boostfocal estimator (XGBoost and LightGBM, in memory and on Dask) decides the
same things before its booster trains, and all of them depend on the labels only
through the classes and the (weighted) class totals:

- the classes (the sorted original labels; the booster sees 0..K-1),
- per-class multipliers of the training weights (``scale_pos_weight``, ``is_unbalance``,
  ``class_weight``), computed by the backend from the row counts,
- the loss, with ``focal_alpha="balanced"`` resolved on the weighted totals,
- the starting score, the constant margin that minimizes the loss on those totals
  (or a user's ``base_score``).

In memory the totals come from ``bincount`` (:func:`plan_in_memory`); on Dask from two
reductions over the blocks (``boostfocal.dask._plan.plan_on_cluster``). Both end in
:func:`make_plan`, which asks the loss for its start (``loss.init_score_from_totals``)
whatever the loss. Where the start then goes in the booster is decided once per library,
the same in memory and on Dask: ``boostfocal.xgboost._start`` (the booster's
``base_score``) and ``boostfocal.lightgbm._start`` (the raw scores' offset while
training, then the leaves of the first iteration). A user's per-row offset stays a
per-row offset on top.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import is_balanced
from .classifier import encode_labels, validate_sample_weight


class FitPlan:
    """What a fit decides before the booster trains.

    Attributes
    ----------
    classes : ndarray of shape (K,)
        The original labels, sorted.
    totals : ndarray of shape (K,)
        Weighted class totals with the class multipliers folded in: what the loss and
        the start were computed from.
    multipliers : ndarray of shape (K,) or None
        Per-class multipliers of the training weights (None: all 1).
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The loss to train on, ``"balanced"`` resolved.
    start : float or ndarray of shape (K,)
        The starting score (constant margin).
    """

    def __init__(self, classes: np.ndarray, totals: np.ndarray,
                 multipliers: np.ndarray | None, loss, start: float | np.ndarray) -> None:
        self.classes = classes
        self.totals = totals
        self.multipliers = multipliers
        self.loss = loss
        self.start = start

    @property
    def n_classes(self) -> int:
        """K."""
        return int(self.classes.shape[0])


def class_counts(y_enc: np.ndarray, weights: np.ndarray | None, n_classes: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Row counts and weighted totals per class, float64 (K,) each, by ``bincount``."""
    counts = np.bincount(y_enc, minlength=n_classes).astype(np.float64)
    if weights is None:
        return counts, counts.copy()
    return counts, np.bincount(y_enc, weights=weights, minlength=n_classes)


def resolve_alpha(loss, totals: np.ndarray):
    """The loss with ``alpha="balanced"`` resolved from the weighted class totals alone.

    ``loss.resolve`` depends on the labels only through the weighted class totals, so
    one row per class, weighted by its total, gives the same result as all the rows.
    """
    if not is_balanced(getattr(loss, "alpha", None)):
        return loss
    k = totals.shape[0]
    try:
        return loss.resolve(np.arange(k), totals, n_classes=k)
    except ValueError as exc:
        raise ValueError(f"focal_alpha='balanced': {exc}") from exc


def make_plan(classes: np.ndarray, totals: np.ndarray, loss, *,
              multipliers: np.ndarray | None = None, start: float | None = None,
              weight_names: str = "sample_weight") -> FitPlan:
    """The fit plan from the classes and the weighted class totals.

    Parameters
    ----------
    classes : ndarray of shape (K,)
        Sorted original labels.
    totals : ndarray of shape (K,)
        Weighted class totals of the training weights (multipliers not yet applied).
    loss : loss object
        The loss built from the estimator's parameters (``"balanced"`` unresolved).
    multipliers : ndarray of shape (K,), default=None
        Per-class multipliers of the training weights.
    start : float, default=None
        A user's starting score (``base_score``); the loss's optimal constant if None.
    weight_names : str
        How the error for a class without weight names the weights.

    Returns
    -------
    FitPlan
    """
    totals = np.asarray(totals, dtype=np.float64)
    if multipliers is not None:
        totals = totals * np.asarray(multipliers, dtype=np.float64)
    loss = resolve_alpha(loss, totals)
    if start is None:
        try:
            start = loss.init_score_from_totals(totals)
        except ValueError as exc:
            raise ValueError(f"{weight_names} must give every class a positive total "
                             f"weight: {exc}") from exc
    return FitPlan(classes, totals, multipliers, loss, start)


def plan_in_memory(y, sample_weight, *, make_loss: Callable[[int], object],
                   multipliers: Callable[[np.ndarray, np.ndarray], np.ndarray | None]
                   | None = None,
                   start: Callable[[int], float | None] | None = None,
                   weight_names: str = "sample_weight"
                   ) -> tuple[FitPlan, np.ndarray, np.ndarray | None]:
    """Encode the labels, check the weights and make the plan from their ``bincount``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Labels of any sortable type.
    sample_weight : array-like of shape (n,) or None
        The user's weights.
    make_loss : callable ``(n_classes) -> loss``
        Builds the loss from the estimator's parameters (errors name them).
    multipliers : callable ``(classes, counts) -> ndarray or None``, default=None
        Per-class multipliers of the training weights from the row counts.
    start : callable ``(n_classes) -> float or None``, default=None
        A user's starting score, or None for the loss's optimal constant.
    weight_names : str
        How errors name the weights.

    Returns
    -------
    plan : FitPlan
    y_enc : ndarray of shape (n,), int64
    weights : ndarray of shape (n,) or None
        The validated user weights (multipliers not applied).
    """
    classes, y_enc = encode_labels(y)
    n_classes = classes.shape[0]
    weights = validate_sample_weight(sample_weight, y_enc.shape[0])
    loss = make_loss(n_classes)
    counts, totals = class_counts(y_enc, weights, n_classes)
    mult = None if multipliers is None else multipliers(classes, counts)
    user_start = None if start is None else start(n_classes)
    plan = make_plan(classes, totals, loss, multipliers=mult, start=user_start,
                     weight_names=weight_names)
    return plan, y_enc, weights
