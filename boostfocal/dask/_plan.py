"""The fit plan of the Dask estimators: one reduction over the blocks.

The cluster counterpart of ``boostfocal._estimator_core.fitplan.plan_in_memory``: the
classes, the class totals and the weight checks come from one graph execution (a label
table of every set: each block's distinct labels with their counts and weighted totals),
and end in the same :func:`~boostfocal._estimator_core.fitplan.make_plan` as in memory.
"""

from __future__ import annotations

from .._estimator_core.fitplan import make_plan
from ._common import (
    ClassStats,
    classes_from_uniques,
    encode,
    fold_class_weights,
    label_table,
)


def plan_on_cluster(y, weights, evals: list, *, setup, weight_names: str):
    """The fit plan of a Dask estimator, as a generator of the graphs it needs computed.

    The cluster counterpart of
    :func:`~boostfocal._estimator_core.fitplan.plan_in_memory`, built from the graph
    helpers of ``boostfocal.dask._common``. It yields one list of graphs (the label
    table of the training set and of every evaluation set with labels or weights of its
    own: one pass over each) and receives their computed values, so that a synchronous
    and an asynchronous client drive the same steps (:func:`compute_sync`,
    :func:`compute_async`). The labels are encoded afterwards, lazily, where they lie.

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
    # an evaluation set needs a table of its own for labels of its own (to refuse unseen
    # ones) or weights of its own (to check them); else it adds nothing to the training's
    own = [(y if y_i is None else y_i, w_i, name, w_name)
           for y_i, w_i, name, w_name in evals
           if y_i is not None or (w_i is not None and w_i is not weights)]
    tables = yield [label_table(y, weights),
                    *(label_table(y_i, w_i) for y_i, w_i, _, _ in own)]
    classes = classes_from_uniques(tables[0][0])
    k = classes.shape[0]
    train = ClassStats.from_table(tables[0], classes, "y").check(
        "y", "sample_weight", weights is not None)
    for (_, w_i, name, w_name), table in zip(own, tables[1:], strict=True):
        ClassStats.from_table(table, classes, name).check(name, w_name, w_i is not None)
    loss, multipliers, start = setup(k)
    if callable(multipliers):
        multipliers = multipliers(classes, train.counts)
    train.check_folded_weights(multipliers)
    plan = make_plan(classes, train.totals, loss, multipliers=multipliers, start=start,
                     weight_names=weight_names)
    y_enc = encode(y, classes, "y")
    eval_encoded = [y_enc if y_i is None else encode(y_i, classes, name)
                    for y_i, _, name, _ in evals]
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
