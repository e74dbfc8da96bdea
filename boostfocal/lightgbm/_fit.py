"""What a LightGBM fit needs besides the estimator.

Parameter checks, offsets, class multipliers, the fit context (which metric the fit
reports) and ``init_model``'s start. The objective and metric wrappers of the fit are
adapters: they live in ``_adapter.py``.
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import TYPE_CHECKING

import numpy as np

from .._optional import import_optional
from .._shared import model_files as _model_files
from .._shared import model_io as _model_io
from ._tree_check import check_lightgbm_text

if TYPE_CHECKING:  # pragma: no cover
    from ._adapter import _FitObjective

lgb = import_optional("lightgbm", "lightgbm")


#: LightGBM starts every child's Hessian sum at ``kEpsilon`` (1e-15), so a split with an
#: *empty* child passes ``min_sum_hessian_in_leaf <= 1e-15`` and LightGBM aborts with
#: ``Check failed: (best_split_info.left_count) > (0)``. Values must lie above it.
LGBM_HESSIAN_EPSILON = 1e-15

#: LightGBM's default ``min_sum_hessian_in_leaf`` (``min_child_weight``). Kept under focal
#: loss: see "Defaults" in the FocalLGBMClassifier docstring and benchmarks/lgbm_defaults.py.
LGBM_DEFAULT_MIN_CHILD_WEIGHT = 1e-3

#: Built-in metrics that read the raw score as a probability. Under a custom objective
#: LightGBM hands them raw margins, so their values are meaningless.
_PROBABILITY_METRICS = frozenset({
    "binary_logloss", "binary", "binary_error", "logloss", "error",
    "multi_logloss", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova",
    "ovr", "multi_error", "cross_entropy", "xentropy", "cross_entropy_lambda",
    "xentlambda", "kullback_leibler", "kldiv",
})


def _is_true(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "+")
    return bool(value)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _metric_names(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [m.strip() for m in value.split(",") if m.strip()]
    return [m for m in value if isinstance(m, str)]


def _eval_item(collection, i: int, name: str):
    """The ``i``-th entry of an ``eval_*`` list or dict, as LightGBM reads it."""
    if collection is None:
        return None
    if isinstance(collection, dict):
        return collection.get(i)
    if isinstance(collection, (list, tuple)):
        return collection[i] if i < len(collection) else None
    raise TypeError(f"{name} must be a list or a dict, got {type(collection).__name__}")


def _n_rows(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    if hasattr(X, "__len__"):
        return len(X)
    return int(np.asarray(X).shape[0])


def _as_offset(value, n_rows: int, n_classes: int, name: str) -> np.ndarray | None:
    """A user's per-row margin offset as float64 (n,) or (n, K); None stays None.

    A flat multiclass array of length n*K is read class-major, as LightGBM reads a flat
    ``init_score``.
    """
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}") from exc
    if n_classes == 2:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        expected = f"({n_rows},)"
        ok = arr.shape == (n_rows,)
    else:
        if arr.ndim == 1 and arr.shape[0] == n_rows * n_classes:
            arr = arr.reshape((n_rows, n_classes), order="F")
        expected = f"({n_rows}, {n_classes})"
        ok = arr.shape == (n_rows, n_classes)
    if not ok:
        raise ValueError(f"{name} must have shape {expected} (one margin offset per row"
                         f"{'' if n_classes == 2 else ' and class'}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def encoded_class_weight(class_weight: dict, classes: np.ndarray, name: str) -> dict:
    """A ``class_weight`` dict keyed by the encoded classes 0..K-1 instead of the labels.

    A label not among ``classes`` is a ``ValueError`` naming ``name``.
    """
    index = {label: i for i, label in enumerate(classes.tolist())}
    unknown = [c for c in class_weight if c not in index]
    if unknown:
        raise ValueError(f"{name} has labels not seen in y: {unknown[:10]}")
    return {index[c]: v for c, v in class_weight.items()}


def lgbm_class_multipliers(classes: np.ndarray, counts: np.ndarray, class_weight,
                           unbalance: bool, spw: float) -> np.ndarray | None:
    """Per-class multipliers of the training weights, from the row counts alone.

    ``is_unbalance`` and ``scale_pos_weight`` as LightGBM's ``binary`` objective applies
    them (the minority class weighted by the ratio of the unweighted counts;
    ``scale_pos_weight`` multiplies the weight of ``classes_[1]``), times
    ``class_weight`` as ``LGBMClassifier`` computes it (``"balanced"``: ``n / (K n_k)``,
    scikit-learn's ``compute_class_weight``). None when every multiplier is 1.
    """
    k = classes.shape[0]
    mult = np.ones(k)
    if unbalance:
        n_neg, n_pos = counts
        if n_pos > n_neg:
            mult[0] = n_pos / n_neg
        else:
            mult[1] = n_neg / n_pos
    if k == 2:
        mult[1] *= spw
    if isinstance(class_weight, dict):
        for i, value in encoded_class_weight(class_weight, classes, "class_weight").items():
            mult[i] *= float(value)
    elif isinstance(class_weight, str) and class_weight == "balanced":
        mult *= counts.sum() / (k * counts)
    elif class_weight is not None:
        raise ValueError(f"class_weight must be None, 'balanced' or a dict, got "
                         f"{class_weight!r}")
    return None if np.all(mult == 1.0) else mult


class _FitContext:
    """What ``fit`` decides and ``_process_params`` hands to the booster.

    The objective is the native :class:`LGBMObjective`, put straight into the booster
    parameters: LightGBM's scikit-learn wrapper, which counts the parameters of a callable
    objective and silently drops the weights of a 2-argument one, is not involved.
    """

    def __init__(self, objective: _FitObjective, user_metric: bool, n_rows: int) -> None:
        self.objective = objective
        self.user_metric = user_metric
        self.n_rows = n_rows
        self.no_feature_pre_filter = False


def _with_lgbm_signature(cls):
    """Class decorator: ``cls.__init__``'s signature lists every parameter of its LightGBM base.

    The estimators' ``__init__`` takes its own parameters and passes ``**kwargs`` on to
    the LightGBM class they derive from (``LGBMClassifier`` or ``DaskLGBMClassifier``,
    ``client`` included). Attaching the combined signature keeps ``help()``, ``repr``
    (which shows only parameters changed from their defaults) and scikit-learn's
    parameter introspection exactly as with a hand-written copy of LightGBM's parameter
    list, without the copy.
    """
    base = next(c for c in cls.__mro__ if c.__module__.startswith("lightgbm"))
    init = cls.__init__  # the loss mixin's, shared by several estimators: wrap it
    own = [p for p in inspect.signature(init).parameters.values()
           if p.kind is not inspect.Parameter.VAR_KEYWORD]
    names = {p.name for p in own}
    inherited = [
        p if p.kind is inspect.Parameter.VAR_KEYWORD else
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for name, p in inspect.signature(base.__init__).parameters.items()
        if name != "self" and name not in names]

    @functools.wraps(init)
    def __init__(self, **kwargs) -> None:
        init(self, **kwargs)

    __init__.__signature__ = inspect.Signature([*own, *inherited])
    cls.__init__ = __init__
    return cls


def _init_model_start(init_model, n_classes: int) -> float | np.ndarray:
    """The starting score inside an ``init_model`` (0 when it is not a boostfocal model).

    A boostfocal estimator or model file holds its start in its first iteration, so its
    raw scores, which LightGBM continues from, already include it.
    """
    zero = 0.0 if n_classes == 2 else np.zeros(n_classes)
    if isinstance(init_model, lgb.LGBMModel):
        start = getattr(init_model, "init_score_", None)
        k = getattr(init_model, "n_classes_", n_classes)
    elif isinstance(init_model, (str, os.PathLike)):
        # The file is checked as load_model checks it (LightGBM reads it next, and
        # aborts on a corrupted tree); plain LightGBM files have no start to add.
        source = f"init_model {_model_files.quote(os.fspath(init_model), 100)}"
        data = _model_files.read_model_bytes(init_model, "init_model")
        _model_files.check_format(data, source, (_model_files.LGBM_TEXT,), {})
        text = _model_files.lightgbm_text(data, source)
        info = check_lightgbm_text(text, source)
        meta = _model_io.lgbm_meta_from_text(text)
        if meta is None:
            return zero
        stored = _model_io.check_metadata(meta, source, n_outputs=info.n_outputs,
                                          backend="lightgbm")
        start, k = stored.start, stored.classes.shape[0]
    elif isinstance(init_model, lgb.Booster):
        return zero
    else:
        raise TypeError("init_model must be a path, a lightgbm.Booster or a fitted "
                        f"LightGBM estimator, got {type(init_model).__name__}")
    if k != n_classes:
        raise ValueError(f"init_model has {k} classes but y has {n_classes}")
    return zero if start is None else start


