"""ONNX export: the graph's ``label`` and ``probabilities`` are ``predict`` and ``predict_proba``.

Every estimator is fitted on a training split and compared on the held-out rows, cast to
float32 (what the ONNX graph reads) and given to both sides: ``probabilities`` within
1e-4 of ``predict_proba``, ``label`` equal to ``predict`` on at least 99.9% of the rows
and, on any other row, also an arg-max of ``predict_proba`` (an exact tie). Each case
prints its worst difference (``pytest -s -k onnx`` shows them).

The parts are checked on their own too: the tree ensemble (from onnxmltools) gives
``decision_function``'s margins before any map, and the graph after it gives the loss's
``predict_proba`` from any finite margins, extreme ones included.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

ort = pytest.importorskip(
    "onnxruntime", reason="onnxruntime runs the exported graphs (pip install onnxruntime)")

import lightgbm as lgb  # noqa: E402
import onnx  # noqa: E402
import skl2onnx  # noqa: E402
import xgboost as xgb  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import boostfocal.onnx as bf_onnx  # noqa: E402
from boostfocal import FocalLoss, SoftmaxFocalLoss  # noqa: E402
from boostfocal.lightgbm import FocalLGBMClassifier, GHMLGBMClassifier  # noqa: E402
from boostfocal.onnx._graph import GraphBuilder  # noqa: E402
from boostfocal.onnx._trees import read_trees  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, GHMXGBClassifier  # noqa: E402

XGB = {"n_estimators": 60, "max_depth": 4, "n_jobs": 1}
LGBM = {"n_estimators": 60, "num_leaves": 15, "n_jobs": 1, "verbose": -1}
PARAMS = {FocalXGBClassifier: XGB, GHMXGBClassifier: XGB,
          FocalLGBMClassifier: LGBM, GHMLGBMClassifier: LGBM}
NEWEST_OPSET = min(onnx.defs.onnx_opset_version(), skl2onnx.__max_supported_opset__)


# ---------------------------------------------------------------------------- helpers
def _data(k: int, n: int = 4000, seed: int = 0, labels=None):
    """Train and held-out halves of a ``k``-class problem (imbalanced when binary)."""
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_redundant=1,
                               n_classes=k, n_clusters_per_class=2,
                               weights=[0.85] if k == 2 else None, random_state=seed)
    if labels is not None:
        y = np.asarray(labels)[y]
    return train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)


def _session(model):
    onnx.checker.check_model(model)
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


def _run(model, X):
    label, proba = _session(model).run(["label", "probabilities"],
                                       {"X": np.asarray(X, dtype=np.float32)})
    return label, proba


def _agree(est, model, X_test, case: str) -> float:
    """ONNX outputs against predict/predict_proba on ``X_test`` (as float32 on both sides)."""
    X32 = np.asarray(X_test, dtype=np.float32)
    label, proba = _run(model, X32)
    expected = est.predict_proba(X32)
    assert proba.dtype == np.float32 and proba.shape == expected.shape
    assert np.all(np.isfinite(proba))
    worst = float(np.max(np.abs(proba - expected)))
    predicted = est.predict(X32)
    assert label.shape == predicted.shape
    same = label == predicted
    print(f"\n[onnx] {case}: worst |probabilities - predict_proba| = {worst:.2e}, labels "
          f"equal on {same.sum()}/{len(X32)} held-out rows")
    assert worst <= 1e-4, case
    assert same.mean() >= 0.999, (case, same.mean())
    if not same.all():  # the only allowed disagreements: exact ties in predict_proba
        rows = np.flatnonzero(~same)
        chosen = np.searchsorted(est.classes_, label[rows])
        assert_array_equal(expected[rows, chosen], expected[rows].max(axis=1))
    return worst


def _margin_model(est):
    """The exported tree ensemble alone: one TreeEnsembleRegressor, raw margins out."""
    trees = read_trees(est)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["margin"], domain="ai.onnx.ml",
                            **trees.attributes)
    graph = helper.make_graph(
        [node], "margins", [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                          [None, trees.n_features])],
        [helper.make_tensor_value_info("margin", TensorProto.FLOAT, [None, None])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("ai.onnx.ml", 1)])


class _Sink:
    """A scope and container for :class:`GraphBuilder` outside skl2onnx."""

    def __init__(self, opset: int) -> None:
        self.target_opset_onnx = opset
        self.nodes, self.initializers, self.count = [], [], 0

    def get_unique_variable_name(self, seed: str) -> str:
        self.count += 1
        return f"{seed}_{self.count}"

    get_unique_operator_name = get_unique_variable_name

    def add_initializer(self, name, onnx_type, shape, content) -> None:
        self.initializers.append(helper.make_tensor(name, onnx_type, shape, content))

    def add_node(self, op_type, inputs, outputs, op_domain="", op_version=None, name=None,
                 **attrs) -> None:
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name,
                                           domain=op_domain, **attrs))


def _map_graph(build, n_columns: int, opset: int = 17):
    """A graph from double margins [N, n_columns] through ``build(g, margin)``."""
    sink = _Sink(opset)
    out = build(GraphBuilder(sink, sink), "margin")
    graph = helper.make_graph(
        sink.nodes, "map",
        [helper.make_tensor_value_info("margin", TensorProto.DOUBLE, [None, n_columns])],
        [helper.make_tensor_value_info(out, TensorProto.DOUBLE, [None, None])],
        sink.initializers)
    session = _session(helper.make_model(graph,
                                         opset_imports=[helper.make_opsetid("", opset)]))
    return lambda z: session.run(None, {"margin": np.asarray(z, dtype=np.float64)})[0]


# ---------------------------------------------------------------------------- the trees
@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
@pytest.mark.parametrize("k", [2, 3])
def test_tree_ensemble_gives_the_decision_function(cls, k):
    X, X_test, y, _ = _data(k)
    est = cls(**PARAMS[cls]).fit(X, y)
    margin = _session(_margin_model(est)).run(None, {"X": X_test.astype(np.float32)})[0]
    expected = est.decision_function(X_test.astype(np.float32))
    assert margin.shape == (len(X_test), 1 if k == 2 else k)
    # float32 sums of the same leaves, in another order
    assert_allclose(margin.reshape(expected.shape), expected, rtol=1e-5, atol=2e-5)


def test_xgboost_trees_go_to_their_class_with_parallel_trees():
    # num_parallel_tree=2: each round holds 2 trees per class, in class order (onnxmltools
    # alone would give tree t to class t % K).
    X, X_test, y, _ = _data(3)
    est = FocalXGBClassifier(**XGB, num_parallel_tree=2, subsample=0.8).fit(X, y)
    margin = _session(_margin_model(est)).run(None, {"X": X_test.astype(np.float32)})[0]
    assert_allclose(margin, est.decision_function(X_test.astype(np.float32)), rtol=1e-5,
                    atol=2e-5)
    _agree(est, bf_onnx.to_onnx(est), X_test, "FocalXGB-3 num_parallel_tree=2")


def test_tree_ensemble_holds_a_start_kept_outside_the_booster():
    # base_score 1 - 1e-8 rounds to 1 in float32: XGBoost cannot hold its logit (18.4),
    # so the estimator adds init_score_ itself, and so must the ONNX graph. (gamma=0 and
    # no min_child_weight: from that start the focal trees would not split at all.)
    X, X_test, y, _ = _data(2)
    est = FocalXGBClassifier(**XGB, base_score=1 - 1e-8, focal_gamma=0.0,
                             min_child_weight=1e-12).fit(X, y)
    assert not est._booster_holds_start()
    margin = _session(_margin_model(est)).run(None, {"X": X_test.astype(np.float32)})[0]
    expected = est.decision_function(X_test.astype(np.float32))
    assert np.ptp(expected) > 100  # the trees moved the rows apart
    assert_allclose(margin[:, 0], expected, rtol=1e-5, atol=2e-5)
    _agree(est, bf_onnx.to_onnx(est), X_test, "FocalXGB binary, start outside the booster")


# eval_set works on every LightGBM version (eval_X/eval_y are new in 4.7, which warns)
@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_early_stopping_exports_the_trees_predict_uses(cls):
    X, X_test, y, y_test = _data(3, seed=3)
    est = cls(**{**PARAMS[cls], "n_estimators": 400, "learning_rate": 0.3})
    if cls is FocalXGBClassifier:
        est.set_params(early_stopping_rounds=5).fit(X, y, eval_set=[(X_test, y_test)],
                                                   verbose=False)
        best = est.best_iteration
    else:
        est.fit(X, y, eval_set=[(X_test, y_test)],
                callbacks=[lgb.early_stopping(5, verbose=False)])
        best = est.best_iteration_ - 1
    assert best + 1 < 400
    _agree(est, bf_onnx.to_onnx(est), X_test, f"{cls.__name__} early stopping")


# ---------------------------------------------------------------------------- the map
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_binary_map_is_the_loss_posterior_for_any_finite_margin(gamma, alpha):
    z = np.r_[np.linspace(-60, 60, 2401), 0.0, 1e-300, -1e-20, 700, -746, 1e3, -1e3,
              1e10, -1e10, 3e38, -3e38]
    loss = FocalLoss(gamma, alpha)
    weights = None if alpha is None else np.array([1 - alpha, alpha])
    posterior = _map_graph(lambda g, m: g.op("Softmax", [g.posterior_scores(
        g.class_logits(m, 2), gamma, weights)], axis=1), 1)(z[:, None])
    assert np.all(np.isfinite(posterior))
    expected = loss.predict_proba(z)
    assert_allclose(posterior, expected, rtol=1e-12, atol=1e-15)
    confidence = _map_graph(lambda g, m: g.confidence(g.class_logits(m, 2)), 1)(z[:, None])
    assert_allclose(confidence, loss.predict_confidence(z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, [0.5, 1.0, 2.0, 0.25]])
def test_multiclass_map_is_the_loss_posterior_for_any_finite_margin(gamma, alpha):
    rng = np.random.default_rng(1)
    z = np.r_[rng.normal(size=(400, 4)) * 8, rng.normal(size=(40, 4)) * 1e4,
              [[0, 0, 0, 0], [1, 1, 0, 0], [3e38, -3e38, 0, 1], [40, 0, 0, 0],
               [800, 0, 0, 0], [0, 0, 0, 1e-17], [-3e38, -3e38, -3e38, 3e38]]]
    loss = SoftmaxFocalLoss(gamma, alpha)
    weights = None if alpha is None else np.asarray(alpha)
    posterior = _map_graph(lambda g, m: g.op("Softmax", [g.posterior_scores(
        g.class_logits(m, 4), gamma, weights)], axis=1), 4)(z)
    assert np.all(np.isfinite(posterior))
    assert_allclose(posterior, loss.predict_proba(z), rtol=1e-12, atol=1e-15)
    confidence = _map_graph(lambda g, m: g.confidence(g.class_logits(m, 4)), 4)(z)
    assert_allclose(confidence, loss.predict_confidence(z), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- estimators
ESTIMATOR_CASES = [
    pytest.param(FocalXGBClassifier, 2, {}, None, id="FocalXGB-binary"),
    pytest.param(FocalXGBClassifier, 3, {}, None, id="FocalXGB-3"),
    pytest.param(FocalXGBClassifier, 5, {"focal_gamma": 1.0}, None, id="FocalXGB-5"),
    pytest.param(FocalLGBMClassifier, 2, {}, None, id="FocalLGBM-binary"),
    pytest.param(FocalLGBMClassifier, 3, {}, None, id="FocalLGBM-3"),
    pytest.param(FocalLGBMClassifier, 5, {"focal_gamma": 1.0}, None, id="FocalLGBM-5"),
    # labels of every kind
    pytest.param(FocalXGBClassifier, 2, {}, ["no", "yes"], id="FocalXGB-binary-str"),
    pytest.param(FocalLGBMClassifier, 3, {}, ["cat", "dog", "emu"], id="FocalLGBM-3-str"),
    pytest.param(FocalXGBClassifier, 3, {}, [-1, 3, 7], id="FocalXGB-3-int"),
    pytest.param(FocalLGBMClassifier, 2, {}, [False, True], id="FocalLGBM-binary-bool"),
    pytest.param(FocalXGBClassifier, 3, {}, [1.0, 2.0, 4.0], id="FocalXGB-3-float"),
    # focal_alpha: a number, a list, "balanced"; and other gammas
    pytest.param(FocalXGBClassifier, 2, {"focal_alpha": 0.25}, None, id="FocalXGB-alpha"),
    pytest.param(FocalLGBMClassifier, 2, {"focal_alpha": 0.75, "focal_gamma": 0.5}, None,
                 id="FocalLGBM-alpha-gamma0.5"),
    pytest.param(FocalXGBClassifier, 3, {"focal_alpha": [0.5, 1.0, 2.0]}, None,
                 id="FocalXGB-3-alpha-list"),
    pytest.param(FocalLGBMClassifier, 3, {"focal_alpha": [2.0, 1.0, 0.5],
                                          "focal_gamma": 5.0}, None,
                 id="FocalLGBM-3-alpha-list-gamma5"),
    pytest.param(FocalXGBClassifier, 2, {"focal_alpha": "balanced"}, None,
                 id="FocalXGB-balanced"),
    pytest.param(FocalLGBMClassifier, 3, {"focal_alpha": "balanced"}, None,
                 id="FocalLGBM-3-balanced"),
    pytest.param(FocalXGBClassifier, 2, {"focal_gamma": 0.0}, None, id="FocalXGB-gamma0"),
    # the raw confidence
    pytest.param(FocalXGBClassifier, 2, {"focal_proba": "confidence"}, None,
                 id="FocalXGB-confidence"),
    pytest.param(FocalLGBMClassifier, 3, {"focal_proba": "confidence",
                                          "focal_alpha": "balanced"}, None,
                 id="FocalLGBM-3-confidence"),
    # GHM-C: the sigmoid of the margin
    pytest.param(GHMXGBClassifier, 2, {"ghm_bins": 10}, None, id="GHMXGB"),
    pytest.param(GHMLGBMClassifier, 2, {"ghm_bins": 20, "ghm_momentum": 0.5},
                 ["neg", "pos"], id="GHMLGBM-str"),
]


@pytest.mark.parametrize("cls,k,params,labels", ESTIMATOR_CASES)
def test_onnx_outputs_are_predict_and_predict_proba(cls, k, params, labels, request):
    X, X_test, y, _ = _data(k, labels=labels)
    est = cls(**PARAMS[cls], **params).fit(X, y)
    model = bf_onnx.to_onnx(est)
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    _agree(est, model, X_test, request.node.callspec.id)
    label, _ = _run(model, X_test[:5])
    expected_kind = {"i": "i", "u": "i", "b": "b", "f": "f", "U": "O", "O": "O"}
    assert label.dtype.kind == expected_kind[est.classes_.dtype.kind]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["boostfocal.loss"] == repr(est.loss_)
    assert props["boostfocal.probabilities"] == (
        "posterior" if params.get("focal_proba", "posterior") == "posterior"
        and not cls.__name__.startswith("GHM") else "confidence")


def test_balanced_alpha_is_the_fitted_one():
    X, X_test, y, _ = _data(2)
    est = FocalXGBClassifier(**XGB, focal_alpha="balanced").fit(X, y)
    props = {p.key: p.value for p in bf_onnx.to_onnx(est).metadata_props}
    assert f"alpha={est.focal_alpha_!r}" in props["boostfocal.loss"]
    assert 0.8 < est.focal_alpha_ < 0.9  # W0 / (W0 + W1) with 15% positives


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_a_refit_after_set_params_exports_the_new_model(cls):
    X, X_test, y, _ = _data(3)
    est = cls(**PARAMS[cls]).fit(X, y)
    before = _run(bf_onnx.to_onnx(est), X_test)[1]
    est.set_params(focal_gamma=0.5, focal_alpha=[1.0, 2.0, 0.5], n_estimators=30).fit(X, y)
    model = bf_onnx.to_onnx(est)
    _agree(est, model, X_test, f"{cls.__name__} refit after set_params")
    assert np.max(np.abs(_run(model, X_test)[1] - before)) > 1e-2
    # focal_proba is read at export time, as predict_proba reads it
    est.set_params(focal_proba="confidence")
    _agree(est, bf_onnx.to_onnx(est), X_test, f"{cls.__name__} focal_proba set after fit")


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_a_model_loaded_from_its_file_exports_the_same_model(cls, tmp_path):
    X, X_test, y, _ = _data(3, labels=["a", "b", "c"])
    est = cls(**PARAMS[cls], focal_alpha="balanced").fit(X, y)
    path = tmp_path / ("model.json" if cls is FocalXGBClassifier else "model.txt")
    est.save_model(path)
    loaded = cls()
    loaded.load_model(path)
    _agree(est, bf_onnx.to_onnx(loaded), X_test, f"{cls.__name__} loaded from its file")


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_missing_values(cls):
    X, X_test, y, _ = _data(2, seed=5)
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.1] = np.nan
    X_test[rng.random(X_test.shape) < 0.1] = np.nan
    est = cls(**PARAMS[cls]).fit(X, y)
    _agree(est, bf_onnx.to_onnx(est), X_test, f"{cls.__name__} with NaN")


def test_lightgbm_categorical_feature():
    X, X_test, y, _ = _data(3, seed=2)
    rng = np.random.default_rng(2)
    codes, codes_test = rng.integers(0, 12, len(y)), rng.integers(0, 12, len(X_test))
    y = np.where(np.isin(codes, [1, 4, 7, 9]), (y + 1) % 3, y)   # the category matters
    X, X_test = np.c_[codes, X], np.c_[codes_test, X_test]
    est = FocalLGBMClassifier(**LGBM).fit(X, y, categorical_feature=[0])
    _agree(est, bf_onnx.to_onnx(est), X_test, "FocalLGBM-3 categorical feature")


def test_xgboost_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, X_test, y, _ = _data(2)
    columns = [f"col {i}" for i in range(X.shape[1])]
    est = FocalXGBClassifier(**XGB).fit(pd.DataFrame(X, columns=columns), y)
    model = bf_onnx.to_onnx(est)
    X32 = X_test.astype(np.float32)
    label, proba = _run(model, X32)
    frame = pd.DataFrame(X32, columns=columns)
    assert np.max(np.abs(proba - est.predict_proba(frame))) <= 1e-4
    assert np.mean(label == est.predict(frame)) >= 0.999


@pytest.mark.parametrize("opset", range(bf_onnx.MIN_OPSET, NEWEST_OPSET + 1))
def test_every_opset(opset, fitted_pair):
    for est, X_test in fitted_pair:
        model = bf_onnx.to_onnx(est, target_opset=opset)
        assert {o.domain: o.version for o in model.opset_import}[""] <= opset
        label, proba = _run(model, X_test)
        X32 = X_test.astype(np.float32)
        assert np.max(np.abs(proba - est.predict_proba(X32))) <= 1e-4
        assert np.mean(label == est.predict(X32)) >= 0.999


@pytest.fixture(scope="module")
def fitted_pair():
    X, X_test, y, _ = _data(3, n=1000, labels=["a", "b", "c"])
    return [(FocalXGBClassifier(**XGB, focal_alpha=[1, 2, 3]).fit(X, y), X_test),
            (FocalLGBMClassifier(**LGBM).fit(X, y), X_test)]


# ---------------------------------------------------------------------------- Dask
@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("k", [2, 3])
def test_dask_estimators(dask_client, k):
    import dask.array as da

    from boostfocal.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier

    X, X_test, y, _ = _data(k, n=2000, labels=["x", "y", "z"][:k])
    dX, dy = da.from_array(X, chunks=(500, X.shape[1])), da.from_array(y, chunks=500)
    xclf = DaskFocalXGBClassifier(**XGB, focal_alpha="balanced")
    xclf.client = dask_client
    lclf = DaskFocalLGBMClassifier(client=dask_client, **{**LGBM, "n_jobs": None},
                                   focal_gamma=1.0)
    for est in (xclf.fit(dX, dy, verbose=False), lclf.fit(dX, dy)):
        model = bf_onnx.to_onnx(est)
        X32 = X_test.astype(np.float32)
        d32 = da.from_array(X32, chunks=(500, X.shape[1]))
        label, proba = _run(model, X32)
        expected = est.predict_proba(d32).compute()
        worst = float(np.max(np.abs(proba - expected)))
        same = label == est.predict(d32).compute()
        print(f"\n[onnx] {type(est).__name__} k={k}: worst |probabilities - "
              f"predict_proba| = {worst:.2e}, labels equal on {same.sum()}/{len(X32)} "
              "held-out rows")
        assert worst <= 1e-4
        assert same.mean() >= 0.999


# ---------------------------------------------------------------------------- pipelines
def _frame(n: int, seed: int = 0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"amount": rng.lognormal(size=n).astype(np.float32),
                          "age": rng.normal(40, 10, size=n).astype(np.float32),
                          "channel": rng.choice(["web", "shop", "phone"], size=n)})
    score = (np.log(frame["amount"]) + (frame["channel"] == "phone") * 1.5
             + rng.normal(size=n) - 1.2)
    return frame, np.where(score > 0, "fraud", "ok")


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
@pytest.mark.parametrize("zipmap", [False, True])
def test_pipeline_with_a_column_transformer(cls, zipmap):
    frame, y = _frame(4000)
    train, test, y_train, _ = train_test_split(frame, y, test_size=0.5, random_state=0)
    pipe = Pipeline([
        ("columns", ColumnTransformer([("onehot", OneHotEncoder(), ["channel"])],
                                      remainder="passthrough")),
        ("clf", cls(**PARAMS[cls], focal_alpha=0.25))]).fit(train, y_train)
    options = {id(pipe[-1]): {"zipmap": False}} if not zipmap else None
    model = skl2onnx.to_onnx(pipe, train[:1], options=options)
    feeds = {c: test[[c]].to_numpy() for c in test.columns}
    label, proba = _session(model).run(None, feeds)
    if zipmap:  # a list of {class: probability}
        assert [o.name for o in model.graph.output] == ["output_label", "output_probability"]
        proba = np.array([[row[c] for c in pipe.classes_] for row in proba])
    else:
        assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    expected = pipe.predict_proba(test)
    worst = float(np.max(np.abs(proba - expected)))
    same = label == pipe.predict(test)
    print(f"\n[onnx] Pipeline(ColumnTransformer, {cls.__name__}) zipmap={zipmap}: worst "
          f"|probabilities - predict_proba| = {worst:.2e}, labels equal on "
          f"{same.sum()}/{len(test)} held-out rows")
    assert worst <= 1e-4
    assert same.mean() >= 0.999


# ---------------------------------------------------------------------------- errors
def test_unfitted_and_foreign_objects():
    with pytest.raises(NotFittedError):
        bf_onnx.to_onnx(FocalXGBClassifier())
    with pytest.raises(NotFittedError):
        bf_onnx.to_onnx(GHMLGBMClassifier())
    X, _, y, _ = _data(2, n=400)
    for foreign in (xgb.XGBClassifier(n_estimators=2).fit(X, y), "model", None):
        with pytest.raises(TypeError, match="boostfocal estimator"):
            bf_onnx.to_onnx(foreign)


@pytest.mark.parametrize("target_opset", [10, 10_000, 17.0, True, "17"])
def test_bad_target_opset(target_opset):
    X, _, y, _ = _data(2, n=400)
    est = FocalXGBClassifier(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="target_opset must be None or an integer from 11"):
        bf_onnx.to_onnx(est, target_opset=target_opset)


@pytest.mark.parametrize("cls,params,match", [
    (FocalXGBClassifier, {"booster": "gblinear"}, "booster='gblinear'"),
    (FocalXGBClassifier, {"booster": "dart"}, "booster='dart'"),
    (FocalXGBClassifier, {"missing": 0.0}, "missing=0.0"),
    (FocalXGBClassifier, {"multi_strategy": "multi_output_tree", "tree_method": "hist"},
     "multi_strategy='multi_output_tree'"),
    (FocalLGBMClassifier, {"linear_tree": True}, "linear_tree=True"),
])
def test_models_the_tree_ensemble_cannot_hold(cls, params, match):
    X, _, y, _ = _data(2, n=400)
    est = cls(n_estimators=3, n_jobs=1, **params)
    est = (est.set_params(verbose=-1) if cls is FocalLGBMClassifier else est).fit(X, y)
    with pytest.raises(ValueError, match=match):
        bf_onnx.to_onnx(est)


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)


def test_onnx_is_optional_and_its_absence_names_the_extra():
    # One interpreter: the core and the backends load no ONNX package; then each missing
    # package (a None entry makes its import fail) gives an ImportError naming the extra.
    res = _run_python("""
        import sys
        import boostfocal, boostfocal.xgboost, boostfocal.lightgbm
        assert not {"onnx", "skl2onnx", "onnxmltools"} & set(sys.modules), "onnx imported"
        for missing in ("onnx", "skl2onnx", "onnxmltools"):
            saved = sys.modules.get(missing)
            sys.modules[missing] = None
            try:
                import boostfocal.onnx
            except ImportError as exc:
                print(missing, "->", exc)
            else:
                raise SystemExit(f"no ImportError without {missing}")
            finally:
                for name in [m for m in sys.modules if m.startswith("boostfocal.onnx")]:
                    del sys.modules[name]
                sys.modules[missing] = saved
                if saved is None:
                    del sys.modules[missing]
    """)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 3
    for line, missing in zip(lines, ("onnx", "skl2onnx", "onnxmltools"), strict=True):
        assert line.startswith(f"{missing} -> ") and repr(missing) in line
        assert 'pip install "boostfocal[onnx]"' in line


def test_import_registers_the_estimators_with_skl2onnx():
    from skl2onnx._supported_operators import sklearn_operator_name_map

    for cls in (FocalXGBClassifier, GHMXGBClassifier, FocalLGBMClassifier,
                GHMLGBMClassifier):
        assert sklearn_operator_name_map[cls] == f"Boostfocal{cls.__name__}"
