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

import inspect
import json
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import is_balanced
from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss
from .model_files import XGBLearner, quote, refusal

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


# ---------------------------------------------------------------------------------------
# Reading the metadata back: one schema, checked against the booster
# ---------------------------------------------------------------------------------------

#: The longest metadata document read back (characters of JSON). A model file's
#: metadata is a few hundred characters, plus the class labels.
MAX_META_CHARS = 1_000_000

#: The most classes a model file may hold.
MAX_CLASSES = 10_000

#: The longest class label (characters), and the longest of the metadata's other strings.
MAX_LABEL_CHARS = 256
MAX_NAME_CHARS = 64

#: The most GHM-C bins a model file may state.
MAX_GHM_BINS = 1_000_000

#: Every loss kind, and the estimator parameters that go with each family.
LOSS_KINDS = ("focal", "softmax_focal", "ghm")
_LOSS_KEYS = {"focal": ("kind", "gamma", "alpha", "hessian"),
              "softmax_focal": ("kind", "gamma", "alpha", "hessian"),
              "ghm": ("kind", "bins", "momentum")}
#: The estimator of each backend that restores a loss family (for refusals' hints).
ESTIMATORS = {"xgboost": {"focal": "FocalXGBClassifier", "ghm": "GHMXGBClassifier"},
              "lightgbm": {"focal": "FocalLGBMClassifier", "ghm": "GHMLGBMClassifier"}}


def estimator_for(kind: str, backend: str) -> str:
    """The boostfocal estimator of ``backend`` that restores a loss of ``kind``."""
    return ESTIMATORS[backend]["ghm" if kind == "ghm" else "focal"]


_REQUIRED = ("format", "classes", "classes_dtype", "loss", "params", "init_score",
             "start_in_booster")
_OPTIONAL = ("boostfocal_version", "estimator")


@dataclass(frozen=True)
class StoredModel:
    """What a model file's metadata restores, checked (see :func:`check_metadata`).

    Attributes
    ----------
    classes : ndarray of shape (K,)
        The original labels, in their stored dtype.
    loss : FocalLoss, SoftmaxFocalLoss or GHMLoss
        The fitted loss (``alpha`` resolved).
    start : float or ndarray of shape (K,)
        The starting score.
    start_in_booster : bool
        Whether the booster's own margins include ``start``.
    params : dict
        Every estimator parameter of the loss family (``focal_*`` or ``ghm_*``, plus
        the booster's own, e.g. XGBoost's ``base_score``); those the file leaves out
        have their constructor defaults.
    estimator : str or None
        The class name of the estimator that saved the file.
    meta : dict
        The metadata document itself.
    """

    classes: np.ndarray
    loss: FocalLoss | SoftmaxFocalLoss | GHMLoss
    start: float | np.ndarray
    start_in_booster: bool
    params: dict
    estimator: str | None
    meta: dict


def _family_defaults(kind: str) -> dict:
    """The constructor defaults of a loss family's estimator parameters."""
    from .classifier import FocalLossMixin, GHMLossMixin

    mixin = GHMLossMixin if kind == "ghm" else FocalLossMixin
    return {name: p.default for name, p in
            inspect.signature(mixin.__init__).parameters.items()
            if name in mixin._loss_params}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class _Reader:
    """The checks of one metadata document; every refusal names the file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, what: str) -> ValueError:
        return refusal(self.source, what)

    def short_string(self, value: Any, what: str, limit: int = MAX_NAME_CHARS) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise self.fail(f"has boostfocal metadata whose {what} is {quote(value)}, not "
                            f"a string of at most {limit} characters")
        return value

    def document(self, text: Any) -> dict:
        if not isinstance(text, str):
            raise self.fail(f"has a boostfocal entry of type {type(text).__name__}, not "
                            "the JSON text boostfocal writes")
        if len(text) > MAX_META_CHARS:
            raise self.fail(f"has boostfocal metadata of {len(text)} characters; model "
                            f"files hold at most {MAX_META_CHARS}")
        try:
            meta = json.loads(text)
        except RecursionError:
            raise self.fail("has boostfocal metadata nested too deeply") from None
        except ValueError as exc:
            raise self.fail(f"has boostfocal metadata that is not valid JSON "
                            f"({quote(getattr(exc, 'msg', str(exc)), 80)})") from None
        if not isinstance(meta, dict):
            raise self.fail(f"has boostfocal metadata of type {type(meta).__name__}, not "
                            "a JSON object")
        unknown = [k for k in meta if k not in _REQUIRED + _OPTIONAL]
        if unknown:
            raise self.fail(f"has boostfocal metadata with unknown keys "
                            f"{quote(unknown[:5])}; known: {_REQUIRED + _OPTIONAL}")
        missing = [k for k in _REQUIRED if k not in meta]
        if missing:
            raise self.fail(f"has boostfocal metadata that lacks {missing}")
        fmt = meta["format"]
        if not _is_int(fmt):
            raise self.fail(f"has boostfocal metadata format {quote(fmt)}, not an integer")
        for key in _OPTIONAL:
            if key in meta:
                self.short_string(meta[key], key)
        if fmt > META_FORMAT:
            version = meta.get("boostfocal_version", "a newer version")
            raise self.fail(f"was written by boostfocal {version} with metadata format {fmt}; "
                            f"this boostfocal reads format {META_FORMAT}: upgrade boostfocal")
        if fmt != META_FORMAT:
            raise self.fail(f"has boostfocal metadata format {fmt}; this boostfocal reads "
                            f"format {META_FORMAT}")
        if not isinstance(meta["start_in_booster"], bool):
            raise self.fail(f"has start_in_booster = {quote(meta['start_in_booster'])} in its "
                            "boostfocal metadata, not true or false")
        return meta

    def classes(self, values: Any, dtype_text: Any, n_classes: int) -> np.ndarray:
        if not isinstance(values, list):
            raise self.fail(f"has classes of type {type(values).__name__} in its boostfocal "
                            "metadata, not a list")
        # The count first, so that a million labels are refused before any is looked at.
        if len(values) != n_classes:
            noun = "class" if len(values) == 1 else "classes"
            raise self.fail(f"has {len(values)} {noun} in its boostfocal metadata, but its "
                            f"booster gives {self.outputs_text(n_classes)}: they must match")
        dtype_text = self.short_string(dtype_text, "classes_dtype", 16)
        if dtype_text == "object":
            dtype = None
        else:
            try:
                dtype = np.dtype(dtype_text)
            except (TypeError, ValueError):
                dtype = None
            if dtype is None or dtype.kind not in "biufU" or dtype.fields is not None or (
                    dtype.kind == "U" and dtype.itemsize // 4 > MAX_LABEL_CHARS):
                raise self.fail(f"has classes_dtype {quote(dtype_text)} in its boostfocal "
                                "metadata; labels are stored as bool, int, uint, float, str "
                                f"(at most {MAX_LABEL_CHARS} characters) or 'object'")
        kind = "O" if dtype is None else dtype.kind
        self.labels(values, kind, dtype)
        if len(set(values)) != len(values):
            raise self.fail(f"has duplicate class labels in its boostfocal metadata "
                            f"({quote(values)})")
        return classes_from_json(values, dtype_text)

    def labels(self, values: list, kind: str, dtype: np.dtype | None) -> None:
        """Every label of a supported type, of ``dtype``'s kind, stored without loss."""
        def bad(v: Any, why: str) -> ValueError:
            return self.fail(f"has the class label {quote(v)} in its boostfocal metadata: "
                             f"{why}")
        strs = [isinstance(v, str) for v in values]
        bools = [isinstance(v, bool) for v in values]
        for v in values:
            if isinstance(v, str):
                if len(v) > MAX_LABEL_CHARS:
                    raise bad(v, f"labels have at most {MAX_LABEL_CHARS} characters")
            elif not isinstance(v, (bool, int, float)):
                raise bad(v, "labels are numbers, booleans or strings")
            elif isinstance(v, float) and not np.isfinite(v):
                raise bad(v, "labels are finite")
        if kind == "O":
            if not (all(strs) or all(bools) or not any(strs) and not any(bools)):
                raise self.fail("has class labels of mixed types in its boostfocal metadata "
                                f"({quote(values)}): all strings, all booleans or all "
                                "numbers")
            return
        wanted = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float), "U": (str,)}
        for v in values:
            if not isinstance(v, wanted[kind]) or (kind != "b" and isinstance(v, bool)):
                raise bad(v, f"classes_dtype {dtype.str!r} holds "
                             f"{'/'.join(t.__name__ for t in wanted[kind])} labels")
        if kind in "iu":
            info = np.iinfo(dtype)
            for v in values:
                if not info.min <= v <= info.max:
                    raise bad(v, f"outside the range of classes_dtype {dtype.str!r}")
        elif kind == "f":
            stored = np.asarray(values, dtype=dtype).astype(np.float64)
            if not np.array_equal(stored, np.asarray(values, dtype=np.float64)):
                raise self.fail("has class labels that classes_dtype "
                                f"{dtype.str!r} cannot hold exactly ({quote(values)})")
        elif kind == "U":
            longest = max(len(v) for v in values)
            if longest > dtype.itemsize // 4:
                raise self.fail(f"has class labels of up to {longest} characters but "
                                f"classes_dtype {dtype.str!r}, which would cut them")

    @staticmethod
    def outputs_text(n_classes: int) -> str:
        return ("one margin per row (two classes)" if n_classes == 2
                else f"{n_classes} margins per row ({n_classes} classes)")

    def loss(self, data: Any, n_classes: int, loss_kinds: tuple[str, ...],
             estimator: str | None, backend: str | None, meta: dict):
        if not isinstance(data, dict):
            raise self.fail(f"has a loss of type {type(data).__name__} in its boostfocal "
                            "metadata, not an object")
        kind = data.get("kind")
        if kind not in LOSS_KINDS:
            raise self.fail(f"has the unknown loss kind {quote(kind)} in its boostfocal "
                            f"metadata (known: {LOSS_KINDS})")
        if kind not in loss_kinds:
            saved = meta.get("estimator")
            saved = f"a {saved}" if isinstance(saved, str) else "an"
            hint = f"; load it with {estimator_for(kind, backend)}" if backend else ""
            raise self.fail(f"holds {saved} model (loss {kind!r}), which {estimator} cannot "
                            f"restore{hint}")
        keys = _LOSS_KEYS[kind]
        if set(data) != set(keys):
            raise self.fail(f"has a {kind!r} loss with the keys {quote(sorted(data))} in its "
                            f"boostfocal metadata; it must have exactly {keys}")
        wanted = 2 if kind in ("focal", "ghm") else None
        if (wanted is not None and n_classes != 2) or (wanted is None and n_classes < 3):
            raise self.fail(f"has a {kind!r} loss for {n_classes} classes in its boostfocal "
                            "metadata ('focal' and 'ghm' are binary, 'softmax_focal' is for "
                            "three classes or more)")
        if kind == "ghm":
            bins, momentum = data["bins"], data["momentum"]
            if not _is_int(bins) or not 1 <= bins <= MAX_GHM_BINS:
                raise self.fail(f"has a GHM-C loss with bins = {quote(bins)}; model files "
                                f"hold an integer in [1, {MAX_GHM_BINS}]")
            if not _is_number(momentum):
                raise self.fail(f"has a GHM-C loss with momentum = {quote(momentum)}, not "
                                "a number")
            return self.build(data)
        gamma, alpha, hessian = data["gamma"], data["alpha"], data["hessian"]
        if not _is_number(gamma):
            raise self.fail(f"has a focal loss with gamma = {quote(gamma)}, not a number")
        if not isinstance(hessian, str) or len(hessian) > MAX_NAME_CHARS:
            raise self.fail(f"has a focal loss with hessian = {quote(hessian)}, not a name")
        if kind == "focal":
            if alpha is not None and not _is_number(alpha):
                raise self.fail(f"has a binary focal loss with alpha = {quote(alpha)}; it "
                                "must be null or a number (the weight of classes_[1])")
            return self.build(data)
        if alpha is not None and not (isinstance(alpha, list) and len(alpha) == n_classes
                                      and all(_is_number(a) for a in alpha)):
            raise self.fail(f"has a softmax focal loss with alpha = {quote(alpha)}; it must "
                            f"be null or {n_classes} numbers, one per class")
        return self.build(data)

    def build(self, data: dict):
        """The loss, through its own validation; its errors name the file."""
        try:
            return loss_from_dict(data)
        except (TypeError, ValueError) as exc:
            raise self.fail(f"has an invalid {data['kind']!r} loss in its boostfocal "
                            f"metadata: {str(exc)[:200]}") from None

    def params(self, data: Any, kind: str, loss, n_classes: int, start,
               booster_params: tuple[str, ...]) -> dict:
        if not isinstance(data, dict):
            raise self.fail(f"has params of type {type(data).__name__} in its boostfocal "
                            "metadata, not an object")
        params = _family_defaults(kind)
        allowed = (*params, *booster_params)
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise self.fail(f"has boostfocal params {quote(unknown[:5])} that are not "
                            f"parameters of its loss: a model file may set only {allowed}")
        for name, value in data.items():
            ok = value is None or isinstance(value, (bool, str)) or _is_number(value) or (
                isinstance(value, list) and len(value) <= MAX_CLASSES
                and all(_is_number(v) for v in value))
            if not ok or isinstance(value, str) and len(value) > MAX_NAME_CHARS:
                raise self.fail(f"has the boostfocal param {name} = {quote(value)}, not a "
                                "value a model file holds")
        params.update({k: data[k] for k in params if k in data})
        for name in booster_params:
            params[name] = data.get(name)
        from .classifier import check_focal_proba, make_ghm_loss, make_loss

        try:
            if kind == "ghm":
                made = make_ghm_loss(n_classes, params["ghm_bins"], params["ghm_momentum"],
                                     "GHM-C")
                same = made == loss
            else:
                check_focal_proba(params["focal_proba"])
                made = make_loss(n_classes, params["focal_gamma"], params["focal_alpha"],
                                 params["focal_hessian"])
                same = (made.gamma, made.hessian) == (loss.gamma, loss.hessian) and (
                    is_balanced(params["focal_alpha"])
                    or _json_value(made.alpha) == _json_value(loss.alpha))
        except (TypeError, ValueError) as exc:
            raise self.fail(f"has invalid boostfocal params: {str(exc)[:200]}") \
                from None
        if not same:
            raise self.fail(f"has boostfocal params {quote(data, 120)} that contradict its "
                            f"loss {quote(loss_to_dict(loss), 120)}")
        if "base_score" in booster_params:
            self.base_score(params["base_score"], n_classes, start)
        return params

    def base_score(self, value: Any, n_classes: int, start) -> None:
        """XGBoost's ``base_score``: None, or the start's probability (binary only)."""
        if value is None:
            return
        if not _is_number(value) or not 0 < value < 1 or n_classes != 2:
            raise self.fail(f"has the boostfocal param base_score = {quote(value)}; it is "
                            "null or, for two classes, a probability strictly between 0 "
                            "and 1")
        logit = float(np.log(value) - np.log1p(-value))
        if not np.isclose(logit, start, rtol=1e-12, atol=1e-12):
            raise self.fail(f"has base_score = {value!r}, whose logit {logit!r} is not "
                            f"its init_score {quote(start)}")

    def start(self, value: Any, n_classes: int) -> float | np.ndarray:
        if n_classes == 2:
            if not _is_number(value) or not np.isfinite(value):
                raise self.fail(f"has init_score = {quote(value)} in its boostfocal "
                                "metadata; two classes have one finite starting margin")
            return float(value)
        if not (isinstance(value, list) and len(value) == n_classes
                and all(_is_number(v) for v in value)
                and np.all(np.isfinite(np.asarray(value, dtype=np.float64)))):
            raise self.fail(f"has init_score = {quote(value)} in its boostfocal metadata; "
                            f"{n_classes} classes have {n_classes} finite starting margins")
        return np.asarray(value, dtype=np.float64)


def check_metadata(text: Any, source: str, *, n_outputs: int,
                   booster_params: tuple[str, ...] = (),
                   loss_kinds: tuple[str, ...] = LOSS_KINDS, estimator: str | None = None,
                   backend: str | None = None) -> StoredModel:
    """Parse and check the stored metadata of a model file against its booster.

    One schema for every reader (the estimators' ``load_model`` and
    :func:`boostfocal.proba_from_margin`): known keys only, types and sizes bounded, the
    format one this release reads, the loss through its own validation, ``params``
    limited to the loss family's estimator parameters (and ``booster_params``) and
    consistent with the loss, the classes distinct, of a supported type that their
    dtype holds without loss, and as many as the booster's outputs, the start finite
    and of the booster's shape. Messages name the file and are short.

    Parameters
    ----------
    text : str or None
        The stored JSON (None: the file has no boostfocal metadata).
    source : str
        What was read (for the message), e.g. ``"the model file 'm.json'"``.
    n_outputs : int
        Margins per row of the file's booster: 1 (two classes) or K.
    booster_params : tuple of str, default=()
        Parameters of the backend the metadata may set besides the loss family's
        (XGBoost: ``("base_score",)``).
    loss_kinds : tuple of str, default=LOSS_KINDS
        The loss kinds the reader restores (an estimator's ``_loss_kinds``).
    estimator : str, default=None
        The reader's class name, for the message refusing another loss family.
    backend : {"xgboost", "lightgbm"}, default=None
        The file's backend: names the estimator that restores another family (for the
        same message).

    Returns
    -------
    StoredModel

    Raises
    ------
    ValueError
        Anything in the metadata that this release cannot restore exactly.
    """
    reader = _Reader(source)
    if text is None:
        raise reader.fail(
            f"holds no boostfocal metadata (no '{META_KEY}' entry): it was not written "
            "by a boostfocal estimator's save_model, so the class labels, the loss and "
            "its parameters and the starting score needed to rebuild the estimator's "
            "predictions are missing. Load it with the plain library instead, or save "
            "the model again with the boostfocal estimator's save_model.")
    if n_outputs == 2 or n_outputs < 1:
        raise reader.fail(f"has a booster with {n_outputs} outputs per row: boostfocal "
                          "models have one (two classes) or one per class (three or more)")
    meta = reader.document(text)
    n_classes = 2 if n_outputs == 1 else n_outputs
    classes = reader.classes(meta["classes"], meta["classes_dtype"], n_classes)
    loss = reader.loss(meta["loss"], n_classes, loss_kinds, estimator, backend, meta)
    start = reader.start(meta["init_score"], n_classes)
    params = reader.params(meta["params"], meta["loss"]["kind"], loss, n_classes, start,
                           booster_params)
    return StoredModel(classes=classes, loss=loss, start=start,
                       start_in_booster=meta["start_in_booster"], params=params,
                       estimator=meta.get("estimator"), meta=meta)

def check_xgboost_start(learner: XGBLearner, stored: StoredModel, source: str) -> None:
    """An XGBoost file's objective and ``base_score`` agree with its boostfocal metadata.

    A boostfocal XGBoost file states ``binary:logistic`` (two classes) or
    ``multi:softprob``; its ``base_score`` is the start where ``start_in_booster`` (for
    two classes the probability ``sigmoid(start)``, else one margin per class, as XGBoost
    stores it in float32) and a margin of 0 otherwise (0.5 for ``binary:logistic``).

    Raises
    ------
    ValueError
        They disagree (the file's margins would not be the estimator's).
    """
    two = stored.classes.shape[0] == 2
    wanted = ("binary:logistic",) if two else ("multi:softprob", "multi:softmax")
    if learner.objective not in wanted:
        raise refusal(source, f"has the objective {quote(learner.objective)}; a boostfocal "
                              f"model of {stored.classes.shape[0]} classes states "
                              f"{wanted[0]}")
    base = learner.base_score
    start = np.asarray(stored.start, dtype=np.float64)
    if not stored.start_in_booster:
        expected = np.full(base.shape, 0.5 if two else 0.0)
    elif two:
        expected = np.atleast_1d(1.0 / (1.0 + np.exp(-start)))
    else:
        expected = start
    # XGBoost stores base_score in float32 and writes 8 significant digits.
    if base.shape != expected.shape or not np.allclose(base, expected, rtol=1e-6,
                                                       atol=0.0 if two else 1e-6):
        where = "the booster's base_score" if stored.start_in_booster else \
            "a base_score adding nothing (start_in_booster is false)"
        raise refusal(source, f"has the base_score {quote(base.tolist())}, but its "
                              f"boostfocal init_score {quote(start.tolist())} needs {where}: "
                              f"{quote(expected.tolist())}")


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
