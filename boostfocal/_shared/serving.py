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

Reading needs no booster library, except for XGBoost's UBJSON format, which is read with
xgboost (the estimator packages ``boostfocal.xgboost``/``boostfocal.lightgbm`` are never
imported).
"""

from __future__ import annotations

import json
import os

import numpy as np

from .._optional import import_optional
from . import model_io as _model_io

__all__ = ["proba_from_margin", "read_metadata"]

#: The formats :func:`read_metadata` tells apart, for error messages.
_FORMATS = ("XGBoost JSON", "XGBoost UBJSON", "LightGBM text")


def _file_format(head: bytes) -> str | None:
    """Which model format a file starting with ``head`` is (None: none of them).

    XGBoost JSON and UBJSON both open an object with ``{``: JSON continues with
    whitespace, a quote or ``}``, UBJSON with a type marker. LightGBM text starts with
    its ``tree`` line.
    """
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        rest = stripped[1:].lstrip()
        return "XGBoost JSON" if rest[:1] in (b'"', b"}") else "XGBoost UBJSON"
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return "LightGBM text"
    return None


def read_metadata(model_file: str | os.PathLike) -> dict:
    """The boostfocal metadata stored in a model file, as a dict.

    Parameters
    ----------
    model_file : str or os.PathLike
        An XGBoost JSON or UBJSON file or a LightGBM text file written by a boostfocal
        estimator's ``save_model``. UBJSON is read with xgboost.

    Returns
    -------
    dict
        The metadata document (see ``boostfocal._shared.model_io``).

    Raises
    ------
    TypeError
        ``model_file`` is not a path.
    ValueError
        The file is not one of the three formats, or holds no (or too new) boostfocal
        metadata.
    ImportError
        A UBJSON file and no xgboost installed.
    """
    if not isinstance(model_file, (str, os.PathLike)):
        raise TypeError("model_file must be the path of a model file (str or os.PathLike), "
                        f"got {type(model_file).__name__}")
    path = os.fspath(model_file)
    source = f"the model file {path!r}"
    with open(path, "rb") as f:
        head = f.read(64)
    fmt = _file_format(head)
    if fmt is None:
        raise ValueError(f"model_file must be one of {_FORMATS} written by a boostfocal "
                         f"estimator's save_model; {source} is none of them")
    if fmt == "LightGBM text":
        with open(path, encoding="utf-8") as f:
            text = _model_io.lgbm_meta_from_text(f.read())
    elif fmt == "XGBoost JSON":
        with open(path, encoding="utf-8") as f:
            try:
                doc = json.load(f)
            except ValueError as exc:
                raise ValueError(f"{source} is not valid JSON: {exc}") from exc
        attributes = doc.get("learner", {}).get("attributes", {}) \
            if isinstance(doc, dict) else {}
        text = attributes.get(_model_io.META_KEY) if isinstance(attributes, dict) else None
    else:
        try:
            xgb = import_optional("xgboost", "xgboost")
        except ImportError as exc:
            raise ImportError(f"{source} is XGBoost UBJSON, which boostfocal reads with "
                              f"xgboost (JSON and LightGBM text files need nothing more): "
                              f"{exc}") from exc
        booster = xgb.Booster()
        booster.load_model(path)
        text = booster.attr(_model_io.META_KEY)
    return _model_io.loads(text, source)


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
    and no booster library are needed, except xgboost for UBJSON files.

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
        The file holds no boostfocal metadata; ``margins`` has the wrong shape for the
        model's classes or holds NaN or infinite values.

    Examples
    --------
    >>> booster = xgboost.Booster(model_file="model.json")       # doctest: +SKIP
    >>> margins = booster.predict(xgboost.DMatrix(X), output_margin=True)  # doctest: +SKIP
    >>> proba_from_margin("model.json", margins)                 # doctest: +SKIP
    """
    meta = read_metadata(model_file)
    z = _check_margins(margins, len(meta["classes"]))
    if not meta["start_in_booster"]:
        z = z + _model_io.start_from_meta(meta)
    loss = _model_io.loss_from_dict(meta["loss"])
    if meta["params"].get("focal_proba", "posterior") == "confidence":
        return loss.predict_confidence(z)
    return loss.predict_proba(z)
