"""The fit plan of the Dask estimators: two reductions over the blocks.

The cluster counterpart of ``boostfocal._estimator_core.fitplan.plan_in_memory``: the
classes, the class totals and the weight checks come from two graph executions (the
label uniques of every set, then the class statistics), and end in the same
:func:`~boostfocal._estimator_core.fitplan.make_plan` as in memory.
"""

from __future__ import annotations

from .._estimator_core.classifier import encode_eval_labels
from .._estimator_core.fitplan import make_plan
from ._common import (
    ClassStats,
    block_stats,
    classes_from_uniques,
    encode,
    fold_class_weights,
    label_uniques,
)


def plan_on_cluster(y, weights, evals: list, *, setup, weight_names: str):
    """The fit plan of a Dask estimator, as a generator of the graphs it needs computed.

    The cluster counterpart of
    :func:`~boostfocal._estimator_core.fitplan.plan_in_memory`, built from the graph
    helpers of ``boostfocal.dask._common``. It yields two lists of graphs (the label
    uniques of every set; the class statistics and weight checks) and receives their
    computed values, so that a synchronous and an asynchronous client drive the same
    steps (:func:`compute_sync`,
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
