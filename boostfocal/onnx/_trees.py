"""The tree ensemble of a fitted estimator as raw margins, taken from onnxmltools.

onnxmltools converts plain XGBoost and LightGBM classifiers into one
``TreeEnsembleClassifier`` node whose ``post_transform`` (``LOGISTIC`` or ``SOFTMAX``)
turns the summed leaves into the focal *confidence*. boostfocal needs the margins
before that link, so this module converts the estimator's booster with onnxmltools'
own converter (``onnxmltools.convert_xgboost`` / ``convert_lightgbm``, the public
entry points) and re-reads that node's tree attributes as a ``TreeEnsembleRegressor``
with ``post_transform="NONE"``: the same nodes and leaf weights, the ``class_*``
attributes renamed ``target_*`` (the two operators share every other attribute), one
target per margin column. Nothing about the trees is written here.

The starting score is in the boosters: XGBoost's ``base_score`` (a probability for
``binary:logistic``, one margin per class for ``multi:softprob``), LightGBM's
first-iteration leaves. Where an estimator keeps its start outside the booster
(multiclass on XGBoost < 3.1, or a binary start whose probability rounds to 0 or 1 in
float32), ``init_score_`` is added to the base values.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional

onnx = import_optional("onnx", "onnx")
onnxmltools = import_optional("onnxmltools", "onnx")

#: The attributes of onnxmltools' ``TreeEnsembleClassifier`` that a
#: ``TreeEnsembleRegressor`` names ``target_*``.
_CLASS_TO_TARGET = {
    "class_ids": "target_ids",
    "class_nodeids": "target_nodeids",
    "class_treeids": "target_treeids",
    "class_weights": "target_weights",
    "class_weights_as_tensor": "target_weights_as_tensor",
}

#: Attributes of the classifier that the regressor form does not take (labels, link,
#: base values, which are set here).
_DROPPED = {"classlabels_int64s", "classlabels_strings", "post_transform", "base_values",
            "base_values_as_tensor"}


@dataclass
class Trees:
    """The margins of a fitted estimator as a ``TreeEnsembleRegressor``.

    Attributes
    ----------
    attributes : dict
        The operator's attributes: margins = summed leaf weights + ``base_values``, no
        post transform; ``n_targets`` is 1 for two classes (the margin of
        ``classes_[1]``), K for K classes.
    n_features : int
        The number of input columns.
    """

    attributes: dict
    n_features: int


def _onnxmltools_version_tag() -> str:
    return f"onnxmltools {onnxmltools.__version__}"


def _regressor_attributes(model, n_targets: int, base_values, tree_classes=None) -> dict:
    """The ``TreeEnsembleRegressor`` attributes of onnxmltools' classifier node.

    ``tree_classes`` (the margin column of every tree, by tree index) replaces the class
    ids onnxmltools assigned, where the booster says better.
    """
    nodes = [n for n in model.graph.node
             if n.op_type == "TreeEnsembleClassifier" and n.domain == "ai.onnx.ml"]
    if len(nodes) != 1:
        found = [n.op_type for n in model.graph.node]
        raise RuntimeError(
            f"{_onnxmltools_version_tag()} converted the booster to {found}; boostfocal "
            "expects exactly one ai.onnx.ml TreeEnsembleClassifier node (as onnxmltools "
            "1.16 writes)")
    attributes = {}
    for attribute in nodes[0].attribute:
        if attribute.name in _DROPPED:
            continue
        name = _CLASS_TO_TARGET.get(attribute.name, attribute.name)
        if not name.startswith(("nodes_", "target_")):
            raise RuntimeError(
                f"{_onnxmltools_version_tag()}: unexpected attribute {attribute.name!r} "
                "of TreeEnsembleClassifier; boostfocal cannot read it as tree margins")
        attributes[name] = onnx.helper.get_attribute_value(attribute)
    if tree_classes is not None:
        attributes["target_ids"] = [int(tree_classes[t]) for t in attributes["target_treeids"]]
    ids = set(attributes["target_ids"])
    if not ids <= set(range(n_targets)):
        raise RuntimeError(
            f"{_onnxmltools_version_tag()}: leaves write to classes {sorted(ids)}, "
            f"expected {n_targets} margin column(s)")
    attributes["n_targets"] = n_targets
    attributes["post_transform"] = "NONE"
    attributes["base_values"] = [float(v) for v in base_values]
    return attributes


def _float_input(n_features: int) -> list:
    from onnxmltools.convert.common.data_types import FloatTensorType

    return [("X", FloatTensorType([None, n_features]))]


def _start_outside_booster(estimator) -> np.ndarray:
    """What the estimator adds to its booster's margins: ``init_score_`` or 0.

    The estimators record in ``_focal_start_in_booster`` whether the booster holds the
    start (see ``FocalXGBClassifier``'s Notes); a model without the flag (pickled by
    boostfocal 0.1.0) adds ``init_score_`` to the raw scores.
    """
    if estimator.__dict__.get("_focal_start_in_booster", False):
        return np.zeros(1)
    return np.atleast_1d(np.asarray(estimator.init_score_, dtype=np.float64))


# ---------------------------------------------------------------------------- XGBoost
def _xgb_base_margin(config: dict, n_targets: int) -> np.ndarray:
    """The margin XGBoost adds to the trees: its ``base_score`` in margin space."""
    raw = json.loads(config["learner"]["learner_model_param"]["base_score"])
    values = np.atleast_1d(np.asarray(raw, dtype=np.float32)).astype(np.float64)
    objective = config["learner"]["objective"]["name"]
    if objective == "binary:logistic":          # a probability: the margin is its logit
        return np.log(values) - np.log1p(-values)
    if objective == "multi:softprob":           # margins (one, or one per class)
        return np.broadcast_to(values, (n_targets,)).copy() if values.shape[0] == 1 \
            else values
    raise ValueError(f"the booster's objective is {objective!r}; a boostfocal XGBoost "
                     "model has binary:logistic or multi:softprob")


def xgboost_trees(estimator) -> Trees:
    """The margins of a fitted boostfocal XGBoost estimator (in memory or Dask).

    The booster is cut to the trees ``decision_function`` uses (up to
    ``best_iteration`` after early stopping) and converted by onnxmltools as a plain
    ``XGBClassifier`` with the booster's own objective.
    """
    xgb = import_optional("xgboost", "xgboost")
    booster = estimator.get_booster()
    config = json.loads(booster.save_config())
    kind = config["learner"]["gradient_booster"]["name"]
    if kind != "gbtree":
        raise ValueError(f"booster={kind!r} cannot be exported to ONNX: only tree "
                         "boosters (booster='gbtree') are supported")
    if config["learner"].get("learner_train_param", {}).get("multi_strategy") \
            == "multi_output_tree":
        raise ValueError("multi_strategy='multi_output_tree' cannot be exported to ONNX "
                         "(onnxmltools reads one output per tree)")
    missing = estimator.missing
    if missing is not None and not np.isnan(missing):
        raise ValueError(f"missing={missing!r} cannot be exported to ONNX: the ONNX tree "
                         "ensemble treats only NaN as missing (leave missing=nan)")
    try:
        best = booster.best_iteration
    except AttributeError:
        best = None
    trees = booster[: best + 1] if best is not None else booster.copy()
    # onnxmltools reads features as "f%d" from the dump and cuts at best_iteration itself.
    trees.feature_names = None
    trees.feature_types = None
    for attr in ("best_iteration", "best_score"):
        trees.set_attr(**{attr: None})

    n_classes = len(estimator.classes_)
    n_targets = 1 if n_classes == 2 else n_classes
    objective = config["learner"]["objective"]["name"]
    shell = xgb.XGBClassifier(objective=objective)
    shell._Booster = trees          # XGBModel's booster attribute (get_booster reads it)
    shell.n_classes_ = n_classes
    n_features = int(booster.num_features())
    model = onnxmltools.convert_xgboost(shell, initial_types=_float_input(n_features))
    base = _xgb_base_margin(config, n_targets) + _start_outside_booster(estimator)
    # onnxmltools gives tree t to class t % K, which is wrong with num_parallel_tree > 1
    # (each round holds num_parallel_tree trees per class); the model's tree_info says.
    tree_info = json.loads(trees.save_raw("json"))["learner"]["gradient_booster"][
        "model"]["tree_info"]
    return Trees(_regressor_attributes(model, n_targets, base, tree_info), n_features)


# ---------------------------------------------------------------------------- LightGBM
def lightgbm_trees(estimator) -> Trees:
    """The margins of a fitted boostfocal LightGBM estimator (in memory or Dask).

    The booster is the estimator's model text (``model_to_string()``, which states the
    sigmoid/softmax link onnxmltools reads, and holds the trees ``decision_function``
    uses), converted by onnxmltools as a plain LightGBM booster.
    """
    lgb = import_optional("lightgbm", "lightgbm")
    if hasattr(estimator, "to_local"):              # DaskFocalLGBMClassifier
        estimator = estimator.to_local()
    text = estimator.model_to_string()
    # (boosting_type="rf", whose trees are averaged, cannot train on a custom objective.)
    if "\nis_linear=1" in text:
        raise ValueError("linear_tree=True cannot be exported to ONNX (the ONNX tree "
                         "ensemble has constant leaves)")
    booster = lgb.Booster(model_str=text)
    n_classes = len(estimator.classes_)
    n_targets = 1 if n_classes == 2 else n_classes
    n_features = int(booster.num_feature())
    model = onnxmltools.convert_lightgbm(booster, initial_types=_float_input(n_features),
                                         zipmap=False)
    base = np.zeros(n_targets) + _start_outside_booster(estimator)
    return Trees(_regressor_attributes(model, n_targets, base), n_features)


# ---------------------------------------------------------------------------- dispatch
#: Where each supported estimator class lives, and how its trees are read. A module
#: that is not imported holds no fitted estimator, so nothing is imported to check.
ESTIMATORS = {
    "boostfocal.xgboost._estimator": (("FocalXGBClassifier", "GHMXGBClassifier"),
                                      xgboost_trees),
    "boostfocal.xgboost._dask": (("DaskFocalXGBClassifier",), xgboost_trees),
    "boostfocal.lightgbm._estimator": (("FocalLGBMClassifier", "GHMLGBMClassifier"),
                                       lightgbm_trees),
    "boostfocal.lightgbm._dask": (("DaskFocalLGBMClassifier",), lightgbm_trees),
}


def supported_classes() -> list[type]:
    """The boostfocal estimator classes of the backends imported so far."""
    classes = []
    for module_name, (names, _) in ESTIMATORS.items():
        module = sys.modules.get(module_name)
        if module is not None:
            classes.extend(getattr(module, name) for name in names)
    return classes


def trees_reader(estimator):
    """The function that reads ``estimator``'s trees; ``TypeError`` if unsupported."""
    for module_name, (names, reader) in ESTIMATORS.items():
        module = sys.modules.get(module_name)
        if module is not None and isinstance(
                estimator, tuple(getattr(module, name) for name in names)):
            return reader
    names = [name for names, _ in ESTIMATORS.values() for name in names]
    raise TypeError(f"estimator must be a fitted boostfocal estimator ({', '.join(names)}), "
                    f"got {type(estimator).__name__}")


def read_trees(estimator) -> Trees:
    """The tree ensemble of a fitted boostfocal estimator, as raw margins."""
    reader = trees_reader(estimator)
    check_is_fitted(estimator, "loss_")
    return reader(estimator)
