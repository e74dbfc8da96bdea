"""The parameter handling of every boostfocal LightGBM estimator, in memory and on Dask.

:class:`LGBMFocalMixin` is to the boostfocal estimators what ``XGBClassifierMixIn`` is
to XGBoost's own: ``FocalLGBMClassifier``/``GHMLGBMClassifier`` (on ``LGBMClassifier``)
and ``DaskFocalLGBMClassifier`` (on ``DaskLGBMClassifier``) take their booster
parameters, parameter checks, class multipliers, evaluation sets and metrics from it, and
differ only in how they reach the data.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._estimator_core.adapter import metric_name
from .._estimator_core.classifier import (
    check_paper_names,
    check_scale_pos_weight,
    fit_context,
)
from . import _model_file
from ._adapter import _with_start
from ._compat import aliases, param_value, user_value
from ._fit import (
    _PROBABILITY_METRICS,
    LGBM_DEFAULT_MIN_CHILD_WEIGHT,
    LGBM_HESSIAN_EPSILON,
    _as_list,
    _is_true,
    _metric_names,
    lgbm_class_multipliers,
)


def booster_fit_params(params: dict, objective, user_metric: bool,
                       drop: tuple[str, ...] = ()) -> dict:
    """Booster parameters of a fit on the loss: ``params`` changed in place and returned.

    The objective is the loss's; ``is_unbalance``/``scale_pos_weight`` (folded into the
    weights) and the parameters in ``drop`` (with their aliases) are removed; without a
    user metric LightGBM's default metric is ``"None"`` (it would read raw margins as
    probabilities).
    """
    params["objective"] = objective
    for name in ("is_unbalance", "scale_pos_weight", *drop):
        for alias in aliases(name):
            params.pop(alias, None)
    if not user_metric:
        for alias in aliases("metric"):
            params.pop(alias, None)
        params["metric"] = "None"
    return params


class LGBMFocalMixin:
    """Booster parameters, checks, class multipliers, evaluation sets, metrics, model files.

    A subclass lists its own constructor parameters in ``_loss_params`` (they never
    reach LightGBM) and the loss kinds its files may hold in ``_loss_kinds``, and builds
    its loss in ``_make_loss(n_classes)`` (the loss mixins of
    ``boostfocal._estimator_core.classifier``). The model-file methods are written in
    ``boostfocal.lightgbm._model_file``.
    """

    # The model file: functions of the estimator in _model_file.py.
    model_to_string = _model_file.model_to_string
    save_model = _model_file.save_model
    load_model = _model_file.load_model

    def _process_params(self, stage: str) -> dict:
        """Booster parameters: LightGBM's, without the loss's own, with the loss objective.

        The loss parameters (``focal_*``, ``ghm_*``) never reach LightGBM. While an
        in-memory ``fit`` runs, :func:`booster_fit_params` applies, and
        ``feature_pre_filter`` is switched off where LightGBM would otherwise find no
        usable feature (see the class docstring).
        """
        params = super()._process_params(stage)
        for name in self._loss_params:
            params.pop(name, None)
        ctx = fit_context(self)
        if stage != "fit" or ctx is None:
            return params
        booster_fit_params(params, ctx.objective, ctx.user_metric)
        if user_value(params, "feature_pre_filter") is None:
            min_leaf = user_value(params, "min_data_in_leaf")
            min_leaf = 20 if min_leaf is None else min_leaf
            if ctx.no_feature_pre_filter or ctx.n_rows < 2 * min_leaf:
                params["feature_pre_filter"] = False
        return params

    def _booster_params(self) -> dict:
        """``get_params()`` without ``client`` and the loss's own parameters."""
        params = self.get_params()
        params.pop("client", None)
        for name in self._loss_params:
            params.pop(name, None)
        return params

    def _check_params(self, params: dict, n_classes: int) -> tuple[bool, float]:
        """Validate the booster parameters the loss objective depends on.

        Returns ``(is_unbalance, scale_pos_weight)`` as the user set them.
        """
        check_paper_names(self, "lightgbm")
        given = self.objective if self.objective is not None else user_value(
            params, "objective")
        if given is not None:
            raise ValueError(
                f"{type(self).__name__} trains on its own loss, so objective must be None, "
                f"got {given!r}. Use FocalLGBMClassifier(focal_gamma=0) for the logistic "
                "(softmax) loss, or "
                "lightgbm.LGBMClassifier for other objectives.")
        min_hessian = param_value("min_sum_hessian_in_leaf", params,
                                  LGBM_DEFAULT_MIN_CHILD_WEIGHT)
        if not (isinstance(min_hessian, numbers.Real) and min_hessian > LGBM_HESSIAN_EPSILON):
            raise ValueError(
                "min_child_weight (min_sum_hessian_in_leaf) must be a number greater than "
                f"{LGBM_HESSIAN_EPSILON:g}, got {min_hessian!r}: LightGBM starts each "
                f"child's Hessian sum at {LGBM_HESSIAN_EPSILON:g}, so a smaller value lets "
                "it choose a split with an empty child and abort with 'Check failed: "
                "(best_split_info.left_count) > (0)'. For (almost) no Hessian constraint "
                "use a tiny positive value such as 1e-12.")
        unbalance = user_value(params, "is_unbalance")
        unbalance = False if unbalance is None else _is_true(unbalance)
        spw = check_scale_pos_weight(user_value(params, "scale_pos_weight"), n_classes,
                                     "class_weight or focal_alpha")
        if n_classes > 2 and unbalance:
            raise ValueError(
                "is_unbalance applies to binary targets only, but y has "
                f"{n_classes} classes; use class_weight or focal_alpha instead")
        if unbalance and spw != 1.0:
            raise ValueError("Cannot set is_unbalance and scale_pos_weight at the same time")
        return unbalance, spw

    def _multipliers(self, params: dict, n_classes: int, class_weight):
        """Check the parameters; the class multipliers as a function of the row counts.

        ``is_unbalance`` and ``scale_pos_weight`` (as LightGBM's ``binary`` objective),
        times ``class_weight`` (as ``LGBMClassifier``; None where LightGBM applies it).
        """
        unbalance, spw = self._check_params(params, n_classes)

        def multipliers(classes: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
            return lgbm_class_multipliers(classes, counts, class_weight, unbalance, spw)
        return multipliers

    @staticmethod
    def _eval_sets(eval_set, eval_X, eval_y) -> tuple[list, str | None]:
        """Evaluation sets as a list of (X, y) pairs, and which argument held them."""
        if eval_set is not None:
            if eval_X is not None or eval_y is not None:
                raise ValueError("Specify either 'eval_set' or 'eval_X' and 'eval_y', "
                                 "but not both.")
            return (list(eval_set) if isinstance(eval_set, list) else [eval_set]), "eval_set"
        if (eval_X is None) != (eval_y is None):
            raise ValueError("You must specify eval_X and eval_y, not just one of them.")
        if eval_X is None:
            return [], None
        if isinstance(eval_X, tuple) != isinstance(eval_y, tuple) or (
                isinstance(eval_X, tuple) and len(eval_X) != len(eval_y)):
            raise ValueError("If eval_X is a tuple, eval_y must be a tuple of the same "
                             "length, and vice versa.")
        if isinstance(eval_X, tuple):
            return list(zip(eval_X, eval_y, strict=True)), "eval_X"
        return [(eval_X, eval_y)], "eval_X"

    @staticmethod
    def _fit_metrics(eval_metric, params: dict, loss, start, own_metric) -> tuple[list, bool]:
        """The metrics of a fit: the user's (handed the start), then the loss's own.

        Warns about built-in metrics that read raw margins as probabilities. Returns the
        metrics and whether the user set a ``metric`` parameter.
        """
        metrics = _as_list(eval_metric)
        user_metric = user_value(params, "metric") is not None
        asked = _metric_names(user_value(params, "metric")) + _metric_names(metrics)
        raw_prob = sorted({m for m in asked if m in _PROBABILITY_METRICS})
        if raw_prob:
            warnings.warn(
                f"LightGBM computes the metrics {raw_prob} from raw margins as if they were "
                "probabilities when the objective is custom, so their values are "
                f"meaningless here; the loss's own metric ({metric_name(loss)!r}) is always "
                "reported",
                UserWarning, stacklevel=3)
        # Built-in metrics other than the warned ones rank scores (auc, average_precision,
        # auc_mu) and do not see the constant start left out of LightGBM's raw scores.
        return [*(_with_start(m, start) for m in metrics), own_metric], user_metric

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X, raw_score: bool = False, start_iteration: int = 0,
                      num_iteration: int | None = None, pred_leaf: bool = False,
                      pred_contrib: bool = False, validate_features: bool = False, *,
                      init_score=None, **kwargs):
        """Class probabilities, shape (n_samples, n_classes).

        The class posterior recovered from the focal margins (``focal_proba="posterior"``)
        or their raw sigmoid/softmax (``"confidence"``); a dask array, block by block,
        on Dask.

        Parameters
        ----------
        X : array-like, sparse matrix, dask array or dask DataFrame
            Input features, of shape (n_samples, n_features).
        raw_score : bool, default=False
            Return :meth:`decision_function` instead (starting score included).
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``LGBMClassifier.predict_proba``.
        pred_leaf, pred_contrib : bool, default=False
            Leaf indices or feature contributions, as in ``LGBMClassifier``; the bias
            column of the contributions includes ``init_score_``.
        init_score : array-like or dask collection, default=None
            Per-row margin offset of these rows (partitioned like ``X`` on Dask); 0 if
            None.

        Returns
        -------
        ndarray or dask array of shape (n_samples, n_classes)
        """
        if pred_leaf or pred_contrib:
            return self._passthrough(X, start_iteration, num_iteration, pred_leaf,
                                     pred_contrib, validate_features, **kwargs)
        margin = self.decision_function(
            X, init_score=init_score, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)
        return margin if raw_score else self._proba_of(margin)

    def predict(self, X, raw_score: bool = False, start_iteration: int = 0,
                num_iteration: int | None = None, pred_leaf: bool = False,
                pred_contrib: bool = False, validate_features: bool = False, *,
                init_score=None, **kwargs):
        """Predicted class labels (the original labels, in ``y``'s dtype).

        Parameters
        ----------
        X, raw_score, pred_leaf, pred_contrib, init_score
            As in :meth:`predict_proba`.
        start_iteration, num_iteration, validate_features, **kwargs
            As in ``LGBMClassifier.predict``.

        Returns
        -------
        ndarray or dask array of shape (n_samples,)
        """
        if raw_score or pred_leaf or pred_contrib:
            return self.predict_proba(
                X, raw_score=raw_score, start_iteration=start_iteration,
                num_iteration=num_iteration, pred_leaf=pred_leaf, pred_contrib=pred_contrib,
                validate_features=validate_features, init_score=init_score, **kwargs)
        margin = self.decision_function(
            X, init_score=init_score, start_iteration=start_iteration,
            num_iteration=num_iteration, validate_features=validate_features, **kwargs)
        return self._labels_of(margin)
