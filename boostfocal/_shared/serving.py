"""``predict_proba`` from a model file and the margins a plain library computed.

A boostfocal model file is a standard XGBoost or LightGBM file whose objective is the
standard one (``binary:logistic``/``multi:softprob``, LightGBM ``binary``/``multiclass``),
so every consumer that reads it without boostfocal (plain ``Booster.predict``, treelite,
onnxmltools, MLflow's booster flavors, model servers) returns the sigmoid/softmax of the
margins: the focal *confidence*, not the class posterior. :func:`proba_from_margin` turns
such margins into the estimator's ``predict_proba`` with nothing but the file: the loss
and its parameters, ``focal_proba``, the classes and the starting score are in its
boostfocal metadata (``boostfocal._shared.model_io``). ``docs/portable_posterior.py``
is the same map in plain numpy, to port to other languages; ``docs/serving.md`` gives
the math.

Reading needs no booster library, XGBoost's UBJSON format included (boostfocal parses
it; the estimator packages ``boostfocal.xgboost``/``boostfocal.lightgbm`` are never
imported). The file is checked as the estimators' ``load_model`` checks it
(``boostfocal._shared.model_files``, ``boostfocal._shared.model_io``), so a file is refused
the same way everywhere.
"""

from __future__ import annotations

import os

import numpy as np

from . import model_files as _model_files
from . import model_io as _model_io

__all__ = ["proba_from_margin", "read_metadata"]

def _stored_model(model_file: str | os.PathLike) -> _model_io.StoredModel:
    """A model file's boostfocal metadata, checked as ``load_model`` checks it."""
    if not isinstance(model_file, (str, os.PathLike)):
        raise TypeError("model_file must be the path of a model file (str or os.PathLike), "
                        f"got {type(model_file).__name__}")
    source = _model_files.describe(model_file)
    data = _model_files.read_model_bytes(model_file, "model_file")
    fmt = _model_files.check_format(data, source, _model_files.FORMATS, {})
    if fmt == _model_files.LGBM_TEXT:
        text = _model_files.lightgbm_text(data, source)
        header = _model_files.lightgbm_header(text)
        return _model_io.check_metadata(
            _model_io.lgbm_meta_from_text(text), source,
            n_outputs=_model_files.lightgbm_outputs(header, source))
    doc = _model_files.xgboost_document(data, fmt, source)
    learner = _model_files.xgboost_learner(doc, source)
    stored = _model_io.check_metadata(
        _model_files.xgboost_attribute(doc, _model_io.META_KEY), source,
        n_outputs=learner.n_outputs, booster_params=("base_score",))
    _model_io.check_xgboost_start(learner, stored, source)
    return stored


def read_metadata(model_file: str | os.PathLike) -> dict:
    """The boostfocal metadata stored in a model file, as a dict.

    The file is checked as the estimators' ``load_model`` checks it: its format, and
    its metadata against the schema and against the booster (the classes as many as
    its outputs, the start of its shape and, for XGBoost, equal to its ``base_score``).
    No booster library is needed: XGBoost's UBJSON is parsed by boostfocal. The trees
    are not read.

    Parameters
    ----------
    model_file : str or os.PathLike
        An XGBoost JSON or UBJSON file or a LightGBM text file written by a boostfocal
        estimator's ``save_model``.

    Returns
    -------
    dict
        The metadata document (see ``boostfocal._shared.model_io``).

    Raises
    ------
    TypeError
        ``model_file`` is not a path.
    ValueError
        The file is not one of the three formats, or holds no, too new or inconsistent
        boostfocal metadata.
    """
    return _stored_model(model_file).meta


def _check_margins(margins, n_classes: int) -> np.ndarray:
    """The margins as float64 of shape (n,) (two classes) or (n, K); errors name them."""
    arr = np.asarray(margins)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"margins must be an array of numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if n_classes == 2:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError("margins must have shape (n,) or (n, 1) for this two-class "
                             "model (Booster.predict(output_margin=True) / "
                             f"predict(raw_score=True)), got shape {arr.shape}")
    elif arr.ndim != 2 or arr.shape[1] != n_classes:
        raise ValueError(f"margins must have shape (n, {n_classes}) for this "
                         f"{n_classes}-class model (one column per class), got shape "
                         f"{arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("margins contains NaN or infinite values")
    return arr


def proba_from_margin(model_file: str | os.PathLike, margins) -> np.ndarray:
    """The estimator's ``predict_proba`` from a model file and plain-library margins.

    Plain XGBoost and LightGBM, treelite and exporters of the raw booster read a
    boostfocal model file's standard link, so their probabilities are the focal
    *confidence* (the sigmoid/softmax of the margin), not the class posterior. Given the
    raw margins they compute, this returns what the boostfocal estimator's
    ``predict_proba`` returns, using only the file's boostfocal metadata: the loss and
    its parameters (``alpha`` resolved), ``focal_proba``, the classes and the starting
    score (added to the margins where the booster does not hold it). No estimator class
    and no booster library are needed.

    Parameters
    ----------
    model_file : str or os.PathLike
        An XGBoost JSON or UBJSON file or a LightGBM text file written by a boostfocal
        estimator's ``save_model``.
    margins : array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes
        Raw margins as the plain library gives them: XGBoost
        ``Booster.predict(DMatrix(X), output_margin=True)``, LightGBM
        ``Booster.predict(X, raw_score=True)``, treelite
        ``gtil.predict(model, X, pred_margin=True)`` (float32 is fine).

    Returns
    -------
    ndarray of shape (n, K), float64
        Class probabilities in the order of the stored classes (the estimator's
        ``classes_``): the posterior, or the confidence for a model trained with
        ``focal_proba="confidence"``; GHM-C: the sigmoid of the margin.

    Raises
    ------
    TypeError
        ``model_file`` is not a path, or ``margins`` is not numeric.
    ValueError
        The file is not a boostfocal model file or holds no, too new or inconsistent
        boostfocal metadata (as :func:`read_metadata`); ``margins`` has the wrong shape
        for the model's classes or holds NaN or infinite values.

    Examples
    --------
    >>> booster = xgboost.Booster(model_file="model.json")       # doctest: +SKIP
    >>> margins = booster.predict(xgboost.DMatrix(X), output_margin=True)  # doctest: +SKIP
    >>> proba_from_margin("model.json", margins)                 # doctest: +SKIP
    """
    stored = _stored_model(model_file)
    z = _check_margins(margins, stored.classes.shape[0])
    if not stored.start_in_booster:
        z = z + stored.start
    if stored.params.get("focal_proba", "posterior") == "confidence":
        return stored.loss.predict_confidence(z)
    return stored.loss.predict_proba(z)
