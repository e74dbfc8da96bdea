"""LightGBM backend: native objective/metric for lightgbm.train, and FocalLGBMClassifier."""

from __future__ import annotations

import pickle
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, roc_auc_score

from boostfocal import FocalLoss, GHMLoss, SoftmaxFocalLoss
from boostfocal.lightgbm import (
    FocalLGBMClassifier,
    GHMLGBMClassifier,
    make_metric,
    make_objective,
)

#: Few trees, one thread: the machine running the tests has 2 cores and runs 2 workers.
FAST = {"n_estimators": 10, "n_jobs": 1, "verbose": -1}


def _binary(n=400, weights=(0.85,), seed=0, n_features=5):
    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=3,
                               n_redundant=1, weights=list(weights), random_state=seed)
    return X, y


def _multiclass(n=450, k=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=k, n_clusters_per_class=1, random_state=seed)
    return X, y


def _native_params(loss, **extra):
    params = {"objective": make_objective(loss), "metric": "None", "verbose": -1,
              "num_threads": 1, "num_leaves": 7, "min_data_in_leaf": 5}
    if isinstance(loss, SoftmaxFocalLoss):
        params["num_class"] = 3
    params.update(extra)
    return params


def _weighted_mean_loss(loss, y, margin, w=None):
    per_row = loss.loss(y, margin, w)
    return float(per_row.sum() / (len(y) if w is None else w.sum()))


# =====================================================================================
# Native adapters for lightgbm.train
# =====================================================================================
@pytest.mark.parametrize("multiclass", [False, True])
def test_native_train_round_trip_with_init_score_and_early_stopping(multiclass):
    """The module docstring's recipe: metric at the best iteration == loss of the margins."""
    X, y = _multiclass() if multiclass else _binary()
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    loss = SoftmaxFocalLoss(2.0) if multiclass else FocalLoss(2.0)
    start = loss.init_score(y_tr)

    def tile(n):
        return np.tile(start, (n, 1)) if multiclass else np.full(n, start)

    dtrain = lgb.Dataset(X_tr, y_tr, init_score=tile(len(y_tr)))
    dvalid = lgb.Dataset(X_va, y_va, init_score=tile(len(y_va)), reference=dtrain)
    result = {}
    booster = lgb.train(_native_params(loss, learning_rate=0.3), dtrain, 60,
                        valid_sets=[dvalid], feval=make_metric(loss),
                        callbacks=[lgb.early_stopping(5, verbose=False),
                                   lgb.record_evaluation(result)])
    history = result["valid_0"]["focal_loss"]
    assert booster.best_iteration == int(np.argmin(history)) + 1
    margin = booster.predict(X_va, raw_score=True, num_iteration=booster.best_iteration)
    margin = margin + tile(len(y_va))
    assert history[booster.best_iteration - 1] == pytest.approx(
        _weighted_mean_loss(loss, y_va, margin), rel=1e-10)
    # training improved on the constant start
    assert history[booster.best_iteration - 1] < _weighted_mean_loss(loss, y_va,
                                                                     tile(len(y_va)))


def test_native_metric_is_weighted_mean_loss():
    X, y = _binary(n=100)
    loss = FocalLoss(2.0, alpha=0.25)
    w = np.linspace(0.5, 2.0, len(y))
    z = np.linspace(-3, 3, len(y))
    data = lgb.Dataset(X, y, weight=w).construct()
    name, value, higher_better = make_metric(loss)(z, data)
    assert (name, higher_better) == ("focal_loss", False)
    w32 = w.astype(np.float32)  # LightGBM stores weights as float32
    assert value == pytest.approx(np.sum(loss.loss(y, z, w32)) / np.sum(w32), rel=1e-12)


def test_native_objective_weights_equal_duplicated_rows():
    """Weight 2 trains the same model as the row repeated (integer features: same bins)."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 8, size=(200, 3)).astype(float)
    y = ((X[:, 0] + 2 * rng.randn(200)) > 5).astype(float)
    w = np.ones(200)
    w[:50] = 2.0
    X_dup, y_dup = np.vstack([X, X[:50]]), np.concatenate([y, y[:50]])
    loss = FocalLoss(2.0)
    assert loss.init_score(y, w) == pytest.approx(loss.init_score(y_dup), rel=1e-12)
    params = _native_params(loss, min_data_in_leaf=1, min_data_in_bin=1, num_leaves=4,
                            min_sum_hessian_in_leaf=1e-6)
    start = loss.init_score(y, w)
    weighted = lgb.train(params, lgb.Dataset(X, y, weight=w, init_score=np.full(200, start)),
                         10)
    duplicated = lgb.train(params, lgb.Dataset(X_dup, y_dup,
                                               init_score=np.full(250, start)), 10)
    unweighted = lgb.train(params, lgb.Dataset(X, y, init_score=np.full(200, start)), 10)
    m_w = weighted.predict(X, raw_score=True)
    np.testing.assert_allclose(m_w, duplicated.predict(X, raw_score=True), atol=1e-10)
    assert np.max(np.abs(m_w - unweighted.predict(X, raw_score=True))) > 1e-3


def test_native_objective_and_metric_pickle():
    X, y = _multiclass(n=60)
    loss = SoftmaxFocalLoss(1.5, alpha=[1.0, 2.0, 0.5])
    obj, metric = make_objective(loss), make_metric(loss)
    data = lgb.Dataset(X, y).construct()
    z = np.random.RandomState(1).randn(len(y), 3)
    for fn in (obj, metric):
        clone_fn = pickle.loads(pickle.dumps(fn))
        a, b = fn(z, data), clone_fn(z, data)
        for left, right in zip(a, b, strict=True):
            np.testing.assert_array_equal(left, right)


def test_native_flat_multiclass_predictions_are_read_class_major():
    """LightGBM lays flat multiclass scores out class-major; the adapter reads them so."""
    X, y = _multiclass(n=90)
    loss = SoftmaxFocalLoss(2.0)
    data = lgb.Dataset(X, y).construct()
    z = np.random.RandomState(2).randn(len(y), 3)
    grad_2d, hess_2d = make_objective(loss)(z, data)
    grad_flat, hess_flat = make_objective(loss)(z.ravel(order="F"), data)
    np.testing.assert_array_equal(grad_flat, grad_2d)
    np.testing.assert_array_equal(hess_flat, hess_2d)
    grad_rowmajor, _ = make_objective(loss)(z.ravel(order="C"), data)
    assert not np.allclose(grad_rowmajor, grad_2d)  # the layout matters


def test_native_flat_gradients_are_read_class_major_by_lightgbm():
    """FACTS re-check: LightGBM reads a flat (n*K,) gradient class-major, silently.

    The adapter returns (n, K) arrays, so the layout question never arises; a flat
    row-major return would train a different (wrong) model without any error.
    """
    X, y = _multiclass(n=150)
    loss = SoftmaxFocalLoss(2.0)
    base = make_objective(loss)

    def flat(order):
        def objective(preds, data):
            g, h = base(preds, data)
            return g.ravel(order=order), h.ravel(order=order)
        return objective

    def margins(objective):
        params = dict(_native_params(loss), objective=objective)
        return lgb.train(params, lgb.Dataset(X, y), 5).predict(X, raw_score=True)

    reference = margins(base)
    np.testing.assert_array_equal(margins(flat("F")), reference)
    assert not np.allclose(margins(flat("C")), reference)


def test_native_gamma_zero_multiclass_reproduces_builtin():
    """FACTS re-check: LightGBM's "multiclass" hands its trees K/(K-1) p(1-p).

    The adapter applies the same factor to the softmax focal curvature, so at gamma=0 the
    objective reproduces the built-in one from the same start; without the factor (the
    exact diagonal p(1-p)) the models differ.
    """
    X, y = _multiclass(n=300)
    loss = SoftmaxFocalLoss(0.0)
    start = np.tile(loss.init_score(y, n_classes=3), (len(y), 1))
    ours = lgb.train(_native_params(loss), lgb.Dataset(X, y, init_score=start), 10)
    builtin = lgb.train(dict(_native_params(loss), objective="multiclass"),
                        lgb.Dataset(X, y, init_score=start), 10)
    np.testing.assert_allclose(ours.predict(X, raw_score=True),
                               builtin.predict(X, raw_score=True), atol=1e-6)

    def exact_diagonal(preds, data):
        return loss.gradient_hessian(data.get_label(), preds)

    unscaled = lgb.train(dict(_native_params(loss), objective=exact_diagonal),
                         lgb.Dataset(X, y, init_score=start), 10)
    assert not np.allclose(unscaled.predict(X, raw_score=True),
                           builtin.predict(X, raw_score=True), atol=1e-3)


def test_native_objective_rejects_non_loss():
    with pytest.raises(TypeError, match="loss"):
        make_objective("binary")


# =====================================================================================
# FocalLGBMClassifier: what is LightGBM's own. The estimator contract shared with the
# other estimators (shapes, labels, weights, parameters, persistence, early stopping,
# GHM-C, scikit-learn's estimator checks) is tested once for all in test_contract.py.
# =====================================================================================
@pytest.mark.parametrize("multiclass", [False, True])
def test_native_objective_is_the_loss_and_the_booster_holds_the_start(multiclass):
    X, y = _multiclass() if multiclass else _binary()
    clf = FocalLGBMClassifier(focal_gamma=2.0, focal_alpha=None if multiclass else 0.25,
                              **FAST).fit(X, y)
    assert clf.objective_.loss == clf.loss_  # the native LightGBM objective
    # The booster's own raw scores hold the start (in its first iteration's leaves).
    raw = clf.booster_.predict(X, raw_score=True)
    np.testing.assert_allclose(clf.decision_function(X), raw, rtol=1e-12)


@pytest.mark.parametrize("multiclass", [False, True])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_start_is_consistent_in_training_eval_and_prediction(multiclass, early_stopping):
    """Eval metric (init score on the eval set) == loss of decision_function (added back)."""
    X, y = _multiclass() if multiclass else _binary()
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    w_va = np.where(np.arange(len(y_va)) % 3 == 0, 2.0, 0.5)  # exact in float32
    callbacks = [lgb.early_stopping(3, verbose=False)] if early_stopping else None
    clf = FocalLGBMClassifier(n_estimators=60, learning_rate=0.3, n_jobs=1, verbose=-1)
    clf.fit(X_tr, y_tr, eval_X=(X_va, X_tr), eval_y=(y_va, y_tr), eval_sample_weight=[w_va],
            callbacks=callbacks)
    valid = clf.evals_result_["valid_0"]["focal_loss"]
    train = clf.evals_result_["valid_1"]["focal_loss"]
    best = clf.best_iteration_ if early_stopping else len(valid)
    if early_stopping:
        assert best == int(np.argmin(valid)) + 1 < 60
    assert valid[best - 1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y_va, clf.decision_function(X_va), w_va), rel=1e-9)
    assert train[best - 1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y_tr, clf.decision_function(X_tr)), rel=1e-9)
    # iteration 1 starts from init_score_, not from 0: its loss is below the constant's
    constant = np.broadcast_to(clf.init_score_, clf.decision_function(X_tr).shape)
    assert train[0] < _weighted_mean_loss(clf.loss_, y_tr, np.array(constant))


def test_eval_set_on_training_data_reuses_the_training_start():
    X, y = _binary()
    clf = FocalLGBMClassifier(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lgb.basic.LGBMDeprecationWarning)
        clf.fit(X, y, eval_set=[(X, y)])
    history = clf.evals_result_["training"]["focal_loss"]
    assert history[-1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y, clf.decision_function(X)), rel=1e-9)


@pytest.mark.parametrize("multiclass", [False, True])
def test_user_init_score_is_an_offset_on_top_of_the_start(multiclass):
    X, y = _multiclass() if multiclass else _binary()
    rng = np.random.RandomState(3)
    shape = (len(y), 3) if multiclass else (len(y),)
    offset = 0.3 * rng.randn(*shape)
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    off_tr, off_va = offset[:300], offset[300:]
    clf = FocalLGBMClassifier(**FAST)
    flat_va = off_va.ravel(order="F")  # a flat multiclass offset is read class-major
    clf.fit(X_tr, y_tr, init_score=off_tr, eval_X=X_va, eval_y=y_va,
            eval_init_score=[flat_va])
    expected_start = clf.loss_.init_score(y_tr) if not multiclass else \
        clf.loss_.init_score(y_tr, n_classes=3)
    np.testing.assert_allclose(clf.init_score_, expected_start, rtol=1e-12)
    with_offset = clf.decision_function(X_va, init_score=off_va)
    np.testing.assert_allclose(with_offset - clf.decision_function(X_va), off_va, atol=1e-12)
    assert clf.evals_result_["valid_0"]["focal_loss"][-1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y_va, with_offset), rel=1e-9)
    np.testing.assert_allclose(clf.predict_proba(X_va, init_score=off_va),
                               clf.loss_.predict_proba(with_offset), rtol=1e-12)


def test_bad_init_score_shape_names_the_argument():
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="init_score"):
        FocalLGBMClassifier(**FAST).fit(X, y, init_score=np.zeros(99))
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="init_score"):
        clf.decision_function(X, init_score=np.zeros((100, 2)))


# =====================================================================================
# Parameters: objective, focal parameters never reach the booster
# =====================================================================================
# (objective="binary", for every LightGBM estimator: test_contract.py)
@pytest.mark.parametrize("kwargs", [{"objective": "multiclass"}, {"loss": "binary"},
                                    {"application": "xentropy"}])
def test_objective_must_stay_none(kwargs):
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="objective must be None"):
        FocalLGBMClassifier(**FAST, **kwargs).fit(X, y)


def test_focal_params_never_reach_the_booster(capfd):
    X, y = _binary(n=200)
    # positive control: LGBMClassifier passes unknown keyword parameters to the booster
    # (verbose=1: LightGBM's log level is global and earlier tests may have lowered it)
    lgb.LGBMClassifier(n_estimators=2, n_jobs=1, verbose=1, focal_gamma=2.0).fit(X, y)
    assert "Unknown parameter: focal_gamma" in capfd.readouterr().out
    clf = FocalLGBMClassifier(n_estimators=2, n_jobs=1, verbose=1, focal_alpha=0.3,
                              focal_proba="confidence")
    clf.fit(X, y, eval_X=X, eval_y=y)
    clf.predict_proba(X)
    out = capfd.readouterr().out
    assert "Using self-defined objective function" in out  # logging was on
    assert "focal" not in out and "Unknown parameter" not in out
    assert not any(k.startswith("focal") for k in clf.booster_.params)


# =====================================================================================
# Labels and input types
# =====================================================================================
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_pandas_input_and_series_labels():
    X, y = _binary(n=200)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    ys = pd.Series(np.array(["neg", "pos"])[y], name="target")
    clf = FocalLGBMClassifier(**FAST).fit(df, ys, eval_X=df, eval_y=ys)
    assert clf.predict(df).tolist() == clf.predict(X).tolist()
    np.testing.assert_allclose(clf.decision_function(df), clf.decision_function(X))


@pytest.mark.parametrize("path", ["eval_X", "eval_set"])
def test_eval_labels_are_encoded_with_the_training_classes(path):
    """LGBMClassifier passes eval_y through unencoded; {1, 3} would be read as labels 1, 3."""
    X, y = _multiclass()
    labels = np.array([1, 3, 7])
    X_tr, y_tr, X_va, y_va = X[:300], labels[y[:300]], X[300:], labels[y[300:]]
    kwargs = ({"eval_X": X_va, "eval_y": y_va} if path == "eval_X"
              else {"eval_set": [(X_va, y_va)]})
    clf = FocalLGBMClassifier(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lgb.basic.LGBMDeprecationWarning)
        clf.fit(X_tr, y_tr, **kwargs)
    y_va_enc = np.searchsorted(labels, y_va)
    assert clf.evals_result_["valid_0"]["focal_loss"][-1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y_va_enc, clf.decision_function(X_va)), rel=1e-9)


def test_unseen_eval_label_in_eval_set_is_an_error():
    # (through eval_X/eval_y, for every estimator: test_contract.py)
    X, y = _binary(n=200)
    y_str = np.array(["a", "b"], dtype=object)[y]
    bad = y_str.copy()
    bad[0] = "zzz"
    with pytest.raises(ValueError, match="zzz"):
        FocalLGBMClassifier(**FAST).fit(X, y_str, eval_set=[(X, bad)])


def test_eval_set_and_eval_x_together_is_an_error():
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="eval_set"):
        FocalLGBMClassifier(**FAST).fit(X, y, eval_set=[(X, y)], eval_X=X, eval_y=y)


# =====================================================================================
# Weights: sample_weight, class_weight, is_unbalance, scale_pos_weight
# =====================================================================================
@pytest.mark.parametrize("multiclass", [False, True])
def test_class_weight_equals_the_same_sample_weights(multiclass):
    X, y = _multiclass() if multiclass else _binary()
    labels = np.array(["a", "b", "c"])[y]
    class_weight = {"a": 1.0, "b": 3.0, "c": 0.5}
    if not multiclass:
        class_weight.pop("c")
    w = np.array([class_weight[v] for v in labels])
    by_class = FocalLGBMClassifier(class_weight=class_weight, **FAST).fit(X, labels)
    by_sample = FocalLGBMClassifier(**FAST).fit(X, labels, sample_weight=w)
    np.testing.assert_allclose(by_class.init_score_, by_sample.init_score_, rtol=1e-12)
    np.testing.assert_allclose(by_class.decision_function(X), by_sample.decision_function(X),
                               rtol=1e-9, atol=1e-12)
    balanced = FocalLGBMClassifier(class_weight="balanced", **FAST).fit(X, labels)
    counts = np.bincount(y)
    w_bal = (len(y) / (len(counts) * counts))[y]
    # atol: the class totals are summed in a different order (n_k times a multiplier vs
    # a weighted bincount), and the balanced start is 0 up to that rounding
    np.testing.assert_allclose(balanced.init_score_,
                               FocalLGBMClassifier(**FAST).fit(X, labels, sample_weight=w_bal)
                               .init_score_, rtol=1e-12, atol=1e-14)


def test_is_unbalance_is_honoured():
    # (scale_pos_weight, a sample weight on the positives: test_contract.py)
    X, y = _binary(weights=(0.9,))
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    unbalanced = FocalLGBMClassifier(is_unbalance=True, **FAST).fit(X, y)
    explicit = FocalLGBMClassifier(**FAST).fit(X, y, sample_weight=np.where(
        y == 1, n_neg / n_pos, 1.0))
    np.testing.assert_allclose(unbalanced.decision_function(X),
                               explicit.decision_function(X), rtol=1e-9, atol=1e-12)


def test_gamma_zero_is_unbalance_matches_builtin():
    X, y = _binary(weights=(0.9,))
    focal = FocalLGBMClassifier(focal_gamma=0.0, is_unbalance=True, **FAST).fit(X, y)
    builtin = lgb.LGBMClassifier(objective="binary", is_unbalance=True, **FAST)
    builtin.fit(X, y, init_score=np.full(len(y), focal.init_score_))
    expected = builtin.predict(X, raw_score=True) + focal.init_score_
    # LightGBM keeps its label weights in float32: agreement to ~1e-7, not to the last bit
    np.testing.assert_allclose(focal.decision_function(X), expected, rtol=0, atol=1e-6)


def test_is_unbalance_is_binary_only():
    # (scale_pos_weight: test_contract.py)
    X, y = _multiclass(n=150)
    with pytest.raises(ValueError, match="binary targets only"):
        FocalLGBMClassifier(is_unbalance=True, **FAST).fit(X, y)


@pytest.mark.parametrize("cls", [FocalLGBMClassifier, GHMLGBMClassifier])
def test_class_weight_beyond_float32_is_an_error_naming_it(cls):
    """Issue 13: LightGBM stores the weights as float32, where they became inf (the
    scale_pos_weight and sample_weight cases: test_contract.py)."""
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="training weights .*class_weight"):
        cls(class_weight={0: 1.0, 1: 1e39}, **FAST).fit(X, y)


def test_is_unbalance_with_scale_pos_weight_is_an_error():
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="is_unbalance and scale_pos_weight"):
        FocalLGBMClassifier(is_unbalance=True, scale_pos_weight=2.0, **FAST).fit(X, y)


def test_negative_eval_sample_weight_names_the_argument():
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match=r"eval_sample_weight\[0\]"):
        FocalLGBMClassifier(**FAST).fit(X, y, eval_X=X, eval_y=y,
                                        eval_sample_weight=[-np.ones(100)])


# =====================================================================================
# Metrics and early stopping
# =====================================================================================
def test_early_stopping_callback_stops_at_the_focal_minimum():
    # (the early_stopping_round parameter, for every estimator: test_contract.py)
    X, y = _binary(n=600, seed=1)
    X_tr, y_tr, X_va, y_va = X[:400], y[:400], X[400:], y[400:]
    params = {"n_estimators": 200, "learning_rate": 0.5, "n_jobs": 1, "verbose": -1}
    callbacks = [lgb.early_stopping(5, verbose=False)]
    clf = FocalLGBMClassifier(**params).fit(X_tr, y_tr, eval_X=X_va, eval_y=y_va,
                                            callbacks=callbacks)
    result = clf.evals_result_["valid_0"]
    assert list(result) == ["focal_loss"]  # no binary_logloss on raw scores
    history = result["focal_loss"]
    best = clf.best_iteration_
    assert best == int(np.argmin(history)) + 1
    assert len(history) == best + 5 < 200
    # predictions use the best iteration (LightGBM keeps only the trees up to it)
    assert clf.n_estimators_ == best
    assert history[best - 1] == pytest.approx(
        _weighted_mean_loss(clf.loss_, y_va, clf.decision_function(X_va)), rel=1e-9)
    assert history[-1] > history[best - 1]


def test_user_metrics_are_kept_beside_the_focal_loss():
    X, y = _binary()
    clf = FocalLGBMClassifier(metric="auc", **FAST).fit(X, y, eval_X=X, eval_y=y,
                                                        eval_metric="average_precision")
    assert set(clf.evals_result_["valid_0"]) == {"auc", "average_precision", "focal_loss"}
    auc = clf.evals_result_["valid_0"]["auc"][-1]
    assert auc == pytest.approx(roc_auc_score(y, clf.decision_function(X)), rel=1e-9)


def test_probability_metric_warns():
    X, y = _binary(n=100)
    with pytest.warns(UserWarning, match="binary_logloss"):
        FocalLGBMClassifier(**FAST).fit(X, y, eval_X=X, eval_y=y, eval_metric="binary_logloss")


# =====================================================================================
# Prediction surface
# =====================================================================================
@pytest.mark.parametrize("multiclass", [False, True])
def test_raw_score_and_iteration_control(multiclass):
    # (probabilities, labels and focal_proba: test_contract.py)
    X, y = _multiclass() if multiclass else _binary()
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    margin = clf.decision_function(X)
    np.testing.assert_array_equal(clf.predict(X, raw_score=True), margin)
    np.testing.assert_array_equal(clf.predict_proba(X, raw_score=True), margin)
    # iteration control is kept; iteration 0 holds the start, which start_iteration > 0
    # leaves out of the booster's scores and decision_function adds back
    first = clf.decision_function(X, num_iteration=1)
    np.testing.assert_allclose(first, clf.booster_.predict(X, raw_score=True, num_iteration=1))
    later = clf.decision_function(X, start_iteration=2)
    np.testing.assert_allclose(later, clf.booster_.predict(X, raw_score=True, start_iteration=2)
                               + clf.init_score_)
    np.testing.assert_allclose(
        clf.decision_function(X, num_iteration=2) + later - clf.init_score_, margin,
        rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("multiclass", [False, True])
def test_pred_leaf_and_pred_contrib_pass_through(multiclass):
    X, y = _multiclass() if multiclass else _binary()
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    n_trees = clf.booster_.num_trees()
    assert clf.predict(X, pred_leaf=True).shape == (len(y), n_trees)
    contrib = clf.predict_proba(X, pred_contrib=True)
    k = 3 if multiclass else 1
    assert contrib.shape == (len(y), k * (X.shape[1] + 1))
    sums = contrib.reshape(len(y), k, X.shape[1] + 1).sum(axis=2)
    margin = clf.decision_function(X).reshape(len(y), k)
    np.testing.assert_allclose(sums, margin, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("multiclass", [False, True])
def test_pred_contrib_on_sparse_input_includes_the_start(multiclass):
    X, y = _multiclass() if multiclass else _binary()
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    contrib = clf.predict(sp.csr_matrix(X), pred_contrib=True)
    blocks = contrib if multiclass else [contrib]
    margin = clf.decision_function(X).reshape(len(y), -1)
    for k, block in enumerate(blocks):
        assert sp.issparse(block)
        np.testing.assert_allclose(np.asarray(block.sum(axis=1)).ravel(), margin[:, k],
                                   rtol=1e-6, atol=1e-8)


# =====================================================================================
# Tiny data and LightGBM's tree-growth checks
# =====================================================================================
def test_tiny_data_fits_the_constant_start():
    """Custom objectives abort on data without a usable feature; we fit the constant."""
    X = np.random.RandomState(0).randn(10, 3)
    y = np.array([0, 1] * 5)
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    np.testing.assert_allclose(clf.decision_function(X), clf.init_score_, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 0.5, atol=1e-9)


def test_constant_features_fit_the_constant_start():
    X = np.ones((60, 2))
    y = np.array([0, 0, 1] * 20)
    clf = FocalLGBMClassifier(**FAST).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 1 / 3, rtol=1e-9)


def test_tiny_data_with_user_feature_pre_filter_explains():
    X = np.random.RandomState(0).randn(10, 3)
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="no usable feature"):
        FocalLGBMClassifier(feature_pre_filter=True, **FAST).fit(X, y)


@pytest.mark.parametrize("kwargs", [{"min_child_weight": 0.0}, {"min_child_weight": 1e-15},
                                    {"min_sum_hessian_in_leaf": 0.0},
                                    {"min_hessian": -1.0}])
def test_min_hessian_at_or_below_lightgbm_epsilon_is_an_error(kwargs):
    """LightGBM aborts ('left_count > 0') with min_sum_hessian_in_leaf <= 1e-15."""
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="min_sum_hessian_in_leaf"):
        FocalLGBMClassifier(**FAST, **kwargs).fit(X, y)


def test_lightgbm_aborts_with_zero_min_hessian_but_not_with_a_tiny_positive_one():
    """FACTS re-check of the reason for the error above, on LightGBM's own objective.

    The empty child's Hessian sum starts at 1e-15 and passes min_sum_hessian_in_leaf=0.
    """
    X, y = make_classification(n_samples=500, n_features=10, n_informative=5,
                               weights=[0.98], flip_y=0.0, random_state=0)
    params = {"objective": "binary", "metric": "None", "verbose": -1, "num_threads": 1,
              "min_data_in_leaf": 1, "learning_rate": 0.3}
    with pytest.raises(lgb.basic.LightGBMError,
                       match=r"Check failed: \(best_split_info\.(left|right)_count\) > \(0\)"):
        lgb.train(dict(params, min_sum_hessian_in_leaf=0.0), lgb.Dataset(X, y), 30)
    lgb.train(dict(params, min_sum_hessian_in_leaf=1e-12), lgb.Dataset(X, y), 30)
    clf = FocalLGBMClassifier(min_child_weight=1e-12, min_child_samples=1, learning_rate=0.3,
                              n_estimators=30, n_jobs=1, verbose=-1).fit(X, y)
    assert np.all(np.isfinite(clf.decision_function(X)))


def test_init_model_with_init_score_is_an_error():
    # LightGBM replaces a Dataset's init_score by the init model's raw scores.
    X, y = _binary(n=100)
    first = FocalLGBMClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="init_model"):
        FocalLGBMClassifier(**FAST).fit(X, y, init_model=first, init_score=np.zeros(len(y)))


# =====================================================================================
# Extreme settings
# =====================================================================================
def test_extreme_gamma_and_learning_rate_on_rare_positives():
    X, y = make_classification(n_samples=2000, n_features=10, n_informative=5,
                               weights=[0.99], flip_y=0.005, random_state=0)
    clf = FocalLGBMClassifier(focal_gamma=5.0, learning_rate=0.3, n_estimators=40,
                              num_leaves=15, n_jobs=1, verbose=-1).fit(X, y, eval_X=X, eval_y=y)
    history = np.array(clf.evals_result_["valid_0"]["focal_loss"])
    margin = clf.decision_function(X)
    assert np.all(np.isfinite(margin)) and np.all(np.isfinite(clf.predict_proba(X)))
    assert np.all(np.isfinite(history))
    constant = _weighted_mean_loss(clf.loss_, y, np.full(len(y), clf.init_score_))
    assert history[0] < constant and history[-1] < 0.5 * history[0]
    assert np.sum(np.diff(history) > 0) <= 0.1 * len(history)


# =====================================================================================
# scikit-learn integration
# =====================================================================================
def test_clone_keeps_params():
    clf = FocalLGBMClassifier(focal_gamma=1.5, focal_alpha=0.3, num_leaves=7,
                              min_data_in_bin=2, **FAST)
    params = clone(clf).get_params()
    assert params == clf.get_params()
    assert params["focal_gamma"] == 1.5 and params["min_data_in_bin"] == 2


# =====================================================================================
# gamma = 0 is the logistic loss; defaults that learn
# =====================================================================================
def test_gamma_zero_reproduces_builtin_binary():
    X, y = _binary(n=500, weights=(0.8,))
    focal = FocalLGBMClassifier(focal_gamma=0.0, n_estimators=30, n_jobs=1, verbose=-1)
    focal.fit(X, y)
    builtin = lgb.LGBMClassifier(objective="binary", n_estimators=30, n_jobs=1, verbose=-1)
    builtin.fit(X, y, init_score=np.full(len(y), focal.init_score_))
    logit = np.log(y.mean() / (1 - y.mean()))
    assert focal.init_score_ == pytest.approx(logit, rel=1e-10)
    expected = builtin.predict(X, raw_score=True) + focal.init_score_
    # measured: identical to the last bit with one thread; 1e-5 is the contract
    np.testing.assert_allclose(focal.decision_function(X), expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(focal.predict_proba(X)[:, 1], 1 / (1 + np.exp(-expected)),
                               rtol=0, atol=1e-10)


def test_gamma_zero_reproduces_builtin_multiclass():
    # The adapter hands LightGBM K/(K-1) x the softmax curvature, as "multiclass" does.
    X, y = _multiclass(n=600)
    focal = FocalLGBMClassifier(focal_gamma=0.0, n_estimators=20, n_jobs=1, verbose=-1)
    focal.fit(X, y)
    start = np.tile(focal.init_score_, (len(y), 1))
    builtin = lgb.LGBMClassifier(objective="multiclass", n_estimators=20, n_jobs=1,
                                 verbose=-1).fit(X, y, init_score=start)
    expected = builtin.predict(X, raw_score=True) + focal.init_score_
    np.testing.assert_allclose(focal.decision_function(X), expected, rtol=0, atol=1e-6)


def test_default_estimator_learns_on_rare_positives_like_the_builtin():
    """Default FocalLGBMClassifier vs default LGBMClassifier on 2%-positive data."""
    X, y = make_classification(n_samples=6000, n_features=20, n_informative=6,
                               n_redundant=4, weights=[0.98], flip_y=0.01, random_state=0)
    X_tr, y_tr, X_te, y_te = X[:4000], y[:4000], X[4000:], y[4000:]
    focal = FocalLGBMClassifier(n_jobs=1, verbose=-1, random_state=0).fit(X_tr, y_tr)
    builtin = lgb.LGBMClassifier(n_jobs=1, verbose=-1, random_state=0).fit(X_tr, y_tr)
    ap_focal = average_precision_score(y_te, focal.predict_proba(X_te)[:, 1])
    ap_builtin = average_precision_score(y_te, builtin.predict_proba(X_te)[:, 1])
    assert ap_builtin > 0.3  # the data can be learned
    assert ap_focal > ap_builtin - 0.05
    leaves = [t["num_leaves"] for t in focal.booster_.dump_model()["tree_info"]]
    assert np.mean(leaves) > 20  # the trees keep splitting


# =====================================================================================
# GHM-C: native adapters and GHMLGBMClassifier
# =====================================================================================
def test_native_ghm_lightgbm_trains_on_a_copy_of_the_loss():
    """lightgbm.train deep-copies its params: the GHMLoss passed in is left as it was."""
    X, y = _binary()
    loss = GHMLoss(10, momentum=0.5)
    start = loss.init_score(y)
    dtrain = lgb.Dataset(X, y, init_score=np.full(len(y), start))
    result = {}
    booster = lgb.train(_native_params(loss), dtrain, 8, valid_sets=[dtrain],
                        valid_names=["train"], feval=make_metric(loss),
                        callbacks=[lgb.record_evaluation(result)])
    assert loss.n_updates_ == 0 and loss.density_ is None
    curve = result["train"]["logloss"]
    margin = booster.predict(X, raw_score=True) + start
    assert curve[-1] == pytest.approx(_weighted_mean_loss(loss, y, margin), rel=1e-9)
    assert curve[-1] < 0.8 * curve[0]


def _ghm(**kwargs):
    return GHMLGBMClassifier(**{**FAST, **kwargs})


def test_ghm_native_objective_is_the_loss_and_the_booster_holds_the_start():
    # (the GHM-C estimator contract: test_contract.py)
    X, y = _binary()
    clf = _ghm(ghm_bins=30, ghm_momentum=0.5).fit(X, np.array(["no", "yes"])[y])
    assert clf.objective_.loss is clf.loss_
    margin = clf.decision_function(X)
    np.testing.assert_allclose(margin, clf.booster_.predict(X, raw_score=True), rtol=1e-12)
    assert repr(_ghm(ghm_bins=5)).startswith("GHMLGBMClassifier(ghm_bins=5")


def test_ghm_params_never_reach_the_booster(capfd):
    X, y = _binary(n=200)
    clf = GHMLGBMClassifier(n_estimators=2, n_jobs=1, verbose=1, ghm_bins=20,
                            ghm_momentum=0.5)
    clf.fit(X, y, eval_X=X, eval_y=y)
    out = capfd.readouterr().out
    assert "Using self-defined objective function" in out  # logging was on
    assert "ghm" not in out and "Unknown parameter" not in out
    assert not any(k.startswith("ghm") for k in clf.booster_.params)


@pytest.mark.parametrize("multiclass", [False, True])
@pytest.mark.parametrize("n_params", [2, 3])
def test_user_metric_sees_margins_with_the_start(multiclass, n_params):
    """The start is added by the objective and metrics, not stored per row in the Datasets;
    a user's callable metric still receives the model's margins, start included."""
    X, y = _multiclass() if multiclass else _binary()
    X_tr, X_va, y_tr, y_va = X[:300], X[300:], y[:300], y[300:]
    seen = []

    if n_params == 2:
        def spread(y_true, y_pred):
            seen.append(np.array(y_pred))
            return "spread", float(np.ptp(y_pred)), False
    else:
        def spread(y_true, y_pred, weight):
            seen.append(np.array(y_pred))
            return "spread", float(np.ptp(y_pred)), False

    clf = FocalLGBMClassifier(**FAST).fit(X_tr, y_tr, eval_X=(X_va,), eval_y=(y_va,),
                                          eval_metric=spread)
    assert len(seen) == FAST["n_estimators"]
    np.testing.assert_allclose(seen[-1], clf.decision_function(X_va), rtol=1e-12,
                               atol=1e-12)
    assert "spread" in clf.evals_result_["valid_0"]


def test_builtin_ranking_metric_is_unchanged_by_the_start():
    """auc ranks raw scores: the start, left out of LightGBM's scores, does not change it."""
    X, y = _binary()
    X_tr, X_va, y_tr, y_va = X[:300], X[300:], y[:300], y[300:]
    clf = FocalLGBMClassifier(metric="auc", **FAST).fit(X_tr, y_tr, eval_X=(X_va,),
                                                       eval_y=(y_va,))
    auc = clf.evals_result_["valid_0"]["auc"][-1]
    assert auc == pytest.approx(roc_auc_score(y_va, clf.decision_function(X_va)), abs=1e-12)


def test_the_start_is_not_stored_per_row(monkeypatch):
    """LightGBM would keep two float64 copies of a per-row init score for the whole fit;
    the estimators hand it only the user's offsets (here none)."""
    seen = []
    original = lgb.Dataset.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("init_score"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(lgb.Dataset, "__init__", spy)
    X, y = _multiclass()
    FocalLGBMClassifier(**FAST).fit(X[:300], y[:300], eval_X=(X[300:],), eval_y=(y[300:],))
    assert len(seen) == 2 and all(s is None for s in seen)
