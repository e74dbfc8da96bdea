"""Dask: the Dask estimators agree with the in-memory ones; the native recipes work.

The estimator contract the Dask estimators share with the in-memory ones (shapes,
labels, weights, parameter checks, get_params/clone, pickling, focal_proba) runs over
them in test_contract.py; this module keeps what is Dask's own.

Everything runs on one module-scoped ``LocalCluster`` of two single-threaded worker
processes (no dashboard, random ports), closed when the module ends. Data are small and
models have few trees: the whole module takes well under a minute on two cores.
"""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost.dask as dxgb  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from boostfocal import FocalLoss, SoftmaxFocalLoss  # noqa: E402
from boostfocal.dask import (  # noqa: E402
    DaskFocalLGBMClassifier,
    DaskFocalXGBClassifier,
    class_totals,
    init_score,
    make_lgbm_metric,
    make_lgbm_objective,
    start_margin,
)
from boostfocal.lightgbm import FocalLGBMClassifier  # noqa: E402
from boostfocal.xgboost import FocalXGBClassifier, make_metric, make_objective  # noqa: E402

# One cluster per test process: with ``pytest -n 2 --dist loadgroup`` all these tests run
# in one xdist worker instead of starting a cluster in each.
pytestmark = pytest.mark.xdist_group("dask")

N = 2000
BLOCK = 500  # four row blocks, spread over the two workers
XGB = {"n_estimators": 20, "max_depth": 3, "tree_method": "hist"}
LGBM = {"n_estimators": 20, "num_leaves": 8, "verbose": -1}

#: Held-out ROC AUC of a Dask model minus that of the in-memory model on the same data.
#: XGBoost: 0.01, as the issue asks. LightGBM trains data-parallel: each worker bins
#: the features from its own rows, so the trees differ slightly from the in-memory ones.
#: Measured over 8 seeds at 3,000 rows (4 blocks, 30 trees) the largest difference was
#: 0.0055 (XGBoost) and 0.0031 (LightGBM) binary, 0.0023 / 0.0018 multiclass; 0.01 is
#: that worst case with a margin of about 2x, for both.
AUC_TOL = {"xgb": 0.01, "lgbm": 0.01}


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_port=0, silence_logs=40)
    dask_client = Client(cluster, timeout="60s")
    try:
        yield dask_client
    finally:
        dask_client.close(timeout=30)
        cluster.close(timeout=30)


def _binary(seed=0, n=N):
    X, y = make_classification(n_samples=2 * n, n_features=8, n_informative=5,
                               n_redundant=0, weights=[0.9], random_state=seed)
    return X[:n], y[:n], X[n:], y[n:]


def _multiclass(seed=0, n=N):
    X, y = make_classification(n_samples=2 * n, n_features=8, n_informative=5,
                               n_redundant=0, n_classes=3, weights=[0.7, 0.2],
                               n_clusters_per_class=1, random_state=seed)
    return X[:n], y[:n], X[n:], y[n:]


def _arr(a, block=BLOCK):
    return da.from_array(a, chunks=(block,) + a.shape[1:])


def _auc(y, proba, classes):
    if len(classes) == 2:
        return roc_auc_score(y == classes[1], proba[:, 1])
    return roc_auc_score(y, proba, multi_class="ovr", labels=classes)


BACKENDS = {
    "xgb": (DaskFocalXGBClassifier, FocalXGBClassifier, XGB),
    "lgbm": (DaskFocalLGBMClassifier, FocalLGBMClassifier, LGBM),
}


def _make(backend, client, **kwargs):
    dask_cls, _, params = BACKENDS[backend]
    est = dask_cls(**params, **kwargs)
    if backend == "xgb":
        est.client = client
    else:
        est.set_params(client=client)
    return est


def _in_memory(backend, **kwargs):
    _, cls, params = BACKENDS[backend]
    return cls(**params, **kwargs)


# ---------------------------------------------------------------------------------------
# agreement with the in-memory estimators
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_agrees_with_in_memory_estimator(client, backend, task):
    X, y, X_test, y_test = (_binary if task == "binary" else _multiclass)(seed=1)
    names = np.array(["ant", "bee", "cat"])  # string labels, encoded distributedly
    y, y_test = names[y], names[y_test]
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.shape[0])

    est = _make(backend, client).fit(_arr(X), _arr(y), sample_weight=_arr(w))
    ref = _in_memory(backend).fit(X, y, sample_weight=w)

    # the starting score comes from class totals reduced on the cluster
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)
    assert_array_equal(est.classes_, ref.classes_)
    assert est.loss_ == ref.loss_

    proba = est.predict_proba(_arr(X_test))
    assert isinstance(proba, da.Array)
    proba = proba.compute()
    assert proba.shape == (X_test.shape[0], len(ref.classes_))
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    auc, auc_ref = (_auc(y_test, p, ref.classes_)
                    for p in (proba, ref.predict_proba(X_test)))
    assert abs(auc - auc_ref) <= AUC_TOL[backend], (auc, auc_ref)
    assert auc > 0.8

    labels = est.predict(_arr(X_test))
    assert isinstance(labels, da.Array)
    labels = labels.compute()
    assert_array_equal(labels, est.classes_[np.argmax(proba, axis=1)])
    assert labels.dtype == y.dtype

    margin = est.decision_function(_arr(X_test)).compute()
    assert margin.shape == ((X_test.shape[0],) if task == "binary"
                            else (X_test.shape[0], 3))
    assert_allclose(est.loss_.predict_proba(margin), proba, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_all_rows_on_one_worker_reproduce_the_in_memory_model(client, backend):
    # With one row block, one worker trains on all the data exactly as in memory: the
    # labels, weights, starting score, per-row offsets and posterior must then match.
    X, y, X_test, _ = _multiclass(seed=2, n=600)
    y = np.array([1, 3, 7])[y]
    rng = np.random.default_rng(1)
    w = rng.uniform(0.2, 3.0, size=y.shape[0])
    offset, offset_test = rng.normal(0, 0.3, (600, 3)), rng.normal(0, 0.3, (600, 3))
    key = "base_margin" if backend == "xgb" else "init_score"
    est = _make(backend, client, focal_alpha=[0.2, 0.3, 0.5]).fit(
        _arr(X, 600), _arr(y, 600), sample_weight=_arr(w, 600), **{key: _arr(offset, 600)})
    ref = _in_memory(backend, focal_alpha=[0.2, 0.3, 0.5]).fit(
        X, y, sample_weight=w, **{key: offset})
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)
    assert_allclose(est.predict_proba(_arr(X_test, 600), **{key: _arr(offset_test, 600)})
                    .compute(), ref.predict_proba(X_test, **{key: offset_test}),
                    rtol=1e-6, atol=1e-6)
    assert_array_equal(est.predict(_arr(X_test, 600)).compute(), ref.predict(X_test))


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_dataframe_input_and_labels_1_3(client, backend):
    X, y, X_test, y_test = _binary(seed=3)
    y, y_test = np.where(y == 1, 3, 1), np.where(y_test == 1, 3, 1)
    cols = [f"f{i}" for i in range(X.shape[1])]
    ddf = dd.from_pandas(pd.DataFrame(X, columns=cols), npartitions=4)
    ys = dd.from_pandas(pd.Series(y, name="target"), npartitions=4)
    ddf_test = dd.from_pandas(pd.DataFrame(X_test, columns=cols), npartitions=4)

    est = _make(backend, client, focal_gamma=1.0).fit(ddf, ys)
    ref = _in_memory(backend, focal_gamma=1.0).fit(pd.DataFrame(X, columns=cols), y)
    assert_array_equal(est.classes_, [1, 3])
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)
    proba = est.predict_proba(ddf_test).compute()
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    auc = _auc(y_test, proba, [1, 3])
    auc_ref = _auc(y_test, ref.predict_proba(pd.DataFrame(X_test, columns=cols)), [1, 3])
    assert abs(auc - auc_ref) <= AUC_TOL[backend]
    assert set(np.unique(est.predict(ddf_test).compute())) <= {1, 3}


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_a_block_without_some_class_trains_the_k_class_model(client, backend):
    # Rows sorted by label: the first blocks hold class 0 only, the rare class sits in
    # the last block alone, so at least one worker never sees it. K is global anyway.
    X, y, X_test, y_test = _multiclass(seed=14)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    est = _make(backend, client).fit(_arr(X), _arr(y))
    ref = _in_memory(backend).fit(X, y)
    assert_array_equal(est.classes_, [0, 1, 2])
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)
    proba = est.predict_proba(_arr(X_test)).compute()
    assert proba.shape == (X_test.shape[0], 3)
    assert _auc(y_test, proba, [0, 1, 2]) > 0.8


def test_xgb_class_weights_and_alpha_enter_the_starting_score(client):
    X, y, _, _ = _binary(seed=4)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=y.shape[0])
    params = {"scale_pos_weight": 3.0, "focal_alpha": "balanced"}
    est = _make("xgb", client, **params).fit(_arr(X), _arr(y), sample_weight=_arr(w))
    ref = _in_memory("xgb", **params).fit(X, y, sample_weight=w)
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)
    assert est.loss_.alpha == pytest.approx(ref.loss_.alpha, abs=1e-12)


@pytest.mark.parametrize("params", [{"class_weight": "balanced"}, {"is_unbalance": True},
                                    {"scale_pos_weight": 2.5, "class_weight": {0: 2.0}}])
def test_lgbm_class_weights_enter_the_starting_score(client, params):
    X, y, _, _ = _binary(seed=5)
    est = _make("lgbm", client, **params).fit(_arr(X), _arr(y))
    ref = _in_memory("lgbm", **params).fit(X, y)
    assert_allclose(est.init_score_, ref.init_score_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_eval_set_reports_focal_loss_and_offsets_add_to_the_start(client, backend):
    X, y, X_test, y_test = _binary(seed=6)
    dX, dy, dX_test = _arr(X), _arr(y), _arr(X_test)
    offset = _arr(np.full(X_test.shape[0], 0.5))
    est = _make(backend, client)
    if backend == "xgb":
        est.fit(dX, dy, eval_set=[(dX_test, _arr(y_test))], verbose=False)
        history = est.evals_result()["validation_0"]["focal_loss"]
        shifted = est.decision_function(dX_test, base_margin=offset)
    else:
        est.fit(dX, dy, eval_set=[(dX_test, _arr(y_test))])
        history = est.evals_result_["valid_0"]["focal_loss"]
        shifted = est.decision_function(dX_test, init_score=offset)
    assert len(history) == 20 and history[-1] < history[0]
    # XGBoost predicts in float32: the offset is added before rounding, not after
    assert_allclose(shifted.compute(), est.decision_function(dX_test).compute() + 0.5,
                    atol=1e-6 if backend == "xgb" else 1e-12)


# ---------------------------------------------------------------------------------------
# the starting score from distributed class totals
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss,k", [(FocalLoss(gamma=2.0, alpha=0.25), 2),
                                    (SoftmaxFocalLoss(gamma=1.5, alpha=[1.0, 2.0, 0.5]), 3)])
def test_init_score_helper_equals_the_loss_on_all_rows(client, loss, k):
    rng = np.random.default_rng(3)
    y = rng.choice(k, size=1500, p=[0.8, 0.2] if k == 2 else [0.6, 0.3, 0.1])
    w = rng.uniform(0.0, 2.0, size=1500)
    expected = loss.init_score(y, w) if k == 2 else loss.init_score(y, w, n_classes=k)
    got = init_score(loss, _arr(y, 400), _arr(w, 300), client=client)
    assert_allclose(got, expected, rtol=0, atol=1e-9)
    totals = class_totals(_arr(y, 400), _arr(w, 300), n_classes=k, client=client)
    assert_allclose(totals, np.bincount(y, weights=w, minlength=k), rtol=1e-12)


def test_class_totals_reject_bad_labels_and_weights(client):
    y = _arr(np.array([0, 1, 2, 1] * 50), 50)
    with pytest.raises(ValueError, match="class indices 0..1"):
        class_totals(y, n_classes=2, client=client)
    w = _arr(np.r_[-1.0, np.ones(199)], 50)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        class_totals(y, w, n_classes=3, client=client)


def test_class_totals_keep_tiny_classes_and_refuse_overflow(client):
    y = _arr(np.array([0, 1, 0, 1] * 50), 50)
    w = _arr(np.array([1.0, 1e17, 1.0, 1e17] * 50), 50)
    assert class_totals(y, w, client=client).tolist() == [100.0, 100 * 1e17]
    with pytest.raises(ValueError, match="sample_weight must be at most"):
        class_totals(y, _arr(np.array([1.0, 1e39, 1.0, 1.0] * 50), 50), client=client)


@pytest.mark.parametrize("labels", [np.array(["b", "a", "c"], dtype=object),
                                    np.array(["b", "a", "c"]),
                                    np.array([2.0, -1.0, 7.0]), np.array([3, 1, 2])])
def test_one_pass_label_table_gives_the_in_memory_class_statistics(client, labels):
    # The fit plan's single reduction: the classes, row counts, weighted totals and
    # largest weights of every class, from per-block tables of the original labels (the
    # first block holds no third class).
    from boostfocal.dask._common import ClassStats, classes_from_uniques, label_table

    rng = np.random.default_rng(8)
    codes = np.r_[rng.integers(0, 2, 50), rng.integers(0, 3, 150)]
    y, w = labels[codes], rng.uniform(0.1, 3.0, 200)
    table = client.compute(label_table(_arr(y, 50), _arr(w, 50))).result()
    classes = classes_from_uniques(table[0])
    assert_array_equal(classes, np.sort(labels))
    stats = ClassStats.from_table(table, classes, "y")
    index = np.searchsorted(classes, y)
    assert_array_equal(stats.counts, np.bincount(index, minlength=3))
    assert_allclose(stats.totals, np.bincount(index, weights=w, minlength=3), rtol=1e-12)
    assert_array_equal(stats.max_weights, [w[index == k].max() for k in range(3)])
    unweighted = ClassStats.from_table(client.compute(label_table(_arr(y, 50))).result(),
                                       classes, "y")
    assert_array_equal(unweighted.totals, np.bincount(index, minlength=3))


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_fit_plan_refuses_missing_labels_and_bad_eval_weights(client, backend):
    X, y, _, _ = _binary(seed=13, n=400)
    dX = _arr(X, 100)
    missing = np.where(y == 1, "yes", "no").astype(object)
    missing[250] = None
    with pytest.raises(ValueError, match="missing"):
        _make(backend, client).fit(dX, _arr(missing, 100))
    eval_w = [_arr(np.r_[np.ones(399), -2.0], 100)]
    kwargs = ({"sample_weight_eval_set": eval_w, "verbose": False} if backend == "xgb"
              else {"eval_sample_weight": eval_w})
    with pytest.raises(ValueError, match=r"weight.*\[0\].*finite and >= 0"):
        _make(backend, client).fit(dX, _arr(y, 100), eval_set=[(dX, _arr(y, 100))],
                                   **kwargs)


# ---------------------------------------------------------------------------------------
# native use
# ---------------------------------------------------------------------------------------

def _native_xgboost(client, loss, X, y, X_test, block):
    """The recipe of the module docstring: xgboost.dask.train with the native adapters."""
    dX, dy, dX_test = _arr(X, block), _arr(y, block), _arr(X_test, block)
    start = init_score(loss, dy, client=client)
    dtrain = dxgb.DaskDMatrix(client, dX, dy, base_margin=start_margin(start, dX))
    params = {"disable_default_eval_metric": 1, "max_depth": 3, "tree_method": "hist",
              "min_child_weight": 0.01}
    out = dxgb.train(client, params, dtrain, 20, obj=make_objective(loss),
                     custom_metric=make_metric(loss), evals=[(dtrain, "train")])
    dtest = dxgb.DaskDMatrix(client, dX_test, base_margin=start_margin(start, dX_test))
    margin = dxgb.predict(client, out["booster"], dtest, output_margin=True)
    proba = margin.map_blocks(loss.predict_proba, new_axis=1,
                              chunks=(margin.chunks[0], (2,)))
    return start, out["history"]["train"]["focal_loss"], proba.compute()


def _native_lightgbm(client, loss, X, y, X_test, y_test, block):
    """The recipe of the module docstring: DaskLGBMClassifier with the 3-argument adapters."""
    dX, dy, dX_test = _arr(X, block), _arr(y, block), _arr(X_test, block)
    start = init_score(loss, dy, client=client)
    clf = lgb.DaskLGBMClassifier(client=client, objective=make_lgbm_objective(loss),
                                 metric="None", **LGBM)
    clf.fit(dX, dy, init_score=start_margin(start, dX), eval_X=dX_test,
            eval_y=_arr(y_test, block), eval_metric=make_lgbm_metric(loss))
    margin = clf.predict_proba(dX_test) + start  # raw scores, without the init score
    proba = margin.map_blocks(loss.predict_proba, new_axis=1,
                              chunks=(margin.chunks[0], (2,)))
    return start, clf.evals_result_["valid_0"]["focal_loss"], proba.compute()


# LightGBM's own warnings about its Dask layer (it sets num_threads per worker) and about
# raw scores under a custom objective, which the recipe then handles.
@pytest.mark.filterwarnings("ignore:Parameter n_jobs will be ignored:UserWarning")
@pytest.mark.filterwarnings("ignore:Cannot compute class probabilities:UserWarning")
@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_native_dask_recipes(client, backend):
    loss = FocalLoss(gamma=2.0)
    X, y, X_test, y_test = _binary(seed=7)
    if backend == "xgb":
        start, history, proba = _native_xgboost(client, loss, X, y, X_test, BLOCK)
    else:
        start, history, proba = _native_lightgbm(client, loss, X, y, X_test, y_test, BLOCK)
    assert start == pytest.approx(loss.init_score(y), abs=1e-9)
    assert history[-1] < history[0]
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    ref = _in_memory(backend).fit(X, y)
    auc_ref = roc_auc_score(y_test, ref.predict_proba(X_test)[:, 1])
    assert abs(roc_auc_score(y_test, proba[:, 1]) - auc_ref) <= AUC_TOL[backend]

    # On one row block (one worker) the recipe is exactly the in-memory estimator.
    X, y, X_test, y_test = X[:600], y[:600], X_test[:600], y_test[:600]
    if backend == "xgb":
        _, _, proba = _native_xgboost(client, loss, X, y, X_test, 600)
    else:
        _, _, proba = _native_lightgbm(client, loss, X, y, X_test, y_test, 600)
    assert_allclose(proba, _in_memory(backend).fit(X, y).predict_proba(X_test), atol=1e-6)


def test_adapters_pickle_and_run_on_a_worker(client):
    rng = np.random.default_rng(4)
    for loss, y, z in [(FocalLoss(gamma=2.0, alpha=0.3), rng.integers(0, 2, 50),
                        rng.normal(size=50)),
                       (SoftmaxFocalLoss(gamma=2.0), rng.integers(0, 3, 50),
                        rng.normal(size=(50, 3)))]:
        w = rng.uniform(0.5, 1.5, size=50)
        for adapter in (make_lgbm_objective(loss), make_lgbm_metric(loss),
                        make_objective(loss), make_metric(loss)):
            assert repr(pickle.loads(pickle.dumps(adapter))) == repr(adapter)
        objective = make_lgbm_objective(loss)
        remote = client.submit(objective, y, z, w, pure=False).result()
        local = objective(y, z, w)
        for a, b in zip(remote, local, strict=True):
            assert_allclose(a, b, rtol=1e-15)
        metric = make_lgbm_metric(loss)
        assert client.submit(metric, y, z, w, pure=False).result() == metric(y, z, w)


# ---------------------------------------------------------------------------------------
# estimator surface
# ---------------------------------------------------------------------------------------

def test_lgbm_get_params_copies_the_booster_no_more_than_lightgbm(client, monkeypatch):
    # LGBMModel.get_params copies the estimator at every level of the class hierarchy,
    # and DaskLGBMClassifier's copy deep-copies the booster (a model-to-string round
    # trip); the classes in front of it copy shallowly, so that get_params (run by
    # every predict_proba, through to_local) costs what DaskLGBMClassifier's does.
    X, y, X_test, _ = _binary(seed=14, n=400)
    ours = _make("lgbm", client).fit(_arr(X, 100), _arr(y, 100))
    theirs = lgb.DaskLGBMClassifier(**LGBM, client=client).fit(_arr(X, 100), _arr(y, 100))
    proba = ours.predict_proba(_arr(X_test, 100)).compute()
    calls = []
    original = lgb.Booster.model_to_string

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(lgb.Booster, "model_to_string", counted)
    theirs.get_params()
    n_theirs = len(calls)
    calls.clear()
    ours.get_params()
    assert 0 < len(calls) <= n_theirs
    assert_array_equal(ours.to_local().predict_proba(X_test), proba)
    copied = pickle.loads(pickle.dumps(ours))
    assert copied.client is None and "client" not in copied._other_params
    assert_array_equal(copied.to_local().predict_proba(X_test), proba)


def test_lgbm_to_local_predicts_the_same(client):
    # (pickling and focal_proba on a fitted model: test_contract.py)
    X, y, X_test, _ = _binary(seed=9, n=800)
    est = _make("lgbm", client).fit(_arr(X, 200), _arr(y, 200))
    before = est.predict_proba(_arr(X_test, 200)).compute()
    # the in-memory twin predicts the same on in-memory data
    assert_allclose(est.to_local().predict_proba(X_test), before, atol=1e-12)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_focal_params_never_reach_the_booster(client, backend, capfd):
    # (get_params, clone, and fit leaving the parameters unchanged: test_contract.py)
    X, y, _, _ = _binary(seed=10, n=800)
    est = _make(backend, client, focal_gamma=1.0, focal_alpha=0.3)
    est.fit(_arr(X, 200), _arr(y, 200))
    if backend == "xgb":
        config = est.get_booster().save_config()
    else:
        config = repr(est.booster_.params) + est.booster_.model_to_string()
    assert "focal" not in config
    assert "focal_" not in capfd.readouterr().err


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_default_client_and_column_chunks(client, backend):
    X, y, _, _ = _binary(seed=11, n=400)
    est = BACKENDS[backend][0](**BACKENDS[backend][2])  # no client given
    # X in row and column blocks, y as an (n, 1) array: both are accepted
    dX, dy = da.from_array(X, chunks=(100, 3)), da.from_array(y[:, None], chunks=(100, 1))
    est.fit(dX, dy)
    assert est.predict(dX).compute().shape == (400,)


def test_xgb_asynchronous_client(client):
    import asyncio

    X, y, X_test, _ = _binary(seed=13, n=400)

    async def run():
        async with Client(client.scheduler.address, asynchronous=True) as async_client:
            est = DaskFocalXGBClassifier(**XGB)
            est.client = async_client
            await est.fit(_arr(X, 100), _arr(y, 100))
            proba = await est.predict_proba(_arr(X_test, 100))
            return est.init_score_, await async_client.compute(proba)

    start, proba = asyncio.run(run())
    assert start == pytest.approx(FocalLoss().init_score(y), abs=1e-9)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_bad_input_raises(client, backend):
    X, y, _, _ = _binary(seed=12, n=400)
    dX, dy = _arr(X, 100), _arr(y, 100)
    with pytest.raises(TypeError, match="X must be a 2-D dask array"):
        _make(backend, client).fit(X, dy)
    with pytest.raises(TypeError, match="y must be a dask array"):
        _make(backend, client).fit(dX, y)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        _make(backend, client).fit(dX, dy, sample_weight=_arr(np.r_[np.nan, np.ones(399)],
                                                               100))
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        _make(backend, client).fit(dX, dy, sample_weight=_arr(np.zeros(400), 100))
    with pytest.raises(ValueError, match="at least 2 classes"):
        _make(backend, client).fit(dX, _arr(np.zeros(400, dtype=int), 100))
    bad_eval = [(dX, _arr(np.where(y == 1, 5, 0), 100))]
    with pytest.raises(ValueError, match="not seen in y"):
        if backend == "xgb":
            _make(backend, client).fit(dX, dy, eval_set=bad_eval, verbose=False)
        else:
            _make(backend, client).fit(dX, dy, eval_set=bad_eval)


# ---------------------------------------------------------------------------------------
# the kernels' threads on a worker
# ---------------------------------------------------------------------------------------

def _record_kernel_threads(monkeypatch) -> list:
    """The ``n_threads`` of every focal gradient and loss call in this process."""
    seen = []
    for name in ("gradient_hessian", "loss"):
        original = getattr(FocalLoss, name)

        def spy(self, *args, _original=original, **kwargs):
            seen.append(kwargs.get("n_threads"))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FocalLoss, name, spy)
    return seen


@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_kernels_run_on_the_worker_threads(backend, monkeypatch):
    # A worker of 2 threads: the booster trains on 2 threads there, and so do the
    # kernels (a worker process's OMP_NUM_THREADS=1 would otherwise make them serial).
    # In-process, so that the spy sees the workers' calls.
    X, y, X_test, y_test = _binary(seed=5)
    seen = _record_kernel_threads(monkeypatch)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as local:
        est = _make(backend, local)
        if backend == "xgb":
            est.fit(_arr(X), _arr(y), eval_set=[(_arr(X_test), _arr(y_test))], verbose=False)
        else:
            est.fit(_arr(X), _arr(y), eval_set=[(_arr(X_test), _arr(y_test))])
        assert seen and set(seen) == {2}
        if backend == "xgb":  # the user's n_jobs wins, as it does for XGBoost
            seen.clear()
            _make(backend, local, n_jobs=1).fit(_arr(X), _arr(y))
            assert seen and set(seen) == {1}


def test_worker_threads_outside_a_worker_is_the_adapters_own():
    from boostfocal.dask._common import worker_threads
    from boostfocal.dask._xgboost import _WorkerObjective

    assert worker_threads() is None
    assert _WorkerObjective(FocalLoss(gamma=2.0))._kernel_threads() is None
    assert _WorkerObjective(FocalLoss(gamma=2.0), n_threads=3)._kernel_threads() == 3


def _faults_per_call(objective, n: int, calls: int = 5) -> tuple[float, str | None]:
    """Minor page faults of this thread per objective call (after one warm-up call).

    The labels and margins are made here, as the booster makes them on the worker
    (arrays received from the client may be copied by the kernels' input checks).
    """
    import os
    import resource

    rng = np.random.default_rng(15)
    y = (rng.random(n) < 0.05).astype(np.float32)
    z = rng.normal(size=n).astype(np.float32)
    args = (y, z) if "weight" not in str(inspect.signature(objective)) else (y, z, None)
    objective(*args)
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    for _ in range(calls):
        objective(*args)
    after = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    return (after - before) / calls, os.environ.get("MALLOC_TRIM_THRESHOLD_")


@pytest.mark.skipif(not hasattr(__import__("resource"), "RUSAGE_THREAD"),
                    reason="per-thread page-fault counts are Linux-only")
@pytest.mark.parametrize("backend", ["xgb", "lgbm"])
def test_worker_objective_reuses_its_outputs_without_page_faults(client, backend):
    # distributed's worker processes set MALLOC_TRIM_THRESHOLD_, so that every fresh
    # 2 MB gradient array is mapped and page-faulted in anew each round; the Dask
    # estimators' objective hands back the same two arrays instead.
    if backend == "xgb":
        from boostfocal.dask._xgboost import _WorkerObjective
        from boostfocal.xgboost._adapter import _FocalObjective as Plain
    else:
        from boostfocal.dask._lightgbm import _WorkerObjective
        from boostfocal.lightgbm._adapter import LGBMSklearnObjective as Plain
    n = 500_000
    loss = FocalLoss(gamma=2.0)
    reused, plain = _WorkerObjective(loss), Plain(loss, n_threads=1)
    pages = 2 * n * 4 / 4096  # the gradient and the Hessian
    reused_faults, env = client.submit(_faults_per_call, reused, n, pure=False).result()
    plain_faults, _ = client.submit(_faults_per_call, plain, n, pure=False).result()
    assert reused_faults < 0.02 * pages
    if env is not None:  # the worker environment this is for
        assert plain_faults > 0.5 * pages


def test_worker_objective_outputs_are_per_thread_and_not_pickled():
    import threading

    from boostfocal.dask._xgboost import _WorkerObjective

    rng = np.random.default_rng(16)
    loss = SoftmaxFocalLoss(gamma=2.0)
    y, z1, z2 = rng.integers(0, 3, 300), rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    objective = _WorkerObjective(loss, n_threads=1)
    reference = make_objective(loss)
    first = objective(y, z1)
    first_values = [a.copy() for a in first]
    second = objective(y, z2)
    assert all(a is b for a, b in zip(first, second, strict=True))  # the same arrays
    for got, want in zip(second, reference(z2.ravel(), _dmatrix(y)), strict=True):
        assert_allclose(got, want.reshape(got.shape), rtol=0)
    assert not np.array_equal(first_values[0], second[0])
    other = []
    thread = threading.Thread(target=lambda: other.extend(objective(y, z1)))
    thread.start()
    thread.join()
    assert all(a is not b for a, b in zip(other, second, strict=True))
    for got, want in zip(other, first_values, strict=True):
        assert_array_equal(got, want)
    assert "_reused" not in pickle.loads(pickle.dumps(objective)).__dict__


def _dmatrix(y):
    return xgb.DMatrix(np.zeros((len(y), 1)), label=y)
