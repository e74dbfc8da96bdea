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

In memory the totals come from ``bincount`` (:func:`plan_in_memory`); on Dask from one
reduction over the blocks (:func:`plan_on_cluster`, with ``boostfocal.dask._common``'s
``block_stats``). Both end in :func:`make_plan`. How the start then reaches the booster
is one rule per library, the same in memory and on Dask: XGBoost gets it as its
``base_score`` (in margin space, stored in the model), LightGBM sees it added to its raw
scores while training (``raw_offset``) and gets it folded into the leaves of its first
iteration afterwards (:func:`fold_start_into_lgbm`). A user's per-row offset stays a
per-row offset on top.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import is_balanced
from .classifier import encode_eval_labels, encode_labels, validate_sample_weight


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


# ---------------------------------------------------------------------------------------
# Dask: the plan from two reductions over the blocks
# ---------------------------------------------------------------------------------------

def plan_on_cluster(y, weights, evals: list, *, setup, weight_names: str):
    """The fit plan of a Dask estimator, as a generator of the graphs it needs computed.

    The cluster counterpart of :func:`plan_in_memory`, built from the graph helpers of
    ``boostfocal.dask._common`` (imported here, so that this module needs no dask). It
    yields two lists of graphs (the label uniques of every set; the class statistics
    and weight checks) and receives their computed values, so that a synchronous and an
    asynchronous client drive the same steps (:func:`compute_sync`,
    :func:`compute_async`).

    Parameters
    ----------
    y, weights : dask collections
        Training labels and weights (or None), aligned with the features.
    evals : list of (y_i, w_i, label_name, weight_name)
        Evaluation labels (None: the training labels themselves) and weights (or None).
    setup : callable ``(n_classes) -> (loss, multipliers, start)``
        The estimator's checks and loss, after the classes are known; ``multipliers`` is
        an array (or None) or a callable ``(classes, counts)`` of the row counts.
    weight_names : str
        How errors name the training weights.

    Returns
    -------
    plan : FitPlan
    y_enc : dask collection, the encoded labels
    eval_encoded : list of dask collections, the encoded evaluation labels
    train_weights : dask collection or None, with the class multipliers folded in
    """
    from ..dask._common import (
        ClassStats,
        block_stats,
        classes_from_uniques,
        encode,
        fold_class_weights,
        label_uniques,
    )

    own = [(i, y_i, name) for i, (y_i, _, name, _) in enumerate(evals) if y_i is not None]
    uniques = yield [label_uniques(y), *(label_uniques(y_i) for _, y_i, _ in own)]
    classes = classes_from_uniques(uniques[0])
    for (_, _, name), values in zip(own, uniques[1:], strict=True):
        encode_eval_labels(values, classes, name)
    k = classes.shape[0]
    loss, multipliers, start = setup(k)
    y_enc = encode(y, classes, "y")
    eval_encoded = [y_enc if y_i is None else encode(y_i, classes, name)
                    for y_i, _, name, _ in evals]
    checks = [(w_name, block_stats(y_i, w_i, k))
              for y_i, (_, w_i, _, w_name) in zip(eval_encoded, evals, strict=True)
              if w_i is not None and w_i is not weights]
    stats = yield [block_stats(y_enc, weights, k), *(graph for _, graph in checks)]
    train = ClassStats(stats[0], k).check("y", "sample_weight", weights is not None)
    for (name, _), values in zip(checks, stats[1:], strict=True):
        ClassStats(values, k).check(name, name, True)
    if callable(multipliers):
        multipliers = multipliers(classes, train.counts)
    train.check_folded_weights(multipliers)
    plan = make_plan(classes, train.totals, loss, multipliers=multipliers, start=start,
                     weight_names=weight_names)
    train_weights = weights
    if multipliers is not None:
        train_weights = fold_class_weights(y_enc, weights, multipliers)
    return plan, y_enc, eval_encoded, train_weights


def compute_sync(client, steps) -> tuple:
    """Run a :func:`plan_on_cluster` on a synchronous client; its return value."""
    graphs = next(steps)
    while True:
        try:
            graphs = steps.send(client.gather(client.compute(graphs)))
        except StopIteration as done:
            return done.value


async def compute_async(client, steps) -> tuple:
    """Run a :func:`plan_on_cluster` inside the client's event loop; its return value."""
    graphs = next(steps)
    while True:
        try:
            graphs = steps.send(await client.gather(client.compute(graphs)))
        except StopIteration as done:
            return done.value


# ---------------------------------------------------------------------------------------
# LightGBM: the start folded into the first iteration's leaves
# ---------------------------------------------------------------------------------------

def fold_start_into_lgbm(booster, start: float | np.ndarray) -> None:
    """Add the starting score to every leaf of the booster's first iteration, in place.

    Every prediction from iteration 0 on then includes the start, so a plain
    ``lightgbm.Booster`` (and ``pred_contrib``, SHAP, ``init_model``) sees the model's
    margins. The tree of class k in iteration 0 is tree number k.
    """
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    if booster.num_trees() < start.shape[0]:  # pragma: no cover - LightGBM keeps one
        raise RuntimeError("the booster has no complete first iteration to hold the start")
    dump = booster.dump_model(num_iteration=1)
    for tree in dump["tree_info"][:start.shape[0]]:
        k = int(tree["tree_index"])
        for leaf in range(int(tree["num_leaves"])):
            booster.set_leaf_output(k, leaf, booster.get_leaf_output(k, leaf) + start[k])
