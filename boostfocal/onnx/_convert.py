"""The skl2onnx converter of the boostfocal estimators, its registration, and ``to_onnx``."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional
from .._shared.classifier import check_focal_proba
from ..losses import FocalLoss, GHMLoss, SoftmaxFocalLoss
from ._graph import GraphBuilder, label_values
from ._trees import read_trees, supported_classes, trees_reader

onnx = import_optional("onnx", "onnx")
skl2onnx = import_optional("skl2onnx", "onnx")
from skl2onnx.common.data_types import (  # noqa: E402
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

TensorProto = onnx.TensorProto

#: The oldest main-domain opset the exported graph is built for. ``Where`` needs 9, but
#: onnxruntime 1.15 has no double ArgMax before opset 11; the tests run every opset from
#: here to skl2onnx's newest.
MIN_OPSET = 11

#: The options the converter takes: skl2onnx's classifier options ``zipmap`` and
#: ``nocl`` (class indices as labels; not supported, but skl2onnx's zipmap asks for it).
OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False]}

_TENSOR_TYPES = {TensorProto.INT64: Int64TensorType, TensorProto.STRING: StringTensorType,
                 TensorProto.BOOL: BooleanTensorType, TensorProto.DOUBLE: DoubleTensorType,
                 TensorProto.FLOAT: FloatTensorType}


def probability_map(estimator) -> tuple[str, float, np.ndarray | None]:
    """What ``predict_proba`` applies to the margins, and the loss parameters it needs.

    Returns ``("posterior", gamma, alpha)`` with ``alpha`` per class (None: all 1) for a
    focal estimator with ``focal_proba="posterior"``; ``("confidence", 0.0, None)`` for
    ``focal_proba="confidence"`` and for GHM-C (its ``predict_proba`` is the sigmoid).
    """
    loss = estimator.loss_
    if isinstance(loss, GHMLoss):
        return "confidence", 0.0, None
    if not isinstance(loss, (FocalLoss, SoftmaxFocalLoss)):
        raise TypeError(f"{type(estimator).__name__}.loss_ is a {type(loss).__name__}; "
                        "only FocalLoss, SoftmaxFocalLoss and GHMLoss can be exported")
    if check_focal_proba(getattr(estimator, "focal_proba", "posterior")) == "confidence":
        return "confidence", 0.0, None
    alpha = loss._numeric_alpha()           # numeric after fit ("balanced" is resolved)
    if alpha is not None:
        alpha = (np.array([1.0 - alpha, alpha]) if isinstance(loss, FocalLoss)
                 else np.asarray(alpha, dtype=np.float64))
    return "posterior", float(loss.gamma), alpha


def calculate_output_shapes(operator) -> None:
    """skl2onnx shape calculator: ``label`` [N] in the classes' type, ``probabilities`` [N, K].

    With ``zipmap`` (skl2onnx's default for classifiers) skl2onnx turns these into its
    ``output_label`` / ``output_probability`` outputs.
    """
    if len(operator.inputs) != 1 or len(operator.outputs) != 2:
        raise RuntimeError(f"{operator.raw_operator.__class__.__name__} takes one input "
                           f"and gives two outputs, got {len(operator.inputs)} and "
                           f"{len(operator.outputs)}")
    estimator = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    _, label_type = label_values(estimator.classes_)
    operator.outputs[0].type = _TENSOR_TYPES[label_type]([n_rows])
    operator.outputs[1].type = FloatTensorType([n_rows, len(estimator.classes_)])


def convert(scope, operator, container) -> None:
    """skl2onnx converter: trees (onnxmltools) -> margins -> probabilities, label."""
    estimator = operator.raw_operator
    trees = read_trees(estimator)
    source = operator.inputs[0]
    shape = source.type.shape
    if len(shape) == 2 and isinstance(shape[1], numbers.Integral) \
            and shape[1] != trees.n_features:
        raise ValueError(f"the input of {type(estimator).__name__} has {shape[1]} columns, "
                         f"but the model was fitted on {trees.n_features} features")
    g = GraphBuilder(scope, container)
    x = source.full_name
    if not isinstance(source.type, FloatTensorType):
        x = g.op("Cast", [x], seed="x_float", to=TensorProto.FLOAT)
    attributes = trees.attributes
    ml_version = 3 if any(name.endswith("_as_tensor") for name in attributes) else 1
    margin32 = g.op("TreeEnsembleRegressor", [x], seed="margin_float", domain="ai.onnx.ml",
                    op_version=ml_version, **attributes)
    margin = g.op("Cast", [margin32], seed="margin", to=TensorProto.DOUBLE)
    n_classes = len(estimator.classes_)
    t = g.class_logits(margin, n_classes)
    mode, gamma, alpha = probability_map(estimator)
    if mode == "posterior":
        proba = g.op("Softmax", [g.posterior_scores(t, gamma, alpha)], axis=1)
    else:
        proba = g.confidence(t)
    g.outputs(proba, estimator.classes_, operator.outputs[0].full_name,
              operator.outputs[1].full_name, TensorProto.FLOAT)


def register(cls: type) -> None:
    """Register the converter for the estimator class ``cls`` with skl2onnx."""
    skl2onnx.update_registered_converter(
        cls, f"Boostfocal{cls.__name__}", calculate_output_shapes, convert,
        options=OPTIONS)


def register_all() -> None:
    """Register every boostfocal estimator class whose backend is imported."""
    for cls in supported_classes():
        register(cls)


def _check_target_opset(target_opset):
    if target_opset is None:
        return None
    newest = min(onnx.defs.onnx_opset_version(), skl2onnx.__max_supported_opset__)
    if isinstance(target_opset, bool) or not isinstance(target_opset, numbers.Integral) \
            or not MIN_OPSET <= target_opset <= newest:
        raise ValueError(f"target_opset must be None or an integer from {MIN_OPSET} to "
                         f"{newest} (the newest of onnx {onnx.__version__} and skl2onnx "
                         f"{skl2onnx.__version__}), got "
                         f"{target_opset!r}")
    return int(target_opset)


def n_features_of(estimator) -> int:
    """The number of input columns of a fitted estimator."""
    n = getattr(estimator, "n_features_in_", None)
    if n is None:
        n = estimator.get_booster().num_features()
    return int(n)


def to_onnx(estimator, *, target_opset: int | None = None):
    """Export a fitted boostfocal estimator to ONNX: ``predict`` and ``predict_proba``.

    Parameters
    ----------
    estimator : fitted boostfocal estimator
        ``FocalXGBClassifier``, ``GHMXGBClassifier``, ``FocalLGBMClassifier``,
        ``GHMLGBMClassifier``, ``DaskFocalXGBClassifier`` or ``DaskFocalLGBMClassifier``
        (the Dask ones through their in-memory model).
    target_opset : int, default=None
        The main ONNX opset of the graph, from 11 to the newest that both the installed
        onnx and skl2onnx support; None: skl2onnx's newest. The tree ensemble is ``ai.onnx.ml``'s
        ``TreeEnsembleRegressor`` (version 1).

    Returns
    -------
    onnx.ModelProto
        One input ``X``: float32 of shape [N, n_features] (NaN is missing). Outputs:
        ``label`` [N], the predicted labels from ``classes_`` (int64 for integer classes,
        string, bool, or double for float classes), and ``probabilities`` [N, K] float32
        in the order of ``classes_``. They are ``predict(X)`` and ``predict_proba(X)``
        of the estimator at the time of export (``focal_proba`` included): the class
        posterior for focal loss, the sigmoid of the margin for GHM-C.

    Raises
    ------
    TypeError
        If ``estimator`` is not a boostfocal estimator.
    sklearn.exceptions.NotFittedError
        If it is not fitted (a ``ValueError``).
    ValueError
        For a model ONNX's tree ensemble cannot hold (XGBoost ``booster="gblinear"`` or
        ``"dart"``, ``multi_strategy="multi_output_tree"``, a ``missing`` other than NaN;
        LightGBM ``linear_tree=True``) or a bad ``target_opset``.
    """
    trees_reader(estimator)                       # TypeError for anything else
    check_is_fitted(estimator, "loss_")
    target_opset = _check_target_opset(target_opset)
    register(type(estimator))
    model = skl2onnx.convert_sklearn(
        estimator, name=f"boostfocal {type(estimator).__name__}",
        initial_types=[("X", FloatTensorType([None, n_features_of(estimator)]))],
        target_opset=target_opset, options={id(estimator): {"zipmap": False}})
    mode, gamma, alpha = probability_map(estimator)
    onnx.helper.set_model_props(model, {
        "boostfocal.estimator": type(estimator).__name__,
        "boostfocal.loss": repr(estimator.loss_),
        "boostfocal.probabilities": mode,
    })
    return model
