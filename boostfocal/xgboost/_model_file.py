"""The starting score inside an XGBoost booster, and ``save_model`` / ``load_model``."""

from __future__ import annotations

import json
import numbers
import re
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared import model_files as _model_files
from .._shared import model_io as _model_io
from .._shared.classifier import FocalClassifierMixin, constant_margin
from ._adapter import _FocalMetric
from ._compat import ESTIMATOR_TYPE, XGB_VECTOR_BASE_SCORE
from ._tree_check import check_xgboost_document

xgb = import_optional("xgboost", "xgboost")

#: ``min_child_weight`` handed to the booster when the user leaves it at ``None``.
#: XGBoost's default, 1, is a minimum *sum of Hessians* per leaf, and focal Hessians of
#: easy examples are 10 to 1000 times smaller than logistic ones; see the class docstring
#: and ``benchmarks/xgb_defaults.py`` for the measurements behind this value.
FOCAL_MIN_CHILD_WEIGHT = 0.01

#: The only value the ``objective`` parameter may hold: the focal loss is the objective.
DEFAULT_OBJECTIVE = "binary:logistic"


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
        return float(1.0 / (1.0 + np.exp(-float(start))))
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
    off = np.asarray(offset, dtype=np.float64)
    if base.ndim == 1 and off.ndim == 2 and off.shape[1] == 1:
        off = off[:, 0]
    if off.shape != base.shape:
        raise ValueError(f"{name} must have shape {base.shape} (one offset per row"
                         f"{'' if base.ndim == 1 else ' and class'}), got {off.shape}")
    if not np.all(np.isfinite(off)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return base + off


def focal_xgb_params(estimator, params: dict, loss_params: tuple[str, ...]) -> dict:
    """Booster parameters of a boostfocal XGBoost estimator (in memory or Dask).

    The loss parameters, ``scale_pos_weight`` and the user's ``base_score`` never reach
    XGBoost; while ``fit`` runs, ``base_score`` is the starting score in XGBoost's
    convention (:func:`booster_base_score`), or a margin of 0 where the start is a per-row
    base margin (see :func:`start_in_booster`), so that the booster adds nothing to it.
    ``min_child_weight=None`` becomes ``FOCAL_MIN_CHILD_WEIGHT`` for tree boosters, and
    without a user ``eval_metric`` XGBoost's default metric is disabled.
    """
    for name in (*loss_params, "scale_pos_weight", "base_score"):
        params.pop(name, None)
    base_score = estimator.__dict__.get("_focal_fit_base_score")
    if base_score is not None:
        params["base_score"] = base_score
    if params.get("min_child_weight") is None and params.get("booster") != "gblinear":
        params["min_child_weight"] = FOCAL_MIN_CHILD_WEIGHT
    if estimator.eval_metric is None or isinstance(estimator.eval_metric, _FocalMetric):
        params.setdefault("disable_default_eval_metric", 1)
    return params


class XGBModelFileMixin(FocalClassifierMixin):
    """``save_model`` / ``load_model`` of the boostfocal XGBoost estimators.

    It is also :class:`~boostfocal._shared.classifier.FocalClassifierMixin` (XGBoost's
    ``get_params`` skips at most one mixin before the ``XGBModel`` class).

    The booster holds the starting score (``base_score``) and, as the booster attribute
    ``boostfocal``, the metadata that rebuilds the estimator (classes, loss, parameters;
    see ``boostfocal._shared.model_io``). A subclass sets ``_loss_params`` and
    ``_loss_kinds`` and stores its original labels with ``_set_classes``.
    """

    _estimator_type = ESTIMATOR_TYPE

    def _set_classes(self, classes: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _booster_holds_start(self) -> bool:
        return self.__dict__.get("_focal_start_in_booster", False)

    def _store_metadata(self) -> None:
        params = {name: getattr(self, name) for name in (*self._loss_params, "base_score")}
        meta = _model_io.make_metadata(self, params, self._booster_holds_start())
        self.get_booster().set_attr(**{_model_io.META_KEY: _model_io.dumps(meta)})

    def _file_booster(self):
        """The booster ``save_model`` writes: cut at the best iteration after early stopping.

        XGBoost's early stopping keeps every tree, and the estimator predicts with the
        first ``best_iteration + 1`` rounds; the file holds those rounds only, so that
        plain XGBoost, treelite and exporters of the raw booster predict the estimator's
        margins. The cut keeps the ``boostfocal`` attribute, the feature names and types
        and ``base_score``; like XGBoost's own slicing it drops ``best_iteration`` and
        ``best_score``: kept, they would make a model trained further from the file
        predict with the first ``best_iteration + 1`` rounds only. ``gblinear`` cannot
        be sliced and is saved whole.
        """
        booster = self.get_booster()
        best = booster.attr("best_iteration")
        if best is None or int(best) + 1 >= booster.num_boosted_rounds():
            return booster
        try:
            cut = booster[: int(best) + 1]
        except xgb.core.XGBoostError:  # gblinear: "Slice is not supported"
            return booster
        cut.feature_names = booster.feature_names
        cut.feature_types = booster.feature_types
        return cut

    def save_model(self, fname) -> None:
        """Save the model to an XGBoost JSON (``.json``) or UBJSON (``.ubj``) file.

        The file is the whole model: the booster carries the starting score, so plain
        ``xgboost.Booster().load_model(fname)`` predicts the margins of
        :meth:`decision_function` (``output_margin=True``), and the booster attribute
        ``boostfocal`` carries the classes, the loss and its parameters, which
        :meth:`load_model` restores.

        **After early stopping** the file holds the rounds the estimator predicts with,
        ``best_iteration + 1`` of them (the booster cut with ``booster[:best_iteration +
        1]``, keeping the feature names and types and ``base_score``, and, as XGBoost's
        slicing does, without ``best_iteration``/``best_score``, which would now name
        its last round): plain ``Booster.predict``, treelite and exporters of the raw
        booster then give :meth:`decision_function`'s margins, and training continued
        from the file (``fit(xgb_model=fname)``) continues from the best iteration. The
        estimator in memory keeps every tree. (``gblinear``, which XGBoost cannot
        slice, is saved whole.)

        **Probabilities from the file are the confidence.** The file's objective is
        XGBoost's standard ``binary:logistic`` / ``multi:softprob``, so plain
        ``Booster.predict`` and ``XGBClassifier.predict_proba``, treelite, onnxmltools and
        MLflow's XGBoost booster flavor return the sigmoid/softmax of the margins: for a
        focal model that is the focal confidence, not the class posterior
        :meth:`predict_proba` returns (for GHM-C, or ``focal_proba="confidence"``, the two
        are the same). To serve :meth:`predict_proba`'s numbers, take their margins
        (``output_margin=True``, treelite ``pred_margin=True``) and apply
        ``boostfocal.proba_from_margin(fname, margins)``, export with
        ``boostfocal.onnx.to_onnx``, or load the file with this estimator's
        :meth:`load_model`. ``docs/serving.md`` gives the map for other languages.

        Parameters
        ----------
        fname : str or os.PathLike
            The file to write (its extension chooses the format, as in XGBoost).
        """
        check_is_fitted(self, "loss_")
        self._store_metadata()
        if not self._booster_holds_start():
            warnings.warn(
                f"XGBoost {xgb.__version__}'s base_score cannot hold this model's starting "
                "score (a per-class start needs XGBoost >= 3.1; a binary start beyond "
                "about +-16 is a probability of 0 or 1 in float32): plain XGBoost margins "
                "from this file omit init_score_ "
                f"({np.asarray(self.init_score_).tolist()}); add it, or load the file with "
                f"{type(self).__name__}().load_model, which restores it.",
                UserWarning, stacklevel=2)
        # The booster's own save_model: XGBModel.save_model adds a "scikit_learn"
        # attribute through XGBModel._get_type (see ESTIMATOR_TYPE in _compat); the
        # boostfocal attribute says more than it anyway.
        self._file_booster().save_model(fname)

    def load_model(self, fname) -> None:
        """Load a model saved by a boostfocal estimator's :meth:`save_model`.

        ``Cls().load_model(fname)`` restores ``classes_``, ``loss_``, ``init_score_`` and
        the loss parameters, so that ``predict_proba``, ``predict`` and
        ``decision_function`` equal the saved estimator's.

        **All or nothing.** The file is read and checked whole before anything changes:
        its format, its trees (see below), and its boostfocal metadata against a schema
        and against the booster (known keys only, sizes bounded, the loss through its
        own validation, ``params`` limited to the loss parameters and ``base_score``,
        the classes as many as the booster's outputs, the start finite, of the
        booster's shape and equal to its ``base_score``). The new booster and state are
        built aside and swapped in at the end. A refused file raises a short
        ``ValueError`` naming the file and what is wrong (a ``TypeError`` for an
        argument that is not a path or contents), and leaves the estimator exactly as
        it was, fitted or not. A file without boostfocal metadata (written by plain
        XGBoost) is refused the same way, saying what is missing.

        **Model files are untrusted input, up to a point.** Before XGBoost reads the
        file, its trees are checked where a corrupted file would crash the process:
        split feature indices below the number of features, child indices inside their
        tree and forming a tree, the tree count agreeing with the classes and parallel
        trees (``boostfocal.xgboost._tree_check``). UBJSON is parsed by boostfocal for
        these checks. Everything else in a tree body is XGBoost's own parser's
        business: treat model files like any model artifact, and do not load one you
        would not run.

        Parameters
        ----------
        fname : str, os.PathLike, bytes or bytearray
            The model file (JSON or UBJSON), or its contents.

        Raises
        ------
        ValueError
            The file is not a boostfocal XGBoost model this release restores exactly.
        TypeError
            ``fname`` is not a path or the file's contents.
        """
        source = _model_files.describe(fname)
        data = _model_files.read_model_bytes(fname, "fname", allow_contents=True)
        fmt = _model_files.check_format(
            data, source, (_model_files.XGB_JSON, _model_files.XGB_UBJSON),
            {_model_files.LGBM_TEXT: _model_io.estimator_for(self._loss_kinds[0],
                                                             "lightgbm")})
        doc = _model_files.xgboost_document(data, fmt, source)
        info = check_xgboost_document(doc, source)
        stored = _model_io.check_metadata(
            _model_files.xgboost_attribute(doc, _model_io.META_KEY), source,
            n_outputs=info.n_outputs, booster_params=("base_score",),
            loss_kinds=self._loss_kinds, estimator=type(self).__name__, backend="xgboost")
        _model_io.check_xgboost_start(info, stored, source)
        check_sklearn_attribute(_model_files.xgboost_attribute(doc, "scikit_learn"), source)

        # Everything is checked: build the new state on a copy, then swap it in.
        shadow = object.__new__(type(self))
        shadow.__dict__.update(self.__dict__)
        shadow.__dict__.pop("_Booster", None)  # XGBModel.load_model makes a new one
        try:
            super(XGBModelFileMixin, shadow).load_model(bytearray(data))
        except xgb.core.XGBoostError as exc:
            raise _model_files.refusal(
                source, f"is refused by XGBoost: {xgboost_message(exc)}") from None
        # Plain attributes, not set_params: XGBModel.set_params would push them into the
        # loaded booster (objective "binary:logistic" on a multiclass booster breaks it).
        for name, value in stored.params.items():
            setattr(shadow, name, value)
        shadow.objective = DEFAULT_OBJECTIVE
        shadow.loss_ = stored.loss
        shadow.init_score_ = stored.start
        shadow._focal_start_in_booster = stored.start_in_booster
        shadow.n_classes_ = stored.classes.shape[0]
        shadow._set_classes(stored.classes)
        self.__dict__.clear()
        self.__dict__.update(shadow.__dict__)


def xgboost_message(exc: Exception) -> str:
    """The first line of an XGBoost error, without its time stamp and source path."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _model_files.quote(re.sub(r"^\[[\d:]+\] [^ ]+: ", "", text), 200)


def check_sklearn_attribute(value, source: str) -> None:
    """XGBoost's own ``scikit_learn`` attribute, which ``XGBModel.load_model`` parses."""
    if value is None:
        return
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict) or parsed.get("_estimator_type", "classifier") != \
            "classifier":
        raise _model_files.refusal(
            source, f"has a scikit_learn attribute {_model_files.quote(value)} that is not "
                    "a classifier's")
