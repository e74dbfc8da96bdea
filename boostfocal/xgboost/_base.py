"""The parameter handling of every boostfocal XGBoost estimator, in memory and on Dask.

:class:`XGBFocalMixin` is to the boostfocal estimators what ``XGBClassifierMixIn`` is
to XGBoost's own: ``FocalXGBClassifier``/``GHMXGBClassifier`` (on ``XGBClassifier``) and
``DaskFocalXGBClassifier`` (on ``DaskXGBClassifier``) take their booster parameters,
objective checks, class weights, starting score and fitted state from it, and differ
only in how they reach the data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._estimator_core.classifier import (
    check_default_objective,
    check_paper_names,
    fit_context,
    fitting,
    scale_pos_weight_multipliers,
)
from . import _model_file
from ._adapter import _FocalMetric, _FocalObjective
from ._compat import ESTIMATOR_TYPE
from ._model_file import DEFAULT_OBJECTIVE, focal_xgb_params
from ._start import FitContext, user_start

#: The largest sum of gradients XGBoost can square in float32 when it scores a split:
#: beyond it the split gains overflow and the model stops learning (measured: plain
#: XGBClassifier and the focal estimators alike lose their splits once the total
#: training weight passes about 1e20-1e22 at unit-order gradients).
MAX_XGB_GRADIENT_SUM = float(np.sqrt(np.finfo(np.float32).max))


def check_gradient_scale(plan, weight_names: str) -> None:
    """Refuse training weights whose gradient sums overflow XGBoost's split scoring.

    The bound on any sum of gradients is the weighted class totals (``plan.totals``,
    class multipliers included) times each class's ``alpha`` times the largest gradient
    per unit weight, ``1 + gamma / e`` for the focal losses (``|dL/dz| <= alpha_t
    (1 - p_t)^gamma ((1 - p_t) + gamma p_t (-log p_t))`` and ``p (-log p) <= 1/e``) and 1
    for GHM-C (its harmonizing weights average 1 over the weighted rows). Rescaling the
    weights is not done for the user: it changes what ``reg_lambda``,
    ``min_child_weight`` and ``min_split_loss`` mean.
    """
    loss = plan.loss
    alpha = getattr(loss, "alpha", None)
    totals = np.asarray(plan.totals, dtype=np.float64)
    if alpha is not None:
        alpha = np.asarray(alpha, dtype=np.float64)
        alpha = np.array([1.0 - alpha, alpha]) if alpha.ndim == 0 else alpha
        totals = totals * alpha
    bound = float(np.sum(totals)) * (1.0 + getattr(loss, "gamma", 0.0) / np.e)
    if not bound <= MAX_XGB_GRADIENT_SUM:
        raise ValueError(
            f"{weight_names} are too large for XGBoost: their total "
            f"({float(np.sum(plan.totals)):.3g}, times focal_alpha and the loss's largest "
            f"gradient per unit weight: {bound:.3g}) must be at most "
            f"{MAX_XGB_GRADIENT_SUM:.3g}, the largest gradient sum XGBoost can square in "
            "float32 when it scores a split (beyond it the model silently stops "
            "learning). Scale the weights down: only their ratios matter, up to the "
            "scale of reg_lambda, min_child_weight and min_split_loss.")


class XGBFocalMixin:
    """Booster parameters, checks, class weights, start, fitted state and model files.

    A subclass lists its own constructor parameters in ``_loss_params`` (they never
    reach XGBoost) and the loss kinds its files may hold in ``_loss_kinds``, builds its
    loss in ``_make_loss(n_classes)`` (the loss mixins of
    ``boostfocal._estimator_core.classifier``) and stores the original labels with
    ``_set_classes``. It stands alone before the XGBoost class in the bases
    (``XGBModel.get_params`` walks the first base that defines ``get_params``).

    The booster holds the starting score (``boostfocal.xgboost._start``) and, as the
    booster attribute ``boostfocal``, the metadata that rebuilds the estimator
    (``boostfocal._estimator_core.model_io``); the model-file methods are written in
    ``boostfocal.xgboost._model_file``.
    """

    _estimator_type = ESTIMATOR_TYPE

    # The model file: functions of the estimator in _model_file.py.
    _booster_holds_start = _model_file.booster_holds_start
    _store_metadata = _model_file.store_metadata
    save_model = _model_file.save_model
    load_model = _model_file.load_model

    def _set_classes(self, classes: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def get_xgb_params(self) -> dict[str, Any]:
        """Parameters handed to the booster.

        The loss parameters (``focal_*``, ``ghm_*``), ``scale_pos_weight`` and
        ``base_score`` are handled by the estimator and never reach XGBoost;
        ``min_child_weight=None`` becomes ``FOCAL_MIN_CHILD_WEIGHT`` for tree boosters;
        without a user ``eval_metric``, XGBoost's default metric is disabled (the loss's
        own metric is reported instead). Outside ``fit`` the ``objective`` is left out:
        it is a placeholder (the loss is the objective), and ``XGBModel.set_params``
        hands these parameters to a fitted booster, whose own objective (for example
        ``multi:softprob``) must stay.

        Returns
        -------
        dict
        """
        params = focal_xgb_params(self, super().get_xgb_params(), self._loss_params)
        if fit_context(self) is None:  # not inside fit (_training)
            params.pop("objective", None)
        return params

    def _check_objective(self) -> None:
        check_paper_names(self, "xgboost")
        check_default_objective(self, DEFAULT_OBJECTIVE)

    def _class_weights(self, n_classes: int) -> np.ndarray | None:
        """scale_pos_weight as per-class multipliers of the training weights."""
        return scale_pos_weight_multipliers(self.scale_pos_weight, n_classes)

    def _user_start(self, n_classes: int) -> float | None:
        return user_start(self.base_score, n_classes)

    @staticmethod
    def _check_eval_args(eval_set, sample_weight_eval_set, base_margin_eval_set) -> None:
        """The per-``eval_set`` arguments have one entry per evaluation set."""
        if eval_set is None:
            if sample_weight_eval_set is not None or base_margin_eval_set is not None:
                raise ValueError(
                    "sample_weight_eval_set and base_margin_eval_set need eval_set")
            return
        n_eval = len(eval_set)
        for arg, value in (("sample_weight_eval_set", sample_weight_eval_set),
                           ("base_margin_eval_set", base_margin_eval_set)):
            if value is not None and len(value) != n_eval:
                raise ValueError(f"{arg} must have one entry per eval_set entry "
                                 f"({n_eval}), got {len(value)}")

    @contextmanager
    def _training(self, loss, start, in_booster: bool, n_threads: int | None = None,
                  adapters: tuple[type, type] = (_FocalObjective, _FocalMetric)
                  ) -> Iterator[None]:
        """While XGBoost's ``fit`` runs: the loss's callables and the start's base_score.

        XGBoost trains on ``self.objective`` / ``self.eval_metric``: the loss's objective
        and metric (instances of the ``adapters`` classes, with ``n_threads``) stand in
        for them, and the parameters are restored whatever happens.
        """
        objective, metric = adapters
        saved = self.objective, self.eval_metric
        try:
            self.objective = objective(loss, n_threads=n_threads)
            if self.eval_metric is None:
                self.eval_metric = metric(loss, n_threads=n_threads)
            with fitting(self, FitContext(start, in_booster)):
                yield
        finally:
            self.objective, self.eval_metric = saved

    def _set_fitted(self, classes: np.ndarray, loss, start, in_booster: bool) -> None:
        """The fitted state after XGBoost's ``fit``, and the metadata in the booster."""
        self.n_classes_ = classes.shape[0]
        self._set_classes(classes)
        self.loss_ = loss
        self.init_score_ = start
        self._focal_start_in_booster = in_booster
        self._store_metadata()
