"""Where a LightGBM model holds its starting score, and how it is written and read there.

The one place that decides it for every boostfocal LightGBM estimator (in memory, on
Dask, loaded from a file):

- while training, the start is added to LightGBM's raw scores by the objective and the
  metrics (their ``raw_offset``, handed over in :class:`FitContext`): LightGBM would keep
  two float64 copies of a per-row ``init_score`` for the whole fit;
- after training it is folded into the leaves of the first iteration
  (:func:`fold_into_booster`), so the booster's raw scores, its text file,
  ``pred_contrib``, SHAP and ``init_model`` all include it;
- a fit continued from an ``init_model`` starts from that model's raw scores, which
  include its own start (:func:`from_init_model`);
- predictions that skip the first iteration, and models pickled by boostfocal 0.1.0,
  miss it: :func:`left_out` says when, and :func:`add_to_bias` puts it back into
  ``pred_contrib``'s bias column.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._estimator_core import model_files as _model_files
from .._estimator_core import model_io as _model_io
from .._optional import import_optional
from ._tree_check import check_lightgbm_text

if TYPE_CHECKING:  # pragma: no cover
    from ._adapter import _FitObjective

lgb = import_optional("lightgbm", "lightgbm")


class FitContext:
    """What a running ``fit`` hands to ``_process_params``: LightGBM's ``fit`` forces it.

    ``LGBMClassifier.fit`` builds the booster parameters itself, from
    ``_process_params``; the estimator sets this context on itself for the duration of
    its call (``boostfocal._estimator_core.classifier.fitting``) and removes it after.

    Attributes
    ----------
    objective : _FitObjective
        The loss's native objective, with the start as its ``raw_offset``, put straight
        into the booster parameters (LightGBM's scikit-learn wrapper, which counts the
        parameters of a callable objective and silently drops the weights of a
        2-argument one, is not involved).
    user_metric : bool
        Whether the user named metrics (LightGBM's default metric is disabled if not).
    n_rows : int
        Training rows.
    no_feature_pre_filter : bool
        Set when LightGBM found no usable feature and the fit is retried without its
        feature pre-filter.
    """

    def __init__(self, objective: _FitObjective, user_metric: bool, n_rows: int) -> None:
        self.objective = objective
        self.user_metric = user_metric
        self.n_rows = n_rows
        self.no_feature_pre_filter = False


def left_out(estimator, start_iteration) -> bool:
    """Whether the booster's raw scores miss the start: it lives in iteration 0.

    A model pickled by boostfocal 0.1.0 (start never folded into the booster) always
    misses it.
    """
    if not estimator.__dict__.get("_focal_start_in_booster", False):
        return True
    return start_iteration is not None and start_iteration > 0


def fold_into_booster(booster, start: float | np.ndarray) -> None:
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


def check_init_model_args(init_score, eval_init_score) -> None:
    """A fit continued from an ``init_model`` takes no offsets of its own.

    The init model's raw scores (its start included, in its first iteration's leaves)
    are LightGBM's per-row init scores.
    """
    if init_score is not None or eval_init_score is not None:
        raise ValueError("init_score and eval_init_score cannot be combined with "
                         "init_model: LightGBM replaces them by the init model's raw "
                         "scores")


def from_init_model(init_model, n_classes: int) -> float | np.ndarray:
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
        meta = _model_files.lightgbm_metadata(text)
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


def add_to_bias(contrib, init, n_features: int):
    """Add the starting score to the bias column(s) of LightGBM's ``pred_contrib`` output."""
    init = np.atleast_1d(np.asarray(init, dtype=np.float64))
    width = n_features + 1
    if isinstance(contrib, list):  # multiclass sparse input: one matrix per class
        return [add_to_bias(m, init[k], n_features) for k, m in enumerate(contrib)]
    if isinstance(contrib, np.ndarray):
        out = np.array(contrib, dtype=np.float64, copy=True)
        for k, value in enumerate(init):
            out[:, k * width + n_features] += value
        return out
    fmt = contrib.format  # scipy.sparse, binary
    out = contrib.tolil(copy=True)
    for k, value in enumerate(init):
        col = k * width + n_features
        out[:, col] = out[:, col].toarray() + value
    return out.asformat(fmt)
