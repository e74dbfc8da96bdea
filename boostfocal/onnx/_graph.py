"""The ONNX graph after the trees: margins to ``probabilities`` and ``label``.

Everything after the tree ensemble is computed in double (the float32 margins are cast
up), from standard ONNX operators only, so that the graph runs on any ONNX runtime.

**Columns as logits of one class against the rest.** With margins ``z`` (binary: the
log-odds of ``classes_[1]``; K classes: the logits), the graph first forms, per class
``k``, ``t_k = z_k - log sum_{j != k} exp(z_j)``: the logit of ``q_k``, the focal
confidence of class ``k`` (``q = sigmoid`` or ``softmax`` of the margins). For two
classes ``t = [-z, z]`` exactly. Then ``log q_k = -softplus(-t_k)`` and
``log(1 - q_k) = -softplus(t_k)``, both without cancellation, so every quantity below
is finite for every finite margin.

**The posterior.** :meth:`FocalLoss._posterior_raw` and
:meth:`SoftmaxFocalLoss._posterior_raw` (DESIGN.md, "From focal confidence back to the
class posterior") give ``eta_k`` proportional to ``1 / (alpha_k g(q_k))`` with::

    log g(sigmoid(t)) = -(gamma - 1) softplus(t) + logaddexp(-t, log gamma + log softplus(-t))

(the binary loss's form; the softmax loss's ``(gamma - 1) log(1-q) + logaddexp(log((1-q)/q),
log gamma + log(-log q))`` is the same expression in ``t``, since ``log((1-q)/q) = -t``).
The graph computes ``s_k = -log alpha_k - log g(sigmoid(t_k))`` and
``probabilities = softmax(s)``; with ``gamma = 0``, ``s_k = log q_k - log alpha_k``. With
``focal_proba="confidence"`` (and for GHM-C, whose ``predict_proba`` is the sigmoid) the
probabilities are ``q_k = exp(-softplus(-t_k))``.

**Labels** are the classes at the ArgMax of the double probabilities (the first of
tied maxima, as ``numpy.argmax`` in ``predict``).

``softplus(x) = max(x, 0) + log1p(exp(-|x|))``, ``log1p`` by Kahan's formula
(``log(w) u / (w - 1)`` with ``w = 1 + u``, exact to a few ulps; ONNX has no Log1p),
``log softplus(x) = x - exp(x) / 2`` below -20 (as ``boostfocal.losses._stable``) and
``logaddexp(a, b) = max(a, b) + log1p(exp(-|a - b|))``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._optional import import_optional

onnx = import_optional("onnx", "onnx")
TensorProto = onnx.TensorProto

#: ONNX element types of the label output, by numpy kind.
_LABEL_TYPES = {"i": TensorProto.INT64, "u": TensorProto.INT64, "b": TensorProto.BOOL,
                "U": TensorProto.STRING, "f": TensorProto.DOUBLE}


def label_values(classes: np.ndarray) -> tuple[np.ndarray, int]:
    """The classes as values of an ONNX tensor, and its element type.

    Integers become int64, booleans bool, strings string, floats double (float32 classes
    float). An object array (labels from pandas, say) takes the type of its values.
    """
    classes = np.asarray(classes)
    if classes.dtype.kind in "OS":
        classes = _object_classes(classes)
    kind = classes.dtype.kind
    if kind not in _LABEL_TYPES:
        raise TypeError(f"classes_ of dtype {classes.dtype} cannot be ONNX labels (numbers, "
                        "booleans or strings can)")
    if kind == "f" and classes.dtype == np.float32:
        return classes, TensorProto.FLOAT
    if kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
        raise TypeError("classes_ beyond the int64 range cannot be ONNX labels")
    values = {"i": np.int64, "u": np.int64, "b": np.bool_, "U": np.str_,
              "f": np.float64}[kind]
    return classes.astype(values), _LABEL_TYPES[kind]


def _object_classes(classes: np.ndarray) -> np.ndarray:
    """An object (or bytes) array of classes as an array of its values' own type."""
    items = [c.decode() if isinstance(c, bytes) else c for c in classes.tolist()]
    if all(isinstance(c, str) for c in items):
        return np.array(items, dtype=np.str_)
    if all(isinstance(c, bool | np.bool_) for c in items):
        return np.array(items, dtype=np.bool_)
    if all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in items):
        return np.array(items, dtype=np.int64)
    if all(isinstance(c, numbers.Real) and not isinstance(c, bool) for c in items):
        return np.array(items, dtype=np.float64)
    raise TypeError("the estimator's classes_ must be all numbers, all booleans or all "
                    f"strings to be exported to ONNX, got {classes.tolist()!r}")


class GraphBuilder:
    """Adds nodes to an skl2onnx container under unique names of a scope.

    ``target_opset`` is the main-domain opset: it picks how the reductions take their
    axes (an attribute before opset 13 for ReduceSum and 18 for ReduceMax, an input
    after).
    """

    def __init__(self, scope, container) -> None:
        self.scope = scope
        self.container = container
        self.opset = container.target_opset_onnx
        self._constants: dict = {}

    def name(self, seed: str) -> str:
        return self.scope.get_unique_variable_name(seed)

    def const(self, seed: str, values, onnx_type: int = TensorProto.DOUBLE) -> str:
        """An initializer holding ``values`` (its shape is kept); scalars are shared."""
        values = np.asarray(values)
        key = (seed, onnx_type, values.tobytes()) if values.ndim == 0 else None
        if key in self._constants:
            return self._constants[key]
        name = self.name(seed)
        if key is not None:
            self._constants[key] = name
        flat = values.ravel().tolist()
        if onnx_type == TensorProto.STRING:
            flat = [str(v).encode("utf-8") for v in flat]
        self.container.add_initializer(name, onnx_type, list(values.shape), flat)
        return name

    def op(self, op_type: str, inputs, seed: str | None = None, output: str | None = None,
           domain: str = "", op_version: int | None = None, **attrs) -> str:
        """Add one node; returns its (first) output name."""
        out = output or self.name(seed or op_type.lower())
        self.container.add_node(op_type, list(inputs), [out], op_domain=domain,
                                op_version=op_version,
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out

    def reduce(self, op_type: str, x: str, axis: int) -> str:
        """``op_type`` (ReduceMax, ReduceSum) over one axis, keeping it."""
        axes_as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if axes_as_input:
            axes = self.const("axes", np.array([axis], dtype=np.int64), TensorProto.INT64)
            return self.op(op_type, [x, axes], keepdims=1)
        return self.op(op_type, [x], axes=[axis], keepdims=1)

    # ------------------------------------------------------------------ elementwise
    def log1p(self, u: str) -> str:
        """``log(1 + u)`` for ``u >= 0``, accurate when ``u`` is tiny (Kahan)."""
        one = self.const("one", 1.0)
        w = self.op("Add", [u, one])
        d = self.op("Sub", [w, one])              # exact: w - 1 for w in [1, 2]
        ratio = self.op("Div", [self.op("Mul", [self.op("Log", [w]), u]), d])
        zero = self.const("zero", 0.0)
        return self.op("Where", [self.op("Greater", [d, zero]), ratio, u])

    def softplus(self, x: str) -> str:
        """``log(1 + exp(x))``."""
        zero = self.const("zero", 0.0)
        tail = self.op("Exp", [self.op("Neg", [self.op("Abs", [x])])])
        return self.op("Add", [self.op("Max", [x, zero]), self.log1p(tail)])

    def log_softplus(self, x: str) -> str:
        """``log(softplus(x))``, finite for every finite ``x``."""
        low = self.const("low", -20.0)
        half = self.const("half", 0.5)
        tail = self.op("Sub", [x, self.op("Mul", [half, self.op("Exp", [x])])])
        direct = self.op("Log", [self.softplus(x)])
        return self.op("Where", [self.op("Less", [x, low]), tail, direct])

    def logaddexp(self, a: str, b: str) -> str:
        """``log(exp(a) + exp(b))``."""
        gap = self.op("Exp", [self.op("Neg", [self.op("Abs", [self.op("Sub", [a, b])])])])
        return self.op("Add", [self.op("Max", [a, b]), self.log1p(gap)])

    # ------------------------------------------------------------------ the model
    def class_logits(self, margin: str, n_classes: int) -> str:
        """``t_k = z_k - log sum_{j != k} exp(z_j)``, shape [N, K], from double margins.

        Binary margins ([N, 1]): ``[-z, z]``. K classes: for every column but the row's
        first arg-max, the others' log-sum-exp is ``m + log(S - e_k)`` with ``m`` the row
        max, ``e = exp(z - m)`` and ``S = sum(e) >= 1 + e_k`` (no cancellation); for the
        arg-max column it is ``m2 + log(sum_{j != k} exp(z_j - m2))``, ``m2`` the largest
        other logit, so that it stays finite however far the others are.
        """
        if n_classes == 2:
            return self.op("Concat", [self.op("Neg", [margin]), margin], axis=1)
        top = self.op("ArgMax", [margin], axis=1, keepdims=1)
        columns = self.const("columns", np.arange(n_classes, dtype=np.int64)[None, :],
                             TensorProto.INT64)
        is_top = self.op("Equal", [columns, top])                     # [N, K], one per row
        m = self.reduce("ReduceMax", margin, 1)
        e = self.op("Exp", [self.op("Sub", [margin, m])])
        total = self.reduce("ReduceSum", e, 1)
        rest = self.op("Add", [m, self.op("Log", [self.op("Sub", [total, e])])])
        very_low = self.const("very_low", -np.finfo(np.float64).max)
        others = self.op("Where", [is_top, very_low, margin])
        m2 = self.reduce("ReduceMax", others, 1)
        zero = self.const("zero", 0.0)
        e2 = self.op("Where", [is_top, zero, self.op("Exp", [self.op("Sub", [others, m2])])])
        rest_top = self.op("Add", [m2, self.op("Log", [self.reduce("ReduceSum", e2, 1)])])
        log_others = self.op("Where", [is_top, rest_top, rest])
        return self.op("Sub", [margin, log_others])

    def posterior_scores(self, t: str, gamma: float, alpha: np.ndarray | None) -> str:
        """``s_k = -log alpha_k - log g(sigmoid(t_k))``: the log-posterior up to a constant."""
        if gamma == 0.0:
            score = self.op("Neg", [self.softplus(self.op("Neg", [t]))])     # log q
        else:
            minus_t = self.op("Neg", [t])
            first = self.op("Mul", [self.const("one_minus_gamma", 1.0 - gamma),
                                    self.softplus(t)])
            second = self.logaddexp(minus_t, self.op(
                "Add", [self.const("log_gamma", np.log(gamma)), self.log_softplus(minus_t)]))
            score = self.op("Neg", [self.op("Add", [first, second])])
        if alpha is not None:
            shift = self.const("minus_log_alpha", -np.log(alpha)[None, :])
            score = self.op("Add", [score, shift])
        return score

    def confidence(self, t: str) -> str:
        """``q_k = sigmoid(t_k)``, the sigmoid/softmax of the margins."""
        return self.op("Exp", [self.op("Neg", [self.softplus(self.op("Neg", [t]))])])

    def outputs(self, proba64: str, classes: np.ndarray, label_out: str, proba_out: str,
                proba_type: int) -> None:
        """``probabilities`` (cast to ``proba_type``) and ``label`` (classes at ArgMax)."""
        self.op("Cast", [proba64], output=proba_out, to=proba_type)
        index = self.op("ArgMax", [proba64], axis=1, keepdims=0)
        values, label_type = label_values(classes)
        table = self.const("classes", values, label_type)
        self.op("Gather", [table, index], output=label_out, axis=0)
