"""What a boostfocal model file carries beyond the booster, and how to read it back.

The booster itself holds the starting score (XGBoost's ``base_score``, LightGBM's
first-iteration leaves), so the plain libraries predict the model's margins. Turning
margins into the estimator's outputs needs a little more, stored as one JSON document
inside the native file:

- ``classes`` (the original labels) and their dtype;
- the loss: its kind and parameters (``gamma``, the resolved ``alpha``, ``hessian``;
  GHM-C's ``bins`` and ``momentum``);
- the estimator's own parameters (``focal_*``, ``ghm_*``, and XGBoost's ``base_score``);
- the starting score and whether the booster holds it;
- boostfocal's version and the estimator's class name.

XGBoost keeps it as the booster attribute ``boostfocal`` (in JSON and UBJ files alike);
LightGBM's text format gets one line ``boostfocal:{...}`` after its parameters section,
a place LightGBM's model loader skips (its Python package reads its own
``pandas_categorical:`` line from the same tail, which stays the last line).
"""

from __future__ import annotations

import json
import numbers
from typing import Any

import numpy as np

from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss

#: Name of the XGBoost booster attribute and prefix of the LightGBM line.
META_KEY = "boostfocal"

#: Version of the metadata layout; a reader refuses a newer one.
META_FORMAT = 1

_LGBM_PREFIX = META_KEY + ":"
_PANDAS_PREFIX = "pandas_categorical:"


def _json_value(value: Any) -> Any:
    """A parameter value as JSON: arrays become lists, numpy scalars Python ones."""
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, numbers.Real)):
        return value
    raise TypeError(f"cannot store the parameter value {value!r} in a model file")


def loss_to_dict(loss) -> dict:
    """The loss's kind and parameters (``alpha`` resolved) as JSON-ready values."""
    if isinstance(loss, GHMLoss):
        return {"kind": "ghm", "bins": int(loss.bins), "momentum": float(loss.momentum)}
    kind = "focal" if isinstance(loss, FocalLoss) else "softmax_focal"
    return {"kind": kind, "gamma": float(loss.gamma), "alpha": _json_value(loss.alpha),
            "hessian": loss.hessian}


def loss_from_dict(data: dict):
    """The loss object :func:`loss_to_dict` describes."""
    kind = data.get("kind")
    if kind == "ghm":
        return GHMLoss(data["bins"], data["momentum"])
    if kind == "focal":
        return FocalLoss(data["gamma"], data["alpha"], data["hessian"])
    if kind == "softmax_focal":
        return SoftmaxFocalLoss(data["gamma"], data["alpha"], data["hessian"])
    raise ValueError(f"unknown loss kind {kind!r} in the boostfocal metadata")


def classes_to_json(classes: np.ndarray) -> tuple[list, str]:
    """The original labels and their dtype, as JSON-ready values."""
    classes = np.asarray(classes)
    if classes.dtype.kind not in "biufUO":
        raise TypeError(f"cannot store class labels of dtype {classes.dtype} in a model "
                        "file (numbers, booleans and strings can be stored)")
    values = classes.tolist()
    for v in values:
        if not isinstance(v, (str, bool, numbers.Real)):
            raise TypeError(f"cannot store the class label {v!r} in a model file "
                            "(numbers, booleans and strings can be stored)")
    return values, classes.dtype.str if classes.dtype.kind != "O" else "object"


def classes_from_json(values: list, dtype: str) -> np.ndarray:
    """The labels :func:`classes_to_json` stored, in their original dtype."""
    if dtype == "object":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values, dtype=np.dtype(dtype))


def make_metadata(estimator, params: dict, start_in_booster: bool) -> dict:
    """The metadata document of a fitted estimator.

    Parameters
    ----------
    estimator : fitted boostfocal estimator
        Must have ``classes_``, ``loss_`` and ``init_score_``.
    params : dict
        The estimator parameters to restore (``focal_*``, ``ghm_*``, ...).
    start_in_booster : bool
        Whether the booster's own raw output includes ``init_score_``.
    """
    from .. import __version__

    values, dtype = classes_to_json(estimator.classes_)
    start = np.asarray(estimator.init_score_, dtype=np.float64)
    return {
        "format": META_FORMAT,
        "boostfocal_version": __version__,
        "estimator": type(estimator).__name__,
        "classes": values,
        "classes_dtype": dtype,
        "loss": loss_to_dict(estimator.loss_),
        "params": {k: _json_value(v) for k, v in params.items()},
        "init_score": start.tolist(),
        "start_in_booster": bool(start_in_booster),
    }


def dumps(meta: dict) -> str:
    """The metadata as one line of JSON."""
    return json.dumps(meta, separators=(",", ":"), allow_nan=False)


def loads(text: str | None, source: str) -> dict:
    """Parse stored metadata; a clear error when there is none or it is too new.

    Parameters
    ----------
    text : str or None
        The stored JSON (None: the file has no boostfocal metadata).
    source : str
        What was read (for the message), e.g. the file name.
    """
    if text is None:
        raise ValueError(
            f"{source} holds no boostfocal metadata (no '{META_KEY}' entry): it was not "
            "written by a boostfocal estimator's save_model, so the class labels, the loss "
            "and its parameters and the starting score needed to rebuild the estimator's "
            "predictions are missing. Load it with the plain library instead, or save the "
            "model again with the boostfocal estimator's save_model.")
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source}: the boostfocal metadata is not valid JSON: {exc}") \
            from exc
    missing = [k for k in ("format", "classes", "classes_dtype", "loss", "params",
                           "init_score", "start_in_booster") if k not in meta]
    if missing:
        raise ValueError(f"{source}: the boostfocal metadata lacks {missing}")
    if meta["format"] > META_FORMAT:
        raise ValueError(f"{source} was written by boostfocal "
                         f"{meta.get('boostfocal_version')} with metadata format "
                         f"{meta['format']}; this boostfocal reads format {META_FORMAT}")
    return meta


def start_from_meta(meta: dict) -> float | np.ndarray:
    """The stored starting score: a float (binary) or shape (K,)."""
    start = np.asarray(meta["init_score"], dtype=np.float64)
    return float(start) if start.ndim == 0 else start


def check_estimator_kind(meta: dict, estimator, source: str, compatible: tuple[str, ...]
                         ) -> None:
    """Refuse metadata of a different loss family (focal file into a GHM estimator)."""
    kind = meta["loss"].get("kind")
    wanted = ("ghm",) if "GHM" in type(estimator).__name__ else ("focal", "softmax_focal")
    if kind not in wanted:
        raise ValueError(f"{source} holds a {meta.get('estimator')} model (loss "
                         f"{kind!r}); load it with one of {compatible}")


# ---------------------------------------------------------------------------------------
# LightGBM's text format
# ---------------------------------------------------------------------------------------

def lgbm_text_with_meta(model_str: str, meta: dict) -> str:
    """LightGBM's model text with the metadata line before ``pandas_categorical:``."""
    line = _LGBM_PREFIX + dumps(meta) + "\n"
    cut = model_str.rfind("\n" + _PANDAS_PREFIX)
    if cut < 0:
        return model_str.rstrip("\n") + "\n" + line
    return model_str[:cut + 1] + line + model_str[cut + 1:]


def lgbm_meta_from_text(model_str: str) -> str | None:
    """The stored metadata JSON of a LightGBM model text (None if there is none)."""
    tail_start = model_str.rfind("end of parameters")
    tail = model_str[tail_start:] if tail_start >= 0 else model_str
    for line in tail.splitlines():
        if line.startswith(_LGBM_PREFIX):
            return line[len(_LGBM_PREFIX):]
    return None
