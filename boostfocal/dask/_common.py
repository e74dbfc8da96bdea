"""The distributed plumbing shared by the Dask estimators (see ``boostfocal.dask``).

Graph builders for dask arrays and DataFrames alike: label tables (the distinct labels
with their counts and weighted totals), block-wise label encoding, weighted class totals,
constant margins and offsets, and the block-wise conversion of margins to probabilities
and labels. Nothing here computes: callers submit
the graphs with their client (synchronously or asynchronously), so that the XGBoost
estimator can stay asynchronous and the LightGBM one synchronous, as their base classes.
"""

from __future__ import annotations

import threading

import numpy as np

from .._estimator_core.classifier import (
    TRAINING_WEIGHTS,
    apply_class_weights,
    check_booster_weight,
    constant_margin,
    encode_eval_labels,
    encode_labels,
    labels_from_proba,
    margin_proba,
)
from .._optional import import_optional

dask = import_optional("dask", "dask")
da = import_optional("dask.array", "dask")
dd = import_optional("dask.dataframe", "dask")
distributed = import_optional("distributed", "dask")
pd = import_optional("pandas", "dask")


# ---------------------------------------------------------------------------------------
# dask collections
# ---------------------------------------------------------------------------------------

def get_client(client=None) -> distributed.Client:
    """``client``, or the default ``distributed`` client when it is None."""
    return distributed.default_client() if client is None else client


def is_dask_collection(value) -> bool:
    """True for a dask array, DataFrame or Series."""
    return isinstance(value, (da.Array, dd.DataFrame, dd.Series))


def check_features(X, name: str = "X"):
    """A dask array (2-D) or dask DataFrame of features; anything else is a TypeError."""
    if isinstance(X, dd.DataFrame) or (isinstance(X, da.Array) and X.ndim == 2):
        return X
    raise TypeError(f"{name} must be a 2-D dask array or a dask DataFrame, got "
                    f"{type(X).__name__}{'' if not hasattr(X, 'ndim') else f' of ndim {X.ndim}'}")


def as_column(col, name: str):
    """One value per row as a 1-D dask array or a dask Series.

    A (n, 1) array and a one-column DataFrame are accepted, as ``column_or_1d`` does.
    """
    if isinstance(col, da.Array):
        if col.ndim == 2 and col.shape[1] == 1:
            return col[:, 0]
        if col.ndim == 1:
            return col
        raise ValueError(f"{name} must be 1-D (one value per row), got shape {col.shape}")
    if isinstance(col, dd.Series):
        return col
    if isinstance(col, dd.DataFrame):
        if len(col.columns) == 1:
            return col[col.columns[0]]
        raise ValueError(f"{name} must have one column, got {len(col.columns)}")
    raise TypeError(f"{name} must be a dask array, Series or one-column DataFrame, got "
                    f"{type(col).__name__}")


def _n_parts(col) -> int:
    return col.numblocks[0] if isinstance(col, da.Array) else col.npartitions


def align_rows(col, like, name: str, like_name: str):
    """``col`` partitioned by rows exactly as ``like`` (a dask array is rechunked).

    Dask DataFrames cannot be repartitioned without knowing where their rows are, so they
    must already have as many partitions as ``like``; so must an array whose row chunks
    are unknown.
    """
    if isinstance(col, da.Array) and isinstance(like, da.Array):
        n, m = col.shape[0], like.shape[0]
        if not (np.isnan(n) or np.isnan(m)) and n != m:
            raise ValueError(f"{name} has {n} rows but {like_name} has {m}")
        if col.chunks[0] != like.chunks[0] and not (
                np.any(np.isnan(col.chunks[0])) or np.any(np.isnan(like.chunks[0]))):
            col = col.rechunk({0: like.chunks[0]})
    if _n_parts(col) != _n_parts(like):
        raise ValueError(f"{name} must be partitioned like {like_name} (the same number of "
                         f"row blocks): got {_n_parts(col)} and {_n_parts(like)}")
    return col


def one_column_chunk(X):
    """A dask array in row blocks only (one column chunk), as both boosters need it."""
    if isinstance(X, da.Array) and X.numblocks[1] != 1:
        return X.rechunk({1: -1})
    return X


def feature_columns(X, y, sample_weight, names: tuple[str, str, str]):
    """Checked features (one column chunk), and the labels and weights aligned with them.

    ``names`` name ``X``, ``y`` and the weights in errors.
    """
    x_name, y_name, w_name = names
    X = one_column_chunk(check_features(X, x_name))
    y = align_rows(as_column(y, y_name), X, y_name, x_name)
    if sample_weight is not None:
        sample_weight = align_rows(as_column(sample_weight, w_name), X, w_name, x_name)
    return X, y, sample_weight


def row_blocks(col) -> list:
    """The row blocks of a 1-D or 2-D dask array or a dask DataFrame, as Delayed objects."""
    if isinstance(col, da.Array):
        if col.ndim == 2 and col.numblocks[1] != 1:
            col = col.rechunk({1: -1})
        return list(col.to_delayed().ravel())
    return list(col.to_delayed())


def as_dask_array(col):
    """A dask collection as a dask array (row chunk sizes may be unknown)."""
    if isinstance(col, da.Array):
        return col
    return col.to_dask_array()


# ---------------------------------------------------------------------------------------
# the kernels' threads on a worker
# ---------------------------------------------------------------------------------------

def worker_threads() -> int | None:
    """The thread count of the Dask worker running the current task (None elsewhere)."""
    try:
        worker = distributed.get_worker()
    except ValueError:  # not in a worker's task
        return None
    state = getattr(worker, "state", worker)  # distributed >= 2022.6: worker.state
    return int(state.nthreads)


class OnWorkerThreads:
    """Adapter mixin: without ``n_threads``, the kernels run on the worker's threads.

    Both boosters train on a worker with its thread count (``xgboost.dask`` and
    ``lightgbm.dask`` set ``nthread`` / ``num_threads`` from it, XGBoost unless the user
    set ``n_jobs``), while a worker process's environment limits the kernels' default to
    one thread (``distributed`` sets ``OMP_NUM_THREADS=1`` in the processes it starts).
    Put before an objective or metric class (:class:`boostfocal._estimator_core.adapter.
    NativeObjective`, ``NativeMetric``), it gives the kernels the worker's thread count,
    looked up on every call (the adapter travels to every worker), so that the kernels
    and the booster share the worker's cores.
    """

    def _kernel_threads(self) -> int | None:
        """``n_threads`` when set, else the current worker's thread count."""
        return self.n_threads if self.n_threads is not None else worker_threads()


class ReusedOutputs:
    """Objective mixin: the same gradient and Hessian arrays on every call of a thread.

    ``distributed`` starts its worker processes with ``MALLOC_TRIM_THRESHOLD_`` set,
    which turns off glibc's adaptive ``mmap`` threshold: every new array of more than
    128 KiB is then mapped afresh and page-faulted in on first touch, and unmapped when
    freed. Two new float32 arrays per boosting round cost a worker one page fault per
    1,024 gradients (measured: 978 per call at 500,000 binary rows, 4,883 at 5 classes;
    none with the arrays reused). Both boosters copy the gradients in before the next
    round (XGBoost's ``TrainOneIter``, LightGBM's ``UpdateOneIterCustom``), so the
    objective that a Dask estimator builds for its fit hands back the same two arrays
    each round; each thread has its own (in-process workers share the objective), and
    they are not pickled.
    """

    def _outputs(self, shape: tuple, order: str) -> tuple[np.ndarray, np.ndarray]:
        """The calling thread's two float32 arrays of ``shape`` and ``order``, kept for reuse."""
        local = self.__dict__.get("_reused")
        if local is None:
            local = self.__dict__.setdefault("_reused", threading.local())
        if getattr(local, "key", None) != (shape, order):
            local.outputs = (np.empty(shape, dtype=np.float32, order=order),
                             np.empty(shape, dtype=np.float32, order=order))
            local.key = (shape, order)
        return local.outputs

    def __getstate__(self) -> dict:
        """The adapter's attributes without the per-thread arrays."""
        state = self.__dict__.copy()
        state.pop("_reused", None)
        return state


# ---------------------------------------------------------------------------------------
# labels and class totals, block by block
# ---------------------------------------------------------------------------------------

def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(uniques, codes)`` of a 1-D array, in one hashing pass (``pandas.factorize``).

    None and NaN labels stay values of their own, so that the classes' checks refuse them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(uniques, dtype=values.dtype if values.dtype != object else object), \
        np.asarray(codes, dtype=np.intp)


def _table(uniques: np.ndarray, codes: np.ndarray, weights: np.ndarray | None,
           bad_weights: int) -> tuple:
    """The per-value rows of a :func:`label_table` from labels coded by ``uniques``."""
    n = uniques.shape[0]
    counts = np.bincount(codes, minlength=n).astype(np.float64)
    if weights is None:
        return uniques, counts, counts.copy(), (counts > 0).astype(np.float64), bad_weights
    largest = np.zeros(n)
    np.maximum.at(largest, codes, weights)
    return uniques, counts, np.bincount(codes, weights=weights, minlength=n), largest, \
        bad_weights


def _block_table(y_block, w_block) -> tuple:
    """``(values, counts, weighted totals, largest weights, bad weights)`` of one block.

    One row per distinct label value; a bad weight (negative or not finite) is counted
    and left out of the totals.
    """
    y = np.asarray(y_block).reshape(-1)
    uniques, codes = _factorize(y)
    if w_block is None:
        return _table(uniques, codes, None, 0)
    w = np.asarray(w_block, dtype=np.float64).reshape(-1)
    if w.shape[0] != y.shape[0]:
        raise ValueError(f"a block of sample_weight has {w.shape[0]} rows where the labels "
                         f"have {y.shape[0]}")
    good = np.isfinite(w) & (w >= 0)
    return _table(uniques, codes, np.where(good, w, 0.0), int(np.count_nonzero(~good)))


def _merge_tables(parts: list) -> tuple:
    """The blocks' tables as one: the rows of equal values combined."""
    if not parts:
        return _table(np.array([]), np.array([], dtype=np.int64), None, 0)
    values = np.concatenate([np.asarray(p[0]) for p in parts])
    uniques, codes = _factorize(values)
    n = uniques.shape[0]
    counts, totals = (np.bincount(codes, weights=np.concatenate([p[i] for p in parts]),
                                  minlength=n) for i in (1, 2))
    largest = np.zeros(n)
    np.maximum.at(largest, codes, np.concatenate([p[3] for p in parts]))
    return uniques, counts, totals, largest, sum(int(p[4]) for p in parts)


def label_table(y, sample_weight=None):
    """A Delayed with the label table of ``y`` (and its aligned weights), in one pass.

    ``(values, counts, weighted totals, largest weights, bad weights)``: one row per
    distinct label value (weight 1 without weights). Each block tabulates its own rows;
    only the tables travel, never the labels. :class:`ClassStats` reads the classes'
    statistics from it once the classes are known (:meth:`ClassStats.from_table`).
    """
    y_parts = row_blocks(y)
    w_parts = [None] * len(y_parts) if sample_weight is None else row_blocks(sample_weight)
    parts = [dask.delayed(_block_table)(yb, wb)
             for yb, wb in zip(y_parts, w_parts, strict=True)]
    return dask.delayed(_merge_tables)(parts)


def classes_from_uniques(uniques: np.ndarray) -> np.ndarray:
    """The sorted classes, with the in-memory estimators' checks on the label values.

    The checks of :func:`boostfocal._estimator_core.classifier.encode_labels` (missing
    labels, target type, at least two classes) depend only on the set of values, so
    running it on the unique labels gives the same classes and the same errors as on all of them.
    """
    uniques = np.asarray(uniques)
    if uniques.dtype == object:
        try:
            np.sort(uniques)
        except TypeError as exc:
            bad = [v for v in uniques.tolist() if v is None or v != v]
            if bad:
                raise ValueError("y contains missing (None or NaN) labels") from exc
            raise ValueError(f"y must hold labels of one sortable type: {exc}") from exc
    classes, _ = encode_labels(uniques)
    return classes


def _encode_block(block, classes: np.ndarray, name: str) -> np.ndarray:
    return encode_eval_labels(np.asarray(block).reshape(-1), classes, name)


def _encode_partition(part, classes: np.ndarray, name: str):
    return pd.Series(encode_eval_labels(part.to_numpy(), classes, name), index=part.index,
                     name=part.name)


def encode(y, classes: np.ndarray, name: str):
    """``y`` encoded to 0..K-1 block by block (lazy); unseen labels raise on compute.

    Integer labels whose classes are already 0..K-1 are returned as they are: no graph
    layer, so that the boosters' own passes over the labels (building their data,
    XGBoost's unique labels) do not run the encoding again.
    """
    if y.dtype.kind in "iu" and classes.dtype.kind in "iu" and np.array_equal(
            classes, np.arange(classes.shape[0])):
        return y
    if isinstance(y, da.Array):
        return y.map_blocks(_encode_block, classes, name, dtype=np.int64)
    return y.map_partitions(_encode_partition, classes, name,
                            meta=pd.Series(dtype=np.int64, name=y.name))


def _fold_block(y_block, w_block, class_weights: np.ndarray) -> np.ndarray:
    w = None if w_block is None else np.asarray(w_block, dtype=np.float64).reshape(-1)
    return apply_class_weights(np.asarray(y_block).reshape(-1), w, class_weights)


def _fold_partition(y_part, w_part, class_weights: np.ndarray):
    return pd.Series(_fold_block(y_part.to_numpy(), None if w_part is None else
                                 w_part.to_numpy(), class_weights), index=y_part.index)


def fold_class_weights(y_enc, sample_weight, class_weights: np.ndarray):
    """Training weights with per-class multipliers folded in, block by block (lazy)."""
    if isinstance(y_enc, da.Array):
        if sample_weight is None:
            return y_enc.map_blocks(_fold_block, None, class_weights, dtype=np.float64)
        return da.map_blocks(_fold_block, y_enc, sample_weight, class_weights,
                             dtype=np.float64)
    meta = pd.Series(dtype=np.float64)
    if sample_weight is None:
        return y_enc.map_partitions(_fold_partition, None, class_weights, meta=meta)
    return y_enc.map_partitions(_fold_partition, sample_weight, class_weights, meta=meta)


class ClassStats:
    """Weighted class totals and row counts, from one reduction over the blocks.

    ``stats`` is ``[W_0..W_{K-1}, N_0..N_{K-1}, bad labels, bad weights, M_0..M_{K-1}]``:
    the weighted class totals (weight 1 without weights), the row counts, the rows whose
    label is not a class, the negative or non-finite weights, and each class's largest
    weight (0 for an absent class). :meth:`from_table` builds it from a label table.
    """

    def __init__(self, stats: np.ndarray, n_classes: int) -> None:
        stats = np.asarray(stats, dtype=np.float64)
        self.totals = stats[:n_classes]
        self.counts = stats[n_classes:2 * n_classes]
        self.bad_labels = int(stats[2 * n_classes])
        self.bad_weights = int(stats[2 * n_classes + 1])
        self.max_weights = stats[2 * n_classes + 2:3 * n_classes + 2]

    @classmethod
    def from_table(cls, table: tuple, classes: np.ndarray, y_name: str,
                   count_unseen: bool = False) -> ClassStats:
        """The classes' statistics from a :func:`label_table`.

        A label value outside ``classes`` is a ``ValueError`` naming ``y_name``, or, with
        ``count_unseen``, counted among the bad labels (for labels that should already
        be class indices, which :meth:`check` then refuses).
        """
        values, counts, totals, largest, bad_weights = (np.asarray(v) for v in table)
        k = classes.shape[0]
        bad_labels = 0
        if count_unseen:
            numeric = np.asarray(values, dtype=np.float64)
            seen = np.isin(numeric, classes)
            bad_labels = int(np.sum(counts[~seen]))
            index = numeric[seen].astype(np.int64)
            counts, totals, largest = counts[seen], totals[seen], largest[seen]
        else:
            index = encode_eval_labels(values, classes, y_name)
        stats = np.zeros(3 * k + 2)
        stats[:k] = np.bincount(index, weights=totals, minlength=k)
        stats[k:2 * k] = np.bincount(index, weights=counts, minlength=k)
        stats[2 * k] = bad_labels
        stats[2 * k + 1] = bad_weights
        np.maximum.at(stats[2 * k + 2:], index, largest.astype(np.float64))
        return cls(stats, k)

    def check(self, y_name: str, weight_name: str, weighted: bool) -> ClassStats:
        """Raise the in-memory estimators' errors for bad labels or weights."""
        k = self.totals.shape[0]
        if self.bad_labels:
            raise ValueError(f"{y_name} must hold class indices 0..{k - 1}; found "
                             f"{self.bad_labels} other values")
        if self.bad_weights:
            raise ValueError(f"{weight_name} must be finite and >= 0; found "
                             f"{self.bad_weights} negative or non-finite weights")
        if weighted and not np.sum(self.totals) > 0:
            raise ValueError(f"{weight_name} must not be all zero")
        if weighted:
            check_booster_weight(float(np.max(self.max_weights)), weight_name)
        if not np.all(np.isfinite(self.totals)):
            raise ValueError(f"{weight_name} overflows: the class totals are "
                             f"{self.totals.tolist()}; scale the weights down")
        return self

    def check_folded_weights(self, class_weights: np.ndarray | None) -> None:
        """Refuse per-class multipliers that push a training weight past float32's range.

        The boosters store weights as float32; the largest weight of each class times its
        multiplier must stay within it (a ``ValueError`` naming the training weights).
        """
        if class_weights is not None:
            largest = self.max_weights * np.asarray(class_weights, dtype=np.float64)
            check_booster_weight(float(np.max(largest)), TRAINING_WEIGHTS)


def _constant_block(block, init: np.ndarray) -> np.ndarray:
    return np.array(constant_margin(init, np.shape(block)[0]))  # writeable, per block


def _constant_partition(part, init: np.ndarray):
    margin = np.array(constant_margin(init, len(part)))
    if margin.ndim == 1:
        return pd.Series(margin, index=part.index)
    return pd.DataFrame(margin, index=part.index, columns=list(range(margin.shape[1])))


def start_margin(init: float | np.ndarray, like):
    """The starting score repeated on every row of ``like``, partitioned like it (lazy).

    Parameters
    ----------
    init : float or array-like of shape (K,)
        The starting score: a float for binary, one value per class for multiclass.
    like : dask array or dask DataFrame/Series
        The rows: features ``X`` or labels ``y``.

    Returns
    -------
    dask array of shape (n,) or (n, K) for array ``like``; dask Series or DataFrame,
    with ``like``'s index, for a DataFrame or Series ``like``.
    """
    init = np.asarray(init, dtype=np.float64)
    if init.ndim > 1 or not np.all(np.isfinite(init)):
        raise ValueError(f"init must be a finite float or a 1-D array, got {init!r}")
    if isinstance(like, da.Array):
        rows = like if like.ndim == 1 else like[:, 0]
        if init.ndim == 0:
            return rows.map_blocks(_constant_block, init, dtype=np.float64,
                                   meta=np.empty((0,), dtype=np.float64))
        return rows.map_blocks(_constant_block, init, dtype=np.float64, new_axis=1,
                               chunks=(rows.chunks[0], (init.shape[0],)),
                               meta=np.empty((0, 0), dtype=np.float64))
    if isinstance(like, (dd.DataFrame, dd.Series)):
        if init.ndim == 0:
            meta = pd.Series(dtype=np.float64)
        else:
            meta = pd.DataFrame({k: pd.Series(dtype=np.float64)
                                 for k in range(init.shape[0])})
        return like.map_partitions(_constant_partition, init, meta=meta)
    raise TypeError(f"like must be a dask collection, got {type(like).__name__}")


def _check_finite_block(block, name: str):
    if not np.all(np.isfinite(np.asarray(block, dtype=np.float64))):
        raise ValueError(f"{name} contains NaN or infinite values")
    return block


def add_offset(start, offset, n_classes: int, name: str):
    """``start`` plus a user's per-row margin offset (lazy; NaN/inf raise on compute)."""
    if offset is None:
        return start
    if not is_dask_collection(offset):
        raise TypeError(f"{name} must be a dask collection partitioned like X, got "
                        f"{type(offset).__name__}")
    if isinstance(start, da.Array) != isinstance(offset, da.Array):
        raise TypeError(f"{name} must be a dask array when X is a dask array, and a dask "
                        "Series/DataFrame when X is a dask DataFrame")
    if isinstance(offset, da.Array):
        if n_classes == 2 and offset.ndim == 2 and offset.shape[1] == 1:
            offset = offset[:, 0]
        want = 1 if n_classes == 2 else 2
        if offset.ndim != want or (want == 2 and offset.shape[1] != n_classes):
            raise ValueError(f"{name} must have shape (n,) for two classes and (n, K) for "
                             f"K classes (K={n_classes}), got {offset.shape}")
        offset = align_rows(offset, start, name, "X")
        if want == 2 and offset.numblocks[1] != 1:
            offset = offset.rechunk({1: -1})
        offset = offset.map_blocks(_check_finite_block, name, dtype=np.float64)
        return start + offset.astype(np.float64)
    if n_classes == 2:
        offset = as_column(offset, name)
    elif not isinstance(offset, dd.DataFrame) or len(offset.columns) != n_classes:
        raise ValueError(f"{name} must be a dask DataFrame with one column per class "
                         f"(K={n_classes})")
    else:
        offset = offset.rename(columns=dict(zip(offset.columns, range(n_classes),
                                                strict=True)))
    align_rows(offset, start, name, "X")
    offset = offset.map_partitions(_check_finite_block, name, meta=offset._meta)
    return start + offset.astype(np.float64)


# ---------------------------------------------------------------------------------------
# prediction: margins -> probabilities and labels, block by block
# ---------------------------------------------------------------------------------------

class MarginReader:
    """The fitted pieces that turn margins into probabilities and labels on a worker.

    A small picklable stand-in for the estimator (the loss, ``focal_proba`` and the
    classes), so that the conversion is the in-memory estimators' own
    (:func:`~boostfocal._estimator_core.classifier.margin_proba`) and the task graph
    does not carry the booster. The kernels run on a worker's default threads (its
    ``OMP_NUM_THREADS``), as the objective's there.
    """

    def __init__(self, loss, focal_proba: str, classes: np.ndarray) -> None:
        self.loss_ = loss
        self.focal_proba = focal_proba
        self.classes_ = classes

    def proba(self, margin) -> np.ndarray:
        """Class probabilities of a block of margins, shape (n, K)."""
        margin = np.asarray(margin, dtype=np.float64)
        if margin.shape[0] == 0:
            return np.empty((0, self.classes_.shape[0]))
        return margin_proba(self.loss_, self.focal_proba, margin, None)

    def labels(self, margin) -> np.ndarray:
        """Predicted labels (from ``classes_``) of a block of margins, shape (n,)."""
        margin = np.asarray(margin, dtype=np.float64)
        if margin.shape[0] == 0:
            return self.classes_[:0]
        return labels_from_proba(self.classes_, self.proba(margin))


def margin_array(margin, n_classes: int):
    """Margins as a float64 dask array: (n,) binary, (n, K) in one column chunk."""
    margin = as_dask_array(margin).astype(np.float64)
    if n_classes > 2 and margin.ndim == 2 and margin.numblocks[1] != 1:
        margin = margin.rechunk({1: -1})
    return margin


def proba_from_margin(margin, reader: MarginReader):
    """``reader.proba`` on every block of a dask array of margins: shape (n, K)."""
    k = reader.classes_.shape[0]
    meta = np.empty((0, 0), dtype=np.float64)
    if margin.ndim == 1:
        return margin.map_blocks(reader.proba, new_axis=1, chunks=(margin.chunks[0], (k,)),
                                 dtype=np.float64, meta=meta)
    return margin.map_blocks(reader.proba, dtype=np.float64, meta=meta)


def labels_from_margin(margin, reader: MarginReader):
    """``reader.labels`` on every block of a dask array of margins: shape (n,)."""
    dtype = reader.classes_.dtype
    meta = np.empty((0,), dtype=dtype)
    if margin.ndim == 1:
        return margin.map_blocks(reader.labels, dtype=dtype, meta=meta)
    return margin.map_blocks(reader.labels, drop_axis=1, dtype=dtype, meta=meta)
