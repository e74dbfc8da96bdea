"""``save_model`` / ``load_model`` of the boostfocal LightGBM estimators."""

from __future__ import annotations

import re

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared import model_files as _model_files
from .._shared import model_io as _model_io
from .._shared.classifier import FocalClassifierMixin
from . import _compat
from ._adapter import make_objective
from ._tree_check import check_lightgbm_text

lgb = import_optional("lightgbm", "lightgbm")

#: The header line after which LightGBM writes its ``objective=`` line.
_HEADER_BEFORE_OBJECTIVE = "max_feature_idx="


def standard_objective(n_classes: int) -> tuple[str, str]:
    """The objective a LightGBM file of ``n_classes`` classes states: its link.

    Returns the header line (``objective=binary sigmoid:1`` or
    ``objective=multiclass num_class:K``, as LightGBM's own binary and multiclass files
    say) and the name for the parameters section.
    """
    if n_classes == 2:
        return "objective=binary sigmoid:1", "binary"
    return f"objective=multiclass num_class:{n_classes}", "multiclass"


def state_link(model_str: str, n_classes: int) -> str:
    """LightGBM model text that states the sigmoid/softmax link of its raw scores.

    A booster trained with a custom objective writes no ``objective=`` line and
    ``[objective: custom]`` in its parameters, so plain ``lightgbm.Booster.predict``
    returns raw margins and exporters (onnxmltools, treelite) refuse or misread the
    file. This writes the lines LightGBM's own binary and multiclass models carry; the
    trees, the start in their leaves and every other line are unchanged. Plain
    LightGBM then predicts the sigmoid/softmax of the margins: the focal *confidence*,
    not the boostfocal posterior (see :meth:`LGBMModelFileMixin.save_model`).
    """
    line, name = standard_objective(n_classes)
    header_end = model_str.find("\n\n")
    header = model_str[:header_end] if header_end >= 0 else model_str
    rows = [r for r in header.split("\n") if not r.startswith("objective=")]
    at = next((i for i, r in enumerate(rows) if r.startswith(_HEADER_BEFORE_OBJECTIVE)),
              len(rows) - 1)
    rows.insert(at + 1, line)
    text = "\n".join(rows) + (model_str[header_end:] if header_end >= 0 else "")
    return re.sub(r"^\[objective: [^\]\n]*\]$", f"[objective: {name}]", text, count=1,
                  flags=re.MULTILINE)


def check_objective(objective: str | None, n_classes: int, source: str) -> None:
    """The ``objective=`` line of a boostfocal LightGBM file agrees with its classes.

    A boostfocal file states the link of its raw scores (:func:`standard_objective`):
    ``binary sigmoid:1`` or ``multiclass num_class:K``; files written before that line
    existed have none.
    """
    if objective is None:
        return
    parts = objective.split(" ")
    if n_classes == 2:
        ok = parts[0] == "binary"
    else:
        ok = parts[0] in ("multiclass", "multiclassova") and f"num_class:{n_classes}" in parts
    if not ok:
        raise _model_files.refusal(
            source, f"has the objective {_model_files.quote(objective)}, but its boostfocal "
                    f"metadata has {n_classes} classes ({standard_objective(n_classes)[0]})")


class LGBMModelFileMixin(FocalClassifierMixin):
    """``save_model`` / ``load_model`` of the boostfocal LightGBM estimators.

    The booster's first iteration holds the starting score, so LightGBM's own raw scores
    are the model's margins; the text file gets one extra line with the metadata that
    rebuilds the estimator (classes, loss, parameters; see ``boostfocal._shared.model_io``).
    """

    def model_to_string(self, num_iteration: int | None = None) -> str:
        """The model as LightGBM text, with the boostfocal metadata line.

        Parameters
        ----------
        num_iteration : int, default=None
            As in ``lightgbm.Booster.model_to_string``: the best iteration if early
            stopping found one, else all.

        Returns
        -------
        str
        """
        check_is_fitted(self, "loss_")
        params = {name: getattr(self, name) for name in self._loss_params}
        meta = _model_io.make_metadata(self, params, True)
        text = state_link(self.booster_.model_to_string(num_iteration=num_iteration),
                          len(self.classes_))
        return _model_io.lgbm_text_with_meta(text, meta)

    def save_model(self, filename, num_iteration: int | None = None) -> None:
        """Save the model to a LightGBM text file that holds the whole model.

        Plain ``lightgbm.Booster(model_file=filename).predict(X, raw_score=True)``
        returns :meth:`decision_function`'s margins (the start lives in the first
        iteration's leaves); a ``boostfocal:`` line after LightGBM's parameters section
        holds the classes, the loss and its parameters for :meth:`load_model`.

        **Probabilities from the file are the confidence.** The file states LightGBM's
        standard link (``binary`` / ``multiclass``), so plain ``Booster.predict(X)``,
        treelite, onnxmltools and MLflow's LightGBM booster flavor return the
        sigmoid/softmax of the margins: for a focal model that is the focal confidence,
        not the class posterior :meth:`predict_proba` returns (for GHM-C, or
        ``focal_proba="confidence"``, the two are the same). To serve
        :meth:`predict_proba`'s numbers, take their margins (``raw_score=True``, treelite
        ``pred_margin=True``) and apply ``boostfocal.proba_from_margin(filename,
        margins)``, export with ``boostfocal.onnx.to_onnx``, or load the file with this
        estimator's :meth:`load_model`. ``docs/serving.md`` gives the map for other
        languages.

        Parameters
        ----------
        filename : str or os.PathLike
            The file to write.
        num_iteration : int, default=None
            Iterations to save: the best iteration if early stopping found one, else all
            (``lightgbm.Booster.save_model``'s default).
        """
        text = self.model_to_string(num_iteration=num_iteration)
        with open(filename, "w", encoding="utf-8") as f:
            f.write(text)

    def load_model(self, filename) -> None:
        """Load a model saved by a boostfocal estimator's :meth:`save_model`.

        ``Cls().load_model(filename)`` restores the booster, ``classes_``, ``loss_``,
        ``init_score_`` and the loss parameters.

        **All or nothing.** The file is read and checked whole before anything changes:
        its format, its trees (see below), and its boostfocal metadata against a schema
        and against the booster (known keys only, sizes bounded, the loss through its
        own validation, ``params`` limited to the loss parameters, the classes as many
        as the booster's outputs, the start finite and of the booster's shape). The new
        booster and state are built aside and swapped in at the end. A refused file
        raises a short ``ValueError`` naming the file and what is wrong (a
        ``TypeError`` for an argument that is not a path), and leaves the estimator
        exactly as it was, fitted or not. A LightGBM file without boostfocal metadata is
        refused the same way, saying what is missing.

        **Model files are untrusted input, up to a point.** Before LightGBM parses the
        text, its trees are checked where a corrupted file would abort or hang the
        process: every array of the count LightGBM expects, split feature indices up to
        ``max_feature_idx``, child indices inside their tree and forming a tree,
        ``tree_sizes`` landing on the trees, the tree count a multiple of the classes
        (``boostfocal.lightgbm._tree_check``). Everything else in a tree body is
        LightGBM's own parser's business: treat model files like any model artifact,
        and do not load one you would not run.

        Parameters
        ----------
        filename : str or os.PathLike
            A LightGBM text model file.

        Raises
        ------
        ValueError
            The file is not a boostfocal LightGBM model this release restores exactly.
        TypeError
            ``filename`` is not a path.
        """
        source = _model_files.describe(filename)
        data = _model_files.read_model_bytes(filename, "filename")
        xgb_estimator = _model_io.estimator_for(self._loss_kinds[0], "xgboost")
        _model_files.check_format(data, source, (_model_files.LGBM_TEXT,),
                                  {_model_files.XGB_JSON: xgb_estimator,
                                   _model_files.XGB_UBJSON: xgb_estimator})
        text = _model_files.lightgbm_text(data, source)
        info = check_lightgbm_text(text, source)
        stored = _model_io.check_metadata(
            _model_io.lgbm_meta_from_text(text), source, n_outputs=info.n_outputs,
            loss_kinds=self._loss_kinds, estimator=type(self).__name__, backend="lightgbm")
        if not stored.start_in_booster:
            raise _model_files.refusal(
                source, "has start_in_booster false in its boostfocal metadata, but a "
                        "LightGBM file holds the start in its first iteration's leaves")
        check_objective(info.objective, stored.classes.shape[0], source)
        try:
            booster = lgb.Booster(model_str=text)
        except (lgb.basic.LightGBMError, ValueError) as exc:  # ValueError: its JSON
            raise _model_files.refusal(
                source, f"is refused by LightGBM: {_model_files.quote(str(exc), 200)}") \
                from None
        # Everything is checked: build the new state on a copy, then swap it in.
        shadow = object.__new__(type(self))
        shadow.__dict__.update(self.__dict__)
        for name, value in stored.params.items():
            setattr(shadow, name, value)
        shadow.loss_ = stored.loss
        shadow.init_score_ = stored.start
        shadow._restore_fitted(booster, stored.classes)
        self.__dict__.clear()
        self.__dict__.update(shadow.__dict__)

    def _restore_fitted(self, booster, classes: np.ndarray) -> None:
        """The fitted state of ``LGBMClassifier`` around a loaded booster."""
        _compat.set_fitted_booster(self, booster)
        _compat.set_fitted_labels(self, classes)
        _compat.set_fitted_objective(self, make_objective(self.loss_))
        self._focal_start_in_booster = True
