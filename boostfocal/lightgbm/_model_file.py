"""``save_model`` / ``load_model`` of the boostfocal LightGBM estimators."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared import model_io as _model_io
from .._shared.classifier import FocalClassifierMixin
from . import _compat
from ._adapter import make_objective
from ._fit import _read_text

lgb = import_optional("lightgbm", "lightgbm")


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
        text = self.booster_.model_to_string(num_iteration=num_iteration)
        return _model_io.lgbm_text_with_meta(text, meta)

    def save_model(self, filename, num_iteration: int | None = None) -> None:
        """Save the model to a LightGBM text file that holds the whole model.

        Plain ``lightgbm.Booster(model_file=filename).predict(X, raw_score=True)``
        returns :meth:`decision_function`'s margins (the start lives in the first
        iteration's leaves); a ``boostfocal:`` line after LightGBM's parameters section
        holds the classes, the loss and its parameters for :meth:`load_model`.

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
        ``init_score_`` and the loss parameters. A LightGBM file without boostfocal
        metadata raises a ``ValueError`` saying what is missing, and the estimator is
        left unchanged.

        Parameters
        ----------
        filename : str or os.PathLike
            A LightGBM text model file.
        """
        source = f"the model {filename!r}"
        text = _read_text(filename)
        meta = _model_io.loads(_model_io.lgbm_meta_from_text(text), source)
        if meta["loss"].get("kind") not in self._loss_kinds:
            raise ValueError(f"{source} holds a {meta.get('estimator')} model (loss "
                             f"{meta['loss'].get('kind')!r}), which "
                             f"{type(self).__name__} cannot restore")
        booster = lgb.Booster(model_str=text)
        classes = _model_io.classes_from_json(meta["classes"], meta["classes_dtype"])
        for name, value in meta["params"].items():
            setattr(self, name, value)
        self.loss_ = _model_io.loss_from_dict(meta["loss"])
        self.init_score_ = _model_io.start_from_meta(meta)
        self._restore_fitted(booster, classes)

    def _restore_fitted(self, booster, classes: np.ndarray) -> None:
        """The fitted state of ``LGBMClassifier`` around a loaded booster."""
        _compat.set_fitted_booster(self, booster)
        _compat.set_fitted_labels(self, classes)
        _compat.set_fitted_objective(self, make_objective(self.loss_))
        self._focal_start_in_booster = True
